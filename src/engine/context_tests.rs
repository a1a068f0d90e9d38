//! Folding histories with tool calls and thinking: every result must stay valid for the API
//! (checked with the mock server's validator, which follows the API's 400 rules).

use serde_json::json;

use super::*;
use crate::mock::validate::{Endpoint, validate};

fn block(v: serde_json::Value) -> ContentBlock {
    serde_json::from_value(v).unwrap()
}

fn msg(role: Role, content: Vec<serde_json::Value>) -> Message {
    Message {
        role,
        content: content.into_iter().map(block).collect(),
    }
}

fn text(t: &str) -> serde_json::Value {
    json!({"type": "text", "text": t})
}

fn thinking(t: &str) -> serde_json::Value {
    json!({"type": "thinking", "thinking": t, "signature": format!("sig-{t}")})
}

fn call(id: &str) -> serde_json::Value {
    json!({"type": "tool_use", "id": id, "name": "read_file", "input": {"path": "a.rs"}})
}

fn result(id: &str) -> serde_json::Value {
    json!({"type": "tool_result", "tool_use_id": id, "content": "fn main() {}"})
}

/// Five turns: tool call with thinking, plain thinking, a parallel batch with trailing
/// text, a plain answer, and the pending prompt.
fn history() -> Vec<Message> {
    use Role::{Assistant as A, User as U};
    vec![
        msg(U, vec![text("q1: read a.rs")]),
        msg(A, vec![thinking("t1"), call("a")]),
        msg(U, vec![result("a")]),
        msg(A, vec![text("a1: it is tiny")]),
        msg(U, vec![text("q2")]),
        msg(A, vec![thinking("t2"), text("a2")]),
        msg(U, vec![text("q3: both files")]),
        msg(A, vec![call("b"), call("c")]),
        msg(U, vec![result("b"), result("c"), text("also this")]),
        msg(A, vec![thinking("t3"), text("a3")]),
        msg(U, vec![text("q4")]),
        msg(A, vec![text("a4")]),
        msg(U, vec![text("q5")]),
    ]
}

fn assert_valid(messages: &[Message]) {
    // Tool blocks in a history need tool definitions, as the API says.
    let tools = json!([{"name": "read", "input_schema": {"type": "object"}}]);
    let body = json!({"model": "m", "max_tokens": 10, "messages": messages, "tools": tools});
    let bytes = serde_json::to_vec(&body).unwrap();
    if let Err(e) = validate(&bytes, Endpoint::Messages) {
        panic!("invalid history: {e}\n{body:#}");
    }
    for pair in messages.windows(2) {
        assert_ne!(pair[0].role, pair[1].role, "roles alternate");
    }
}

#[test]
fn turns_start_at_user_prompts_not_at_tool_results() {
    assert_eq!(turn_starts(&history()), [0, 4, 6, 10, 12]);
}

#[test]
fn every_allowed_fold_keeps_the_history_valid_both_ways() {
    let h = history();
    assert_valid(&h);
    for keep in 1..=4 {
        for shed in [0, 1, 50, 10_000] {
            let Some(fold) = plan(&h, keep, shed) else {
                panic!("keep {keep}: something can be folded");
            };
            assert!(fold.turns >= 1 && fold.turns <= 5 - keep, "{fold:?}");
            let truncated = truncate(&h, fold);
            assert_valid(&truncated);
            let summarised = with_summary(&h, fold, "they read a.rs and b.rs");
            assert_valid(&summarised);
            // The kept turns are exactly the originals (thinking signatures included),
            // apart from the summary block in front.
            assert_eq!(&summarised[1..], &h[fold.cut + 1..]);
            assert_eq!(&summarised[0].content[1..], &h[fold.cut].content[..]);
            assert_eq!(truncated, h[fold.cut..]);
        }
    }
}

#[test]
fn the_smallest_fold_that_sheds_enough_is_chosen() {
    let h = history();
    let one = plan(&h, 2, 1).unwrap();
    assert_eq!((one.cut, one.turns), (4, 1));
    assert_eq!(one.tokens, estimate_messages(&h[..4]));
    let two = plan(&h, 2, one.tokens + 1).unwrap();
    assert_eq!((two.cut, two.turns), (6, 2));
    // Asking for more than may be shed gives the largest fold that keeps 2 turns.
    let all = plan(&h, 2, u64::MAX).unwrap();
    assert_eq!((all.cut, all.turns), (10, 3));
}

#[test]
fn nothing_to_fold_when_only_the_kept_turns_exist() {
    let h = history();
    assert_eq!(plan(&h, 5, 1), None);
    assert_eq!(plan(&h[..1], 1, 1), None);
    assert_eq!(plan(&[], 1, 1), None);
    // A tool loop in progress (last message a tool result) is one turn, never split.
    let in_loop = &h[..3];
    assert_eq!(turn_starts(in_loop), [0]);
    assert_eq!(plan(in_loop, 1, 1), None);
}

#[test]
fn a_history_opening_with_an_answer_folds_that_prefix_too() {
    let mut h = history();
    h.insert(0, msg(Role::Assistant, vec![text("left over")]));
    let fold = plan(&h, 2, 1).unwrap();
    assert_eq!((fold.cut, fold.turns), (5, 1));
    assert_valid(&truncate(&h, fold));
}

#[test]
fn transcripts_are_plain_text_without_thinking() {
    let t = transcript(&history()[..6]);
    assert!(t.starts_with("User: q1: read a.rs\n\n"), "{t}");
    assert!(t.contains("Assistant: [called tool read_file with {\"path\":\"a.rs\"}]"));
    assert!(t.contains("User: [tool result: fn main() {}]"));
    assert!(t.contains("Assistant: a2"));
    assert!(!t.contains("t1") && !t.contains("sig-"), "{t}");
}

#[test]
fn tails_keep_the_end_and_say_what_was_cut() {
    assert_eq!(tail("short", 10), "short");
    let long = "line one\nline two\nline three\n";
    let cut = tail(long, 14);
    assert_eq!(
        cut,
        "[the start of the conversation is omitted]\nline three\n"
    );
    assert!(tail("ééééé", 2).ends_with("]\néé"));
}

#[test]
fn estimates_grow_with_content() {
    let small = estimate_messages(&[Message::user_text("hi")]);
    let big = estimate_messages(&[Message::user_text("hi ".repeat(400))]);
    assert!(small >= 1 && big > 250, "{small} {big}");
    let mut r = MessagesRequest::new("m", 1, vec![Message::user_text("hi")]);
    let without = estimate_request(&r);
    r.system = Some(crate::api::System::Text("be brief ".repeat(100)));
    assert!(estimate_request(&r) > without + 200);
}
