//! The demo assistant calls any offered tool that the user's message names, with an input
//! that fits the tool's schema.
//!
//! A tool is named by its full name (`mcp__files__read_file`) or, for an MCP tool, by the
//! server's name for it (the part after the last `__`: "use echo"), as a whole word. The
//! input is made from the schema ([`input_for`]): every required property (and, for an
//! object with no `required`, every property) gets a value of its type: the first `enum`
//! value; for a string, the message's first quoted text, else "example"; for a number, the
//! message's first number, else 1, kept within `minimum`/`maximum`; `true`; an empty
//! array (or one item when `minItems` asks for it); an object made the same way.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::assistant_tools::Call;

/// Calls for the tools `text` names that `already` does not call.
pub fn named_calls(text: &str, offered: &BTreeMap<String, Value>, already: &[Call]) -> Vec<Call> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    offered
        .iter()
        .filter(|(name, _)| !already.iter().any(|c| &c.name == *name))
        .filter(|(name, _)| {
            let short = name.rsplit_once("__").map(|(_, t)| t);
            words
                .iter()
                .any(|w| w == name || (name.starts_with("mcp__") && Some(*w) == short))
        })
        .map(|(name, schema)| Call {
            name: name.clone(),
            input: input_for(schema, text),
        })
        .collect()
}

/// An input fitting `schema`, taking hints from `text` (module docs).
pub fn input_for(schema: &Value, text: &str) -> Value {
    let hints = Hints {
        quoted: quoted(text),
        number: text
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .find_map(|w| w.parse::<f64>().ok()),
    };
    value(schema, &hints, 0)
}

struct Hints {
    quoted: Option<String>,
    number: Option<f64>,
}

fn quoted(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_owned())
}

fn value(schema: &Value, hints: &Hints, depth: usize) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(constant) = schema.get("const") {
        return constant.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types.iter().find_map(Value::as_str).unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "object" if depth < 8 => object(schema, hints, depth),
        "object" => json!({}),
        "string" => Value::String(hints.quoted.clone().unwrap_or_else(|| "example".into())),
        "integer" => number(schema, hints, true),
        "number" => number(schema, hints, false),
        "boolean" => Value::Bool(true),
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema
                .get("items")
                .map_or(json!("example"), |s| value(s, hints, depth + 1));
            Value::Array((0..min).map(|_| item.clone()).collect())
        }
        _ => Value::Null,
    }
}

fn object(schema: &Value, hints: &Hints, depth: usize) -> Value {
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| {
            properties
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default()
        });
    let mut out = Map::new();
    for name in required {
        let property = properties.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
        out.insert(name.to_owned(), value(property, hints, depth + 1));
    }
    Value::Object(out)
}

fn number(schema: &Value, hints: &Hints, integer: bool) -> Value {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    let mut n = hints.number.unwrap_or_else(|| min.unwrap_or(1.0));
    if let Some(min) = min {
        n = n.max(min);
    }
    if let Some(max) = max {
        n = n.min(max);
    }
    if integer {
        json!(n.round() as i64)
    } else {
        json!(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::schema::Schema;

    #[test]
    fn inputs_fit_their_schemas() {
        let schemas = [
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
            json!({"type": "object", "properties": {"steps": {"type": "integer", "minimum": 1, "maximum": 20}}, "required": ["steps"]}),
            json!({"type": "object", "properties": {"mode": {"enum": ["a", "b"]}, "on": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "inner": {"type": "object", "properties": {"n": {"type": "number"}}}}}),
        ];
        for text in ["use echo with \"hi there\" 3 times", "nothing", "steps 99"] {
            for schema in &schemas {
                let input = input_for(schema, text);
                let compiled = Schema::compile(schema).unwrap();
                assert_eq!(compiled.validate(&input), Ok(()), "{schema} {input}");
            }
        }
        let echo = input_for(&schemas[0], "echo \"hi there\"");
        assert_eq!(echo, json!({"text": "hi there"}));
        assert_eq!(input_for(&schemas[1], "in 3 steps"), json!({"steps": 3}));
    }

    #[test]
    fn named_tools_are_called_once_by_full_or_short_name() {
        let offered: BTreeMap<String, Value> = [
            ("mcp__test__echo".to_owned(), json!({"type": "object"})),
            ("mcp__test__fail".to_owned(), json!({"type": "object"})),
            ("current_time".to_owned(), json!({"type": "object"})),
        ]
        .into();
        let names = |text: &str, already: &[Call]| -> Vec<String> {
            named_calls(text, &offered, already)
                .into_iter()
                .map(|c| c.name)
                .collect()
        };
        assert_eq!(names("please use echo", &[]), ["mcp__test__echo"]);
        assert_eq!(names("call mcp__test__fail now", &[]), ["mcp__test__fail"]);
        assert_eq!(names("echoes and failures", &[]), Vec::<String>::new());
        let done = [Call {
            name: "current_time".into(),
            input: json!({}),
        }];
        assert_eq!(names("current_time please", &done), Vec::<String>::new());
        assert_eq!(names("time", &[]), Vec::<String>::new());
    }
}
