//! Who answered, as the response says: the model of `message_start` (which can differ from
//! the one asked for: an alias resolved, a server-side fallback), the `fallback` blocks that
//! mark where one model's output gave way to the next, and a refusal's `stop_details`.
//!
//! Everything here reads blocks and messages kept verbatim (a `fallback` block is an
//! [`ContentBlock::Other`]); nothing changes them. The strings it returns come from the
//! API and are untrusted: front ends sanitise them like any model output.

use serde_json::Value;

use super::{ContentBlock, MessageResponse};

/// The model that answered `message`: its own `model` when the stream named one, else the
/// one the request asked for.
pub fn answering_model<'a>(requested: &'a str, message: &'a MessageResponse) -> &'a str {
    if message.model.is_empty() {
        requested
    } else {
        &message.model
    }
}

/// A server-side fallback: one model's output gave way to the next (`fallback` block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackHop {
    pub from: String,
    pub to: String,
    /// What triggered it (`refusal`), with the category when the API gave one.
    pub reason: String,
}

impl FallbackHop {
    /// The hop a `fallback` block describes; `None` for any other block.
    pub fn of(block: &ContentBlock) -> Option<FallbackHop> {
        let ContentBlock::Other(v) = block else {
            return None;
        };
        if v.get("type").and_then(Value::as_str) != Some("fallback") {
            return None;
        }
        let model = |side: &str| {
            v.pointer(&format!("/{side}/model"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        };
        let trigger = v.get("trigger");
        let kind = trigger
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("fallback");
        let kind = if kind == "refusal" { "refused" } else { kind };
        let reason = match trigger
            .and_then(|t| t.get("category"))
            .and_then(Value::as_str)
        {
            Some(category) => format!("{kind} ({category})"),
            None => kind.to_owned(),
        };
        Some(FallbackHop {
            from: model("from"),
            to: model("to"),
            reason,
        })
    }

    /// `↪ from → to · refused`: how print mode and history show it.
    pub fn label(&self) -> String {
        format!("↪ {}", self.hop())
    }

    /// `from → to · refused`: the label without its arrow (the TUI's fallback notices
    /// bring their own).
    pub fn hop(&self) -> String {
        format!("{} → {} · {}", self.from, self.to, self.reason)
    }
}

/// A refusal's reasons (`stop_details`), when the message was refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refusal {
    pub category: Option<String>,
    pub explanation: Option<String>,
}

impl Refusal {
    /// The refusal's details, for a message whose `stop_details` says it is one.
    pub fn of(message: &MessageResponse) -> Option<Refusal> {
        let details = message.extra.get("stop_details")?;
        if details.get("type").and_then(Value::as_str) != Some("refusal") {
            return None;
        }
        let text = |k: &str| details.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Refusal {
            category: text("category"),
            explanation: text("explanation"),
        })
    }

    /// "the model declined to answer (cyber): This request was refused due to policy."
    pub fn describe(&self) -> String {
        let mut s = String::from("the model declined to answer");
        if let Some(c) = &self.category {
            s.push_str(&format!(" ({c})"));
        }
        if let Some(e) = &self.explanation {
            s.push_str(&format!(": {e}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fallback_block_reads_as_a_hop() {
        let block: ContentBlock = serde_json::from_value(json!({
            "type": "fallback", "from": {"model": "claude-opus-4-7"},
            "to": {"model": "claude-sonnet-4-5"}, "trigger": {"type": "refusal", "category": null}
        }))
        .unwrap();
        let hop = FallbackHop::of(&block).unwrap();
        assert_eq!(
            hop.label(),
            "↪ claude-opus-4-7 → claude-sonnet-4-5 · refused"
        );
        assert_eq!(FallbackHop::of(&ContentBlock::text("x")), None);
    }

    #[test]
    fn refusal_details_and_the_answering_model() {
        let mut m: MessageResponse = serde_json::from_value(json!({"model": ""})).unwrap();
        assert_eq!(answering_model("asked", &m), "asked");
        m.model = "claude-opus-4-7".into();
        assert_eq!(answering_model("asked", &m), "claude-opus-4-7");
        assert_eq!(Refusal::of(&m), None);
        m.extra.insert(
            "stop_details".into(),
            json!({"type": "refusal", "category": "cyber", "explanation": "Policy."}),
        );
        assert_eq!(
            Refusal::of(&m).unwrap().describe(),
            "the model declined to answer (cyber): Policy."
        );
    }
}
