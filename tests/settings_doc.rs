//! `docs/configuration.md` lists exactly the settings the gateway reads, with their defaults,
//! ranges and choices: its table is rendered from `settings::SETTINGS`. Run with
//! `UPDATE_DOCS=1` to write the table after changing a setting.

use std::fs;
use std::path::Path;

use camunda_mcp_edge::settings::markdown_table;

const BEGIN: &str = "<!-- settings:begin";
const END: &str = "<!-- settings:end -->";

#[test]
fn the_configuration_doc_lists_every_setting_as_the_table_defines_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
    let doc = fs::read_to_string(&path).unwrap();
    let start = doc
        .find(BEGIN)
        .expect("docs/configuration.md has no settings:begin marker");
    let body = start + doc[start..].find('\n').unwrap() + 1;
    let end = doc
        .find(END)
        .expect("docs/configuration.md has no settings:end marker");
    let want = markdown_table();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(&path, format!("{}{want}{}", &doc[..body], &doc[end..])).unwrap();
        return;
    }
    assert_eq!(
        &doc[body..end],
        want,
        "docs/configuration.md's table differs from settings::SETTINGS: run UPDATE_DOCS=1 cargo test --test settings_doc"
    );
}

#[test]
fn every_setting_the_config_reads_is_in_the_table() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
    let mut read = Vec::new();
    for entry in fs::read_dir(src).unwrap() {
        let text = fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split('"').skip(1).step_by(2) {
            let is_name = ["CAMUNDA_", "MCP_", "OIDC_", "OAUTH_"]
                .iter()
                .any(|p| part.starts_with(p))
                && part
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit());
            if is_name {
                read.push(part.to_owned());
            }
        }
    }
    let table: Vec<&str> = camunda_mcp_edge::settings::SETTINGS
        .iter()
        .map(|s| s.name)
        .collect();
    for name in &read {
        assert!(
            table.contains(&name.as_str()),
            "{name} is read but not in SETTINGS"
        );
    }
    for name in &table {
        assert!(
            read.iter().any(|r| r == name),
            "{name} is in SETTINGS but never read"
        );
    }
}
