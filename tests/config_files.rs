//! The settings we ship are valid: every environment of `wrangler.toml` parses into a working
//! App, and its `MCP_RATE_LIMITS` states exactly what its `[[ratelimits]]` bindings enforce (a
//! Worker cannot read a binding's settings, so the two must be kept in step by hand). Secrets
//! are not in the file: each environment is read as if every secret had been put, and the
//! file must name none of them as a var. The regional split holds together: every egress
//! binding of an edge reaches an egress Worker of the file, and every egress Worker is private
//! and placed at its Camunda region's cloud region.

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

use camunda_mcp_edge::app::App;
use camunda_mcp_edge::auth::mode::AuthMode;
use camunda_mcp_edge::auth::oauth;
use camunda_mcp_edge::auth::signature::RustCrypto;
use camunda_mcp_edge::camunda::tools::ToolClass;
use camunda_mcp_edge::config::Config;
use camunda_mcp_edge::policy::binding_name;
use camunda_mcp_edge::settings::secrets;
use toml::{Table, Value};

fn setups() -> Vec<(String, Table)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/wrangler.toml"))
        .expect("wrangler.toml");
    let top: Table = text.parse().expect("wrangler.toml is TOML");
    let mut out = vec![("(top level)".to_owned(), top.clone())];
    for (name, env) in top["env"].as_table().unwrap() {
        out.push((name.clone(), env.as_table().unwrap().clone()));
    }
    out
}

/// An environment's settings as the Worker sees them once its secrets are put.
fn config(name: &str, setup: &Table) -> Config {
    let vars = setup["vars"].as_table().unwrap();
    let var = |n: &str| match vars.get(n) {
        Some(v) => v.as_str().map(str::to_owned),
        None if secrets().any(|s| s == n) => Some("a-secret-put-with-wrangler-0123456789".into()),
        None => None,
    };
    Config::from_vars(var).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_environment_is_a_working_configuration() {
    for (name, setup) in setups() {
        App::new(config(&name, &setup), RustCrypto).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn no_secret_is_written_in_the_file() {
    for (name, setup) in setups() {
        for secret in secrets() {
            assert!(
                !setup["vars"].as_table().unwrap().contains_key(secret),
                "{name}: {secret} is a secret (wrangler secret put), not a var"
            );
        }
    }
}

#[test]
fn sign_in_environments_have_their_kv_namespace() {
    let mut signing_in = 0;
    for (name, setup) in setups() {
        if !matches!(config(&name, &setup).auth, AuthMode::OAuth(_)) {
            continue;
        }
        signing_in += 1;
        let kv = setup.get("kv_namespaces").and_then(Value::as_array);
        assert!(
            kv.is_some_and(|k| k.iter().any(|n| n["binding"].as_str() == Some("OAUTH_KV"))),
            "{name}: MCP_AUTH_MODE=oauth needs an OAUTH_KV namespace binding"
        );
        let objects = setup
            .get("durable_objects")
            .and_then(|d| d.get("bindings"))
            .and_then(Value::as_array);
        assert!(
            objects.is_some_and(
                |o| o.iter().any(|b| b["name"].as_str() == Some("OAUTH_GRANTS")
                    && b["class_name"].as_str() == Some("GrantObject"))
            ),
            "{name}: MCP_AUTH_MODE=oauth needs the OAUTH_GRANTS Durable Object binding"
        );
        // Retry-After states the period; the Worker cannot read it from the binding.
        let limits = setup.get("ratelimits").and_then(Value::as_array).unwrap();
        for binding in [oauth::REGISTER_LIMITER, oauth::ENDPOINT_LIMITER] {
            let found = limits
                .iter()
                .find(|b| b["name"].as_str() == Some(binding))
                .unwrap_or_else(|| panic!("{name}: no {binding} binding"));
            assert_eq!(
                found["simple"]["period"].as_integer(),
                Some(i64::from(oauth::LIMIT_PERIOD_S)),
                "{name}: {binding}"
            );
        }
    }
    assert!(signing_in > 0, "wrangler.toml shows no sign-in setup");
}

/// Grant objects are SQLite-backed, declared once for every environment.
#[test]
fn grant_objects_are_declared_sqlite_backed() {
    let file: Table = toml::from_str(&std::fs::read_to_string("wrangler.toml").unwrap()).unwrap();
    let migrations = file["migrations"].as_array().unwrap();
    assert!(migrations.iter().any(|m| m["new_sqlite_classes"]
        .as_array()
        .is_some_and(|c| c.iter().any(|n| n.as_str() == Some("GrantObject")))));
}

#[test]
fn stated_rate_limits_match_the_bindings() {
    for (name, setup) in setups() {
        // An egress Worker admits no callers: its edge counted the call.
        if is_egress(&setup) {
            continue;
        }
        let config = config(&name, &setup);
        let bindings = setup
            .get("ratelimits")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("{name}: no [[ratelimits]]"));
        for class in [ToolClass::Read, ToolClass::Write] {
            let binding = bindings
                .iter()
                .find(|b| b["name"].as_str() == Some(binding_name(class)))
                .unwrap_or_else(|| panic!("{name}: no {} binding", binding_name(class)));
            let simple = &binding["simple"];
            let stated = config
                .governance
                .rate_limits
                .iter()
                .find(|l| l.class == class)
                .unwrap_or_else(|| panic!("{name}: MCP_RATE_LIMITS says nothing of {class:?}"));
            assert_eq!(
                (simple["limit"].as_integer(), simple["period"].as_integer()),
                (
                    Some(i64::from(stated.limit)),
                    Some(i64::from(stated.period_s))
                ),
                "{name}: {} and MCP_RATE_LIMITS disagree",
                binding_name(class)
            );
        }
    }
}

/// The test setups run the Worker as wrangler.toml does: one compatibility date everywhere.
#[test]
fn every_wrangler_file_has_the_same_compatibility_date() {
    let date = |path: &str| {
        let file: Table = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        file["compatibility_date"].as_str().unwrap().to_owned()
    };
    let ours = date("wrangler.toml");
    for entry in std::fs::read_dir("tests/support").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            assert_eq!(date(path.to_str().unwrap()), ours, "{}", path.display());
        }
    }
}

/// Where the clusters of each Camunda SaaS region run, as a placement hint (`provider:region`):
/// the egress Worker of a region is placed there. Sources: docs/saas.md (Placement), which shows
/// this same table.
const CLOUD_REGIONS: &[(&str, &str)] = &[
    ("bru-2", "gcp:europe-west1"),
    ("jfk-1", "gcp:us-east1"),
    ("syd-1", "gcp:australia-southeast1"),
    ("dsm-1", "gcp:us-central1"),
    ("lhr-1", "gcp:europe-west2"),
];

fn var<'a>(setup: &'a Table, name: &str) -> Option<&'a str> {
    setup.get("vars")?.get(name)?.as_str()
}

fn is_egress(setup: &Table) -> bool {
    var(setup, "MCP_ROLE") == Some("egress")
}

/// `MCP_EGRESS_BINDINGS` as (region, binding) pairs.
fn egress_bindings(setup: &Table) -> Vec<(String, String)> {
    var(setup, "MCP_EGRESS_BINDINGS")
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| {
            let (region, binding) = pair.split_once('=').expect("region=BINDING");
            (region.trim().to_owned(), binding.trim().to_owned())
        })
        .collect()
}

/// The environment whose Worker is called `worker`.
fn worker<'a>(all: &'a [(String, Table)], name: &str) -> Option<&'a (String, Table)> {
    all.iter()
        .find(|(_, setup)| setup.get("name").and_then(Value::as_str) == Some(name))
}

/// Every binding in an edge's `MCP_EGRESS_BINDINGS` is one of its service bindings, to an
/// egress Worker of this file placed next to that region's cluster; every egress is bound.
#[test]
fn egress_bindings_reach_egress_workers_placed_at_their_region() {
    let all = setups();
    let mut bound = Vec::new();
    for (name, setup) in &all {
        let regions = var(setup, "CAMUNDA_SAAS_REGIONS").unwrap_or_default();
        for (region, binding) in egress_bindings(setup) {
            assert!(
                region == "default" || regions.split(',').any(|r| r.trim() == region),
                "{name}: MCP_EGRESS_BINDINGS names {region}, not in CAMUNDA_SAAS_REGIONS"
            );
            let services = setup.get("services").and_then(Value::as_array);
            let service = services
                .and_then(|s| {
                    s.iter()
                        .find(|b| b["binding"].as_str() == Some(binding.as_str()))
                })
                .and_then(|b| b["service"].as_str())
                .unwrap_or_else(|| panic!("{name}: {binding} is not a [[services]] binding"));
            let (egress, placed) = worker(&all, service)
                .unwrap_or_else(|| panic!("{name}: {binding} calls {service}, not in this file"));
            assert!(
                is_egress(placed),
                "{name}: {service} is not MCP_ROLE = \"egress\""
            );
            if let Some((_, cloud)) = CLOUD_REGIONS.iter().find(|(r, _)| *r == region) {
                assert_eq!(
                    placement_region(placed),
                    Some(*cloud),
                    "{egress}: serves {region}"
                );
            }
            bound.push(egress.clone());
        }
    }
    let egresses: Vec<_> = all.iter().filter(|(_, s)| is_egress(s)).collect();
    assert!(!egresses.is_empty(), "wrangler.toml shows no egress Worker");
    for (name, _) in egresses {
        assert!(
            bound.contains(name),
            "{name}: no edge binds this egress Worker"
        );
    }
}

fn placement_region(setup: &Table) -> Option<&str> {
    setup.get("placement")?.get("region")?.as_str()
}

/// An egress Worker has no public URL and runs where its region's clusters are: the
/// environment `egress-<region>` is the Worker `camunda-mcp-egress-<region>`, placed at that
/// region's row of [`CLOUD_REGIONS`].
#[test]
fn egress_workers_are_private_and_placed() {
    for (name, setup) in setups().iter().filter(|(_, s)| is_egress(s)) {
        let field = |f: &str| setup.get(f).and_then(Value::as_bool);
        assert_eq!(
            field("workers_dev"),
            Some(false),
            "{name}: workers_dev = false"
        );
        assert_eq!(
            field("preview_urls"),
            Some(false),
            "{name}: preview_urls = false"
        );
        for routing in ["route", "routes"] {
            assert!(
                !setup.contains_key(routing),
                "{name}: an egress has no {routing}"
            );
        }
        assert!(
            var(setup, "MCP_EGRESS_BINDINGS").is_none(),
            "{name}: an egress hands nothing on"
        );
        let region = name
            .strip_prefix("egress-")
            .unwrap_or_else(|| panic!("{name}: egress environments are egress-<region>"));
        assert_eq!(
            setup.get("name").and_then(Value::as_str),
            Some(format!("camunda-mcp-egress-{region}").as_str()),
            "{name}"
        );
        assert_eq!(
            var(setup, "MCP_EGRESS_REGION"),
            Some(region),
            "{name}: told its region, so it refuses hand-overs for another"
        );
        let cloud = CLOUD_REGIONS
            .iter()
            .find(|(r, _)| *r == region)
            .unwrap_or_else(|| panic!("{name}: {region} has no cloud region in CLOUD_REGIONS"));
        assert_eq!(
            placement_region(setup),
            Some(cloud.1),
            "{name}: placement.region"
        );
    }
}
