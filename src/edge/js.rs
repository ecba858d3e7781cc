//! What Rust and `src/edge.js` agree on besides the exported calls: failure codes and the
//! header-list format.

// Why `src/edge.js` could not deliver a body or an upstream answer (its numbers match);
// anything else is "unreachable".
pub(super) const TIMEOUT: u8 = 1;
pub(super) const TOO_LARGE: u8 = 2;
pub(super) const BROKEN: u8 = 3;

/// Headers as `name\nvalue` lines, the one string `src/edge.js` turns into a `Headers`.
pub(super) fn lines(headers: &[(&'static str, String)]) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(name);
        out.push('\n');
        out.push_str(value);
    }
    out
}
