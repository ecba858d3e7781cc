//! The settings, parsed from vars as a deployment writes them.
use super::*;

use crate::ports::Algorithm;
use crate::routes::{is_cluster_id, is_region, ApiVersion, Reach, DEFAULT_SAAS_TEMPLATE};

fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_vars(|n| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
}

#[test]
fn defaults_point_at_c8_run() {
    let c = cfg(&[]).unwrap();
    assert_eq!(
        c.routes.rest_address.as_deref(),
        Some("http://localhost:8080")
    );
    assert_eq!(c.cluster.request_timeout_ms, 30_000);
    assert_eq!(c.transport.max_body_bytes, 4 << 20);
    assert_eq!(c.routes.api_version, ApiVersion::V8_9);
    assert_eq!(c.transport.origins, OriginPolicy::Loopback);
}

#[test]
fn address_tolerates_trailing_slash_and_v2() {
    for raw in [
        "http://h:8080",
        "http://h:8080/",
        "http://h:8080/v2",
        "http://h:8080/v2/",
    ] {
        assert_eq!(
            cfg(&[("CAMUNDA_REST_ADDRESS", raw)])
                .unwrap()
                .routes
                .rest_address
                .as_deref(),
            Some("http://h:8080")
        );
    }
    assert_eq!(
        cfg(&[(
            "CAMUNDA_REST_ADDRESS",
            "https://bru-2.api.camunda.io/abc/v2"
        )])
        .unwrap()
        .routes
        .rest_address
        .as_deref(),
        Some("https://bru-2.api.camunda.io/abc")
    );
}

#[test]
fn bad_values_name_the_variable() {
    for (name, value) in [
        ("CAMUNDA_REST_ADDRESS", "localhost:8080"),
        ("CAMUNDA_REST_ADDRESS", "ftp://x"),
        ("CAMUNDA_REST_ADDRESS", "http://x?a=b"),
        (
            "CAMUNDA_REST_ADDRESS",
            "https://user:secret@cluster.example",
        ),
        ("CAMUNDA_REST_ADDRESS", "http://x\n/"),
        ("CAMUNDA_REQUEST_TIMEOUT_MS", "soon"),
        ("CAMUNDA_REQUEST_TIMEOUT_MS", "0"),
        ("MCP_MAX_BODY_BYTES", "-1"),
        ("CAMUNDA_API_VERSION", "9"),
        ("MCP_AUTH_MODE", "jwt"),
    ] {
        let err = cfg(&[(name, value)]).unwrap_err();
        assert_eq!(err.name, name);
        assert!(err.to_string().contains(name), "{err}");
        // A caller is told the name only; the value stays in the log.
        assert!(err.public_message().contains(name));
        assert!(!err.public_message().contains(value), "{value}");
    }
}

#[test]
fn oidc_settings() {
    let base = [
        ("MCP_AUTH_MODE", "oidc"),
        ("CAMUNDA_UPSTREAM_AUTH", "forward"),
        ("OIDC_ISSUERS", "https://idp.example/realms/camunda/"),
        ("OIDC_AUDIENCES", "zeebe.camunda.io"),
    ];
    let AuthMode::Oidc(o) = cfg(&base).unwrap().auth else {
        panic!()
    };
    assert_eq!(o.issuers[0].issuer, "https://idp.example/realms/camunda/");
    assert_eq!(o.issuers[0].jwks_uri, None);
    assert_eq!(o.algorithms, [Algorithm::Rs256, Algorithm::Es256]);
    assert_eq!(o.leeway_seconds, 60);
    for (name, value) in [
        ("OIDC_ALGORITHMS", "HS256"),
        ("OIDC_ALGORITHMS", "none"),
        ("OIDC_AUDIENCES", ""),
        ("OIDC_ISSUERS", ""),
        ("OIDC_JWKS_URIS", "https://a/jwks,https://b/jwks"),
        ("OIDC_LEEWAY_SECONDS", "3600"),
        ("OIDC_ISSUERS", "http://idp.example/realms/camunda"),
        ("OIDC_ISSUERS", "https://u:p@idp.example"),
        ("OIDC_JWKS_URIS", "http://idp.example/jwks"),
        ("OIDC_JWKS_URIS", "ftp://idp.example/jwks"),
        ("OIDC_REQUIRE_CLUSTER_CLAIM", "yes"),
    ] {
        let mut pairs = base.to_vec();
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
        assert_eq!(cfg(&pairs).unwrap_err().name, name, "{name}={value}");
    }
    assert_eq!(
        cfg(&[("MCP_AUTH_MODE", "basic")]).unwrap().auth,
        AuthMode::Basic
    );
    // Cleartext key sources only on this machine, and said once at start.
    let mut local = base.to_vec();
    local.retain(|(k, _)| *k != "OIDC_ISSUERS");
    local.push(("OIDC_ISSUERS", "http://127.0.0.1:18080/realms/camunda"));
    local.push(("MCP_CACHE_SECRET", "s"));
    let c = cfg(&local).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("cleartext"));
    let warned = cfg(&base).unwrap().warnings;
    assert!(
        warned.len() == 1 && warned[0].contains("MCP_CACHE_SECRET"),
        "{warned:?}"
    );
}

#[test]
fn several_issuers_must_each_say_what_they_may_reach() {
    let two = [
        ("MCP_AUTH_MODE", "oidc"),
        ("CAMUNDA_UPSTREAM_AUTH", "forward"),
        ("OIDC_ISSUERS", "https://a.example,https://b.example"),
        ("OIDC_AUDIENCES", "zeebe.camunda.io"),
        ("MCP_CACHE_SECRET", "s"),
    ];
    assert_eq!(cfg(&two).unwrap_err().name, "OIDC_ISSUER_ROUTES");
    let mut bound = two.to_vec();
    bound.push(("OIDC_ISSUER_ROUTES", "default, tenant:eu-1; region:bru-2"));
    let AuthMode::Oidc(o) = cfg(&bound).unwrap().auth else {
        panic!()
    };
    assert_eq!(
        o.issuers[0].reach,
        [Reach::Default, Reach::Tenant("eu-1".into())]
    );
    assert_eq!(o.issuers[1].reach, [Reach::Region("bru-2".into())]);
    for bad in [
        "*",
        "default;",
        "default;region:BRU",
        "default;cluster:x",
        ";*",
    ] {
        let mut b = two.to_vec();
        b.push(("OIDC_ISSUER_ROUTES", bad));
        assert_eq!(cfg(&b).unwrap_err().name, "OIDC_ISSUER_ROUTES", "{bad}");
    }
}

#[test]
fn saas_without_an_address_serves_no_default_cluster() {
    assert_eq!(
        cfg(&[("CAMUNDA_SAAS_REGIONS", "bru-2")])
            .unwrap()
            .routes
            .rest_address,
        None
    );
    let c = cfg(&[
        ("CAMUNDA_SAAS_REGIONS", "bru-2"),
        ("CAMUNDA_REST_ADDRESS", "http://h:8080"),
    ])
    .unwrap();
    assert_eq!(c.routes.rest_address.as_deref(), Some("http://h:8080"));
}

#[test]
fn saas_settings_and_slot_rules() {
    assert_eq!(cfg(&[]).unwrap().routes.saas, None);
    let c = cfg(&[("CAMUNDA_SAAS_REGIONS", "bru-2, jfk-1")]).unwrap();
    let saas = c.routes.saas.unwrap();
    assert_eq!(saas.regions, ["bru-2", "jfk-1"]);
    assert_eq!(saas.template, DEFAULT_SAAS_TEMPLATE);
    for (name, value) in [
        ("CAMUNDA_SAAS_REGIONS", "BRU-2"),
        ("CAMUNDA_SAAS_REGIONS", "bru_2"),
        (
            "CAMUNDA_SAAS_URL_TEMPLATE",
            "https://{region}.api.camunda.io/",
        ),
        ("CAMUNDA_SAAS_URL_TEMPLATE", "{region}/{clusterId}"),
    ] {
        let mut pairs = vec![("CAMUNDA_SAAS_REGIONS", "bru-2")];
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
        assert_eq!(cfg(&pairs).unwrap_err().name, name, "{name}={value}");
    }
    assert!(is_cluster_id("6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b90"));
    for bad in [
        "6C1F8A2E-4B7D-4E0A-9C3B-2F5D8E1A7B90",
        "6c1f8a2e4b7d4e0a9c3b2f5d8e1a7b90",
        "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b9",
        "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7b900",
        "6c1f8a2e-4b7d-4e0a-9c3b-2f5d8e1a7bg0",
        "../../../../../../../../../../../etc",
    ] {
        assert!(!is_cluster_id(bad), "{bad}");
    }
    assert!(is_region("bru-2") && !is_region("-x") && !is_region("bru.2") && !is_region(""));
}

#[test]
fn origin_policy() {
    let loopback = OriginPolicy::Loopback;
    for ok in [
        "http://localhost:6274",
        "http://127.0.0.1",
        "https://localhost",
        "http://[::1]:8787",
    ] {
        assert!(loopback.allows(ok), "{ok}");
    }
    for bad in [
        "http://evil.example.com",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io",
        "null",
        "http://localhost:80x",
        "http://[::1]evil",
        "http://[::1]:80x",
        "http://[::1]:",
        "http://localhost:",
        "http://127.0.0.1:123456",
    ] {
        assert!(!loopback.allows(bad), "{bad}");
    }
    let c = cfg(&[(
        "MCP_ALLOWED_ORIGINS",
        "https://app.example.com/, https://b.example.com",
    )])
    .unwrap();
    assert!(c.transport.origins.allows("https://app.example.com"));
    assert!(c.transport.origins.allows("http://localhost:3000"));
    assert!(!c.transport.origins.allows("https://evil.example.com"));
    assert!(cfg(&[("MCP_ALLOWED_ORIGINS", "*")])
        .unwrap()
        .transport
        .origins
        .allows("https://x"));
}
