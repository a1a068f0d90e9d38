//! Breakpoint placement: where markers go, how many, and where they never go.

use serde_json::{Value, json};

use super::*;
use crate::api::{ToolDefinition, ToolResultBlock, ToolUseBlock};

fn assistant(blocks: Vec<ContentBlock>) -> Message {
    Message {
        role: Role::Assistant,
        content: blocks,
    }
}

fn tool(name: &str) -> ToolDefinition {
    serde_json::from_value(json!({"name": name, "input_schema": {"type": "object"}})).unwrap()
}

fn tool_use(id: &str) -> ContentBlock {
    ContentBlock::ToolUse(ToolUseBlock {
        id: id.into(),
        name: "f".into(),
        input: json!({}),
        cache_control: None,
        extra: Default::default(),
    })
}

fn tool_result(id: &str) -> ContentBlock {
    ContentBlock::ToolResult(ToolResultBlock {
        tool_use_id: id.into(),
        content: Some(json!("ok")),
        is_error: None,
        cache_control: None,
        extra: Default::default(),
    })
}

fn thinking() -> ContentBlock {
    serde_json::from_value(json!({"type": "thinking", "thinking": "hm", "signature": "s"})).unwrap()
}

/// The marked places in prefix order (tools, system, messages).
fn marked_paths(request: &MessagesRequest) -> Vec<String> {
    let v = serde_json::to_value(request).unwrap();
    let mut out = Vec::new();
    if v.get("cache_control").is_some() {
        out.push(String::new());
    }
    for key in ["tools", "system", "messages"] {
        if let Some(child) = v.get(key) {
            walk(child, format!(".{key}"), &mut out);
        }
    }
    out
}

fn walk(v: &Value, path: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "cache_control" {
                    out.push(path.clone());
                } else {
                    walk(child, format!("{path}.{k}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{path}.{i}"), out);
            }
        }
        _ => {}
    }
}

fn request(messages: Vec<Message>) -> MessagesRequest {
    let mut r = MessagesRequest::new("m", 100, messages);
    r.system = Some(System::Text("be brief".into()));
    r
}

#[test]
fn tools_system_and_the_last_user_block_are_marked() {
    let mut r = request(vec![
        Message::user_text("one"),
        assistant(vec![thinking(), ContentBlock::text("two")]),
        Message::user_text("three"),
    ]);
    r.tools = vec![tool("a"), tool("b")];
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(
        marked_paths(&r),
        [".tools.1", ".system.0", ".messages.2.content.0"]
    );
    assert_eq!(count(&r), 3);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["tools"][1]["cache_control"], json!({"type": "ephemeral"}));
}

#[test]
fn old_markers_are_removed_and_placing_twice_changes_nothing() {
    let mut r = request(vec![
        Message::user_text("one"),
        assistant(vec![ContentBlock::text("two")]),
        Message::user_text("three"),
    ]);
    // A history stored with markers (a resumed conversation written by something else).
    for m in &mut r.messages {
        for b in &mut m.content {
            *b.cache_control_mut().unwrap() = Some(CacheControl::ephemeral(None));
        }
    }
    place(&mut r, Some(CacheTtl::OneHour));
    let once = r.clone();
    place(&mut r, Some(CacheTtl::OneHour));
    assert_eq!(r, once);
    assert_eq!(marked_paths(&r), [".system.0", ".messages.2.content.0"]);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v["messages"][2]["content"][0]["cache_control"],
        json!({"type": "ephemeral", "ttl": "1h"})
    );
    place(&mut r, None);
    assert!(marked_paths(&r).is_empty(), "caching off strips everything");
}

#[test]
fn the_marker_skips_blocks_that_cannot_carry_one() {
    let document = json!({"type": "document", "source": {"type": "text", "data": "d"}});
    let mut r = request(vec![Message {
        role: Role::User,
        content: vec![
            ContentBlock::text("read this"),
            ContentBlock::Other(document),
            ContentBlock::text("  "),
        ],
    }]);
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(marked_paths(&r), [".system.0", ".messages.0.content.1"]);
    // A user message with nothing markable gets no moving marker at all.
    let mut r = request(vec![Message {
        role: Role::User,
        content: vec![ContentBlock::Other(json!({"type": "mystery"}))],
    }]);
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(marked_paths(&r), [".system.0"]);
}

fn tool_turn(calls: usize) -> Vec<Message> {
    let ids: Vec<String> = (0..calls).map(|i| format!("t{i}")).collect();
    vec![
        Message::user_text("run them"),
        assistant(ids.iter().map(|id| tool_use(id)).collect()),
        Message {
            role: Role::User,
            content: ids.iter().map(|id| tool_result(id)).collect(),
        },
    ]
}

#[test]
fn a_wide_tool_batch_gets_an_intermediate_breakpoint() {
    // 10 calls: 20 blocks from the previous moving marker to the new one, still in reach.
    let mut r = request(tool_turn(10));
    r.tools = vec![tool("f")];
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(
        marked_paths(&r),
        [".tools.0", ".system.0", ".messages.2.content.9"]
    );
    // 11 calls: 22 blocks, out of the lookback: the previous position is marked too.
    let mut r = request(tool_turn(11));
    r.tools = vec![tool("f")];
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(
        marked_paths(&r),
        [
            ".tools.0",
            ".system.0",
            ".messages.0.content.0",
            ".messages.2.content.10"
        ]
    );
    assert_eq!(count(&r), MAX_BREAKPOINTS);
}

#[test]
fn never_more_than_four_markers_with_an_automatic_one() {
    let mut r = request(tool_turn(11));
    r.tools = vec![tool("f")];
    r.extra
        .insert("cache_control".into(), json!({"type": "ephemeral"}));
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(count(&r), MAX_BREAKPOINTS);
    assert_eq!(marked_paths(&r)[0], "", "the automatic marker stays");
    // The moving marker wins over the intermediate one.
    assert!(marked_paths(&r).contains(&".messages.2.content.10".to_owned()));
}

#[test]
fn without_a_system_prompt_or_user_message_fewer_markers() {
    let mut r = MessagesRequest::new("m", 1, vec![]);
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(count(&r), 0);
    let mut r = MessagesRequest::new("m", 1, vec![Message::user_text("hi")]);
    place(&mut r, Some(CacheTtl::FiveMinutes));
    assert_eq!(marked_paths(&r), [".messages.0.content.0"]);
}
