//! The real binary under a pseudo-terminal: `chatterm --demo` (the build cargo made for this
//! bench, `CARGO_BIN_EXE_chatterm`) with a 200x60 pty as its terminal, a clean environment
//! and an empty home directory.
//!
//! The pty's reader plays the terminal: it answers the queries sent at start-up (device
//! attributes, as a terminal without the kitty keyboard protocol; the cursor position), and counts
//! frames by the end-of-synchronized-update sequence (`CSI ? 2026 l`) the app writes after
//! each one.
//!
//! - `binary/startup_to_first_frame`: from spawning the process to the end of its first
//!   frame on the terminal (the demo's local server, config, engine and terminal set-up
//!   included). Budget: under 50 ms.
//! - `binary/idle` (figure): after the screen settles (no output for a second), over three
//!   seconds of nothing happening: frames drawn, bytes written, and the CPU time of all
//!   the process's threads; once right after start-up, once after a streamed demo answer
//!   (`*_after_answer`; with the sidebar hidden, as its prompt-cache countdown is a clock
//!   that changes every second). Also the process's resident memory (`rss_mb*`).
//!   Budget: no frames and no CPU while nothing changes.
//!
//! If the bench itself runs with a controlling terminal, the child can see it through
//! `/dev/tty` (crossterm asks it for the size first); the figures do not depend on that.

#![allow(clippy::unwrap_used)]

#[path = "support/figures.rs"]
mod figures;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const END_FRAME: &[u8] = b"\x1b[?2026l";
/// What the terminal answers: device attributes (a VT220-ish terminal without the kitty
/// keyboard protocol, so that query goes unanswered) and the cursor position.
const ANSWERS: &[(&[u8], &[u8])] = &[(b"\x1b[c", b"\x1b[?62;22c"), (b"\x1b[6n", b"\x1b[1;1R")];
const QUIET: Duration = Duration::from_secs(1);
const IDLE: Duration = Duration::from_secs(3);

/// What the terminal has seen so far.
#[derive(Default)]
struct Screen {
    bytes: usize,
    frames: usize,
    first_frame: Option<Instant>,
    last_output: Option<Instant>,
    closed: bool,
    /// The first and the latest bytes written, to show when something goes wrong.
    start: Vec<u8>,
    recent: Vec<u8>,
}

/// The running binary and the thread reading its terminal.
struct Running {
    child: Child,
    screen: Arc<(Mutex<Screen>, Condvar)>,
    reader: Option<JoinHandle<()>>,
}

/// Occurrences of `pattern` in `window` that end in its new bytes (from `new`): the
/// window is the previous read's tail, then this read, so nothing is counted twice.
fn count(window: &[u8], new: usize, pattern: &[u8]) -> usize {
    window
        .windows(pattern.len())
        .enumerate()
        .filter(|(i, w)| *w == pattern && i + pattern.len() > new)
        .count()
}

/// Reads the pty until the child closes it, answering queries and counting frames.
fn read_terminal(mut master: File, screen: Arc<(Mutex<Screen>, Condvar)>) {
    let mut answer = master.try_clone().unwrap();
    let keep = END_FRAME.len() - 1;
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
        ready.notify_all();
    }
    let (lock, ready) = &*screen;
    lock.lock().unwrap().closed = true;
    ready.notify_all();
}

/// Starts `chatterm --demo [args]` on a fresh 200x60 pty. Returns it and when it started.
fn spawn(home: &std::path::Path, args: &[&str]) -> (Running, Instant) {
    let size = Winsize {
        ws_row: 60,
        ws_col: 200,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(&size, None).unwrap();
    let master = File::from(pty.master);
    let stdio = || Stdio::from(pty.slave.try_clone().unwrap());
    let mut command = Command::new(env!("CARGO_BIN_EXE_chatterm"));
    command
        .arg("--demo")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .stdin(stdio())
        .stdout(stdio())
        .stderr(stdio());
    let screen = Arc::new((Mutex::new(Screen::default()), Condvar::new()));
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || read_terminal(master, screen))
    };
    let started = Instant::now();
    let child = command.spawn().unwrap();
    // The child holds the slave now; ours must go, or the reader never sees the end.
    drop(command);
    drop(pty.slave);
    let running = Running {
        child,
        screen,
        reader: Some(reader),
    };
    (running, started)
}

impl Running {
    /// Waits (up to 10 s) until `done` holds for the screen.
    fn wait_for(&self, what: &str, done: impl Fn(&Screen) -> bool) {
        let (lock, ready) = &*self.screen;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut s = lock.lock().unwrap();
        while !done(&s) {
            let shown = String::from_utf8_lossy(&s.start).into_owned();
            assert!(
                !s.closed,
                "chatterm exited while waiting for {what}: {shown:?}"
            );
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {what} within 10 s");
            s = ready.wait_timeout(s, left).unwrap().0;
        }
    }

    fn first_frame(&self) -> Instant {
        self.wait_for("first frame", |s| s.first_frame.is_some());
        self.screen.0.lock().unwrap().first_frame.unwrap()
    }

    /// Waits until nothing was written for `QUIET` (up to 30 s).
    fn settle(&self) {
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

    fn frames_and_bytes(&self) -> (usize, usize) {
        let s = self.screen.0.lock().unwrap();
        (s.frames, s.bytes)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (the app quits through its normal path), then waits for it and the reader.
    fn stop(mut self) {
        let _ = kill(Pid::from_raw(self.pid() as i32), Signal::SIGTERM);
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// CPU time of every thread of `pid`, by thread id, in nanoseconds (`schedstat`).
fn thread_cpu(pid: u32) -> HashMap<String, u64> {
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

/// The process's user + system time in clock ticks (`stat`); counts exited threads too.
fn process_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name and state.
    field(11) + field(12)
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

/// Frames, bytes and CPU milliseconds over `IDLE` once the screen settled.
fn idle(home: &std::path::Path, args: &[&str]) -> (f64, f64, f64, f64) {
    let (running, _) = spawn(home, args);
    running.first_frame();
    running.settle();
    let pid = running.pid();
    let (frames, bytes) = running.frames_and_bytes();
    let (threads, ticks) = (thread_cpu(pid), process_ticks(pid));
    std::thread::sleep(IDLE);
    let (frames_after, bytes_after) = running.frames_and_bytes();
    let threads_after = thread_cpu(pid);
    let ticks_after = process_ticks(pid);
    let rss = rss_mb(pid);
    running.stop();
    let ns: u64 = threads_after
        .iter()
        .map(|(tid, ns)| ns.saturating_sub(threads.get(tid).copied().unwrap_or(0)))
        .sum();
    // Per-thread nanoseconds miss threads that exited meanwhile; ticks (10 ms) do not.
    let cpu_ms = (ns as f64 / 1e6).max((ticks_after - ticks) as f64 * 10.0);
    let frames = (frames_after - frames) as f64;
    (frames, (bytes_after - bytes) as f64, cpu_ms, rss)
}

fn binary(c: &mut Criterion) {
    let home = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("binary");
    group.sample_size(20);
    group.bench_function("startup_to_first_frame", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let (running, started) = spawn(home.path(), &[]);
                total += running.first_frame() - started;
                running.stop();
            }
            total
        });
    });
    group.finish();
    const ID: &str = "binary/idle";
    if figures::wanted(ID) {
        let (frames, bytes, cpu_ms, rss) = idle(home.path(), &[]);
        // The sidebar's prompt-cache countdown is a clock that changes every second; with it
        // hidden, nothing on the screen changes once the answer is done.
        let config = home.path().join("no-sidebar.toml");
        std::fs::write(&config, "[ui]\nsidebar = false\n").unwrap();
        let config = config.to_str().unwrap();
        let answer = idle(
            home.path(),
            &["--config", config, "Hello! What can you do?"],
        );
        let seconds = IDLE.as_secs_f64();
        figures::record(
            ID,
            &[
                ("seconds", seconds),
                ("frames", frames),
                ("bytes", bytes),
                ("cpu_ms", cpu_ms),
                ("frames_after_answer", answer.0),
                ("bytes_after_answer", answer.1),
                ("cpu_ms_after_answer", answer.2),
                ("rss_mb", rss),
                ("rss_mb_after_answer", answer.3),
            ],
        );
    }
}

criterion_group!(benches, binary);
criterion_main!(benches);
