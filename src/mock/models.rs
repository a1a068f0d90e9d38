//! `GET /v1/models` and `GET /v1/models/{id}`: a fixed, realistic catalogue.
//!
//! The list is newest first, like the API, and paginates with `limit` (1..=1000, default
//! 20), `after_id` and `before_id`. The ids follow reference §6.1's newest check; a few are
//! marked `deprecated` so clients can exercise their lifecycle display. Tests may add
//! models of their own ([`custom`], `MockServer::add_model`), listed before the fixed ones;
//! the Messages endpoint rejects a prompt longer than its model's `max_input_tokens`.

use serde_json::{Value, json};

/// `(id, display name, created_at, line, lifecycle, max input, max output, thinking)`.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u64,
    u64,
    bool,
);

const CATALOGUE: &[Row] = &[
    (
        "claude-haiku-5-5",
        "Claude Haiku 5.5",
        "2026-10-27T00:00:00Z",
        "haiku",
        "active",
        400_000,
        64_000,
        true,
    ),
    (
        "claude-sonnet-5-5",
        "Claude Sonnet 5.5",
        "2026-09-29T00:00:00Z",
        "sonnet",
        "active",
        1_000_000,
        128_000,
        true,
    ),
    (
        "claude-opus-5-5",
        "Claude Opus 5.5",
        "2026-09-22T00:00:00Z",
        "opus",
        "active",
        1_000_000,
        128_000,
        true,
    ),
    (
        "claude-opus-5",
        "Claude Opus 5",
        "2026-07-24T00:00:00Z",
        "opus",
        "active",
        1_000_000,
        128_000,
        true,
    ),
    (
        "claude-sonnet-5",
        "Claude Sonnet 5",
        "2026-06-30T00:00:00Z",
        "sonnet",
        "active",
        1_000_000,
        128_000,
        true,
    ),
    (
        "claude-opus-4-8",
        "Claude Opus 4.8",
        "2026-05-12T00:00:00Z",
        "opus",
        "active",
        1_000_000,
        128_000,
        true,
    ),
    (
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "2026-02-17T00:00:00Z",
        "sonnet",
        "active",
        1_000_000,
        128_000,
        true,
    ),
    (
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "2025-10-15T00:00:00Z",
        "haiku",
        "active",
        200_000,
        64_000,
        true,
    ),
    (
        "claude-opus-4-5",
        "Claude Opus 4.5",
        "2025-11-24T00:00:00Z",
        "opus",
        "deprecated",
        200_000,
        64_000,
        true,
    ),
    (
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5",
        "2025-09-29T00:00:00Z",
        "sonnet",
        "deprecated",
        200_000,
        64_000,
        true,
    ),
];

fn supported(yes: bool) -> Value {
    json!({"supported": yes})
}

fn info(row: &Row) -> Value {
    let (id, name, created, line, lifecycle, max_in, max_out, thinking) = *row;
    let new_gen = !id.ends_with("4-5");
    json!({
        "id": id, "type": "model", "display_name": name, "created_at": created,
        "max_input_tokens": max_in, "max_tokens": max_out, "line": line, "lifecycle": lifecycle,
        "capabilities": {
            "image_input": supported(true),
            "pdf_input": supported(true),
            "citations": supported(true),
            "batch": supported(true),
            "structured_outputs": supported(true),
            "thinking": {"supported": thinking, "types": {
                "enabled": supported(!new_gen || line == "haiku"),
                "adaptive": supported(new_gen),
            }},
            "effort": {"supported": new_gen, "low": supported(new_gen), "medium": supported(new_gen),
                "high": supported(new_gen), "xhigh": supported(new_gen && line == "opus"),
                "max": supported(new_gen && line != "haiku")},
        },
    })
}

/// A model entry of the catalogue's shape, for a test's own model id.
pub fn custom(id: &str, line: &str, max_input_tokens: u64, max_tokens: u64) -> Value {
    let mut v = info(&(
        "custom",
        "Custom",
        "2027-01-01T00:00:00Z",
        "haiku",
        "active",
        max_input_tokens,
        max_tokens,
        true,
    ));
    v["id"] = Value::from(id);
    v["display_name"] = Value::from(format!("Test model {id}"));
    v["line"] = Value::from(line);
    v
}

/// Every model: `extra` (a test's own) first, then the fixed catalogue, less the ids an
/// extra entry `{"id": ..., "hidden": true}` hides (see [`hidden`]).
fn all(extra: &[Value]) -> Vec<Value> {
    let hidden: Vec<&Value> = extra
        .iter()
        .filter(|m| m["hidden"] == true)
        .map(|m| &m["id"])
        .collect();
    extra
        .iter()
        .cloned()
        .chain(CATALOGUE.iter().map(info))
        .filter(|m| m["hidden"] != true && !hidden.contains(&&m["id"]))
        .collect()
}

/// The catalogue's model ids, newest first.
pub fn catalogue_ids() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|row| row.0)
}

/// An entry for [`crate::mock::MockServer::add_model`] that takes `id` out of the list
/// (and makes `GET /v1/models/{id}` a 404).
pub fn hidden(id: &str) -> Value {
    serde_json::json!({"id": id, "hidden": true})
}

/// One model by id, or `None` (→ 404).
pub fn get(id: &str, extra: &[Value]) -> Option<Value> {
    all(extra).into_iter().find(|m| m["id"] == id)
}

/// The context window of a model the mock knows.
pub fn window(id: &str, extra: &[Value]) -> Option<u64> {
    get(id, extra)?.get("max_input_tokens")?.as_u64()
}

/// A page of the list for the query string; `Err` is a 400 message.
pub fn list(query: Option<&str>, extra: &[Value]) -> Result<Value, String> {
    let models = all(extra);
    let mut limit = 20usize;
    let mut after = None;
    let mut before = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        format!(
                            "limit: Input should be an integer between 1 and 1000, got {value:?}"
                        )
                    })?;
            }
            "after_id" => after = Some(position(&models, value)?),
            "before_id" => before = Some(position(&models, value)?),
            _ => {}
        }
    }
    let (start, end) = match (after, before) {
        (Some(a), _) => (a + 1, (a + 1 + limit).min(models.len())),
        (None, Some(b)) => (b.saturating_sub(limit), b),
        (None, None) => (0, limit.min(models.len())),
    };
    let page: Vec<Value> = models[start..end.max(start)].to_vec();
    let has_more = if before.is_some() && after.is_none() {
        start > 0
    } else {
        end < models.len()
    };
    Ok(json!({
        "data": page,
        "has_more": has_more,
        "first_id": page.first().map(|m| m["id"].clone()),
        "last_id": page.last().map(|m| m["id"].clone()),
    }))
}

fn position(models: &[Value], id: &str) -> Result<usize, String> {
    models
        .iter()
        .position(|m| m["id"] == id)
        .ok_or_else(|| format!("Invalid cursor: no model with id {id:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ModelsPage;

    #[test]
    fn default_page_is_everything_and_parses_as_models_page() {
        let page: ModelsPage = serde_json::from_value(list(None, &[]).unwrap()).unwrap();
        assert_eq!(page.data.len(), CATALOGUE.len());
        assert!(!page.has_more);
        assert_eq!(page.first_id.as_deref(), Some("claude-haiku-5-5"));
        let sonnet45 = page
            .data
            .iter()
            .find(|m| m.id == "claude-sonnet-4-5")
            .unwrap();
        assert_eq!(sonnet45.lifecycle.as_deref(), Some("deprecated"));
        for id in [
            "claude-haiku-4-5",
            "claude-sonnet-4-6",
            "claude-sonnet-5",
            "claude-sonnet-5-5",
            "claude-opus-4-8",
            "claude-opus-5",
            "claude-opus-5-5",
        ] {
            assert!(page.data.iter().any(|m| m.id == id), "{id} listed");
        }
    }

    #[test]
    fn a_hidden_entry_takes_a_model_out_of_the_list() {
        let extra = [hidden("claude-haiku-5-5")];
        let page = list(None, &extra).unwrap();
        let ids: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), CATALOGUE.len() - 1);
        assert!(!ids.contains(&"claude-haiku-5-5"), "{ids:?}");
        assert!(get("claude-haiku-5-5", &extra).is_none());
        assert!(get("claude-haiku-4-5", &extra).is_some());
    }

    #[test]
    fn pages_chain_with_after_id_and_before_id() {
        let first = list(Some("limit=4"), &[]).unwrap();
        assert_eq!(first["data"].as_array().unwrap().len(), 4);
        assert_eq!(first["has_more"], true);
        let last = first["last_id"].as_str().unwrap();
        let second = list(Some(&format!("limit=4&after_id={last}")), &[]).unwrap();
        assert_eq!(second["first_id"], CATALOGUE[4].0);
        let back = list(Some(&format!("limit=2&before_id={}", CATALOGUE[4].0)), &[]).unwrap();
        assert_eq!(back["first_id"], CATALOGUE[2].0);
        assert_eq!(back["has_more"], true);
        assert!(list(Some("limit=0"), &[]).is_err());
        assert!(list(Some("after_id=nope"), &[]).is_err());
        assert_eq!(get("claude-opus-5", &[]).unwrap()["line"], "opus");
        assert!(get("claude-nope", &[]).is_none());
    }

    #[test]
    fn custom_models_come_first_and_have_the_real_shape() {
        let extra = [custom("test-small", "sonnet", 6_000, 1_000)];
        let page: ModelsPage = serde_json::from_value(list(None, &extra).unwrap()).unwrap();
        assert_eq!(page.data[0].id, "test-small");
        assert_eq!(page.data[0].max_input_tokens, Some(6_000));
        assert_eq!(page.data[0].line.as_deref(), Some("sonnet"));
        assert_eq!(page.data.len(), CATALOGUE.len() + 1);
        assert_eq!(window("test-small", &extra), Some(6_000));
        assert_eq!(window("claude-haiku-4-5", &extra), Some(200_000));
        assert_eq!(window("unknown", &extra), None);
    }
}
