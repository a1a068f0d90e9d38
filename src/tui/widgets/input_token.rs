//! The input box's word at the cursor, for completions that work inside a message (the
//! `@`-mention popup) rather than on the whole input (the command popup).
//!
//! A word runs from the last whitespace before the cursor, on the cursor's line, to the
//! cursor: only what is before the cursor counts, so typing at the end of a word narrows
//! the completion and moving back into an earlier word completes that one.

use ratatui_textarea::CursorMove;

use super::InputBox;

impl InputBox {
    /// The word that ends at the cursor (empty after whitespace or at a line's start).
    pub fn word_before_cursor(&self) -> String {
        let (row, col) = (self.textarea.cursor().0, self.textarea.cursor().1);
        let line = self.textarea.lines().get(row).map_or("", String::as_str);
        let before: Vec<char> = line.chars().take(col).collect();
        let start = before
            .iter()
            .rposition(|c| c.is_whitespace())
            .map_or(0, |i| i + 1);
        before[start..].iter().collect()
    }

    /// Replaces the `chars` characters before the cursor (on its line) with `text`, which
    /// is cleaned as a paste is. The cursor ends after the new text.
    pub fn replace_before_cursor(&mut self, chars: usize, text: &str) {
        let (row, col) = (self.textarea.cursor().0, self.textarea.cursor().1);
        let chars = chars.min(col);
        let (Ok(row), Ok(start)) = (u16::try_from(row), u16::try_from(col - chars)) else {
            return;
        };
        self.textarea.move_cursor(CursorMove::Jump(row, start));
        self.textarea.delete_str(chars);
        self.paste(text);
    }

    /// Whether the cursor is at the very start of the text (Backspace there has nothing
    /// to delete).
    pub fn cursor_at_start(&self) -> bool {
        self.textarea.cursor() == (0, 0)
    }

    /// Removes the first occurrence of `text` from the input, as one edit; false when it
    /// is not there. The cursor goes where the text was.
    pub fn remove_text(&mut self, text: &str) -> bool {
        if text.is_empty() {
            return false;
        }
        let lines = self.textarea.lines();
        let found = lines
            .iter()
            .enumerate()
            .find_map(|(row, line)| line.find(text).map(|at| (row, line[..at].chars().count())));
        let Some((row, col)) = found else {
            return false;
        };
        let (Ok(row), Ok(col)) = (u16::try_from(row), u16::try_from(col)) else {
            return false;
        };
        self.textarea.move_cursor(CursorMove::Jump(row, col));
        self.textarea.delete_str(text.chars().count());
        self.settle_scroll();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(text: &str) -> InputBox {
        let mut b = InputBox::new();
        b.set_text(text);
        b
    }

    #[test]
    fn the_word_before_the_cursor_is_what_follows_the_last_space() {
        assert_eq!(boxed("look at @src/ma").word_before_cursor(), "@src/ma");
        assert_eq!(boxed("two\n@lines").word_before_cursor(), "@lines");
        assert_eq!(boxed("ends with space ").word_before_cursor(), "");
        assert_eq!(boxed("").word_before_cursor(), "");
        let mut b = boxed("@one two");
        for _ in 0..4 {
            b.textarea.move_cursor(CursorMove::Back);
        }
        assert_eq!(b.word_before_cursor(), "@one");
    }

    #[test]
    fn replacing_the_word_keeps_the_text_around_it() {
        let mut b = boxed("see @ma");
        b.replace_before_cursor(3, "@src/main.rs ");
        assert_eq!(b.text(), "see @src/main.rs ");
        let mut b = boxed("é @ü and more");
        b.textarea.move_cursor(CursorMove::Jump(0, 4));
        b.replace_before_cursor(2, "@über.txt");
        assert_eq!(b.text(), "é @über.txt and more");
        assert_eq!(b.word_before_cursor(), "@über.txt");
    }

    #[test]
    fn text_is_removed_where_it_stands() {
        let mut b = boxed("before /tmp/notes.pdf after");
        assert!(b.remove_text("/tmp/notes.pdf"));
        assert_eq!(b.text(), "before  after");
        assert!(!b.remove_text("/tmp/notes.pdf"));
        assert!(!b.cursor_at_start());
        assert!(boxed("").cursor_at_start());
    }
}
