//! The cluster's JSON answer rewritten compactly in one pass, as serde_json parses it: `null`
//! members are left out (they carry nothing and cost the model tokens), and a search's top-level
//! `items` are tracked so that an answer too long for a model can be cut between whole items.
//! The same pass writes the text copy an MCP result carries beside `structuredContent`: the JSON
//! escaped as the content of a JSON string.
//!
//! Why not `serde_json::Value`: building the tree (a map and a `String` per object and member)
//! and writing it back took most of the CPU of a 100-item search and held about ten times the
//! answer's size in memory for a 10,000-item one (bench/RESULTS.md). Here the parser drives a
//! visitor that writes as it goes; strings are borrowed from the body, nothing is built. Items
//! past the cap are parsed (the answer must be valid JSON) but not kept, so the memory of a huge
//! search is the body plus about twice the cap. Escaping the finished JSON for the text copy
//! took a fifth of a search's instructions; written alongside, most of it is the same bytes.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

/// A compact copy of one JSON document.
pub struct Compact {
    /// The JSON text, less the items that could never fit the budget.
    pub json: String,
    /// `json` escaped as the content of a JSON string (without the quotes around it).
    pub text: String,
    /// The length the JSON text has with every item.
    pub full_len: usize,
    /// Where the top-level `items` array is, when the document is an object that has one.
    pub items: Option<Items>,
}

/// A position in both outputs.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Mark {
    json: usize,
    text: usize,
}

/// Positions in a [`Compact`] around a top-level `items` array.
pub struct Items {
    /// Just after `[`.
    open: Mark,
    /// Just after each item kept.
    ends: Vec<Mark>,
    /// At `]`.
    close: Mark,
    /// How many items the cluster sent.
    pub total: usize,
}

impl Items {
    /// The JSON and its text copy with as many leading items as fit `max_len` bytes of JSON,
    /// and how many those are.
    pub fn cut(&self, compact: &Compact, max_len: usize) -> (String, String, usize) {
        let rest = compact.json.len() - self.close.json;
        let fit = self.ends.partition_point(|end| end.json + rest <= max_len);
        let cut = fit.checked_sub(1).map_or(self.open, |i| self.ends[i]);
        let join = |s: &str, cut: usize, close: usize| [&s[..cut], &s[close..]].concat();
        (
            join(&compact.json, cut.json, self.close.json),
            join(&compact.text, cut.text, self.close.text),
            fit,
        )
    }
}

/// Rewrites `body` compactly without `null` members. Items of a top-level `items` array that
/// end past `budget` bytes are checked but dropped: the answer will be cut anyway.
pub fn compact(body: &[u8], budget: usize) -> serde_json::Result<Compact> {
    let capacity = body.len().min(budget.saturating_add(1024));
    let mut state = State {
        out: Out {
            json: Vec::with_capacity(capacity),
            text: Vec::with_capacity(capacity + capacity / 4),
        },
        budget,
        dropped: 0,
        items: None,
    };
    // One UTF-8 check of the whole body: parsing a `&str`, serde_json then skips the check it
    // makes of each string of a byte slice (a tenth of the instructions of a 100-item search).
    let text = std::str::from_utf8(body).map_err(serde_json::Error::custom)?;
    let mut de = serde_json::Deserializer::from_str(text);
    Node {
        state: &mut state,
        level: Level::Top,
    }
    .deserialize(&mut de)?;
    de.end()?;
    let full_len = state.out.json.len() + state.dropped;
    // Both are written from valid UTF-8 only; the checks cost a fraction of the parse.
    let utf8 = |bytes| String::from_utf8(bytes).map_err(serde_json::Error::custom);
    Ok(Compact {
        json: utf8(state.out.json)?,
        text: utf8(state.out.text)?,
        full_len,
        items: state.items,
    })
}

/// The JSON and its text copy, written together.
struct Out {
    json: Vec<u8>,
    text: Vec<u8>,
}

impl Out {
    fn mark(&self) -> Mark {
        Mark {
            json: self.json.len(),
            text: self.text.len(),
        }
    }

    fn truncate(&mut self, mark: Mark) {
        self.json.truncate(mark.json);
        self.text.truncate(mark.text);
    }

    /// Punctuation and literals: the same bytes in both.
    fn plain(&mut self, bytes: &[u8]) {
        self.json.extend_from_slice(bytes);
        self.text.extend_from_slice(bytes);
    }

    /// A string the parser could borrow from the body had no escapes there, so it holds no
    /// `"`, `\` or control character (those must be escaped in JSON): it is written as it came,
    /// which skips the per-byte escaping scan.
    fn verbatim(&mut self, s: &str) {
        self.json.reserve(s.len() + 2);
        self.json.push(b'"');
        self.json.extend_from_slice(s.as_bytes());
        self.json.push(b'"');
        self.text.reserve(s.len() + 4);
        self.text.extend_from_slice(b"\\\"");
        self.text.extend_from_slice(s.as_bytes());
        self.text.extend_from_slice(b"\\\"");
    }

    /// Escaped strings and numbers, written as serde_json writes them (infallible into a Vec);
    /// the text copy escapes their `"` and `\` (serde_json leaves no control character raw).
    fn serialized<T: Serialize + ?Sized, E: Error>(&mut self, value: &T) -> Result<(), E> {
        let Out { json, text } = self;
        let start = json.len();
        serde_json::to_writer(&mut *json, value).map_err(E::custom)?;
        for &b in &json[start..] {
            if b == b'"' || b == b'\\' {
                text.push(b'\\');
            }
            text.push(b);
        }
        Ok(())
    }
}

struct State {
    out: Out,
    budget: usize,
    /// Bytes of JSON of items written and then dropped for the budget.
    dropped: usize,
    items: Option<Items>,
}

#[derive(Clone, Copy, PartialEq)]
enum Level {
    /// The document itself: an object here may hold the `items` to track.
    Top,
    /// The value of the top-level `items` member.
    Items,
    Inner,
}

/// Writes one value; deserialises to whether that value was `null`.
struct Node<'s> {
    state: &'s mut State,
    level: Level,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<bool, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_unit<E: Error>(self) -> Result<bool, E> {
        self.state.out.plain(b"null");
        Ok(true)
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<bool, E> {
        self.state.out.plain(if v { b"true" } else { b"false" });
        Ok(false)
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<bool, E> {
        self.state.out.serialized(&v).map(|()| false)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<bool, E> {
        self.state.out.serialized(&v).map(|()| false)
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<bool, E> {
        self.state.out.serialized(&v).map(|()| false)
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<bool, E> {
        self.state.out.verbatim(v);
        Ok(false)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
        self.state.out.serialized(v).map(|()| false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let st = self.state;
        st.out.plain(b"[");
        let track = self.level == Level::Items && st.items.is_none();
        let mut items = Items {
            open: st.out.mark(),
            ends: Vec::new(),
            close: st.out.mark(),
            total: 0,
        };
        let mut over = false;
        loop {
            let mark = st.out.mark();
            if items.total > 0 {
                st.out.plain(b",");
            }
            let node = Node {
                state: &mut *st,
                level: Level::Inner,
            };
            if seq.next_element_seed(node)?.is_none() {
                st.out.truncate(mark);
                break;
            }
            items.total += 1;
            if !track {
                continue;
            }
            // Items are kept while they end within the budget; after the first that does not,
            // none is (a cut keeps a leading run of whole items).
            over = over || st.out.json.len() > st.budget;
            if over {
                st.dropped += st.out.json.len() - mark.json;
                st.out.truncate(mark);
            } else {
                items.ends.push(st.out.mark());
            }
        }
        if track {
            items.close = st.out.mark();
            st.items = Some(items);
        }
        st.out.plain(b"]");
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let st = self.state;
        st.out.plain(b"{");
        let mut empty = true;
        loop {
            let mark = st.out.mark();
            if !empty {
                st.out.plain(b",");
            }
            let Some(is_items) = map.next_key_seed(Key(&mut st.out))? else {
                st.out.truncate(mark);
                break;
            };
            st.out.plain(b":");
            let level = if self.level == Level::Top && is_items {
                Level::Items
            } else {
                Level::Inner
            };
            let node = Node {
                state: &mut *st,
                level,
            };
            if map.next_value_seed(node)? {
                st.out.truncate(mark);
            } else {
                empty = false;
            }
        }
        st.out.plain(b"}");
        Ok(false)
    }
}

/// Writes a member name; deserialises to whether it is `items`.
struct Key<'o>(&'o mut Out);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<bool, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<bool, E> {
        self.0.verbatim(v);
        Ok(v == "items")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
        self.0.serialized(v).map(|()| v == "items")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compacts, checking that the text copy is the JSON escaped as serde_json escapes it.
    fn text(body: &str, budget: usize) -> Compact {
        let c = compact(body.as_bytes(), budget).unwrap();
        assert_eq!(escaped(&c.json), c.text);
        c
    }

    fn escaped(json: &str) -> String {
        let quoted = serde_json::to_string(json).unwrap();
        quoted[1..quoted.len() - 1].to_owned()
    }

    #[test]
    fn drops_null_members_at_every_depth_but_keeps_nulls_in_arrays() {
        let c = text(
            r#" { "a" : null, "b" : [ null, {"c":null,"d":"\u00e9\"x"} ], "e":{"f":null} , "g":1.50, "h\\i":"\n"} "#,
            usize::MAX,
        );
        assert_eq!(
            c.json,
            r#"{"b":[null,{"d":"é\"x"}],"e":{},"g":1.5,"h\\i":"\n"}"#
        );
        assert_eq!(c.full_len, c.json.len());
        assert!(c.items.is_none());
    }

    #[test]
    fn refuses_what_is_not_one_json_document() {
        for body in [
            "",
            "{",
            r#"{"a":1}x"#,
            "[1,]",
            r#"{"a" 1}"#,
            "nul",
            "\"\\ud800\"",
        ] {
            assert!(compact(body.as_bytes(), usize::MAX).is_err(), "{body:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(compact(deep.as_bytes(), usize::MAX).is_err());
    }

    #[test]
    fn top_level_items_are_tracked_and_cut_between_whole_items() {
        let body = r#"{"items":[{"k":1},{"k":22},{"k":333}],"page":{"totalItems":3,"x":null}}"#;
        let c = text(body, usize::MAX);
        assert_eq!(
            c.json,
            r#"{"items":[{"k":1},{"k":22},{"k":333}],"page":{"totalItems":3}}"#
        );
        let items = c.items.as_ref().unwrap();
        assert_eq!(items.total, 3);
        let tail = r#"],"page":{"totalItems":3}}"#;
        for (max, kept, json) in [
            (1000, 3, c.json.clone()),
            (
                c.json.len() - 1,
                2,
                format!(r#"{{"items":[{{"k":1}},{{"k":22}}{tail}"#),
            ),
            (45, 1, format!(r#"{{"items":[{{"k":1}}{tail}"#)),
            (5, 0, format!(r#"{{"items":[{tail}"#)),
        ] {
            let text = escaped(&json);
            assert_eq!(items.cut(&c, max), (json, text, kept), "max {max}");
        }
        // Nested or non-array `items` are not the search's items.
        assert!(text(r#"{"a":{"items":[1]}}"#, 1).items.is_none());
        assert!(text(r#"{"items":{"x":[1]}}"#, 1).items.is_none());
        assert!(text(r#"[{"items":[1]}]"#, 1).items.is_none());
    }

    #[test]
    fn items_past_the_budget_are_counted_but_not_kept() {
        let body = r#"{"items":[{"k":1},{"k":22},{"k":333}],"page":{}}"#;
        let whole = text(body, usize::MAX);
        let c = text(body, 20);
        assert_eq!(c.json, r#"{"items":[{"k":1}],"page":{}}"#);
        assert_eq!(c.full_len, whole.json.len());
        let items = c.items.as_ref().unwrap();
        assert_eq!(items.total, 3);
        assert_eq!(items.cut(&c, usize::MAX).2, 1);
    }
}
