//! The overlay stack: who is asked first, and what each answer does.

use crossterm::event::{KeyCode, KeyModifiers};

use crate::engine::ToolStatus;
use crate::tui::app::App;
use crate::tui::app::keymap::Action;
use crate::tui::test_support::*;
use crate::tui::widgets::tool_panel::tests::{close_input, status, tool_call};

use super::{KeyOutcome, Overlay};

const INPUT: &str = r#"{"command": "ls"}"#;

/// A `run_command` call (id `call_0`) waiting for approval.
fn awaiting(app: &mut App) {
    start_turn(app, "list", "claude-sonnet-4-6");
    tool_call(app, 0, "call_0", "run_command", &[INPUT]);
    close_input(app, 0, "call_0", "run_command", INPUT);
    status(
        app,
        "call_0",
        "run_command",
        ToolStatus::AwaitingApproval,
        now(),
    );
    app.take_effects();
}

fn open(app: &App) -> Vec<Overlay> {
    Overlay::STACK
        .into_iter()
        .filter(|&o| app.is_open(o))
        .collect()
}

#[test]
fn no_overlay_open_leaves_the_key_to_the_keymap_and_input() {
    let mut app = app();
    assert!(open(&app).is_empty());
    let outcome = app.overlays_key(&key(KeyCode::Char('a'), KeyModifiers::NONE), now());
    assert_eq!(outcome, None);
    assert_eq!(app.input.text(), "");
}

#[test]
fn the_topmost_overlay_is_asked_first() {
    let mut app = app();
    type_text(&mut app, "/");
    app.open_help();
    assert_eq!(open(&app), [Overlay::Help, Overlay::Popup]);
    // Help is modal: it takes Esc (and closes), the popup below never sees it.
    let outcome = app.overlays_key(&key(KeyCode::Esc, KeyModifiers::NONE), now());
    assert_eq!(outcome, Some(KeyOutcome::Consumed));
    assert_eq!(open(&app), [Overlay::Popup]);
    // Now the popup is on top and takes Esc: closed until the input changes.
    press(&mut app, KeyCode::Esc);
    assert!(open(&app).is_empty());
    type_text(&mut app, "m");
    assert_eq!(open(&app), [Overlay::Popup]);
}

#[test]
fn the_popup_passes_on_keys_it_does_not_know() {
    let mut app = app();
    type_text(&mut app, "/");
    let outcome = app.overlays_key(&key(KeyCode::Char('x'), KeyModifiers::NONE), now());
    assert_eq!(outcome, None);
}

#[test]
fn approval_answers_with_an_action_and_lets_typing_through() {
    let mut app = app();
    awaiting(&mut app);
    assert_eq!(open(&app), [Overlay::Approval]);
    let one = key(KeyCode::Char('1'), KeyModifiers::NONE);
    assert_eq!(
        app.overlays_key(&one, now()),
        Some(KeyOutcome::Action(Action::ApproveOnce))
    );
    // With text in the input a bare digit is typing, not an answer.
    type_text(&mut app, "x");
    assert_eq!(app.overlays_key(&one, now()), None);
    // A key that is not approval's goes down the stack too.
    let a = key(KeyCode::Char('a'), KeyModifiers::NONE);
    assert_eq!(app.overlays_key(&a, now()), None);
}

#[test]
fn message_selection_keys_and_hints_follow_the_keymap() {
    use std::collections::BTreeMap;

    use crate::tui::app::keymap::Keymap;

    let overrides = BTreeMap::from([
        ("send".to_owned(), "ctrl+s".to_owned()),
        ("interrupt".to_owned(), "ctrl+g".to_owned()),
    ]);
    let mut app = app();
    answer(&mut app, "first", "one");
    answer(&mut app, "second", "two");
    app.take_effects();
    app.keymap = Keymap::with_overrides(&overrides).unwrap();
    chord(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(open(&app), [Overlay::Selection]);
    assert_eq!(
        app.overlay_hints().map(|h| h.join(" · ")).as_deref(),
        Some("↑↓ pick a message · Ctrl+S edit it · Ctrl+G cancel")
    );
    // Enter is no longer the edit key: selection lets it go (and closes).
    press(&mut app, KeyCode::Enter);
    assert!(open(&app).is_empty());
    assert_eq!(app.input.text(), "");
    chord(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Up);
    chord(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(app.input.text(), "first");
    let flash = app.flash.as_ref().map(|(text, _)| text.as_str());
    assert_eq!(
        flash,
        Some("editing: Ctrl+S sends it as a new branch · Ctrl+G cancels")
    );
}
