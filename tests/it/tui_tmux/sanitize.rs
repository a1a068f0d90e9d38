//! The output gate end to end in a real terminal: a hostile answer streamed in small
//! pieces into the TUI, every byte the program writes to the terminal recorded with tmux's
//! `pipe-pane`, and checked: escape sequences only of the kinds chatterm writes itself (no
//! OSC, DCS, SOS, PM or APC, so no clipboard write, hyperlink or title), no BEL or BS, no
//! C1 or bidi code point, no sequence payload.

use std::time::Instant;

use chatterm::mock::{Chunking, Reply, Script, Step};

use super::harness::*;
use crate::sanitize::HOSTILE;

/// The string sequences a hostile answer could smuggle in: `ESC ]`, `ESC P`, `ESC X`,
/// `ESC ^`, `ESC _`.
fn string_sequence_at(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(2)
        .position(|w| w[0] == 0x1b && matches!(w[1], b']' | b'P' | b'X' | b'^' | b'_'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_answer_writes_nothing_but_chatterms_own_sequences() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    let log = tmux.dir().join("pane-output");
    tmux.record_output(&log);
    let chars: Vec<char> = format!("{HOSTILE}\n\n{HOSTILE} END").chars().collect();
    let deltas = chars.chunks(2).map(|c| c.iter().collect()).collect();
    let script =
        Script::new(vec![Step::Text(deltas), Step::end_turn(9)]).with_chunking(Chunking::Fixed(3));
    server.enqueue(Reply::Script(script));
    tmux.send_line("hi");
    let screen = tmux.wait_for("the answer", |s| s.contains("over Z END"));
    // Drawn, without its sequences. (On the screen, not in the byte stream: a frame may
    // write "A" and a later one "red", with other rows between.)
    assert!(screen.contains("Ared"), "the answer was drawn: {screen}");
    tmux.send_keys(&["C-d"]);
    // The shell's line after the program is the last thing written.
    let start = Instant::now();
    let bytes = loop {
        let bytes = std::fs::read(&log).unwrap_or_default();
        if String::from_utf8_lossy(&bytes).contains(AFTER) || start.elapsed() > TIMEOUT {
            break bytes;
        }
        std::thread::sleep(POLL);
    };
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(AFTER), "the program did not exit: {text:?}");
    if let Some(at) = string_sequence_at(&bytes) {
        let near = String::from_utf8_lossy(&bytes[at.saturating_sub(20)..]);
        panic!("a string sequence at byte {at}: {near:?}");
    }
    for (name, byte) in [("BEL", 0x07u8), ("BS", 0x08)] {
        assert!(!bytes.contains(&byte), "{name} written: {text:?}");
    }
    let raw = |c: char| matches!(c, '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    assert!(!text.chars().any(raw), "C1 or bidi written: {text:?}");
    for payload in ["SGVsbG8", "evil.example"] {
        assert!(!text.contains(payload), "{payload} written: {text:?}");
    }
}
