//! Property-based fuzzing: arbitrary bytes and JSON into the JSON-RPC parser, every tool's
//! argument mapping, the JWT checks and the result shaping. Properties: never a panic; every
//! answer is a well-formed HTTP response whose body, when JSON-RPC, is a response object; no
//! refused input reaches the cluster. Cases per property: PROPTEST_CASES (default 256 here;
//! scripts/fuzz.sh runs a longer campaign).

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

mod common;

use camunda_mcp_edge::auth::mode::{Issuer, Oidc};
use camunda_mcp_edge::auth::signature::RustCrypto;
use camunda_mcp_edge::auth::verifier::Verifier;
use camunda_mcp_edge::camunda::results::json_success;
use camunda_mcp_edge::camunda::results::Call;
use camunda_mcp_edge::camunda::schema::is_rfc3339;
use camunda_mcp_edge::camunda::tools::{Catalogue, HintMode};
use camunda_mcp_edge::camunda::toolsets::Toolset;
use camunda_mcp_edge::http::{Method, UpstreamResponse};
use camunda_mcp_edge::json::drop_nulls;
use camunda_mcp_edge::json::{compact, Compactor};
use camunda_mcp_edge::mcp::jsonrpc;
use camunda_mcp_edge::ports::Algorithm;
use camunda_mcp_edge::routes::{ApiVersion, Reach};
use common::*;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Arbitrary JSON, biased towards the shapes tools take (objects with known names).
fn any_json() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        Just("filter".to_owned()),
        Just("page".to_owned()),
        Just("sort".to_owned()),
        Just("limit".to_owned()),
        Just("from".to_owned()),
        Just("to".to_owned()),
        Just("state".to_owned()),
        Just("incidentKey".to_owned()),
        Just("userTaskKey".to_owned()),
        Just("assignee".to_owned()),
        Just("variables".to_owned()),
        Just("processDefinitionKey".to_owned()),
        Just("processDefinitionId".to_owned()),
        Just("field".to_owned()),
        Just("order".to_owned()),
        Just("creationTime".to_owned()),
        Just("truncateValues".to_owned()),
        "[a-zA-Z$]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "[0-9]{1,25}".prop_map(Value::String),
        Just(json!("2025-01-31T09:00:00Z")),
        Just(json!("ACTIVE")),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((names.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const TOOLSETS: &str = "messages,operate,jobs,decisions,deploy,audit";

/// Camunda's 18 tools and every operator toolset's.
fn tool_names() -> Vec<&'static str> {
    let all: Vec<Toolset> = Toolset::ALL.to_vec();
    Catalogue::with_toolsets(ApiVersion::V8_10, HintMode::Camunda, &all)
        .tools()
        .iter()
        .map(|t| t.name)
        .collect()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_parser(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = jsonrpc::parse(&body);
    }

    #[test]
    fn arbitrary_messages_get_well_formed_answers(message in any_json()) {
        let rec = Recorder::default();
        let resp = send(&app(), &rec, post(&message.to_string()));
        prop_assert!(matches!(resp.status, 200 | 202 | 400), "{}", resp.status);
        if resp.status != 202 {
            let v = body_json(&resp);
            prop_assert_eq!(&v["jsonrpc"], "2.0");
            prop_assert!(v.get("result").is_some() ^ v.get("error").is_some(), "{}", v);
        }
    }

    /// Every tool with arbitrary arguments: a result or a protocol error, never a panic; refused
    /// arguments make no REST call.
    #[test]
    fn every_tool_maps_arbitrary_arguments_safely(
        tool in prop::sample::select(tool_names()),
        args in any_json(),
        version in prop::sample::select(vec!["8.9", "8.10"]),
    ) {
        let rec = Recorder::default();
        let app = app_with(&[("CAMUNDA_API_VERSION", version), ("MCP_TOOLSETS", TOOLSETS)]);
        let r = call(&app, &rec, tool, args.clone());
        if r.get("code").is_some() {
            prop_assert_eq!(&r["code"], -32602, "{}", r);
            prop_assert!(rec.calls().is_empty());
        } else {
            prop_assert!(r["content"][0]["text"].is_string(), "{}", r);
            let refused = r["isError"] == true && r.get("structuredContent").is_none();
            prop_assert!(!refused || rec.calls().is_empty(), "{} {} reached the cluster", tool, args);
            for (_, url, _) in rec.calls() {
                prop_assert!(url.starts_with(BASE), "{}", url);
            }
        }
    }

    #[test]
    fn arbitrary_tokens_are_refused_without_panic(
        token in prop_oneof![
            ".{0,300}",
            "[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,200}\\.[A-Za-z0-9_-]{0,100}",
            (any_json(), any_json()).prop_map(|(h, c)| {
                use base64_like::encode;
                format!("{}.{}.{}", encode(&h.to_string()), encode(&c.to_string()), encode("sig"))
            }),
        ],
    ) {
        let v = Verifier::new(Oidc {
            issuers: vec![Issuer { issuer: "https://idp.test".into(), jwks_uri: Some("https://idp.test/jwks".into()), reach: vec![Reach::Any] }],
            audiences: vec!["zeebe.camunda.io".into()],
            algorithms: vec![Algorithm::Rs256, Algorithm::Es256],
            leeway_seconds: 60,
            required_scopes: vec![],
            cluster_id: None,
            require_cluster_claim: false,
            shared_cache_secret: None,
        }, RustCrypto);
        let rec = Recorder::default();
        rec.answer(200, json!({"keys": []}));
        prop_assert!(pollster::block_on(v.verify(&token, &rec, NOW)).is_err());
    }

    #[test]
    fn arbitrary_strings_never_panic_the_date_check(s in ".{0,40}") {
        let _ = is_rfc3339(&s);
    }

    /// The one-pass rewrite means what parsing into a tree and dropping null members does, from
    /// any JSON (whitespace added) fed in pieces of any size, or from any bytes at all; its text
    /// copy is the JSON as the content of a JSON string.
    #[test]
    fn compacting_matches_the_tree(
        value in any_json(),
        piece in 1usize..64,
        junk in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let as_tree = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).ok().map(|mut v| { drop_nulls(&mut v); v });
        let read = |json: &str| serde_json::from_str::<Value>(json).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        let c = compact(&pretty, usize::MAX).unwrap();
        prop_assert_eq!(serde_json::to_string(&c.json).unwrap(), format!("\"{}\"", c.text));
        prop_assert_eq!(Some(read(&c.json)), as_tree(&pretty));
        let mut pieces = Compactor::new(usize::MAX, 0);
        pretty.chunks(piece).for_each(|p| pieces.feed(p));
        prop_assert_eq!(pieces.finish(), Ok(c));
        prop_assert_eq!(compact(&junk, usize::MAX).ok().map(|c| read(&c.json)), as_tree(&junk));
    }

    /// Any JSON object from the cluster, at any cap: valid JSON out, within the cap when cut.
    #[test]
    fn result_capping_keeps_valid_json(value in any_json(), cap in 1000usize..4000) {
        let body = json!({"items": [value.clone(), value.clone()], "x": value}).to_string();
        let resp = UpstreamResponse { status: 200, content_type: None, cache_control: None, body: body.into_bytes(), compacted: None, placement: None };
        let out: Value = serde_json::from_str(&json_success(&resp, &Call { method: Method::Post, path: "/v2/x/search".into() }, cap).unwrap()).unwrap();
        prop_assert!(out["structuredContent"].is_object());
        prop_assert_eq!(serde_json::from_str::<Value>(out["content"][0]["text"].as_str().unwrap()).unwrap(), out["structuredContent"].clone());
    }
}

/// base64url without padding, for building token-shaped inputs.
mod base64_like {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    pub fn encode(s: &str) -> String {
        s.as_bytes()
            .chunks(3)
            .flat_map(|c| {
                let n = c.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)) << (8 * (3 - c.len()));
                (0..=c.len()).map(move |i| ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char)
            })
            .collect()
    }
}
