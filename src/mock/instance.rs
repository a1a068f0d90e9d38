//! A plausible JSON instance of a schema, for the simulated assistant's structured answers.
//!
//! The walk covers what structured-output schemas use: `type` (a name or a list; `null`
//! is chosen last), `properties` (every property is filled in, required or not),
//! `required` names without a property (a string), `items`, `minItems`/`maxItems`,
//! `enum`, `const`, `default`, `anyOf`/`oneOf` (the first branch that is not `null`),
//! `allOf` (objects merged), internal `$ref`s (`#/$defs/...`, any JSON pointer),
//! string `format`s and length bounds, numeric bounds. Values come from the input text
//! through [`Facts`], so an email classification reads like one.
//!
//! Invariant: for schemas within that subset the instance validates; anything else
//! (patterns, `not`, recursion deeper than [`MAX_DEPTH`]) gives a best effort, never a
//! panic.

use serde_json::{Map, Value, json};

use super::support::Facts;

/// Deeper subschemas (recursive `$ref`s) become `null`.
pub const MAX_DEPTH: usize = 24;

/// An instance of `schema`, with values read from `text`.
pub fn instance(schema: &Value, text: &str) -> Value {
    let facts = Facts::read(text);
    Walk {
        root: schema,
        facts: &facts,
    }
    .value(schema, None, 0)
}

struct Walk<'a> {
    root: &'a Value,
    facts: &'a Facts,
}

impl Walk<'_> {
    fn value(&self, schema: &Value, key: Option<&str>, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        let Some(obj) = schema.as_object() else {
            // `true` accepts anything; `false` nothing, so any answer is as good.
            return Value::String(self.facts.text_for(key));
        };
        if let Some(target) = obj
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve(self.root, r))
        {
            return self.value(target, key, depth + 1);
        }
        if let Some(c) = obj.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            return self.facts.pick(values);
        }
        for combinator in ["anyOf", "oneOf"] {
            if let Some(branch) = obj.get(combinator).and_then(first_branch) {
                return self.value(branch, key, depth + 1);
            }
        }
        if let Some(Value::Array(parts)) = obj.get("allOf") {
            return self.all_of(parts, key, depth);
        }
        match primary_type(obj) {
            "object" => self.object(obj, depth),
            "array" => self.array(obj, key, depth),
            "integer" => json!(bounded(obj, 1.0).round() as i64),
            "number" => json!(bounded(obj, 1.5)),
            "boolean" => obj.get("default").cloned().unwrap_or(Value::Bool(false)),
            "null" => Value::Null,
            _ => Value::String(self.string(obj, key)),
        }
    }

    fn object(&self, obj: &Map<String, Value>, depth: usize) -> Value {
        let mut out = Map::new();
        if let Some(Value::Object(props)) = obj.get("properties") {
            for (name, sub) in props {
                out.insert(name.clone(), self.value(sub, Some(name), depth + 1));
            }
        }
        for name in obj
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str().filter(|n| !out.contains_key(*n)) {
                out.insert(
                    name.to_owned(),
                    Value::String(self.facts.text_for(Some(name))),
                );
            }
        }
        Value::Object(out)
    }

    fn array(&self, obj: &Map<String, Value>, key: Option<&str>, depth: usize) -> Value {
        let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = obj
            .get("maxItems")
            .and_then(Value::as_u64)
            .map(|m| m as usize);
        let items = obj.get("items").unwrap_or(&Value::Bool(true));
        let stringy = items
            .as_object()
            .is_none_or(|i| primary_type(i) == "string" && !i.contains_key("enum"));
        let mut out: Vec<Value> = match self.facts.list(key).filter(|_| stringy) {
            Some(found) => found.into_iter().map(Value::String).collect(),
            None => vec![self.value(items, key, depth + 1)],
        };
        while out.len() < min {
            out.push(self.value(items, key, depth + 1));
        }
        if let Some(max) = max {
            out.truncate(max);
        }
        Value::Array(out)
    }

    fn all_of(&self, parts: &[Value], key: Option<&str>, depth: usize) -> Value {
        let mut merged = Map::new();
        for part in parts {
            match self.value(part, key, depth + 1) {
                Value::Object(m) => merged.extend(m),
                other if merged.is_empty() => return other,
                _ => {}
            }
        }
        Value::Object(merged)
    }

    fn string(&self, obj: &Map<String, Value>, key: Option<&str>) -> String {
        if let Some(Value::String(d)) = obj.get("default") {
            return d.clone();
        }
        let mut s = match obj.get("format").and_then(Value::as_str) {
            Some(format) => self.facts.formatted(format),
            None => self.facts.text_for(key),
        };
        if let Some(max) = obj.get("maxLength").and_then(Value::as_u64) {
            s = s.chars().take(max as usize).collect();
        }
        if let Some(min) = obj.get("minLength").and_then(Value::as_u64) {
            while (s.chars().count() as u64) < min {
                s.push('.');
            }
        }
        s
    }
}

/// The type to generate: `type`'s first non-null name; else by shape; else string.
fn primary_type(obj: &Map<String, Value>) -> &str {
    match obj.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => {
            let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            names
                .iter()
                .find(|t| **t != "null")
                .or(names.first())
                .copied()
                .unwrap_or("string")
        }
        _ if obj.contains_key("properties") => "object",
        _ if obj.contains_key("items") => "array",
        _ => "string",
    }
}

fn first_branch(branches: &Value) -> Option<&Value> {
    let branches = branches.as_array()?;
    branches
        .iter()
        .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        .or(branches.first())
}

/// `default`, else `fallback`, moved into `[minimum, maximum]` (exclusive bounds by one).
fn bounded(obj: &Map<String, Value>, fallback: f64) -> f64 {
    let num = |k: &str| obj.get(k).and_then(Value::as_f64);
    let mut v = num("default").unwrap_or(fallback);
    if let Some(lo) = num("minimum") {
        v = v.max(lo);
    }
    if let Some(lo) = num("exclusiveMinimum") {
        v = v.max(lo + 1.0);
    }
    if let Some(hi) = num("maximum") {
        v = v.min(hi);
    }
    if let Some(hi) = num("exclusiveMaximum") {
        v = v.min(hi - 1.0);
    }
    v
}

/// An internal reference: `#` or `#/json/pointer`. External ones resolve to nothing.
fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    root.pointer(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_of_the_subset_gets_a_value() {
        let schema = json!({
            "$defs": {"who": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["a", "b"]},
                "fixed": {"const": 7},
                "count": {"type": "integer", "minimum": 3},
                "ratio": {"type": "number", "maximum": 1},
                "flag": {"type": "boolean"},
                "maybe": {"type": ["null", "string"], "format": "date"},
                "either": {"anyOf": [{"type": "null"}, {"type": "integer"}]},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "who": {"$ref": "#/$defs/who"},
                "both": {"allOf": [{"properties": {"x": {"type": "integer"}}},
                                   {"properties": {"y": {"type": "boolean"}}}]},
                "short": {"type": "string", "maxLength": 4, "minLength": 2}
            },
            "required": ["extra"]
        });
        let v = instance(&schema, "Please help with this");
        assert_eq!(v["kind"], "a");
        assert_eq!(v["fixed"], 7);
        assert_eq!(v["count"], 3);
        assert_eq!(v["ratio"], 1.0);
        assert_eq!(v["flag"], false);
        assert_eq!(v["maybe"], "2026-01-15");
        assert_eq!(v["either"], 1);
        assert_eq!(v["tags"].as_array().unwrap().len(), 2);
        assert!(v["who"]["name"].is_string());
        assert_eq!(v["both"], json!({"x": 1, "y": false}));
        assert_eq!(v["short"].as_str().unwrap().chars().count(), 4);
        assert!(v["extra"].is_string());
        assert!(jsonschema::is_valid(&schema, &v), "{v:#}");
    }

    #[test]
    fn recursion_is_bounded() {
        let schema = json!({"type": "object", "properties": {"next": {"$ref": "#"}}});
        let v = instance(&schema, "");
        let mut depth = 0;
        let mut at = &v;
        while let Some(next) = at.get("next") {
            depth += 1;
            at = next;
        }
        assert!(depth <= MAX_DEPTH);
    }
}
