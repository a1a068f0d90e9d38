//! Streaming is only a faster way to the same screen: the benchmark's answer
//! (`chatterm::mock::workload`) streamed in 8-byte deltas, drawn along the way into one
//! terminal (so the last screen is what the frame-to-frame diffs built), ends on exactly
//! the cells, symbols and styles of the same answer delivered in one piece and drawn once.
//! Checked on every page from the last screen up to the top, before and after the turn
//! ends.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use crate::api::ContentBlock;
use crate::mock::workload;

use crate::tui::app::App;
use crate::tui::test_support::*;

const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;
/// Enough sections for several screens of answer, few enough for a debug build.
const SECTIONS: usize = 40;
/// Draw after every this many deltas: frames land mid-word, mid-fence and mid-list.
const DRAW_EVERY: usize = 13;

/// One frame of `app` into `terminal`, as the run loop draws it.
fn frame(app: &mut App, terminal: &mut Terminal<TestBackend>) {
    app.prepare(Rect::new(0, 0, WIDTH, HEIGHT));
    terminal
        .draw(|f| {
            let area = f.area();
            if let Some(cursor) = app.render(area, f.buffer_mut()) {
                f.set_cursor_position(cursor);
            }
        })
        .unwrap();
}

/// An app and its terminal with the question asked and the answer's text block open.
fn started() -> (App, Terminal<TestBackend>) {
    let mut app = app();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).unwrap();
    start_turn(&mut app, "Write the long answer.", "claude-sonnet-4-6");
    block(&mut app, 0, ContentBlock::text(""));
    frame(&mut app, &mut terminal);
    (app, terminal)
}

/// Page-ups from the bottom to the top of any answer here, with room to spare.
const MAX_PAGES: usize = 100;

/// The screens of both apps, page by page from the bottom up to the top of the
/// conversation (where a page-up changes nothing), then back to the bottom.
fn assert_same_pages(
    streamed: (&mut App, &mut Terminal<TestBackend>),
    whole: (&mut App, &mut Terminal<TestBackend>),
    when: &str,
) {
    let (a, at) = streamed;
    let (b, bt) = whole;
    let mut previous = None;
    let mut pages = 0;
    loop {
        frame(a, at);
        frame(b, bt);
        let (sa, sb) = (at.backend().buffer(), bt.backend().buffer());
        assert!(
            sa == sb,
            "{when}, {pages} page(s) up: the streamed screen differs:\n{}\n---- at once:\n{}",
            rows(sa).join("\n"),
            rows(sb).join("\n")
        );
        if previous.as_ref() == Some(sa) {
            break;
        }
        assert!(pages < MAX_PAGES, "{when}: no top after {MAX_PAGES} pages");
        previous = Some(sa.clone());
        press(a, KeyCode::PageUp);
        press(b, KeyCode::PageUp);
        pages += 1;
    }
    assert!(
        pages > 3,
        "{when}: the answer spans several pages ({pages})"
    );
    for _ in 0..pages {
        press(a, KeyCode::PageDown);
        press(b, KeyCode::PageDown);
    }
}

#[test]
fn an_answer_streamed_in_8_byte_deltas_ends_on_the_screen_drawn_at_once() {
    let answer = workload::answer(SECTIONS);
    let (mut streamed, mut streamed_term) = started();
    for (i, piece) in workload::deltas(&answer, workload::DELTA_BYTES)
        .iter()
        .enumerate()
    {
        text(&mut streamed, 0, piece);
        if i % DRAW_EVERY == 0 {
            frame(&mut streamed, &mut streamed_term);
        }
    }
    let (mut whole, mut whole_term) = started();
    text(&mut whole, 0, &answer);

    frame(&mut streamed, &mut streamed_term);
    let last = rows(streamed_term.backend().buffer()).join("\n");
    assert!(
        last.contains(workload::END_MARKER),
        "the answer's end is on screen:\n{last}"
    );
    assert_same_pages(
        (&mut streamed, &mut streamed_term),
        (&mut whole, &mut whole_term),
        "streaming",
    );
    finish(&mut streamed, vec![ContentBlock::text(answer.clone())]);
    finish(&mut whole, vec![ContentBlock::text(answer)]);
    assert_same_pages(
        (&mut streamed, &mut streamed_term),
        (&mut whole, &mut whole_term),
        "finished",
    );
}
