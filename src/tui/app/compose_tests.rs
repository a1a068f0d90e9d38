//! Ctrl+C's arming, Home/End, the queue, paste chips, the editor and recalled history,
//! driven through the app.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};

use crate::api::ContentBlock;
use crate::engine::Command;

use crate::tui::app::Effect;
use crate::tui::render::cells::CellKind;
use crate::tui::test_support::*;

#[test]
fn ctrl_c_arming_ends_as_soon_as_anything_is_typed() {
    let mut app = app();
    let t0 = now();
    let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
    type_text(&mut app, "abc");
    app.on_key(&ctrl_c, t0);
    assert!(app.input.is_empty());
    type_text(&mut app, "def");
    app.on_key(&ctrl_c, t0 + Duration::from_millis(500));
    assert!(app.take_effects().is_empty(), "typing disarmed it");
    assert!(app.input.is_empty(), "the new text is cleared instead");
    // Both drafts are kept: Up brings them back, newest first.
    press(&mut app, KeyCode::Up);
    assert_eq!(app.input.text(), "def");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.input.text(), "abc");
    app.input.clear();
    app.on_key(&ctrl_c, t0 + Duration::from_secs(1));
    app.on_key(&ctrl_c, t0 + Duration::from_millis(1500));
    assert_eq!(app.take_effects(), [Effect::Quit]);
}

#[test]
fn home_and_end_move_the_cursor_while_the_input_has_text() {
    let mut app = app();
    for i in 0..40 {
        app.notice(
            crate::tui::render::cells::NoticeKind::Info,
            format!("notice {i}"),
        );
    }
    app.prepare(ratatui::layout::Rect::new(0, 0, 60, 20));
    type_text(&mut app, "world");
    press(&mut app, KeyCode::Home);
    type_text(&mut app, "hello ");
    press(&mut app, KeyCode::End);
    type_text(&mut app, "!");
    assert_eq!(app.input.text(), "hello world!");
    assert!(app.conversation.is_following(), "the conversation stayed");
    // Ctrl+Home / Ctrl+End scroll whatever the input holds.
    chord(&mut app, KeyCode::Home, KeyModifiers::CONTROL);
    assert_eq!(app.conversation.top(), 0);
    chord(&mut app, KeyCode::End, KeyModifiers::CONTROL);
    assert!(app.conversation.is_following());
    assert_eq!(app.input.text(), "hello world!");
}

/// The queued messages' texts, oldest first.
fn queued(app: &crate::tui::app::App) -> Vec<&str> {
    app.compose.queued.iter().map(|q| q.text.as_str()).collect()
}

#[test]
fn enter_while_streaming_queues_and_each_is_sent_when_a_turn_ends() {
    let mut app = app();
    start_turn(&mut app, "first", "claude-sonnet-4-6");
    app.take_effects();
    type_text(&mut app, "second");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "third");
    press(&mut app, KeyCode::Enter);
    assert!(engine_commands(&mut app).is_empty(), "nothing sent yet");
    assert_eq!(queued(&app), ["second", "third"]);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("» queued: second"), "{text}");
    assert!(text.contains("» queued: third"), "{text}");

    finish(&mut app, vec![ContentBlock::text("one")]);
    assert_eq!(engine_commands(&mut app), [Command::Send("second".into())]);
    assert_eq!(queued(&app), ["third"]);
    start_turn(&mut app, "", "claude-sonnet-4-6");
    finish(&mut app, vec![ContentBlock::text("two")]);
    assert_eq!(engine_commands(&mut app), [Command::Send("third".into())]);
    assert!(app.compose.queued.is_empty());
}

#[test]
fn up_takes_the_newest_queued_back_and_esc_returns_them_all_unsent() {
    let mut app = app();
    start_turn(&mut app, "first", "claude-sonnet-4-6");
    for text in ["a", "b", "c"] {
        type_text(&mut app, text);
        press(&mut app, KeyCode::Enter);
    }
    app.take_effects();
    press(&mut app, KeyCode::Up);
    assert_eq!(app.input.text(), "c");
    assert_eq!(queued(&app), ["a", "b"]);
    // Deleting it there removes it; Esc stops the answer and nothing queued is sent.
    app.input.clear();
    press(&mut app, KeyCode::Esc);
    assert_eq!(engine_commands(&mut app), [Command::Cancel]);
    assert_eq!(app.input.text(), "a\n\nb");
    assert!(app.compose.queued.is_empty());
}

#[test]
fn a_large_paste_is_a_chip_in_the_input_and_the_transcript_and_sent_whole() {
    let mut app = app();
    let pasted: String = (1..=30).map(|i| format!("row {i}\n")).collect();
    type_text(&mut app, "see ");
    app.on_paste(&pasted);
    let chip = "[pasted 30 lines · 201 B]";
    assert_eq!(app.input.text(), format!("see {chip}"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::Send(format!("see {pasted}"))]
    );
    let text = screen(&mut app, 80, 24);
    assert!(text.contains(&format!("see {chip}")), "{text}");
    assert!(!text.contains("row 12"), "{text}");
    // Ctrl+O shows it in full.
    chord(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    let text = screen(&mut app, 80, 40);
    assert!(text.contains("row 12"), "{text}");
    let Some(CellKind::User(sent)) = app.conversation.cells().first().map(|c| &c.kind) else {
        panic!("no user cell");
    };
    assert_eq!(&**sent, format!("see {pasted}"));
}

#[test]
fn ctrl_o_opens_a_chip_in_the_input() {
    let mut app = app();
    let pasted = "x".repeat(3000);
    app.on_paste(&pasted);
    assert_eq!(app.input.text(), "[pasted 1 line · 3 KB]");
    chord(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    assert_eq!(app.input.text(), pasted);
    assert!(!app.screen.render_options.thinking_expanded);
}

#[test]
fn ctrl_g_hands_the_draft_to_the_editor_and_takes_the_result_back() {
    let mut app = app();
    type_text(&mut app, "draft");
    chord(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(app.take_effects(), [Effect::Editor("draft".into())]);
    app.editor_done(Ok("a better draft\n".into()), now());
    assert_eq!(app.input.text(), "a better draft");
    app.editor_done(Err("`vi` exited with 1".into()), now());
    assert_eq!(
        app.input.text(),
        "a better draft",
        "an error keeps the draft"
    );
}

#[test]
fn up_recalls_this_sessions_messages_then_earlier_sessions() {
    let mut app = app();
    app.set_input_history(vec!["newest stored".into(), "older stored".into()]);
    type_text(&mut app, "sent now");
    press(&mut app, KeyCode::Enter);
    app.input.clear();
    for want in ["sent now", "newest stored", "older stored"] {
        press(&mut app, KeyCode::Up);
        assert_eq!(app.input.text(), want);
    }
}
