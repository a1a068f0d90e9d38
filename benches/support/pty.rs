//! The real binary under a pseudo-terminal, for `benches/binary.rs`: `chatterm` (the build
//! cargo made for the bench, `CARGO_BIN_EXE_chatterm`) with a fresh pty as its terminal, a
//! clean environment and an empty home directory.
//!
//! The pty's reader plays the terminal: it answers the queries sent at start-up (device
//! attributes, as a terminal without the kitty keyboard protocol; the cursor position),
//! counts frames by the end-of-synchronized-update sequence (`CSI ? 2026 l`) the app writes
//! after each one, counts bytes, and notes when a watched byte string first appears.
//! Patterns are searched across read boundaries, so none is missed or counted twice.
//!
//! The process figures come from `/proc`: CPU ticks of the process and its waited-for
//! children (`stat`), per-thread CPU nanoseconds (`schedstat`), and resident memory, now
//! (`VmRSS`) and at its peak (`VmHWM`).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub const END_FRAME: &[u8] = b"\x1b[?2026l";
/// What the terminal answers: device attributes (a VT220-ish terminal without the kitty
/// keyboard protocol, so that query goes unanswered) and the cursor position.
const ANSWERS: &[(&[u8], &[u8])] = &[(b"\x1b[c", b"\x1b[?62;22c"), (b"\x1b[6n", b"\x1b[1;1R")];
const QUIET: Duration = Duration::from_secs(1);

/// How to start the binary.
pub struct Launch<'a> {
    pub args: &'a [&'a str],
    /// Columns and rows of the pty.
    pub size: (u16, u16),
    /// Variables set on top of the clean environment.
    pub env: &'a [(&'a str, &'a str)],
    /// Bytes whose first appearance in the output is noted ([`Screen::watched_at`]).
    pub watch: &'a [u8],
}

impl Default for Launch<'_> {
    fn default() -> Self {
        Launch {
            args: &[],
            size: (200, 60),
            env: &[],
            watch: b"",
        }
    }
}

/// What the terminal has seen so far.
#[derive(Default)]
pub struct Screen {
    pub bytes: usize,
    pub frames: usize,
    pub first_frame: Option<Instant>,
    pub last_output: Option<Instant>,
    /// When the launch's `watch` bytes first appeared.
    pub watched_at: Option<Instant>,
    pub closed: bool,
    /// The first and the latest bytes written, to show when something goes wrong.
    start: Vec<u8>,
    recent: Vec<u8>,
}

/// The running binary and the thread reading its terminal.
pub struct Running {
    child: Child,
    input: File,
    screen: Arc<(Mutex<Screen>, Condvar)>,
    reader: Option<JoinHandle<()>>,
}

/// Occurrences of `pattern` in `window` that end in its new bytes (from `new`): the
/// window is the previous read's tail, then this read, so nothing is counted twice.
fn count(window: &[u8], new: usize, pattern: &[u8]) -> usize {
    if pattern.is_empty() {
        return 0;
    }
    window
        .windows(pattern.len())
        .enumerate()
        .filter(|(i, w)| *w == pattern && i + pattern.len() > new)
        .count()
}

/// Reads the pty until the child closes it, answering queries and counting frames.
fn read_terminal(mut master: File, watch: Vec<u8>, screen: Arc<(Mutex<Screen>, Condvar)>) {
    let mut answer = master.try_clone().unwrap();
    let keep = END_FRAME.len().max(watch.len()).saturating_sub(1);
    let mut window: Vec<u8> = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let now = Instant::now();
        let new = window.len();
        window.extend_from_slice(&buf[..n]);
        for (query, reply) in ANSWERS {
            for _ in 0..count(&window, new, query) {
                let _ = answer.write_all(reply);
            }
        }
        let frames = count(&window, new, END_FRAME);
        let watched = count(&window, new, &watch) > 0;
        let cut = window.len().saturating_sub(keep);
        window.drain(..cut);
        let (lock, ready) = &*screen;
        let mut s = lock.lock().unwrap();
        s.bytes += n;
        let room = (16 * 1024usize).saturating_sub(s.start.len());
        s.start.extend_from_slice(&buf[..n.min(room)]);
        s.recent = buf[n.saturating_sub(512)..n].to_vec();
        s.frames += frames;
        s.last_output = Some(now);
        if frames > 0 && s.first_frame.is_none() {
            s.first_frame = Some(now);
        }
        if watched && s.watched_at.is_none() {
            s.watched_at = Some(now);
        }
        ready.notify_all();
    }
    let (lock, ready) = &*screen;
    lock.lock().unwrap().closed = true;
    ready.notify_all();
}

/// Starts `chatterm` as `launch` says on a fresh pty. Returns it and when it started.
/// The command that runs `exe`: itself, or under `CHATTERM_BENCH_WRAPPER` (a command and
/// its arguments, split at spaces: `heaptrack -o /tmp/ht`, `perf record -g --`) to profile
/// the binary the way a bench runs it. Figures taken through a wrapper measure the wrapper
/// too (its process tree, its memory): use them for where the time goes, not for budgets.
fn wrapped(exe: &str) -> Command {
    let wrapper = std::env::var("CHATTERM_BENCH_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(exe);
            command
        }
        None => Command::new(exe),
    }
}

pub fn spawn(home: &Path, launch: &Launch) -> (Running, Instant) {
    let size = Winsize {
        ws_row: launch.size.1,
        ws_col: launch.size.0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(&size, None).unwrap();
    let master = File::from(pty.master);
    let input = master.try_clone().unwrap();
    let stdio = || Stdio::from(pty.slave.try_clone().unwrap());
    let mut command = wrapped(env!("CARGO_BIN_EXE_chatterm"));
    command
        .args(launch.args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .envs(launch.env.iter().copied())
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio());
    let screen = Arc::new((Mutex::new(Screen::default()), Condvar::new()));
    let reader = {
        let screen = Arc::clone(&screen);
        let watch = launch.watch.to_vec();
        std::thread::spawn(move || read_terminal(master, watch, screen))
    };
    let started = Instant::now();
    let child = command.spawn().unwrap();
    // The child holds the slave now; ours must go, or the reader never sees the end.
    drop(command);
    drop(pty.slave);
    let running = Running {
        child,
        input,
        screen,
        reader: Some(reader),
    };
    (running, started)
}

impl Running {
    /// Waits (up to `limit`) until `done` holds for the screen.
    pub fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&Screen) -> bool) {
        let (lock, ready) = &*self.screen;
        let deadline = Instant::now() + limit;
        let mut s = lock.lock().unwrap();
        while !done(&s) {
            let shown = String::from_utf8_lossy(&s.start).into_owned();
            assert!(
                !s.closed,
                "chatterm exited while waiting for {what}: {shown:?}"
            );
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let recent = String::from_utf8_lossy(&s.recent).into_owned();
                panic!("no {what} within {limit:?}; last output: {recent:?}");
            }
            s = ready.wait_timeout(s, left).unwrap().0;
        }
    }

    pub fn first_frame(&self) -> Instant {
        self.wait_for("first frame", Duration::from_secs(10), |s| {
            s.first_frame.is_some()
        });
        self.screen.0.lock().unwrap().first_frame.unwrap()
    }

    /// When the launch's watched bytes appeared, waiting up to `limit` for them.
    pub fn watched(&self, what: &str, limit: Duration) -> Instant {
        self.wait_for(what, limit, |s| s.watched_at.is_some());
        self.screen.0.lock().unwrap().watched_at.unwrap()
    }

    /// Waits until nothing was written for `QUIET` (up to 30 s).
    pub fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let last = self.screen.0.lock().unwrap().last_output;
            let quiet = last.is_some_and(|at| at.elapsed() >= QUIET);
            if quiet {
                return;
            }
            if Instant::now() >= deadline {
                let s = self.screen.0.lock().unwrap();
                let recent = String::from_utf8_lossy(&s.recent).into_owned();
                panic!(
                    "the screen never settled: {} frames, last: {recent:?}",
                    s.frames
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn frames_and_bytes(&self) -> (usize, usize) {
        let s = self.screen.0.lock().unwrap();
        (s.frames, s.bytes)
    }

    /// Types `bytes` into the terminal, as keys (`\r` is Enter).
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.input.write_all(bytes).unwrap();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (the app quits through its normal path), then waits for it and the reader.
    pub fn stop(mut self) {
        let _ = kill(Pid::from_raw(self.pid() as i32), Signal::SIGTERM);
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// CPU time of every thread of `pid`, by thread id, in nanoseconds (`schedstat`).
pub fn thread_cpu(pid: u32) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let ns = std::fs::read_to_string(task.path().join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok());
        if let Some(ns) = ns {
            out.insert(task.file_name().to_string_lossy().into_owned(), ns);
        }
    }
    out
}

/// Fields of `/proc/PID/stat` after the command name (which is in parentheses and may
/// hold spaces): index 0 is the state, field N of stat(5) is index N - 3.
fn stat_fields(pid: u32) -> Vec<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    rest.split_whitespace()
        .map(|f| f.parse::<u64>().unwrap_or(0))
        .collect()
}

/// The process's user + system time in clock ticks (`stat`); counts exited threads too.
pub fn process_ticks(pid: u32) -> u64 {
    let fields = stat_fields(pid);
    let field = |n: usize| fields.get(n - 3).copied().unwrap_or(0);
    // utime and stime are fields 14 and 15.
    field(14) + field(15)
}

/// [`process_ticks`] plus the children it waited for (cutime and cstime, fields 16 and
/// 17): the CPU of the process tree, as far as it reaped its children.
pub fn tree_ticks(pid: u32) -> u64 {
    let fields = stat_fields(pid);
    let field = |n: usize| fields.get(n - 3).copied().unwrap_or(0);
    field(14) + field(15) + field(16) + field(17)
}

/// A `/proc/PID/status` memory line (`VmRSS`, `VmHWM`) in MB.
fn status_mb(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Resident memory now.
pub fn rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmRSS")
}

/// Resident memory at its peak so far (the high-water mark).
pub fn peak_rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmHWM")
}
