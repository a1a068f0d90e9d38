//! The torture test's full-screen scene (see `tests/it/torture.rs`): the program under
//! tmux, killed with SIGKILL at a seeded moment while a tool call awaits approval, then
//! checked like the other scenes.

use std::path::Path;
use std::time::{Duration, Instant};

use chatterm::api::{ContentBlock, StopReason};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::store::{DB_FILE, MessageStatus, Store};

use super::harness::{Tmux, tmux_available};
use crate::binary::{EXE, cache_dir, data_dir};
use crate::torture::{Expect, Rng, check, seed};

const RUNS: usize = 6;

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Whether process `pid` is gone (reaped, or a zombie its shell has yet to reap).
fn gone(pid: i32) -> bool {
    let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
    });
    !alive || zombie
}

/// The program in a tmux pane against `server`, its store in `data`, its process id
/// written to `pid_file`, on the alternate screen.
fn start(server: &MockServer, data: &tempfile::TempDir, pid_file: &Path) -> Tmux {
    let command = format!(
        "sh -c 'echo $$ > \"$0\"; exec \"$1\"' {} {}",
        quoted(&pid_file.to_string_lossy()),
        quoted(EXE)
    );
    let (url, store_dir, cache) = (server.url(), data_dir(data), cache_dir(data));
    let tmux = Tmux::start(
        &command,
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_DATA_DIR", &store_dir.to_string_lossy()),
            ("CHATTERM_CACHE_DIR", &cache.to_string_lossy()),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    tmux
}

/// SIGKILLs the process named in `pid_file` and waits until it is gone; returns when.
async fn kill(pid_file: &Path, ctx: &str) -> Instant {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let killed_at = Instant::now();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gone(pid) {
        assert!(Instant::now() < deadline, "{ctx}: still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed_at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_torture_sigkill_while_a_call_awaits_approval() {
    if !tmux_available() {
        return;
    }
    let seed = seed();
    let mut rng = Rng::new(seed);
    for run in 0..RUNS {
        let kill_after = rng.millis(400);
        let ctx = format!(
            "seed {seed} approval run {run} (SIGKILL {} ms after the prompt)",
            kill_after.as_millis()
        );
        let data = tempfile::tempdir().unwrap();
        let server = MockServer::start().await.unwrap();
        let call = Step::tool_use("toolu_wait", "run_command", &[r#"{"command": "echo hi"}"#]);
        let steps = vec![call, Step::stop(StopReason::ToolUse, 20)];
        server.enqueue(Reply::Script(Script::new(steps)));
        let pid_file = data.path().join("pid");
        let tmux = start(&server, &data, &pid_file);
        tmux.send_line(&format!("approval run {run}"));
        tmux.wait_for("the approval prompt", |s| s.contains("approve run_command"));
        tokio::time::sleep(kill_after).await;
        let killed_at = kill(&pid_file, &ctx).await;

        // The question and the call awaiting approval are stored, complete.
        let store = Store::open(&data_dir(&data).join(DB_FILE)).unwrap();
        let loaded = store.load(store.latest().unwrap().unwrap()).unwrap();
        let call = &loaded.messages[1];
        assert_eq!(call.status, MessageStatus::Complete, "{ctx}");
        assert!(
            matches!(&call.content[..], [ContentBlock::ToolUse(t)] if t.id == "toolu_wait"),
            "{ctx}: {:?}",
            call.content
        );
        let expect = Expect {
            data: &data,
            words: &[],
            printed: &[],
            killed_at,
            tools: true,
            ctx: &ctx,
        };
        check(&server, &expect).await;
    }
}
