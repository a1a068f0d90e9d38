//! Print mode with tools: the stderr lines, stdout staying the answer, refusals without
//! anyone to ask, `--approve-all` and `--no-tools`. The library front end runs with the
//! fake executor; the real binary runs with the executor `main.rs` wires.

use std::sync::Arc;

use chatterm::engine::{ApprovalPolicy, ToolSettings};
use chatterm::mock::MockServer;
use chatterm::print::{PrintOptions, run_print};
use serde_json::json;

use crate::binary::{against, output, text as utf8};
use crate::fake_tools::FakeTools;
use crate::tool_helpers::*;

async fn print(
    server: &MockServer,
    tools: &Arc<FakeTools>,
    settings: ToolSettings,
) -> (i32, String, String) {
    let mut engine = engine_with(server, tools, settings);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_print(
        &mut engine,
        "go".into(),
        PrintOptions::default(),
        &mut out,
        &mut err,
    )
    .await;
    (code, utf8(&out), utf8(&err))
}

fn enqueue_write_and_lookup(server: &MockServer) {
    server.enqueue(calls(&[
        (
            "toolu_01lookup",
            "lookup_order",
            json!({"order_id": "ORD-7"}),
        ),
        ("toolu_01write1", "write_file", json!({"path": "notes.txt"})),
    ]));
    server.enqueue(text("Done."));
}

#[tokio::test]
async fn tool_lines_go_to_stderr_and_stdout_is_the_answer() {
    let server = MockServer::start().await.unwrap();
    enqueue_write_and_lookup(&server);
    let tools = Arc::new(FakeTools::new());
    let (code, out, err) = print(&server, &tools, ToolSettings::default()).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Checking.\n\nDone.\n");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0], r#"tool lookup_order [lookup] {"order_id":"ORD-7"}"#,
        "{err}"
    );
    assert_eq!(
        lines[1], r#"tool write_file [write1] {"path":"notes.txt"}"#,
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tool lookup_order [lookup] done in ")
                && l.ends_with(r#"s: {"order_id":"ORD-7","status":"shipped"}"#)),
        "{err}"
    );
    let refusal: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("tool write_file [write1] "))
        .collect();
    assert_eq!(
        refusal.len(),
        2,
        "one line for the call, one for its outcome: {err}"
    );
    assert!(
        refusal[1].contains("no one to ask") && refusal[1].contains("--approve-all"),
        "{err}"
    );
    assert_eq!(tools.runs(), ["lookup_order"]);
    // The closing line counts both requests.
    assert!(lines.last().unwrap().contains("2 requests"), "{err}");
    let results = results_of(&server, 1);
    assert_eq!(results[1]["is_error"], true);
    // Nobody refused: the model hears that approval was not possible here.
    let told = results[1]["content"].to_string();
    assert!(
        told.contains("approval was not possible in this mode") && !told.contains("refused"),
        "{told}"
    );
}

#[tokio::test]
async fn approve_all_runs_tools_that_ask() {
    let server = MockServer::start().await.unwrap();
    enqueue_write_and_lookup(&server);
    let tools = Arc::new(FakeTools::new());
    let settings = ToolSettings {
        approvals: ApprovalPolicy::ApproveAll,
        ..ToolSettings::default()
    };
    let (code, out, err) = print(&server, &tools, settings).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Checking.\n\nDone.\n");
    assert_eq!(tools.runs(), ["lookup_order", "write_file"]);
    assert!(
        err.contains(r#"tool write_file [write1] done in "#),
        "{err}"
    );
    assert!(!err.contains("no one to ask"), "{err}");
}

#[tokio::test]
async fn the_binary_prints_tool_lines_and_answers_unknown_calls() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    enqueue_write_and_lookup(&server);
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--approve-all"]);
    let out = output(cmd).await;
    let err = utf8(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(utf8(&out.stdout), "Checking.\n\nDone.\n");
    // The binary has no tools wired yet: the call is shown and answered as unknown.
    assert!(
        err.contains(r#"tool lookup_order [lookup] {"order_id":"ORD-7"}"#),
        "{err}"
    );
    assert!(
        err.contains("tool lookup_order [lookup] not run: unknown tool `lookup_order`"),
        "{err}"
    );
    assert_eq!(results_of(&server, 1).len(), 2);
}

#[tokio::test]
async fn the_binary_with_no_tools_offers_none_and_refuses_a_call() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    enqueue_write_and_lookup(&server);
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--no-tools"]);
    let out = output(cmd).await;
    let err = utf8(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(body(&server, 0).get("tools").is_none());
    assert!(
        err.contains("tool lookup_order [lookup] not run: tools are turned off"),
        "{err}"
    );
    assert_eq!(body(&server, 1)["tool_choice"], json!({"type": "none"}));
}
