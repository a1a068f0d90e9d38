//! The order example end to end: the registry runs the real binary's hidden
//! `tool-example` subcommand as a command tool, as `chatterm --demo` does.

use std::path::Path;

use chatterm::config::ToolsConfig;
use chatterm::tools::{Registry, ToolExecutor};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::binary::{EXE, chatterm, run_with_stdin};

fn registry(dir: &Path) -> Registry {
    let exe = Path::new(EXE);
    let config = ToolsConfig {
        root: Some(dir.to_path_buf()),
        ..ToolsConfig::default()
    };
    Registry::from_config_with(
        &config,
        chatterm::config::orders_example::command_tools(exe).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn lookup_order_runs_the_binary_and_returns_pretty_json() {
    let dir = tempfile::tempdir().unwrap();
    let registry = registry(dir.path());
    let input = json!({"order_id": "ORD-2025-1616"});
    registry.validate("lookup_order", &input).unwrap();
    let out = registry
        .run("lookup_order", input, CancellationToken::new())
        .await;
    assert!(!out.is_error, "{}", out.content);
    assert!(
        out.content.starts_with("{\n  \""),
        "pretty-printed: {}",
        out.content
    );
    let order: Value = serde_json::from_str(&out.content).unwrap();
    assert_eq!(order["customer"]["email"], "james.chen@example.com");
    assert_eq!(order["status"], "shipped");
}

#[tokio::test]
async fn an_unknown_order_is_an_error_result_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = registry(dir.path())
        .run(
            "lookup_order",
            json!({"order_id": "ORD-2020-0001"}),
            CancellationToken::new(),
        )
        .await;
    assert!(out.is_error);
    assert!(
        out.content
            .contains("\"lookup_order\" failed: the command exited with code 1"),
        "{}",
        out.content
    );
    assert!(
        out.content.contains("no order with ID ORD-2020-0001"),
        "{}",
        out.content
    );
}

#[tokio::test]
async fn search_orders_filters_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = registry(dir.path())
        .run(
            "search_orders",
            json!({"status": "delivered", "date_from": "2025-01-01"}),
            CancellationToken::new(),
        )
        .await;
    let result: Value = serde_json::from_str(&out.content).unwrap();
    assert_eq!(result["count"], 4, "{result}");
    assert!(
        result["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "delivered")
    );
}

#[test]
fn the_subcommand_reads_stdin_and_exits_by_outcome() {
    let home = tempfile::tempdir().unwrap();
    let run = |tool: &str, input: &str| {
        let mut cmd = chatterm(&home);
        cmd.args(["tool-example", "orders", tool]);
        run_with_stdin(cmd, input.as_bytes())
    };
    let out = run("search_orders", r#"{"email": "tom.walker@example.co.uk"}"#);
    assert_eq!(out.status.code(), Some(0));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["count"], 2);
    let out = run("search_orders", r#"{"status": "lost"}"#);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown status"));
    let out = run("refund_order", "{}");
    assert_eq!(out.status.code(), Some(2));
}
