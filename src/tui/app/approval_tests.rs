//! Approvals driven through the app: prose never approves, digits and Alt keys do, the
//! guard while typing, permission modes, refusing with a reason.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};

use crate::engine::{ApprovalPolicy, Command, ToolStatus};
use crate::tools::ApprovalDecision;

use super::PermissionMode;
use crate::tui::app::App;
use crate::tui::test_support::*;
use crate::tui::widgets::tool_panel::tests::{close_input, status, tool_call};

const INPUT: &str = r#"{"command": "rm -rf build"}"#;

/// A turn with one call of `tool` (id `call_0`) whose input is complete; not yet waiting.
fn call_of(app: &mut App, tool: &str) {
    start_turn(app, "clean up", "claude-sonnet-4-6");
    tool_call(app, 0, "call_0", tool, &[INPUT]);
    close_input(app, 0, "call_0", tool, INPUT);
}

fn awaiting(app: &mut App, tool: &str, at: tokio::time::Instant) {
    call_of(app, tool);
    status(app, "call_0", tool, ToolStatus::AwaitingApproval, at);
    app.take_effects();
}

fn approve(decision: ApprovalDecision) -> Command {
    Command::Approve {
        id: "call_0".into(),
        decision,
    }
}

#[test]
fn typing_yes_on_an_empty_input_never_approves() {
    let mut app = app();
    awaiting(&mut app, "run_command", now());
    type_text(&mut app, "yes I");
    assert!(engine_commands(&mut app).is_empty());
    assert_eq!(app.input.text(), "yes I");
    // "always" and "no" neither.
    app.input.clear();
    type_text(&mut app, "always no");
    assert!(engine_commands(&mut app).is_empty());
    assert!(app.approval_pending());
}

#[test]
fn digits_on_an_empty_input_answer_and_alt_letters_answer_anytime() {
    let mut app = app();
    awaiting(&mut app, "run_command", now());
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(engine_commands(&mut app), [approve(ApprovalDecision::Once)]);
    assert_eq!(app.input.text(), "");

    let mut app = crate::tui::test_support::app();
    awaiting(&mut app, "run_command", now());
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        engine_commands(&mut app),
        [approve(ApprovalDecision::Always)]
    );

    let mut app = crate::tui::test_support::app();
    awaiting(&mut app, "run_command", now());
    type_text(&mut app, "step 1");
    assert!(
        engine_commands(&mut app).is_empty(),
        "a digit in text is text"
    );
    chord(&mut app, KeyCode::Char('y'), KeyModifiers::ALT);
    assert_eq!(engine_commands(&mut app), [approve(ApprovalDecision::Once)]);
    assert_eq!(app.input.text(), "step 1");
}

#[test]
fn a_digit_typed_as_the_prompt_appears_mid_typing_goes_to_the_input() {
    let mut app = app();
    let t0 = now();
    call_of(&mut app, "run_command");
    // Typing "route 6" when the prompt appears; the person clears and types on.
    app.on_key(&key(KeyCode::Char('x'), KeyModifiers::NONE), t0);
    status(
        &mut app,
        "call_0",
        "run_command",
        ToolStatus::AwaitingApproval,
        t0,
    );
    app.take_effects();
    app.on_key(&key(KeyCode::Backspace, KeyModifiers::NONE), t0);
    let soon = t0 + Duration::from_millis(200);
    app.on_key(&key(KeyCode::Char('1'), KeyModifiers::NONE), soon);
    assert!(engine_commands(&mut app).is_empty());
    assert_eq!(app.input.text(), "1");
    // Once the prompt has settled, a digit on an empty input answers.
    app.input.clear();
    let later = t0 + Duration::from_secs(1);
    app.on_key(&key(KeyCode::Char('1'), KeyModifiers::NONE), later);
    assert_eq!(engine_commands(&mut app), [approve(ApprovalDecision::Once)]);
}

#[test]
fn refusing_asks_for_a_reason_and_sends_it() {
    let mut app = app();
    awaiting(&mut app, "run_command", now());
    type_text(&mut app, "my draft");
    chord(&mut app, KeyCode::Char('n'), KeyModifiers::ALT);
    assert!(
        engine_commands(&mut app).is_empty(),
        "the reason comes first"
    );
    assert_eq!(app.input.text(), "", "the draft is put aside");
    type_text(&mut app, "use make clean");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::Refuse {
            id: "call_0".into(),
            reason: "use make clean".into()
        }]
    );
    assert_eq!(app.input.text(), "my draft", "the draft is back");
    assert!(!app.approval_pending());
}

#[test]
fn an_empty_reason_refuses_plainly_and_esc_keeps_the_call_waiting() {
    let mut app = app();
    awaiting(&mut app, "run_command", now());
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Esc);
    assert!(
        engine_commands(&mut app).is_empty(),
        "Esc does not interrupt"
    );
    assert!(app.approval_pending());
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [approve(ApprovalDecision::Deny)]);
}

#[test]
fn shift_tab_cycles_the_modes_and_the_mode_answers_waiting_calls() {
    let mut app = app();
    awaiting(&mut app, "write_file", now());
    chord(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(app.approval.mode, PermissionMode::AutoEdit);
    assert_eq!(
        engine_commands(&mut app),
        [
            Command::SetApprovals(ApprovalPolicy::AutoEdit),
            approve(ApprovalDecision::Once)
        ]
    );
    let text = screen(&mut app, 100, 26);
    assert!(text.contains("⏵ auto-edit"), "{text}");

    // Auto-edit still asks for a command; approve all does not.
    let mut app = crate::tui::test_support::app();
    chord(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    awaiting(&mut app, "run_command", now());
    assert!(app.approval_pending());
    chord(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(app.approval.mode, PermissionMode::ApproveAll);
    assert!(!app.approval_pending());
    chord(&mut app, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(app.approval.mode, PermissionMode::Ask);
}

#[test]
fn approve_all_is_visible_from_the_start_and_answers_as_calls_arrive() {
    let mut app = App::new(crate::tui::app::AppOptions {
        approve_all: true,
        ..options()
    });
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("⏵ approve all"), "{text}");
    call_of(&mut app, "run_command");
    app.take_effects();
    status(
        &mut app,
        "call_0",
        "run_command",
        ToolStatus::AwaitingApproval,
        now(),
    );
    assert_eq!(engine_commands(&mut app), [approve(ApprovalDecision::Once)]);
    assert!(!app.approval_pending());
}
