//! Structured answers: what the simulated assistant sends when a request asks for JSON.
//!
//! A request asks for JSON when it has `output_config.format` (native: the answer is a
//! text block holding an instance of `format.schema`) or a `tool_choice` that forces one
//! tool (`{"type": "tool", "name"}`, or `"any"` with a single tool: the answer is one
//! tool_use of that tool whose input is an instance of its `input_schema`, with stop
//! reason `tool_use`). Instances come from [`instance`], with values read from the first
//! user message (the input), so they are the same on a corrected retry. Like the real
//! model, output is cut at `max_tokens` (stop reason `max_tokens`).
//!
//! For tests, the `Script` shorthands below build the same answers by hand, or broken
//! ones: [`Script::json_text`], [`Script::tool_input`], [`Script::refusal`],
//! [`Script::cut_off`]. Combined with [`super::MockServer::enqueue_matching`] they let a
//! test force an invalid instance for one input among many concurrent ones.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Duration;

use serde_json::Value;

use super::instance::instance;
use super::render::Pace;
use super::script::{Script, Step, estimate_tokens};
use super::support::content_text;
use crate::api::StopReason;

/// JSON streams in pieces of about this many characters.
const PIECE_CHARS: usize = 12;

/// What a request asks for.
enum Wanted<'a> {
    Native(&'a Value),
    Tool { name: &'a str, schema: &'a Value },
}

fn wanted(body: &Value) -> Option<Wanted<'_>> {
    if let Some(schema) = body.pointer("/output_config/format/schema") {
        return Some(Wanted::Native(schema));
    }
    let choice = body.get("tool_choice")?;
    let tools = body.get("tools")?.as_array()?;
    let tool = match choice.get("type").and_then(Value::as_str)? {
        "tool" => {
            let name = choice.get("name").and_then(Value::as_str)?;
            tools
                .iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(name))?
        }
        "any" if tools.len() == 1 => &tools[0],
        // Thinking forbids forcing: an extraction then offers its one tool with `auto`.
        "auto" if tools.len() == 1 && thinks(body) => &tools[0],
        _ => return None,
    };
    Some(Wanted::Tool {
        name: tool.get("name").and_then(Value::as_str)?,
        schema: tool.get("input_schema")?,
    })
}

/// Whether the request turns thinking on.
fn thinks(body: &Value) -> bool {
    matches!(
        body.pointer("/thinking/type").and_then(Value::as_str),
        Some("enabled" | "adaptive")
    )
}

/// The structured answer to `body`, or `None` when it does not ask for JSON.
pub fn reply(body: &Value, max_tokens: u64) -> Option<(Script, Pace)> {
    let wanted = wanted(body)?;
    let input = first_user_text(body);
    let seed = seed_of(&(input.as_str(), message_count(body)));
    let budget = usize::try_from(max_tokens.saturating_mul(4)).unwrap_or(usize::MAX);
    let (steps, json) = match wanted {
        Wanted::Native(schema) => {
            let json = instance(schema, &input).to_string();
            let (sent, reason) = within(&json, budget);
            let steps = vec![
                Step::Text(pieces(sent, PIECE_CHARS)),
                Step::stop(reason, estimate_tokens(sent)),
            ];
            (steps, json)
        }
        Wanted::Tool { name, schema } => {
            let json = instance(schema, &input).to_string();
            let (sent, reason) = within(&json, budget);
            let reason = match reason {
                StopReason::EndTurn => StopReason::ToolUse,
                other => other,
            };
            let mut steps = Vec::new();
            if thinks(body) {
                // Signed like every mock thinking block, so a correction can echo it.
                let thought = format!("The text fills the fields of {name}.");
                steps.push(Step::Thinking {
                    signature: super::thinking::sign(&thought),
                    deltas: vec![thought],
                });
            }
            steps.push(Step::ToolUse {
                id: format!("toolu_mock_{seed:016x}"),
                name: name.to_owned(),
                input_chunks: pieces(sent, PIECE_CHARS),
            });
            steps.push(Step::stop(reason, estimate_tokens(sent) + 20));
            (steps, json)
        }
    };
    let pace = Pace {
        min: Duration::from_millis(2),
        max: Duration::from_millis(if json.len() > 2000 { 3 } else { 8 }),
        seed,
    };
    Some((Script::new(steps), pace))
}

/// `json` cut to `budget` characters, and the stop reason that goes with it.
fn within(json: &str, budget: usize) -> (&str, StopReason) {
    match json.char_indices().nth(budget) {
        Some((cut, _)) => (&json[..cut], StopReason::MaxTokens),
        None => (json, StopReason::EndTurn),
    }
}

/// Pieces of about `n` characters that join back to `s`.
fn pieces(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// The text of the first user message: the input of an extraction.
fn first_user_text(body: &Value) -> String {
    let first = body
        .get("messages")
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        });
    content_text(first.and_then(|m| m.get("content")))
}

fn message_count(body: &Value) -> usize {
    body.get("messages")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn seed_of(value: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl Script {
    /// A native structured answer: `value`'s JSON as the text, streamed in pieces, then
    /// `end_turn`. Any value will do, including one that breaks the request's schema.
    pub fn json_text(value: &Value) -> Script {
        let json = value.to_string();
        Script::new(vec![
            Step::Text(pieces(&json, PIECE_CHARS)),
            Step::end_turn(estimate_tokens(&json)),
        ])
    }

    /// A forced-tool answer: one call of `name` with `input`, then `tool_use`.
    pub fn tool_input(id: &str, name: &str, input: &Value) -> Script {
        let json = input.to_string();
        Script::new(vec![
            Step::ToolUse {
                id: id.to_owned(),
                name: name.to_owned(),
                input_chunks: pieces(&json, PIECE_CHARS),
            },
            Step::stop(StopReason::ToolUse, estimate_tokens(&json) + 20),
        ])
    }

    /// A refusal: `text` (if any), then stop reason `refusal`.
    pub fn refusal(text: &str) -> Script {
        let mut steps = Vec::new();
        if !text.is_empty() {
            steps.push(Step::text(text));
        }
        steps.push(Step::stop(StopReason::Refusal, estimate_tokens(text)));
        Script::new(steps)
    }

    /// Text cut off at `max_tokens` after `partial`.
    pub fn cut_off(partial: &str) -> Script {
        Script::new(vec![
            Step::Text(pieces(partial, PIECE_CHARS)),
            Step::stop(StopReason::MaxTokens, estimate_tokens(partial)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "additionalProperties": false,
            "properties": {"category": {"type": "string", "enum": ["billing", "technical"]},
                "summary": {"type": "string"}},
            "required": ["category", "summary"]})
    }

    fn joined(script: &Script) -> (String, Option<StopReason>) {
        let mut text = String::new();
        let mut reason = None;
        for step in &script.steps {
            match step {
                Step::Text(d) => text.push_str(&d.concat()),
                Step::ToolUse { input_chunks, .. } => text.push_str(&input_chunks.concat()),
                Step::Stop { reason: r, .. } => reason = Some(r.clone()),
                _ => {}
            }
        }
        (text, reason)
    }

    #[test]
    fn native_requests_get_a_matching_text_answer() {
        let body = json!({"messages": [{"role": "user", "content": "The app crashes on start."}],
            "output_config": {"format": {"type": "json_schema", "schema": schema()}}});
        let (script, _) = reply(&body, 4096).unwrap();
        let (text, reason) = joined(&script);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["category"], "technical");
        assert!(jsonschema::is_valid(&schema(), &v));
        assert_eq!(reason, Some(StopReason::EndTurn));
    }

    #[test]
    fn forced_tools_get_one_call_and_max_tokens_cuts() {
        let body = json!({"messages": [{"role": "user", "content": "Refund my invoice."}],
            "tools": [{"name": "classify", "input_schema": schema()}],
            "tool_choice": {"type": "tool", "name": "classify"}});
        let (script, _) = reply(&body, 4096).unwrap();
        assert!(matches!(&script.steps[0], Step::ToolUse { name, .. } if name == "classify"));
        let (text, reason) = joined(&script);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["category"], "billing");
        assert_eq!(reason, Some(StopReason::ToolUse));
        let (cut, _) = reply(&body, 3).unwrap();
        let (text, reason) = joined(&cut);
        assert_eq!(text.chars().count(), 12);
        assert_eq!(reason, Some(StopReason::MaxTokens));
    }

    #[test]
    fn plain_requests_are_not_structured() {
        let body = json!({"messages": [{"role": "user", "content": "hi"}]});
        assert!(reply(&body, 100).is_none());
        let auto = json!({"messages": [{"role": "user", "content": "hi"}],
            "tools": [{"name": "t", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "auto"}});
        assert!(reply(&auto, 100).is_none());
    }

    #[test]
    fn test_shorthands_build_the_answers() {
        let (text, reason) = joined(&Script::json_text(&json!({"a": 1})));
        assert_eq!(
            (text.as_str(), reason),
            ("{\"a\":1}", Some(StopReason::EndTurn))
        );
        let (text, reason) = joined(&Script::tool_input("toolu_1", "t", &json!({"b": 2})));
        assert_eq!(
            (text.as_str(), reason),
            ("{\"b\":2}", Some(StopReason::ToolUse))
        );
        assert_eq!(joined(&Script::refusal("No.")).1, Some(StopReason::Refusal));
        assert_eq!(
            joined(&Script::cut_off("{\"a\":")).1,
            Some(StopReason::MaxTokens)
        );
    }
}
