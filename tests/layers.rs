//! The crate's shape, checked: each top-level module may use only the modules of the layers
//! below its own (the layers are listed here and in `src/lib.rs`'s `# Layout`), and no file
//! reaches, directly or round about, back to itself. Reads the sources as text: a `use` or a
//! `crate::…`/`super::…` path (or a folder module's bare child name) anywhere outside comments
//! counts, up to the file's `mod tests {` block: unit tests may build fixtures with any module.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Bottom to top. A module may use modules of lower layers only.
const LAYERS: &[&[&str]] = &[
    &["text", "json", "routes", "view"],
    &["http", "settings"],
    &["ports", "mcp"],
    &["flight", "confirm"],
    &["auth"],
    &["camunda"],
    &["policy", "egress"],
    &["server"],
    &["config"],
    &["landing"],
    &["app"],
    &["edge"],
];

/// Module path (`auth::oauth::grant`) → source text, for every file under `src/`.
fn sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(stem);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if stem != "mod" && stem != "lib" {
                    module.push(stem);
                }
                out.insert(module.join("::"), fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The crate modules `text` (the source of `module`) names, as full module paths, known
/// modules only: `crate::a::b::Item` counts as `a::b`, `super::x` is resolved.
fn uses(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let parent: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
    // Module a::b's `super` is `a`, wherever its file is.
    let own = parent[..parent.len().saturating_sub(1)].to_vec();
    let mut found = BTreeSet::new();
    // A folder module names its children without a prefix (`use verifier::Verifier`).
    let children: Vec<&String> = known
        .iter()
        .filter(|k| {
            k.strip_prefix(&format!("{module}::"))
                .is_some_and(|c| !c.contains("::"))
        })
        .collect();
    let product = text.split("\nmod tests {").next().unwrap_or(text);
    for line in product.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for child in &children {
            let name = child.rsplit("::").next().unwrap();
            if line.contains(&format!("{name}::")) {
                found.insert((*child).clone());
            }
        }
        for (start, base) in [("crate::", Vec::new()), ("super::", own.clone())] {
            let mut rest = line;
            while let Some(at) = rest.find(start) {
                let tail = &rest[at + start.len()..];
                rest = tail;
                for path in expand(tail) {
                    let mut full = base.clone();
                    full.extend(path.iter().map(String::as_str));
                    // The longest known module the path starts with.
                    let best = (1..=full.len())
                        .rev()
                        .map(|n| full[..n].join("::"))
                        .find(|m| known.contains(m));
                    if let Some(m) = best.filter(|m| m != module) {
                        found.insert(m);
                    }
                }
            }
        }
    }
    found
}

/// The paths one `crate::`/`super::` tail names: `a::b::C` or `{a::X, b}` (one level of braces).
fn expand(tail: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|p| !p.is_empty())
            .collect()
    };
    if let Some(group) = tail.strip_prefix('{') {
        let group = group.split('}').next().unwrap_or("");
        group.split(',').map(|p| ident(p.trim())).collect()
    } else {
        vec![ident(tail)]
    }
}

fn layer_of(module: &str) -> usize {
    let top = module.split("::").next().unwrap();
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top))
        .unwrap_or_else(|| panic!("module {top} is in no layer: add it to LAYERS and lib.rs"))
}

#[test]
fn each_module_uses_only_lower_layers() {
    let src = sources();
    let known: BTreeSet<String> = src.keys().filter(|k| !k.is_empty()).cloned().collect();
    let mut wrong = Vec::new();
    for (module, text) in src.iter().filter(|(m, _)| !m.is_empty()) {
        let top = module.split("::").next().unwrap();
        for used in uses(module, text, &known) {
            let used_top = used.split("::").next().unwrap();
            if used_top != top && layer_of(&used) >= layer_of(module) {
                wrong.push(format!("{module} uses {used}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "upward or sideways uses:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_file_reaches_back_to_itself() {
    let src = sources();
    let known: BTreeSet<String> = src.keys().filter(|k| !k.is_empty()).cloned().collect();
    let graph: BTreeMap<&str, BTreeSet<String>> = src
        .iter()
        .filter(|(m, _)| !m.is_empty())
        .map(|(m, text)| (m.as_str(), uses(m, text, &known)))
        .collect();
    let mut cycles = Vec::new();
    for start in graph.keys() {
        // Depth-first from `start`, bounded by the number of modules.
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.to_string(), vec![])];
        let mut seen = BTreeSet::new();
        while let Some((at, trail)) = stack.pop() {
            for next in graph.get(at.as_str()).into_iter().flatten() {
                if next == start {
                    cycles.push(format!("{start} -> {} -> {start}", trail.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "{} modules reach back to themselves:\n{}",
        cycles.len(),
        cycles.join("\n")
    );
}

#[test]
fn the_layout_names_every_module() {
    let src = sources();
    let lib = &src[""];
    for layer in LAYERS {
        for module in *layer {
            assert!(
                lib.contains(&format!("[`{module}`]")) || lib.contains(&format!("`{module}` (")),
                "src/lib.rs's # Layout does not name {module}"
            );
        }
    }
}
