//! The benches' long session: a 5,000-message conversation of about 2 MB of markdown,
//! built through the app's real update handling, as a streamed session would leave it.
//!
//! Used by the benches that drive the TUI (`chatterm::tui`).

use tokio::time::Instant;

use chatterm::api::{ContentBlock, MessageResponse, Role, StopReason, Usage};
use chatterm::config::Tier;
use chatterm::engine::{TurnId, TurnStats, Update};

use chatterm::tui::app::keymap::Keymap;
use chatterm::tui::app::{App, AppOptions};
use chatterm::tui::render::theme::Theme;

/// Messages in the long session: 2,500 questions and their answers.
pub const MESSAGES: usize = 5_000;

pub fn new_app() -> App {
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
        approve_all: false,
        notices: Vec::new(),
        server_tools: Default::default(),
        reasoning: Default::default(),
    })
}

/// A ~750-byte markdown answer: prose, a list, inline code and a fenced block.
pub fn reply(i: usize) -> String {
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
pub fn exchange(app: &mut App, turn: u64, question: String, answer: &str) {
    let turn = TurnId(turn);
    app.send_message(question);
    app.take_effects();
    let model = "claude-sonnet-4-6".to_owned();
    let tier = Some(Tier::Balanced);
    update(
        app,
        Update::TurnStarted {
            turn,
            tier,
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
    let text = answer.to_owned();
    update(
        app,
        Update::TextDelta {
            turn,
            index: 0,
            text,
        },
    );
    let block = ContentBlock::text(answer);
    let finished = Update::BlockFinished {
        turn,
        index: 0,
        block: block.clone(),
    };
    update(app, finished);
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

/// An app holding the long session, nothing rendered yet. Returns it and the bytes of
/// text in it.
pub fn long_conversation() -> (App, usize) {
    let mut app = new_app();
    let mut bytes = 0;
    for i in 0..MESSAGES / 2 {
        let question = format!("Question number {i}: could you explain the next part, please?");
        let answer = reply(i);
        bytes += question.len() + answer.len();
        exchange(&mut app, i as u64 + 1, question, &answer);
    }
    (app, bytes)
}
