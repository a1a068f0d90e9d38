//! Snapshots of every visible state, drawn through ratatui's TestBackend at two sizes.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};

use crate::api::{ApiError, ContentBlock, ThinkingBlock};
use crate::engine::Update;

use crate::tui::app::App;
use crate::tui::test_support::*;

/// A wide screen (sidebar shown) and a narrow one (sidebar hidden by width).
const SIZES: [(u16, u16); 2] = [(100, 26), (48, 22)];

/// Snapshots the state `build` makes, at both sizes.
fn snap(name: &str, build: impl Fn(&mut App)) {
    for (w, terminal) in drawn_at(&SIZES, build) {
        insta::assert_snapshot!(format!("{name}_{w}"), terminal.backend());
    }
}

const FINISHED: &str = "\
Here is a **function** and a table.

```rust
fn add(a: i32, b: i32) -> i32 {
    a + b
}
```

| Tier | Model |
|------|-------|
| fast | haiku |
| max  | opus  |
";

#[test]
fn empty() {
    snap("empty", |_| {});
}

#[test]
fn streaming() {
    snap("streaming", |app| {
        start_turn(app, "Tell me about Rust", "claude-sonnet-4-6");
        app.on_update(
            Update::Connected {
                turn: turn(),
                model: "claude-sonnet-4-6".into(),
                tier: None,
                request_id: None,
                rate_limits: Default::default(),
            },
            now(),
        );
        block(app, 0, ContentBlock::text(""));
        text(
            app,
            0,
            "Rust is a *systems* language.\n\n- fast\n- safe\n\nIt has no garbage coll",
        );
    });
}

#[test]
fn finished_with_code_and_table() {
    snap("finished", |app| answer(app, "Show me", FINISHED));
}

fn thinking_turn(app: &mut App) {
    start_turn(app, "What is 17 * 23?", "claude-sonnet-4-6");
    let thinking = "17 * 23 = 17 * 20 + 17 * 3 = 340 + 51 = 391. Double-check: 23 * 17 = 391.";
    block(
        app,
        0,
        ContentBlock::Thinking(ThinkingBlock {
            thinking: String::new(),
            signature: String::new(),
            extra: Default::default(),
        }),
    );
    app.on_update(
        Update::ThinkingDelta {
            turn: turn(),
            index: 0,
            text: thinking.into(),
        },
        now(),
    );
    block(app, 1, ContentBlock::text(""));
    text(app, 1, "It is **391**.");
    finish(
        app,
        vec![
            ContentBlock::Thinking(ThinkingBlock {
                thinking: thinking.into(),
                signature: "sig".into(),
                extra: Default::default(),
            }),
            ContentBlock::text("It is **391**."),
        ],
    );
}

/// The auto tier routed a prompt: the answer says which tier, the status bar says auto.
#[test]
fn routed_answer() {
    snap("routed", |app| {
        chord(app, KeyCode::Char('0'), KeyModifiers::ALT);
        start_turn(app, "Classify: I love it", "claude-haiku-4-5");
        app.on_update(
            Update::Routed {
                turn: turn(),
                tier: crate::config::Tier::Fast,
                reason: "rule classification".into(),
            },
            now(),
        );
        block(app, 0, ContentBlock::text(""));
        text(app, 0, "positive");
        finish(app, vec![ContentBlock::text("positive")]);
    });
}

#[test]
fn thinking_collapsed() {
    snap("thinking_collapsed", thinking_turn);
}

#[test]
fn thinking_expanded() {
    snap("thinking_expanded", |app| {
        thinking_turn(app);
        chord(app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    });
}

#[test]
fn retry_notice() {
    snap("retry", |app| {
        start_turn(app, "hello", "claude-sonnet-4-6");
        app.on_update(
            Update::Retrying {
                turn: turn(),
                attempt: 2,
                max: 4,
                wait: Duration::from_secs(4),
                reason: "overloaded (529)".into(),
            },
            now(),
        );
    });
}

#[test]
fn fallback_notice() {
    snap("fallback", |app| {
        start_turn(app, "hello", "claude-opus-5");
        app.on_update(
            Update::FellBack {
                turn: turn(),
                from: "claude-opus-5".into(),
                to: "claude-sonnet-4-6".into(),
                reason: "timed out".into(),
            },
            now(),
        );
        block(app, 0, ContentBlock::text(""));
        text(app, 0, "Hello from the fallback model.");
    });
}

#[test]
fn interrupted() {
    snap("interrupted", |app| {
        start_turn(app, "Write a long story", "claude-sonnet-4-6");
        block(app, 0, ContentBlock::text(""));
        text(app, 0, "Once upon a time, in a terminal far away, there");
        press(app, KeyCode::Esc);
    });
}

#[test]
fn error_notice() {
    snap("error", |app| {
        start_turn(app, "hello", "claude-sonnet-4-6");
        block(app, 0, ContentBlock::text(""));
        text(app, 0, "The first half of an answer");
        app.on_update(
            Update::Error {
                turn: turn(),
                error: ApiError::Connection("connection reset by peer".into()),
                partial: None,
            },
            now(),
        );
    });
}

#[test]
fn help_overlay() {
    snap("help", |app| press(app, KeyCode::F(1)));
}

#[test]
fn command_popup() {
    snap("popup", |app| type_text(app, "/"));
}

#[test]
fn scrolled_up_with_new_output_below() {
    snap("scrolled", |app| {
        for i in 0..8 {
            answer(
                app,
                &format!("question {i}"),
                "An answer that is a sentence long.",
            );
        }
        app.prepare(ratatui::layout::Rect::new(0, 0, 48, 22));
        press(app, KeyCode::PageUp);
        answer(app, "one more", "A new answer arrives below.");
    });
}

#[test]
fn tiny_terminal() {
    for (w, h) in [(20, 4), (1, 1)] {
        let mut app = app();
        let terminal = draw(&mut app, w, h);
        insta::assert_snapshot!(format!("tiny_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn any_size_down_to_one_by_one_never_panics() {
    let mut app = app();
    answer(&mut app, "q", FINISHED);
    type_text(&mut app, "a draft\nwith two lines");
    for w in (0..=60).step_by(3) {
        for h in 0..=20 {
            draw(&mut app, w.max(1), h.max(1));
        }
    }
    press(&mut app, KeyCode::F(1));
    for (w, h) in [(1, 1), (10, 5), (30, 8), (200, 60)] {
        draw(&mut app, w, h);
    }
}

#[test]
fn hostile_model_output_never_reaches_the_terminal_as_control_sequences() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    block(&mut app, 0, ContentBlock::text(""));
    let hostile = "clear\x1b[2Jthe screen, copy \x1b]52;c;aGVsbG8=\x07this, \u{9b}31mred\r\n\
                   title \x1b]0;pwned\x1b\\ and a bell \x07 done";
    text(&mut app, 0, hostile);
    for (w, h) in SIZES {
        let terminal = draw(&mut app, w, h);
        let screen = terminal
            .backend()
            .buffer()
            .content
            .iter()
            .map(|c| c.symbol())
            .collect::<String>();
        assert!(
            !screen.chars().any(|c| c.is_control()),
            "a control character reached the buffer at {w}: {screen:?}"
        );
        assert!(screen.contains("clearthe screen"), "{screen}");
        assert!(
            !screen.contains("aGVsbG8"),
            "the OSC 52 payload is shown: {screen}"
        );
    }
}

#[test]
fn key_hints_are_dropped_whole_never_cut() {
    let parts = [
        "Enter send",
        "F2 tier",
        "Ctrl+B sidebar",
        "Ctrl+Y copy",
        "F1 help",
    ];
    let hints = || parts.map(String::from).to_vec();
    assert_eq!(super::fit_hints(hints(), 200), parts.join(" · "));
    // The ones between go from the end; then help; the first stays longest.
    assert_eq!(
        super::fit_hints(hints(), 38),
        "Enter send · F2 tier · F1 help"
    );
    assert_eq!(super::fit_hints(hints(), 21), "Enter send · F1 help");
    assert_eq!(super::fit_hints(hints(), 12), "Enter send");
    assert_eq!(super::fit_hints(hints(), 5), "");
    // At 80 columns beside the model, the idle bar ends on a whole hint.
    let mut app = app();
    let shown = screen(&mut app, 80, 24);
    let status = shown.lines().last().unwrap().trim_end();
    assert!(!status.ends_with('…'), "{status}");
    assert!(status.ends_with("help"), "{status}");
}
