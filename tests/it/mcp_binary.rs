//! MCP servers through the real binary: a project's `.mcp.json` imported, the demo
//! assistant calling a tool its message names (print mode, end to end), approvals without
//! anyone to ask, the child's environment without chatterm's credentials, and
//! `chatterm mcp list` with its exit code.

use crate::binary::{chatterm, output, text};
use crate::mcp::server_exe;

/// A workspace whose `.mcp.json` runs the test server as `test` (plus `extra` entries).
fn workspace(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let exe = serde_json::to_string(server_exe().to_str().unwrap()).unwrap();
    let json = format!(r#"{{"mcpServers": {{"test": {{"command": {exe}, "args": []}}{extra}}}}}"#);
    std::fs::write(dir.path().join(".mcp.json"), json).unwrap();
    dir
}

#[tokio::test]
async fn the_demo_assistant_calls_an_mcp_tool_named_in_the_message() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace("");
    let mut cmd = chatterm(&home);
    cmd.current_dir(ws.path()).args([
        "--demo",
        "--approve-all",
        "-p",
        "please use echo with \"hello from mcp\"",
    ]);
    let out = output(cmd).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("tool mcp__test__echo"), "{stderr}");
    assert!(stdout.contains("hello from mcp"), "{stdout}\n{stderr}");
}

#[tokio::test]
async fn without_anyone_to_ask_an_ask_servers_tool_does_not_run() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace("");
    let mut cmd = chatterm(&home);
    cmd.current_dir(ws.path())
        .args(["--demo", "-p", "please use echo with \"not sent\""]);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert!(stderr.contains("--approve-all"), "{stderr}");
    assert!(
        !text(&out.stdout).contains("not sent\n"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn a_server_gets_no_credentials_of_chatterms() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace("");
    let mut cmd = chatterm(&home);
    cmd.current_dir(ws.path())
        .env("ANTHROPIC_API_KEY", "sk-must-not-leak")
        .args([
            "--demo",
            "--approve-all",
            "-p",
            "use getenv on \"ANTHROPIC_API_KEY\"",
        ]);
    let out = output(cmd).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ANTHROPIC_API_KEY=(unset)"),
        "{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("sk-must-not-leak") && !stderr.contains("sk-must-not-leak"));
}

#[tokio::test]
async fn mcp_list_prints_servers_and_fails_when_one_does_not_start() {
    let home = tempfile::tempdir().unwrap();
    let ws = workspace("");
    let mut cmd = chatterm(&home);
    cmd.current_dir(ws.path()).args(["mcp", "list"]);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.starts_with("test  ready ("), "{stdout}");
    assert!(stdout.contains("mcp__test__echo"), "{stdout}");
    assert!(stdout.contains("/test:greet"), "{stdout}");

    let broken = r#", "broken": {"command": "/nonexistent/server"}"#;
    let ws = workspace(broken);
    let mut cmd = chatterm(&home);
    cmd.current_dir(ws.path()).args(["mcp", "list"]);
    let out = output(cmd).await;
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("broken  failed: cannot start"), "{stdout}");
}

#[tokio::test]
async fn a_broken_mcp_json_is_an_error_at_its_line() {
    let home = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    std::fs::write(
        ws.path().join(".mcp.json"),
        "{\"mcpServers\": {\n  \"x\": {\"args\": []}\n}}",
    )
    .unwrap();
    let mut cmd = chatterm(&home);
    cmd.current_dir(ws.path()).args(["mcp", "list"]);
    let out = output(cmd).await;
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(".mcp.json:2:3: mcpServers.x: missing `command`"),
        "{stderr}"
    );
}
