//! Alt+T / Alt+E, the live thinking line, and who answered, driven through the app.

use super::*;
use crate::config::Tier;
use crate::engine::Update;
use crate::tui::test_support::{app, block, chord, now, screen, start_turn, turn};
use crossterm::event::{KeyCode, KeyModifiers};

#[test]
fn alt_t_and_alt_e_send_their_commands_and_show_in_the_status() {
    let mut app = app();
    assert_eq!(app.status.reasoning.label(), None);
    chord(&mut app, KeyCode::Char('t'), KeyModifiers::ALT);
    chord(&mut app, KeyCode::Char('e'), KeyModifiers::ALT);
    let effects = app.take_effects();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Engine(Command::SetThinking(true))))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Engine(Command::SetEffort(Some(Effort::Low)))))
    );
    assert_eq!(
        app.status.reasoning.label().as_deref(),
        Some("✻ thinking · effort low")
    );
    assert!(app.status.reasoning.changed);
}

#[test]
fn effort_cycles_through_the_levels_and_back_to_the_default() {
    let mut e = None;
    let mut seen = Vec::new();
    for _ in 0..6 {
        e = next_effort(e);
        seen.push(e);
    }
    assert_eq!(
        seen,
        vec![
            Some(Effort::Low),
            Some(Effort::Medium),
            Some(Effort::High),
            Some(Effort::XHigh),
            Some(Effort::Max),
            None
        ]
    );
}

#[test]
fn the_status_bar_and_sidebar_say_it_and_the_cache_note_lasts_until_the_next_request() {
    let mut app = app();
    chord(&mut app, KeyCode::Char('t'), KeyModifiers::ALT);
    let shown = screen(&mut app, 120, 24);
    assert!(shown.contains("✻ thinking"), "{shown}");
    assert!(shown.contains("↻ resets the prompt cache"), "{shown}");
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    app.on_update(
        Update::Connected {
            turn: turn(),
            model: "claude-sonnet-4-6".into(),
            tier: Some(Tier::Balanced),
            request_id: None,
            rate_limits: Default::default(),
        },
        now(),
    );
    let shown = screen(&mut app, 120, 24);
    assert!(!shown.contains("resets the prompt"), "{shown}");
    assert!(shown.contains("✻ thinking"), "{shown}");
}

#[test]
fn thinking_streams_live_with_its_newest_words() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    block(
        &mut app,
        0,
        ContentBlock::Thinking(
            serde_json::from_value(serde_json::json!({"thinking": "", "signature": ""})).unwrap(),
        ),
    );
    let words: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
    app.on_update(
        Update::ThinkingDelta {
            turn: turn(),
            index: 0,
            text: words.join(" "),
        },
        now(),
    );
    let shown = screen(&mut app, 100, 20);
    let line = shown
        .lines()
        .find(|l| l.contains("Thinking (60 words …)"))
        .unwrap();
    // The newest words, not the first ones, and a spinner instead of the star.
    assert!(line.contains("w59") && !line.contains("w0 "), "{line}");
    assert!(!line.contains('✻'), "{line}");
}

#[test]
fn the_answering_model_and_a_server_fallback_relabel_the_turn() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    app.on_update(
        Update::Answering {
            turn: turn(),
            model: "claude-sonnet-4-6-20260101".into(),
        },
        now(),
    );
    assert_eq!(app.status.model, "claude-sonnet-4-6-20260101");
    let fallback: ContentBlock = serde_json::from_value(serde_json::json!({
        "type": "fallback", "from": {"model": "claude-sonnet-4-6-20260101"},
        "to": {"model": "claude-haiku-4-5"}, "trigger": {"type": "refusal", "category": "cyber"}
    }))
    .unwrap();
    block(&mut app, 0, fallback);
    assert_eq!(app.status.model, "claude-haiku-4-5");
    let shown = screen(&mut app, 120, 20);
    assert!(
        shown.contains("claude-sonnet-4-6-20260101 → claude-haiku-4-5 · refused (cyber)"),
        "{shown}"
    );
}

#[test]
fn a_refusal_says_its_category_and_explanation() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    let mut message: MessageResponse = serde_json::from_value(serde_json::json!({
        "model": "claude-sonnet-4-6", "stop_reason": "refusal"}))
    .unwrap();
    message.extra.insert(
        "stop_details".into(),
        serde_json::json!({"type": "refusal", "category": "bio", "explanation": "Not this."}),
    );
    app.on_update(
        Update::TurnFinished {
            turn: turn(),
            message,
            stats: Default::default(),
        },
        now(),
    );
    let shown = screen(&mut app, 120, 20);
    assert!(
        shown.contains("declined to answer (bio): Not this."),
        "{shown}"
    );
}

#[test]
fn the_sidebar_shows_the_thinking_share_of_the_request() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    let usage: crate::api::Usage = serde_json::from_value(serde_json::json!({
        "input_tokens": 100, "output_tokens": 2000,
        "output_tokens_details": {"thinking_tokens": 1500},
    }))
    .unwrap();
    app.on_update(
        Update::RequestEnded {
            turn: turn(),
            request: crate::cost::RequestEnd {
                model: "claude-sonnet-4-6".into(),
                tier: Some(Tier::Balanced),
                usage: Some(usage),
                usage_estimated: false,
                cost_usd: Some(0.0303),
                outcome: crate::cost::Outcome::Answered,
                timing: None,
                today_usd: None,
            },
        },
        now(),
    );
    let shown = screen(&mut app, 120, 30);
    // 1,500 thinking tokens at Sonnet 4.6's $15 per million output tokens.
    let row = shown
        .lines()
        .find(|l| l.contains("thinking  ") || l.contains("│ thinking"));
    assert!(
        row.is_some_and(|r| r.contains("1,500") && r.contains("$0.0225")),
        "{shown}"
    );
}
