//! The authorization server (`MCP_AUTH_MODE=oauth`) and client-credentials mode, natively:
//! the whole sign-in with a scripted IdP, and every attack refused with nothing sent upstream.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use base64ct::{Base64UrlUnpadded, Encoding};
use camunda_mcp_edge::app::Outside;
use camunda_mcp_edge::http::{
    FetchError, HttpClient, Request, Response, UpstreamRequest, UpstreamResponse,
};
use camunda_mcp_edge::oauth::vault::Store;
use camunda_mcp_edge::policy::NoLimits;
use common::{body_json, post, App, NOW};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "https://gw.test";
const IDP: &str = "https://idp.test";
const CLUSTER: &str = "http://cluster.test:8080";
const REDIRECT: &str = "http://127.0.0.1:9999/cb";
const VERIFIER: &str = "a-verifier-of-forty-three-characters-or-more-0123";

/// The outside world: an IdP, client metadata documents and the cluster, answering by URL.
#[derive(Default, Clone)]
struct Net {
    seen: Rc<RefCell<Vec<UpstreamRequest>>>,
    documents: Rc<RefCell<HashMap<String, (u16, String)>>>,
    idp_down: Rc<Cell<bool>>,
    /// The IdP refuses refresh tokens (the person's session ended).
    refresh_refused: Rc<Cell<bool>>,
    person_expires_in: Rc<Cell<u64>>,
    machine_fetches: Rc<Cell<u32>>,
}

fn answer(status: u16, body: Value) -> Result<UpstreamResponse, FetchError> {
    Ok(UpstreamResponse {
        status,
        content_type: Some("application/json".into()),
        cache_control: None,
        body: body.to_string().into_bytes(),
        compacted: None,
    })
}

fn id_token(sub: &str) -> String {
    let b = |v: Value| Base64UrlUnpadded::encode_string(v.to_string().as_bytes());
    let claims =
        json!({"iss": IDP, "aud": "gw", "sub": sub, "exp": NOW + 300, "preferred_username": "ada"});
    format!("{}.{}.sig", b(json!({"alg": "RS256"})), b(claims))
}

impl Net {
    fn cluster_calls(&self) -> Vec<UpstreamRequest> {
        self.seen
            .borrow()
            .iter()
            .filter(|r| r.url.starts_with(CLUSTER))
            .cloned()
            .collect()
    }

    fn form(req: &UpstreamRequest) -> HashMap<String, String> {
        form_urlencoded::parse(req.body.as_deref().unwrap_or_default())
            .into_owned()
            .collect()
    }
}

impl HttpClient for Net {
    async fn pause(&self, _ms: u32) {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await;
    }

    async fn send(&self, req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
        self.seen.borrow_mut().push(req.clone());
        let url = req.url.as_str();
        if url.starts_with(IDP) && self.idp_down.get() {
            return Err(FetchError::Unreachable("connection refused".into()));
        }
        if url == format!("{IDP}/.well-known/openid-configuration") {
            return answer(
                200,
                json!({"issuer": IDP, "authorization_endpoint": format!("{IDP}/authorize"),
                       "token_endpoint": format!("{IDP}/token"), "revocation_endpoint": format!("{IDP}/revoke")}),
            );
        }
        if url == format!("{IDP}/token") {
            // Several calls wait here together, as they would on a real network.
            self.pause(1).await;
            let form = Net::form(&req);
            let expires = match self.person_expires_in.get() {
                0 => 3600,
                n => n,
            };
            return match form["grant_type"].as_str() {
                "authorization_code" => answer(
                    200,
                    json!({"access_token": "person-at-1", "refresh_token": "person-rt", "expires_in": expires, "id_token": id_token("ada-7")}),
                ),
                "refresh_token" if self.refresh_refused.get() => answer(
                    400,
                    json!({"error": "invalid_grant", "error_description": "session ended"}),
                ),
                "refresh_token" => answer(
                    200,
                    json!({"access_token": "person-at-2", "expires_in": 3600}),
                ),
                "client_credentials" => {
                    self.machine_fetches.set(self.machine_fetches.get() + 1);
                    let n = self.machine_fetches.get();
                    answer(
                        200,
                        json!({"access_token": format!("machine-{n}"), "expires_in": 600}),
                    )
                }
                _ => answer(400, json!({"error": "unsupported_grant_type"})),
            };
        }
        if url == format!("{IDP}/revoke") {
            return answer(200, json!({}));
        }
        if url.ends_with("/slow.json") {
            // As `fetch` in the Worker when the document does not arrive within the timeout.
            return Err(FetchError::Timeout(req.timeout_ms));
        }
        if let Some((status, body)) = self.documents.borrow().get(url) {
            // As `fetch` in the Worker: a body over the cap is not read.
            if body.len() > req.max_bytes {
                return Err(FetchError::TooLarge(req.max_bytes));
            }
            return Ok(UpstreamResponse {
                status: *status,
                content_type: Some("application/json".into()),
                cache_control: None,
                body: body.clone().into_bytes(),
                compacted: None,
            });
        }
        if url.starts_with(CLUSTER) {
            return answer(
                200,
                json!({"brokers": [], "clusterSize": 1, "gatewayVersion": "8.9.0", "partitionsCount": 1, "replicationFactor": 1}),
            );
        }
        Err(FetchError::Unreachable(format!("no route to {url}")))
    }
}

/// Workers KV as a map; `tamper` flips a byte of every record stored under a prefix.
#[derive(Default)]
struct Kv(RefCell<HashMap<String, Vec<u8>>>);

impl Store for Kv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.0.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: Vec<u8>, _ttl_s: u64) -> Result<(), String> {
        self.0.borrow_mut().insert(key.into(), value);
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), String> {
        self.0.borrow_mut().remove(key);
        Ok(())
    }
}

impl Kv {
    fn tamper(&self, prefix: &str) {
        for (k, v) in self.0.borrow_mut().iter_mut() {
            if k.starts_with(prefix) {
                let last = v.len() - 1;
                v[last] ^= 1;
            }
        }
    }
}

struct World {
    app: App,
    net: Net,
    kv: Kv,
    now: Cell<u64>,
}

fn oauth_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("MCP_AUTH_MODE", "oauth"),
        ("OAUTH_UPSTREAM_ISSUER", IDP),
        ("OAUTH_UPSTREAM_CLIENT_ID", "gw"),
        ("OAUTH_UPSTREAM_CLIENT_SECRET", "gw-secret"),
        ("OAUTH_KV_KEY", "0123456789abcdef0123456789abcdef"),
    ]
}

fn world(vars: &[(&str, &str)]) -> World {
    let mut all = vec![("CAMUNDA_REST_ADDRESS", CLUSTER)];
    all.extend_from_slice(vars);
    let config = camunda_mcp_edge::config::Config::from_vars(|n| {
        all.iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    })
    .unwrap();
    World {
        app: App::new(config, camunda_mcp_edge::auth::signature::RustCrypto).unwrap(),
        net: Net::default(),
        kv: Kv::default(),
        now: Cell::new(NOW),
    }
}

fn request(method: &str, path_and_query: &str) -> Request {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (path_and_query, None),
    };
    Request {
        method: method.into(),
        origin: ORIGIN.into(),
        path: path.into(),
        query,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn form_body(pairs: &[(&str, &str)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

fn query_of(location: &str) -> HashMap<String, String> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn challenge(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()))
}

/// A hidden input's value in the consent page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

impl World {
    fn send(&self, req: Request) -> Response {
        let outside = Outside {
            client: &self.net,
            limits: &NoLimits,
            store: &self.kv,
        };
        pollster::block_on(
            self.app
                .serve(&req, req.body.as_slice(), &outside, self.now.get()),
        )
        .0
    }

    fn post_form(&self, path: &str, pairs: &[(&str, &str)], cookie: Option<&str>) -> Response {
        let mut req = request("POST", path);
        req.headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
        if let Some(c) = cookie {
            req.headers.push(("cookie".into(), c.into()));
        }
        req.body = form_body(pairs);
        self.send(req)
    }

    fn register(&self) -> String {
        let mut req = request("POST", "/register");
        req.body = json!({"redirect_uris": [REDIRECT], "client_name": "Test <b>client</b>"})
            .to_string()
            .into_bytes();
        let resp = self.send(req);
        assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
        body_json(&resp)["client_id"].as_str().unwrap().to_owned()
    }

    fn authorize_query(&self, client_id: &str, extra: &[(&str, &str)]) -> String {
        let c = challenge(VERIFIER);
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", c.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "st-1"),
            ("resource", "https://gw.test/mcp/cluster"),
        ];
        for (k, v) in extra {
            pairs.retain(|(n, _)| n != k);
            if !v.is_empty() {
                pairs.push((k, v));
            }
        }
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        format!("/authorize?{q}")
    }

    /// The consent page: (request id, csrf, cookie header).
    fn consent(&self, client_id: &str) -> (String, String, String) {
        let resp = self.send(request("GET", &self.authorize_query(client_id, &[])));
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        let html = String::from_utf8(resp.body.clone()).unwrap();
        let cookie = resp
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (hidden(&html, "request"), hidden(&html, "csrf"), cookie)
    }

    /// Approve, come back from the IdP: the client's redirect with our code.
    fn code(&self, client_id: &str) -> String {
        let (id, csrf, cookie) = self.consent(client_id);
        let resp = self.post_form(
            "/authorize",
            &[("request", &id), ("csrf", &csrf), ("decision", "approve")],
            Some(&cookie),
        );
        assert_eq!(resp.status, 303);
        let login = resp.header("location").unwrap();
        assert!(login.starts_with(&format!("{IDP}/authorize?")), "{login}");
        let q = query_of(login);
        assert_eq!(q["state"], id);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["redirect_uri"], "https://gw.test/oauth/callback");
        let mut back = request("GET", &format!("/oauth/callback?code=idp-code&state={id}"));
        back.headers.push(("cookie".into(), cookie));
        let resp = self.send(back);
        assert_eq!(resp.status, 302, "{}", String::from_utf8_lossy(&resp.body));
        let location = resp.header("location").unwrap();
        assert!(location.starts_with(REDIRECT), "{location}");
        let q = query_of(location);
        assert_eq!(q["state"], "st-1");
        assert_eq!(q["iss"], ORIGIN, "RFC 9207");
        q["code"].clone()
    }

    fn exchange(&self, client_id: &str, code: &str, verifier: &str) -> Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("client_id", client_id),
                ("code_verifier", verifier),
            ],
            None,
        )
    }

    fn tokens(&self, client_id: &str) -> (String, String) {
        let code = self.code(client_id);
        let resp = self.exchange(client_id, &code, VERIFIER);
        assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
        assert_eq!(resp.header("cache-control"), Some("no-store"));
        let v = body_json(&resp);
        (
            v["access_token"].as_str().unwrap().into(),
            v["refresh_token"].as_str().unwrap().into(),
        )
    }

    fn refresh(&self, client_id: &str, refresh: &str) -> Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", client_id),
            ],
            None,
        )
    }

    fn call(&self, token: &str, path: &str) -> Response {
        let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "getClusterStatus", "arguments": {}}});
        let mut req = post(&msg.to_string());
        req.path = path.into();
        req.headers
            .push(("authorization".into(), format!("Bearer {token}")));
        self.send(req)
    }
}

fn error_of(resp: &Response) -> String {
    body_json(resp)["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_person_signs_in_and_the_cluster_sees_their_own_token() {
    let w = world(&oauth_vars());
    let meta = w.send(request("GET", "/.well-known/oauth-authorization-server"));
    let meta = body_json(&meta);
    assert_eq!(meta["issuer"], ORIGIN);
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["client_id_metadata_document_supported"], true);
    let suffixed = w.send(request(
        "GET",
        "/.well-known/oauth-authorization-server/mcp/cluster",
    ));
    assert_eq!(body_json(&suffixed)["issuer"], ORIGIN);
    let prm = body_json(&w.send(request("GET", "/.well-known/oauth-protected-resource")));
    assert_eq!(prm["authorization_servers"], json!([ORIGIN]));

    // Without a token: the challenge points at the metadata.
    let resp = w.send(post(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#));
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .contains("resource_metadata="));

    let client = w.register();
    let (access, _) = w.tokens(&client);
    let resp = w.call(&access, "/mcp/cluster");
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let calls = w.net.cluster_calls();
    assert_eq!(calls.len(), 1);
    let auth = calls[0]
        .headers
        .iter()
        .find(|(k, _)| *k == "authorization")
        .unwrap();
    assert_eq!(
        auth.1, "Bearer person-at-1",
        "the person's token, never the gateway's"
    );
    // The IdP got our PKCE verifier and secret; the code came with the callback.
    let idp_token = w
        .net
        .seen
        .borrow()
        .iter()
        .find(|r| r.url == format!("{IDP}/token"))
        .cloned()
        .unwrap();
    let form = Net::form(&idp_token);
    assert_eq!(form["client_secret"], "gw-secret");
    assert!(form["code_verifier"].len() >= 43);
    // Records are sealed: no token or name is readable in KV.
    for (k, v) in w.kv.0.borrow().iter() {
        let text = String::from_utf8_lossy(v);
        assert!(
            !text.contains("person-at-1") && !text.contains("ada-7"),
            "{k} is readable"
        );
    }
}

#[test]
fn a_client_identified_by_its_metadata_document_signs_in() {
    let w = world(&oauth_vars());
    let url = "https://app.example/oauth/client.json";
    w.net.documents.borrow_mut().insert(
        url.into(),
        (
            200,
            json!({"client_id": url, "client_name": "Doc client", "redirect_uris": [REDIRECT]})
                .to_string(),
        ),
    );
    let (access, _) = w.tokens(url);
    assert_eq!(w.call(&access, "/mcp/cluster").status, 200);
}

#[test]
fn person_tokens_are_refreshed_before_they_expire_and_a_refused_refresh_ends_the_grant() {
    let w = world(&oauth_vars());
    w.net.person_expires_in.set(120);
    let client = w.register();
    let (access, _) = w.tokens(&client);
    w.now.set(NOW + 90); // within a minute of the IdP token's expiry
    assert_eq!(w.call(&access, "/mcp/cluster").status, 200);
    let calls = w.net.cluster_calls();
    assert_eq!(
        calls[0]
            .headers
            .iter()
            .find(|(k, _)| *k == "authorization")
            .unwrap()
            .1,
        "Bearer person-at-2"
    );

    let (access, _) = {
        w.net.person_expires_in.set(120);
        w.now.set(NOW);
        w.tokens(&client)
    };
    w.net.refresh_refused.set(true);
    w.now.set(NOW + 90);
    let before = w.net.cluster_calls().len();
    let resp = w.call(&access, "/mcp/cluster");
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .contains("sign in again"));
    assert_eq!(w.net.cluster_calls().len(), before);
}

/// Every attack of the issue, each refused at the edge with nothing sent to the cluster.
#[test]
fn attacks_are_refused_at_the_edge() {
    let mut vars = oauth_vars();
    // A second MCP endpoint, so that a token can be tried at a resource it was not minted for.
    vars.extend([("MCP_PROCESSES", "true"), ("CAMUNDA_API_VERSION", "8.10")]);
    let w = world(&vars);
    let client = w.register();
    let page = |resp: &Response| String::from_utf8_lossy(&resp.body).into_owned();

    // Redirect URI: mismatch, prefix, open redirect: an error page, never a redirect.
    for bad in [
        "http://127.0.0.1:9999/cb/extra",
        "http://127.0.0.1:9999/c",
        "https://evil.example/cb",
        "http://127.0.0.1:9999/cb?x=1",
    ] {
        let resp = w.send(request(
            "GET",
            &w.authorize_query(&client, &[("redirect_uri", bad)]),
        ));
        assert_eq!(resp.status, 400, "{bad}");
        assert!(resp.header("location").is_none(), "{bad}");
        assert!(page(&resp).contains("redirect_uri"), "{bad}");
    }
    // PKCE missing or plain: back to the client with invalid_request.
    for extra in [
        vec![("code_challenge", "")],
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
    ] {
        let resp = w.send(request("GET", &w.authorize_query(&client, &extra)));
        assert_eq!(resp.status, 302, "{extra:?}");
        let q = query_of(resp.header("location").unwrap());
        assert_eq!(q["error"], "invalid_request", "{extra:?}");
        assert_eq!(q["state"], "st-1");
    }
    // A resource that is not ours.
    let resp = w.send(request(
        "GET",
        &w.authorize_query(&client, &[("resource", "https://other.example/mcp")]),
    ));
    assert_eq!(
        query_of(resp.header("location").unwrap())["error"],
        "invalid_target"
    );

    // Consent form without its CSRF token, with a wrong one, or from another browser.
    let (id, csrf, cookie) = w.consent(&client);
    for (fields, cookie) in [
        (
            vec![("request", id.as_str()), ("decision", "approve")],
            Some(cookie.as_str()),
        ),
        (
            vec![
                ("request", id.as_str()),
                ("csrf", "0000"),
                ("decision", "approve"),
            ],
            Some(cookie.as_str()),
        ),
        (
            vec![
                ("request", id.as_str()),
                ("csrf", csrf.as_str()),
                ("decision", "approve"),
            ],
            None,
        ),
    ] {
        let resp = w.post_form("/authorize", &fields, cookie);
        assert_eq!(resp.status, 403, "{fields:?}");
        assert!(resp.header("location").is_none());
    }
    // The callback without the browser's cookie.
    let resp = w.send(request(
        "GET",
        &format!("/oauth/callback?code=x&state={id}"),
    ));
    assert_eq!(resp.status, 403);

    // Wrong PKCE verifier, then the right one: the code still works once.
    let code = w.code(&client);
    let resp = w.exchange(
        &client,
        &code,
        "a-wrong-verifier-of-forty-three-characters-xx",
    );
    assert_eq!(
        (resp.status, error_of(&resp)),
        (400, "invalid_grant".into())
    );
    let resp = w.exchange(&client, &code, VERIFIER);
    assert_eq!(resp.status, 200);
    let access = body_json(&resp)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Code replay: refused, and the grant it made is revoked.
    let resp = w.exchange(&client, &code, VERIFIER);
    assert_eq!(error_of(&resp), "invalid_grant");
    assert_eq!(w.call(&access, "/mcp/cluster").status, 401);
    // A code for another client.
    let other = w.register();
    let code = w.code(&client);
    assert_eq!(
        error_of(&w.exchange(&other, &code, VERIFIER)),
        "invalid_grant"
    );

    // Refresh-token replay after rotation revokes the grant.
    let (access, refresh) = w.tokens(&client);
    let resp = w.refresh(&client, &refresh);
    assert_eq!(resp.status, 200);
    let v = body_json(&resp);
    let (access2, refresh2) = (
        v["access_token"].as_str().unwrap().to_owned(),
        v["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        w.call(&access, "/mcp/cluster").status,
        401,
        "the old access token stops"
    );
    assert_eq!(w.call(&access2, "/mcp/cluster").status, 200);
    assert_eq!(error_of(&w.refresh(&client, &refresh)), "invalid_grant");
    assert_eq!(
        w.call(&access2, "/mcp/cluster").status,
        401,
        "replay revoked the grant"
    );
    assert_eq!(error_of(&w.refresh(&client, &refresh2)), "invalid_grant");

    // A token minted for another resource.
    let calls = w.net.cluster_calls().len();
    let (access, refresh) = w.tokens(&client);
    let resp = w.call(&access, "/mcp/processes");
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .contains("another resource"));
    // Expired.
    w.now.set(NOW + 901);
    let resp = w.call(&access, "/mcp/cluster");
    assert_eq!(resp.status, 401);
    assert!(resp.header("www-authenticate").unwrap().contains("expired"));
    w.now.set(NOW);
    // Revoked (RFC 7009): the refresh token ends the grant and its access token.
    assert_eq!(
        w.post_form(
            "/revoke",
            &[("token", &refresh), ("client_id", &client)],
            None
        )
        .status,
        200
    );
    assert_eq!(w.call(&access, "/mcp/cluster").status, 401);
    // Forged tokens of the right shape.
    let forged = format!("{}.{}", "a".repeat(32), "b".repeat(64));
    assert_eq!(w.call(&forged, "/mcp/cluster").status, 401);
    assert_eq!(
        w.net.cluster_calls().len(),
        calls,
        "no attack reached the cluster"
    );

    // A tampered KV record fails closed.
    let (access, _) = w.tokens(&client);
    w.kv.tamper("access:");
    let resp = w.call(&access, "/mcp/cluster");
    assert_eq!(resp.status, 401);
    assert!(resp
        .header("www-authenticate")
        .unwrap()
        .contains("integrity"));
    let code = w.code(&client);
    w.kv.tamper("grant:");
    assert_eq!(
        error_of(&w.exchange(&client, &code, VERIFIER)),
        "invalid_grant"
    );
    assert_eq!(w.net.cluster_calls().len(), calls);
}

#[test]
fn client_metadata_documents_are_fetched_with_guards() {
    let w = world(&oauth_vars());
    let docs = [
        // client_id differs from its URL
        ("https://app.example/a.json", 200, json!({"client_id": "https://evil.example/a.json", "redirect_uris": [REDIRECT]}).to_string()),
        // oversized
        ("https://app.example/big.json", 200, json!({"client_id": "https://app.example/big.json", "redirect_uris": [REDIRECT], "pad": "x".repeat(6000)}).to_string()),
        ("https://app.example/secret.json", 200, json!({"client_id": "https://app.example/secret.json", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}).to_string()),
        ("https://app.example/moved.json", 302, String::new()),
    ];
    for (url, status, body) in &docs {
        w.net
            .documents
            .borrow_mut()
            .insert((*url).into(), (*status, body.clone()));
    }
    for url in docs.iter().map(|d| d.0).chain([
        "https://app.example/slow.json",
        "https://10.0.0.7/client.json",
        "https://169.254.169.254/latest/meta-data",
        "http://app.example/c.json",
        "https://127.0.0.1/c.json",
    ]) {
        let resp = w.send(request("GET", &w.authorize_query(url, &[])));
        assert_eq!(resp.status, 400, "{url}");
        assert!(
            String::from_utf8_lossy(&resp.body).contains("metadata document refused"),
            "{url}"
        );
    }
    // The oversized one was cut off while reading (5 KiB cap), the private ones never fetched.
    let fetched: Vec<String> = w.net.seen.borrow().iter().map(|r| r.url.clone()).collect();
    assert!(!fetched
        .iter()
        .any(|u| u.contains("10.0.0.7") || u.contains("169.254") || u.contains("127.0.0.1")));
    assert!(w
        .net
        .seen
        .borrow()
        .iter()
        .all(|r| r.max_bytes <= 5 * 1024 && r.timeout_ms <= 5_000));
}

#[test]
fn registration_checks_redirect_uris() {
    let w = world(&oauth_vars());
    for bad in [
        json!({"redirect_uris": ["http://evil.example/cb"]}),
        json!({"redirect_uris": []}),
        json!({"redirect_uris": ["javascript:alert(1)"]}),
        json!({}),
    ] {
        let mut req = request("POST", "/register");
        req.body = bad.to_string().into_bytes();
        let resp = w.send(req);
        assert_eq!(resp.status, 400, "{bad}");
    }
}

fn machine_world() -> World {
    world(&[
        ("MCP_AUTH_MODE", "none"),
        ("CAMUNDA_UPSTREAM_AUTH", "client-credentials"),
        ("CAMUNDA_CLIENT_ID", "gateway"),
        ("CAMUNDA_CLIENT_SECRET", "s3cret"),
        ("CAMUNDA_OAUTH_URL", "https://idp.test/token"),
        ("CAMUNDA_TOKEN_AUDIENCE", "orchestration-api"),
    ])
}

async fn machine_call(w: &World) -> Response {
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "getClusterStatus", "arguments": {}}});
    let req = post(&msg.to_string());
    let outside = Outside {
        client: &w.net,
        limits: &NoLimits,
        store: &w.kv,
    };
    w.app
        .serve(&req, req.body.as_slice(), &outside, w.now.get())
        .await
        .0
}

#[test]
fn client_credentials_one_fetch_for_many_calls_renewal_and_idp_down() {
    let w = machine_world();
    // 100 calls at once: one token fetch.
    let calls: Vec<_> = (0..100).map(|_| Box::pin(machine_call(&w))).collect();
    let results = pollster::block_on(join_all(calls));
    assert!(results.iter().all(|r| r.status == 200));
    assert_eq!(w.net.machine_fetches.get(), 1);
    let sent = w.net.cluster_calls();
    assert_eq!(sent.len(), 100);
    assert!(sent.iter().all(|r| r
        .headers
        .iter()
        .any(|(k, v)| *k == "authorization" && v == "Bearer machine-1")));
    let form = Net::form(
        w.net
            .seen
            .borrow()
            .iter()
            .find(|r| r.url.ends_with("/token"))
            .unwrap(),
    );
    assert_eq!(
        (form["client_id"].as_str(), form["audience"].as_str()),
        ("gateway", "orchestration-api")
    );
    // Expiry: renewed shortly before (600 s token, renewed after 540 s).
    w.now.set(NOW + 541);
    pollster::block_on(machine_call(&w));
    assert_eq!(w.net.machine_fetches.get(), 2);
    // IdP down: a tool error that says so, nothing sent to the cluster.
    w.now.set(NOW + 2000);
    w.net.idp_down.set(true);
    let before = w.net.cluster_calls().len();
    let resp = pollster::block_on(machine_call(&w));
    let v = body_json(&resp);
    assert_eq!(v["result"]["isError"], true, "{v}");
    assert!(v.to_string().contains("could not get its own token"), "{v}");
    assert_eq!(w.net.cluster_calls().len(), before);
    // The caller's own Authorization never goes upstream in this mode.
    w.net.idp_down.set(false);
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "getClusterStatus", "arguments": {}}});
    let mut req = post(&msg.to_string());
    req.headers
        .push(("authorization".into(), "Bearer callers-own".into()));
    w.send(req);
    let last = w.net.cluster_calls().pop().unwrap();
    assert!(!last.headers.iter().any(|(_, v)| v.contains("callers-own")));
}

/// Polls every future until all are done (the core needs no futures crate; neither do tests).
async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (f, o) in futures.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                if let std::task::Poll::Ready(v) = std::pin::Pin::new(f).poll(cx) {
                    *o = Some(v);
                }
            }
        }
        if out.iter().all(Option::is_some) {
            std::task::Poll::Ready(out.iter_mut().map(|o| o.take().unwrap()).collect())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

#[test]
fn settings_are_checked() {
    let cfg = |vars: &[(&str, &str)]| {
        camunda_mcp_edge::config::Config::from_vars(|n| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
    };
    let mut short_key = oauth_vars();
    short_key.retain(|(k, _)| *k != "OAUTH_KV_KEY");
    short_key.push(("OAUTH_KV_KEY", "short"));
    assert_eq!(cfg(&short_key).unwrap_err().name, "OAUTH_KV_KEY");
    let mut forward = oauth_vars();
    forward.push(("CAMUNDA_UPSTREAM_AUTH", "forward"));
    assert_eq!(cfg(&forward).unwrap_err().name, "CAMUNDA_UPSTREAM_AUTH");
    let oidc = [
        ("MCP_AUTH_MODE", "oidc"),
        ("OIDC_ISSUERS", "https://idp.test"),
        ("OIDC_AUDIENCES", "gw"),
    ];
    assert_eq!(
        cfg(&oidc).unwrap_err().name,
        "CAMUNDA_UPSTREAM_AUTH",
        "the choice is explicit"
    );
    let cc = [
        ("CAMUNDA_UPSTREAM_AUTH", "client-credentials"),
        ("CAMUNDA_CLIENT_ID", "x"),
    ];
    assert_eq!(cfg(&cc).unwrap_err().name, "CAMUNDA_OAUTH_URL");
    let secret = format!("{:?}", cfg(&oauth_vars()).unwrap());
    assert!(
        !secret.contains("gw-secret") && !secret.contains("0123456789abcdef"),
        "secrets stay out of Debug"
    );
}
