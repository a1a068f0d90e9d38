//! Ctrl+C on a running Message Batch in a real terminal: the one-key question, and `y`
//! cancelling the batch on the server with every input written as cancelled.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use chatterm::mock::MockServer;
use chatterm::mock::batches::BatchPlan;

use super::harness::*;
use crate::binary::{API_KEY, EXE};

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_on_a_running_batch_asks_and_y_cancels_it_on_the_server() {
    if !tmux_available() {
        return;
    }
    let server = MockServer::start().await.unwrap();
    server.plan_batches(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("results.jsonl");
    let pid_file = out.path().join("pid");
    let root = env!("CARGO_MANIFEST_DIR");
    // The inner shell writes its pid and becomes chatterm, so the test can send SIGINT
    // to chatterm alone (a Ctrl+C typed in the pane would also stop the wrapping shell).
    let command = format!(
        "sh -c 'echo $$ > {pid}; exec {exe} extract --model claude-sonnet-4-6 \
         --schema {root}/assets/schemas/support-email.json \
         --batch {root}/assets/examples/emails.jsonl --via batches --output {results}'",
        pid = pid_file.display(),
        exe = EXE,
        results = results.display(),
    );
    let url = server.url();
    let tmux = Tmux::start(
        &command,
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", API_KEY),
        ],
    );
    tmux.wait_for("the batch id", |s| s.contains("batch msgbatch_"));
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    kill(Pid::from_raw(pid), Signal::SIGINT).unwrap();
    let screen = tmux.wait_for("the question", |s| s.contains("[y/N]"));
    assert!(screen.contains("Cancel batch msgbatch_"), "{screen}");
    // One key, no Enter.
    tmux.send_keys(&["y"]);
    assert_eq!(tmux.wait_for_exit(), 130, "{}", tmux.capture());
    let screen = tmux.capture();
    assert!(
        screen.contains("0 ok, 10 failed (cancelled 10)"),
        "{screen}"
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/cancel")),
        "cancelled on the server"
    );
    let lines: Vec<Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l["kind"] == "cancelled"), "{lines:?}");
}
