//! The streaming benchmark's answer (issue 15): a long markdown answer made of sections,
//! each three sentences with emphasis, inline code and a link, a four-line Rust code block
//! and a two-item list, streamed as 8-byte text deltas a fixed millisecond apart.
//!
//! Everything is deterministic: the same section count gives the same bytes and the same
//! deltas, so runs compare. Sections are about 407 bytes (the issue's 15,256 deltas of 8 bytes for 300), so 150, 300 and 600 sections make
//! the 61, 122 and 245 KB answers of the benchmark. The answer ends with [`END_MARKER`] as a
//! paragraph of its own, sent as the last delta by itself: a terminal reader can tell the
//! last line reached the screen when the marker's bytes appear, since its characters occur
//! nowhere else in the answer (so a frame can never draw it partly).

use std::fmt::Write as _;
use std::time::Duration;

use crate::api::Usage;

use super::script::{Script, Step, estimate_tokens};

/// The answer's last paragraph; `@` and `%` appear nowhere else in it.
pub const END_MARKER: &str = "@%@%@%@%";

/// Bytes per text delta, as the issue's workload streams.
pub const DELTA_BYTES: usize = 8;

/// The pause before each delta.
pub const DELTA_GAP: Duration = Duration::from_millis(1);

/// One section; `n` varies the words so no two sections are the same text.
fn section(out: &mut String, n: usize) {
    let _ = write!(
        out,
        "Section {n} shows how the *streaming path* keeps frames lean as answers grow. \
         It calls `render_frame({n})` and reads [a guide](https://example.com/guide/{n}) \
         first. Nothing **committed** is laid out twice.\n\n\
         ```rust\n\
         fn section_{n}(input: &str) -> usize {{\n    \
             let words = input.split_whitespace();\n    \
             words.filter(|w| w.len() > {k}).count()\n\
         }}\n\
         ```\n\n\
         - the first point of section {n}\n\
         - the second, with `item_{n}`\n\n",
        k = n % 7 + 1,
    );
}

/// The answer with `sections` sections, then [`END_MARKER`].
pub fn answer(sections: usize) -> String {
    let mut out = String::with_capacity(sections * 420 + 16);
    for n in 1..=sections {
        section(&mut out, n);
    }
    out.push_str(END_MARKER);
    out.push('\n');
    out
}

/// `text` cut into pieces of at most `bytes` bytes on character boundaries (every piece
/// holds at least one character), which join back to `text`.
pub fn deltas(text: &str, bytes: usize) -> Vec<String> {
    let mut pieces = Vec::with_capacity(text.len() / bytes.max(1) + 1);
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = bytes.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece.to_owned());
        rest = tail;
    }
    pieces
}

/// The benchmark's script for [`answer`]`(sections)`: a small uncached prompt, the text as
/// [`DELTA_BYTES`]-byte deltas [`DELTA_GAP`] apart with [`END_MARKER`] (and its newline)
/// as the last delta on its own, then `end_turn`.
pub fn script(sections: usize) -> Script {
    let text = answer(sections);
    let body = &text[..text.len() - END_MARKER.len() - 1];
    let mut pieces = deltas(body, DELTA_BYTES);
    pieces.push(format!("{END_MARKER}\n"));
    let usage = Usage {
        input_tokens: 12,
        output_tokens: 1,
        ..Usage::default()
    };
    Script::new(vec![
        Step::Start { usage },
        Step::Pace(DELTA_GAP),
        Step::Text(pieces),
        Step::end_turn(estimate_tokens(&text)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_sizes_are_61_122_and_245_kb() {
        let kb = |sections| answer(sections).len() as f64 / 1000.0;
        assert!((60.0..62.0).contains(&kb(150)), "{}", kb(150));
        assert!((121.0..124.0).contains(&kb(300)), "{}", kb(300));
        assert!((243.0..248.0).contains(&kb(600)), "{}", kb(600));
    }

    #[test]
    fn the_marker_occurs_once_and_arrives_alone_last() {
        let text = answer(20);
        assert_eq!(text.matches(END_MARKER).count(), 1);
        assert!(!text.replace(END_MARKER, "").contains(['@', '%']));
        let script = script(20);
        let Step::Text(pieces) = &script.steps[2] else {
            panic!("no text step")
        };
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces.last().unwrap(), &format!("{END_MARKER}\n"));
        // All full 8-byte deltas but the marker and, perhaps, the piece before it.
        assert!(pieces[..pieces.len() - 2].iter().all(|p| p.len() == 8));
        assert_eq!(script.steps[1], Step::Pace(DELTA_GAP));
    }

    #[test]
    fn deltas_cut_on_character_boundaries() {
        assert_eq!(deltas("ab€cd", 3), vec!["ab", "€", "cd"]);
        assert_eq!(deltas("€", 1), vec!["€"]);
        assert!(deltas("", 8).is_empty());
    }
}
