//! The real-terminal tests: the built binary in a tmux pane, keys sent with `send-keys`, the
//! screen read with `capture-pane`, answers from the in-process mock server.
//!
//! Each [`Tmux`] is a private tmux server: its own socket directory (`TMUX_TMPDIR` in a
//! temp dir) and socket name, a config of its own (no user config is read), one session of
//! a fixed size, and an environment where HOME, the XDG directories and `CHATTERM_CONFIG`
//! point into the temp dir and no real API key or tmux variable leaks in. tmux copies the
//! starting process's environment into the server, which is how the pane gets it. The
//! server is killed on drop, also when a test fails.
//!
//! Panes stay open after their command exits (`remain-on-exit`), so a test can read the
//! screen the user would be left with, and the exit status.
//!
//! When `tmux` is not installed the tests print why and pass; `.ci/run` installs it.
//! The runtime is multi-threaded because the helpers block (sleep, run tmux) while the mock
//! server must keep answering on the runtime's workers.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chatterm::mock::{MockServer, RecordedRequest, Reply, Script, Step};

const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;
/// How long [`Tmux::wait_for`] waits: generous, as CI machines can be slow and loaded.
const TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
/// Printed by the pane's shell around the program, to check what is left on screen.
const BEFORE: &str = "chatterm-test: shell before";
const AFTER: &str = "chatterm-test: exit status";
/// Where [`Tmux::start`]'s wrapper writes the command's exit status, in the temp dir.
const STATUS_FILE: &str = "exit-status";

/// Variables that must not reach the program from the developer's or CI's environment.
const SCRUBBED: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CHATTERM_CONFIG",
    "CHATTERM_TIER",
    "NO_COLOR",
    "TMUX",
    "TMUX_PANE",
];

/// The tmux server's own config: no status line (the pane gets all 30 rows), panes that
/// outlive their command, no delay after Esc.
const TMUX_CONF: &str = "set -g status off\nset -g remain-on-exit on\nset -g escape-time 0\n";

/// Whether tmux can be run; prints why not, for the skipped test's output.
pub fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipping: tmux is not installed (.ci/run installs it)");
    }
    found
}

/// A private tmux server with one session running one shell command.
pub struct Tmux {
    dir: tempfile::TempDir,
    socket: String,
}

impl Tmux {
    /// Starts a server and a `WIDTH`x`HEIGHT` session running `command` with `sh -c`, with
    /// the scrubbed environment plus `env`. The temp dir's `home/` is HOME and holds the
    /// XDG directories.
    pub fn start(command: &str, env: &[(&str, &str)]) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = tempfile::tempdir().unwrap();
        let socket = format!(
            "chatterm-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let conf = dir.path().join("tmux.conf");
        std::fs::write(&conf, TMUX_CONF).unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        // The command's exit status goes to a file: tmux 3.3 under load sometimes marks a
        // pane dead without ever recording its status, so `#{pane_dead_status}` is no
        // reliable witness.
        let wrapped = format!(
            "( {command} ); echo $? > '{}'",
            dir.path().join(STATUS_FILE).display()
        );
        let tmux = Tmux { dir, socket };

        let mut cmd = tmux.command();
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        cmd.env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("LC_ALL", "C.UTF-8")
            .envs(env.iter().copied());
        cmd.arg("-f").arg(&conf).args([
            "new-session",
            "-d",
            "-s",
            "test",
            "-x",
            &WIDTH.to_string(),
            "-y",
            &HEIGHT.to_string(),
            &wrapped,
        ]);
        checked(&cmd.output().unwrap(), "tmux new-session");
        tmux
    }

    /// The temp dir this server lives in (for config files and the like).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `tmux` aimed at this server; `-u` because the pane's text is UTF-8.
    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.env("TMUX_TMPDIR", self.dir.path())
            .env_remove("TMUX")
            .args(["-u", "-L", &self.socket]);
        cmd
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap();
        checked(&out, &format!("tmux {}", args.join(" ")));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends key names as tmux spells them: `Enter`, `Escape`, `M-3`, `C-d`.
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "test"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Types `text` literally (no key-name lookup).
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "test", "-l", text]);
    }

    /// Pastes `text` as a terminal paste (bracketed, when the program asked for that).
    pub fn paste(&self, text: &str) {
        self.run(&["set-buffer", "-b", "paste", text]);
        self.run(&["paste-buffer", "-p", "-d", "-b", "paste", "-t", "test"]);
    }

    /// The visible screen, one line per row, trailing spaces trimmed by tmux.
    pub fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "test"])
    }

    /// The normal screen with its scrollback. tmux's own "Pane is dead" line can scroll
    /// the shell's first lines into the scrollback, so checks of what the shell left on
    /// screen read both.
    pub fn capture_with_history(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-", "-t", "test"])
    }

    /// A tmux format evaluated for the pane, e.g. `#{alternate_on}`.
    pub fn display(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", "test", format])
            .trim()
            .to_owned()
    }

    /// Polls the screen until `ready` holds, and returns that screen; panics after
    /// [`TIMEOUT`] with `what` and the last screen.
    pub fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.capture();
            if ready(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out after {TIMEOUT:?} waiting for {what}; last screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Polls a tmux format until it has the value `want`.
    pub fn wait_for_format(&self, format: &str, want: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.display(format) != want {
            if Instant::now() > deadline {
                let (got, screen) = (self.display(format), self.capture());
                panic!("timed out waiting for {format} = {want} (is {got}); screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the pane's command to exit and returns its exit status.
    pub fn wait_for_exit(&self) -> i32 {
        let path = self.dir().join(STATUS_FILE);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            // The file can exist a moment before the shell has written its number.
            let status = std::fs::read_to_string(&path).unwrap_or_default();
            if let Ok(code) = status.trim().parse() {
                return code;
            }
            if Instant::now() > deadline {
                panic!(
                    "no exit status after {TIMEOUT:?}; screen:\n{}",
                    self.capture()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Errors do not matter: the server may already be gone.
        let _ = self.command().arg("kill-server").output();
    }
}

fn checked(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `s` quoted for `sh`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The shell command that runs chatterm between two marker lines, so a test can see the
/// shell's screen come back after the program leaves the alternate screen.
fn chatterm_between_markers() -> String {
    let bin = shell_quote(env!("CARGO_BIN_EXE_chatterm"));
    format!("printf '%s\\n' '{BEFORE}'; {bin}; echo \"{AFTER} $?\"")
}

/// The model ids of the `/v1/messages` requests the mock received, in order.
fn models_requested(requests: &[RecordedRequest]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.path == "/v1/messages")
        .filter_map(|r| Some(r.body.as_ref()?["model"].as_str()?.to_owned()))
        .collect()
}

/// Polls the mock until it has received `n` message requests; returns their models.
fn wait_for_requests(server: &MockServer, n: usize, tmux: &Tmux) -> Vec<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let models = models_requested(&server.requests());
        if models.len() >= n {
            return models;
        }
        if Instant::now() > deadline {
            panic!(
                "the mock got {models:?}, expected {n} requests; screen:\n{}",
                tmux.capture()
            );
        }
        std::thread::sleep(POLL);
    }
}

const CONFIG: &str = r#"
[models]
tier = "balanced"
fast = "tmux-test-fast"
balanced = "tmux-test-balanced"
max = "tmux-test-max"
"#;

/// The harness itself, against a plain shell command, so it is known to work before the
/// TUI exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harness_drives_a_shell_command() {
    if !tmux_available() {
        return;
    }
    let tmux = Tmux::start(
        "printf 'name? '; read name; echo \"hi $name from $HOME\"",
        &[],
    );
    tmux.wait_for("the prompt", |s| s.contains("name?"));
    tmux.type_text("bob's");
    tmux.send_keys(&["Enter"]);
    let home = tmux.dir().join("home");
    let expected = format!("hi bob's from {}", home.display());
    tmux.wait_for("the greeting", |s| s.contains(&expected));
    assert_eq!(tmux.wait_for_exit(), 0);
    assert_eq!(tmux.display("#{pane_width}x#{pane_height}"), "100x30");
}

/// The TUI issue's scenario: chat, switch to the max tier with Alt+3, interrupt a streaming
/// answer with Esc, quit with Ctrl+D on an empty input and find the shell screen restored.
///
/// Skipped, with a message, where tmux is missing; `.ci/run` installs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_switch_tier_interrupt_and_quit() {
    if !tmux_available() {
        return;
    }
    let server = MockServer::start().await.unwrap();
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), CONFIG).unwrap();
    let config_path = config.path().to_string_lossy().into_owned();
    let url = server.url();
    let tmux = Tmux::start(
        &chatterm_between_markers(),
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_CONFIG", config_path.as_str()),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");

    // 1. A plain exchange on the starting (balanced) tier.
    server.enqueue(Reply::text("Hello from the mock server."));
    tmux.type_text("hello");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the first answer", |s| {
        s.contains("Hello from the mock server.")
    });
    assert_eq!(wait_for_requests(&server, 1, &tmux), ["tmux-test-balanced"]);

    // 2. Alt+3 switches to the max tier for the next request.
    tmux.send_keys(&["M-3"]);
    server.enqueue(Reply::text("Answered by the max tier."));
    tmux.type_text("and now?");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the second answer", |s| {
        s.contains("Answered by the max tier.")
    });
    let models = wait_for_requests(&server, 2, &tmux);
    assert_eq!(models[1], "tmux-test-max");

    // 3. Esc during a stream that stalls after its first words: the partial text stays
    //    and the answer is marked interrupted.
    server.enqueue(Reply::Script(Script::new(vec![
        Step::text("The beginning of a long story"),
        Step::Stall(Duration::from_secs(60)),
        Step::text(" that never arrives."),
        Step::end_turn(40),
    ])));
    tmux.type_text("tell me a long story");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the partial answer", |s| {
        s.contains("The beginning of a long story")
    });
    tmux.send_keys(&["Escape"]);
    let screen = tmux.wait_for("the interruption notice", |s| {
        s.to_lowercase().contains("interrupted")
    });
    assert!(screen.contains("The beginning of a long story"), "{screen}");
    assert!(!screen.contains("never arrives"), "{screen}");

    // 4. Ctrl+D on the empty input quits, and the shell's screen is back.
    tmux.send_keys(&["C-d"]);
    // The shell prints the exit status after the program (tmux's own record of it,
    // `pane_dead_status`, is sometimes missing under load).
    let start = Instant::now();
    let screen = loop {
        let screen = tmux.capture_with_history();
        if screen.contains(AFTER) || start.elapsed() > TIMEOUT {
            break screen;
        }
        std::thread::sleep(POLL);
    };
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    assert!(screen.contains(BEFORE), "{screen}");
    assert!(screen.contains(&format!("{AFTER} 0")), "{screen}");
    assert!(!screen.contains("Hello from the mock server."), "{screen}");
    assert_eq!(models_requested(&server.requests()).len(), 3);
}

/// An SSE event written as it is, for steps the script builders do not pace.
fn sse(event: &str, data: serde_json::Value) -> Step {
    Step::Raw(format!("event: {event}\ndata: {data}\n\n"))
}

/// The highest `wNN` word on the screen (0 when none is).
fn last_word(screen: &str) -> u32 {
    screen
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|w| w.strip_prefix('w')?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// The tool-use issue's scenario: a tool_use whose input arrives slowly in small chunks
/// fills its panel in while it streams (two captures mid-stream, the second showing more
/// of the string), and the panel shows the whole input once the block closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_panel_fills_in_while_a_slow_tool_use_streams() {
    if !tmux_available() {
        return;
    }
    let server = MockServer::start().await.unwrap();
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), CONFIG).unwrap();
    let config_path = config.path().to_string_lossy().into_owned();
    let url = server.url();

    // {"path": "notes/words.txt", "content": "w01 w02 … w40"}, a word per delta, slowly.
    let mut chunks = vec![r#"{"path": "notes/words.txt", "content": ""#.to_owned()];
    chunks.extend((1..=40).map(|i| format!("w{i:02} ")));
    chunks.push(r#"end"}"#.to_owned());
    let start = serde_json::json!({"type": "content_block_start", "index": 0,
        "content_block": {"type": "tool_use", "id": "toolu_01slowpanel", "name": "write_file",
        "input": {}}});
    let mut steps = vec![sse("content_block_start", start)];
    for chunk in &chunks {
        let delta = serde_json::json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": chunk}});
        steps.push(sse("content_block_delta", delta));
        steps.push(Step::Stall(Duration::from_millis(120)));
    }
    let stop = serde_json::json!({"type": "content_block_stop", "index": 0});
    steps.push(sse("content_block_stop", stop));
    steps.push(Step::end_turn(40));
    server.enqueue(Reply::Script(Script::new(steps)));

    let tmux = Tmux::start(
        &chatterm_between_markers(),
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_CONFIG", config_path.as_str()),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    tmux.type_text("write the words file");
    tmux.send_keys(&["Enter"]);

    let first = tmux.wait_for("the panel streaming its input", |s| {
        s.contains("⚙ write_file") && s.contains("streaming input") && last_word(s) >= 3
    });
    assert!(first.contains(r#""path": "notes/words.txt","#), "{first}");
    assert!(first.contains(r#""content": "w01 w02"#), "{first}");
    let second = tmux.wait_for("more of the string", |s| {
        s.contains("streaming input") && last_word(s) >= last_word(&first) + 3
    });
    assert!(
        last_word(&second) < 40,
        "the input arrived too fast to see it grow"
    );

    let last = tmux.wait_for("the whole input", |s| s.contains(r#"w40 end""#));
    // The answer ends with end_turn, so once the block closes ("input complete") the engine
    // reports the call as not run.
    let done = tmux.wait_for("the call's final status", |s| {
        s.contains("⚙ write_file · wpanel · ✗ not run")
    });
    assert!(!done.contains("streaming input"), "{last}\n{done}");
    assert!(done.contains(r#""content": "w01 w02"#), "{done}");
}

/// The store issue's scenario: two conversations, Ctrl+R to search and resume the first
/// (redrawn from the store), then Esc, Up and Enter to edit its question into a new branch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picker_resumes_and_editing_branches() {
    if !tmux_available() {
        return;
    }
    let server = MockServer::start().await.unwrap();
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), CONFIG).unwrap();
    let config_path = config.path().to_string_lossy().into_owned();
    let url = server.url();
    let tmux = Tmux::start(
        &chatterm_between_markers(),
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_CONFIG", config_path.as_str()),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    server.enqueue(Reply::text("Answer about sourdough."));
    tmux.type_text("how do I feed a sourdough starter");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the first answer", |s| {
        s.contains("Answer about sourdough.")
    });
    // Ctrl+N: a fresh screen, a new conversation.
    tmux.send_keys(&["C-n"]);
    tmux.wait_for("the empty screen", |s| {
        !s.contains("Answer about sourdough.")
    });
    server.enqueue(Reply::text("Answer about tea."));
    tmux.type_text("green tea temperature");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the second answer", |s| s.contains("Answer about tea."));

    // Ctrl+R lists both; typing narrows to one; Enter resumes it.
    tmux.send_keys(&["C-r"]);
    tmux.wait_for("both conversations", |s| {
        s.contains("Conversations") && s.contains("how do I feed") && s.contains("green tea")
    });
    tmux.type_text("sourd");
    tmux.wait_for("the search", |s| {
        // One row left (the conversation behind the overlay still shows at the top).
        s.contains("search: sourd")
            && s.contains("how do I feed")
            && s.matches("just now").count() == 1
    });
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the resumed conversation", |s| {
        !s.contains("Conversations") && s.contains("Answer about sourdough.")
    });
    assert!(!screen.contains("Answer about tea."), "{screen}");

    // Esc, Up, Enter: the question is back in the input; sending it edited branches.
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("picking", |s| s.contains("pick a message"));
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("editing", |s| s.contains("new branch"));
    tmux.type_text(" daily");
    server.enqueue(Reply::text("Answer about daily feeding."));
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the branch's answer", |s| {
        s.contains("Answer about daily feeding.")
    });
    let requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages")
        .collect();
    let body = requests.last().unwrap().body.clone().unwrap();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        1,
        "the branch starts before the edited message"
    );
    assert_eq!(
        messages[0]["content"][0]["text"],
        "how do I feed a sourdough starter daily"
    );
    tmux.send_keys(&["C-d"]);
    tmux.wait_for_format("#{alternate_on}", "0");
    let db = tmux.dir().join("home/.local/share/chatterm/chatterm.db");
    let store = chatterm::store::Store::open(&db).unwrap();
    let all = store.list(None, 10).unwrap();
    assert_eq!(all.len(), 3, "two conversations and a branch: {all:?}");
    assert!(all[0].parent.is_some(), "the branch is the newest");
}

/// `/extract` in a real terminal: the bundled schema (found from any directory), a sample
/// email pasted, the answer the mock makes from the schema streaming into the panel until
/// it is valid, and Ctrl+Y copying it. The text never joins the chat: the request carries
/// the schema (as a forced tool, or as the output format) and only the email.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_mode_turns_a_pasted_email_into_valid_json() {
    if !tmux_available() {
        return;
    }
    let server = MockServer::start().await.unwrap();
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), CONFIG).unwrap();
    let config_path = config.path().to_string_lossy().into_owned();
    let url = server.url();
    let tmux = Tmux::start(
        &chatterm_between_markers(),
        &[
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_CONFIG", config_path.as_str()),
        ],
    );
    tmux.wait_for_format("#{alternate_on}", "1");
    tmux.type_text("/extract support-email");
    tmux.send_keys(&["Enter"]);
    tmux.wait_for("the mode hint", |s| {
        s.contains("extract with support-email: paste or type the text")
    });
    let email = include_str!("../../assets/examples/refund.txt");
    tmux.paste(email);
    tmux.send_keys(&["Enter"]);
    let screen = tmux.wait_for("the valid result", |s| {
        s.contains("◆ extract · support-email · ") && s.contains("✓ valid")
    });
    assert!(screen.contains(r#""category": "billing","#), "{screen}");
    assert!(screen.contains("1 request"), "{screen}");
    let requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages")
        .collect();
    assert_eq!(requests.len(), 1);
    let body = requests[0].body.clone().unwrap_or_default();
    assert!(
        body.get("tool_choice").is_some() || body.pointer("/output_config/format").is_some(),
        "{body}"
    );
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 1, "only the email: {body}");
    tmux.send_keys(&["C-y"]);
    tmux.wait_for("the copy", |s| {
        s.contains("sent the extracted JSON to the clipboard")
    });
}
