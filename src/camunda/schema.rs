//! Tool parameters as data: one description drives both the JSON Schema published in
//! `tools/list` and the checking and mapping of arguments into REST v2 shapes. A model that
//! follows the schema gets through; anything else gets a message naming the field.

use serde_json::value::RawValue;
use serde_json::{json, Map, Number, Value};

use crate::mcp::jsonrpc;

/// Where a top-level argument goes in the REST call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Substituted into the path template (`{name}`).
    Path,
    /// Sent as a query parameter.
    Query,
    /// A member of the JSON body.
    Body,
    /// An object whose members are merged into the JSON body (e.g. `assignmentOptions`).
    Spread,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A required top-level int64 key, checked with Camunda's own messages; `noun` is e.g.
    /// "Incident key".
    Key {
        noun: &'static str,
    },
    /// A key inside a filter: a string in REST v2. Integers are accepted and written as strings,
    /// since JSON numbers above 2^53 lose precision in many clients.
    KeyString,
    Str,
    Bool,
    Int32,
    Int64,
    Enum(Vec<&'static str>),
    /// `{from, to}` in RFC 3339, sent as `{"$gte": from, "$lt": to}`.
    DateRange,
    /// Known members only; unknown members are ignored, as Camunda does.
    Object(Vec<Field>),
    /// Any JSON object, passed through (process variables).
    AnyObject,
    Array(Box<Shape>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub description: &'static str,
    pub shape: Shape,
    pub required: bool,
    pub target: Target,
}

impl Field {
    pub fn new(name: &'static str, shape: Shape, description: &'static str) -> Self {
        let required = matches!(shape, Shape::Key { .. });
        let target = if required { Target::Path } else { Target::Body };
        Field {
            name,
            description,
            shape,
            required,
            target,
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn to(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// An optional object that goes into the REST body as it came (process variables): kept
    /// as raw JSON, never turned into a tree, which costs many times its size. Required ones
    /// take the checked path, which says when they are missing.
    pub fn passes_through(&self) -> bool {
        self.shape == Shape::AnyObject && self.target == Target::Body && !self.required
    }
}

/// A tool call's arguments: values to check and map, and pass-through objects (see
/// [`Field::passes_through`]) as the raw JSON they came as, already checked to be objects
/// without repeated members.
#[derive(Debug, Default)]
pub struct Arguments<'a> {
    pub values: Map<String, Value>,
    pub raw: Vec<(&'static str, &'a RawValue)>,
}

impl<'a> Arguments<'a> {
    /// The arguments of a call of a tool with `fields`, each member parsed strictly (no member
    /// given twice, at any depth); pass-through objects stay raw JSON.
    pub fn read(fields: &[Field], raw: &'a str) -> Result<Self, String> {
        let mut args = Arguments::default();
        let members = jsonrpc::strict_members(raw).map_err(|e| format!("arguments: {e}"))?;
        for (name, value) in members {
            let through = fields
                .iter()
                .find(|f| f.name == name && f.passes_through())
                .filter(|_| value.get().starts_with('{'));
            match through {
                Some(field) => {
                    jsonrpc::check_no_repeated_members(value.get())
                        .map_err(|e| format!("{name}: {e}"))?;
                    args.raw.push((field.name, value));
                }
                // Anything else (a non-object in place of one included) is checked by its shape.
                None => {
                    let value =
                        jsonrpc::strict_value(value.get()).map_err(|e| format!("{name}: {e}"))?;
                    args.values.insert(name, value);
                }
            }
        }
        Ok(args)
    }
}

/// A message for the model that names the offending argument.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ArgError(pub String);

fn fail<T>(path: &str, problem: impl std::fmt::Display) -> Result<T, ArgError> {
    Err(ArgError(format!("{path}: {problem}")))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Shape {
    /// The JSON Schema of this shape, with `description` when one is given.
    pub fn schema(&self, description: &str) -> Value {
        let mut s = match self {
            Shape::Key { .. } | Shape::Int64 => json!({"type": "integer", "format": "int64"}),
            Shape::Int32 => json!({"type": "integer", "format": "int32"}),
            Shape::KeyString | Shape::Str => json!({"type": "string"}),
            Shape::Bool => json!({"type": "boolean"}),
            Shape::Enum(values) => json!({"type": "string", "enum": values}),
            Shape::DateRange => json!({"type": "object", "properties": {
                "from": {"type": "string", "description": "Start of the range, inclusive. RFC 3339, e.g. 2025-01-31T09:00:00Z or 2025-01-31T10:00:00+01:00."},
                "to": {"type": "string", "description": "End of the range, exclusive. RFC 3339, e.g. 2025-02-01T00:00:00Z."},
            }}),
            Shape::Object(fields) => object_schema(fields, false),
            Shape::AnyObject => json!({"type": "object"}),
            Shape::Array(item) => json!({"type": "array", "items": item.schema("")}),
        };
        if !description.is_empty() {
            s["description"] = Value::String(description.to_owned());
        }
        s
    }

    /// Checks `value` against this shape and returns it in REST v2 form, or `None` when it
    /// carries nothing to send (an empty date range). Takes the value: a large one (process
    /// variables) moves into the REST body instead of being copied.
    pub fn convert(&self, path: &str, value: Value) -> Result<Option<Value>, ArgError> {
        let out = match (self, value) {
            (Shape::Key { noun }, v) => Value::Number(key(path, noun, &v)?),
            (Shape::KeyString, v @ Value::String(_)) => v,
            (Shape::KeyString, Value::Number(n)) if !n.is_f64() => Value::String(n.to_string()),
            (Shape::KeyString, v) => {
                return fail(
                    path,
                    format!("expected a key as a string of digits, got {}", kind(&v)),
                )
            }
            (Shape::Str, v @ Value::String(_)) | (Shape::Bool, v @ Value::Bool(_)) => v,
            (Shape::Str, v) => return fail(path, format!("expected a string, got {}", kind(&v))),
            (Shape::Bool, v) => {
                return fail(path, format!("expected true or false, got {}", kind(&v)))
            }
            (Shape::Int32, v) => integer(path, &v, i32::MIN.into(), i32::MAX.into(), "int32")?,
            (Shape::Int64, v) => integer(path, &v, i64::MIN, i64::MAX, "int64")?,
            (Shape::Enum(values), Value::String(s)) if values.contains(&s.as_str()) => {
                Value::String(s)
            }
            (Shape::Enum(values), v) => {
                let got = match &v {
                    Value::String(s) => format!("{s:?}"),
                    other => kind(other).to_owned(),
                };
                return fail(
                    path,
                    format!("must be one of {}; got {got}", values.join(", ")),
                );
            }
            (Shape::DateRange, Value::Object(m)) => return date_range(path, &m),
            (Shape::Object(fields), Value::Object(m)) => {
                Value::Object(convert_fields(path, fields, m)?.0)
            }
            (Shape::AnyObject, v @ Value::Object(_)) => v,
            (Shape::DateRange | Shape::Object(_) | Shape::AnyObject, v) => {
                return fail(path, format!("expected an object, got {}", kind(&v)))
            }
            (Shape::Array(item), Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.into_iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    if v.is_null() {
                        return fail(&p, "must not be null");
                    }
                    out.extend(item.convert(&p, v)?);
                }
                Value::Array(out)
            }
            (Shape::Array(_), v) => {
                return fail(path, format!("expected an array, got {}", kind(&v)))
            }
        };
        Ok(Some(out))
    }
}

/// `{"type":"object","properties":…}`; `required` is always written at the top level of a tool
/// (MCP clients expect it) and only when non-empty below.
pub fn object_schema(fields: &[Field], top_level: bool) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.to_owned(), f.shape.schema(f.description)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let mut s = json!({"type": "object", "properties": properties});
    if top_level || !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

/// Converted members by field, in declaration order, with the fields they came from.
pub struct Converted<'a>(pub Map<String, Value>, pub Vec<&'a Field>);

/// Converts the known members of `m`; null counts as absent (models often send explicit nulls).
pub fn convert_fields<'a>(
    parent: &str,
    fields: &'a [Field],
    mut m: Map<String, Value>,
) -> Result<Converted<'a>, ArgError> {
    let mut out = Map::new();
    let mut present = Vec::new();
    for f in fields {
        let path = if parent.is_empty() {
            f.name.to_owned()
        } else {
            format!("{parent}.{}", f.name)
        };
        match m.remove(f.name) {
            None | Some(Value::Null) => {
                if let Shape::Key { noun } = f.shape {
                    return fail(&path, format!("{noun} must not be null."));
                }
                if f.required {
                    return fail(&path, "is required");
                }
            }
            Some(v) => {
                if let Some(c) = f.shape.convert(&path, v)? {
                    out.insert(f.name.to_owned(), c);
                    present.push(f);
                }
            }
        }
    }
    Ok(Converted(out, present))
}

fn key(path: &str, noun: &str, v: &Value) -> Result<Number, ArgError> {
    let n: Option<i128> = match v {
        Value::Null => return fail(path, format!("{noun} must not be null.")),
        Value::Number(n) => n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)),
        // Digit strings keep full precision where a client cannot send an int64 as a number.
        Value::String(s)
            if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    };
    match n {
        Some(n) if n <= 0 => fail(path, format!("{noun} must be a positive number.")),
        Some(n) if n <= i128::from(i64::MAX) => Ok(Number::from(n as i64)),
        Some(_) => fail(path, format!("{noun} must be at most {}.", i64::MAX)),
        None => fail(
            path,
            format!(
                "{noun} must be a positive integer (int64), got {}.",
                kind(v)
            ),
        ),
    }
}

fn integer(path: &str, v: &Value, min: i64, max: i64, format: &str) -> Result<Value, ArgError> {
    let Value::Number(n) = v else {
        return fail(
            path,
            format!("expected an integer ({format}), got {}", kind(v)),
        );
    };
    // 10.0 is an integer to JSON Schema; 1.5 is not.
    let whole = match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() != 0.0 => {
            return fail(path, format!("expected an integer ({format}), got {v}"))
        }
        Some(f) if n.is_f64() && f.abs() < 9.0e15 => Some(f as i64),
        _ => n.as_i64(),
    };
    match whole {
        Some(i) if (min..=max).contains(&i) => Ok(Value::from(i)),
        _ => fail(
            path,
            format!("{v} is out of range for {format} ({min} to {max})"),
        ),
    }
}

fn date_range(path: &str, m: &Map<String, Value>) -> Result<Option<Value>, ArgError> {
    let mut out = Map::new();
    for (name, op) in [("from", "$gte"), ("to", "$lt")] {
        match m.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if is_rfc3339(s) => {
                out.insert(op.to_owned(), Value::String(s.clone()));
            }
            Some(Value::String(s)) => {
                return fail(
                    &format!("{path}.{name}"),
                    format!("{s:?} is not an RFC 3339 date-time such as 2025-01-31T09:00:00Z"),
                )
            }
            Some(v) => {
                return fail(
                    &format!("{path}.{name}"),
                    format!("expected an RFC 3339 date-time string, got {}", kind(v)),
                )
            }
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, with real calendar and clock ranges.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |a, d| a * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(min), Some(sec)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return false;
    };
    let seps = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't'))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !seps || day == 0 || day > days || hour > 23 || min > 59 || sec > 60 {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += 1 + digits;
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', ..] if b.len() == i + 6 && b[i + 3] == b':' => {
            matches!((num(i + 1..i + 3), num(i + 4..i + 6)), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(shape: &Shape, v: Value) -> String {
        shape.convert("x", v).unwrap_err().0
    }

    #[test]
    fn keys_use_camundas_messages_and_keep_precision() {
        let fields = [Field::new(
            "incidentKey",
            Shape::Key {
                noun: "Incident key",
            },
            "",
        )];
        let conv =
            |v: Value| convert_fields("", &fields, v.as_object().unwrap().clone()).map(|c| c.0);
        assert_eq!(
            conv(json!({})).unwrap_err().0,
            "incidentKey: Incident key must not be null."
        );
        assert_eq!(
            conv(json!({"incidentKey": null})).unwrap_err().0,
            "incidentKey: Incident key must not be null."
        );
        for bad in [json!(0), json!(-5), json!("0")] {
            assert_eq!(
                conv(json!({"incidentKey": bad})).unwrap_err().0,
                "incidentKey: Incident key must be a positive number."
            );
        }
        assert_eq!(
            conv(json!({"incidentKey": "abc"})).unwrap_err().0,
            "incidentKey: Incident key must be a positive integer (int64), got a string."
        );
        assert_eq!(
            conv(json!({"incidentKey": 1.5})).unwrap_err().0,
            "incidentKey: Incident key must be a positive integer (int64), got a fractional number."
        );
        assert_eq!(
            conv(json!({"incidentKey": "9223372036854775808"}))
                .unwrap_err()
                .0,
            "incidentKey: Incident key must be at most 9223372036854775807."
        );
        // Above 2^53: exact, whether sent as a number or as digits.
        let big: Value = serde_json::from_str(r#"{"incidentKey": 9007199254740993}"#).unwrap();
        assert_eq!(
            conv(big).unwrap()["incidentKey"].to_string(),
            "9007199254740993"
        );
        assert_eq!(
            conv(json!({"incidentKey": "2251799813685249"})).unwrap()["incidentKey"],
            json!(2251799813685249i64)
        );
    }

    #[test]
    fn scalar_types_are_checked_with_specific_messages() {
        assert_eq!(
            msg(&Shape::Str, json!(3)),
            "x: expected a string, got an integer"
        );
        assert_eq!(
            msg(&Shape::Bool, json!("yes")),
            "x: expected true or false, got a string"
        );
        assert_eq!(
            msg(&Shape::Int32, json!(3_000_000_000u64)),
            "x: 3000000000 is out of range for int32 (-2147483648 to 2147483647)"
        );
        assert_eq!(
            msg(&Shape::Int32, json!(1.5)),
            "x: expected an integer (int32), got 1.5"
        );
        assert_eq!(
            msg(&Shape::Int32, json!("5")),
            "x: expected an integer (int32), got a string"
        );
        assert_eq!(
            Shape::Int32.convert("x", json!(10.0)).unwrap(),
            Some(json!(10))
        );
        assert_eq!(
            msg(&Shape::Enum(vec!["ASC", "DESC"]), json!("up")),
            "x: must be one of ASC, DESC; got \"up\""
        );
        assert_eq!(
            msg(&Shape::Array(Box::new(Shape::Str)), json!({"a": 1})),
            "x: expected an array, got an object"
        );
        assert_eq!(
            msg(&Shape::Array(Box::new(Shape::Str)), json!(["a", null])),
            "x[1]: must not be null"
        );
        assert_eq!(
            msg(&Shape::AnyObject, json!([1])),
            "x: expected an object, got an array"
        );
        assert_eq!(
            Shape::KeyString
                .convert("x", json!(2251799813685249i64))
                .unwrap(),
            Some(json!("2251799813685249"))
        );
    }

    #[test]
    fn date_ranges_map_to_gte_lt() {
        let r = Shape::DateRange;
        assert_eq!(
            r.convert(
                "d",
                json!({"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00.5+01:00"})
            )
            .unwrap(),
            Some(json!({"$gte": "2025-01-01T00:00:00Z", "$lt": "2025-02-01T00:00:00.5+01:00"}))
        );
        assert_eq!(
            r.convert("d", json!({"to": "2025-02-01T00:00:00Z"}))
                .unwrap(),
            Some(json!({"$lt": "2025-02-01T00:00:00Z"}))
        );
        assert_eq!(r.convert("d", json!({"from": null})).unwrap(), None);
        assert_eq!(
            msg(&r, json!({"from": "yesterday"})),
            "x.from: \"yesterday\" is not an RFC 3339 date-time such as 2025-01-31T09:00:00Z"
        );
        assert_eq!(
            msg(&r, json!("2025")),
            "x: expected an object, got a string"
        );
    }

    #[test]
    fn rfc3339() {
        for ok in [
            "2024-02-29T23:59:60Z",
            "2025-12-17T10:30:00+01:00",
            "2025-12-17t10:30:00.123456z",
            "2025-01-01T00:00:00-12:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-01-01T24:00:00Z",
            "2025-01-01T00:00:00",
            "2025-01-01",
            "2025-01-01T00:00:00.Z",
            "2025-01-01T00:00:00+1:00",
            "2025-01-01T00:00:00+01:00x",
            "２025-01-01T00:00:00Z",
            "",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn objects_ignore_unknown_members_and_require_declared_ones() {
        let sort = Shape::Object(vec![
            Field::new("field", Shape::Str, "").required(),
            Field::new("order", Shape::Enum(vec!["ASC", "DESC"]), ""),
        ]);
        assert_eq!(
            sort.convert("s", json!({"field": "name", "bogus": 1}))
                .unwrap(),
            Some(json!({"field": "name"}))
        );
        assert_eq!(msg(&sort, json!({"order": "ASC"})), "x.field: is required");
        assert_eq!(
            sort.schema(""),
            json!({"type":"object","properties":{"field":{"type":"string"},"order":{"type":"string","enum":["ASC","DESC"]}},"required":["field"]})
        );
    }
}
