//! The prompt as the API sees it for caching and counting: a flat, ordered list of blocks.
//!
//! Order is `tools` → `system` → `messages` (reference §5.1). Each block keeps its canonical
//! JSON *without* its `cache_control` marker, because moving a marker does not change the
//! prompt's content, and a token estimate of about one token per 4 characters of that JSON.
//! Message blocks are also keyed by the request's `tool_choice` and `thinking` settings,
//! which the API says invalidate the cached messages (but not tools or system) when they
//! change.
//! Both the cache simulation and `count_tokens` use this one flattening, so their numbers
//! agree: `count_tokens` = input + cache write + cache read of the same request.

use std::time::Duration;

use serde_json::{Map, Value};

/// How long a cache entry lives after its last write or read.
pub const TTL_5M: Duration = Duration::from_secs(5 * 60);
pub const TTL_1H: Duration = Duration::from_secs(60 * 60);

/// One block of the flattened prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptBlock {
    /// Canonical JSON (sorted keys, no marker), prefixed by where the block sits.
    pub canonical: String,
    pub tokens: u64,
    /// The TTL of this block's `cache_control` marker, if it carries one.
    pub breakpoint: Option<Duration>,
}

/// Flattens a (validated) request body into prompt blocks.
pub fn flatten(body: &Value) -> Vec<PromptBlock> {
    let mut blocks = Vec::new();
    for tool in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        blocks.push(block("tool", tool));
    }
    match body.get("system") {
        Some(Value::String(s)) => blocks.push(block("system", &text_block(s))),
        Some(Value::Array(items)) => blocks.extend(items.iter().map(|b| block("system", b))),
        _ => {}
    }
    let settings = canonical(&serde_json::json!({
        "thinking": body.get("thinking"),
        "tool_choice": body.get("tool_choice"),
    }));
    let messages = body.get("messages").and_then(Value::as_array);
    for (i, message) in messages.into_iter().flatten().enumerate() {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("user");
        let place = format!("{i}:{role}:{settings}");
        match message.get("content") {
            Some(Value::String(s)) => blocks.push(block(&place, &text_block(s))),
            Some(Value::Array(items)) => blocks.extend(items.iter().map(|b| block(&place, b))),
            _ => {}
        }
    }
    // Automatic caching: a top-level marker puts a breakpoint on the last block.
    if let Some(marker) = body.get("cache_control").filter(|c| !c.is_null())
        && let Some(last) = blocks.last_mut()
    {
        last.breakpoint.get_or_insert(ttl_of(marker));
    }
    blocks
}

/// The estimate `count_tokens` answers: all prompt tokens, at least 1.
pub fn count_tokens(body: &Value) -> u64 {
    flatten(body).iter().map(|b| b.tokens).sum::<u64>().max(1)
}

fn text_block(text: &str) -> Value {
    serde_json::json!({"type": "text", "text": text})
}

fn block(place: &str, value: &Value) -> PromptBlock {
    let breakpoint = value
        .get("cache_control")
        .filter(|c| !c.is_null())
        .map(ttl_of);
    let mut stripped = value.clone();
    if let Some(obj) = stripped.as_object_mut() {
        obj.remove("cache_control");
    }
    let json = canonical(&stripped);
    // Images by their dimensions and PDFs by their pages, as the API counts them; their
    // base64 read as text would count a hundred times over.
    let is_media = matches!(
        stripped.get("type").and_then(Value::as_str),
        Some("image" | "document")
    );
    let media = is_media
        .then(|| serde_json::from_value::<crate::api::ContentBlock>(stripped.clone()).ok())
        .flatten()
        .and_then(|b| crate::attach::estimate_block(&b));
    let tokens = media.unwrap_or_else(|| (json.chars().count() as u64).div_ceil(4).max(1));
    PromptBlock {
        canonical: format!("{place}|{json}"),
        tokens,
        breakpoint,
    }
}

fn ttl_of(marker: &Value) -> Duration {
    match marker.get("ttl").and_then(Value::as_str) {
        Some("1h") => TTL_1H,
        _ => TTL_5M,
    }
}

/// JSON text with object keys sorted at every level, so key order cannot change the hash
/// (serde_json may be built with `preserve_order` by another crate's feature).
pub fn canonical(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let sorted: Map<String, Value> = keys
                    .into_iter()
                    .map(|k| (k.clone(), sort(&map[k])))
                    .collect();
                Value::Object(sorted)
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_is_tools_system_messages_and_markers_do_not_change_content() {
        let body = json!({
            "tools": [{"name": "f", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
            "system": "be brief",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]
        });
        let blocks = flatten(&body);
        assert_eq!(blocks.len(), 3);
        assert!(blocks[0].canonical.starts_with("tool|"));
        assert!(blocks[1].canonical.starts_with("system|"));
        assert!(blocks[2].canonical.starts_with("0:user:"));
        assert_eq!(blocks[0].breakpoint, Some(TTL_1H));
        assert_eq!(blocks[1].breakpoint, None);
        assert_eq!(blocks[2].breakpoint, Some(TTL_5M));
        let unmarked = json!({"role": "user", "content": "hi"});
        let plain = flatten(&json!({"messages": [unmarked]}));
        assert_eq!(plain[0].canonical, blocks[2].canonical);
    }

    #[test]
    fn key_order_does_not_matter_and_counts_are_positive() {
        let a = canonical(&json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(a, r#"{"a":{"c":3,"d":2},"b":1}"#);
        assert_eq!(count_tokens(&json!({})), 1);
        let long = json!({"messages": [{"role": "user", "content": "x".repeat(4000)}]});
        assert!(count_tokens(&long) > 1000);
    }

    #[test]
    fn top_level_marker_lands_on_the_last_block() {
        let body = json!({
            "cache_control": {"type": "ephemeral"},
            "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
        });
        let blocks = flatten(&body);
        assert_eq!(blocks[0].breakpoint, None);
        assert_eq!(blocks[1].breakpoint, Some(TTL_5M));
    }
}
