use super::*;
use crate::tui::render::cells::{Answer, AnswerState, NoticeKind};
use crate::tui::render::stream::StreamingMarkdown;
use crate::tui::test_support::rows;

fn theme() -> Theme {
    Theme::no_color()
}

fn notice(text: &str) -> CellKind {
    CellKind::Notice {
        kind: NoticeKind::Info,
        text: text.into(),
    }
}

/// A pane with `n` one-line notices (each renders as 2 lines with its separator).
fn pane_with(n: usize) -> Conversation {
    let mut pane = Conversation::new();
    for i in 0..n {
        pane.push(notice(&format!("line {i}")));
    }
    pane
}

fn screen(pane: &Conversation, width: u16, height: u16) -> Vec<String> {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    pane.render(area, &mut buf, &theme());
    rows(&buf)
}

#[test]
fn follows_the_end_and_draws_only_the_rows_in_view() {
    let mut pane = pane_with(10);
    pane.prepare(20, 4, &theme(), RenderOptions::default());
    assert_eq!(pane.total_lines(), 20);
    assert_eq!(pane.top(), 16);
    let rows = screen(&pane, 20, 4);
    assert_eq!(rows, ["ℹ line 8", "", "ℹ line 9", ""]);
}

#[test]
fn scrolling_up_stops_following_and_new_output_shows_the_marker() {
    let mut pane = pane_with(10);
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    pane.scroll_up(6);
    assert!(!pane.is_following());
    assert_eq!(pane.top(), 10);
    pane.push(notice("fresh"));
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    assert_eq!(
        pane.top(),
        10,
        "the view stays put while output grows below"
    );
    assert!(pane.has_unseen_output());
    let rows = screen(&pane, 40, 4);
    assert!(rows[3].contains("new output below"), "{rows:?}");
    pane.scroll_to_bottom();
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    assert!(pane.is_following());
    assert!(!pane.has_unseen_output());
    assert_eq!(screen(&pane, 40, 4)[2], "ℹ fresh");
}

#[test]
fn scrolling_down_to_the_end_resumes_following() {
    let mut pane = pane_with(10);
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    pane.page_up();
    assert!(!pane.is_following());
    pane.scroll_down(1000);
    assert!(pane.is_following());
    pane.scroll_to_top();
    assert_eq!(pane.top(), 0);
    assert_eq!(screen(&pane, 40, 4)[0], "ℹ line 0");
}

#[test]
fn only_changed_cells_are_rendered_again() {
    let mut pane = Conversation::new();
    let mut body = StreamingMarkdown::new();
    body.push("hello");
    let first = pane.push(notice("before"));
    let id = pane.push(CellKind::Assistant(Answer {
        model: "m".into(),
        fallback_from: None,
        body,
        state: AnswerState::Streaming,
    }));
    pane.prepare(30, 10, &theme(), RenderOptions::default());
    let before = pane.rendered[0].lines.clone();
    if let Some(cell) = pane.cell_mut(id)
        && let CellKind::Assistant(a) = &mut cell.kind
    {
        a.body.push(" world\nsecond line");
    }
    pane.prepare(30, 10, &theme(), RenderOptions::default());
    assert_eq!(pane.rendered[0].lines, before);
    assert_eq!(pane.rendered[0].revision, 0, "cell {first} was not touched");
    let rows = screen(&pane, 30, 10);
    assert!(rows.contains(&"hello world".to_owned()), "{rows:?}");
    assert!(rows.contains(&"second line".to_owned()), "{rows:?}");
    assert_eq!(pane.total_lines(), pane.offsets[2]);
}

#[test]
fn a_width_change_renders_again_and_keeps_offsets_consistent() {
    let mut pane = pane_with(3);
    pane.push(notice(&"word ".repeat(20)));
    pane.prepare(100, 50, &theme(), RenderOptions::default());
    let wide = pane.total_lines();
    pane.prepare(20, 50, &theme(), RenderOptions::default());
    assert!(pane.total_lines() > wide);
    let sum: usize = pane.rendered.iter().map(|r| r.height()).sum();
    assert_eq!(pane.total_lines(), sum);
}

#[test]
fn thinking_cells_render_again_when_the_toggle_changes() {
    let mut pane = Conversation::new();
    pane.push(CellKind::Thinking {
        text: "first thought\n\nsecond thought".into(),
        done: true,
    });
    pane.prepare(60, 10, &theme(), RenderOptions::default());
    assert_eq!(pane.total_lines(), 2);
    let expanded = RenderOptions {
        thinking_expanded: true,
        ..RenderOptions::default()
    };
    pane.prepare(60, 10, &theme(), expanded);
    assert!(pane.total_lines() > 2);
}

#[test]
fn tiny_and_empty_areas_do_not_panic() {
    let mut pane = pane_with(5);
    for (w, h) in [(0, 0), (1, 1), (1, 0), (0, 5), (3, 2)] {
        pane.prepare(w, h, &theme(), RenderOptions::default());
        let area = Rect::new(0, 0, w as u16, h as u16);
        let mut buf = Buffer::empty(area);
        pane.render(area, &mut buf, &theme());
    }
    pane.clear();
    pane.prepare(10, 3, &theme(), RenderOptions::default());
    assert_eq!(pane.total_lines(), 0);
}

#[test]
fn a_resize_of_a_long_conversation_lays_out_the_view_first_and_the_rest_over_frames() {
    let mut pane = Conversation::new();
    let text = "word ".repeat(400);
    for _ in 0..200 {
        pane.push(notice(&text));
    }
    let opts = RenderOptions::default();
    settle(&mut pane, 100, 10, opts);
    pane.scroll_up(50);
    let before = screen(&pane, 100, 10);
    assert!(
        pane.prepare(60, 10, &theme(), opts),
        "200 x 2 KB is over one frame's budget"
    );
    for i in pane.visible_cells() {
        assert_eq!(
            pane.rendered[i].width, 60,
            "cell {i} in view is laid out now"
        );
    }
    let mut frames = 1;
    while pane.prepare(60, 10, &theme(), opts) {
        frames += 1;
        assert!(frames < 100, "the re-layout never ends");
    }
    assert!(pane.rendered.iter().all(|r| r.width == 60));
    let sum: usize = pane.rendered.iter().map(|r| r.height()).sum();
    assert_eq!(pane.total_lines(), sum);
    assert!(!pane.is_following());
    assert_ne!(
        screen(&pane, 60, 10),
        before,
        "the view shows the new layout"
    );
}

/// Prepares frames until no layout work is left.
fn settle(pane: &mut Conversation, width: usize, height: usize, opts: RenderOptions) {
    let mut frames = 0;
    while pane.prepare(width, height, &theme(), opts) {
        frames += 1;
        assert!(frames < 1000, "the layout never ends");
    }
}

#[test]
fn a_long_session_in_a_fresh_pane_shows_its_end_first_and_lays_out_the_rest_over_frames() {
    let mut pane = Conversation::new();
    let text = "word ".repeat(400);
    for i in 0..200 {
        pane.push(notice(&format!("cell {i} {text}")));
    }
    let opts = RenderOptions::default();
    assert!(
        pane.prepare(60, 10, &theme(), opts),
        "200 x 2 KB is over one frame's budget"
    );
    let view = pane.visible_cells();
    assert!(view.contains(&199), "{view:?}");
    for i in view {
        assert!(pane.rendered[i].valid, "cell {i} in view is laid out now");
    }
    assert!(
        pane.rendered.iter().any(|r| !r.valid),
        "cells out of view wait"
    );
    let rows = screen(&pane, 60, 10);
    assert_eq!(
        rows[9], "",
        "the last cell's separator ends the view: {rows:?}"
    );
    assert!(rows[8].ends_with("word"), "{rows:?}");
    // Jumping to the top before the layout is done shows the first cell, laid out.
    pane.scroll_to_top();
    pane.prepare(60, 10, &theme(), opts);
    assert!(screen(&pane, 60, 10)[0].starts_with("ℹ cell 0 word"));
    settle(&mut pane, 60, 10, opts);
    assert!(pane.rendered.iter().all(|r| r.valid && r.width == 60));
    let sum: usize = pane.rendered.iter().map(|r| r.height()).sum();
    assert_eq!(pane.total_lines(), sum);
    assert_eq!(pane.top(), 0, "the view stayed at the top");
}

#[test]
fn the_marker_is_for_new_output_below_only_and_takes_a_row_of_its_own() {
    let mut pane = pane_with(10);
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    pane.scroll_up(6);
    // A change to a cell in view is not new output below.
    let in_view = pane.cells()[5].id;
    pane.cell_mut(in_view).unwrap();
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    assert!(!pane.has_unseen_output());
    let before = screen(&pane, 40, 4);
    pane.push(notice("fresh"));
    pane.prepare(40, 4, &theme(), RenderOptions::default());
    let rows = screen(&pane, 40, 4);
    assert!(rows[3].contains("new output below"), "{rows:?}");
    // The text above it is the text that was there; none is drawn under the marker.
    assert_eq!(rows[..3], before[..3]);
    assert!(!rows[3].contains("line"), "{rows:?}");
}
