//! The real binary under a pseudo-terminal (`support/pty.rs`): `chatterm` (the build
//! cargo made for this bench) with a pty as its terminal, a clean environment and an empty
//! home directory. Frames are counted by the end-of-synchronized-update sequence
//! (`CSI ? 2026 l`) the app writes after each one.
//!
//! - `binary/startup_to_first_frame`: `chatterm --demo` on a 200x60 pty, from spawning the
//!   process to the end of its first frame on the terminal (the demo's local server,
//!   config, engine and terminal set-up included). Budget: under 50 ms.
//!   `..._3_mcp_servers`: the same with three MCP servers configured, one slow to start
//!   (the `mcp_test_server` example must be built: `cargo build --example mcp_test_server`).
//! - `binary/idle` (figure): `--demo` again; after the screen settles (no output for a
//!   second), over three seconds of nothing happening: frames drawn, bytes written, and the
//!   CPU time of all the process's threads; once right after start-up, once after a
//!   streamed demo answer (`*_after_answer`; with the sidebar hidden, as its prompt-cache
//!   countdown is a clock that changes every second). Also the process's resident memory
//!   (`rss_mb*`). Budget: no frames and no CPU while nothing changes.
//! - `binary/stream_61KB`, `_122KB`, `_245KB` (figures): a long markdown answer streamed
//!   as 8-byte deltas 1 ms apart, in a 160x50 pty, from pressing Enter until the last line
//!   is on screen: CPU seconds, peak RSS, frames and bytes written (`support/answer_stream.rs`).
//!   Budgets (issue 15): 122 KB at most 1.0 CPU s and 30 MB; 245 KB at most 2.2x the CPU of
//!   122 KB. Each size runs three times and records each figure's median (and the lowest
//!   and highest CPU): about 8, 15 and 31 s a run, so run them alone with
//!   `cargo bench --bench binary -- stream` (about 3 minutes).
//!
//! If the bench itself runs with a controlling terminal, the child can see it through
//! `/dev/tty` (crossterm asks it for the size first); the figures do not depend on that.

#![allow(clippy::unwrap_used)]

#[path = "support/answer_stream.rs"]
mod answer_stream;
#[path = "support/figures.rs"]
mod figures;
#[path = "support/pty.rs"]
mod pty;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use pty::{Launch, process_ticks, rss_mb, spawn, thread_cpu};

const IDLE: Duration = Duration::from_secs(3);

/// Frames, bytes and CPU milliseconds over `IDLE` once the screen settled.
fn idle(home: &std::path::Path, args: &[&str]) -> (f64, f64, f64, f64) {
    let args: Vec<&str> = std::iter::once("--demo")
        .chain(args.iter().copied())
        .collect();
    let launch = Launch {
        args: &args,
        ..Launch::default()
    };
    let (running, _) = spawn(home, &launch);
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
                let launch = Launch {
                    args: &["--demo"],
                    ..Launch::default()
                };
                let (running, started) = spawn(home.path(), &launch);
                total += running.first_frame() - started;
                running.stop();
            }
            total
        });
    });
    // The same with three MCP servers configured, one of them slow to start: they start
    // in the background, so the first frame must not move (issue 18).
    let servers = mcp_config(home.path());
    group.bench_function("startup_to_first_frame_3_mcp_servers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let launch = Launch {
                    args: &["--demo", "--config", &servers],
                    ..Launch::default()
                };
                let (running, started) = spawn(home.path(), &launch);
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

/// A config with three stdio MCP servers: the test server twice (built as the
/// `mcp_test_server` example) and once with a 30 s start.
fn mcp_config(home: &std::path::Path) -> String {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_chatterm"))
        .parent()
        .unwrap()
        .join("examples/mcp_test_server");
    let exe = exe.to_str().unwrap();
    let mut toml = String::new();
    for (name, args) in [
        ("one", ""),
        ("two", ""),
        ("slow", r#""--slow-start", "30""#),
    ] {
        toml.push_str(&format!(
            "[[mcp.server]]\nname = \"{name}\"\ncommand = \"{exe}\"\nargs = [{args}]\n"
        ));
    }
    let path = home.join("three-mcp-servers.toml");
    std::fs::write(&path, toml).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Runs of each stream size: the figures are their medians (the machine is shared, and
/// one run can land beside someone's build).
const STREAM_RUNS: usize = 3;

/// The issue-15 workload at three sizes, [`STREAM_RUNS`] runs each (each is an 8-31 s
/// stream); each figure is the median of its runs, with the CPU's lowest and highest too.
fn stream(_: &mut Criterion) {
    for (id, sections) in answer_stream::SIZES {
        if figures::wanted(id) {
            let runs: Vec<_> = (0..STREAM_RUNS)
                .map(|_| answer_stream::run(*sections))
                .collect();
            figures::record(id, &medians(&runs));
        }
    }
}

/// Each figure's median over `runs` (all runs name the same figures, in the same order),
/// then `cpu_s_min` and `cpu_s_max`.
fn medians(runs: &[Vec<(&'static str, f64)>]) -> Vec<(&'static str, f64)> {
    let mut figures: Vec<(&'static str, f64)> = runs[0]
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let mut values: Vec<f64> = runs.iter().map(|run| run[i].1).collect();
            values.sort_by(f64::total_cmp);
            (*name, values[values.len() / 2])
        })
        .collect();
    let cpu = |run: &Vec<(&str, f64)>| run.iter().find(|(n, _)| *n == "cpu_s").map(|f| f.1);
    let cpus: Vec<f64> = runs.iter().filter_map(cpu).collect();
    figures.push((
        "cpu_s_min",
        cpus.iter().copied().fold(f64::INFINITY, f64::min),
    ));
    figures.push(("cpu_s_max", cpus.iter().copied().fold(0.0, f64::max)));
    figures
}

criterion_group!(benches, binary, stream);
criterion_main!(benches);
