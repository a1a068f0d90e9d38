//! Resident memory with the 5,000-message conversation loaded: a process of its own builds
//! the app with the long session (`support/conversation.rs`), loads syntect's sets as the
//! app does after its first frame, draws one 200x60 frame through a TestBackend, and reads
//! `VmRSS` (and the peak, `VmHWM`) from `/proc/self/status`.
//!
//! Figure `memory/5000_messages` (`rss_mb`, `peak_mb`). Budget: under 60 MB resident.
//! Not a criterion bench: one measurement in a fresh process is the figure.

#![allow(clippy::unwrap_used)]

#[path = "support/conversation.rs"]
mod conversation;
#[path = "support/figures.rs"]
mod figures;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use chatterm::tui;

const ID: &str = "memory/5000_messages";

/// A `/proc/self/status` field in kB, as MB.
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

fn main() {
    if !figures::wanted(ID) {
        return;
    }
    let before = status_mb("VmRSS:");
    let (mut app, bytes) = conversation::long_conversation();
    tui::render::highlight::warm();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    // Every cell laid out, as after the session settled on screen.
    loop {
        let area = ratatui::layout::Rect::new(0, 0, 200, 60);
        let more = app.prepare(area);
        terminal
            .draw(|f| {
                let a = f.area();
                app.render(a, f.buffer_mut());
            })
            .unwrap();
        if !more {
            break;
        }
    }
    let rss = status_mb("VmRSS:");
    let peak = status_mb("VmHWM:");
    eprintln!(
        "{} messages, {:.2} MB of text; resident before {before:.1} MB",
        conversation::MESSAGES,
        bytes as f64 / 1e6
    );
    figures::record(ID, &[("rss_mb", rss), ("peak_mb", peak)]);
    drop(app);
}
