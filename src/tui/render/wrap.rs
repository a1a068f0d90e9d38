//! Fitting styled text to a width, measured in terminal cells (unicode-width), not bytes.
//!
//! Two modes: [`wrap_words`] for prose (greedy word wrap; a word longer than the width is
//! broken between characters; spaces at a break are dropped) and [`wrap_chars`] for code
//! (every character kept, lines broken exactly at the width). A width of 0 is treated as 1
//! so no input can make these loop or panic.

use std::borrow::Cow;

use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Tab stops every this many columns.
pub const TAB_WIDTH: usize = 4;

/// Display width of a string in terminal cells.
pub fn str_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Replaces tabs by spaces up to the next tab stop, per line.
pub fn expand_tabs(s: &str) -> Cow<'_, str> {
    if !s.contains('\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut column = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = TAB_WIDTH - column % TAB_WIDTH;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            '\n' => {
                out.push('\n');
                column = 0;
            }
            c => {
                out.push(c);
                column += char_width(c);
            }
        }
    }
    Cow::Owned(out)
}

/// `text` cut to `width` cells, ending in `…` when something was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if str_width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// One output line being filled: pieces of (text, style), merged when styles repeat.
#[derive(Default)]
struct LineBuf {
    pieces: Vec<(String, Style)>,
    width: usize,
}

impl LineBuf {
    fn push(&mut self, c: char, style: Style) {
        match self.pieces.last_mut() {
            Some((text, s)) if *s == style => text.push(c),
            _ => self.pieces.push((c.to_string(), style)),
        }
        self.width += char_width(c);
    }

    fn push_all(&mut self, pieces: &[(char, Style)]) {
        for &(c, style) in pieces {
            self.push(c, style);
        }
    }

    fn take(&mut self) -> Vec<Span<'static>> {
        self.width = 0;
        std::mem::take(&mut self.pieces)
            .into_iter()
            .map(|(t, s)| Span::styled(t, s))
            .collect()
    }
}

/// Styled characters of `spans`, in order.
fn chars_of<'a>(spans: &'a [Span<'_>]) -> impl Iterator<Item = (char, Style)> + 'a {
    spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
}

/// Greedy word wrap of one paragraph (no newlines inside) to `width` cells.
pub fn wrap_words(spans: &[Span<'_>], width: usize) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = LineBuf::default();
    let mut space: Vec<(char, Style)> = Vec::new();
    let mut word: Vec<(char, Style)> = Vec::new();
    let mut place =
        |word: &mut Vec<(char, Style)>, space: &mut Vec<(char, Style)>, line: &mut LineBuf| {
            if word.is_empty() {
                return;
            }
            let ww: usize = word.iter().map(|&(c, _)| char_width(c)).sum();
            let sw: usize = space.iter().map(|&(c, _)| char_width(c)).sum();
            // A word that fits on the next line goes there; a longer one is broken anyway, so
            // it starts here when the space and at least one character still fit.
            let fits_here = line.width + sw + ww <= width;
            let room_to_break = ww > width && line.width + sw < width;
            if line.width > 0 && !fits_here && !room_to_break {
                lines.push(line.take());
            } else if line.width > 0 {
                line.push_all(space);
            }
            for &(c, style) in word.iter() {
                if line.width > 0 && line.width + char_width(c) > width {
                    lines.push(line.take());
                }
                line.push(c, style);
            }
            word.clear();
            space.clear();
        };
    for (c, style) in chars_of(spans) {
        if c == ' ' {
            place(&mut word, &mut space, &mut line);
            space.push((c, style));
        } else {
            word.push((c, style));
        }
    }
    place(&mut word, &mut space, &mut line);
    if line.width > 0 || lines.is_empty() {
        lines.push(line.take());
    }
    lines
}

/// Breaks one line of code at exactly `width` cells, keeping every character.
pub fn wrap_chars(spans: &[Span<'_>], width: usize) -> Vec<Vec<Span<'static>>> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = LineBuf::default();
    for (c, style) in chars_of(spans) {
        if line.width > 0 && line.width + char_width(c) > width {
            lines.push(line.take());
        }
        line.push(c, style);
    }
    if line.width > 0 || lines.is_empty() {
        lines.push(line.take());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Vec<Span<'static>>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn words_wrap_at_spaces() {
        let spans = [Span::raw("the quick brown fox jumps")];
        assert_eq!(
            texts(&wrap_words(&spans, 10)),
            ["the quick", "brown fox", "jumps"]
        );
        assert_eq!(
            texts(&wrap_words(&spans, 100)),
            ["the quick brown fox jumps"]
        );
    }

    #[test]
    fn long_words_break_and_styles_survive() {
        let spans = [
            Span::raw("ab "),
            Span::styled("cdefghij", Style::new().bold()),
        ];
        let lines = wrap_words(&spans, 4);
        assert_eq!(texts(&lines), ["ab c", "defg", "hij"]);
        assert_eq!(lines[1][0].style, Style::new().bold());
    }

    #[test]
    fn wide_characters_count_double() {
        let spans = [Span::raw("日本語 テキスト")];
        assert_eq!(texts(&wrap_words(&spans, 6)), ["日本語", "テキス", "ト"]);
    }

    #[test]
    fn zero_width_and_empty_input_do_not_loop() {
        assert_eq!(texts(&wrap_words(&[Span::raw("abc")], 0)), ["a", "b", "c"]);
        assert_eq!(texts(&wrap_words(&[], 5)), [""]);
        assert_eq!(texts(&wrap_chars(&[Span::raw("  x")], 2)), ["  ", "x"]);
    }

    #[test]
    fn tabs_expand_to_stops_and_truncation_marks_the_cut() {
        assert_eq!(expand_tabs("a\tb\n\tc"), "a   b\n    c");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("hi", 6), "hi");
    }
}
