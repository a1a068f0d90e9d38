//! What of a JSON Schema goes to the API: the supported subset, the rest noted and dropped.
//!
//! Structured outputs (native `output_config.format` and strict tools) compile the schema
//! into a grammar, and the grammar compiler accepts only part of JSON Schema; anything
//! else is a 400. [`prepare_for_api`] therefore keeps, per subschema, only the keywords on
//! the lists below, rewrites the two it can express another way, and records every
//! dropped keyword as a [`Stripped`] so the caller can say what is checked locally only.
//! The dropped constraints are also appended to the subschema's `description`, so the
//! model still reads them (it often follows them), and the full schema is what the answer
//! is validated against afterwards.
//!
//! Sources: the "JSON Schema limitations" section of Anthropic's structured-outputs page
//! (copies fetched 2026-02 to 2026-09: supported are the basic types, `enum` of
//! primitives, `const`, `anyOf`, `allOf`, internal `$ref`/`$defs`/`definitions`,
//! `default`, `required`, `additionalProperties: false`, ten string formats, and
//! `minItems` of 0 or 1; numeric bounds, string lengths, other array bounds and
//! `additionalProperties` other than `false` are rejected), and the official Python SDK's
//! `transform_schema` (`anthropic/lib/_parse/_transform.py`), whose allow-list this
//! follows, including its two stricter choices: `pattern` is not sent (the docs accept
//! only "simple" patterns and reject complex ones with a 400), and `oneOf` is sent as
//! `anyOf`.
//!
//! Invariants: the input is never changed; every object subschema that is sent carries
//! `additionalProperties: false` (the API requires it to be explicit); a keyword is either
//! sent or listed in the stripped list, never silently lost, except the pure annotations
//! in [`DROPPED_ANNOTATIONS`].

use serde_json::{Map, Value};

/// Kept on every subschema.
pub const KEPT_ANY: &[&str] = &[
    "type",
    "enum",
    "const",
    "anyOf",
    "allOf",
    "$ref",
    "$defs",
    "definitions",
    "description",
    "title",
    "default",
];
/// Kept on object subschemas (`additionalProperties` is always sent as `false`).
pub const KEPT_OBJECT: &[&str] = &["properties", "required", "additionalProperties"];
/// Kept on array subschemas (`minItems` only when it is 0 or 1).
pub const KEPT_ARRAY: &[&str] = &["items", "minItems"];
/// Kept on string subschemas (`format` only when it is in [`SUPPORTED_FORMATS`]).
pub const KEPT_STRING: &[&str] = &["format"];
/// The string formats the API supports. `mock::schema_rules` keeps its own copy on
/// purpose (the mock checks this module from the docs, not from this list).
pub const SUPPORTED_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];
/// Annotations for schema tooling, not for the model: dropped without a note.
pub const DROPPED_ANNOTATIONS: &[&str] = &["$schema", "$id", "$comment"];

/// A keyword that was not sent, with the JSON pointer of its subschema in the full schema
/// (`""` for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    pub pointer: String,
    pub keyword: String,
}

impl Stripped {
    /// The subschema in a reader's terms: `/properties/a/properties/b` is `a.b`, an
    /// `items` step is `[]`, the root is `(root)`; other steps are kept as they are.
    pub fn location(&self) -> String {
        let mut out = String::new();
        let mut segments = self.pointer.split('/').skip(1).peekable();
        while let Some(seg) = segments.next() {
            let seg = seg.replace("~1", "/").replace("~0", "~");
            match seg.as_str() {
                "properties" if segments.peek().is_some() => {
                    let name = segments.next().unwrap_or_default();
                    let name = name.replace("~1", "/").replace("~0", "~");
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&name);
                }
                "items" => out.push_str("[]"),
                other => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(other);
                }
            }
        }
        if out.is_empty() {
            "(root)".to_owned()
        } else {
            out
        }
    }
}

impl std::fmt::Display for Stripped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "(root)"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {}", self.keyword)
    }
}

/// The schema to send and what was left out of it. See the module docs for the rules.
pub fn prepare_for_api(schema: &Value) -> (Value, Vec<Stripped>) {
    let mut stripped = Vec::new();
    let sent = subschema(schema, "", &mut stripped);
    (sent, stripped)
}

/// The JSON types a subschema admits by its `type` (a name or a list of names); when it
/// has none, `properties` means object and `items` array.
fn types_of(obj: &Map<String, Value>) -> Vec<&str> {
    match obj.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if obj.contains_key("properties") => vec!["object"],
        _ if obj.contains_key("items") => vec!["array"],
        _ => Vec::new(),
    }
}

fn subschema(schema: &Value, pointer: &str, stripped: &mut Vec<Stripped>) -> Value {
    let Some(obj) = schema.as_object() else {
        // `true` / `false` schemas are sent as they are.
        return schema.clone();
    };
    let types = types_of(obj);
    let is_object = types.contains(&"object");
    let mut out = Map::new();
    let mut left_out = Map::new();
    for (key, value) in obj {
        match fate(key, value, &types, pointer, stripped) {
            Fate::Send(name, v) => {
                out.insert(name.to_owned(), v);
            }
            Fate::Strip => {
                stripped.push(note(pointer, key));
                left_out.insert(key.clone(), value.clone());
            }
            Fate::Skip => {}
        }
    }
    if is_object {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    if !left_out.is_empty() {
        append_description(&mut out, &left_out);
    }
    Value::Object(out)
}

/// What happens to one keyword of a subschema.
enum Fate<'a> {
    /// Sent under this name with this value.
    Send(&'a str, Value),
    /// Not sent; noted and described.
    Strip,
    /// Not sent, and already noted if it needs a note.
    Skip,
}

fn fate<'a>(
    key: &'a str,
    value: &Value,
    types: &[&str],
    pointer: &str,
    stripped: &mut Vec<Stripped>,
) -> Fate<'a> {
    let is = |t: &str| types.contains(&t);
    let keep = KEPT_ANY.contains(&key)
        || (is("object") && KEPT_OBJECT.contains(&key))
        || (is("array") && KEPT_ARRAY.contains(&key))
        || (is("string") && KEPT_STRING.contains(&key));
    let at = format!("{pointer}/{key}");
    let kept = |ok: bool| {
        if ok {
            Fate::Send(key, value.clone())
        } else {
            Fate::Strip
        }
    };
    match key {
        _ if DROPPED_ANNOTATIONS.contains(&key) => Fate::Skip,
        "oneOf" => {
            // The same alternatives; "exactly one" is then checked locally.
            stripped.push(note(pointer, "oneOf (sent as anyOf)"));
            Fate::Send("anyOf", list(value, &at, stripped))
        }
        _ if !keep => Fate::Strip,
        "properties" | "$defs" | "definitions" => Fate::Send(key, map_of(value, &at, stripped)),
        "anyOf" | "allOf" => Fate::Send(key, list(value, &at, stripped)),
        "items" if value.is_object() || value.is_boolean() => {
            Fate::Send(key, subschema(value, &at, stripped))
        }
        "items" => Fate::Strip,
        "additionalProperties" => {
            // Always sent as false (added by the caller for every object).
            if value != &Value::Bool(false) {
                stripped.push(note(pointer, "additionalProperties (sent as false)"));
            }
            Fate::Skip
        }
        "minItems" => kept(value.as_u64().is_some_and(|n| n <= 1)),
        "format" => kept(
            value
                .as_str()
                .is_some_and(|f| SUPPORTED_FORMATS.contains(&f)),
        ),
        "enum" => kept(
            value
                .as_array()
                .is_some_and(|vs| vs.iter().all(|v| !v.is_object() && !v.is_array())),
        ),
        _ => Fate::Send(key, value.clone()),
    }
}

fn note(pointer: &str, keyword: &str) -> Stripped {
    Stripped {
        pointer: pointer.to_owned(),
        keyword: keyword.to_owned(),
    }
}

/// A map of subschemas (`properties`, `$defs`), each prepared under its own name.
fn map_of(value: &Value, pointer: &str, stripped: &mut Vec<Stripped>) -> Value {
    match value.as_object() {
        Some(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let at = format!("{pointer}/{}", escape_pointer(k));
                    (k.clone(), subschema(v, &at, stripped))
                })
                .collect(),
        ),
        None => value.clone(),
    }
}

/// A list of subschemas (`anyOf`, `allOf`).
fn list(value: &Value, pointer: &str, stripped: &mut Vec<Stripped>) -> Value {
    match value.as_array() {
        Some(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| subschema(v, &format!("{pointer}/{i}"), stripped))
                .collect(),
        ),
        None => value.clone(),
    }
}

/// RFC 6901: `~` is `~0` and `/` is `~1` inside a pointer segment.
fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// "existing description\n\n{maxLength: 200, pattern: \"^A\"}": the constraints the
/// grammar cannot hold, for the model to read.
fn append_description(out: &mut Map<String, Value>, left_out: &Map<String, Value>) {
    let listed: Vec<String> = left_out.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let constraints = format!("{{{}}}", listed.join(", "));
    let text = match out.get("description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!("{d}\n\n{constraints}"),
        _ => constraints,
    };
    out.insert("description".into(), Value::String(text));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keywords(stripped: &[Stripped]) -> Vec<String> {
        stripped.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn numeric_and_length_bounds_are_stripped_and_described() {
        let schema = json!({
            "type": "object",
            "properties": {
                "age": {"type": "integer", "minimum": 0, "maximum": 150, "description": "Years"},
                "name": {"type": "string", "minLength": 1, "maxLength": 80},
                "score": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5}
            },
            "required": ["age", "name"]
        });
        let (sent, stripped) = prepare_for_api(&schema);
        assert_eq!(
            sent["properties"]["age"],
            json!({"type": "integer", "description": "Years\n\n{maximum: 150, minimum: 0}"})
        );
        assert_eq!(
            sent["properties"]["name"],
            json!({"type": "string", "description": "{maxLength: 80, minLength: 1}"})
        );
        assert_eq!(sent["required"], json!(["age", "name"]));
        assert_eq!(sent["additionalProperties"], json!(false));
        assert_eq!(
            keywords(&stripped),
            [
                "/properties/age: maximum",
                "/properties/age: minimum",
                "/properties/name: maxLength",
                "/properties/name: minLength",
                "/properties/score: exclusiveMinimum",
                "/properties/score: multipleOf",
            ]
        );
        // The input is untouched.
        assert_eq!(schema["properties"]["age"]["minimum"], json!(0));
    }

    #[test]
    fn array_rules_keep_small_min_items_only() {
        let schema = json!({"type": "array", "items": {"type": "string", "pattern": "^A"},
            "minItems": 1, "maxItems": 5, "uniqueItems": true});
        let (sent, stripped) = prepare_for_api(&schema);
        assert_eq!(sent["minItems"], json!(1));
        assert!(sent.get("maxItems").is_none() && sent.get("uniqueItems").is_none());
        assert_eq!(
            sent["items"],
            json!({"type": "string", "description": "{pattern: \"^A\"}"})
        );
        assert_eq!(
            keywords(&stripped),
            ["/items: pattern", "(root): maxItems", "(root): uniqueItems"]
        );
        let (sent, stripped) = prepare_for_api(&json!({"type": "array", "minItems": 2}));
        assert!(sent.get("minItems").is_none());
        assert_eq!(keywords(&stripped), ["(root): minItems"]);
    }

    #[test]
    fn objects_always_forbid_extra_properties() {
        let schema = json!({"type": "object", "properties": {
            "inner": {"properties": {"x": {"type": "string"}}, "additionalProperties": true},
            "free": {"type": "object", "additionalProperties": {"type": "string"}}
        }});
        let (sent, stripped) = prepare_for_api(&schema);
        assert_eq!(sent["additionalProperties"], json!(false));
        assert_eq!(
            sent["properties"]["inner"]["additionalProperties"],
            json!(false)
        );
        assert_eq!(
            sent["properties"]["free"]["additionalProperties"],
            json!(false)
        );
        assert_eq!(
            keywords(&stripped),
            [
                "/properties/free: additionalProperties (sent as false)",
                "/properties/inner: additionalProperties (sent as false)",
            ]
        );
    }

    #[test]
    fn formats_outside_the_supported_list_are_stripped() {
        let schema = json!({"type": "object", "properties": {
            "when": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email"},
            "ip": {"type": "string", "format": "idn-hostname"}
        }});
        let (sent, stripped) = prepare_for_api(&schema);
        assert_eq!(sent["properties"]["when"]["format"], "date-time");
        assert_eq!(sent["properties"]["mail"]["format"], "email");
        assert!(sent["properties"]["ip"].get("format").is_none());
        assert_eq!(keywords(&stripped), ["/properties/ip: format"]);
    }

    #[test]
    fn combinators_defs_and_refs_recurse() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"id": {"type": "string", "maxLength": 9}},
            "type": "object",
            "properties": {
                "a": {"oneOf": [{"$ref": "#/$defs/id"}, {"type": "integer", "minimum": 1}]},
                "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "c": {"allOf": [{"type": "string", "minLength": 2}]},
                "d": {"not": {"type": "null"}}
            }
        });
        let (sent, stripped) = prepare_for_api(&schema);
        assert!(sent.get("$schema").is_none(), "annotations are not sent");
        assert_eq!(sent["$defs"]["id"]["type"], "string");
        assert_eq!(
            sent["properties"]["a"]["anyOf"],
            json!([{"$ref": "#/$defs/id"}, {"type": "integer", "description": "{minimum: 1}"}])
        );
        assert!(sent["properties"]["a"].get("oneOf").is_none());
        assert_eq!(sent["properties"]["b"], schema["properties"]["b"]);
        assert_eq!(
            keywords(&stripped),
            [
                "/$defs/id: maxLength",
                "/properties/a: oneOf (sent as anyOf)",
                "/properties/a/oneOf/1: minimum",
                "/properties/c/allOf/0: minLength",
                "/properties/d: not",
            ]
        );
    }

    #[test]
    fn supported_keywords_pass_unchanged() {
        let schema = json!({
            "type": "object",
            "title": "Ticket",
            "description": "A support ticket",
            "properties": {
                "kind": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "fixed": {"const": 3},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 0},
                "maybe": {"type": ["string", "null"]}
            },
            "required": ["kind"],
            "additionalProperties": false
        });
        let (sent, stripped) = prepare_for_api(&schema);
        assert_eq!(sent, schema);
        assert!(stripped.is_empty());
    }

    #[test]
    fn complex_enums_and_tuple_items_are_stripped() {
        let schema = json!({"type": "array", "items": [{"type": "string"}],
            "enum": [[1], [2]]});
        let (sent, stripped) = prepare_for_api(&schema);
        assert!(sent.get("items").is_none() && sent.get("enum").is_none());
        assert_eq!(keywords(&stripped), ["(root): enum", "(root): items"]);
    }

    #[test]
    fn locations_read_like_paths() {
        let at = |p: &str| {
            Stripped {
                pointer: p.into(),
                keyword: "k".into(),
            }
            .location()
        };
        assert_eq!(at(""), "(root)");
        assert_eq!(
            at("/properties/entities/properties/order_ids"),
            "entities.order_ids"
        );
        assert_eq!(at("/properties/tags/items"), "tags[]");
        assert_eq!(at("/$defs/id"), "$defs.id");
        assert_eq!(at("/properties/a~1b/anyOf/1"), "a/b.anyOf.1");
        assert_eq!(at("/properties/properties"), "properties");
    }

    #[test]
    fn pointer_segments_are_escaped() {
        let schema = json!({"properties": {"a/b": {"type": "string", "maxLength": 1}}});
        let (_, stripped) = prepare_for_api(&schema);
        assert_eq!(keywords(&stripped), ["/properties/a~1b: maxLength"]);
    }
}
