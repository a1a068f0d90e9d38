use super::*;
use crate::tui::test_support::{dark, rows};

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn plain(code: KeyCode) -> KeyEvent {
    key(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn typed(text: &str) -> InputBox {
    let mut input = InputBox::new();
    type_str(&mut input, text);
    input
}

fn type_str(input: &mut InputBox, text: &str) {
    for c in text.chars() {
        if c == '\n' {
            input.insert_newline();
        } else {
            assert!(input.handle_key(&plain(KeyCode::Char(c))), "{c:?}");
        }
    }
}

/// Renders at `width` with the height the box asks for; returns the buffer and the area.
fn draw(input: &InputBox, width: u16, focused: bool) -> (Buffer, Rect) {
    let area = Rect::new(0, 0, width, input.height(width));
    let mut buf = Buffer::empty(area);
    input.render(area, &mut buf, &dark(), focused);
    (buf, area)
}

fn sent(entries: &[&str]) -> InputBox {
    let mut input = InputBox::new();
    for e in entries {
        input.set_text(e);
        assert_eq!(input.submit().as_deref(), Some(*e));
    }
    input
}

#[test]
fn new_box_is_empty() {
    let input = InputBox::new();
    assert!(input.is_empty());
    assert_eq!(input.text(), "");
    assert!(input.history().is_empty());
    assert!(input.cursor_on_first_line() && input.cursor_on_last_line());
}

#[test]
fn typing_and_newlines_build_text() {
    let input = typed("hello\nworld");
    assert_eq!(input.text(), "hello\nworld");
    assert!(!input.is_empty());
    assert!(!typed(" ").is_empty(), "whitespace is content");
}

#[test]
fn enter_is_left_to_the_app() {
    let mut input = typed("hi");
    for k in [
        plain(KeyCode::Enter),
        key(KeyCode::Enter, KeyModifiers::SHIFT),
        ctrl('j'),
        ctrl('m'),
        plain(KeyCode::Char('\r')),
        plain(KeyCode::Char('\n')),
    ] {
        assert!(!input.handle_key(&k), "{k:?}");
    }
    assert_eq!(input.text(), "hi");
}

#[test]
fn editing_keys() {
    let mut input = typed("one two three");
    assert!(input.handle_key(&ctrl('w')));
    assert_eq!(input.text(), "one two ");
    assert!(input.handle_key(&ctrl('a')));
    assert_eq!(input.textarea.cursor(), (0, 0));
    assert!(input.handle_key(&plain(KeyCode::Delete)));
    assert_eq!(input.text(), "ne two ");
    assert!(input.handle_key(&ctrl('e')));
    assert!(input.handle_key(&plain(KeyCode::Backspace)));
    assert_eq!(input.text(), "ne two");
    assert!(input.handle_key(&plain(KeyCode::Left)));
    assert!(input.handle_key(&plain(KeyCode::Left)));
    assert!(input.handle_key(&ctrl('k')));
    assert_eq!(input.text(), "ne t");
    assert!(input.handle_key(&ctrl('u')));
    assert_eq!(input.text(), "");
    // Nothing left to delete or move over: no change reported.
    assert!(!input.handle_key(&plain(KeyCode::Backspace)));
    assert!(!input.handle_key(&plain(KeyCode::Left)));
}

#[test]
fn word_moves_and_tab() {
    let mut input = typed("alpha beta");
    assert!(input.handle_key(&key(KeyCode::Left, KeyModifiers::CONTROL)));
    assert_eq!(input.textarea.cursor(), (0, 6));
    assert!(input.handle_key(&key(KeyCode::Char('b'), KeyModifiers::ALT)));
    assert_eq!(input.textarea.cursor(), (0, 0));
    assert!(input.handle_key(&key(KeyCode::Char('d'), KeyModifiers::ALT)));
    assert_eq!(input.text(), " beta");
    assert!(input.handle_key(&plain(KeyCode::Tab)));
    assert_eq!(
        input.text(),
        "     beta",
        "Tab inserts spaces to the next stop"
    );
}

#[test]
fn control_chars_and_unbound_keys_are_ignored() {
    let mut input = typed("x");
    for k in [
        plain(KeyCode::Char('\u{1b}')),
        plain(KeyCode::Char('\u{7}')),
        plain(KeyCode::F(5)),
        plain(KeyCode::Esc),
        ctrl('q'),
        key(
            KeyCode::Char('x'),
            KeyModifiers::CONTROL | KeyModifiers::ALT,
        ),
    ] {
        assert!(!input.handle_key(&k), "{k:?}");
    }
    let mut release = plain(KeyCode::Char('y'));
    release.kind = KeyEventKind::Release;
    assert!(!input.handle_key(&release));
    assert_eq!(input.text(), "x");
    // AltGr, as Windows reports it.
    assert!(input.handle_key(&key(
        KeyCode::Char('@'),
        KeyModifiers::CONTROL | KeyModifiers::ALT
    )));
    assert!(input.handle_key(&key(KeyCode::Char('A'), KeyModifiers::SHIFT)));
    assert_eq!(input.text(), "x@A");
}

#[test]
fn undo_and_redo() {
    let mut input = typed("abc");
    assert!(input.handle_key(&ctrl('z')));
    assert_eq!(input.text(), "ab");
    let redo = key(
        KeyCode::Char('Z'),
        KeyModifiers::CONTROL | KeyModifiers::SHIFT,
    );
    assert!(input.handle_key(&redo));
    assert_eq!(input.text(), "abc");
    input.clear();
    assert!(input.is_empty());
    assert!(input.handle_key(&ctrl('z')), "clear is undoable");
    assert_eq!(input.text(), "abc");
}

#[test]
fn set_text_puts_the_cursor_at_the_end_and_resets_undo() {
    let mut input = typed("draft");
    input.set_text("line one\nline two");
    assert_eq!(input.text(), "line one\nline two");
    assert_eq!(input.textarea.cursor(), (1, 8));
    assert!(!input.handle_key(&ctrl('z')));
    assert_eq!(input.text(), "line one\nline two");
}

#[test]
fn paste_normalises_line_endings_and_tabs() {
    let mut input = InputBox::new();
    input.paste("a\r\nb\rc\nd\te");
    assert_eq!(input.text(), "a\nb\nc\nd    e");
    assert_eq!(input.textarea.cursor(), (3, 6));
}

#[test]
fn paste_strips_escape_sequences_and_controls() {
    let mut input = typed(">");
    input.paste(
        "\x1b[31mred\x1b[0m \x1b]0;title\x07ok\x1b]52;c;ZWNobw==\x07\u{7}\u{0}\u{9b}2J!\u{202e}",
    );
    assert_eq!(input.text(), ">red ok!");
    input.set_text("set\x1b[1m\r\ntext");
    assert_eq!(input.text(), "set\ntext");
}

#[test]
fn huge_paste_is_one_undo_step() {
    let line = "x".repeat(99);
    let text = vec![line; 1000].join("\n");
    assert_eq!(text.chars().count(), 99_999);
    let mut input = typed("before ");
    input.paste(&text);
    assert_eq!(input.text(), format!("before {text}"));
    assert_eq!(input.textarea.cursor(), (999, 99));
    assert!(input.handle_key(&ctrl('z')));
    assert_eq!(input.text(), "before ");
    // The typed text is still there, one keystroke per undo.
    assert!(input.handle_key(&ctrl('z')));
    assert_eq!(input.text(), "before");
}

#[test]
fn submit_takes_non_blank_text() {
    let mut input = typed("  \n ");
    assert_eq!(input.submit(), None);
    assert_eq!(input.text(), "  \n ", "blank input is left alone");
    assert!(input.history().is_empty());

    input.set_text("hello\nthere");
    assert_eq!(input.submit().as_deref(), Some("hello\nthere"));
    assert!(input.is_empty());
    assert_eq!(input.history(), ["hello\nthere"]);
    assert!(
        !input.handle_key(&ctrl('z')),
        "nothing to undo after sending"
    );
}

#[test]
fn history_skips_consecutive_duplicates() {
    let input = sent(&["a", "b", "b", "a", "a"]);
    assert_eq!(input.history(), ["a", "b", "a"]);
}

#[test]
fn history_is_capped() {
    let mut input = InputBox::new();
    for i in 0..HISTORY_CAP + 5 {
        input.set_text(&i.to_string());
        input.submit();
    }
    assert_eq!(input.history().len(), HISTORY_CAP);
    assert_eq!(input.history()[0], "5");
    assert_eq!(
        input.history().last().unwrap(),
        &(HISTORY_CAP + 4).to_string()
    );

    input.set_history((0..HISTORY_CAP + 2).map(|i| i.to_string()).collect());
    assert_eq!(input.history().len(), HISTORY_CAP);
    assert_eq!(input.history()[0], "2");
}

#[test]
fn history_walks_back_and_restores_the_draft() {
    let mut input = sent(&["first", "second", "third"]);
    type_str(&mut input, "my draft");

    assert!(input.history_prev());
    assert_eq!(input.text(), "third");
    assert!(input.history_prev());
    assert_eq!(input.text(), "second");
    assert!(input.history_prev());
    assert_eq!(input.text(), "first");
    assert!(!input.history_prev(), "no older entry");
    assert_eq!(input.text(), "first");

    assert!(input.history_next());
    assert_eq!(input.text(), "second");
    assert!(input.history_next());
    assert_eq!(input.text(), "third");
    assert!(input.history_next());
    assert_eq!(input.text(), "my draft");
    assert_eq!(input.textarea.cursor(), (0, 8));
    assert!(!input.history_next(), "not browsing any more");
    assert_eq!(input.text(), "my draft");
}

#[test]
fn history_with_an_empty_draft_and_edits_to_entries() {
    let mut input = sent(&["one", "two"]);
    assert!(!input.history_next());
    assert!(input.history_prev());
    type_str(&mut input, "!");
    assert_eq!(input.text(), "two!");
    assert!(input.history_prev());
    assert_eq!(input.text(), "one");
    assert!(input.history_next());
    assert_eq!(
        input.text(),
        "two",
        "edits to a recalled entry are not kept"
    );
    assert!(input.history_next());
    assert!(input.is_empty());

    // Sending a recalled entry moves it to the end (no duplicate when it is the newest).
    assert!(input.history_prev());
    assert!(input.history_prev());
    assert_eq!(input.submit().as_deref(), Some("one"));
    assert_eq!(input.history(), ["one", "two", "one"]);
    assert!(input.history_prev());
    assert_eq!(input.text(), "one", "browsing starts again from the newest");
}

#[test]
fn empty_history_does_nothing() {
    let mut input = typed("text");
    assert!(!input.history_prev());
    assert!(!input.history_next());
    assert_eq!(input.text(), "text");
}

#[test]
fn set_history_replaces_entries() {
    let mut input = typed("draft");
    input.set_history(vec!["old".into(), "older".into()]);
    assert_eq!(input.history(), ["old", "older"]);
    assert!(input.history_prev());
    assert_eq!(input.text(), "older");
    assert!(input.history_next());
    assert_eq!(input.text(), "draft");
}

#[test]
fn first_and_last_line() {
    let mut input = typed("a\nb\nc");
    assert!(!input.cursor_on_first_line());
    assert!(input.cursor_on_last_line());
    input.handle_key(&plain(KeyCode::Up));
    assert!(!input.cursor_on_first_line() && !input.cursor_on_last_line());
    input.handle_key(&plain(KeyCode::Up));
    assert!(input.cursor_on_first_line() && !input.cursor_on_last_line());
}

#[test]
fn first_and_last_line_follow_wrapped_rows() {
    // One line, drawn as four rows at width 10: "abcde " three times, then "abcde a".
    let mut input = typed(&"abcde ".repeat(5)[..25]);
    draw(&input, 10, true);
    assert!(input.cursor_on_last_line() && !input.cursor_on_first_line());
    let mut ups = 0;
    while !input.cursor_on_first_line() {
        assert!(input.handle_key(&plain(KeyCode::Up)));
        assert!(!input.cursor_on_last_line());
        ups += 1;
    }
    assert_eq!(ups, 3);
    assert_eq!(input.textarea.cursor().0, 0);
}

#[test]
fn height_counts_lines_and_clamps() {
    let width = 40;
    assert_eq!(InputBox::new().height(width), 2, "border and one row");
    assert_eq!(typed("one").height(width), 2);
    assert_eq!(typed("1\n2\n3").height(width), 4);
    let mut input = InputBox::new();
    input.set_text(&["line"; 10].join("\n"));
    assert_eq!(input.height(width), 11);
    input.set_text(&vec!["line"; 500].join("\n"));
    assert_eq!(input.height(width), 1 + MAX_TEXT_ROWS);
    input.set_text("\n\n");
    assert_eq!(input.height(width), 4, "empty lines take a row each");
}

#[test]
fn height_follows_wrapping() {
    let mut input = InputBox::new();
    input.set_text(&"x".repeat(40));
    assert_eq!(input.height(40), 2, "exactly full: one row");
    assert_eq!(input.height(39), 3);
    assert_eq!(input.height(10), 5);
    input.set_text(&"x".repeat(100_000));
    assert_eq!(input.height(80), 1 + MAX_TEXT_ROWS);
    // Wide characters: two cells each, never split.
    input.set_text("漢字漢字漢");
    assert_eq!(input.height(4), 4);
    assert_eq!(input.height(5), 4);
    assert_eq!(
        input.height(1),
        6,
        "a character wider than the row sits alone"
    );
    // A combining mark stays with its letter.
    input.set_text("e\u{301}e\u{301}");
    assert_eq!(input.height(1), 3);
    assert!(input.height(0) >= 2, "no panic at width 0");
    // Words are not split while they fit a row.
    input.set_text("aaa bbb ccc");
    assert_eq!(input.height(8), 3, "aaa bbb / ccc");
    assert_eq!(input.height(5), 4, "aaa / bbb / ccc");
}

/// The rows `height` counts are the rows the textarea draws, for assorted text and widths.
#[test]
fn height_agrees_with_drawing() {
    let texts = [
        "The quick brown fox jumps over the lazy dog, twice over and then some more.",
        "short\n\nwith an empty line and then a much longer one that wraps around",
        "混合中文字符和ASCIIabc来验证 wide characters at the edge 犬猫",
        "combining e\u{301} and emoji 🦀🦀🦀 and flags 🇫🇷🇩🇪 in a row",
    ];
    for text in texts {
        for width in [3u16, 7, 10, 13, 20, 33, 80] {
            let mut input = InputBox::new();
            input.set_text(text);
            input.set_text(&format!("{}X", input.text()));
            // Draw tall enough for everything; the last drawn row holds the final X.
            let area = Rect::new(0, 0, width, 40);
            let mut buf = Buffer::empty(area);
            input.render(area, &mut buf, &dark(), true);
            let drawn = rows(&buf);
            let last = drawn.iter().rposition(|r| r.ends_with('X')).unwrap();
            let expected = u16::try_from(last).unwrap().min(MAX_TEXT_ROWS) + 1;
            assert_eq!(input.height(width), expected, "{text:?} at {width}");
        }
    }
}

#[test]
fn cursor_position_tracks_the_cursor() {
    let area = Rect::new(2, 5, 20, 4);
    let mut input = InputBox::new();
    let mut buf = Buffer::empty(area);
    input.render(area, &mut buf, &dark(), true);
    assert_eq!(input.cursor_position(area), Some(Position::new(2, 6)));

    type_str(&mut input, "ab\ncd");
    input.render(area, &mut buf, &dark(), true);
    assert_eq!(input.cursor_position(area), Some(Position::new(4, 7)));

    // A full row puts the cursor on the last column, not past the edge.
    input.set_text(&"y".repeat(20));
    input.render(area, &mut buf, &dark(), true);
    assert_eq!(input.cursor_position(area), Some(Position::new(21, 6)));

    assert_eq!(input.cursor_position(Rect::new(0, 0, 20, 1)), None);
}

#[test]
fn cursor_stays_visible_when_text_scrolls() {
    let mut input = InputBox::new();
    input.set_text(
        &(1..=30)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let (buf, area) = draw(&input, 20, true);
    assert_eq!(area.height, 1 + MAX_TEXT_ROWS);
    let shown = rows(&buf);
    assert_eq!(shown[1], "21");
    assert_eq!(shown[10], "30");
    assert_eq!(input.cursor_position(area), Some(Position::new(2, 10)));
    // Scrolled to the top, the cursor is back on the first text row.
    input.handle_key(&key(KeyCode::Home, KeyModifiers::CONTROL));
    let mut buf = Buffer::empty(area);
    input.render(area, &mut buf, &dark(), true);
    assert_eq!(rows(&buf)[1], "1");
    assert_eq!(input.cursor_position(area), Some(Position::new(1, 1)));
}

#[test]
fn no_blank_rows_after_the_text_shrinks() {
    let mut input = typed("abc\nde\nf");
    input.paste(&vec!["pasted"; 30].join("\n"));
    let (buf, _) = draw(&input, 20, true);
    assert_eq!(rows(&buf)[10], "pasted");
    assert!(input.handle_key(&ctrl('z')));
    assert_eq!(input.text(), "abc\nde\nf");
    let (buf, area) = draw(&input, 20, true);
    assert_eq!(rows(&buf)[1..], ["abc", "de", "f"]);
    assert_eq!(input.cursor_position(area), Some(Position::new(1, 3)));

    // Deleting lines from the bottom of a long text pulls the view back too.
    input.set_text(&vec!["line"; 15].join("\n"));
    draw(&input, 20, true);
    for _ in 0..5 * 8 {
        input.handle_key(&plain(KeyCode::Backspace));
    }
    assert_eq!(input.text().lines().count(), 7);
    let (buf, area) = draw(&input, 20, true);
    assert_eq!(area.height, 8);
    assert!(
        rows(&buf)[1..].iter().all(|r| r.starts_with("line")),
        "{:?}",
        rows(&buf)
    );
    // The cursor was at the end of the last line, and still is.
    assert_eq!(input.textarea.cursor(), (6, 4));
}

#[test]
fn settling_keeps_a_cursor_at_the_end_of_a_full_row() {
    let mut input = InputBox::new();
    input.set_text(&format!("{}\n{}", vec!["l"; 14].join("\n"), "w".repeat(20)));
    draw(&input, 20, true);
    // Shorten the text above the cursor, which stays just past the full last row.
    input.textarea.move_cursor(CursorMove::Top);
    for _ in 0..8 {
        input.handle_key(&ctrl('k'));
        input.handle_key(&plain(KeyCode::Delete));
    }
    input.textarea.move_cursor(CursorMove::Bottom);
    input.textarea.move_cursor(CursorMove::End);
    let (_, area) = draw(&input, 20, true);
    input.handle_key(&plain(KeyCode::Delete));
    assert_eq!(input.textarea.cursor(), (6, 20));
    assert_eq!(input.cursor_position(area), Some(Position::new(19, 7)));
}

#[test]
fn a_squeezed_box_keeps_the_cursor_in_view() {
    let mut input = InputBox::new();
    input.set_text("1\n2\n3\n4\n5");
    assert_eq!(input.height(20), 6);
    let area = Rect::new(0, 0, 20, 3);
    let mut buf = Buffer::empty(area);
    input.render(area, &mut buf, &dark(), true);
    assert_eq!(rows(&buf), ["────────────────────", "4", "5"]);
    assert_eq!(input.cursor_position(area), Some(Position::new(1, 2)));
}

#[test]
fn render_styles_by_role() {
    let theme = dark();
    let (buf, _) = draw(&InputBox::new(), 80, true);
    assert_eq!(buf[(0, 0)].style().fg, theme.style(Role::BorderFocused).fg);
    assert_eq!(buf[(1, 1)].style().fg, theme.style(Role::Dim).fg);
    let (buf, _) = draw(&typed("hi"), 80, false);
    assert_eq!(buf[(0, 0)].style().fg, theme.style(Role::Border).fg);
    assert_eq!(buf[(0, 1)].style().fg, theme.style(Role::UserText).fg);
}

fn snap(name: &str, input: &InputBox) {
    for width in [80, 40] {
        let (buf, _) = draw(input, width, true);
        insta::assert_snapshot!(format!("{name}_{width}"), rows(&buf).join("\n"));
    }
}

#[test]
fn snapshot_empty_with_placeholder() {
    snap("empty", &InputBox::new());
}

#[test]
fn snapshot_multi_line() {
    let mut input = InputBox::new();
    input.set_text(
        "Can you review this function?\n\
         \n\
         It parses the config file, and when a key is unknown it should say which \
         file and line the key is on rather than just failing.\n\
         Thanks!",
    );
    snap("multi_line", &input);
}
