//! `binary/stream_*`: the real binary streaming the issue-15 workload in a 160x50 pty, the
//! way a user runs it: a fresh home, the default config, the API at a mock server in the
//! bench's own process (so the client's CPU is the client's alone).
//!
//! The answer is `chatterm::mock::workload`'s: sections of prose with emphasis, inline code
//! and a link, a four-line Rust block and a two-item list, as 8-byte text deltas 1 ms apart,
//! ending in a marker that is the last delta by itself. The run types a question, then
//! measures from pressing Enter until the marker's bytes reach the terminal (the last line
//! is on screen):
//!
//! - `cpu_s`: user + system CPU of the client's process tree (`/proc/PID/stat` utime +
//!   stime + cutime + cstime, 10 ms ticks);
//! - `peak_rss_mb`: the client's peak resident memory over its whole life (`VmHWM`);
//! - `frames`: synchronized updates ended (`CSI ? 2026 l`, one per frame drawn);
//! - `bytes`: bytes written to the terminal; `bytes_per_frame`;
//! - `seconds`: wall time; `answer_kb`, `deltas`: the workload's size.

use std::time::Duration;

use chatterm::mock::{MockServer, Reply, Step, workload};

use super::pty::{self, Launch};

/// The stream takes about 15 s for 122 KB; a loaded machine may need much more.
const STREAM_LIMIT: Duration = Duration::from_secs(600);
/// Clock ticks per second of `/proc/PID/stat` (`CLK_TCK`, 100 on Linux).
const TICKS_PER_S: f64 = 100.0;

/// The answer sizes measured: (figure id, sections).
pub const SIZES: &[(&str, usize)] = &[
    ("binary/stream_61KB", 150),
    ("binary/stream_122KB", 300),
    ("binary/stream_245KB", 600),
];

/// Runs the workload with `sections` sections once; the figure's values.
pub fn run(sections: usize) -> Vec<(&'static str, f64)> {
    // A fresh home each time: no history or settings from an earlier run.
    let home = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start()).unwrap();
    let script = workload::script(sections);
    let deltas = match &script.steps[..] {
        [.., Step::Text(pieces), _] => pieces.len(),
        _ => 0,
    };
    server.enqueue(Reply::Script(script));
    let url = server.url();
    let env = [
        ("ANTHROPIC_API_KEY", "bench-key"),
        ("ANTHROPIC_BASE_URL", url.as_str()),
    ];
    let launch = Launch {
        size: (160, 50),
        env: &env,
        watch: workload::END_MARKER.as_bytes(),
        ..Launch::default()
    };
    let (mut running, _) = pty::spawn(home.path(), &launch);
    running.first_frame();
    running.settle();
    let (typed, _) = running.frames_and_bytes();
    running.type_bytes(b"Write the long answer.");
    let drawn = Duration::from_secs(10);
    running.wait_for("the typed question", drawn, |s| s.frames > typed);
    running.settle();
    let pid = running.pid();
    let (frames, bytes) = running.frames_and_bytes();
    let ticks = pty::tree_ticks(pid);
    let pressed = std::time::Instant::now();
    running.type_bytes(b"\r");
    let shown = running.watched("the answer's last line", STREAM_LIMIT);
    let ticks = pty::tree_ticks(pid) - ticks;
    let peak = pty::peak_rss_mb(pid);
    let (frames_after, bytes_after) = running.frames_and_bytes();
    running.stop();
    drop(server);
    let frames = (frames_after - frames) as f64;
    let bytes = (bytes_after - bytes) as f64;
    let kb = workload::answer(sections).len() as f64 / 1000.0;
    vec![
        ("cpu_s", ticks as f64 / TICKS_PER_S),
        ("peak_rss_mb", peak),
        ("frames", frames),
        ("bytes", bytes),
        ("bytes_per_frame", bytes / frames.max(1.0)),
        ("seconds", (shown - pressed).as_secs_f64()),
        ("answer_kb", kb),
        ("deltas", deltas as f64),
    ]
}
