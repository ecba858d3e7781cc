//! The process view: an MCP App (extension `io.modelcontextprotocol/ui`) that hosts render in a
//! sandboxed iframe beside the tool results of the `views` toolset. It is one self-contained HTML
//! document, put together here at compile time from bpmn-js (npm, pinned in package-lock.json:
//! its navigated viewer and CSS, read from `node_modules`) and our own script, style and markup in
//! `src/view/`. Serving it costs nothing per request and never reaches the cluster.

/// The extension's identifier, as capabilities name it.
pub const EXTENSION: &str = "io.modelcontextprotocol/ui";

/// The media type of an MCP App document.
pub const MIME_TYPE: &str = "text/html;profile=mcp-app";

/// One view a tool can name in its `_meta.ui.resourceUri`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct View {
    /// `ui://…`: what tools name and `resources/read` asks for.
    pub uri: &'static str,
    /// The resource's programmatic name and its title for people.
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The whole document.
    pub html: &'static str,
}

/// The diagram of a process definition or instance, with tokens, incidents and counts on it.
pub const PROCESS_VIEW: View = View {
    uri: "ui://camunda/process-view",
    name: "process-view",
    title: "Process view",
    description: "Draws a process definition or instance as its BPMN diagram: where the tokens \
                  are, incidents in red with their messages, the path taken, and per-element counts.",
    html: PROCESS_VIEW_HTML,
};

/// bpmn-js's CSS and viewer come first, so our script and style can use and restyle them. The
/// viewer keeps its bpmn.io watermark: bpmn-js's licence requires it to stay visible.
const PROCESS_VIEW_HTML: &str = concat!(
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
    "<title>Camunda process view</title><style>",
    include_str!("../node_modules/bpmn-js/dist/assets/diagram-js.css"),
    include_str!("../node_modules/bpmn-js/dist/assets/bpmn-js.css"),
    include_str!("view/view.css"),
    "</style></head><body>",
    include_str!("view/body.html"),
    "<script>",
    include_str!("../node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js"),
    "</script><script>",
    include_str!("view/view.js"),
    "</script></body></html>",
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Inlined code must not end its element early: each `<script>`/`<style>` we open is
    /// closed exactly once, by us.
    #[test]
    fn the_document_is_whole_and_self_contained() {
        let html = PROCESS_VIEW.html;
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
        assert_eq!(html.matches("</script").count(), 2);
        assert_eq!(html.matches("<script").count(), 2);
        assert_eq!(html.matches("</style").count(), 1);
        // Nothing loaded from elsewhere: hosts' default CSP allows no network at all.
        for outside in [
            "<script src",
            "<link ",
            "@import",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!html.contains(outside), "{outside}");
        }
        assert!(html.contains("bjs-powered-by"), "bpmn-js's watermark stays");
        assert!(html.len() > 150_000, "bpmn-js is inlined");
    }
}
