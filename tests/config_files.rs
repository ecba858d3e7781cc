//! The settings we ship are valid: every environment of `wrangler.toml` parses into a working
//! App, and its `MCP_RATE_LIMITS` states exactly what its `[[ratelimits]]` bindings enforce (a
//! Worker cannot read a binding's settings, so the two must be kept in step by hand). Secrets
//! are not in the file: each environment is read as if every secret had been put, and the
//! file must name none of them as a var.

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
