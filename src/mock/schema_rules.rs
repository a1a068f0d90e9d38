//! The API's 400 checks of structured-output fields: `output_config`, `tool_choice`, and
//! the schemas of `output_config.format` and of `strict` tools.
//!
//! Written from the API's documentation, independently of the client's schema
//! preparation (`crate::extract::strip`), so tests of the client against the mock check
//! one against the other. Schema rules (structured-outputs page, "JSON Schema
//! limitations"): every object must say `additionalProperties: false`; numeric bounds,
//! string lengths, array bounds other than `minItems` 0 or 1, object size bounds and the
//! other unsupported keywords below are rejected; string formats outside the supported
//! ten are rejected; `$ref` must be internal; `enum` holds primitives only. `pattern` is
//! accepted (the docs support simple patterns). Non-strict tool schemas are not checked:
//! the API takes full JSON Schema there.

use serde_json::{Map, Value};

/// Keywords a structured-output schema may not use.
const REJECTED: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "prefixItems",
    "minProperties",
    "maxProperties",
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
];

/// The supported string formats. The same ten as `extract::strip::SUPPORTED_FORMATS`,
/// listed again on purpose: the mock must not import the client's lists, or a mistake in
/// them would pass its own check (see the module docs).
const FORMATS: &[&str] = &[
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

const EFFORTS: &[&str] = &["low", "medium", "high", "xhigh", "max"];

/// Nesting beyond this is "too complex" (the real limit is a grammar size; this keeps
/// the walk bounded).
const MAX_DEPTH: usize = 64;

/// Checks the structured-output fields of a request body; `Err` is the 400 message.
pub fn check(obj: &Map<String, Value>) -> Result<(), String> {
    if let Some(config) = obj.get("output_config") {
        check_output_config(config)?;
        let prefill = obj
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|m| m.last())
            .is_some_and(|m| m.get("role").and_then(Value::as_str) == Some("assistant"));
        if config.get("format").is_some() && prefill {
            return Err(
                "Prefilling the assistant message is not supported with output_config.format"
                    .into(),
            );
        }
    }
    let tools = obj.get("tools").and_then(Value::as_array);
    for (i, tool) in tools.into_iter().flatten().enumerate() {
        if tool.get("strict") == Some(&Value::Bool(true))
            && let Some(schema) = tool.get("input_schema")
        {
            check_schema(schema, &format!("tools.{i}.input_schema"), 0)?;
        }
    }
    if let Some(choice) = obj.get("tool_choice") {
        check_tool_choice(
            choice,
            tools.map_or(&[][..], Vec::as_slice),
            obj.get("thinking"),
        )?;
    }
    Ok(())
}

fn check_output_config(config: &Value) -> Result<(), String> {
    let Some(config) = config.as_object() else {
        return Err("output_config: Input should be a valid dictionary".into());
    };
    if let Some(effort) = config.get("effort")
        && !effort.as_str().is_some_and(|e| EFFORTS.contains(&e))
    {
        return Err(
            "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"
                .into(),
        );
    }
    let Some(format) = config.get("format") else {
        return Ok(());
    };
    if format.get("type").and_then(Value::as_str) != Some("json_schema") {
        return Err("output_config.format.type: Input should be 'json_schema'".into());
    }
    match format.get("schema") {
        None => Err("output_config.format.schema: Field required".into()),
        Some(schema) if !schema.is_object() => {
            Err("output_config.format.schema: Input should be a valid dictionary".into())
        }
        Some(schema) => check_schema(schema, "output_config.format.schema", 0),
    }
}

fn type_names(obj: &Map<String, Value>) -> Vec<&str> {
    match obj.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if obj.contains_key("properties") => vec!["object"],
        _ => Vec::new(),
    }
}

/// One subschema and everything under it; `at` locates it below the top (`path`).
fn check_schema(schema: &Value, path: &str, depth: usize) -> Result<(), String> {
    walk(schema, path, "", depth)
}

fn walk(schema: &Value, path: &str, at: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{path}: Schema is too complex for compilation"));
    }
    let Some(obj) = schema.as_object() else {
        return Ok(());
    };
    if let Some(message) = violation(obj) {
        let located = if at.is_empty() {
            String::new()
        } else {
            format!(" (at {at})")
        };
        return Err(format!("{path}: {message}{located}"));
    }
    for (key, sub) in children(obj) {
        let below = if at.is_empty() {
            key
        } else {
            format!("{at}.{key}")
        };
        walk(sub, path, &below, depth + 1)?;
    }
    Ok(())
}

/// The first rule one subschema breaks (not looking at its children).
fn violation(obj: &Map<String, Value>) -> Option<String> {
    let types = type_names(obj);
    let named = types.first().copied().unwrap_or("schema");
    if let Some(keyword) = REJECTED.iter().find(|k| obj.contains_key(**k)) {
        return Some(format!(
            "For '{named}' type, property '{keyword}' is not supported"
        ));
    }
    if types.contains(&"object") && obj.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Some(
            "For 'object' type, 'additionalProperties' must be explicitly set to false".into(),
        );
    }
    if obj
        .get("minItems")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 1)
    {
        return Some(
            "For 'array' type, 'minItems' values other than 0 or 1 are not supported".into(),
        );
    }
    if let Some(format) = obj.get("format").and_then(Value::as_str)
        && !FORMATS.contains(&format)
    {
        return Some(format!(
            "For 'string' type, format '{format}' is not supported"
        ));
    }
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str)
        && !reference.starts_with('#')
    {
        return Some(format!("External $ref is not supported: {reference}"));
    }
    if let Some(Value::Array(values)) = obj.get("enum")
        && values.iter().any(|v| v.is_object() || v.is_array())
    {
        return Some("enum values must be strings, numbers, booleans or null".into());
    }
    None
}

/// The subschemas directly under a schema, with a short location for messages.
fn children(obj: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for map_key in ["properties", "$defs", "definitions"] {
        if let Some(Value::Object(m)) = obj.get(map_key) {
            out.extend(m.iter().map(|(k, v)| (format!("{map_key}.{k}"), v)));
        }
    }
    for list_key in ["anyOf", "allOf"] {
        if let Some(Value::Array(items)) = obj.get(list_key) {
            out.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{list_key}.{i}"), v)),
            );
        }
    }
    if let Some(items) = obj.get("items") {
        out.push(("items".into(), items));
    }
    out
}

fn check_tool_choice(
    choice: &Value,
    tools: &[Value],
    thinking: Option<&Value>,
) -> Result<(), String> {
    let kind = choice.get("type").and_then(Value::as_str);
    let Some(kind @ ("auto" | "any" | "tool" | "none")) = kind else {
        return Err("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'".into());
    };
    if let Some(flag) = choice.get("disable_parallel_tool_use")
        && !flag.is_boolean()
    {
        return Err(
            "tool_choice.disable_parallel_tool_use: Input should be a valid boolean".into(),
        );
    }
    let forced = matches!(kind, "any" | "tool");
    if forced && tools.is_empty() {
        return Err(format!(
            "tool_choice: tool_choice.type '{kind}' requires at least one tool in 'tools'"
        ));
    }
    if kind == "tool" {
        let Some(name) = choice.get("name").and_then(Value::as_str) else {
            return Err("tool_choice.name: Field required".into());
        };
        if !tools
            .iter()
            .any(|t| t.get("name").and_then(Value::as_str) == Some(name))
        {
            return Err(format!(
                "tool_choice.name: Tool '{name}' was not found in the request's tools"
            ));
        }
    }
    let thinking_on = matches!(
        thinking.and_then(|t| t.get("type")).and_then(Value::as_str),
        Some("enabled" | "adaptive")
    );
    if forced && thinking_on {
        return Err("Thinking may not be enabled when tool_choice forces tool use.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(extra: Value) -> Map<String, Value> {
        let mut b = json!({"model": "m", "max_tokens": 5,
            "messages": [{"role": "user", "content": "hi"}]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b.as_object().unwrap().clone()
    }

    fn native(schema: Value) -> Result<(), String> {
        check(&body(
            json!({"output_config": {"format": {"type": "json_schema", "schema": schema}}}),
        ))
    }

    #[test]
    fn good_structured_requests_pass() {
        let schema = json!({"type": "object", "additionalProperties": false,
            "properties": {"a": {"type": "string", "format": "email", "pattern": "^a"},
                "b": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
                "c": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "d": {"$ref": "#/$defs/d"}},
            "$defs": {"d": {"type": "string", "enum": ["x", "y"]}},
            "required": ["a"]});
        assert_eq!(native(schema.clone()), Ok(()));
        let tools = json!([{"name": "t", "input_schema": schema, "strict": true}]);
        let choice = json!({"type": "tool", "name": "t", "disable_parallel_tool_use": true});
        assert_eq!(
            check(&body(json!({"tools": tools, "tool_choice": choice}))),
            Ok(())
        );
    }

    #[test]
    fn rejected_keywords_give_the_apis_message() {
        let err = native(json!({"type": "object", "additionalProperties": false,
            "properties": {"age": {"type": "integer", "minimum": 1}}}))
        .unwrap_err();
        assert_eq!(
            err,
            "output_config.format.schema: For 'integer' type, property 'minimum' is not supported (at properties.age)"
        );
        let missing = native(json!({"type": "object", "properties": {}})).unwrap_err();
        assert!(missing.contains("'additionalProperties' must be explicitly set to false"));
        let cases = [
            json!({"type": "array", "minItems": 2}),
            json!({"type": "string", "format": "idn-email"}),
            json!({"$ref": "https://example.com/s.json"}),
            json!({"enum": [{"a": 1}]}),
            json!({"type": "string", "maxLength": 3}),
            json!({"oneOf": [{"type": "string"}]}),
        ];
        for schema in cases {
            assert!(
                native(schema.clone()).is_err(),
                "{schema} should be rejected"
            );
        }
    }

    #[test]
    fn strict_tools_are_checked_and_plain_tools_are_not() {
        let loose =
            json!({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}});
        let plain = json!([{"name": "t", "input_schema": loose}]);
        assert_eq!(check(&body(json!({"tools": plain}))), Ok(()));
        let strict = json!([{"name": "t", "input_schema": loose, "strict": true}]);
        let err = check(&body(json!({"tools": strict}))).unwrap_err();
        assert!(err.starts_with("tools.0.input_schema: "), "{err}");
    }

    #[test]
    fn tool_choice_must_name_an_offered_tool() {
        let tools = json!([{"name": "t", "input_schema": {"type": "object"}}]);
        let err = check(&body(
            json!({"tools": tools, "tool_choice": {"type": "tool", "name": "u"}}),
        ))
        .unwrap_err();
        assert_eq!(
            err,
            "tool_choice.name: Tool 'u' was not found in the request's tools"
        );
        assert!(check(&body(json!({"tool_choice": {"type": "any"}}))).is_err());
        assert!(
            check(&body(
                json!({"tools": tools, "tool_choice": {"type": "sometimes"}})
            ))
            .is_err()
        );
        assert!(
            check(&body(
                json!({"tools": tools, "tool_choice": {"type": "tool"}})
            ))
            .is_err()
        );
        let thinking = json!({"tools": tools, "tool_choice": {"type": "tool", "name": "t"},
            "thinking": {"type": "adaptive"}});
        assert!(check(&body(thinking)).unwrap_err().contains("Thinking"));
        assert_eq!(
            check(&body(
                json!({"tools": tools, "tool_choice": {"type": "auto"}})
            )),
            Ok(())
        );
    }

    #[test]
    fn output_config_shape_and_prefill() {
        assert!(
            check(&body(
                json!({"output_config": {"format": {"type": "json_object"}}})
            ))
            .is_err()
        );
        assert!(
            check(&body(
                json!({"output_config": {"format": {"type": "json_schema"}}})
            ))
            .is_err()
        );
        assert!(check(&body(json!({"output_config": {"effort": "huge"}}))).is_err());
        assert_eq!(
            check(&body(json!({"output_config": {"effort": "low"}}))),
            Ok(())
        );
        let mut b = body(json!({"output_config": {"format": {"type": "json_schema",
            "schema": {"type": "string"}}}}));
        b.insert(
            "messages".into(),
            json!([{"role": "user", "content": "hi"},
            {"role": "assistant", "content": "{"}]),
        );
        assert!(check(&b).unwrap_err().contains("Prefilling"));
    }
}
