//! Snapshots of an MCP call's panel (server beside the tool, progress, structured result
//! and images, the server gone) at two sizes, and the panel's own rules.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::engine::ToolStatus;
use crate::tools::ToolProgress;
use crate::tools::{ToolExtras, ToolImage, ToolOutput};
use crate::tui::app::App;
use crate::tui::app::mcp::ServerState;
use crate::tui::app::mcp::tests::{failed, running_call, server};
use crate::tui::render::cells::RenderOptions;
use crate::tui::test_support::*;
use crate::tui::widgets::tool_panel::ToolPanel;
use crate::tui::widgets::tool_panel::tests::{close_input, status, tool_call};

const SIZES: [(u16, u16); 2] = [(100, 26), (48, 22)];
const ID: &str = "toolu_01MCPcall00000000000fs1";

fn snap(name: &str, build: impl Fn(&mut App)) {
    for (w, terminal) in drawn_at(&SIZES, build) {
        insta::assert_snapshot!(format!("{name}_{w}"), terminal.backend());
    }
}

fn with_fs(app: &mut App) {
    app.set_mcp_servers(vec![server("fs", ServerState::Ready, &["read_file"])]);
}

#[test]
fn mcp_call_awaiting_approval() {
    snap("mcp_awaiting_approval", |app| {
        with_fs(app);
        start_turn(app, "read my todo list with fs", "claude-sonnet-4-6");
        let input = r#"{"path": "notes/todo.md"}"#;
        tool_call(
            app,
            0,
            ID,
            "mcp__fs__read_file",
            &[&input[..9], &input[9..]],
        );
        close_input(app, 0, ID, "mcp__fs__read_file", input);
        status(
            app,
            ID,
            "mcp__fs__read_file",
            ToolStatus::AwaitingApproval,
            now(),
        );
    });
}

#[test]
fn mcp_call_running_with_progress() {
    snap("mcp_progress", |app| {
        with_fs(app);
        running_call(app);
        let progress = ToolProgress {
            progress: 40.0,
            total: Some(100.0),
            message: Some("reading notes/todo.md".into()),
        };
        app.mcp_progress(ID, progress);
    });
}

#[test]
fn mcp_call_with_structured_content_and_an_image() {
    snap("mcp_structured", |app| {
        with_fs(app);
        running_call(app);
        let mut output = ToolOutput::ok("3 items, 1 done");
        output.extras = ToolExtras {
            structured: Some(json!({"items": [{"text": "Buy milk", "done": true},
                {"text": "Call the plumber", "done": false}], "count": 3})),
            // 12 KB of PNG, as base64.
            images: vec![ToolImage {
                media_type: "image/png".into(),
                data: "A".repeat(16_384),
            }],
        };
        let duration = Duration::from_millis(420);
        status(
            app,
            ID,
            "mcp__fs__read_file",
            ToolStatus::Finished { output, duration },
            now(),
        );
    });
}

#[test]
fn mcp_call_whose_server_went_away() {
    snap("mcp_server_gone", |app| {
        with_fs(app);
        running_call(app);
        app.set_mcp_servers(vec![server(
            "fs",
            failed("the process exited (signal 9)"),
            &[],
        )]);
    });
}

#[test]
fn progress_reads_as_a_share_a_count_or_a_number() {
    let p = |progress, total, message: Option<&str>| ToolProgress {
        progress,
        total,
        message: message.map(Into::into),
    };
    assert_eq!(amount(&p(40.0, Some(100.0), None)), "40%");
    assert_eq!(amount(&p(3.0, Some(4.0), Some("  x "))), "3 of 4 · 75%");
    assert_eq!(message(&p(3.0, Some(4.0), Some("  x "))).unwrap(), "x");
    assert_eq!(amount(&p(2.5, None, None)), "2.5");
    assert_eq!(message(&p(7.0, Some(0.0), Some(" "))), None);
    assert_eq!(amount(&p(150.0, Some(100.0), None)), "100%");
    // A message with controls is cut to a safe line.
    let shown = message(&p(1.0, None, Some("a\u{1b}[2Jb\nc"))).unwrap();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
}

#[test]
fn api_names_split_into_server_and_tool() {
    let call = McpCall::from_api_name("mcp__fs__read_file").unwrap();
    assert_eq!(
        (call.server.as_str(), call.tool.as_str()),
        ("fs", "read_file")
    );
    assert!(McpCall::from_api_name("read_file").is_none());
    assert!(McpCall::from_api_name("mcp__fs").is_none());
    assert!(McpCall::from_api_name("mcp____x").is_none());
}

#[test]
fn structured_content_is_bounded_while_collapsed() {
    let mut panel = ToolPanel::new("mcp__fs__list", ID);
    panel.input_complete(&json!({}));
    let rows: Vec<u32> = (0..50).collect();
    let extras = ToolExtras {
        structured: Some(json!({ "rows": rows })),
        images: Vec::new(),
    };
    panel.mcp.as_mut().unwrap().set_extras(&extras);
    let theme = crate::tui::render::theme::Theme::no_color();
    let collapsed = panel.render(60, &theme, RenderOptions::default()).len();
    let expanded = RenderOptions {
        tools_expanded: true,
        ..RenderOptions::default()
    };
    let all = panel.render(60, &theme, expanded).len();
    assert!(collapsed < 20, "{collapsed}");
    assert!(all > 50, "{all}");
}
