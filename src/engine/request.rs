//! Building the request body for a turn.
//!
//! The history is stored without cache markers; each request gets fresh ones from
//! [`cache::place`](super::cache::place) (tools, system prompt, the newest user message),
//! so markers "move forward" every turn by construction and never pile up. Whoever changes
//! the request after [`build`] (adding tools, say) calls `cache::place` again: it strips
//! and re-places, so the markers always fit the final shape. The tools go in before the
//! markers are placed, so the last tool definition gets its breakpoint.

use serde_json::Value;

use super::cache;
use crate::api::{Message, MessagesRequest, System, ToolDefinition};
use crate::config::CacheTtl;

/// Per-request settings that are not part of the history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestSettings {
    pub model: String,
    pub max_tokens: u32,
    pub system: Option<String>,
    /// Put cache breakpoints in the request with this TTL; `None` disables caching.
    pub cache_ttl: Option<CacheTtl>,
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
    req.system = settings
        .system
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| System::Text(s.to_owned()));
    cache::place(&mut req, settings.cache_ttl);
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ContentBlock, Role};
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
            cache_ttl: Some(CacheTtl::FiveMinutes),
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

    #[test]
    fn the_tools_go_in_before_the_markers_so_the_last_tool_is_marked() {
        let tool = |name: &str| ToolDefinition {
            name: name.into(),
            description: None,
            input_schema: json!({"type": "object"}),
            cache_control: None,
            eager_input_streaming: Some(true),
            strict: None,
            extra: Default::default(),
        };
        let settings = RequestSettings {
            model: "m".into(),
            max_tokens: 1,
            cache_ttl: Some(CacheTtl::FiveMinutes),
            tools: vec![tool("a"), tool("b")],
            tool_choice: Some(json!({"type": "auto"})),
            ..RequestSettings::default()
        };
        let v = serde_json::to_value(build(&[Message::user_text("hi")], &settings)).unwrap();
        assert!(v["tools"][0].get("cache_control").is_none());
        assert_eq!(v["tools"][1]["cache_control"], json!({"type": "ephemeral"}));
        assert_eq!(v["tools"][1]["eager_input_streaming"], json!(true));
        assert_eq!(v["tool_choice"], json!({"type": "auto"}));
    }
}
