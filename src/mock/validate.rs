//! Request validation: the subset of the real API's 400 checks a client can trip over.
//!
//! Works on raw JSON rather than the typed [`crate::api::MessagesRequest`], because the
//! point is to reject shapes the typed model could not even represent, with the API's own
//! kind of message (`field.path: what is wrong`). Checks, in order: body is a JSON object;
//! `model`; `max_tokens` (messages endpoint only); `stream`; `system`; `tools`; `messages`
//! (roles, first role, non-empty content, tool_use/tool_result pairing and order); tool
//! blocks in the history need tool definitions; the `cache_control` rules
//! ([`super::validate_cache`]); the structured-output fields ([`super::schema_rules`]);
//! thinking and its round trip ([`super::thinking`]).
//! The first failure wins, like the API.
//!
//! Deliberately lenient where the real API is: consecutive messages with the same role are
//! accepted (the API merges them), unknown fields and unknown block types pass, and a
//! final assistant message (prefill) may end with unanswered `tool_use` blocks.

use serde_json::Value;

pub use super::validate_cache::MAX_CACHE_BREAKPOINTS;

/// Which endpoint a body is for: count_tokens takes no `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Messages,
    CountTokens,
}

/// A request that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRequest {
    pub model: String,
    pub stream: bool,
    pub max_tokens: u64,
    /// The whole body, unchanged.
    pub body: Value,
}

/// Validates a body; `Err` is the message of a 400 `invalid_request_error`.
pub fn validate(bytes: &[u8], endpoint: Endpoint) -> Result<ValidRequest, String> {
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("There was an error parsing the body of your request: {e}"))?;
    let Some(obj) = body.as_object() else {
        return Err("Request body must be a JSON object".into());
    };
    let model = match obj.get("model") {
        None => return Err("model: Field required".into()),
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(Value::String(_)) => {
            return Err("model: String should have at least 1 character".into());
        }
        Some(_) => return Err("model: Input should be a valid string".into()),
    };
    let max_tokens = match endpoint {
        Endpoint::Messages => check_max_tokens(obj.get("max_tokens"))?,
        Endpoint::CountTokens => 0,
    };
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("stream: Input should be a valid boolean".into()),
    };
    if let Some(system) = obj.get("system") {
        check_system(system)?;
    }
    if let Some(tools) = obj.get("tools") {
        check_tools(tools)?;
    }
    let tool_blocks = check_messages(obj.get("messages"))?;
    let has_tools = obj
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    if tool_blocks && !has_tools {
        return Err(
            "Requests which include `tool_use` or `tool_result` blocks must define tools.".into(),
        );
    }
    super::validate_cache::check(obj)?;
    super::schema_rules::check(obj)?;
    super::search::check_echo(obj)?;
    super::thinking::check(obj)?;
    Ok(ValidRequest {
        model,
        stream,
        max_tokens,
        body,
    })
}

fn check_max_tokens(value: Option<&Value>) -> Result<u64, String> {
    let Some(value) = value else {
        return Err("max_tokens: Field required".into());
    };
    match value.as_i64() {
        Some(n) if n >= 1 => Ok(n as u64),
        Some(_) => Err("max_tokens: Input should be greater than or equal to 1".into()),
        None => Err("max_tokens: Input should be a valid integer".into()),
    }
}

fn check_system(system: &Value) -> Result<(), String> {
    match system {
        Value::String(_) => Ok(()),
        Value::Array(blocks) => {
            for (i, block) in blocks.iter().enumerate() {
                let path = format!("system.{i}");
                let kind = block_type(block, &path)?;
                if kind != "text" {
                    return Err(format!("{path}.type: Input should be 'text'"));
                }
                check_text_block(block, &path)?;
            }
            Ok(())
        }
        _ => Err("system: Input should be a valid string or a list of text blocks".into()),
    }
}

fn check_tools(tools: &Value) -> Result<(), String> {
    let Some(tools) = tools.as_array() else {
        return Err("tools: Input should be a valid list".into());
    };
    for (i, tool) in tools.iter().enumerate() {
        let Some(tool) = tool.as_object() else {
            return Err(format!("tools.{i}: Input should be a valid dictionary"));
        };
        match tool.get("name") {
            Some(Value::String(n)) if !n.is_empty() => {}
            Some(_) => {
                return Err(format!(
                    "tools.{i}.name: String should have at least 1 character"
                ));
            }
            None => return Err(format!("tools.{i}.name: Field required")),
        }
        // Server tools (`"type": "web_search_20250305"`, ...) have no input_schema.
        let custom = matches!(
            tool.get("type").and_then(Value::as_str),
            None | Some("custom")
        );
        if !custom {
            continue;
        }
        let Some(schema) = tool.get("input_schema") else {
            return Err(format!("tools.{i}.input_schema: Field required"));
        };
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(format!(
                "tools.{i}.input_schema.type: Input should be 'object'"
            ));
        }
    }
    Ok(())
}

/// The blocks of a message's content; the string shorthand counts as one text block.
fn content_blocks(content: &Value, path: &str) -> Result<Vec<Value>, String> {
    match content {
        Value::String(s) if s.is_empty() => Err(format!(
            "{path}: all messages must have non-empty content except for the optional final assistant message"
        )),
        Value::String(s) => Ok(vec![serde_json::json!({"type": "text", "text": s})]),
        Value::Array(blocks) if blocks.is_empty() => Err(format!(
            "{path}: all messages must have non-empty content except for the optional final assistant message"
        )),
        Value::Array(blocks) => Ok(blocks.clone()),
        _ => Err(format!(
            "{path}.content: Input should be a valid string or list"
        )),
    }
}

fn block_type<'a>(block: &'a Value, path: &str) -> Result<&'a str, String> {
    match block.get("type") {
        Some(Value::String(t)) => Ok(t),
        Some(_) => Err(format!("{path}.type: Input should be a valid string")),
        None if block.is_object() => Err(format!("{path}.type: Field required")),
        None => Err(format!("{path}: Input should be a valid dictionary")),
    }
}

fn check_text_block(block: &Value, path: &str) -> Result<(), String> {
    match block.get("text") {
        Some(Value::String(t)) if !t.is_empty() => Ok(()),
        Some(Value::String(_)) => Err(format!("{path}: text content blocks must be non-empty")),
        Some(_) => Err(format!("{path}.text: Input should be a valid string")),
        None => Err(format!("{path}.text: Field required")),
    }
}

/// One message reduced to what the pairing rules need.
struct Turn {
    role: String,
    tool_use_ids: Vec<String>,
    /// `(block index, tool_use_id)` of each tool_result, in order.
    tool_results: Vec<(usize, String)>,
    /// Index of the first block that is not a tool_result, if any.
    first_other: Option<usize>,
}

/// Checks the messages; `Ok(true)` when they hold tool_use or tool_result blocks.
fn check_messages(messages: Option<&Value>) -> Result<bool, String> {
    let Some(messages) = messages else {
        return Err("messages: Field required".into());
    };
    let Some(messages) = messages.as_array() else {
        return Err("messages: Input should be a valid list".into());
    };
    if messages.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let mut turns = Vec::with_capacity(messages.len());
    for (i, message) in messages.iter().enumerate() {
        turns.push(read_turn(message, i, i + 1 == messages.len())?);
    }
    if turns[0].role != "user" {
        return Err("messages.0.role: the first message must use the \"user\" role".into());
    }
    check_tool_pairing(&turns)?;
    Ok(turns
        .iter()
        .any(|t| !t.tool_use_ids.is_empty() || !t.tool_results.is_empty()))
}

/// Reads message `i`; `last` allows the empty final assistant message the API accepts.
fn read_turn(message: &Value, i: usize, last: bool) -> Result<Turn, String> {
    let path = format!("messages.{i}");
    let role = match message.get("role").and_then(Value::as_str) {
        Some(r @ ("user" | "assistant")) => r.to_owned(),
        Some(_) => {
            return Err(format!(
                "{path}.role: Input should be 'user' or 'assistant'"
            ));
        }
        None => return Err(format!("{path}.role: Field required")),
    };
    let Some(content) = message.get("content") else {
        return Err(format!("{path}.content: Field required"));
    };
    let mut turn = Turn {
        role,
        tool_use_ids: Vec::new(),
        tool_results: Vec::new(),
        first_other: None,
    };
    let empty = content.as_str() == Some("") || content.as_array().is_some_and(Vec::is_empty);
    if last && empty && turn.role == "assistant" {
        return Ok(turn);
    }
    for (j, block) in content_blocks(content, &path)?.iter().enumerate() {
        let block_path = format!("{path}.content.{j}");
        match block_type(block, &block_path)? {
            "text" => check_text_block(block, &block_path)?,
            "tool_use" => {
                let id = string_field(block, "id", &block_path)?;
                turn.tool_use_ids.push(id);
            }
            "tool_result" => {
                let id = string_field(block, "tool_use_id", &block_path)?;
                turn.tool_results.push((j, id));
                continue;
            }
            _ => {}
        }
        turn.first_other.get_or_insert(j);
    }
    Ok(turn)
}

fn string_field(block: &Value, field: &str, path: &str) -> Result<String, String> {
    match block.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(_) => Err(format!(
            "{path}.{field}: String should have at least 1 character"
        )),
        None => Err(format!("{path}.{field}: Field required")),
    }
}

/// The tool rules of reference §8.2: every tool_use is answered in the very next message,
/// results come first there, and every result answers a call of the previous message.
fn check_tool_pairing(turns: &[Turn]) -> Result<(), String> {
    for (i, turn) in turns.iter().enumerate() {
        let previous_calls: &[String] = match i.checked_sub(1).map(|p| &turns[p]) {
            Some(prev) if prev.role == "assistant" => &prev.tool_use_ids,
            _ => &[],
        };
        for (j, id) in &turn.tool_results {
            if turn.role != "user" || !previous_calls.contains(id) {
                return Err(format!(
                    "messages.{i}.content.{j}: unexpected tool_use_id found in tool_result blocks: {id}. \
                     Each tool_result block must have a corresponding tool_use block in the previous message."
                ));
            }
            if turn.first_other.is_some_and(|other| other < *j) {
                return Err(format!(
                    "messages.{i}: tool_result blocks must come first in the user message, \
                     before any other content"
                ));
            }
        }
        let Some(next) = turns.get(i + 1) else {
            continue;
        };
        let missing: Vec<&str> = turn
            .tool_use_ids
            .iter()
            .filter(|id| next.role != "user" || !next.tool_results.iter().any(|(_, r)| r == *id))
            .map(String::as_str)
            .collect();
        if turn.role == "assistant" && !missing.is_empty() {
            return Err(format!(
                "messages.{}: tool_use ids were found without tool_result blocks immediately after: {}. \
                 Each tool_use block must have a corresponding tool_result block in the next message.",
                i + 1,
                missing.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(body: Value) -> Result<ValidRequest, String> {
        validate(body.to_string().as_bytes(), Endpoint::Messages)
    }

    fn with_messages(messages: Value) -> Value {
        json!({"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": messages})
    }

    /// A body whose request defines the tools `f` and `g` its tool turns call.
    fn with_tools(messages: Value) -> Value {
        let mut body = with_messages(messages);
        body["tools"] = json!([
            {"name": "f", "input_schema": {"type": "object"}},
            {"name": "g", "input_schema": {"type": "object"}}
        ]);
        body
    }

    fn tool_turns() -> (Value, Value) {
        let call = json!({"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {}},
            {"type": "tool_use", "id": "toolu_b", "name": "g", "input": {}}
        ]});
        let results = json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": "1"},
            {"type": "tool_result", "tool_use_id": "toolu_b", "content": "2"},
            {"type": "text", "text": "thanks"}
        ]});
        (call, results)
    }

    #[test]
    fn a_good_request_passes_and_keeps_its_fields() {
        let (call, results) = tool_turns();
        let body = with_tools(json!([{"role": "user", "content": "hi"}, call, results]));
        let ok = check(body.clone()).unwrap();
        assert_eq!(
            (ok.model.as_str(), ok.stream, ok.max_tokens),
            ("claude-sonnet-4-6", false, 64)
        );
        assert_eq!(ok.body, body);
    }

    #[test]
    fn body_and_top_level_fields_are_checked() {
        assert!(
            validate(b"{not json", Endpoint::Messages)
                .unwrap_err()
                .contains("parsing the body")
        );
        assert!(
            validate(b"[1]", Endpoint::Messages)
                .unwrap_err()
                .contains("JSON object")
        );
        let msgs = json!([{"role": "user", "content": "hi"}]);
        let cases = [
            (
                json!({"max_tokens": 5, "messages": msgs}),
                "model: Field required",
            ),
            (
                json!({"model": "", "max_tokens": 5, "messages": msgs}),
                "model: String",
            ),
            (
                json!({"model": "m", "messages": msgs}),
                "max_tokens: Field required",
            ),
            (
                json!({"model": "m", "max_tokens": 0, "messages": msgs}),
                "greater than or equal to 1",
            ),
            (
                json!({"model": "m", "max_tokens": "9", "messages": msgs}),
                "valid integer",
            ),
            (
                json!({"model": "m", "max_tokens": 5}),
                "messages: Field required",
            ),
            (
                json!({"model": "m", "max_tokens": 5, "messages": []}),
                "at least one message",
            ),
            (
                json!({"model": "m", "max_tokens": 5, "messages": msgs, "stream": "yes"}),
                "stream:",
            ),
        ];
        for (body, expected) in cases {
            let err = check(body).unwrap_err();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn count_tokens_needs_no_max_tokens() {
        let body = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
        assert!(validate(body.to_string().as_bytes(), Endpoint::CountTokens).is_ok());
        assert!(check(body).is_err());
    }

    #[test]
    fn roles_and_empty_content_are_rejected() {
        let cases = [
            (
                json!([{"role": "system", "content": "x"}]),
                "messages.0.role: Input should be",
            ),
            (
                json!([{"role": "assistant", "content": "x"}]),
                "first message must use the \"user\" role",
            ),
            (
                json!([{"role": "user", "content": ""}]),
                "non-empty content",
            ),
            (
                json!([{"role": "user", "content": []}]),
                "non-empty content",
            ),
            (
                json!([{"role": "user", "content": [{"type": "text", "text": ""}]}]),
                "messages.0.content.0: text content blocks must be non-empty",
            ),
            (
                json!([{"role": "user", "content": [{"text": "x"}]}]),
                "messages.0.content.0.type: Field required",
            ),
        ];
        for (messages, expected) in cases {
            let err = check(with_messages(messages)).unwrap_err();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn unanswered_tool_use_names_the_missing_ids() {
        let (call, _) = tool_turns();
        let partial = json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": "1"}
        ]});
        let body = with_tools(json!([{"role": "user", "content": "hi"}, call, partial]));
        let err = check(body).unwrap_err();
        assert!(
            err.contains(
                "tool_use ids were found without tool_result blocks immediately after: toolu_b"
            ),
            "{err}"
        );
        let text_only = json!({"role": "user", "content": "go on"});
        let body = with_tools(json!([{"role": "user", "content": "hi"}, call, text_only]));
        assert!(check(body).unwrap_err().contains("toolu_a, toolu_b"));
        // A final assistant turn (prefill) may end with calls: nothing follows it yet.
        let body = with_tools(json!([{"role": "user", "content": "hi"}, call]));
        assert!(check(body).is_ok());
        // ... and may be empty, unlike any other message.
        let body = with_messages(
            json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": ""}]),
        );
        assert!(check(body).is_ok());
        let body = with_messages(
            json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": []},
            {"role": "user", "content": "hi"}]),
        );
        assert!(
            check(body)
                .unwrap_err()
                .contains("messages.1: all messages must have non-empty content")
        );
    }

    #[test]
    fn tool_blocks_need_tool_definitions() {
        let (call, results) = tool_turns();
        let history = json!([{"role": "user", "content": "hi"}, call, results]);
        let err = check(with_messages(history.clone())).unwrap_err();
        assert!(err.contains("must define tools"), "{err}");
        let mut body = with_messages(history);
        body["tools"] = json!([]);
        assert!(check(body).unwrap_err().contains("must define tools"));
    }

    #[test]
    fn tool_results_must_come_first_and_match_a_call() {
        let (call, _) = tool_turns();
        let late = json!({"role": "user", "content": [
            {"type": "text", "text": "first"},
            {"type": "tool_result", "tool_use_id": "toolu_a", "content": "1"},
            {"type": "tool_result", "tool_use_id": "toolu_b", "content": "2"}
        ]});
        let body = with_tools(json!([{"role": "user", "content": "hi"}, call, late]));
        assert!(check(body).unwrap_err().contains("must come first"));
        let orphan = json!([{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_zz", "content": "1"}
        ]}]);
        let err = check(with_tools(orphan)).unwrap_err();
        assert!(
            err.contains("unexpected tool_use_id found in tool_result blocks: toolu_zz"),
            "{err}"
        );
    }

    #[test]
    fn five_cache_markers_are_one_too_many() {
        let cc = json!({"type": "ephemeral"});
        let block = json!({"type": "text", "text": "x", "cache_control": cc});
        let mut body = with_messages(json!([{"role": "user", "content": [block, block, block]}]));
        body["system"] = json!([block]);
        assert!(check(body.clone()).is_ok());
        body["cache_control"] = cc;
        assert_eq!(
            check(body).unwrap_err(),
            "A maximum of 4 blocks with cache_control may be provided. Found 5."
        );
    }

    #[test]
    fn tools_need_a_name_and_an_object_schema() {
        let msgs = json!([{"role": "user", "content": "hi"}]);
        let cases = [
            (
                json!([{"input_schema": {"type": "object"}}]),
                "tools.0.name: Field required",
            ),
            (
                json!([{"name": "f"}]),
                "tools.0.input_schema: Field required",
            ),
            (
                json!([{"name": "f", "input_schema": {"type": "array"}}]),
                "input_schema.type: Input should be 'object'",
            ),
        ];
        for (tools, expected) in cases {
            let mut body = with_messages(msgs.clone());
            body["tools"] = tools;
            let err = check(body).unwrap_err();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
        let mut body = with_messages(msgs);
        body["tools"] = json!([{"type": "web_search_20250305", "name": "web_search"}]);
        assert!(check(body).is_ok());
    }

    #[test]
    fn system_must_be_text() {
        let mut body = with_messages(json!([{"role": "user", "content": "hi"}]));
        body["system"] = json!([{"type": "image", "source": {}}]);
        assert!(check(body.clone()).unwrap_err().contains("system.0.type"));
        body["system"] = json!(5);
        assert!(check(body).unwrap_err().contains("system:"));
    }
}
