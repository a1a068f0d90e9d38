//! The API's `cache_control` rules (reference §5.1), as the mock enforces them:
//!
//! - at most [`MAX_CACHE_BREAKPOINTS`] markers in a request, the top-level automatic
//!   marker included;
//! - no marker on `thinking` or `redacted_thinking` blocks (they are cached as part of
//!   their turn, never marked themselves);
//! - a marker's `ttl` is `5m` or `1h`, and in prompt order (tools → system → messages, the
//!   automatic marker last) no `1h` marker comes after a `5m` one.

use serde_json::{Map, Value};

/// The maximum number of `cache_control` markers in one request.
pub const MAX_CACHE_BREAKPOINTS: usize = 4;

/// One marker: where it is (for messages) and its TTL as written.
struct Marker {
    path: String,
    ttl: String,
}

/// Checks the rules in the module docs; `Err` is the 400 message.
pub fn check(obj: &Map<String, Value>) -> Result<(), String> {
    let markers = collect(obj)?;
    if markers.len() > MAX_CACHE_BREAKPOINTS {
        return Err(format!(
            "A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {}.",
            markers.len()
        ));
    }
    let mut seen_short = false;
    for marker in &markers {
        match marker.ttl.as_str() {
            "5m" => seen_short = true,
            "1h" if seen_short => {
                return Err(format!(
                    "{}: a ttl='1h' cache_control block must not come after a ttl='5m' \
                     cache_control block; blocks with longer TTLs must come first",
                    marker.path
                ));
            }
            "1h" => {}
            other => {
                return Err(format!(
                    "{}.cache_control.ttl: Input should be '5m' or '1h', got {other:?}",
                    marker.path
                ));
            }
        }
    }
    Ok(())
}

/// Every marker in prompt order; thinking blocks with a marker are an error.
fn collect(obj: &Map<String, Value>) -> Result<Vec<Marker>, String> {
    let mut out = Vec::new();
    let mut push = |path: String, block: &Value| {
        if let Some(cc) = block.get("cache_control").filter(|c| !c.is_null()) {
            let ttl = cc.get("ttl").and_then(Value::as_str).unwrap_or("5m");
            out.push(Marker {
                path,
                ttl: ttl.to_owned(),
            });
        }
    };
    for key in ["tools", "system"] {
        let blocks = obj.get(key).and_then(Value::as_array).into_iter().flatten();
        for (i, block) in blocks.enumerate() {
            push(format!("{key}.{i}"), block);
        }
    }
    let messages = obj.get("messages").and_then(Value::as_array);
    for (i, message) in messages.into_iter().flatten().enumerate() {
        let blocks = message.get("content").and_then(Value::as_array);
        for (j, block) in blocks.into_iter().flatten().enumerate() {
            let path = format!("messages.{i}.content.{j}");
            let kind = block.get("type").and_then(Value::as_str);
            let marked = block.get("cache_control").is_some_and(|c| !c.is_null());
            if marked && matches!(kind, Some("thinking" | "redacted_thinking")) {
                return Err(format!(
                    "{path}.{}.cache_control: Extra inputs are not permitted",
                    kind.unwrap_or_default()
                ));
            }
            push(path, block);
        }
    }
    if let Some(top) = obj.get("cache_control").filter(|c| !c.is_null()) {
        push(
            "cache_control".into(),
            &serde_json::json!({ "cache_control": top }),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_body(body: Value) -> Result<(), String> {
        check(body.as_object().unwrap())
    }

    fn text(ttl: Option<&str>) -> Value {
        let mut cc = json!({"type": "ephemeral"});
        if let Some(ttl) = ttl {
            cc["ttl"] = json!(ttl);
        }
        json!({"type": "text", "text": "x", "cache_control": cc})
    }

    #[test]
    fn longer_ttls_must_come_first() {
        let ok = json!({
            "system": [text(Some("1h"))],
            "messages": [{"role": "user", "content": [text(None), text(Some("5m"))]}]
        });
        assert!(check_body(ok).is_ok());
        let bad = json!({
            "system": [text(None)],
            "messages": [{"role": "user", "content": [text(Some("1h"))]}]
        });
        let err = check_body(bad).unwrap_err();
        assert!(err.starts_with("messages.0.content.0: a ttl='1h'"), "{err}");
        let bad_ttl = json!({"system": [text(Some("2h"))], "messages": []});
        assert!(check_body(bad_ttl).unwrap_err().contains("'5m' or '1h'"));
    }

    #[test]
    fn thinking_blocks_cannot_carry_a_marker() {
        let body = json!({"messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "signature": "s",
                 "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "a"}
            ]}
        ]});
        assert_eq!(
            check_body(body).unwrap_err(),
            "messages.1.content.0.thinking.cache_control: Extra inputs are not permitted"
        );
    }

    #[test]
    fn the_automatic_marker_counts_and_comes_last() {
        let body = json!({
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
            "system": [text(None)],
            "messages": [{"role": "user", "content": "q"}]
        });
        assert!(
            check_body(body)
                .unwrap_err()
                .starts_with("cache_control: a ttl='1h'")
        );
    }
}
