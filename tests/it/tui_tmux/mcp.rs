//! The MCP issue's try-out, as a new user would: an `.mcp.json` with a stdio server (the
//! test MCP server, `tests/mcp_server/server.rs`) in the workspace root, `chatterm --demo`;
//! the sidebar shows it ready and imported; asking the demo assistant to use one of its
//! tools by name shows the MCP panel with its input, the approval and the result; Esc
//! during a long call ends it; its prompt fills the input; killing the server process
//! shows it failed, the chat goes on, and `/mcp restart` brings the server back.

use std::path::{Path, PathBuf};

use super::harness::*;
use crate::binary::EXE;

/// The test MCP server, built as the `mcp_test_server` example beside the binary
/// (`cargo test` builds examples; so does `cargo build --example mcp_test_server`).
fn server_exe() -> PathBuf {
    let exe = crate::mcp::server_exe();
    assert!(
        exe.exists(),
        "{} is missing: cargo build --example mcp_test_server",
        exe.display()
    );
    exe
}

/// The pids of processes running `exe` with `dir` as their working directory: the server
/// this test's chatterm started (stdio servers run in the workspace root), not another
/// test's.
fn servers_in(exe: &Path, dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let dir = dir.canonicalize().unwrap();
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let proc = PathBuf::from(format!("/proc/{pid}"));
            let runs = std::fs::read_link(proc.join("exe")).is_ok_and(|e| e == exe);
            runs && std::fs::read_link(proc.join("cwd")).is_ok_and(|c| c == dir)
        })
        .collect()
}

/// The sidebar's row for the server, once it reads `state`.
fn server_row(screen: &str, state: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains("tester") && l.contains(state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_server_from_the_workspace_is_shown_called_and_survived() {
    if !tmux_available() {
        return;
    }
    let exe = server_exe().canonicalize().unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let config = serde_json::json!({
        "mcpServers": { "tester": { "command": exe, "args": [] } }
    });
    std::fs::write(workspace.path().join(".mcp.json"), config.to_string()).unwrap();
    let command = format!(
        "cd {} && {} --demo",
        shell_quote(&workspace.path().to_string_lossy()),
        shell_quote(EXE)
    );
    let tmux = Tmux::start(&command, &[]);

    // 1. The sidebar: ready with its tools, and said to come from the workspace's file.
    // Ready shows the tool count (the test server's list may grow: any count).
    let screen = tmux.wait_for("the server ready in the sidebar", |s| {
        server_row(s, " tools")
    });
    assert!(screen.contains("from .mcp.json: tester"), "{screen}");

    // 2. The demo assistant calls the tool the message names; the panel names the server
    //    beside the tool, shows the input and asks first.
    tmux.send_line("please use echo with \"hello from tmux\"");
    let screen = tmux.wait_for("the MCP panel awaiting approval", |s| {
        s.contains("tester · echo") && s.contains("awaiting approval")
    });
    assert!(screen.contains("\"text\": \"hello from tmux\""), "{screen}");
    tmux.send_keys(&["1"]);
    tmux.wait_for("the call's result", |s| {
        s.contains("✓ done") && s.contains("→ result")
    });

    // 3. Its prompt is a command: the rendered text lands in the input to send.
    tmux.send_line("/tester:greet Ada");
    tmux.wait_for("the rendered prompt in the input", |s| {
        s.contains("Say hello to Ada.") && s.contains("edit it, Enter sends")
    });
    tmux.send_keys(&["C-u"]);

    // 4. Esc during a long call ends it; the chat is idle again.
    tmux.send_line("now use sleep for 30 seconds");
    tmux.wait_for("the sleep call's approval", |s| {
        s.contains("tester · sleep") && s.contains("awaiting approval")
    });
    tmux.send_keys(&["1"]);
    tmux.wait_for("the sleep running", |s| s.contains("running ·"));
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("the call interrupted", |s| {
        s.contains("■ interrupted") && s.contains("idle")
    });

    // 5. The server process killed: the sidebar says it failed, and the chat goes on.
    let pids = servers_in(&exe, workspace.path());
    assert_eq!(pids.len(), 1, "one server of this test: {pids:?}");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pids[0].to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tmux.wait_for("the server failed in the sidebar", |s| {
        server_row(s, "failed")
    });
    // The demo's general answer quotes the message: the word shows twice once answered.
    tmux.send_line("say banana-split again");
    tmux.wait_for("an answer after the server died", |s| {
        s.matches("banana-split").count() >= 2 && s.contains("idle")
    });
    // 6. `/mcp restart` brings it back.
    tmux.send_line("/mcp restart tester");
    tmux.wait_for("the server ready again", |s| server_row(s, " tools"));
    tmux.send_keys(&["C-d"]);
    assert_eq!(tmux.wait_for_exit(), 0);
    // Quitting closed the restarted server: no process of it is left.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !servers_in(&exe, workspace.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server outlived chatterm"
        );
        std::thread::sleep(POLL);
    }
}
