use std::cell::RefCell;
use std::rc::Rc;

use ratatui::text::Line;

use super::*;

/// A writer the test reads back.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Just enough of a terminal to read back what the backend wrote: cursor moves (`H`),
/// scroll regions (`r`), scrolling (`S`, `T`) and printed characters; styles are ignored.
struct Screen {
    rows: Vec<Vec<char>>,
    x: usize,
    y: usize,
    top: usize,
    bottom: usize,
}

impl Screen {
    fn new(width: usize, height: usize) -> Self {
        Screen {
            rows: vec![vec![' '; width]; height],
            x: 0,
            y: 0,
            top: 0,
            bottom: height,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\x1b' {
                self.rows[self.y][self.x] = c;
                self.x += 1;
                continue;
            }
            assert_eq!(chars.next(), Some('['), "only CSI sequences are expected");
            let mut params = String::new();
            let end = loop {
                let c = chars.next().unwrap();
                if c.is_ascii_alphabetic() {
                    break c;
                }
                params.push(c);
            };
            let nums: Vec<usize> = params
                .split(';')
                .filter_map(|p| p.trim_start_matches('?').parse().ok())
                .collect();
            self.csi(end, &nums);
        }
    }

    fn csi(&mut self, end: char, nums: &[usize]) {
        let width = self.rows[0].len();
        match end {
            'H' => (self.y, self.x) = (nums[0] - 1, nums[1] - 1),
            'r' if nums.is_empty() => (self.top, self.bottom) = (0, self.rows.len()),
            'r' => {
                (self.top, self.bottom) = (nums[0] - 1, nums[1]);
                (self.x, self.y) = (0, 0);
            }
            'S' => {
                for _ in 0..nums[0] {
                    self.rows.remove(self.top);
                    self.rows.insert(self.bottom - 1, vec![' '; width]);
                }
            }
            'T' => {
                for _ in 0..nums[0] {
                    self.rows.remove(self.bottom - 1);
                    self.rows.insert(self.top, vec![' '; width]);
                }
            }
            _ => {}
        }
    }

    fn text(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.iter().collect()).collect()
    }
}

const W: u16 = 30;
const H: u16 = 10;

/// A backend writing into a shared byte vector, and its region: rows 1..8, columns 0..20
/// (a one-row header, a sidebar at 20..30, two rows below).
fn terminal() -> (ScrollingBackend<Shared>, Shared) {
    let out = Shared::default();
    let mut backend = ScrollingBackend::new(out.clone());
    backend.blank(Size::new(W, H));
    backend.set_region(Some(Rect::new(0, 1, 20, 7)));
    (backend, out)
}

/// Draws the frame: a header, lines `first..` of a numbered text in the region, a
/// sidebar and a footer. Returns the bytes written for it.
fn draw((backend, out): &mut (ScrollingBackend<Shared>, Shared), first: usize) -> Vec<u8> {
    let area = Rect::new(0, 0, W, H);
    backend.next.reset();
    let buf = &mut backend.next;
    buf.set_line(0, 0, &Line::from("header"), W);
    for row in 0..7u16 {
        let n = first + usize::from(row);
        // Neighbouring lines differ in most columns, as prose does.
        let words: String = "abcdefghijklmnopq"
            .chars()
            .cycle()
            .skip(n * 5)
            .take(15)
            .collect();
        buf.set_line(0, row + 1, &Line::from(format!("{n:>3} {words}")), 20);
        let side = if row % 2 == 0 { "side" } else { "" };
        buf.set_line(20, row + 1, &Line::from(side), 10);
    }
    buf.set_line(0, 8, &Line::from(format!("input {first}")), W);
    buf.set_line(0, 9, &Line::from("status"), W);
    assert_eq!(buf.area, area);
    backend.present(Some(Position::new(6, 8))).unwrap();
    std::mem::take(&mut *out.0.borrow_mut())
}

/// What the terminal should show: the frame's symbols.
fn expected((backend, _): &(ScrollingBackend<Shared>, Shared)) -> Vec<String> {
    let buf = &backend.screen;
    (0..H)
        .map(|y| (0..W).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn a_following_view_scrolls_and_writes_only_new_rows() {
    let mut terminal = terminal();
    let mut screen = Screen::new(usize::from(W), usize::from(H));
    let first = draw(&mut terminal, 0);
    screen.feed(&first);
    assert_eq!(screen.text(), expected(&terminal));
    let mut scrolled = 0;
    for (frame, first_line) in [1, 2, 4, 7, 7, 3, 0, 20].into_iter().enumerate() {
        let bytes = draw(&mut terminal, first_line);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if text.contains('S') && text.contains("r\x1b[") {
            scrolled += 1;
        }
        screen.feed(&bytes);
        assert_eq!(
            screen.text(),
            expected(&terminal),
            "frame {frame}: {text:?}"
        );
    }
    assert!(scrolled >= 3, "{scrolled} frames scrolled");
}

#[test]
fn scrolling_writes_fewer_bytes_than_rewriting() {
    let mut terminal = terminal();
    draw(&mut terminal, 0);
    let scrolled = draw(&mut terminal, 1).len();
    terminal.0.set_region(None);
    let rewritten = draw(&mut terminal, 2).len();
    assert!(
        // The sidebar's rows are written again either way here.
        scrolled * 3 < rewritten * 2,
        "{scrolled} bytes scrolling, {rewritten} without"
    );
}

#[test]
fn the_cursor_is_shown_and_hidden_only_when_that_changes() {
    let mut terminal = terminal();
    let first = String::from_utf8(draw(&mut terminal, 0)).unwrap();
    assert!(first.contains("\x1b[?25h"), "{first:?}");
    let again = String::from_utf8(draw(&mut terminal, 0)).unwrap();
    assert!(!again.contains("\x1b[?25"), "{again:?}");
    terminal.0.present(None).unwrap();
    let hidden = std::mem::take(&mut *terminal.1.0.borrow_mut());
    assert!(String::from_utf8(hidden).unwrap().contains("\x1b[?25l"));
}

#[test]
fn moved_rows_come_from_their_old_place_or_are_blank() {
    let up = Moved {
        top: 1,
        bottom: 4,
        shift: 1,
    };
    let sources: Vec<_> = (0..5).map(|y| up.source(y)).collect();
    assert_eq!(sources, [Some(0), Some(2), Some(3), None, Some(4)]);
    let down = Moved {
        top: 0,
        bottom: 3,
        shift: -2,
    };
    let sources: Vec<_> = (0..4).map(|y| down.source(y)).collect();
    assert_eq!(sources, [None, None, Some(0), Some(3)]);
}

#[test]
fn wide_characters_are_written_once_and_what_they_covered_again() {
    let screen = Buffer::with_lines(["ab コ", "abcd"]);
    let next = Buffer::with_lines(["aコ d", "abcd"]);
    let written: Vec<_> = diff(&screen, &next, Moved::NONE)
        .into_iter()
        .map(|(x, y, c)| (x, y, c.symbol().to_owned()))
        .collect();
    // "コ" over "b ", then " " and "d" over the old "コ" (its cells were covered).
    assert_eq!(
        written,
        [(1, 0, "コ".into()), (3, 0, " ".into()), (4, 0, "d".into())]
    );
}

#[test]
fn the_shift_is_the_one_most_rows_moved_by() {
    assert_eq!(best_shift(&[1, 2, 3, 4, 5], &[2, 3, 4, 5, 9]), Some(1));
    assert_eq!(best_shift(&[1, 2, 3, 4, 5], &[8, 9, 1, 2, 3]), Some(-2));
    // Nothing moved, everything changed, or too little gained.
    assert_eq!(best_shift(&[1, 2, 3, 4, 5], &[1, 2, 3, 4, 5]), None);
    assert_eq!(best_shift(&[1, 2, 3, 4, 5], &[6, 7, 8, 9, 10]), None);
    assert_eq!(best_shift(&[1, 2, 3, 4, 5], &[2, 7, 8, 9, 10]), None);
}
