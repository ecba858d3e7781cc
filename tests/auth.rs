//! The JWKS cache's time rules, natively with an injected clock: stale keys are used for a
//! bounded time when the endpoint is down, refreshes cool down after a failure or a forced
//! refresh, and discovery finds the JWKS from the issuer.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::auth::jwks::{COOLDOWN_S, MAX_STALE_S};
use camunda_mcp_edge::auth::mode::{Issuer, Oidc};
use camunda_mcp_edge::auth::signature::RustCrypto;
use camunda_mcp_edge::auth::verifier::Verifier;
use camunda_mcp_edge::auth::AuthError;
use camunda_mcp_edge::http::FetchError;
use camunda_mcp_edge::ports::Algorithm;
use camunda_mcp_edge::routes::Reach;
use chrono::{TimeZone, Utc};
use common::{Recorder, NOW};
use jwt_compact::alg::Es256;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt, Claims, Header};
use serde_json::{json, Value};

const ISSUER: &str = "https://idp.test/realms/camunda";
type SigningKey = <Es256 as jwt_compact::Algorithm>::SigningKey;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn jwks(keys: &[(&str, u8)]) -> Value {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(kid, seed)| {
            let mut jwk =
                serde_json::to_value(JsonWebKey::from(key(*seed).verifying_key())).unwrap();
            jwk["kid"] = json!(kid);
            jwk
        })
        .collect();
    json!({ "keys": keys })
}

/// A token of `issuer` for subject `sub` (distinct subjects: distinct, never-seen tokens).
fn token_of(issuer: &str, kid: &str, seed: u8, sub: &str) -> String {
    let mut claims = Claims::new(json!({"iss": issuer, "aud": "zeebe.camunda.io", "sub": sub}));
    claims.expiration = Some(Utc.timestamp_opt(NOW as i64 + 30 * 86_400, 0).unwrap());
    Es256
        .token(&Header::empty().with_key_id(kid), &claims, &key(seed))
        .unwrap()
}

fn token(kid: &str, seed: u8) -> String {
    token_of(ISSUER, kid, seed, "agent")
}

fn verifier(jwks_uri: Option<&str>) -> Verifier<RustCrypto> {
    verifier_sharing(jwks_uri, None)
}

/// A verifier whose isolate shares key sets through the shared cache under `secret`.
fn verifier_sharing(jwks_uri: Option<&str>, secret: Option<&str>) -> Verifier<RustCrypto> {
    let oidc = Oidc {
        issuers: vec![Issuer {
            issuer: ISSUER.into(),
            jwks_uri: jwks_uri.map(str::to_owned),
            reach: vec![Reach::Any],
        }],
        audiences: vec!["zeebe.camunda.io".into()],
        algorithms: vec![Algorithm::Rs256, Algorithm::Es256],
        leeway_seconds: 60,
        required_scopes: vec![],
        cluster_id: None,
        require_cluster_claim: false,
        shared_cache_secret: secret.map(str::to_owned),
    };
    Verifier::new(oidc, RustCrypto)
}

fn verify(
    v: &Verifier<RustCrypto>,
    rec: &Recorder,
    token: &str,
    now: u64,
) -> Result<Option<String>, AuthError> {
    pollster::block_on(v.verify(token, rec, now)).map(|ok| ok.note)
}

#[test]
fn known_keys_outlive_an_outage_for_a_bounded_time_and_unknown_ones_fail_closed() {
    let rec = Recorder::default();
    let v = verifier(Some("https://idp.test/jwks"));
    rec.answer(200, jwks(&[("k1", 1)]));
    assert_eq!(verify(&v, &rec, &token("k1", 1), NOW), Ok(None));

    // Past the default 600 s freshness, the endpoint is down: the known key still verifies a
    // token never seen before, with a note for the log.
    rec.fail(FetchError::Unreachable("connection refused".into()));
    let note = verify(&v, &rec, &token_of(ISSUER, "k1", 1, "second"), NOW + 700).unwrap();
    assert!(note.unwrap().contains("stale JWKS used"));
    assert_eq!(rec.seen.borrow().len(), 2);

    // An unknown key during the outage fails closed, without another fetch (cooldown).
    assert_eq!(
        verify(&v, &rec, &token("k2", 2), NOW + 701),
        Err(AuthError::InvalidToken("unknown signing key".into()))
    );
    assert_eq!(rec.seen.borrow().len(), 2);

    // Beyond the stale bound nothing new verifies, however long the outage lasts.
    rec.fail(FetchError::Unreachable("connection refused".into()));
    let late = NOW + 600 + MAX_STALE_S + 1;
    assert_eq!(
        verify(&v, &rec, &token_of(ISSUER, "k1", 1, "third"), late),
        Err(AuthError::InvalidToken("signing keys unavailable".into()))
    );
}

#[test]
fn a_failed_fetch_cools_down_before_the_next_try() {
    let rec = Recorder::default();
    let v = verifier(Some("https://idp.test/jwks"));
    rec.answer_raw(503, "down");
    let t = token("k1", 1);
    assert!(verify(&v, &rec, &t, NOW).is_err());
    assert!(verify(&v, &rec, &t, NOW + COOLDOWN_S - 1).is_err());
    assert_eq!(rec.seen.borrow().len(), 1, "no fetch during the cooldown");
    rec.answer(200, jwks(&[("k1", 1)]));
    assert_eq!(verify(&v, &rec, &t, NOW + COOLDOWN_S), Ok(None));
    assert_eq!(rec.seen.borrow().len(), 2);
}

#[test]
fn discovery_finds_the_jwks_and_checks_the_issuer() {
    let rec = Recorder::default();
    let v = verifier(None);
    rec.answer(
        200,
        json!({"issuer": ISSUER, "jwks_uri": "https://idp.test/certs"}),
    )
    .answer(200, jwks(&[("k1", 1)]));
    assert_eq!(verify(&v, &rec, &token("k1", 1), NOW), Ok(None));
    let urls: Vec<String> = rec.seen.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(
        urls,
        [
            format!("{ISSUER}/.well-known/openid-configuration"),
            "https://idp.test/certs".into()
        ]
    );

    // A discovery document naming another issuer is not trusted.
    let rec = Recorder::default();
    let v = verifier(None);
    rec.answer(
        200,
        json!({"issuer": "https://evil.test", "jwks_uri": "https://evil.test/certs"}),
    );
    assert_eq!(
        verify(&v, &rec, &token("k1", 1), NOW),
        Err(AuthError::InvalidToken("signing keys unavailable".into()))
    );
    assert_eq!(rec.seen.borrow().len(), 1);
}

#[test]
fn tokens_from_untrusted_issuers_fetch_nothing() {
    let rec = Recorder::default();
    let v = verifier(Some("https://idp.test/jwks"));
    let t = token_of("https://evil.test", "k1", 1, "agent");
    assert_eq!(
        verify(&v, &rec, &t, NOW),
        Err(AuthError::InvalidToken("untrusted issuer".into()))
    );
    assert!(rec.seen.borrow().is_empty());
}

const JWKS_URI: &str = "https://idp.test/jwks";

#[test]
fn isolates_share_key_sets_only_under_the_secret_and_never_fresher_than_fetched() {
    let rec = Recorder::default();
    rec.answer(200, jwks(&[("k1", 1)]));
    let a = verifier_sharing(Some(JWKS_URI), Some("deploy-secret"));
    assert!(verify(&a, &rec, &token("k1", 1), NOW).is_ok());
    assert_eq!(rec.calls().len(), 1);
    // Stored under a name derived from the secret, never under the public URL, for the
    // answer's freshness (no Cache-Control: the default 600 s).
    let keys: Vec<String> = rec.shared.borrow().keys().cloned().collect();
    assert_eq!(keys.len(), 1);
    assert!(
        !keys[0].contains("idp.test") && keys[0].len() > 64,
        "{keys:?}"
    );
    assert_eq!(rec.shared.borrow()[&keys[0]].1, 600);

    // Another isolate, later: served from the shared copy, fresh only until the original was.
    let b = verifier_sharing(Some(JWKS_URI), Some("deploy-secret"));
    assert!(verify(&b, &rec, &token_of(ISSUER, "k1", 1, "b"), NOW + 500).is_ok());
    assert_eq!(rec.calls().len(), 1, "served from the shared copy");
    let c = verifier_sharing(Some(JWKS_URI), Some("deploy-secret"));
    rec.answer(200, jwks(&[("k1", 1)]));
    assert!(verify(&c, &rec, &token_of(ISSUER, "k1", 1, "c"), NOW + 601).is_ok());
    assert_eq!(rec.calls().len(), 2, "an expired copy is not used");

    // Without the secret nothing is read or written.
    let rec = Recorder::default();
    rec.answer(200, jwks(&[("k1", 1)]));
    assert!(verify(&verifier(Some(JWKS_URI)), &rec, &token("k1", 1), NOW).is_ok());
    assert!(rec.shared.borrow().is_empty());
}

#[test]
fn shared_copies_are_untrusted_data() {
    let attacker = jwks(&[("k1", 66)]);
    let secret = Some("deploy-secret");
    // Learn where this deployment stores its keys (as only it can: the name needs the secret).
    let probe = Recorder::default();
    probe.answer(200, jwks(&[("k1", 1)]));
    assert!(verify(
        &verifier_sharing(Some(JWKS_URI), secret),
        &probe,
        &token("k1", 1),
        NOW
    )
    .is_ok());
    let ours = probe.shared.borrow().keys().next().unwrap().clone();
    let envelope = |issuer: &str, until: u64, jwks: &Value| {
        json!({"issuer": issuer, "fresh_until": until, "jwks": jwks})
            .to_string()
            .into_bytes()
    };
    for (what, key, body) in [
        (
            "another Worker's copy under the public URL",
            JWKS_URI.to_owned(),
            attacker.to_string().into_bytes(),
        ),
        (
            "garbage under our name",
            ours.clone(),
            b"{\"keys\": [".to_vec(),
        ),
        (
            "a copy for another issuer",
            ours.clone(),
            envelope("https://evil.test", NOW + 600, &attacker),
        ),
        (
            "an expired copy",
            ours.clone(),
            envelope(ISSUER, NOW - 1, &attacker),
        ),
        (
            "not a key set",
            ours.clone(),
            envelope(ISSUER, NOW + 600, &json!({"keys": []})),
        ),
    ] {
        let rec = Recorder::default();
        rec.shared.borrow_mut().insert(key, (body, 600));
        rec.answer(200, jwks(&[("k1", 1)]));
        let v = verifier_sharing(Some(JWKS_URI), secret);
        // The attacker's key never verifies; the real one is fetched.
        assert!(
            verify(&v, &rec, &token_of(ISSUER, "k1", 66, "x"), NOW).is_err(),
            "{what}"
        );
        assert!(verify(&v, &rec, &token("k1", 1), NOW).is_ok(), "{what}");
        assert_eq!(rec.calls().len(), 1, "{what}");
    }
    // An answer that is not a key set is never stored.
    let rec = Recorder::default();
    rec.answer(200, json!({"not": "keys"}));
    assert!(verify(
        &verifier_sharing(Some(JWKS_URI), secret),
        &rec,
        &token("k1", 1),
        NOW
    )
    .is_err());
    assert!(rec.shared.borrow().is_empty());
    // And every JWKS read is capped at 64 KiB while reading.
    assert_eq!(rec.seen.borrow()[0].max_bytes, 64 * 1024);
}

#[test]
fn each_issuer_reaches_only_what_it_is_bound_to() {
    const OTHER: &str = "https://other.test/oauth";
    const CLUSTER: &str = "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90";
    let app = common::app_with(&[
        ("MCP_AUTH_MODE", "oidc"),
        ("CAMUNDA_UPSTREAM_AUTH", "forward"),
        ("OIDC_ISSUERS", &format!("{ISSUER},{OTHER}")),
        (
            "OIDC_JWKS_URIS",
            "https://idp.test/jwks,https://other.test/jwks",
        ),
        ("OIDC_AUDIENCES", "zeebe.camunda.io"),
        ("OIDC_ISSUER_ROUTES", "default; region:bru-2"),
        ("CAMUNDA_SAAS_REGIONS", "bru-2,jfk-1"),
        ("MCP_CACHE_SECRET", "s"),
    ]);
    let call = |token: &str, path: &str, jwks: &[(&str, u8)]| {
        let rec = Recorder::default();
        rec.answer(200, self::jwks(jwks));
        let mut req = common::post(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getTopology"}}"#,
        );
        req.path = path.into();
        req.headers
            .push(("authorization".into(), format!("Bearer {token}")));
        let status = common::send(&app, &rec, req).status;
        let reached_cluster = rec.calls().iter().any(|(_, url, _)| url.contains("/v2/"));
        (status, reached_cluster)
    };
    let saas = format!("/bru-2/{CLUSTER}/mcp/cluster");
    let from_a = token_of(ISSUER, "a", 1, "agent");
    let from_b = token_of(OTHER, "b", 2, "agent");
    assert_eq!(call(&from_a, "/mcp/cluster", &[("a", 1)]), (200, true));
    assert_eq!(call(&from_a, &saas, &[("a", 1)]), (401, false));
    assert_eq!(call(&from_b, &saas, &[("b", 2)]), (200, true));
    assert_eq!(call(&from_b, "/mcp/cluster", &[("b", 2)]), (401, false));
    let jfk = format!("/jfk-1/{CLUSTER}/mcp/cluster");
    assert_eq!(call(&from_b, &jfk, &[("b", 2)]), (401, false));
}

/// RFC 9068 §4 and RFC 8725 §3.11: an OpenID Connect ID token whose `aud` names this API is
/// still no access token. Each marker alone is enough; the same claims without it pass.
#[test]
fn id_tokens_are_not_access_tokens_even_with_the_right_audience() {
    let rec = Recorder::default();
    let v = verifier(Some("https://idp.test/jwks"));
    rec.answer(200, jwks(&[("k1", 1)]));
    let signed = |extra: Value| {
        let mut body = json!({"iss": ISSUER, "aud": "zeebe.camunda.io", "sub": "person"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let mut claims = Claims::new(body);
        claims.expiration = Some(Utc.timestamp_opt(NOW as i64 + 600, 0).unwrap());
        Es256
            .token(&Header::empty().with_key_id("k1"), &claims, &key(1))
            .unwrap()
    };
    for marker in [
        json!({"typ": "ID"}),
        json!({"typ": "id"}),
        json!({"nonce": "n-0S6_WzA2Mj"}),
        json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"}),
    ] {
        assert_eq!(
            verify(&v, &rec, &signed(marker.clone()), NOW),
            Err(AuthError::InvalidToken(
                "an ID token is not an access token".into()
            )),
            "{marker}"
        );
    }
    assert_eq!(
        verify(&v, &rec, &signed(json!({"typ": "Bearer"})), NOW),
        Ok(None)
    );
}
