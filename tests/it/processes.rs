//! Processes seen from outside, for the tests that end chatterm with a signal or by
//! closing its terminal: is a pid gone, which processes carry a marker in their command
//! line. Linux's `/proc`; elsewhere these tests have nothing to read and check less.

use std::time::{Duration, Instant};

/// The promise: chatterm is gone this soon after SIGTERM, SIGHUP or its terminal.
pub const GONE_WITHIN: Duration = Duration::from_secs(2);

/// Whether `pid` has exited (a zombie nobody reaped counts as gone: it runs nothing).
pub fn is_gone(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // The state follows the command name, which is in parentheses and may hold spaces.
    let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
    state.is_none_or(|s| s.starts_with('Z') || s.starts_with('X'))
}

/// Polls until `gone()`; panics with `what` after [`GONE_WITHIN`].
pub fn assert_gone_by(what: &str, mut gone: impl FnMut() -> bool) {
    let start = Instant::now();
    while !gone() {
        assert!(
            start.elapsed() < GONE_WITHIN,
            "{what}: still running after {GONE_WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Shown with --nocapture: how long it took (polled every 20 ms).
    eprintln!("{what}: gone after {:?}", start.elapsed());
}

/// Polls until `pid` is gone; panics after [`GONE_WITHIN`].
pub fn assert_gone(pid: i32, what: &str) {
    assert_gone_by(&format!("{what} (pid {pid})"), || is_gone(pid));
}

/// Live processes whose command line holds `marker`.
pub fn processes_with(marker: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(marker) && !is_gone(pid)
        })
        .collect()
}

/// Polls until some live process carries `marker`; returns them. Panics after `timeout`
/// with `what` and `context()`.
pub fn wait_for_processes(
    marker: &str,
    timeout: Duration,
    context: impl Fn() -> String,
) -> Vec<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        let found = processes_with(marker);
        if !found.is_empty() {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "no process with {marker:?} after {timeout:?}; {}",
            context()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
