//! The TUI's hot paths, with the targets of the TUI issue:
//!
//! - `frame/5000_messages_200x60`: one frame (prepare + render into a buffer) of a
//!   5,000-message conversation of about 2 MB of markdown at 200x60, caches warm.
//!   Target: under 1 ms. `frame/5000_messages_draw` adds ratatui's diff through a
//!   TestBackend, which is what a real terminal frame costs before the bytes are written.
//! - `frame/first_frame_cold`: building the app and drawing its first frame, the in-process
//!   part of the 50 ms start-up target.
//! - `stream/5000_deltas_per_second`: one simulated second of a 5,000 deltas/s stream
//!   through the real update handling, frame scheduler and drawing, on tokio's paused clock,
//!   so the measured time is pure CPU. Checked on every run: at most 60 frames were drawn
//!   and the last frame shows every delta. The time must stay well under one second for
//!   the app to keep up.
//!
//! The TUI is a module of the binary, so the bench compiles it from its source.

#![allow(clippy::unwrap_used, dead_code)]
// Clippy builds benches with cfg(test) too, which compiles the TUI's test modules without
// running them as tests; their test-only imports are then unused.
#![cfg_attr(test, allow(unused))]

#[path = "../src/tui/mod.rs"]
mod tui;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::time::Instant;

use chatterm::api::{ContentBlock, MessageResponse, Role, StopReason, Usage};
use chatterm::config::Tier;
use chatterm::engine::{TurnId, TurnStats, Update};
use tui::app::{App, AppOptions};
use tui::frame::FrameScheduler;
use tui::keymap::Keymap;
use tui::theme::Theme;

fn new_app() -> App {
    App::new(AppOptions {
        theme: Theme::load("dark").unwrap(),
        keymap: Keymap::defaults(),
        tier: Some(Tier::Balanced),
        auto: false,
        model: "claude-sonnet-4-6".into(),
        models: Vec::new(),
        sidebar: true,
        mouse_capture: true,
        cost: Default::default(),
    })
}

/// A ~750-byte markdown answer: prose, a list, inline code and a fenced block.
fn reply(i: usize) -> String {
    format!(
        "Answer {i}: here is **what you asked** about, with `inline code` and a \
         [link](https://example.com/{i}).\n\n\
         - the first point, long enough that it wraps on a narrow screen but not on a wide one\n\
         - the second point with *emphasis*\n\n\
         ```rust\nfn answer_{i}() -> usize {{\n    let v: Vec<usize> = (0..{i}).collect();\n    \
         v.iter().sum()\n}}\n```\n\n\
         A closing paragraph that says a little more, so that the message has the length of a \
         typical answer in a long session, where most answers run to a few paragraphs of text \
         and a short example or two. Nothing in it is special; it is just text to lay out.\n\n\
         > A quoted remark closes the answer, long enough to wrap once or twice on a narrow \
         screen, with one more `code span` in it for good measure.\n"
    )
}

fn update(app: &mut App, update: Update) {
    app.on_update(update, Instant::now());
}

/// One question and its streamed, finished answer.
fn exchange(app: &mut App, turn: u64, question: String, answer: &str) {
    let turn = TurnId(turn);
    app.send_message(question);
    app.take_effects();
    let model = "claude-sonnet-4-6".to_owned();
    update(
        app,
        Update::TurnStarted {
            turn,
            tier: Some(Tier::Balanced),
            model: model.clone(),
        },
    );
    let block = ContentBlock::text("");
    update(
        app,
        Update::BlockStarted {
            turn,
            index: 0,
            block,
        },
    );
    update(
        app,
        Update::TextDelta {
            turn,
            index: 0,
            text: answer.to_owned(),
        },
    );
    let block = ContentBlock::text(answer);
    update(
        app,
        Update::BlockFinished {
            turn,
            index: 0,
            block: block.clone(),
        },
    );
    let message = MessageResponse {
        id: format!("msg_{}", turn.0),
        model,
        role: Role::Assistant,
        content: vec![block],
        stop_reason: Some(StopReason::EndTurn),
        stop_sequence: None,
        usage: Usage::default(),
        extra: Default::default(),
    };
    let stats = TurnStats::default();
    update(
        app,
        Update::TurnFinished {
            turn,
            message,
            stats,
        },
    );
}

fn long_conversation() -> App {
    let mut app = new_app();
    let mut bytes = 0;
    for i in 0..2_500 {
        let question = format!("Question number {i}: could you explain the next part, please?");
        let answer = reply(i);
        bytes += question.len() + answer.len();
        exchange(&mut app, i as u64 + 1, question, &answer);
    }
    eprintln!(
        "conversation: 5,000 messages, {:.2} MB of text",
        bytes as f64 / 1e6
    );
    app
}

/// A resize re-lays out the conversation over several frames (stale cells a budget per
/// frame, the view first); reported, not a target: the longest frame and the frame count.
fn report_resize(app: &mut App, screen: Rect) {
    let narrower = Rect::new(0, 0, 150, 60);
    let mut frames = 0;
    let mut longest = Duration::ZERO;
    for area in [narrower, screen] {
        loop {
            let start = std::time::Instant::now();
            let more = app.prepare(area);
            longest = longest.max(start.elapsed());
            frames += 1;
            if !more {
                break;
            }
        }
    }
    eprintln!("two resizes of 5,000 messages: {frames} frames, the longest {longest:?}");
}

fn frame(c: &mut Criterion) {
    let mut app = long_conversation();
    let screen = Rect::new(0, 0, 200, 60);
    let mut buf = Buffer::empty(screen);
    // Warm: the first prepare renders every cell once at this width.
    app.prepare(screen);
    report_resize(&mut app, screen);
    let mut group = c.benchmark_group("frame");
    group.bench_function("5000_messages_200x60", |b| {
        b.iter(|| {
            app.prepare(screen);
            buf.reset();
            black_box(app.render(screen, &mut buf));
        })
    });
    // Start-up: everything the app does before its first frame reaches the terminal
    // (theme, keymap, state, layout, drawing). Syntect is not touched: its sets load after.
    group.bench_function("first_frame_cold", |b| {
        b.iter(|| {
            let mut app = new_app();
            let mut buf = Buffer::empty(screen);
            app.prepare(screen);
            black_box(app.render(screen, &mut buf));
        })
    });
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    group.bench_function("5000_messages_draw", |b| {
        b.iter(|| {
            app.prepare(screen);
            terminal
                .draw(|f| {
                    let area = f.area();
                    black_box(app.render(area, f.buffer_mut()));
                })
                .unwrap();
        })
    });
    group.finish();
}

const DELTAS: usize = 5_000;

/// One simulated second of a 5,000 deltas/s stream. Returns (frames drawn, last screen).
async fn stream_second() -> (usize, String) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let producer = tokio::spawn(async move {
        let turn = TurnId(1);
        let model = "claude-sonnet-4-6".to_owned();
        tx.send(Update::TurnStarted {
            turn,
            tier: None,
            model,
        })
        .unwrap();
        let block = ContentBlock::text("");
        tx.send(Update::BlockStarted {
            turn,
            index: 0,
            block,
        })
        .unwrap();
        let mut tick = tokio::time::interval(Duration::from_secs(1) / DELTAS as u32);
        for i in 0..DELTAS {
            tick.tick().await;
            // Words, with a line break now and then, as a model streams them.
            let text = if i % 12 == 11 {
                format!("w{i}\n")
            } else {
                format!("w{i} ")
            };
            tx.send(Update::TextDelta {
                turn,
                index: 0,
                text,
            })
            .unwrap();
        }
    });
    let mut app = new_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut frames = FrameScheduler::new();
    let mut drawn = 0;
    let mut open = true;
    while open || frames.is_pending() {
        tokio::select! {
            biased;
            update = rx.recv(), if open => match update {
                Some(u) => {
                    app.on_update(u, Instant::now());
                    while let Ok(u) = rx.try_recv() {
                        app.on_update(u, Instant::now());
                    }
                    frames.request();
                }
                None => open = false,
            },
            _ = frames.next_frame() => {
                app.prepare(Rect::new(0, 0, 200, 60));
                terminal.draw(|f| { let a = f.area(); app.render(a, f.buffer_mut()); }).unwrap();
                drawn += 1;
            }
        }
    }
    producer.await.unwrap();
    (drawn, terminal.backend().to_string())
}

fn stream(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (drawn, screen) = runtime.block_on(stream_second());
    assert!(drawn <= 61, "{drawn} frames for one second of stream");
    let last = format!("w{}", DELTAS - 1);
    assert!(
        screen.contains(&last),
        "the last delta is not on screen:\n{screen}"
    );
    eprintln!("5,000 deltas in one simulated second: {drawn} frames, last delta shown");
    let mut group = c.benchmark_group("stream");
    group.sample_size(10);
    group.bench_function("5000_deltas_per_second", |b| {
        b.iter(|| black_box(runtime.block_on(stream_second())))
    });
    group.finish();
}

criterion_group!(benches, frame, stream);
criterion_main!(benches);
