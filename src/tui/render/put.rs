//! Drawing a line into a buffer: what ratatui's `Buffer::set_line` does, without walking
//! grapheme clusters where there are none.
//!
//! `set_line` splits every span into grapheme clusters and measures each one, which is
//! most of what drawing the conversation costs a frame (a screenful of rows, every frame
//! while an answer streams). A span of ASCII text has one cluster per byte, each one cell
//! wide, and control characters take no cell; [`put_line`] writes those cells directly and
//! leaves every other span to ratatui. The cells come out the same either way (a property
//! test compares them on mixed text).

use ratatui::buffer::Buffer;
use ratatui::text::Line;

/// Draws `line` at (`x`, `y`) in at most `max_width` cells, as `Buffer::set_line` does.
/// Returns the column after the last cell written.
pub fn put_line(buf: &mut Buffer, x: u16, y: u16, line: &Line<'_>, max_width: u16) -> u16 {
    let mut remaining = max_width;
    let mut x = x;
    for span in line {
        if remaining == 0 {
            break;
        }
        let style = line.style.patch(span.style);
        let text = span.content.as_ref();
        if !text.is_ascii() {
            let (end, _) = buf.set_stringn(x, y, text, usize::from(remaining), style);
            remaining = remaining.saturating_sub(end.saturating_sub(x));
            x = end;
            continue;
        }
        let room = buf.area.right().saturating_sub(x).min(remaining);
        if room == 0 || !buf.area.contains((x, y).into()) {
            break;
        }
        let start = buf.index_of(x, y);
        let cells = &mut buf.content[start..start + usize::from(room)];
        let printable = text.bytes().filter(|b| !b.is_ascii_control());
        let mut used = 0;
        for (cell, byte) in cells.iter_mut().zip(printable) {
            cell.set_char(char::from(byte)).set_style(style);
            used += 1;
        }
        x += used;
        remaining -= used;
    }
    x
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style};
    use ratatui::text::Span;

    use super::*;

    /// Span texts drawn from ASCII, control characters, wide and combining characters.
    fn piece() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a", "Z", " ", "~", "\t", "\n", "\x1b", "é", "コ", "😀", "e\u{301}", "ab",
            ]),
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    fn style(n: u8) -> Style {
        match n % 3 {
            0 => Style::new(),
            1 => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            _ => Style::new()
                .bg(Color::Indexed(n))
                .remove_modifier(Modifier::BOLD),
        }
    }

    proptest! {
        #[test]
        fn cells_are_those_set_line_makes(
            spans in prop::collection::vec((piece(), any::<u8>()), 0..6),
            x in 0u16..12,
            max_width in 0u16..40,
            line_style in any::<u8>(),
        ) {
            let line = Line::from(
                spans
                    .iter()
                    .map(|(text, n)| Span::styled(text.clone(), style(*n)))
                    .collect::<Vec<_>>(),
            )
            .style(style(line_style));
            let area = Rect::new(0, 0, 24, 2);
            let mut ours = Buffer::empty(area);
            let mut theirs = Buffer::empty(area);
            // Something there before: the cells are overwritten, not only filled.
            ours.set_string(0, 1, "previous text here", Style::new().fg(Color::Blue));
            theirs.set_string(0, 1, "previous text here", Style::new().fg(Color::Blue));
            let end = put_line(&mut ours, x, 1, &line, max_width);
            let (their_end, _) = theirs.set_line(x, 1, &line, max_width);
            prop_assert_eq!(&ours, &theirs);
            prop_assert_eq!(end, their_end);
        }
    }
}
