//! Text a person reads that someone else wrote (client names, a model's tool arguments): what
//! may not be shown as it is.

/// Characters that print nothing or change how the text around them reads.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // bidi marks, embeddings, overrides and isolates
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            // zero-width and invisible formatting
            | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}'
            | '\u{180E}' | '\u{034F}'
            // Hangul fillers, which render blank
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
            // tags and variation selectors
            | '\u{E0000}'..='\u{E007F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
            // Mongolian selectors, Khmer inherent vowels, deprecated format controls,
            // interlinear annotations, musical formatting, the blank Braille pattern
            | '\u{180B}'..='\u{180F}' | '\u{17B4}' | '\u{17B5}' | '\u{206A}'..='\u{206F}'
            | '\u{FFF9}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}' | '\u{2800}')
}

/// `text` with every hidden character, line or paragraph separator written as `\u{…}`, so it
/// shows what it is instead of reordering or hiding what follows.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// At most `max` characters of `text`, saying how many more there were.
pub fn shortened(text: &str, max: usize) -> String {
    let total = text.chars().count();
    if total <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… (+{} characters not shown)", total - max)
}

/// A value that must never reach a log line or an error message, not even through `{:?}`.
/// On the wire (a hand-over to the egress) it is the plain string.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities: the origin comes from the request's Host header.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_show_what_they_are() {
        assert_eq!(
            visible("a\u{202E}b\nc\u{2028}"),
            "a\\u{202e}b\\u{a}c\\u{2028}"
        );
        assert_eq!(shortened("abcdef", 3), "abc… (+3 characters not shown)");
        assert_eq!(shortened("abc", 3), "abc");
    }
}
