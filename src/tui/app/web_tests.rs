//! Web search on screen (the server panel, footnotes, sources, `/search`, the sidebar's
//! searches) and the draft's counted cost in the input's border.

use std::time::Duration;

use crossterm::event::KeyCode;
use serde_json::{Value, json};

use crate::api::server_tools::ServerTools;
use crate::api::{ContentBlock, Usage};
use crate::engine::{Command, Update};
use crate::tui::app::App;
use crate::tui::app::token_count::DEBOUNCE;
use crate::tui::test_support::*;

const CALL: &str = "srvtoolu_01search";
const SIZES: [(u16, u16); 2] = [(100, 34), (60, 34)];

fn block_of(v: Value) -> ContentBlock {
    serde_json::from_value(v).unwrap()
}

fn call() -> ContentBlock {
    block_of(
        json!({"type": "server_tool_use", "id": CALL, "name": "web_search",
                    "input": {"query": "rust news"}}),
    )
}

fn result() -> ContentBlock {
    block_of(
        json!({"type": "web_search_tool_result", "tool_use_id": CALL, "content": [
        {"type": "web_search_result", "url": "https://news.example.com/rust",
         "title": "Rust ships", "encrypted_content": "e", "page_age": "2 hours ago"},
        {"type": "web_search_result", "url": "https://www.blog.example.org/x",
         "title": "On the \u{1b}[2Jweek", "encrypted_content": "e"}]}),
    )
}

fn cited() -> ContentBlock {
    block_of(
        json!({"type": "text", "text": "Rust shipped", "citations": [
        {"type": "web_search_result_location", "url": "https://news.example.com/rust",
         "title": "Rust ships", "cited_text": "c", "encrypted_index": "i"}]}),
    )
}

/// A search turn up to the call's input being complete (the API is searching).
fn searching(app: &mut App) {
    start_turn(app, "latest rust news?", "claude-sonnet-4-6");
    block(
        app,
        0,
        block_of(json!({"type": "server_tool_use", "id": CALL,
                                   "name": "web_search", "input": {}})),
    );
    for piece in [r#"{"query": "#, r#""rust news"}"#] {
        app.on_update(
            Update::ToolInputDelta {
                turn: turn(),
                index: 0,
                id: CALL.into(),
                partial_json: piece.into(),
            },
            now(),
        );
    }
    app.on_update(
        Update::BlockFinished {
            turn: turn(),
            index: 0,
            block: call(),
        },
        now(),
    );
}

/// The whole turn: search, results, a cited answer, one search in the usage.
fn searched(app: &mut App) {
    searching(app);
    block(app, 1, result());
    block(app, 2, ContentBlock::text(""));
    text(app, 2, "Rust shipped");
    // The cited block closes before the next text block opens, as in the stream.
    app.on_update(
        Update::BlockFinished {
            turn: turn(),
            index: 2,
            block: cited(),
        },
        now(),
    );
    block(app, 3, ContentBlock::text(""));
    text(app, 3, " on time.");
    let mut usage = Usage {
        input_tokens: 900,
        output_tokens: 40,
        ..Usage::default()
    };
    usage.server_tool_use = Some(json!({"web_search_requests": 1}));
    app.on_update(
        Update::Usage {
            turn: turn(),
            model: "claude-sonnet-4-6".into(),
            usage: usage.clone(),
            cost_usd: Some(0.0133),
        },
        now(),
    );
    let request = crate::cost::RequestEnd {
        model: "claude-sonnet-4-6".into(),
        tier: Some(crate::config::Tier::Balanced),
        usage: Some(usage),
        usage_estimated: false,
        cost_usd: Some(0.0133),
        outcome: crate::cost::Outcome::Answered,
        timing: None,
        today_usd: None,
    };
    app.on_update(
        Update::RequestEnded {
            turn: turn(),
            request,
        },
        now(),
    );
    // `finish` closes blocks by position: the result (index 1) has no cell, so it is
    // closed as a text block would be, which changes nothing.
    let rest = ContentBlock::text(" on time.");
    app.on_update(
        Update::BlockFinished {
            turn: turn(),
            index: 3,
            block: rest.clone(),
        },
        now(),
    );
    let message = crate::api::MessageResponse {
        id: "msg_1".into(),
        model: "claude-sonnet-4-6".into(),
        role: crate::api::Role::Assistant,
        content: vec![call(), result(), cited(), rest],
        stop_reason: Some(crate::api::StopReason::EndTurn),
        stop_sequence: None,
        usage: Usage::default(),
        extra: Default::default(),
    };
    app.on_update(
        Update::TurnFinished {
            turn: turn(),
            message,
            stats: Default::default(),
        },
        now(),
    );
}

#[test]
fn a_search_shows_a_panel_then_its_sources_and_a_cited_answer() {
    let mut app = app();
    searching(&mut app);
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains("⚙ web_search"), "{shown}");
    assert!(shown.contains("searching · 0s"), "{shown}");
    assert!(!shown.contains("awaiting approval"), "{shown}");

    let mut app = app_done();
    let shown = screen(&mut app, 100, 34);
    assert!(shown.contains("✓ done"), "{shown}");
    assert!(
        shown.contains("1. Rust ships · news.example.com · 2 hours ago"),
        "{shown}"
    );
    // Cited text and the text after it are one answer.
    assert!(shown.contains("Rust shipped[1] on time."), "{shown}");
    // A hostile title is drawn without its escape sequence.
    assert!(
        shown.contains("2. On the week · blog.example.org"),
        "{shown}"
    );
    assert!(shown.contains("Sources:"), "{shown}");
    for (w, terminal) in drawn_at(&SIZES, searched) {
        insta::assert_snapshot!(format!("web_search_answer_{w}"), terminal.backend());
    }
}

fn app_done() -> App {
    let mut app = app();
    searched(&mut app);
    app
}

#[test]
fn copy_keeps_the_footnotes_and_the_sources_as_links() {
    let mut app = app_done();
    app.take_effects();
    app.copy(None, now());
    let copied = app.take_effects().into_iter().find_map(|e| match e {
        crate::tui::app::Effect::Copy(text) => Some(text),
        _ => None,
    });
    assert_eq!(
        copied.as_deref(),
        Some(
            "Rust shipped[1] on time.\n\nSources:\n1. [Rust ships](https://news.example.com/rust)"
        )
    );
}

#[test]
fn a_failed_search_shows_its_error_code() {
    let mut app = app();
    searching(&mut app);
    block(
        &mut app,
        1,
        block_of(
            json!({"type": "web_search_tool_result", "tool_use_id": CALL,
        "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}}),
        ),
    );
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains("error: max_uses_exceeded"), "{shown}");
}

#[test]
fn search_switches_the_configured_tools_on_and_off() {
    let mut app = app();
    let configured = ServerTools {
        web_search: true,
        max_uses: Some(2),
        ..ServerTools::default()
    };
    app.set_server_tools(configured.clone());
    type_text(&mut app, "/search off");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::SetServerTools(configured.switched(false))]
    );
    type_text(&mut app, "/search on");
    press(&mut app, KeyCode::Enter);
    let on = engine_commands(&mut app);
    assert_eq!(on, [Command::SetServerTools(configured.switched(true))]);
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains("web search and fetch on"), "{shown}");
}

#[test]
fn the_sidebar_prices_the_search() {
    let mut app = app_done();
    let shown = screen(&mut app, 120, 50);
    assert!(shown.contains("web searches"), "{shown}");
    assert!(shown.contains("1 · $0.01"), "{shown}");
}

fn counted(app: &mut App) -> Option<u64> {
    engine_commands(app).into_iter().find_map(|c| match c {
        Command::CountDraft { id, .. } => Some(id),
        _ => None,
    })
}

#[test]
fn a_large_draft_is_counted_after_a_pause_and_shown_in_the_border() {
    let mut app = app();
    type_text(&mut app, "short");
    app.tick(now() + DEBOUNCE * 2);
    assert_eq!(counted(&mut app), None, "a small draft is not counted");

    app.on_paste(&"lorem ipsum ".repeat(1_000));
    let at = now();
    app.tick(at);
    assert_eq!(counted(&mut app), None, "not before typing pauses");
    app.tick(at + DEBOUNCE + Duration::from_millis(5));
    let id = counted(&mut app).expect("a count is asked for");
    let update = Update::DraftCounted {
        id,
        model: "claude-sonnet-4-6".into(),
        counted: Ok(12_400),
    };
    app.on_update(update, now());
    let shown = screen(&mut app, 100, 30);
    assert!(
        shown.contains("≈ 12,400 input tokens · ≈ $0.037"),
        "{shown}"
    );

    // An edit drops the figure and cancels nothing more (the count was answered).
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(engine_commands(&mut app), []);
    assert!(!screen(&mut app, 100, 30).contains("input tokens"));
}

#[test]
fn an_edit_cancels_a_count_in_flight_and_a_late_answer_is_ignored() {
    let mut app = app();
    app.on_paste(&"lorem ipsum ".repeat(1_000));
    app.tick(now() + DEBOUNCE + Duration::from_millis(5));
    let id = counted(&mut app).unwrap();
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(engine_commands(&mut app), [Command::CancelDraftCount]);
    let late = Update::DraftCounted {
        id,
        model: "claude-sonnet-4-6".into(),
        counted: Ok(99),
    };
    app.on_update(late, now());
    assert!(!screen(&mut app, 100, 30).contains("input tokens"));
}

#[test]
fn a_failed_count_turns_counting_off() {
    let mut app = app();
    app.on_paste(&"lorem ipsum ".repeat(1_000));
    app.tick(now() + DEBOUNCE + Duration::from_millis(5));
    let id = counted(&mut app).unwrap();
    let failed = Update::DraftCounted {
        id,
        model: "claude-sonnet-4-6".into(),
        counted: Err("connection refused".into()),
    };
    app.on_update(failed, now());
    assert!(screen(&mut app, 100, 30).contains("token count unavailable"));
    press(&mut app, KeyCode::Char('x'));
    app.tick(now() + DEBOUNCE * 2);
    assert_eq!(counted(&mut app), None);
}

#[test]
fn a_large_attachment_is_counted_with_a_short_draft() {
    let mut app = app();
    type_text(&mut app, "what do these say?");
    let notes = "a line of notes\n".repeat(1_000);
    let options = crate::attach::LoadOptions::explicit(None);
    let file = crate::attach::load_bytes("notes.txt", notes.into_bytes(), &options).unwrap();
    app.add_pending(file.clone());
    app.tick(now() + DEBOUNCE + Duration::from_millis(5));
    let asked = engine_commands(&mut app).into_iter().find_map(|c| match c {
        Command::CountDraft { attachments, .. } => Some(attachments),
        _ => None,
    });
    let attachments = asked.expect("the chip makes the draft large enough to count");
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].hash, file.hash);

    // Removing the chip is a change like an edit: the count in flight is cancelled.
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Backspace);
    let _ = engine_commands(&mut app);
    app.tick(now() + DEBOUNCE * 3);
    assert_eq!(
        counted(&mut app),
        None,
        "the short draft alone is not counted"
    );
}
