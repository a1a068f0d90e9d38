//! Test-only builders shared by the TUI's test modules: an [`App`] with fixed options,
//! the keys and engine updates that drive it, and drawing it (or any buffer) to read back
//! as text. Snapshot assertions stay in each test module, since insta names a snapshot
//! file after the module that asserts it.
//!
//! Compiled only with cfg(test), which includes benches/frame.rs under clippy (it builds
//! the TUI from source): nothing here may depend on the binary's own test modules.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::time::Instant;

use crate::api::{ContentBlock, MessageResponse, Role as ApiRole, StopReason, Usage};
use crate::config::Tier;
use crate::engine::{Command, TurnId, TurnStats, Update};

use crate::tui::app::keymap::Keymap;
use crate::tui::app::{App, AppOptions, Effect};
use crate::tui::render::theme::Theme;

/// The dark theme, for tests of which role styles what.
pub(crate) fn dark() -> Theme {
    Theme::load("dark").unwrap()
}

/// What the test app starts with: no colour, default keys, the balanced tier on
/// claude-sonnet-4-6, sidebar and mouse capture on, default cost options. Tests that need
/// other options change fields of this one.
pub(crate) fn options() -> AppOptions {
    AppOptions {
        theme: Theme::no_color(),
        keymap: Keymap::defaults(),
        tier: Some(Tier::Balanced),
        auto: false,
        model: "claude-sonnet-4-6".into(),
        models: vec!["claude-haiku-4-5".into(), "claude-opus-5".into()],
        sidebar: true,
        mouse_capture: true,
        cost: Default::default(),
        approve_all: false,
        notices: Vec::new(),
        server_tools: Default::default(),
        reasoning: Default::default(),
    }
}

pub(crate) fn app() -> App {
    App::new(options())
}

pub(crate) fn now() -> Instant {
    Instant::now()
}

pub(crate) fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

pub(crate) fn press(app: &mut App, code: KeyCode) {
    app.on_key(&key(code, KeyModifiers::NONE), now());
}

pub(crate) fn chord(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    app.on_key(&key(code, modifiers), now());
}

pub(crate) fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

pub(crate) fn turn() -> TurnId {
    TurnId(1)
}

/// The user sends `text` and the engine starts answering with `model`.
pub(crate) fn start_turn(app: &mut App, text: &str, model: &str) {
    type_text(app, text);
    press(app, KeyCode::Enter);
    app.on_update(
        Update::TurnStarted {
            turn: turn(),
            tier: Some(Tier::Balanced),
            model: model.into(),
        },
        now(),
    );
}

pub(crate) fn block(app: &mut App, index: usize, block: ContentBlock) {
    app.on_update(
        Update::BlockStarted {
            turn: turn(),
            index,
            block,
        },
        now(),
    );
}

pub(crate) fn text(app: &mut App, index: usize, text: &str) {
    app.on_update(
        Update::TextDelta {
            turn: turn(),
            index,
            text: text.into(),
        },
        now(),
    );
}

pub(crate) fn finish(app: &mut App, content: Vec<ContentBlock>) {
    for (index, block) in content.iter().enumerate() {
        app.on_update(
            Update::BlockFinished {
                turn: turn(),
                index,
                block: block.clone(),
            },
            now(),
        );
    }
    let message = MessageResponse {
        id: "msg_1".into(),
        model: "claude-sonnet-4-6".into(),
        role: ApiRole::Assistant,
        content,
        stop_reason: Some(StopReason::EndTurn),
        stop_sequence: None,
        usage: Usage::default(),
        extra: Default::default(),
    };
    app.on_update(
        Update::TurnFinished {
            turn: turn(),
            message,
            stats: TurnStats::default(),
        },
        now(),
    );
}

/// A whole answer streamed in pieces and finished.
pub(crate) fn answer(app: &mut App, question: &str, reply: &str) {
    start_turn(app, question, "claude-sonnet-4-6");
    block(app, 0, ContentBlock::text(""));
    for piece in reply.split_inclusive(' ') {
        text(app, 0, piece);
    }
    finish(app, vec![ContentBlock::text(reply)]);
}

/// The engine commands among the effects the app queued (the others are dropped).
pub(crate) fn engine_commands(app: &mut App) -> Vec<Command> {
    app.take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Engine(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// One frame of the whole app at `width` x `height`, through ratatui's TestBackend (so
/// the cursor is placed as a terminal would show it).
pub(crate) fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    draw_on(app, &mut terminal, Rect::new(0, 0, width, height));
    terminal
}

/// One frame of the whole app over `area` of any terminal, as the event loop draws it.
pub(crate) fn draw_on<B: ratatui::backend::Backend>(
    app: &mut App,
    terminal: &mut Terminal<B>,
    area: Rect,
) {
    app.prepare(area);
    terminal
        .draw(|frame| {
            let area = frame.area();
            if let Some(cursor) = app.render(area, frame.buffer_mut()) {
                frame.set_cursor_position(cursor);
            }
        })
        .unwrap();
}

/// The app `build` makes, fresh for each size and drawn at it, with the width: what a
/// snapshot loop asserts on.
pub(crate) fn drawn_at(
    sizes: &[(u16, u16)],
    build: impl Fn(&mut App),
) -> Vec<(u16, Terminal<TestBackend>)> {
    sizes
        .iter()
        .map(|&(w, h)| {
            let mut app = app();
            build(&mut app);
            (w, draw(&mut app, w, h))
        })
        .collect()
}

/// The app's screen at `width` x `height` as text, rows joined by newlines.
pub(crate) fn screen(app: &mut App, width: u16, height: u16) -> String {
    rows(draw(app, width, height).backend().buffer()).join("\n")
}

/// A buffer as text, one row per line, trailing spaces trimmed.
pub(crate) fn rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let row: String = (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect();
            row.trim_end().to_owned()
        })
        .collect()
}
