//! The cluster's JSON answer rewritten compactly in one pass, as serde_json parses it: `null`
//! members are left out (they carry nothing and cost the model tokens), and a search's top-level
//! `items` are tracked so that an answer too long for a model can be cut between whole items.
//!
//! Why not `serde_json::Value`: building the tree (a map and a `String` per object and member)
//! and writing it back took most of the CPU of a 100-item search and held about ten times the
//! answer's size in memory for a 10,000-item one (bench/RESULTS.md). Here the parser drives a
//! visitor that writes as it goes; strings are borrowed from the body, nothing is built. Items
//! past the cap are parsed (the answer must be valid JSON) but not kept, so the memory of a huge
//! search is the body plus about the cap.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

/// A compact copy of one JSON document.
pub struct Compact {
    /// The JSON text, less the items that could never fit the budget.
    pub json: String,
    /// The length the JSON text has with every item.
    pub full_len: usize,
    /// Where the top-level `items` array is, when the document is an object that has one.
    pub items: Option<Items>,
}

/// Offsets into [`Compact::json`] around a top-level `items` array.
pub struct Items {
    /// Just after `[`.
    open: usize,
    /// Just after each item kept.
    ends: Vec<usize>,
    /// At `]`.
    close: usize,
    /// How many items the cluster sent.
    pub total: usize,
}

impl Items {
    /// `json` (the [`Compact::json`] these offsets are into) with as many leading items as fit
    /// `max_len` bytes, and how many those are.
    pub fn cut(&self, json: &str, max_len: usize) -> (String, usize) {
        let rest = &json[self.close..];
        let fit = self.ends.partition_point(|end| end + rest.len() <= max_len);
        let cut = fit.checked_sub(1).map_or(self.open, |i| self.ends[i]);
        let mut out = String::with_capacity(cut + rest.len());
        out.push_str(&json[..cut]);
        out.push_str(rest);
        (out, fit)
    }
}

/// Rewrites `body` compactly without `null` members. Items of a top-level `items` array that
/// end past `budget` bytes are checked but dropped: the answer will be cut anyway.
pub fn compact(body: &[u8], budget: usize) -> serde_json::Result<Compact> {
    let mut state = State {
        out: Vec::with_capacity(body.len().min(budget.saturating_add(1024))),
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
    let full_len = state.out.len() + state.dropped;
    // serde_json writes only valid UTF-8; the check costs a fraction of the parse.
    let json = String::from_utf8(state.out).map_err(serde_json::Error::custom)?;
    Ok(Compact {
        json,
        full_len,
        items: state.items,
    })
}

struct State {
    out: Vec<u8>,
    budget: usize,
    /// Bytes of items written and then dropped for the budget.
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

/// Escaped strings and numbers, written as serde_json writes them (infallible into a Vec).
fn put<T: Serialize + ?Sized, E: Error>(out: &mut Vec<u8>, value: &T) -> Result<(), E> {
    serde_json::to_writer(out, value).map_err(E::custom)
}

/// A string the parser could borrow from the body had no escapes there, so it holds no `"`,
/// `\` or control character (those must be escaped in JSON): it is written as it came, which
/// skips the per-byte escaping scan.
fn verbatim(out: &mut Vec<u8>, v: &str) {
    out.reserve(v.len() + 2);
    out.push(b'"');
    out.extend_from_slice(v.as_bytes());
    out.push(b'"');
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_unit<E: Error>(self) -> Result<bool, E> {
        self.state.out.extend_from_slice(b"null");
        Ok(true)
    }

    fn visit_bool<E: Error>(self, v: bool) -> Result<bool, E> {
        let text: &[u8] = if v { b"true" } else { b"false" };
        self.state.out.extend_from_slice(text);
        Ok(false)
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<bool, E> {
        put(&mut self.state.out, &v).map(|()| false)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<bool, E> {
        put(&mut self.state.out, &v).map(|()| false)
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<bool, E> {
        put(&mut self.state.out, &v).map(|()| false)
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<bool, E> {
        verbatim(&mut self.state.out, v);
        Ok(false)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
        put(&mut self.state.out, v).map(|()| false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let st = self.state;
        st.out.push(b'[');
        let track = self.level == Level::Items && st.items.is_none();
        let mut items = Items {
            open: st.out.len(),
            ends: Vec::new(),
            close: 0,
            total: 0,
        };
        let mut over = false;
        loop {
            let mark = st.out.len();
            if items.total > 0 {
                st.out.push(b',');
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
            over = over || st.out.len() > st.budget;
            if over {
                st.dropped += st.out.len() - mark;
                st.out.truncate(mark);
            } else {
                items.ends.push(st.out.len());
            }
        }
        if track {
            items.close = st.out.len();
            st.items = Some(items);
        }
        st.out.push(b']');
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let st = self.state;
        st.out.push(b'{');
        let mut empty = true;
        loop {
            let mark = st.out.len();
            if !empty {
                st.out.push(b',');
            }
            let Some(is_items) = map.next_key_seed(Key(&mut st.out))? else {
                st.out.truncate(mark);
                break;
            };
            st.out.push(b':');
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
        st.out.push(b'}');
        Ok(false)
    }
}

/// Writes a member name; deserialises to whether it is `items`.
struct Key<'o>(&'o mut Vec<u8>);

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
        verbatim(self.0, v);
        Ok(v == "items")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
        put(self.0, v).map(|()| v == "items")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(body: &str, budget: usize) -> Compact {
        compact(body.as_bytes(), budget).unwrap()
    }

    #[test]
    fn drops_null_members_at_every_depth_but_keeps_nulls_in_arrays() {
        let c = text(
            r#" { "a" : null, "b" : [ null, {"c":null,"d":"\u00e9\"x"} ], "e":{"f":null} , "g":1.50} "#,
            usize::MAX,
        );
        assert_eq!(c.json, r#"{"b":[null,{"d":"é\"x"}],"e":{},"g":1.5}"#);
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
            assert_eq!(items.cut(&c.json, max), (json, kept), "max {max}");
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
        assert_eq!(items.cut(&c.json, usize::MAX).1, 1);
    }
}
