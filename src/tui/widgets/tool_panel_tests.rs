//! Snapshots of a tool panel at each status, drawn through the whole app at two sizes, and
//! the panel's own rules. The builders here are shared with the app's tool key tests.

use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{ContentBlock, ToolUseBlock};
use crate::engine::Update;

use super::*;
use crate::tui::app::App;
use crate::tui::test_support::*;

/// As the view snapshots: wide (sidebar shown) and narrow (sidebar hidden by width).
const SIZES: [(u16, u16); 2] = [(100, 26), (48, 22)];

pub(crate) const ID: &str = "toolu_01A09q90qw90lq917835lq9";

fn snap(name: &str, build: impl Fn(&mut App)) {
    for (w, terminal) in drawn_at(&SIZES, build) {
        insta::assert_snapshot!(format!("{name}_{w}"), terminal.backend());
    }
}

pub(crate) fn tool_block(id: &str, name: &str, input: Value) -> ContentBlock {
    ContentBlock::ToolUse(ToolUseBlock {
        id: id.into(),
        name: name.into(),
        input,
        cache_control: None,
        extra: Default::default(),
    })
}

/// A turn whose block `index` is a tool call of `name` with these input fragments.
pub(crate) fn tool_call(app: &mut App, index: usize, id: &str, name: &str, chunks: &[&str]) {
    block(app, index, tool_block(id, name, json!({})));
    for chunk in chunks {
        app.on_update(
            Update::ToolInputDelta {
                turn: turn(),
                index,
                id: id.into(),
                partial_json: (*chunk).into(),
            },
            now(),
        );
    }
}

/// Closes block `index` with the whole input the fragments made.
pub(crate) fn close_input(app: &mut App, index: usize, id: &str, name: &str, input: &str) {
    let value: Value = serde_json::from_str(input).unwrap();
    app.on_update(
        Update::BlockFinished {
            turn: turn(),
            index,
            block: tool_block(id, name, value),
        },
        now(),
    );
}

pub(crate) fn status(app: &mut App, id: &str, name: &str, status: ToolStatus, at: Instant) {
    app.on_update(
        Update::Tool {
            turn: turn(),
            id: id.into(),
            name: name.into(),
            status,
        },
        at,
    );
}

const ORDER: &str = r#"{"order": {"id": 1042, "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": "two", "tags": ["gift", "fragile"]}]}, "notify": true}"#;

/// The order input streamed in 7-byte pieces and closed.
fn order_call(app: &mut App) {
    start_turn(app, "Change order 1042", "claude-sonnet-4-6");
    let pieces: Vec<String> = ORDER
        .as_bytes()
        .chunks(7)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    tool_call(app, 0, ID, "update_order", &pieces);
    close_input(app, 0, ID, "update_order", ORDER);
}

const FILE: &str = r#"{"path": "notes/todo.md", "content": "Buy milk\nCall the plumber about the kitchen tap\nRenew the passport before May"}"#;

#[test]
fn streaming_with_a_string_cut_in_the_middle() {
    snap("tool_streaming_cut_string", |app| {
        start_turn(app, "Write my todo list", "claude-sonnet-4-6");
        let cut = FILE.find("plumber").unwrap() + 3;
        tool_call(app, 0, ID, "write_file", &[&FILE[..20], &FILE[20..cut]]);
    });
}

#[test]
fn streaming_with_nested_objects_and_arrays() {
    snap("tool_streaming_nested", |app| {
        start_turn(app, "Change order 1042", "claude-sonnet-4-6");
        let cut = ORDER.find("fragile").unwrap() + 4;
        tool_call(app, 0, ID, "update_order", &[&ORDER[..cut]]);
    });
}

#[test]
fn validating() {
    snap("tool_validating", |app| {
        order_call(app);
        status(app, ID, "update_order", ToolStatus::Validating, now());
    });
}

#[test]
fn invalid_input_highlights_the_field() {
    snap("tool_invalid", |app| {
        order_call(app);
        let error = InvalidInput {
            pointer: "/order/items/1/qty".into(),
            message: "\"two\" is not of type \"integer\"".into(),
        };
        status(app, ID, "update_order", ToolStatus::Invalid(error), now());
    });
}

#[test]
fn awaiting_approval() {
    snap("tool_awaiting_approval", |app| {
        start_turn(app, "Write my todo list", "claude-sonnet-4-6");
        tool_call(app, 0, ID, "write_file", &[FILE]);
        close_input(app, 0, ID, "write_file", FILE);
        status(app, ID, "write_file", ToolStatus::AwaitingApproval, now());
    });
}

#[test]
fn running_with_spinner_and_elapsed_time() {
    snap("tool_running", |app| {
        order_call(app);
        let start = now();
        status(app, ID, "update_order", ToolStatus::Running, start);
        app.tick(start + Duration::from_millis(3_200));
    });
}

fn result_text() -> String {
    (1..=9)
        .map(|i| format!("order 1042 line {i}: updated"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The order call, run to its end with `output` after `duration`.
fn order_finished(app: &mut App, output: ToolOutput, duration: Duration) {
    order_call(app);
    status(
        app,
        ID,
        "update_order",
        ToolStatus::Finished { output, duration },
        now(),
    );
}

#[test]
fn done_with_a_result() {
    snap("tool_done", |app| {
        order_finished(
            app,
            ToolOutput::ok(result_text()),
            Duration::from_millis(1_234),
        );
    });
}

#[test]
fn failed_with_its_reason() {
    snap("tool_failed", |app| {
        order_finished(
            app,
            ToolOutput::error("the command timed out after 30 s\n(no output)"),
            Duration::from_secs(30),
        );
    });
}

#[test]
fn not_run_when_refused() {
    snap("tool_not_run", |app| {
        start_turn(app, "Write my todo list", "claude-sonnet-4-6");
        tool_call(app, 0, ID, "write_file", &[FILE]);
        close_input(app, 0, ID, "write_file", FILE);
        let output = ToolOutput::error("the user refused to run write_file");
        status(app, ID, "write_file", ToolStatus::NotRun { output }, now());
    });
}

/// An input of 40 short members.
fn long_input() -> String {
    let map: serde_json::Map<String, Value> = (0..40)
        .map(|i| (format!("field_{i:02}"), json!(i * 7)))
        .collect();
    Value::Object(map).to_string()
}

fn long_call(app: &mut App) {
    start_turn(app, "Fill the form", "claude-sonnet-4-6");
    let input = long_input();
    tool_call(app, 0, ID, "fill_form", &[&input]);
    close_input(app, 0, ID, "fill_form", &input);
}

#[test]
fn collapsed_long_input() {
    snap("tool_collapsed_long", long_call);
}

#[test]
fn expanded_long_input() {
    snap("tool_expanded_long", |app| {
        long_call(app);
        chord(app, KeyCode::Char('t'), KeyModifiers::CONTROL);
        // The end of a long panel: scroll to its top to see where it starts.
        app.prepare(ratatui::layout::Rect::new(0, 0, 48, 22));
        press(app, KeyCode::Home);
    });
}

use crossterm::event::{KeyCode, KeyModifiers};

#[test]
fn every_status_has_its_header() {
    let mut panel = ToolPanel::new("read_file", ID);
    let header = |p: &mut ToolPanel| -> String {
        let lines = p.render(200, &Theme::no_color(), RenderOptions::default());
        lines[0].spans.iter().map(|s| s.content.as_ref()).collect()
    };
    assert_eq!(
        header(&mut panel),
        "⚙ read_file · 835lq9 · streaming input · 0 B"
    );
    panel.push_input(&format!(r#"{{"path": "{}"}}"#, "x".repeat(1300)));
    assert!(header(&mut panel).ends_with("streaming input · 1.3 KB"));
    panel.input_complete(&json!({}));
    assert!(header(&mut panel).ends_with("input complete · 1.3 KB"));
    let t = now();
    panel.set_status(ToolStatus::Running, t);
    assert!(header(&mut panel).ends_with("⠋ running · 0s"));
    assert!(panel.tick_due(t + SPINNER_INTERVAL));
    panel.tick(t + Duration::from_secs(61));
    assert!(header(&mut panel).ends_with("running · 61s"));
    panel.answered(ApprovalDecision::Once);
    assert!(panel.is_running(), "an answer changes only a waiting call");
    panel.turn_ended(true);
    assert_eq!(panel.state(), &ToolState::Interrupted);
    assert!(header(&mut panel).ends_with("■ interrupted"));
    let output = ToolOutput::ok("");
    let duration = Duration::from_secs(125);
    panel.set_status(ToolStatus::Finished { output, duration }, t);
    assert!(header(&mut panel).ends_with("✓ done · 2m 05s"));
    panel.turn_ended(true);
    assert!(
        header(&mut panel).ends_with("✓ done · 2m 05s"),
        "a finished call stays so"
    );
}

#[test]
fn an_input_that_arrives_whole_is_shown_and_an_unclosed_one_is_interrupted() {
    let mut panel = ToolPanel::new("read_file", ID);
    panel.input_complete(&json!({"path": "a.txt"}));
    assert_eq!(panel.input_text(), "{\n  \"path\": \"a.txt\"\n}");
    let mut open = ToolPanel::new("read_file", ID);
    open.push_input(r#"{"path": "a"#);
    open.turn_ended(false);
    assert_eq!(open.state(), &ToolState::Interrupted);
}

#[test]
fn hostile_tool_text_never_reaches_the_terminal_as_control_sequences() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    let name = "evil\u{1b}]0;pwned\u{7}_tool";
    let input = json!({"cmd": "echo \u{1b}[2J\u{9b}31m"}).to_string();
    tool_call(&mut app, 0, ID, name, &[&input]);
    close_input(&mut app, 0, ID, name, &input);
    let output = ToolOutput::ok("clear\u{1b}[2J screen\r\nand \u{1b}]52;c;aGVsbG8=\u{7} copy");
    let duration = Duration::from_millis(5);
    status(
        &mut app,
        ID,
        name,
        ToolStatus::Finished { output, duration },
        now(),
    );
    for (w, h) in SIZES {
        let text = screen(&mut app, w, h);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert!(!text.contains("aGVsbG8"), "{text}");
        assert!(text.contains("\\u001b[2J"), "{text}");
    }
}

#[test]
fn a_long_result_shows_its_first_lines_and_all_when_expanded() {
    let mut panel = ToolPanel::new("read_file", ID);
    panel.input_complete(&json!({}));
    let output = ToolOutput::ok(format!("{}\n", result_text()));
    let duration = Duration::from_millis(20);
    panel.set_status(ToolStatus::Finished { output, duration }, now());
    let rows = |p: &mut ToolPanel, expanded| -> Vec<String> {
        let options = RenderOptions {
            tools_expanded: expanded,
            ..RenderOptions::default()
        };
        p.render(60, &Theme::no_color(), options)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    };
    let collapsed = rows(&mut panel, false);
    assert_eq!(collapsed[2], "→ result · 9 lines");
    assert_eq!(collapsed.last().unwrap(), "… 4 more lines");
    assert_eq!(collapsed.len(), 3 + RESULT_ROWS + 1);
    let expanded = rows(&mut panel, true);
    assert_eq!(expanded.last().unwrap(), "order 1042 line 9: updated");
}

#[test]
fn an_expanded_panel_still_streaming_draws_a_bounded_tail() {
    let mut panel = ToolPanel::new("write_file", ID);
    let rows: Vec<u32> = (0..1000).collect();
    panel.push_input(&json!({ "rows": rows }).to_string()[..3000]);
    let expanded = RenderOptions {
        tools_expanded: true,
        ..RenderOptions::default()
    };
    let lines = panel.render(60, &Theme::no_color(), expanded);
    // Header, the "more above" marker, the tail.
    assert_eq!(lines.len(), 2 + STREAMING_EXPANDED_ROWS);
    panel.input_complete(&json!({}));
    let lines = panel.render(60, &Theme::no_color(), expanded);
    assert!(lines.len() > 600, "{}", lines.len());
}
