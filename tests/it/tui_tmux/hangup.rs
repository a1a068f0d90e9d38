//! Closing the terminal under chatterm, in each state the app can be in: idle, streaming
//! an answer, a tool call awaiting approval, a tool running, a long draft in the input.
//! The terminal goes away the way it does when an emulator is closed or an ssh connection
//! drops: the tmux server is killed (a private server per test). Each test asserts the
//! process is gone within two seconds and that nothing is lost: the user's message and
//! the partial answer are in the store, a running tool's process is gone too, and the
//! draft comes back on the next start. One more test stops chatterm with SIGTERM.
//!
//! Before the fix, chatterm spun at full CPU after the hang-up, reading end-of-file in
//! crossterm's reader, and ignored SIGTERM.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chatterm::api::{ContentBlock, Role, StopReason};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::store::{DB_FILE, MessageStatus, Store, StoredMessage};

use super::harness::*;
use crate::binary::EXE;
use crate::common::{stalls_after, text_of};
use crate::processes::{assert_gone, wait_for_processes};

/// A marker no other process has in its command line: the tool's `sleep`.
const SLEEP_MARKER: &str = "31.71828";

/// chatterm in a tmux pane, with its pid and data directory known to the test.
struct Pane {
    server: MockServer,
    tmux: Tmux,
    /// Holds the pid file, the data directory and the config.
    state: tempfile::TempDir,
}

impl Pane {
    /// Starts chatterm against a fresh mock server, or `None` where tmux is missing.
    async fn start() -> Option<Pane> {
        if !tmux_available() {
            return None;
        }
        let server = MockServer::start().await.unwrap();
        let state = tempfile::tempdir().unwrap();
        let tmux = launch(&server, state.path());
        Some(Pane {
            server,
            tmux,
            state,
        })
    }

    /// chatterm's pid, once its pane has started it.
    fn pid(&self) -> i32 {
        pid_from(&self.state.path().join("pid"))
    }

    fn data_dir(&self) -> PathBuf {
        self.state.path().join("data")
    }

    /// Closes the terminal under chatterm and asserts it is gone in time.
    fn close_terminal(&self, state: &str) {
        let pid = self.pid();
        self.tmux.kill_server();
        assert_gone(
            pid,
            &format!("chatterm after its terminal closed ({state})"),
        );
    }

    /// The messages of the newest stored conversation.
    fn stored(&self) -> Vec<StoredMessage> {
        let store = Store::open(&self.data_dir().join(DB_FILE)).unwrap();
        let id = store.latest().unwrap().expect("a stored conversation");
        store.load(id).unwrap().messages
    }
}

/// Starts chatterm in a new tmux server: pid written to `state/pid`, data in
/// `state/data`, the mock's URL and a key; waits for the full screen.
fn launch(server: &MockServer, state: &Path) -> Tmux {
    let pid_file = state.join("pid");
    let _ = std::fs::remove_file(&pid_file);
    let config = state.join("config.toml");
    std::fs::write(&config, "[models]\ndiscover = false\n").unwrap();
    let inner = format!(
        "echo $$ > {}; exec {}",
        quote(&pid_file),
        quote(Path::new(EXE))
    );
    let command = format!("sh -c {}", sh_quote(&inner));
    let data = state.join("data");
    let url = server.url();
    let tmux = Tmux::start(
        &command,
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_CONFIG", &config.to_string_lossy()),
            ("CHATTERM_DATA_DIR", &data.to_string_lossy()),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    tmux
}

fn quote(path: &Path) -> String {
    sh_quote(&path.to_string_lossy())
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The pid in `file`, polled for until the shell has written it.
fn pid_from(file: &Path) -> i32 {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if let Ok(pid) = text.trim().parse() {
            return pid;
        }
        assert!(Instant::now() < deadline, "no pid in {}", file.display());
        std::thread::sleep(POLL);
    }
}

/// A `run_command` call for `command`, then the end of the answer.
fn calls_run_command(command: &str) -> Reply {
    let input = serde_json::json!({ "command": command }).to_string();
    Reply::Script(Script::new(vec![
        Step::tool_use("toolu_hangup", "run_command", &[input.as_str()]),
        Step::stop(StopReason::ToolUse, 12),
    ]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_terminal_when_idle_ends_chatterm() {
    let Some(pane) = Pane::start().await else {
        return;
    };
    pane.tmux
        .wait_for("the empty chat", |s| s.contains("Message"));
    pane.close_terminal("idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_terminal_mid_stream_keeps_the_question_and_the_partial_answer() {
    let Some(pane) = Pane::start().await else {
        return;
    };
    pane.server.enqueue(stalls_after(
        "The beginning of a long story",
        " that never arrives.",
    ));
    pane.tmux.send_line("tell me a long story");
    pane.tmux.wait_for("the partial answer", |s| {
        s.contains("The beginning of a long story")
    });
    pane.close_terminal("streaming");

    let stored = pane.stored();
    assert_eq!(stored.len(), 2, "{stored:#?}");
    assert_eq!(stored[0].role, Role::User);
    assert_eq!(text_of(&stored[0]), "tell me a long story");
    assert_eq!(stored[1].role, Role::Assistant);
    assert_eq!(text_of(&stored[1]), "The beginning of a long story");
    // Ended through the cancel path before the process left, not left `streaming`.
    assert_eq!(stored[1].status, MessageStatus::Interrupted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_terminal_while_a_tool_awaits_approval_ends_chatterm() {
    let Some(pane) = Pane::start().await else {
        return;
    };
    pane.server.enqueue(calls_run_command("echo never run"));
    pane.tmux.send_line("run something");
    pane.tmux
        .wait_for("the approval prompt", |s| s.contains("awaiting approval"));
    pane.close_terminal("awaiting approval");

    let stored = pane.stored();
    assert_eq!(text_of(&stored[0]), "run something");
    assert!(
        stored.iter().any(|m| m.role == Role::Assistant
            && m.content
                .iter()
                .any(|b| matches!(b, ContentBlock::ToolUse(_)))),
        "{stored:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_terminal_while_a_tool_runs_stops_the_tool_too() {
    let Some(pane) = Pane::start().await else {
        return;
    };
    pane.server
        .enqueue(calls_run_command(&format!("sleep {SLEEP_MARKER}")));
    pane.tmux.send_line("wait a while");
    pane.tmux
        .wait_for("the approval prompt", |s| s.contains("awaiting approval"));
    pane.tmux.send_keys(&["1"]);
    let sleeping = wait_for_processes(SLEEP_MARKER, TIMEOUT, || {
        format!("screen:\n{}", pane.tmux.capture())
    });
    pane.close_terminal("running a tool");
    for pid in sleeping {
        assert_gone(pid, "the tool's sleep");
    }

    let stored = pane.stored();
    assert_eq!(text_of(&stored[0]), "wait a while");
    // The tool's result (cancelled) was stored for the call, so a resumed conversation
    // answers every tool call.
    let store = Store::open(&pane.data_dir().join(DB_FILE)).unwrap();
    let id = store.latest().unwrap().unwrap();
    let results = store.tool_results(id).unwrap();
    assert!(
        results.iter().any(|(call, _)| call == "toolu_hangup"),
        "{results:?}"
    );
}

/// The issue's reproduction: a 10 KB draft, Ctrl+U, then the terminal closes. The draft is
/// saved (what Ctrl+U left of it) and offered back on the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_terminal_keeps_a_long_draft_for_the_next_start() {
    let Some(pane) = Pane::start().await else {
        return;
    };
    let long = "draft ".repeat(1_700);
    pane.tmux.paste(long.trim_end());
    pane.tmux.send_keys(&["C-j"]);
    pane.tmux.type_text("tail words");
    pane.tmux
        .wait_for("the draft's last line", |s| s.contains("tail words"));
    pane.tmux.send_keys(&["C-u"]);
    pane.tmux.wait_for("Ctrl+U to take the last line", |s| {
        !s.contains("tail words")
    });
    pane.close_terminal("a long draft after Ctrl+U");

    let draft = pane.data_dir().join("draft.txt");
    let saved = std::fs::read_to_string(&draft).expect("the draft was saved");
    assert_eq!(saved, format!("{}\n", long.trim_end()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&draft).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The next start puts it back in the input box, once.
    let again = launch(&pane.server, pane.state.path());
    // Both in one condition: a capture can land between two parts of a frame's bytes.
    again.wait_for("the restored draft", |s| {
        s.contains("restored your unsent draft") && s.contains("draft draft draft")
    });
    assert!(!draft.exists(), "the draft is offered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_chatterm_and_restores_the_terminal() {
    let Some(pane) = Pane::start().await else {
        return;
    };
    pane.server
        .enqueue(stalls_after("Half an answer", " and the rest."));
    pane.tmux.send_line("a question");
    pane.tmux
        .wait_for("the partial answer", |s| s.contains("Half an answer"));
    pane.tmux.type_text("an unsent thought");
    pane.tmux
        .wait_for("the typed draft", |s| s.contains("an unsent thought"));
    let pid = pane.pid();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_gone(pid, "chatterm after SIGTERM");
    assert_eq!(pane.tmux.wait_for_exit(), 143);
    pane.tmux.wait_for_format("#{alternate_on}", "0");

    let stored = pane.stored();
    assert_eq!(text_of(&stored[0]), "a question");
    assert_eq!(text_of(&stored[1]), "Half an answer");
    assert_eq!(stored[1].status, MessageStatus::Interrupted);
    let draft = std::fs::read_to_string(pane.data_dir().join("draft.txt")).unwrap();
    assert_eq!(draft, "an unsent thought");
}
