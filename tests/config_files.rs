//! The settings we ship are valid: every environment of `wrangler.toml` parses into a working
//! App, and its `MCP_RATE_LIMITS` states exactly what its `[[ratelimits]]` bindings enforce (a
//! Worker cannot read a binding's settings, so the two must be kept in step by hand).

#![cfg(not(target_arch = "wasm32"))] // black-box tests of the native build

use camunda_mcp_edge::app::App;
use camunda_mcp_edge::auth::signature::RustCrypto;
use camunda_mcp_edge::camunda::tools::ToolClass;
use camunda_mcp_edge::config::Config;
use camunda_mcp_edge::policy::binding_name;
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

#[test]
fn every_environment_is_a_working_configuration() {
    for (name, setup) in setups() {
        let vars = setup["vars"].as_table().unwrap().clone();
        let var = |n: &str| vars.get(n).and_then(Value::as_str).map(str::to_owned);
        let config = Config::from_vars(var).unwrap_or_else(|e| panic!("{name}: {e}"));
        App::new(config, RustCrypto).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn stated_rate_limits_match_the_bindings() {
    for (name, setup) in setups() {
        let vars = setup["vars"].as_table().unwrap().clone();
        let config =
            Config::from_vars(|n| vars.get(n).and_then(Value::as_str).map(str::to_owned)).unwrap();
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
