//! The tmux driver and the shared scenario set-up (see the parent module's docs).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chatterm::mock::MockServer;

use crate::binary::{EXE, SCRUBBED};
use crate::common::message_bodies;

const WIDTH: u16 = 100;
const HEIGHT: u16 = 30;
/// How long [`Tmux::wait_for`] waits: generous, as CI machines can be slow and loaded.
pub const TIMEOUT: Duration = Duration::from_secs(10);
pub const POLL: Duration = Duration::from_millis(50);
/// Printed by the pane's shell around the program, to check what is left on screen.
pub const BEFORE: &str = "chatterm-test: shell before";
pub const AFTER: &str = "chatterm-test: exit status";
/// Where [`Tmux::start`]'s wrapper writes the command's exit status, in the temp dir.
const STATUS_FILE: &str = "exit-status";

/// Variables that must not reach the pane, besides the binary's own [`SCRUBBED`] list:
/// colour and an outer tmux would change what the screen shows.
const TERMINAL_SCRUBBED: &[&str] = &["NO_COLOR", "TMUX", "TMUX_PANE"];

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
        for var in SCRUBBED.iter().chain(TERMINAL_SCRUBBED) {
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

    /// Types `text` and presses Enter.
    pub fn send_line(&self, text: &str) {
        self.type_text(text);
        self.send_keys(&["Enter"]);
    }

    /// From now on, appends every byte the pane's program writes to the terminal to `file`
    /// (`pipe-pane -o`), for tests of what reaches the terminal itself.
    pub fn record_output(&self, file: &Path) {
        let sink = format!("cat >> {}", shell_quote(&file.to_string_lossy()));
        self.run(&["pipe-pane", "-o", "-t", "test", &sink]);
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

impl Tmux {
    /// Kills this tmux server: the pane's terminal goes away under its program, as when a
    /// terminal emulator is closed or an ssh connection drops.
    pub fn kill_server(&self) {
        let _ = self.command().arg("kill-server").output();
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
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The shell command that runs chatterm between two marker lines, so a test can see the
/// shell's screen come back after the program leaves the alternate screen.
fn chatterm_between_markers(args: &[&str]) -> String {
    let bin = shell_quote(EXE);
    let args: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
    let args = args.join(" ");
    format!("printf '%s\\n' '{BEFORE}'; {bin} {args}; echo \"{AFTER} $?\"")
}

/// The model ids of the `/v1/messages` requests the mock received, in order.
pub fn models_requested(server: &MockServer) -> Vec<String> {
    message_bodies(server)
        .iter()
        .filter_map(|b| Some(b["model"].as_str()?.to_owned()))
        .collect()
}

/// The test tiers, so a test can tell from a request which tier sent it.
const CONFIG: &str = r#"
[models]
tier = "balanced"
fast = "tmux-test-fast"
balanced = "tmux-test-balanced"
max = "tmux-test-max"
"#;

/// A TUI scenario's set-up: the mock server, a config file with the test tiers, and the
/// binary running between the shell's markers with the mock's URL, a key and that config,
/// already on the alternate screen.
pub struct Chat {
    pub server: MockServer,
    pub tmux: Tmux,
    /// Kept for the life of the test: the program reads it at start.
    _config: tempfile::NamedTempFile,
}

impl Chat {
    /// Starts the scenario, or returns `None` (having said why) where tmux is missing.
    pub async fn start() -> Option<Chat> {
        Chat::start_with(&[], &[]).await
    }

    /// [`Chat::start`] with command-line arguments and more environment variables.
    pub async fn start_with(args: &[&str], env: &[(&str, &str)]) -> Option<Chat> {
        if !tmux_available() {
            return None;
        }
        let server = MockServer::start().await.unwrap();
        let config = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(config.path(), CONFIG).unwrap();
        let config_path = config.path().to_string_lossy().into_owned();
        let url = server.url();
        let mut vars = vec![
            ("ANTHROPIC_BASE_URL", url.as_str()),
            ("ANTHROPIC_API_KEY", "test"),
            ("CHATTERM_CONFIG", config_path.as_str()),
        ];
        vars.extend_from_slice(env);
        let tmux = Tmux::start(&chatterm_between_markers(args), &vars);
        tmux.wait_for_format("#{alternate_on}", "1");
        Some(Chat {
            server,
            tmux,
            _config: config,
        })
    }

    /// Polls the mock until it has received `n` message requests; returns their models.
    pub fn wait_for_requests(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let models = models_requested(&self.server);
            if models.len() >= n {
                return models;
            }
            if Instant::now() > deadline {
                panic!(
                    "the mock got {models:?}, expected {n} requests; screen:\n{}",
                    self.tmux.capture()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}
