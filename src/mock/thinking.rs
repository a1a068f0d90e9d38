//! The mock's thinking rules and its refusals, like the API's.
//!
//! Validation ([`check`], after the message checks):
//! - `thinking` is `enabled` (with `budget_tokens` from 1024 and below `max_tokens`),
//!   `adaptive` or `disabled`; `display` is `summarized` or `omitted`;
//! - a thinking block the mock signed ([`sign`]: the signature is a hash of the text, so
//!   a changed text or signature no longer matches) must come back unchanged, else the
//!   API's 400 "Invalid `signature` in `thinking` block";
//! - with thinking on, in a tool loop (the last message carries tool results), the
//!   assistant message with the calls must start with its thinking block, else the API's
//!   400 about the final assistant message.
//!
//! Refusals ([`refusal_reply`]): a user message containing "refuse this" is declined for
//! policy reasons. With the request's `fallbacks`, the answer falls back server-side within
//! the same response: a `fallback` block, the next model's answer, and each hop's tokens in
//! `usage.iterations`. Without, it stops with `stop_reason: refusal` and `stop_details`.
//! A request with `fallbacks` but without its beta header is a 400 ([`check_betas`]).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value, json};

use super::script::{Script, Step};
use crate::api::{DeltaUsage, StopReason};

/// The words that make the mock refuse.
pub const REFUSE_TRIGGER: &str = "refuse this";

/// The signature the mock gives a thinking block with this text.
pub fn sign(thinking: &str) -> String {
    let mut h = DefaultHasher::new();
    thinking.hash(&mut h);
    format!("EqMock{:016x}AAAA==", h.finish())
}

/// Checks the thinking rules above; `Err` is the 400 message.
pub fn check(obj: &Map<String, Value>) -> Result<(), String> {
    let on = match obj.get("thinking") {
        None | Some(Value::Null) => false,
        Some(t) => check_config(t, obj.get("max_tokens").and_then(Value::as_u64))?,
    };
    let messages = obj.get("messages").and_then(Value::as_array);
    let messages = messages.map_or(&[][..], Vec::as_slice);
    for (i, m) in messages.iter().enumerate() {
        if m.get("role").and_then(Value::as_str) != Some("assistant") {
            continue;
        }
        let blocks = m.get("content").and_then(Value::as_array);
        for (j, b) in blocks.into_iter().flatten().enumerate() {
            check_signature(b).map_err(|e| format!("messages.{i}.content.{j}: {e}"))?;
        }
    }
    if on {
        check_tool_loop(messages)?;
    }
    Ok(())
}

/// Whether thinking is on (`enabled` or `adaptive`).
fn check_config(thinking: &Value, max_tokens: Option<u64>) -> Result<bool, String> {
    let kind = thinking.get("type").and_then(Value::as_str);
    if let Some(display) = thinking.get("display")
        && !matches!(display.as_str(), Some("summarized" | "omitted"))
    {
        return Err("thinking.display: Input should be 'summarized' or 'omitted'".into());
    }
    match kind {
        Some("adaptive") => Ok(true),
        Some("disabled") => Ok(false),
        Some("enabled") => {
            let Some(budget) = thinking.get("budget_tokens").and_then(Value::as_u64) else {
                return Err("thinking.enabled.budget_tokens: Field required".into());
            };
            if budget < 1024 {
                return Err(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
                        .into(),
                );
            }
            if max_tokens.is_some_and(|m| budget >= m) {
                return Err("`max_tokens` must be greater than `thinking.budget_tokens`.".into());
            }
            Ok(true)
        }
        _ => Err(
            "thinking: Input tag does not match any of the expected tags: 'enabled', \
             'adaptive', 'disabled'"
                .into(),
        ),
    }
}

fn check_signature(block: &Value) -> Result<(), String> {
    if block.get("type").and_then(Value::as_str) != Some("thinking") {
        return Ok(());
    }
    let signature = block.get("signature").and_then(Value::as_str).unwrap_or("");
    // Only blocks the mock signed can be checked; a test's own signatures pass.
    if !signature.starts_with("EqMock") {
        return Ok(());
    }
    let text = block.get("thinking").and_then(Value::as_str).unwrap_or("");
    if sign(text) == signature {
        Ok(())
    } else {
        Err("Invalid `signature` in `thinking` block".into())
    }
}

/// With thinking on, the assistant message whose calls the last message answers must
/// start with a thinking block.
fn check_tool_loop(messages: &[Value]) -> Result<(), String> {
    let has = |m: &Value, kind: &str| {
        m.get("content").and_then(Value::as_array).is_some_and(|c| {
            c.iter()
                .any(|b| b.get("type").and_then(Value::as_str) == Some(kind))
        })
    };
    let [.., assistant, last] = messages else {
        return Ok(());
    };
    if !has(last, "tool_result") || !has(assistant, "tool_use") {
        return Ok(());
    }
    let first = assistant
        .pointer("/content/0/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if matches!(first, "thinking" | "redacted_thinking") {
        return Ok(());
    }
    let i = messages.len() - 2;
    Err(format!(
        "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found \
         `{first}`. When `thinking` is enabled, a final `assistant` message must start with a \
         thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). \
         We recommend you include thinking blocks from previous turns. To avoid this \
         requirement, disable `thinking`."
    ))
}

/// A request with `fallbacks` needs the server-side fallback beta, as at the API.
pub fn check_betas(body: &Value, headers: &axum::http::HeaderMap) -> Result<(), String> {
    if body.get("fallbacks").is_none() {
        return Ok(());
    }
    let betas = headers
        .get_all("anthropic-beta")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if betas.split(',').any(|b| b.trim() == FALLBACK_BETA) {
        Ok(())
    } else {
        Err(format!(
            "fallbacks: Extra inputs are not permitted (the `{FALLBACK_BETA}` beta is required)"
        ))
    }
}

/// The beta `fallbacks` needs.
const FALLBACK_BETA: &str = "server-side-fallback-2026-07-01";

/// The answer to a message that asks to be refused; `None` for any other.
pub fn refusal_reply(body: &Value, user: &str) -> Option<Script> {
    if !user.to_lowercase().contains(REFUSE_TRIGGER) {
        return None;
    }
    let requested = body.get("model").and_then(Value::as_str).unwrap_or("");
    let next = match body.get("fallbacks") {
        Some(Value::String(s)) if s == "default" => Some("claude-sonnet-4-6".to_owned()),
        Some(Value::Array(hops)) => hops
            .first()
            .and_then(|h| h.get("model"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    let Some(next) = next else {
        return Some(Script::new(vec![
            Step::StopDetails(json!({"type": "refusal", "category": "cyber",
                "explanation": "The mock declines messages that ask it to."})),
            Step::stop(StopReason::Refusal, 0),
        ]));
    };
    let answer = format!("Answering for {requested}: here is what I can say instead.");
    let output = (answer.len() / 4) as u64 + 1;
    let iterations = json!([
        {"type": "message", "input_tokens": 0, "output_tokens": 3,
         "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
        {"type": "fallback_message", "model": next, "input_tokens": 0, "output_tokens": output,
         "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
    ]);
    let mut usage = DeltaUsage {
        output_tokens: Some(output + 3),
        ..DeltaUsage::default()
    };
    usage.extra.insert("iterations".into(), iterations);
    Some(Script::new(vec![
        Step::Block(json!({"type": "fallback", "from": {"model": requested},
            "to": {"model": next}, "trigger": {"type": "refusal", "category": null}})),
        Step::Text(vec![answer]),
        Step::Stop {
            reason: StopReason::EndTurn,
            usage,
        },
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(messages: Value, thinking: Value) -> Map<String, Value> {
        json!({"model": "m", "max_tokens": 4096, "messages": messages, "thinking": thinking})
            .as_object()
            .cloned()
            .unwrap()
    }

    fn tool_loop(first: Value) -> Value {
        json!([
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [first,
                {"type": "tool_use", "id": "t1", "name": "clock", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "12:00"}]},
        ])
    }

    #[test]
    fn signed_blocks_must_come_back_unchanged() {
        let good = json!({"type": "thinking", "thinking": "hmm", "signature": sign("hmm")});
        let on = json!({"type": "adaptive"});
        assert_eq!(check(&body(tool_loop(good.clone()), on.clone())), Ok(()));
        let mut changed = good.clone();
        changed["signature"] = json!(format!("{}x", sign("hmm")));
        let err = check(&body(tool_loop(changed), on.clone())).unwrap_err();
        assert!(
            err.contains("messages.1.content.0") && err.contains("signature"),
            "{err}"
        );
        let mut edited = good;
        edited["thinking"] = json!("hmm.");
        assert!(check(&body(tool_loop(edited), on)).is_err());
    }

    #[test]
    fn a_tool_loop_with_thinking_needs_its_thinking_block() {
        let text = json!({"type": "text", "text": "let me check"});
        let err = check(&body(tool_loop(text.clone()), json!({"type": "adaptive"}))).unwrap_err();
        assert!(
            err.contains("Expected `thinking` or `redacted_thinking`"),
            "{err}"
        );
        // Thinking off: no such rule.
        assert_eq!(check(&body(tool_loop(text), Value::Null)), Ok(()));
    }

    #[test]
    fn the_thinking_config_is_checked() {
        let m = json!([{"role": "user", "content": "hi"}]);
        let budget = |n: u64| json!({"type": "enabled", "budget_tokens": n});
        assert!(
            check(&body(m.clone(), budget(100)))
                .unwrap_err()
                .contains("1024")
        );
        assert!(
            check(&body(m.clone(), budget(5000)))
                .unwrap_err()
                .contains("max_tokens")
        );
        assert_eq!(check(&body(m.clone(), budget(2000))), Ok(()));
        assert!(check(&body(m.clone(), json!({"type": "deep"}))).is_err());
        let display = json!({"type": "adaptive", "display": "loud"});
        assert!(check(&body(m, display)).is_err());
    }

    #[test]
    fn refusals_fall_back_when_the_request_allows() {
        let plain = refusal_reply(&json!({"model": "a"}), "please refuse this").unwrap();
        assert!(
            plain
                .steps
                .iter()
                .any(|s| matches!(s, Step::StopDetails(_)))
        );
        let body = json!({"model": "a", "fallbacks": [{"model": "b"}]});
        let fallback = refusal_reply(&body, "Refuse this one").unwrap();
        assert!(matches!(&fallback.steps[0], Step::Block(b) if b["to"]["model"] == "b"));
        assert!(refusal_reply(&body, "hello").is_none());
    }
}
