//! The real binary as a user runs it, for every test that starts `chatterm` as a process.
//!
//! [`chatterm`] gives a clean environment: none of the developer's or CI's keys, base URL,
//! config file or tier reach the program, HOME and the XDG config dir are the test's temp
//! dir, the cache and data dirs are `cache/` and `data/` inside it (so the store and the
//! ledger of one test are private to it), and stdin is closed. The working directory is
//! the repository root, as cargo runs tests, so paths like `assets/...` resolve.
//! [`against`] adds the mock server's URL and [`API_KEY`].

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chatterm::mock::MockServer;

/// The built binary, for code that runs it itself (command tools, tmux).
pub const EXE: &str = env!("CARGO_BIN_EXE_chatterm");

/// The key [`against`] sets: distinctive, so a test can check that it is never written to
/// disk.
pub const API_KEY: &str = "sk-test-secret";

/// Variables of the surrounding environment that must not reach the program.
pub const SCRUBBED: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CHATTERM_CONFIG",
    "CHATTERM_TIER",
];

/// The binary with a clean environment rooted in `home` (see the module docs).
pub fn chatterm(home: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(EXE);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("CHATTERM_CACHE_DIR", cache_dir(home))
        .env("CHATTERM_DATA_DIR", data_dir(home))
        .stdin(Stdio::null());
    cmd
}

/// [`chatterm`] aimed at `server` with [`API_KEY`].
pub fn against(server: &MockServer, home: &tempfile::TempDir) -> Command {
    let mut cmd = chatterm(home);
    cmd.env("ANTHROPIC_BASE_URL", server.url())
        .env("ANTHROPIC_API_KEY", API_KEY);
    cmd
}

/// Where [`chatterm`] points the cache dir (the model listing).
pub fn cache_dir(home: &tempfile::TempDir) -> PathBuf {
    home.path().join("cache")
}

/// Where [`chatterm`] points the data dir (the store, the ledger).
pub fn data_dir(home: &tempfile::TempDir) -> PathBuf {
    home.path().join("data")
}

/// Runs `cmd` to the end off the async runtime (the mock server must keep answering).
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run chatterm"))
        .await
        .unwrap()
}

/// Runs `cmd` with `input` on its stdin, off the async runtime.
pub async fn output_with_stdin(cmd: Command, input: &[u8]) -> Output {
    let input = input.to_vec();
    tokio::task::spawn_blocking(move || run_with_stdin(cmd, &input))
        .await
        .unwrap()
}

/// Runs `cmd` with `input` on its stdin and its output captured, blocking.
pub fn run_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chatterm");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait for chatterm")
}

/// Output bytes as text, for assertions and their messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that the run succeeded, showing its stderr when it did not.
#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Writes `body` to `name` in `home` and returns the path (a config file, a schema...).
pub fn write_file(home: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
    let path = home.path().join(name);
    std::fs::write(&path, body).unwrap();
    path
}
