//! The TUI's hot paths, with their budgets (issue 8; `cargo bench --bench report`):
//!
//! - `frame/5000_messages_200x60`: one frame (prepare + render into a buffer) of a
//!   5,000-message conversation of about 2 MB of markdown at 200x60, caches warm.
//!   Budget: under 1 ms. `frame/5000_messages_draw` adds ratatui's diff through a
//!   TestBackend, which is what a real terminal frame costs before the bytes are written.
//! - `frame/5000_messages_cold_resize`: the same frame right after a width change (the
//!   width alternates between 200 and 199), so every cached render is stale.
//!   Budget: under 20 ms.
//! - `frame/5000_messages_cold_fresh_app`: the first frame of a fresh app holding the same
//!   conversation, nothing rendered yet (a resumed session). Budget: under 20 ms.
//! - `frame/scroll_page`: Page Up and the frame after it, warm (back to the end at the
//!   top). Reported.
//! - `frame/first_frame_cold`: building an empty app and drawing its first frame, the
//!   in-process part of start-up (the real binary's start-up is `benches/binary.rs`).
//! - `stream/5000_deltas_per_second`: one simulated second of a 5,000 deltas/s stream
//!   through the real update handling, frame scheduler and drawing, on tokio's paused clock,
//!   so the measured time is pure CPU. Checked on every run: at most 60 frames were drawn
//!   and the last frame shows every delta. The time must stay well under one second for
//!   the app to keep up.
//!
//! The TUI is the library module `chatterm::tui`, so the bench measures the shipped code.

#![allow(clippy::unwrap_used)]

#[path = "support/conversation.rs"]
mod conversation;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::time::Instant;

use chatterm::api::ContentBlock;
use chatterm::engine::{TurnId, Update};
use chatterm::tui;
use conversation::{long_conversation, new_app};
use tui::app::App;
use tui::run::frame::FrameScheduler;

/// The conversation, rendered once at `screen` (warm caches).
fn warm_conversation(screen: Rect) -> App {
    let (mut app, bytes) = long_conversation();
    eprintln!(
        "conversation: {} messages, {:.2} MB of text",
        conversation::MESSAGES,
        bytes as f64 / 1e6
    );
    while app.prepare(screen) {}
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
    let screen = Rect::new(0, 0, 200, 60);
    let mut app = warm_conversation(screen);
    let mut buf = Buffer::empty(screen);
    report_resize(&mut app, screen);
    let mut group = c.benchmark_group("frame");
    group.bench_function("5000_messages_200x60", |b| {
        b.iter(|| {
            app.prepare(screen);
            buf.reset();
            black_box(app.render(screen, &mut buf));
        });
    });
    // Start-up: everything the app does before its first frame reaches the terminal
    // (theme, keymap, state, layout, drawing). Syntect is not touched: its sets load after.
    group.bench_function("first_frame_cold", |b| {
        b.iter(|| {
            let mut app = new_app();
            let mut buf = Buffer::empty(screen);
            app.prepare(screen);
            black_box(app.render(screen, &mut buf));
        });
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
        });
    });
    cold(&mut group, &mut app, screen);
    scroll(&mut group, &mut app, screen);
    group.finish();
}

/// The frames after caches were dropped: a width change, and a fresh app.
fn cold(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    app: &mut App,
    screen: Rect,
) {
    let narrower = Rect::new(0, 0, screen.width - 1, screen.height);
    let mut buf = Buffer::empty(screen);
    let mut wide = false;
    group.bench_function("5000_messages_cold_resize", |b| {
        b.iter(|| {
            wide = !wide;
            let area = if wide { screen } else { narrower };
            app.prepare(area);
            buf.reset();
            black_box(app.render(area, &mut buf));
        });
    });
    // Back to a settled state for the benches after this one.
    while app.prepare(screen) {}
    group.sample_size(10);
    group.bench_function("5000_messages_cold_fresh_app", |b| {
        b.iter_batched(
            || long_conversation().0,
            |mut app| {
                app.prepare(screen);
                buf.reset();
                black_box(app.render(screen, &mut buf));
                app
            },
            BatchSize::PerIteration,
        );
    });
    group.sample_size(100);
}

/// Page Up and the frame after it, from the end upwards; now and then back to the end.
fn scroll(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    app: &mut App,
    screen: Rect,
) {
    let mut buf = Buffer::empty(screen);
    let page_up = KeyEvent::new(KeyCode::PageUp, KeyModifiers::NONE);
    let end = KeyEvent::new(KeyCode::End, KeyModifiers::NONE);
    // 200 pages is well short of the top (the session is about 1,200 pages long).
    let mut pages = 0;
    group.bench_function("scroll_page", |b| {
        b.iter(|| {
            pages += 1;
            let key = if pages % 200 == 0 { &end } else { &page_up };
            app.on_key(key, Instant::now());
            app.prepare(screen);
            buf.reset();
            black_box(app.render(screen, &mut buf));
        });
    });
    app.on_key(&end, Instant::now());
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
    while open || frames.deadline().is_some() {
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
        b.iter(|| black_box(runtime.block_on(stream_second())));
    });
    group.finish();
}

criterion_group!(benches, frame, stream);
criterion_main!(benches);
