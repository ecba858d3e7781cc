//! The authorization server (`MCP_AUTH_MODE=oauth`) and client-credentials mode, natively:
//! the whole sign-in with a scripted IdP, and every attack refused with nothing sent upstream.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use base64ct::{Base64UrlUnpadded, Encoding};
use camunda_mcp_edge::app::Outside;
use camunda_mcp_edge::auth::oauth::grant::{ObjectIo, Op, Reply};
use camunda_mcp_edge::http::{FetchError, Request, Response, UpstreamRequest, UpstreamResponse};
use camunda_mcp_edge::ports::HttpClient;
use camunda_mcp_edge::ports::NoLimits;
use camunda_mcp_edge::ports::Store;
use camunda_mcp_edge::ports::{Grants, ObjectStore};
use common::{body_json, post, yield_now, App, Counting, NOW};
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
    /// The IdP answers refreshes with 503 `temporarily_unavailable` (overloaded, not a verdict).
    refresh_overloaded: Rc<Cell<bool>>,
    /// The IdP rotates refresh tokens strictly: each refresh answers a new one and refuses
    /// the one it was given ever after. Counts refreshes.
    rotations: Rc<Cell<u32>>,
    person_expires_in: Rc<Cell<u64>>,
    /// The `nonce` of the last login the gateway sent to the IdP, echoed in its ID token.
    nonce: Rc<RefCell<String>>,
    machine_fetches: Rc<Cell<u32>>,
}

fn answer(status: u16, body: Value) -> Result<UpstreamResponse, FetchError> {
    Ok(UpstreamResponse {
        status,
        content_type: Some("application/json".into()),
        cache_control: None,
        body: body.to_string().into_bytes(),
        compacted: None,
        placement: None,
    })
}

fn id_token(sub: &str, nonce: &str) -> String {
    let b = |v: Value| Base64UrlUnpadded::encode_string(v.to_string().as_bytes());
    let claims = json!({"iss": IDP, "aud": "gw", "sub": sub, "exp": NOW + 300, "preferred_username": "ada", "nonce": nonce});
    format!("{}.{}.sig", b(json!({"alg": "RS256"})), b(claims))
}

impl Net {
    /// How often the IdP was told a person's refresh token is no longer wanted.
    fn revocations(&self) -> usize {
        let revoke = format!("{IDP}/revoke");
        self.seen
            .borrow()
            .iter()
            .filter(|r| r.url == revoke)
            .count()
    }

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
        yield_now().await;
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
                    json!({"access_token": "person-at-1", "refresh_token": "person-rt", "expires_in": expires, "id_token": id_token("ada-7", &self.nonce.borrow())}),
                ),
                "refresh_token" if self.refresh_overloaded.get() => {
                    answer(503, json!({"error": "temporarily_unavailable"}))
                }
                "refresh_token" if self.refresh_refused.get() => answer(
                    400,
                    json!({"error": "invalid_grant", "error_description": "session ended"}),
                ),
                "refresh_token" => {
                    let n = self.rotations.get();
                    let current = if n == 0 {
                        "person-rt".to_owned()
                    } else {
                        format!("person-rt-{n}")
                    };
                    if form["refresh_token"] != current {
                        return answer(
                            400,
                            json!({"error": "invalid_grant", "error_description": "rotated"}),
                        );
                    }
                    self.rotations.set(n + 1);
                    answer(
                        200,
                        json!({"access_token": format!("person-at-{}", n + 2), "refresh_token": format!("person-rt-{}", n + 1), "expires_in": 3600}),
                    )
                }
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
                placement: None,
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

/// Workers KV as a map; `tamper` flips a byte of every record stored under a prefix;
/// `failing` makes every write fail (storage down in the middle of a step).
#[derive(Default)]
struct Kv {
    map: RefCell<HashMap<String, Vec<u8>>>,
    failing: Rc<Cell<bool>>,
}

impl Store for Kv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.map.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: Vec<u8>, _ttl_s: u64) -> Result<(), String> {
        if self.failing.get() {
            return Err("storage is down".into());
        }
        self.map.borrow_mut().insert(key.into(), value);
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), String> {
        if self.failing.get() {
            return Err("storage is down".into());
        }
        self.map.borrow_mut().remove(key);
        Ok(())
    }
}

impl Kv {
    fn tamper(&self, prefix: &str) {
        for (k, v) in self.map.borrow_mut().iter_mut() {
            if k.starts_with(prefix) {
                let last = v.len() - 1;
                v[last] ^= 1;
            }
        }
    }
}

/// One grant's Durable Object: its storage, its alarm, and whether a step is running.
#[derive(Default)]
struct Object {
    storage: Kv,
    alarm: Cell<Option<u64>>,
    busy: Cell<bool>,
}

impl Store for Object {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        yield_now().await;
        self.storage.get(key).await
    }
    async fn put(&self, key: &str, value: Vec<u8>, ttl_s: u64) -> Result<(), String> {
        yield_now().await;
        self.storage.put(key, value, ttl_s).await
    }
    async fn delete(&self, key: &str) -> Result<(), String> {
        yield_now().await;
        self.storage.delete(key).await
    }
}

impl ObjectStore for Object {
    async fn alarm(&self, at_s: Option<u64>) -> Result<(), String> {
        yield_now().await;
        if self.storage.failing.get() {
            return Err("storage is down".into());
        }
        self.alarm.set(at_s);
        Ok(())
    }
}

/// The grant objects as the Worker has them: one per grant id, each running one step at a
/// time to its end (as `blockConcurrencyWhile` does), steps and answers crossing as JSON.
struct Objects {
    app: Rc<App>,
    net: Net,
    now: Rc<Cell<u64>>,
    map: RefCell<HashMap<String, Rc<Object>>>,
    /// Every object's writes fail while set.
    failing: Rc<Cell<bool>>,
}

impl Objects {
    fn object(&self, grant: &str) -> Rc<Object> {
        let mut map = self.map.borrow_mut();
        let object = map.entry(grant.into()).or_insert_with(|| {
            Rc::new(Object {
                storage: Kv {
                    failing: self.failing.clone(),
                    ..Kv::default()
                },
                ..Object::default()
            })
        });
        object.clone()
    }

    /// Runs every alarm that is due, as the runtime does.
    fn fire_alarms(&self) {
        let (server, sealer) = self.app.auth_server().unwrap();
        let objects: Vec<Rc<Object>> = self.map.borrow().values().cloned().collect();
        for object in objects {
            if object.alarm.get().is_some_and(|at| at <= self.now.get()) {
                let io = ObjectIo {
                    client: &self.net,
                    storage: object.as_ref(),
                    sealer,
                };
                pollster::block_on(server.steps().grant_alarm(&io, self.now.get())).unwrap();
            }
        }
    }

    /// Every record of every object, as stored.
    fn records(&self) -> Vec<Vec<u8>> {
        let map = self.map.borrow();
        map.values()
            .flat_map(|o| o.storage.map.borrow().values().cloned().collect::<Vec<_>>())
            .collect()
    }
}

impl Grants<Op, Reply> for Objects {
    async fn call(&self, grant: &str, op: &Op) -> Result<Reply, String> {
        let op: Op = serde_json::from_str(&serde_json::to_string(op).unwrap()).unwrap();
        let object = self.object(grant);
        let (server, sealer) = self.app.auth_server().unwrap();
        // A tool call that changes nothing is answered without the turn, as the Worker does.
        let io = ObjectIo {
            client: &self.net,
            storage: object.as_ref(),
            sealer,
        };
        if let Some(reply) = server.steps().grant_glance(&op, &io, self.now.get()).await {
            return Ok(reply);
        }
        for _ in 0..100_000 {
            if !object.busy.get() {
                break;
            }
            self.net.pause(1).await;
        }
        assert!(!object.busy.get(), "a step never ended");
        object.busy.set(true);
        let reply = server
            .steps()
            .grant_step(grant, &op, &io, self.now.get())
            .await;
        object.busy.set(false);
        Ok(serde_json::from_str(&serde_json::to_string(&reply).unwrap()).unwrap())
    }
}

/// The authorization server's storage: KV for registrations, objects for grants.
struct Records {
    kv: Kv,
    objects: Objects,
}

impl Store for Records {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.kv.get(key).await
    }
    async fn put(&self, key: &str, value: Vec<u8>, ttl_s: u64) -> Result<(), String> {
        self.kv.put(key, value, ttl_s).await
    }
    async fn delete(&self, key: &str) -> Result<(), String> {
        self.kv.delete(key).await
    }
}

impl Grants<Op, Reply> for Records {
    async fn call(&self, grant: &str, op: &Op) -> Result<Reply, String> {
        self.objects.call(grant, op).await
    }
}

struct World {
    app: Rc<App>,
    net: Net,
    records: Records,
    now: Rc<Cell<u64>>,
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
    let app = Rc::new(App::new(config, camunda_mcp_edge::auth::signature::RustCrypto).unwrap());
    let net = Net::default();
    let now = Rc::new(Cell::new(NOW));
    let objects = Objects {
        app: app.clone(),
        net: net.clone(),
        now: now.clone(),
        map: RefCell::default(),
        failing: Rc::default(),
    };
    World {
        app,
        net,
        records: Records {
            kv: Kv::default(),
            objects,
        },
        now,
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
        pollster::block_on(self.serve(req))
    }

    /// One request, to run beside others.
    async fn serve(&self, req: Request) -> Response {
        let outside = Outside {
            client: &self.net,
            limiters: &NoLimits,
            store: &self.records,
        };
        self.app
            .serve(&req, req.body.as_slice(), &outside, self.now.get())
            .await
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

    /// The consent page: (sealed consent, csrf, cookie header).
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
        (hidden(&html, "consent"), hidden(&html, "csrf"), cookie)
    }

    /// Approve: the sign-in's grant id (the IdP's `state`) and the browser's cookie.
    fn approve(&self, client_id: &str) -> (String, String) {
        let (consent, csrf, cookie) = self.consent(client_id);
        let resp = self.post_form(
            "/authorize",
            &[
                ("consent", &consent),
                ("csrf", &csrf),
                ("decision", "approve"),
            ],
            Some(&cookie),
        );
        assert_eq!(resp.status, 303, "{}", String::from_utf8_lossy(&resp.body));
        let login = resp.header("location").unwrap();
        assert!(login.starts_with(&format!("{IDP}/authorize?")), "{login}");
        let q = query_of(login);
        *self.net.nonce.borrow_mut() = q["nonce"].clone();
        assert!(cookie.starts_with(&format!("__Host-mcp_login_{}=", &q["state"][..16])));
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["redirect_uri"], "https://gw.test/oauth/callback");
        (q["state"].clone(), cookie)
    }

    /// The person back from the IdP with `cookie` (None: another browser).
    fn come_back(&self, grant: &str, cookie: Option<&str>) -> Response {
        let mut back = request(
            "GET",
            &format!("/oauth/callback?code=idp-code&state={grant}"),
        );
        if let Some(cookie) = cookie {
            back.headers.push(("cookie".into(), cookie.into()));
        }
        self.send(back)
    }

    /// Approve, come back from the IdP: the client's redirect with our code.
    fn code(&self, client_id: &str) -> String {
        let (grant, cookie) = self.approve(client_id);
        let resp = self.come_back(&grant, Some(&cookie));
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
    // Records are sealed: no token or name is readable in KV or in the grant's object.
    let kv = w.records.kv.map.borrow();
    for v in kv.values().chain(&w.records.objects.records()) {
        let text = String::from_utf8_lossy(v);
        assert!(
            !text.contains("person-at-1") && !text.contains("ada-7") && !text.contains("Test"),
            "a record is readable"
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
#[allow(clippy::too_many_lines)] // a table of attacks, one row each
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
    // PKCE missing or plain, a foreign resource, a huge state: a page naming the client, never
    // a redirect before the person has seen the consent page (RFC 9700 §4.11.2).
    for extra in [
        vec![("code_challenge", "")],
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
        vec![("response_type", "token")],
        vec![("resource", "https://other.example/mcp")],
        vec![("state", &*"s".repeat(1025))],
    ] {
        let resp = w.send(request("GET", &w.authorize_query(&client, &extra)));
        assert_eq!(resp.status, 400, "{extra:?}");
        assert!(resp.header("location").is_none(), "{extra:?}");
        assert!(page(&resp).contains("Test &lt;b&gt;client"), "{extra:?}");
        assert!(page(&resp).contains("unverified"), "{extra:?}");
    }

    // Consent form without its CSRF token, with a wrong one, from another browser, or posted
    // from another site.
    let (consent, csrf, cookie) = w.consent(&client);
    for (fields, cookie) in [
        (
            vec![("consent", consent.as_str()), ("decision", "approve")],
            Some(cookie.as_str()),
        ),
        (
            vec![
                ("consent", consent.as_str()),
                ("csrf", "0000"),
                ("decision", "approve"),
            ],
            Some(cookie.as_str()),
        ),
        (
            vec![
                ("consent", consent.as_str()),
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
    for site in ["cross-site", "same-site"] {
        let mut req = request("POST", "/authorize");
        req.headers.push(("cookie".into(), cookie.clone()));
        req.headers.push(("sec-fetch-site".into(), site.into()));
        req.body = form_body(&[
            ("consent", &consent),
            ("csrf", &csrf),
            ("decision", "approve"),
        ]);
        let resp = w.send(req);
        assert_eq!(resp.status, 403, "{site}");
        assert!(resp.header("location").is_none());
    }
    // A tampered consent does not open.
    let mut bent = consent.clone().into_bytes();
    bent[10] = if bent[10] == b'A' { b'B' } else { b'A' };
    let bent = String::from_utf8(bent).unwrap();
    let resp = w.post_form(
        "/authorize",
        &[("consent", &bent), ("csrf", &csrf), ("decision", "approve")],
        Some(&cookie),
    );
    assert_eq!(resp.status, 400);
    // The callback without the browser's cookie, or with another's: refused, and the sign-in
    // is not used up by it.
    let (grant, cookie) = w.approve(&client);
    assert_eq!(w.come_back(&grant, None).status, 403);
    let other = format!("{}=0123", cookie.split('=').next().unwrap());
    assert_eq!(w.come_back(&grant, Some(&other)).status, 403);
    assert_eq!(w.come_back(&grant, Some(&cookie)).status, 302);
    // One use: the same callback again finds nothing.
    assert_eq!(w.come_back(&grant, Some(&cookie)).status, 400);

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
    // Code replay by someone without the verifier: refused, the grant untouched.
    let resp = w.exchange(
        &client,
        &code,
        "a-wrong-verifier-of-forty-three-characters-xx",
    );
    assert_eq!(error_of(&resp), "invalid_grant");
    assert_eq!(w.call(&access, "/mcp/cluster").status, 200);
    // Code replay with the verifier: refused, and the grant it made is revoked.
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

    // A tampered grant record fails closed: nothing is admitted or issued.
    let (access, _) = w.tokens(&client);
    let code = w.code(&client);
    for object in w.records.objects.map.borrow().values() {
        object.storage.tamper("grant");
    }
    assert_eq!(w.call(&access, "/mcp/cluster").status, 503);
    let resp = w.exchange(&client, &code, VERIFIER);
    assert_eq!(error_of(&resp), "temporarily_unavailable");
    assert!(
        !resp.body.windows(9).any(|b| b == b"integrity"),
        "details stay in the log"
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
        let page = String::from_utf8_lossy(&resp.body);
        assert!(
            page.contains("metadata document refused") || page.contains("could not be fetched"),
            "{url}: {page}"
        );
        // What the runtime said about a fetch stays in the log: no probing through the page.
        assert!(
            !page.contains("bytes") && !page.contains(" ms"),
            "{url}: {page}"
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
    w.serve(req).await
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
    let cfg = common::config_of;
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

/// Runs requests side by side, as parallel requests reach the gateway.
fn all_at_once(w: &World, reqs: Vec<Request>) -> Vec<Response> {
    let futures: Vec<_> = reqs.into_iter().map(|r| Box::pin(w.serve(r))).collect();
    pollster::block_on(join_all(futures))
}

fn refresh_request(client: &str, refresh: &str) -> Request {
    let mut req = request("POST", "/token");
    req.body = form_body(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", client),
    ]);
    req
}

fn call_request(token: &str) -> Request {
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "getClusterStatus", "arguments": {}}});
    let mut req = post(&msg.to_string());
    req.headers
        .push(("authorization".into(), format!("Bearer {token}")));
    req
}

fn person_token_of(call: &UpstreamRequest) -> String {
    call.headers
        .iter()
        .find(|(k, _)| *k == "authorization")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

#[test]
fn parallel_refreshes_with_one_token_one_wins_and_the_reuse_rule_ends_the_grant() {
    let w = world(&oauth_vars());
    let client = w.register();
    let (access, refresh) = w.tokens(&client);
    let answers = all_at_once(
        &w,
        (0..8).map(|_| refresh_request(&client, &refresh)).collect(),
    );
    let won: Vec<&Response> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "exactly one refresh wins");
    assert!(answers
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| error_of(r) == "invalid_grant"));
    // The others presented a retired token: reuse, so every token of the grant is dead.
    let new_access = body_json(won[0])["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_refresh = body_json(won[0])["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for token in [&access, &new_access] {
        assert_eq!(w.call(token, "/mcp/cluster").status, 401);
    }
    assert_eq!(error_of(&w.refresh(&client, &new_refresh)), "invalid_grant");
    assert!(w.net.cluster_calls().is_empty());
    // The person's IdP refresh token was revoked at the IdP when the grant ended.
    assert!(w.net.revocations() > 0);
}

#[test]
fn parallel_redemptions_of_one_code_issue_tokens_once() {
    let w = world(&oauth_vars());
    let client = w.register();
    let code = w.code(&client);
    let reqs = (0..8)
        .map(|_| {
            let mut req = request("POST", "/token");
            req.body = form_body(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", &client),
                ("code_verifier", VERIFIER),
            ]);
            req
        })
        .collect();
    let answers = all_at_once(&w, reqs);
    let won: Vec<&Response> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "a code is redeemed at most once");
    // Replays carried the verifier: the grant they would have made twice is revoked.
    let access = body_json(won[0])["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(w.call(&access, "/mcp/cluster").status, 401);
}

#[test]
fn one_idp_refresh_per_grant_for_every_isolate_even_racing_a_rotation() {
    let w = world(&oauth_vars());
    w.net.person_expires_in.set(120);
    let client = w.register();
    let (access, refresh) = w.tokens(&client);
    // A second isolate: its own app (own caches), the same grant objects.
    let other = World {
        app: Rc::new(
            App::new(
                camunda_mcp_edge::config::Config::from_vars(|n| {
                    let mut all = vec![("CAMUNDA_REST_ADDRESS", CLUSTER)];
                    all.extend(oauth_vars());
                    all.iter()
                        .find(|(k, _)| *k == n)
                        .map(|(_, v)| v.to_string())
                })
                .unwrap(),
                camunda_mcp_edge::auth::signature::RustCrypto,
            )
            .unwrap(),
        ),
        net: w.net.clone(),
        records: Records {
            kv: Kv::default(),
            objects: Objects {
                app: w.records.objects.app.clone(),
                net: w.net.clone(),
                now: w.now.clone(),
                map: RefCell::default(),
                failing: Rc::default(),
            },
        },
        now: w.now.clone(),
    };
    // Share the objects themselves: both isolates reach the same grant.
    *other.records.objects.map.borrow_mut() = w.records.objects.map.borrow().clone();
    w.now.set(NOW + 90); // the person's IdP token is due
                         // Ten calls at once through both isolates: one IdP refresh for all of them.
    let calls: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Response>>>> = (0..10)
        .map(|i| {
            let side = if i % 2 == 0 { &w } else { &other };
            Box::pin(side.serve(call_request(&access)))
                as std::pin::Pin<Box<dyn std::future::Future<Output = Response>>>
        })
        .collect();
    let answers = pollster::block_on(join_all(calls));
    assert!(answers.iter().all(|r| r.status == 200));
    assert_eq!(w.net.rotations.get(), 1, "one IdP refresh for the grant");
    // Due again, and now racing a rotation of the client's refresh token.
    w.now.set(NOW + 3600 + 60);
    let (access, refresh) = {
        let r = body_json(&w.refresh(&client, &refresh));
        (
            r["access_token"].as_str().unwrap().to_owned(),
            r["refresh_token"].as_str().unwrap().to_owned(),
        )
    };
    let mut futures: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Response>>>> =
        Vec::new();
    for i in 0..6 {
        let side = if i % 2 == 0 { &w } else { &other };
        futures.push(Box::pin(side.serve(call_request(&access))));
    }
    futures.push(Box::pin(w.serve(refresh_request(&client, &refresh))));
    let answers = pollster::block_on(join_all(futures));
    assert_eq!(
        answers.last().unwrap().status,
        200,
        "the rotation went through"
    );
    // A call the object took after the rotation holds a retired access token (401).
    assert!(answers[..6]
        .iter()
        .all(|r| r.status == 200 || r.status == 401));
    // The rotation's tokens and the person's refreshed token live side by side.
    let rotated = body_json(answers.last().unwrap());
    let new_access = rotated["access_token"].as_str().unwrap();
    let new_refresh = rotated["refresh_token"].as_str().unwrap();
    assert_eq!(w.call(new_access, "/mcp/cluster").status, 200);
    assert_eq!(
        w.net.rotations.get(),
        2,
        "one more IdP refresh, before or after the rotation"
    );
    let last = w.net.cluster_calls().pop().unwrap();
    assert_eq!(person_token_of(&last), "Bearer person-at-3");
    // The second IdP refresh presented the IdP's rotated refresh token (a strictly rotating
    // IdP refuses any other), so the rotation of ours kept the object's refreshed person.
    assert_eq!(
        w.refresh(&client, new_refresh).status,
        200,
        "the client's new refresh token works"
    );
}

#[test]
fn a_failed_write_leaves_the_grant_as_it_was() {
    let w = world(&oauth_vars());
    let client = w.register();
    let (access, refresh) = w.tokens(&client);
    w.records.objects.failing.set(true);
    let resp = w.refresh(&client, &refresh);
    assert_eq!(
        (resp.status, error_of(&resp)),
        (503, "temporarily_unavailable".into())
    );
    // Revocation that cannot be stored is not claimed.
    let resp = w.post_form("/revoke", &[("token", &refresh)], None);
    assert_eq!(resp.status, 503);
    w.records.objects.failing.set(false);
    assert_eq!(
        w.call(&access, "/mcp/cluster").status,
        200,
        "nothing changed"
    );
    let resp = w.refresh(&client, &refresh);
    assert_eq!(
        resp.status, 200,
        "the retry with the same token works: nobody is signed out"
    );
    // A code whose grant could not be stored: a page says so, and the person's new IdP tokens
    // are revoked (they would lead nowhere).
    let (grant, cookie) = w.approve(&client);
    w.records.objects.failing.set(true);
    let resp = w.come_back(&grant, Some(&cookie));
    assert_eq!(resp.status, 503);
    w.records.objects.failing.set(false);
}

#[test]
fn alarms_end_unfinished_sign_ins_unredeemed_codes_and_lapsed_grants() {
    let w = world(&oauth_vars());
    let client = w.register();
    let revocations = || w.net.revocations();
    // Approved, never back from the IdP: gone after the login window.
    let (grant, cookie) = w.approve(&client);
    w.now.set(NOW + 601);
    w.records.objects.fire_alarms();
    w.now.set(NOW);
    assert_eq!(w.come_back(&grant, Some(&cookie)).status, 400);
    // A code nobody redeems: gone after a minute, and the person's IdP token is revoked.
    let code = w.code(&client);
    let before = revocations();
    w.now.set(NOW + 61);
    w.records.objects.fire_alarms();
    assert_eq!(revocations(), before + 1);
    w.now.set(NOW);
    assert_eq!(
        error_of(&w.exchange(&client, &code, VERIFIER)),
        "invalid_grant"
    );
    // A grant nobody refreshes lapses (OAUTH_REFRESH_TOKEN_TTL_S defaults to 30 days).
    let (_, refresh) = w.tokens(&client);
    let before = revocations();
    w.now.set(NOW + 31 * 86_400);
    w.records.objects.fire_alarms();
    assert_eq!(revocations(), before + 1);
    assert_eq!(
        w.records.objects.records().len(),
        1,
        "earlier tombstones are gone; only the lapsed grant's is left"
    );
    w.now.set(NOW + 31 * 86_400 + 601);
    w.records.objects.fire_alarms();
    assert!(
        w.records.objects.records().is_empty(),
        "and then it goes too"
    );
    assert_eq!(error_of(&w.refresh(&client, &refresh)), "invalid_grant");
}

#[test]
fn browser_binding_methods_and_loopback_ports() {
    let w = world(&oauth_vars());
    let client = w.register();
    let resp = w.send(request("GET", &w.authorize_query(&client, &[])));
    let set = resp.header("set-cookie").unwrap().to_owned();
    assert!(set.starts_with("__Host-mcp_login_"), "{set}");
    for attr in ["; Path=/", "; HttpOnly", "; Secure", "; SameSite=Lax"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    let page = String::from_utf8_lossy(&resp.body).into_owned();
    assert!(page.contains(REDIRECT), "the full redirect URI is shown");
    assert!(
        page.contains(r#"value="approve" id="approve" disabled"#),
        "Approve is armed by the page's script, not at once (double-clickjacking)"
    );
    assert!(
        page.contains("unverified"),
        "a registered client is marked unverified"
    );
    // GET /authorize stores nothing.
    assert!(w.records.objects.records().is_empty());
    for method in ["PUT", "DELETE", "PATCH"] {
        for path in [
            "/authorize",
            "/oauth/callback",
            "/token",
            "/register",
            "/revoke",
        ] {
            let resp = w.send(request(method, path));
            assert_eq!(resp.status, 405, "{method} {path}");
            assert!(resp.header("allow").is_some());
        }
    }
    // RFC 8252 §7.3: a loopback redirect URI registered without a port takes any port;
    // `127.evil.example` is no loopback.
    let mut reg = request("POST", "/register");
    reg.body = json!({"redirect_uris": ["http://127.0.0.1/cb"]})
        .to_string()
        .into_bytes();
    let portless = body_json(&w.send(reg))["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let any_port = w.authorize_query(&portless, &[("redirect_uri", "http://127.0.0.1:53111/cb")]);
    assert_eq!(w.send(request("GET", &any_port)).status, 200);
    let other_path = w.authorize_query(&portless, &[("redirect_uri", "http://127.0.0.1:53111/x")]);
    assert_eq!(w.send(request("GET", &other_path)).status, 400);
    let mut reg = request("POST", "/register");
    reg.body = json!({"redirect_uris": ["http://127.evil.example/cb"]})
        .to_string()
        .into_bytes();
    assert_eq!(w.send(reg).status, 400);
}

#[test]
fn anonymous_endpoints_have_a_budget_per_client_address() {
    let w = world(&oauth_vars());
    let limits = Counting {
        limit: 3,
        ..Counting::default()
    };
    let send = |mut req: Request, address: &str| {
        req.headers
            .push(("cf-connecting-ip".into(), address.into()));
        let outside = Outside {
            client: &w.net,
            limiters: &limits,
            store: &w.records,
        };
        pollster::block_on(w.app.serve(&req, req.body.as_slice(), &outside, NOW)).0
    };
    let register = || {
        let mut req = request("POST", "/register");
        req.body = json!({"redirect_uris": [REDIRECT]})
            .to_string()
            .into_bytes();
        req
    };
    let statuses: Vec<u16> = (0..5)
        .map(|_| send(register(), "198.51.100.7").status)
        .collect();
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let limited = send(register(), "198.51.100.7");
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert_eq!(error_of(&limited), "slow_down");
    assert_eq!(
        send(register(), "203.0.113.9").status,
        201,
        "another address has its own"
    );
    // One IPv6 subscriber (a /64) is one address.
    for i in 1..=3 {
        assert_eq!(send(register(), &format!("2001:db8:1:2::{i}")).status, 201);
    }
    assert_eq!(send(register(), "2001:db8:1:2:ffff::9").status, 429);
    assert_eq!(
        w.records.kv.map.borrow().len(),
        7,
        "refused registrations store nothing"
    );
    for path in ["/authorize", "/token", "/revoke"] {
        let method = if path == "/authorize" { "GET" } else { "POST" };
        let statuses: Vec<u16> = (0..4)
            .map(|_| send(request(method, path), "198.51.100.8").status)
            .collect();
        assert_ne!(statuses[2], 429, "{path}");
        assert_eq!(statuses[3], 429, "{path}");
    }
    // /token calls with a code or token this gateway minted count against their grant, not
    // the (shared) address: a hosted client's many people do not lock each other out.
    let client = w.register();
    let (_, mut refresh) = w.tokens(&client);
    for i in 0..3 {
        let resp = send(refresh_request(&client, &refresh), "198.51.100.8");
        assert_eq!(resp.status, 200, "refresh {i} from a spent address");
        refresh = body_json(&resp)["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let req = refresh_request(&client, &refresh);
    assert_eq!(
        send(req, "203.0.113.50").status,
        429,
        "the grant's own budget is spent"
    );
}

#[test]
fn an_overloaded_idp_is_no_verdict_on_the_person() {
    let w = world(&oauth_vars());
    w.net.person_expires_in.set(120);
    let client = w.register();
    let (access, _) = w.tokens(&client);
    w.now.set(NOW + 90);
    w.net.refresh_overloaded.set(true);
    assert_eq!(
        w.call(&access, "/mcp/cluster").status,
        503,
        "try again later"
    );
    w.net.refresh_overloaded.set(false);
    assert_eq!(
        w.call(&access, "/mcp/cluster").status,
        200,
        "the grant was kept"
    );
    assert_eq!(w.net.revocations(), 0);
}

#[test]
fn made_up_ids_and_tokens_never_reach_an_object() {
    let w = world(&oauth_vars());
    let client = w.register();
    let (access, refresh) = w.tokens(&client);
    let objects = w.records.objects.map.borrow().len();
    let grant = access.split('.').next().unwrap().to_owned();
    let mut bent = access.clone().into_bytes();
    let last = bent.len() - 1;
    bent[last] = if bent[last] == b'0' { b'1' } else { b'0' };
    let bent = String::from_utf8(bent).unwrap();
    let forged_id = format!("{}{}", "0".repeat(32), &grant[32..]);
    for token in [
        bent.clone(),
        format!("{grant}.{}", "a".repeat(80)),
        format!("{forged_id}.{}", &access[49..]),
        format!("{}.{}", "a".repeat(48), "b".repeat(80)),
    ] {
        assert_eq!(w.call(&token, "/mcp/cluster").status, 401, "{token}");
        assert_eq!(error_of(&w.refresh(&client, &token)), "invalid_grant");
    }
    assert_eq!(
        w.send(request(
            "GET",
            &format!("/oauth/callback?code=x&state={forged_id}")
        ))
        .status,
        400
    );
    assert_eq!(
        w.records.objects.map.borrow().len(),
        objects,
        "no object was woken"
    );
    assert_eq!(
        w.refresh(&client, &refresh).status,
        200,
        "the real ones still work"
    );
}

#[test]
fn an_ended_grant_id_is_never_opened_again() {
    let w = world(&oauth_vars());
    let client = w.register();
    let (consent, csrf, cookie) = w.consent(&client);
    let approve = || {
        w.post_form(
            "/authorize",
            &[
                ("consent", &consent),
                ("csrf", &csrf),
                ("decision", "approve"),
            ],
            Some(&cookie),
        )
    };
    let login = approve();
    assert_eq!(login.status, 303);
    let grant = query_of(login.header("location").unwrap())["state"].clone();
    // The IdP sends the person back with an error: the sign-in ends.
    let mut back = request(
        "GET",
        &format!("/oauth/callback?error=access_denied&state={grant}"),
    );
    back.headers.push(("cookie".into(), cookie.clone()));
    assert_eq!(w.send(back).status, 302);
    // The same consent posted again within its ten minutes: refused, the id stays ended.
    assert_eq!(approve().status, 400);
    // After the tombstone's time, the alarm removes it.
    w.now.set(NOW + 601);
    w.records.objects.fire_alarms();
    assert!(w.records.objects.records().is_empty());
}

#[test]
fn the_page_shows_only_clients_that_can_sign_in() {
    let w = world(&oauth_vars());
    let mut req = request("GET", "/");
    req.headers.push(("accept".into(), "text/html".into()));
    let html = String::from_utf8(w.send(req).body).unwrap();
    assert!(html.contains("sign in through the browser"), "{html}");
    assert!(html.contains(".vscode/mcp.json"));
    assert!(
        !html.contains("inspector") && !html.contains("c8ctl"),
        "no command that cannot sign in"
    );
}

#[test]
fn an_id_token_of_another_login_ends_the_sign_in() {
    let w = world(&oauth_vars());
    let client = w.register();
    let (grant, cookie) = w.approve(&client);
    // The IdP answers with an ID token whose nonce is not this login's.
    *w.net.nonce.borrow_mut() = "nonce-of-another-login".into();
    let resp = w.come_back(&grant, Some(&cookie));
    assert_eq!(resp.status, 302);
    let q = query_of(resp.header("location").unwrap());
    assert_eq!(q["error"], "server_error");
    assert!(!q.contains_key("code"));
}
