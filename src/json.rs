//! The cluster's JSON answer rewritten compactly in one pass, fed as its chunks arrive: `null`
//! members are left out (they carry nothing and cost the model tokens), and a search's top-level
//! `items` are tracked so that an answer too long for a model can be cut between whole items.
//! The same pass writes the text copy an MCP result carries beside `structuredContent`: the JSON
//! escaped as the content of a JSON string.
//!
//! Why a parser of our own, pushed a chunk at a time: the Workers adapter hands over each chunk
//! of the upstream body as it is read and forgets it, so a 10,000-item search never sits whole
//! in memory; items past the budget are checked (the answer must be valid JSON) but not kept,
//! so what is held is the budget plus one item. serde_json cannot resume a parse when the next
//! chunk arrives, and its tree (`Value`) held about ten times the answer and took most of a
//! search's CPU (bench/RESULTS.md). Strings and numbers are copied as the cluster wrote them,
//! escapes included, once their grammar is checked: nothing is decoded and encoded again.

/// Deepest nesting accepted: serde_json's limit, as callers may parse the result with it.
const MAX_DEPTH: usize = 128;

/// A compact copy of one JSON document.
#[derive(Clone, Debug, PartialEq)]
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

/// Why an answer is not one JSON document.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum JsonError {
    #[error("the body is empty")]
    Empty,
    #[error("{what} at byte {at}")]
    Syntax { what: &'static str, at: usize },
}

/// A position in both outputs.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Mark {
    json: usize,
    text: usize,
}

/// Positions in a [`Compact`] around a top-level `items` array.
#[derive(Clone, Debug, PartialEq)]
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

/// Rewrites a body that is already whole (see [`Compactor`]).
pub fn compact(body: &[u8], budget: usize) -> Result<Compact, JsonError> {
    let mut c = Compactor::new(budget, body.len());
    c.feed(body);
    c.finish()
}

/// Rewrites one JSON document compactly without `null` members, from chunks split anywhere.
/// Items of a top-level `items` array that end past `budget` bytes are checked but dropped:
/// the answer will be cut anyway. The first fault is kept and later chunks are ignored.
#[derive(Debug)]
pub struct Compactor {
    out: Out,
    budget: usize,
    /// Bytes of JSON of items written and then dropped for the budget.
    dropped: usize,
    items: Option<Items>,
    /// The containers open around the current position, innermost last.
    stack: Vec<Frame>,
    expect: Expect,
    /// Bytes fed so far, to say where a fault is.
    offset: usize,
    /// The start of a UTF-8 sequence the last chunk ended inside.
    carry: Vec<u8>,
    fault: Option<JsonError>,
}

/// What the grammar allows next (RFC 8259).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// The document, an element after `,` or a member's value after `:`.
    Value,
    /// After `[`.
    ValueOrClose,
    /// After `{`.
    NameOrClose,
    /// After `,` in an object.
    Name,
    Colon,
    /// After a value inside a container.
    CommaOrClose,
    /// After the document: only whitespace.
    End,
    Str(Text),
    /// After a backslash in a string.
    Escape(Text),
    /// Inside a `\u` escape: how many hex digits are left, the code unit so far, and whether
    /// it must be the low half of a surrogate pair.
    Unicode(Text, u8, u16, bool),
    /// After a high surrogate's `\u` escape, whose low half must follow: its backslash
    /// (false) or its `u` (true).
    LowHalf(Text, bool),
    Number(Num),
    /// Inside `true`, `false` or `null`: the word and how much of it has been read.
    Literal(&'static [u8], u8),
}

/// Whether a string is a member name or a value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Text {
    Name,
    Value,
}

/// The part of a number its last character was in.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Fraction,
    E,
    ExponentSign,
    Exponent,
}

impl Num {
    fn next(self, b: u8) -> Option<Num> {
        use Num::*;
        Some(match (self, b) {
            (Minus, b'0') => Zero,
            (Minus, b'1'..=b'9') | (Int, b'0'..=b'9') => Int,
            (Zero | Int, b'.') => Dot,
            (Dot | Fraction, b'0'..=b'9') => Fraction,
            (Zero | Int | Fraction, b'e' | b'E') => E,
            (E, b'+' | b'-') => ExponentSign,
            (E | ExponentSign | Exponent, b'0'..=b'9') => Exponent,
            _ => return None,
        })
    }

    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int | Num::Fraction | Num::Exponent)
    }
}

/// An open container. `start` is where its current element or member began, so that a `null`
/// member or an item past the budget can be taken back.
#[derive(Debug)]
enum Frame {
    Array {
        start: Mark,
        seen: usize,
        /// Kept for the top-level `items` only.
        items: Option<Items>,
        /// An item of `items` ended past the budget: it and all after it are dropped.
        over: bool,
    },
    Object {
        start: Mark,
        kept: usize,
        /// The document itself, whose `items` member is tracked.
        top: bool,
        /// Where the current member's name starts in the JSON.
        name_at: usize,
        /// The current member is the top-level `items`.
        is_items: bool,
    },
}

/// Bytes consumed, or what is wrong at the first of them.
type Step = Result<usize, &'static str>;

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// How many leading bytes hold no quote, backslash or control character: eight at a time
/// (SWAR), as strings are most of a search's bytes.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // The lowest byte flagged is exact: borrows only make bytes above a true one look flagged.
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let special = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8) {
        let v = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let found = zero_byte(v ^ (ONES * b'"' as u64))
            | zero_byte(v ^ (ONES * b'\\' as u64))
            | (v.wrapping_sub(ONES * 0x20) & !v & HIGH);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| special(b))
        .unwrap_or(bytes.len() - at)
}

impl Compactor {
    /// `size_hint`: the body's length, if known, to size the outputs (never past the budget).
    pub fn new(budget: usize, size_hint: usize) -> Self {
        let capacity = size_hint.min(budget.saturating_add(1024));
        Compactor {
            out: Out {
                json: Vec::with_capacity(capacity),
                text: Vec::with_capacity(capacity + capacity / 4),
            },
            budget,
            dropped: 0,
            items: None,
            stack: Vec::new(),
            expect: Expect::Value,
            offset: 0,
            carry: Vec::new(),
            fault: None,
        }
    }

    /// Takes the next chunk of the body.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.fault.is_some() {
            return;
        }
        if let Err(at) = self.check_utf8(chunk) {
            return self.fail("invalid UTF-8", at);
        }
        let mut i = 0;
        while i < chunk.len() {
            match self.step(&chunk[i..]) {
                Ok(n) => i += n,
                Err(what) => return self.fail(what, self.offset + i),
            }
        }
        self.offset += chunk.len();
    }

    /// The compact document, once the body has ended.
    pub fn finish(mut self) -> Result<Compact, JsonError> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        if self.offset == 0 {
            return Err(JsonError::Empty);
        }
        let at = self.offset;
        let end = move |what| JsonError::Syntax { what, at };
        if !self.carry.is_empty() {
            return Err(end("invalid UTF-8"));
        }
        match self.expect {
            Expect::Number(n) if n.complete() && self.stack.is_empty() => self.value_done(false),
            Expect::End => {}
            _ => return Err(end("unexpected end of the document")),
        }
        let full_len = self.out.json.len() + self.dropped;
        // Cut only between tokens of input already checked, both are UTF-8; checking is cheap.
        let utf8 = |bytes| String::from_utf8(bytes).map_err(|_| end("invalid UTF-8"));
        Ok(Compact {
            json: utf8(self.out.json)?,
            text: utf8(self.out.text)?,
            full_len,
            items: self.items,
        })
    }

    fn fail(&mut self, what: &'static str, at: usize) {
        self.fault = Some(JsonError::Syntax { what, at });
    }

    /// Checks that the chunk is UTF-8, given the sequence the last one ended inside, and keeps
    /// the start of one this chunk ends inside. Err: where the invalid bytes are.
    fn check_utf8(&mut self, chunk: &[u8]) -> Result<(), usize> {
        let mut rest = chunk;
        if let Some(&lead) = self.carry.first() {
            let began = self.offset - self.carry.len();
            let len = match lead {
                0xf0.. => 4,
                0xe0.. => 3,
                _ => 2,
            };
            let take = (len - self.carry.len()).min(rest.len());
            self.carry.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err(began),
            }
        }
        match std::str::from_utf8(rest) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.carry = rest[e.valid_up_to()..].to_vec();
                Ok(())
            }
            Err(e) => Err(self.offset + (chunk.len() - rest.len()) + e.valid_up_to()),
        }
    }

    /// Consumes the start of `rest`: at least one byte, or none where a number ends.
    fn step(&mut self, rest: &[u8]) -> Step {
        let b = rest[0];
        self.expect = match self.expect {
            Expect::Str(text) => return self.string(rest, text),
            Expect::Escape(text) => match b {
                b'"' | b'\\' => {
                    self.out.escaped(b);
                    Expect::Str(text)
                }
                b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                    self.out.byte(b);
                    Expect::Str(text)
                }
                b'u' => {
                    self.out.byte(b'u');
                    Expect::Unicode(text, 4, 0, false)
                }
                _ => return Err("invalid escape in a string"),
            },
            Expect::Unicode(text, left, unit, low) => {
                let digit = (b as char).to_digit(16).ok_or("invalid \\u escape")?;
                let unit = unit << 4 | digit as u16;
                self.out.byte(b);
                match (left, unit, low) {
                    (1, 0xdc00..=0xdfff, true) => Expect::Str(text),
                    (1, _, true) | (1, 0xdc00..=0xdfff, false) => {
                        return Err("unpaired surrogate in a \\u escape")
                    }
                    (1, 0xd800..=0xdbff, false) => Expect::LowHalf(text, false),
                    (1, _, false) => Expect::Str(text),
                    _ => Expect::Unicode(text, left - 1, unit, low),
                }
            }
            Expect::LowHalf(text, after_backslash) => match (after_backslash, b) {
                (false, b'\\') => {
                    self.out.escaped(b);
                    Expect::LowHalf(text, true)
                }
                (true, b'u') => {
                    self.out.byte(b'u');
                    Expect::Unicode(text, 4, 0, true)
                }
                _ => return Err("unpaired surrogate in a \\u escape"),
            },
            Expect::Number(n) => return self.number(rest, n),
            Expect::Literal(word, at) => return self.literal(rest, word, at as usize),
            _ if is_space(b) => {
                return Ok(rest
                    .iter()
                    .position(|&b| !is_space(b))
                    .unwrap_or(rest.len()));
            }
            Expect::ValueOrClose if b == b']' => return self.close(),
            Expect::NameOrClose if b == b'}' => return self.close(),
            Expect::Value | Expect::ValueOrClose => return self.value(b),
            Expect::Name | Expect::NameOrClose if b == b'"' => return Ok(self.name()),
            Expect::Name | Expect::NameOrClose => return Err("expected a member name"),
            Expect::Colon if b == b':' => {
                self.out.byte(b':');
                Expect::Value
            }
            Expect::Colon => return Err("expected ':'"),
            Expect::CommaOrClose => match (b, self.stack.last()) {
                (b',', Some(Frame::Array { .. })) => Expect::Value,
                (b',', _) => Expect::Name,
                (b']', Some(Frame::Array { .. })) | (b'}', Some(Frame::Object { .. })) => {
                    return self.close()
                }
                _ => return Err("expected ',' or the end of the container"),
            },
            Expect::End => return Err("more after the end of the document"),
        };
        Ok(1)
    }

    /// A run of a number's characters; where it ends, the value does (consuming nothing more).
    fn number(&mut self, rest: &[u8], mut n: Num) -> Step {
        let mut len = 0;
        while let Some(next) = rest.get(len).and_then(|&b| n.next(b)) {
            n = next;
            len += 1;
        }
        self.out.plain(&rest[..len]);
        if len == rest.len() {
            self.expect = Expect::Number(n);
        } else if n.complete() {
            self.value_done(false);
        } else if len > 0 {
            // Reported at the character that does not fit.
            self.expect = Expect::Number(n);
        } else {
            return Err("invalid number");
        }
        Ok(len)
    }

    /// As much of `true`, `false` or `null` as `rest` holds, `at` characters of it read.
    fn literal(&mut self, rest: &[u8], word: &'static [u8], at: usize) -> Step {
        let want = &word[at..];
        let len = want.len().min(rest.len());
        if let Some(wrong) = (0..len).find(|&i| rest[i] != want[i]) {
            // Reported at the character that is wrong.
            self.out.plain(&rest[..wrong]);
            self.expect = Expect::Literal(word, (at + wrong) as u8);
            return if wrong > 0 {
                Ok(wrong)
            } else {
                Err("invalid literal")
            };
        }
        self.out.plain(&rest[..len]);
        if len < want.len() {
            self.expect = Expect::Literal(word, (at + len) as u8);
        } else {
            self.value_done(word == b"null");
        }
        Ok(len)
    }

    /// A run of a string's characters, up to and including its closing quote or a backslash.
    fn string(&mut self, rest: &[u8], text: Text) -> Step {
        let n = plain_run(rest);
        // It holds no quote or backslash: the same bytes in the text copy.
        self.out.plain(&rest[..n]);
        match rest.get(n) {
            None => return Ok(n),
            Some(b'\\') => {
                self.out.escaped(b'\\');
                self.expect = Expect::Escape(text);
            }
            Some(b'"') => {
                if let (
                    Text::Name,
                    Some(Frame::Object {
                        top: true,
                        name_at,
                        is_items,
                        ..
                    }),
                ) = (text, self.stack.last_mut())
                {
                    *is_items = &self.out.json[*name_at..] == b"items";
                }
                self.out.escaped(b'"');
                match text {
                    Text::Name => self.expect = Expect::Colon,
                    Text::Value => self.value_done(false),
                }
            }
            // A control character: taken up again at its own position, to be reported there.
            Some(_) if n > 0 => return Ok(n),
            Some(_) => return Err("control character in a string"),
        }
        Ok(n + 1)
    }

    /// A member's opening quote.
    fn name(&mut self) -> usize {
        if let Some(Frame::Object {
            start,
            kept,
            name_at,
            ..
        }) = self.stack.last_mut()
        {
            *start = self.out.mark();
            if *kept > 0 {
                self.out.byte(b',');
            }
            self.out.escaped(b'"');
            *name_at = self.out.json.len();
        }
        self.expect = Expect::Str(Text::Name);
        1
    }

    /// The first character of a value.
    fn value(&mut self, b: u8) -> Step {
        let track = match self.stack.last_mut() {
            Some(Frame::Array { start, seen, .. }) => {
                *start = self.out.mark();
                if *seen > 0 {
                    self.out.byte(b',');
                }
                false
            }
            Some(Frame::Object { is_items, .. }) => *is_items && self.items.is_none(),
            None => false,
        };
        if matches!(b, b'[' | b'{') && self.stack.len() >= MAX_DEPTH {
            return Err("nested deeper than 128 levels");
        }
        if b == b'"' {
            self.out.escaped(b);
        } else {
            self.out.byte(b);
        }
        let open = self.out.mark();
        self.expect = match b {
            b'{' => {
                self.stack.push(Frame::Object {
                    start: open,
                    kept: 0,
                    top: self.stack.is_empty(),
                    name_at: 0,
                    is_items: false,
                });
                Expect::NameOrClose
            }
            b'[' => {
                self.stack.push(Frame::Array {
                    start: open,
                    seen: 0,
                    items: track.then(|| Items {
                        open,
                        ends: Vec::new(),
                        close: open,
                        total: 0,
                    }),
                    over: false,
                });
                Expect::ValueOrClose
            }
            b'"' => Expect::Str(Text::Value),
            b'-' => Expect::Number(Num::Minus),
            b'0' => Expect::Number(Num::Zero),
            b'1'..=b'9' => Expect::Number(Num::Int),
            b't' => Expect::Literal(b"true", 1),
            b'f' => Expect::Literal(b"false", 1),
            b'n' => Expect::Literal(b"null", 1),
            _ => return Err("expected a value"),
        };
        Ok(1)
    }

    /// The closing bracket of the innermost container, which the caller has matched.
    fn close(&mut self) -> Step {
        match self.stack.pop() {
            Some(Frame::Array { items, .. }) => {
                if let Some(mut items) = items {
                    items.close = self.out.mark();
                    self.items = Some(items);
                }
                self.out.byte(b']');
            }
            _ => self.out.plain(b"}"),
        }
        self.value_done(false);
        Ok(1)
    }

    /// A value has ended: a `null` member is taken back, an item past the budget dropped.
    fn value_done(&mut self, null: bool) {
        let Compactor {
            out,
            budget,
            dropped,
            stack,
            ..
        } = self;
        self.expect = match stack.last_mut() {
            None => Expect::End,
            Some(Frame::Object { start, kept, .. }) => {
                if null {
                    out.truncate(*start);
                } else {
                    *kept += 1;
                }
                Expect::CommaOrClose
            }
            Some(Frame::Array {
                start,
                seen,
                items,
                over,
            }) => {
                *seen += 1;
                if let Some(items) = items {
                    items.total += 1;
                    // Items are kept while they end within the budget; after the first that
                    // does not, none is (a cut keeps a leading run of whole items).
                    *over = *over || out.json.len() > *budget;
                    if *over {
                        *dropped += out.json.len() - start.json;
                        out.truncate(*start);
                    } else {
                        items.ends.push(out.mark());
                    }
                }
                Expect::CommaOrClose
            }
        };
    }
}

/// The JSON and its text copy, written together.
#[derive(Debug)]
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

    /// Bytes with no quote or backslash: the same in both.
    fn plain(&mut self, bytes: &[u8]) {
        self.json.extend_from_slice(bytes);
        self.text.extend_from_slice(bytes);
    }

    /// Punctuation, a literal's or an escape's character: the same in both.
    fn byte(&mut self, b: u8) {
        self.json.push(b);
        self.text.push(b);
    }

    /// A quote or a backslash, escaped in the text copy. Raw control characters cannot occur:
    /// JSON strings escape them, and whitespace between tokens is not copied.
    fn escaped(&mut self, b: u8) {
        self.json.push(b);
        self.text.extend_from_slice(&[b'\\', b]);
    }
}

/// Removes `null` members at every depth: they carry nothing and cost the model tokens.
pub fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compacts, checking that the text copy is the JSON escaped as serde_json escapes it and
    /// that the same comes out however the body is split into chunks.
    fn text(body: &str, budget: usize) -> Compact {
        let c = compact(body.as_bytes(), budget).unwrap();
        assert_eq!(escaped(&c.json), c.text);
        assert_eq!(in_pieces(body.as_bytes(), budget, 1), Ok(c.clone()));
        for at in 0..=body.len() {
            let mut split = Compactor::new(budget, 0);
            split.feed(&body.as_bytes()[..at]);
            split.feed(&body.as_bytes()[at..]);
            assert_eq!(split.finish(), Ok(c.clone()), "split at {at}");
        }
        c
    }

    fn in_pieces(body: &[u8], budget: usize, size: usize) -> Result<Compact, JsonError> {
        let mut c = Compactor::new(budget, 0);
        body.chunks(size).for_each(|piece| c.feed(piece));
        c.finish()
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
        // Escapes and numbers stay as the cluster wrote them.
        assert_eq!(
            c.json,
            r#"{"b":[null,{"d":"\u00e9\"x"}],"e":{},"g":1.50,"h\\i":"\n"}"#
        );
        assert_eq!(c.full_len, c.json.len());
        assert!(c.items.is_none());
    }

    #[test]
    fn means_what_serde_json_reads_less_the_null_members() {
        for body in [
            "0",
            " -0.5e+10 ",
            "12345678901234567890",
            "true",
            "null",
            r#""\ud83d\ude00 é ✓ \/ \b\f\n\r\t \\ \" \u0000""#,
            r#"[1,[2,[3,{"a":[]}]],{},[],"",-1E-2,false]"#,
            r#"{"items":[{"k":"v","n":null}],"page":{"totalItems":1,"endCursor":null}}"#,
            r#"{"":{"":{"items":[null,null]}},"items":"not an array"}"#,
        ] {
            let c = text(body, usize::MAX);
            let mut expected: serde_json::Value = serde_json::from_str(body).unwrap();
            drop_nulls(&mut expected);
            let got: serde_json::Value = serde_json::from_str(&c.json).unwrap();
            assert_eq!(got, expected, "{body}");
        }
    }

    #[test]
    fn says_what_is_wrong_and_where() {
        let syntax = |what, at| Err(JsonError::Syntax { what, at });
        for (body, fault) in [
            ("", Err(JsonError::Empty)),
            (" ", syntax("unexpected end of the document", 1)),
            ("<html>", syntax("expected a value", 0)),
            (
                r#"{"a":1}x"#,
                syntax("more after the end of the document", 7),
            ),
            ("[1,]", syntax("expected a value", 3)),
            (r#"{"a" 1}"#, syntax("expected ':'", 5)),
            (r#"{"a":1,}"#, syntax("expected a member name", 7)),
            ("[1}", syntax("expected ',' or the end of the container", 2)),
            ("01", syntax("more after the end of the document", 1)),
            ("1.", syntax("unexpected end of the document", 2)),
            ("[-]", syntax("invalid number", 2)),
            ("nul", syntax("unexpected end of the document", 3)),
            ("nulL", syntax("invalid literal", 3)),
            ("\"a\tb\"", syntax("control character in a string", 2)),
            (r#""\x""#, syntax("invalid escape in a string", 2)),
            (r#""\u12G4""#, syntax("invalid \\u escape", 5)),
            (
                r#""\ud800""#,
                syntax("unpaired surrogate in a \\u escape", 7),
            ),
            (
                r#""\ud800\u0041""#,
                syntax("unpaired surrogate in a \\u escape", 12),
            ),
            (
                r#""\udc00""#,
                syntax("unpaired surrogate in a \\u escape", 6),
            ),
            (
                r#"{"truncated": "#,
                syntax("unexpected end of the document", 14),
            ),
        ] {
            assert_eq!(compact(body.as_bytes(), usize::MAX), fault, "{body:?}");
            assert_eq!(
                in_pieces(body.as_bytes(), usize::MAX, 1),
                fault,
                "{body:?} bytewise"
            );
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(
            compact(deep.as_bytes(), usize::MAX),
            syntax("nested deeper than 128 levels", 128)
        );
    }

    #[test]
    fn plain_runs_stop_at_the_first_special_byte_wherever_it_is() {
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for len in 0..20 {
                for at in 0..=len {
                    let mut bytes = vec![b'a'; len];
                    bytes.extend([0xff, 0x7f, 0x20, 0x21]);
                    if at < len {
                        bytes[at] = special;
                        bytes[len - 1] = special;
                    }
                    let naive = bytes
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                    assert_eq!(plain_run(&bytes), naive.unwrap_or(bytes.len()), "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn utf8_is_checked_across_chunks() {
        let body = "\"é✓😀\"".as_bytes();
        for size in 1..body.len() {
            assert_eq!(in_pieces(body, 100, size).unwrap().json, "\"é✓😀\"");
        }
        let mut bad = body.to_vec();
        bad[2] = b'x'; // the second byte of é
        for size in 1..bad.len() {
            assert_eq!(
                in_pieces(&bad, 100, size),
                Err(JsonError::Syntax {
                    what: "invalid UTF-8",
                    at: 1
                }),
                "{size}"
            );
        }
        let cut_short = &body[..body.len() - 2];
        assert!(in_pieces(cut_short, 100, 3).is_err());
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
