//! Tool calls driven through the app: approval keys, focus, expansion, the spinner clock.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::json;

use crate::api::ContentBlock;
use crate::engine::{Command, ToolStatus, Update};
use crate::tools::{ApprovalDecision, ToolOutput};

use crate::tui::app::App;
use crate::tui::render::cells::CellKind;
use crate::tui::test_support::*;
use crate::tui::widgets::tool_panel::ToolState;
use crate::tui::widgets::tool_panel::tests::{close_input, status, tool_call};

const INPUT: &str = r#"{"path": "a.txt", "content": "hello"}"#;

/// A turn with `n` write_file calls (ids `call_0`, ...), each awaiting approval.
fn awaiting(app: &mut App, n: usize) {
    start_turn(app, "write files", "claude-sonnet-4-6");
    for i in 0..n {
        let id = format!("call_{i}");
        tool_call(app, i, &id, "write_file", &[INPUT]);
        close_input(app, i, &id, "write_file", INPUT);
    }
    for i in 0..n {
        status(
            app,
            &format!("call_{i}"),
            "write_file",
            ToolStatus::AwaitingApproval,
            now(),
        );
    }
    app.take_effects();
}

fn states(app: &App) -> Vec<ToolState> {
    app.conversation
        .cells()
        .iter()
        .filter_map(|c| match &c.kind {
            CellKind::Tool(p) => Some(p.state().clone()),
            _ => None,
        })
        .collect()
}

fn approve(id: &str, decision: ApprovalDecision) -> Command {
    Command::Approve {
        id: id.into(),
        decision,
    }
}

#[test]
fn digits_answer_the_oldest_pending_call_first() {
    let mut app = app();
    awaiting(&mut app, 3);
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        engine_commands(&mut app),
        [approve("call_0", ApprovalDecision::Always)]
    );
    press(&mut app, KeyCode::Char('1'));
    assert_eq!(
        engine_commands(&mut app),
        [approve("call_1", ApprovalDecision::Once)]
    );
    // 3 asks for a reason first; Enter alone refuses without one.
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [approve("call_2", ApprovalDecision::Deny)]
    );
    assert_eq!(
        states(&app),
        [
            ToolState::Answered(ApprovalDecision::Always),
            ToolState::Answered(ApprovalDecision::Once),
            ToolState::Answered(ApprovalDecision::Deny),
        ]
    );
    // Nothing pending: the digits are typed again.
    press(&mut app, KeyCode::Char('1'));
    assert!(engine_commands(&mut app).is_empty());
    assert_eq!(app.input.text(), "1");
}

#[test]
fn while_typing_letters_and_digits_go_to_the_input_and_alt_letters_answer() {
    let mut app = app();
    awaiting(&mut app, 1);
    type_text(&mut app, "say yes or no, 1 or 3");
    assert_eq!(app.input.text(), "say yes or no, 1 or 3");
    assert!(engine_commands(&mut app).is_empty());
    chord(&mut app, KeyCode::Char('n'), KeyModifiers::ALT);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [approve("call_0", ApprovalDecision::Deny)]
    );
    assert_eq!(app.input.text(), "say yes or no, 1 or 3");
}

#[test]
fn the_prompt_and_the_status_bar_say_how_to_answer() {
    let mut app = app();
    awaiting(&mut app, 2);
    let text = screen(&mut app, 100, 26);
    assert!(
        text.contains("? [1] run once  [2] always for this tool  [3] refuse · anytime"),
        "{text}"
    );
    assert!(text.contains("Alt+Y / Alt+A / Alt+N"), "{text}");
    assert!(
        text.contains("approve write_file? 1/2/3 (+1 more)"),
        "{text}"
    );
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('1'));
    let text = screen(&mut app, 100, 26);
    assert!(!text.contains("approve write_file?"), "{text}");
    assert!(text.contains("approved · starting"), "{text}");
}

#[test]
fn approval_keys_follow_keys_overrides() {
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("approve_once".to_owned(), "ctrl+g".to_owned());
    let mut app = app();
    app.keymap = crate::tui::app::keymap::Keymap::with_overrides(&keys).unwrap();
    awaiting(&mut app, 1);
    press(&mut app, KeyCode::Char('1'));
    assert!(engine_commands(&mut app).is_empty());
    assert_eq!(app.input.text(), "1");
    chord(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    chord(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(
        engine_commands(&mut app),
        [approve("call_0", ApprovalDecision::Once)]
    );
}

#[test]
fn esc_still_interrupts_a_turn_waiting_for_approval() {
    let mut app = app();
    awaiting(&mut app, 1);
    press(&mut app, KeyCode::Esc);
    assert_eq!(engine_commands(&mut app), [Command::Cancel]);
    assert_eq!(states(&app), [ToolState::Interrupted]);
    press(&mut app, KeyCode::Char('1'));
    assert!(
        engine_commands(&mut app).is_empty(),
        "nothing is pending any more"
    );
}

/// Two finished calls with long inputs, in one turn.
fn two_long_panels(app: &mut App) {
    start_turn(app, "fill", "claude-sonnet-4-6");
    let input = json!({"rows": (0..30).collect::<Vec<_>>()}).to_string();
    for i in 0..2 {
        let id = format!("call_{i}");
        tool_call(app, i, &id, "fill", &[&input]);
        close_input(app, i, &id, "fill", &input);
    }
    finish(app, vec![ContentBlock::text("")]);
    app.take_effects();
}

fn panel_heights(app: &mut App) -> Vec<usize> {
    let theme = app.theme.clone();
    let options = app.screen.render_options;
    app.conversation
        .cells()
        .iter()
        .map(|c| c.id)
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|id| {
            let cell = app.conversation.cell_mut(id)?;
            match &cell.kind {
                CellKind::Tool(_) => Some(cell.render(80, &theme, options).len()),
                _ => None,
            }
        })
        .collect()
}

fn focused(app: &App) -> Vec<bool> {
    app.conversation
        .cells()
        .iter()
        .filter_map(|c| match &c.kind {
            CellKind::Tool(p) => Some(p.focused),
            _ => None,
        })
        .collect()
}

#[test]
fn ctrl_t_expands_and_collapses_every_panel() {
    let mut app = app();
    two_long_panels(&mut app);
    let collapsed = panel_heights(&mut app);
    chord(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    let expanded = panel_heights(&mut app);
    assert!(
        expanded.iter().zip(&collapsed).all(|(e, c)| e > c),
        "{expanded:?} {collapsed:?}"
    );
    assert!(screen(&mut app, 100, 26).contains("tool panels expanded"));
    chord(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    assert_eq!(panel_heights(&mut app), collapsed);
}

#[test]
fn alt_up_and_down_move_the_focus_over_panels_and_back_to_the_input() {
    let mut app = app();
    two_long_panels(&mut app);
    let up = |app: &mut App| chord(app, KeyCode::Up, KeyModifiers::ALT);
    let down = |app: &mut App| chord(app, KeyCode::Down, KeyModifiers::ALT);
    up(&mut app);
    assert_eq!(focused(&app), [false, true], "the newest panel first");
    up(&mut app);
    assert_eq!(focused(&app), [true, false]);
    up(&mut app);
    assert_eq!(focused(&app), [true, false], "the oldest stays focused");
    down(&mut app);
    assert_eq!(focused(&app), [false, true]);
    down(&mut app);
    assert_eq!(focused(&app), [false, false], "back to the input");
    assert_eq!(app.tools.focus, None);
    let text = {
        up(&mut app);
        screen(&mut app, 100, 26)
    };
    assert!(
        text.contains("▶ ⚙ fill") && text.contains("Enter expands"),
        "{text}"
    );
    // Typing gives the focus back to the input and types.
    type_text(&mut app, "x");
    assert_eq!(focused(&app), [false, false]);
    assert_eq!(app.input.text(), "x");
}

#[test]
fn enter_on_a_focused_panel_expands_that_one_only() {
    let mut app = app();
    two_long_panels(&mut app);
    let collapsed = panel_heights(&mut app);
    chord(&mut app, KeyCode::Up, KeyModifiers::ALT);
    press(&mut app, KeyCode::Enter);
    assert!(engine_commands(&mut app).is_empty(), "Enter did not send");
    let heights = panel_heights(&mut app);
    assert_eq!(heights[0], collapsed[0]);
    assert!(heights[1] > collapsed[1]);
    press(&mut app, KeyCode::Enter);
    assert_eq!(panel_heights(&mut app), collapsed);
    // Ctrl+T sets every panel alike, the focused one's own choice included.
    press(&mut app, KeyCode::Enter);
    chord(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    chord(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    assert_eq!(panel_heights(&mut app), collapsed);
    // Esc gives the focus back; Enter sends again.
    press(&mut app, KeyCode::Esc);
    type_text(&mut app, "next");
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [Command::Send("next".into())]);
}

#[test]
fn alt_arrows_without_panels_keep_their_input_meaning() {
    let mut app = app();
    type_text(&mut app, "one");
    chord(&mut app, KeyCode::Enter, KeyModifiers::ALT);
    type_text(&mut app, "two");
    chord(&mut app, KeyCode::Up, KeyModifiers::ALT);
    type_text(&mut app, "!");
    assert_eq!(app.input.text(), "one!\ntwo");
}

#[test]
fn the_spinner_asks_for_ticks_only_while_a_tool_runs() {
    let mut app = app();
    let t = now();
    assert_eq!(app.tick(t), None, "an idle app needs no frames");
    awaiting(&mut app, 1);
    assert_eq!(app.tick(t), None, "waiting for an answer does not animate");
    status(&mut app, "call_0", "write_file", ToolStatus::Running, t);
    let next = app
        .tick(t + Duration::from_millis(10))
        .expect("a tick while running");
    assert!(next - t <= Duration::from_millis(200), "{:?}", next - t);
    let before = app.conversation.cells().last().map(|c| c.revision);
    app.tick(t + Duration::from_millis(300));
    let after = app.conversation.cells().last().map(|c| c.revision);
    assert_ne!(before, after, "the spinner moved");
    let output = ToolOutput::ok("done");
    let duration = Duration::from_millis(400);
    status(
        &mut app,
        "call_0",
        "write_file",
        ToolStatus::Finished { output, duration },
        t,
    );
    assert_eq!(app.tick(t + Duration::from_millis(500)), None);
}

#[test]
fn tool_updates_find_their_panel_by_id_across_requests() {
    let mut app = app();
    awaiting(&mut app, 1);
    press(&mut app, KeyCode::Char('1'));
    // The next request of the turn reuses block index 0.
    tool_call(&mut app, 0, "call_9", "read_file", &[r#"{"path": "b"}"#]);
    status(&mut app, "call_0", "write_file", ToolStatus::Running, now());
    let s = states(&app);
    assert!(matches!(s[0], ToolState::Running { .. }), "{s:?}");
    assert_eq!(s[1], ToolState::Streaming);
    app.on_update(
        Update::ToolInputInvalid {
            turn: turn(),
            index: 0,
            id: "call_9".into(),
            error: "invalid JSON at byte 3".into(),
        },
        now(),
    );
    assert_eq!(
        states(&app)[1],
        ToolState::InvalidJson("invalid JSON at byte 3".into())
    );
}
