//! Building the request body for a turn.
//!
//! The history is stored without cache markers; each request gets fresh ones, so markers
//! "move forward" every turn by construction and never pile up. Breakpoints: the system
//! prompt (stable across turns) and the last block of the last user message (so the next
//! turn reads everything up to here from the cache). That is at most 2 of the API's 4.

use serde_json::Value;

use crate::api::{
    CacheControl, ContentBlock, Message, MessagesRequest, Role, System, ToolDefinition,
};

/// Per-request settings that are not part of the history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestSettings {
    pub model: String,
    pub max_tokens: u32,
    pub system: Option<String>,
    /// Put cache breakpoints in the request; `None` disables caching.
    pub cache_ttl: Option<String>,
    /// The tools offered (see [`super::tool_plan::offer`]), sent as they are.
    pub tools: Vec<ToolDefinition>,
    pub tool_choice: Option<Value>,
}

/// The request for `messages` under `settings`.
pub fn build(messages: &[Message], settings: &RequestSettings) -> MessagesRequest {
    let mut req = MessagesRequest::new(&settings.model, settings.max_tokens, messages.to_vec());
    // The engine always streams; set here so the client sends the body without a copy.
    req.stream = true;
    req.tools = settings.tools.clone();
    req.tool_choice = settings.tool_choice.clone();
    let marker = settings
        .cache_ttl
        .as_deref()
        .map(|ttl| CacheControl::ephemeral(Some(ttl)));
    req.system = settings
        .system
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| match &marker {
            Some(m) => {
                let mut block = ContentBlock::text(s);
                if let Some(slot) = block.cache_control_mut() {
                    *slot = Some(m.clone());
                }
                System::Blocks(vec![block])
            }
            None => System::Text(s.to_owned()),
        });
    if let Some(m) = marker {
        mark_last_user_block(&mut req.messages, m);
    }
    req
}

fn mark_last_user_block(messages: &mut [Message], marker: CacheControl) {
    let Some(msg) = messages.iter_mut().rev().find(|m| m.role == Role::User) else {
        return;
    };
    for block in msg.content.iter_mut().rev() {
        if let Some(slot) = block.cache_control_mut() {
            *slot = Some(marker);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_on_system_and_last_user_message_only() {
        let history = vec![
            Message::user_text("one"),
            Message {
                role: Role::Assistant,
                content: vec![ContentBlock::text("two")],
            },
            Message::user_text("three"),
        ];
        let settings = RequestSettings {
            model: "m".into(),
            max_tokens: 100,
            system: Some("be brief".into()),
            cache_ttl: Some("5m".into()),
            ..RequestSettings::default()
        };
        let v = serde_json::to_value(build(&history, &settings)).unwrap();
        assert_eq!(
            v["system"],
            json!([{"type":"text","text":"be brief","cache_control":{"type":"ephemeral"}}])
        );
        assert!(
            v["messages"][0]["content"][0]
                .get("cache_control")
                .is_none()
        );
        assert_eq!(
            v["messages"][2]["content"][0]["cache_control"],
            json!({"type":"ephemeral"})
        );
        // The history itself is untouched.
        assert!(history[2].content[0] == ContentBlock::text("three"));
    }

    #[test]
    fn no_markers_without_caching_and_no_empty_system() {
        let settings = RequestSettings {
            model: "m".into(),
            max_tokens: 1,
            system: Some("  ".into()),
            cache_ttl: None,
            ..RequestSettings::default()
        };
        let v = serde_json::to_value(build(&[Message::user_text("hi")], &settings)).unwrap();
        assert!(v.get("system").is_none());
        assert!(!v.to_string().contains("cache_control"));
    }
}
