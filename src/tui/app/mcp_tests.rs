//! The app's side of MCP servers: panels named by the servers' lists and marked when a
//! server goes away, progress in the header, `/mcp` and `/mcp restart`. The builders here
//! are shared with the panel, sidebar and prompt tests.

use std::path::PathBuf;

use crossterm::event::KeyCode;

use super::*;
use crate::engine::ToolStatus;
use crate::tools::ToolOutput;
use crate::tui::test_support::*;
use crate::tui::widgets::tool_panel::tests::{close_input, status, tool_call};

/// A server in `state` with these tools (API names as the library makes them) and no
/// prompts, configured in chatterm's config.
pub(crate) fn server(name: &str, state: ServerState, tools: &[&str]) -> ServerStatus {
    ServerStatus {
        name: name.into(),
        transport: crate::mcp::TransportKind::Stdio {
            command: format!("{name}-server"),
        },
        state,
        tools: tools
            .iter()
            .map(|t| ToolInfo {
                name: (*t).into(),
                api_name: format!("mcp__{name}__{t}"),
                description: format!("{t} on {name}"),
                approval: crate::domain::Approval::Ask,
                read_only: false,
                destructive: false,
            })
            .collect(),
        prompts: Vec::new(),
        stderr_tail: Vec::new(),
        source: Source::Config(None),
    }
}

/// [`server`], imported from the workspace's `.mcp.json`.
pub(crate) fn imported(name: &str, state: ServerState, tools: &[&str]) -> ServerStatus {
    ServerStatus {
        source: Source::Imported(PathBuf::from("/home/u/project/.mcp.json")),
        ..server(name, state, tools)
    }
}

pub(crate) fn failed(reason: &str) -> ServerState {
    ServerState::Failed {
        reason: reason.into(),
    }
}

const CALL: &str = "toolu_01MCPcall00000000000fs1";
const INPUT: &str = r#"{"path": "notes/todo.md"}"#;

/// A turn whose first block calls `read_file` on `fs`, its input complete, now running.
pub(crate) fn running_call(app: &mut App) {
    start_turn(app, "read my todo list with fs", "claude-sonnet-4-6");
    let name = "mcp__fs__read_file";
    tool_call(app, 0, CALL, name, &[INPUT]);
    close_input(app, 0, CALL, name, INPUT);
    status(app, CALL, name, ToolStatus::Running, now());
}

fn header(app: &mut App) -> String {
    let text = screen(app, 200, 26);
    text.lines()
        .find(|l| l.contains('⚙'))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_server_going_away_marks_its_open_call_and_no_other() {
    let mut app = app();
    app.set_mcp_servers(vec![
        server("fs", ServerState::Ready, &["read_file"]),
        server("db", ServerState::Ready, &["query"]),
    ]);
    running_call(&mut app);
    assert!(
        header(&mut app).contains("fs · read_file"),
        "{}",
        header(&mut app)
    );
    // Another server failing leaves the call alone.
    app.set_mcp_servers(vec![
        server("fs", ServerState::Ready, &["read_file"]),
        server("db", failed("exited with status 1"), &[]),
    ]);
    assert!(header(&mut app).contains("running"), "{}", header(&mut app));
    app.set_mcp_servers(vec![
        server("fs", failed("the process exited (signal 9)"), &[]),
        server("db", failed("exited with status 1"), &[]),
    ]);
    let shown = header(&mut app);
    assert!(shown.contains("✗ server went away"), "{shown}");
    let why = "✗ the MCP server fs went away: the process exited (signal 9)";
    assert!(screen(&mut app, 200, 26).contains(why));
    // The engine's error result that follows keeps the reason the person saw.
    let output = ToolOutput::error("MCP server fs went away");
    let duration = std::time::Duration::from_millis(900);
    let finished = ToolStatus::Finished { output, duration };
    status(&mut app, CALL, "mcp__fs__read_file", finished, now());
    assert!(header(&mut app).contains("server went away"));
}

#[test]
fn a_finished_call_is_not_marked_when_its_server_stops_later() {
    let mut app = app();
    app.set_mcp_servers(vec![server("fs", ServerState::Ready, &["read_file"])]);
    running_call(&mut app);
    let output = ToolOutput::ok("Buy milk");
    let duration = std::time::Duration::from_millis(40);
    let finished = ToolStatus::Finished { output, duration };
    status(&mut app, CALL, "mcp__fs__read_file", finished, now());
    app.set_mcp_servers(vec![server("fs", ServerState::Stopped, &[])]);
    assert!(header(&mut app).contains("✓ done"), "{}", header(&mut app));
}

#[test]
fn panels_are_named_by_the_servers_lists_not_by_splitting_the_api_name() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    // A server whose own name has `__` in it: the API name alone splits it wrongly.
    let name = "mcp__my__files__read";
    tool_call(&mut app, 0, CALL, name, &[INPUT]);
    assert!(header(&mut app).contains("my · files__read"));
    let mut odd = server("my__files", ServerState::Ready, &["read"]);
    odd.tools[0].api_name = name.into();
    app.set_mcp_servers(vec![odd]);
    assert!(
        header(&mut app).contains("my__files · read"),
        "{}",
        header(&mut app)
    );
    // A call that starts once the lists are known is named from them at once.
    let mut app = self::app();
    let mut odd = server("my__files", ServerState::Ready, &["read"]);
    odd.tools[0].api_name = name.into();
    app.set_mcp_servers(vec![odd]);
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    tool_call(&mut app, 0, CALL, name, &[INPUT]);
    assert!(header(&mut app).contains("my__files · read"));
}

#[test]
fn a_built_in_tool_has_no_server() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    tool_call(&mut app, 0, CALL, "read_file", &[INPUT]);
    assert!(
        header(&mut app).contains("⚙ read_file ·"),
        "{}",
        header(&mut app)
    );
}

#[test]
fn progress_shows_in_the_running_header() {
    let mut app = app();
    app.set_mcp_servers(vec![server("fs", ServerState::Ready, &["read_file"])]);
    running_call(&mut app);
    let progress = ToolProgress {
        progress: 3.0,
        total: Some(10.0),
        message: Some("indexing".into()),
    };
    app.mcp_progress(CALL, progress);
    let shown = header(&mut app);
    assert!(shown.contains("running · 0s · 3 of 10 · 30%"), "{shown}");
    assert!(screen(&mut app, 200, 26).contains("↻ indexing"));
    // Progress for a call with no panel is dropped.
    app.mcp_progress(
        "toolu_unknown",
        ToolProgress {
            progress: 1.0,
            total: None,
            message: None,
        },
    );
}

#[test]
fn slash_mcp_lists_servers_tools_and_prompts() {
    let mut app = app();
    let mut fs = imported("fs", ServerState::Ready, &["read_file", "list"]);
    fs.prompts.push(PromptInfo {
        name: "review".into(),
        description: Some("Review a file".into()),
        arguments: vec![
            PromptArgument {
                name: "file".into(),
                description: None,
                required: true,
            },
            PromptArgument {
                name: "focus".into(),
                description: None,
                required: false,
            },
        ],
    });
    let mut db = server("db", failed("spawn failed: no such file"), &[]);
    db.stderr_tail = vec![
        "line 1".into(),
        "line 2".into(),
        "line 3".into(),
        "boom".into(),
    ];
    app.set_mcp_servers(vec![fs, db, server("slow", ServerState::Starting, &[])]);
    type_text(&mut app, "/mcp");
    press(&mut app, KeyCode::Enter);
    let text = screen(&mut app, 100, 40);
    for want in [
        "MCP servers",
        "fs · ready · 2 tools · from .mcp.json",
        "read_file (mcp__fs__read_file): read_file on fs",
        "/fs:review FILE [FOCUS]",
        "db · failed: spawn failed: no such file",
        "stderr: boom",
        "slow · starting",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    assert!(
        !text.contains("line 1"),
        "only the last stderr lines:\n{text}"
    );
}

#[test]
fn slash_mcp_restart_asks_the_loop_for_a_known_server_only() {
    let mut app = app();
    app.set_mcp_servers(vec![server("fs", failed("crashed"), &[])]);
    type_text(&mut app, "/mcp restart nope");
    press(&mut app, KeyCode::Enter);
    assert!(app.take_effects().is_empty());
    let flash = app.flash.clone().unwrap().0;
    assert_eq!(flash, "no MCP server nope: fs are");
    type_text(&mut app, "/mcp restart fs");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.take_effects(), vec![Effect::McpRestart("fs".into())]);
    assert_eq!(app.flash.clone().unwrap().0, "restarting fs…");
    type_text(&mut app, "/mcp stop fs");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.flash.clone().unwrap().0,
        "usage: /mcp, or /mcp restart NAME"
    );
    assert_eq!(
        app.input.text(),
        "/mcp stop fs",
        "a mistyped command stays to fix"
    );
}

#[test]
fn without_servers_slash_mcp_says_how_to_add_one() {
    let mut app = app();
    type_text(&mut app, "/mcp");
    press(&mut app, KeyCode::Enter);
    assert!(screen(&mut app, 100, 26).contains("no MCP servers configured"));
}
