//! The gate on the full-screen path: hostile text in every place the engine can put it
//! (answer, thinking, tool name, id, input and output, model ids, routing and retry
//! reasons, notices, errors, the conversation's title), streamed in small pieces so
//! sequences are split between deltas, then drawn; and a stored conversation of the same
//! text, resumed. Two checks: no cell of the buffer
//! holds a control or bidi character, and the bytes the crossterm backend writes for the
//! frame hold no escape but the CSI sequences ratatui itself writes, and no C0, C1 or bidi
//! character at all.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport};
use serde_json::json;

use crate::api::{ApiError, ContentBlock, Role, ThinkingBlock, ToolResultBlock};
use crate::engine::{ToolStatus, Update};
use crate::store::{
    ConversationId, ConversationSummary, LoadedConversation, MessageStatus, stored,
};
use crate::tools::ToolOutput;

use crate::tui::app::App;
use crate::tui::test_support::*;
use crate::tui::widgets::tool_panel::tests::{close_input, status, tool_block, tool_call};

/// Every class the gate removes: CSI colours and screen clears, OSC 52 (clipboard) and
/// OSC 8 (hyperlink) with their payloads, the 8-bit CSI, NEL, bidi overrides and
/// isolates, BEL, BS, CR.
const HOSTILE: &str = "A\x1b[31mred\x1b[0m \x1b]52;c;SGVsbG8=\x07 \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \u{9b}2Jx\u{85}nel \u{202e}rev\u{2066}iso\u{2069} bell\x07 bs\x08 cr\r over\x1b[2J Z";

/// `text` in pieces of `n` characters, so escape sequences are split between deltas.
fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

fn hostile_model() -> String {
    format!("claude-\u{9b}31m{}", "\u{202e}evil\x1b]0;title\x07")
}

fn update(app: &mut App, u: Update) {
    app.on_update(u, now());
}

/// A turn with thinking, text and a tool call, all hostile, and every side channel too.
fn hostile_turn(app: &mut App) {
    let model = hostile_model();
    start_turn(app, "hi", &model);
    let turn = turn();
    update(
        app,
        Update::Routed {
            turn,
            tier: crate::config::Tier::Fast,
            reason: HOSTILE.into(),
        },
    );
    update(
        app,
        Update::Connected {
            turn,
            model: model.clone(),
            tier: None,
            request_id: Some(HOSTILE.into()),
            rate_limits: Default::default(),
        },
    );
    let thinking = ThinkingBlock {
        thinking: String::new(),
        signature: String::new(),
        extra: Default::default(),
    };
    block(app, 0, ContentBlock::Thinking(thinking));
    for p in pieces(HOSTILE, 3) {
        update(
            app,
            Update::ThinkingDelta {
                turn,
                index: 0,
                text: p,
            },
        );
    }
    block(app, 1, ContentBlock::text(""));
    for p in pieces(&format!("{HOSTILE}\n{HOSTILE}\n\n{HOSTILE}"), 2) {
        text(app, 1, &p);
    }
    let input = json!({"path": HOSTILE, "content": HOSTILE}).to_string();
    let chunks = pieces(&input, 5);
    let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
    tool_call(app, 2, HOSTILE, HOSTILE, &chunks);
    close_input(app, 2, HOSTILE, HOSTILE, &input);
    let output = ToolOutput::ok(format!("{HOSTILE}\n{HOSTILE}"));
    let finished = ToolStatus::Finished {
        output,
        duration: Duration::from_millis(5),
    };
    status(app, HOSTILE, HOSTILE, finished, now());
    update(
        app,
        Update::Retrying {
            turn,
            attempt: 1,
            max: 3,
            wait: Duration::from_secs(1),
            reason: HOSTILE.into(),
        },
    );
    update(
        app,
        Update::FellBack {
            turn,
            from: model.clone(),
            to: model.clone(),
            reason: HOSTILE.into(),
        },
    );
    update(
        app,
        Update::Notice {
            turn: Some(turn),
            text: HOSTILE.into(),
        },
    );
    update(
        app,
        Update::Usage {
            turn,
            model: model.clone(),
            usage: Default::default(),
            cost_usd: None,
        },
    );
    update(
        app,
        Update::ContextSize {
            model: model.clone(),
            tokens: 10,
            window: 100,
        },
    );
    update(
        app,
        Update::ModelChanged {
            tier: None,
            model: model.clone(),
        },
    );
    update(
        app,
        Update::Conversation {
            id: Some("7".into()),
        },
    );
    update(
        app,
        Update::Titled {
            conversation: "7".into(),
            title: Some(HOSTILE.into()),
            model,
            usage: Default::default(),
            cost_usd: None,
        },
    );
}

/// A second turn that fails with a hostile API error.
fn hostile_error(app: &mut App) {
    start_turn(app, "again", &hostile_model());
    let error = ApiError::Http {
        status: 400,
        kind: HOSTILE.into(),
        message: HOSTILE.into(),
        request_id: Some(HOSTILE.into()),
        retry_after: None,
        should_retry: None,
    };
    update(
        app,
        Update::Error {
            turn: turn(),
            error,
            partial: None,
        },
    );
}

fn hostile_app() -> App {
    let mut options = options();
    options.model = hostile_model();
    let mut app = App::new(options);
    hostile_turn(&mut app);
    hostile_error(&mut app);
    app
}

/// Characters no cell may hold: every C0 (a cell is one line), DEL, C1, bidi controls.
fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn assert_clean_buffer(buffer: &Buffer, size: (u16, u16)) {
    for cell in &buffer.content {
        assert!(
            !cell.symbol().chars().any(forbidden),
            "{size:?}: cell {:?}",
            cell.symbol()
        );
    }
    // The hostile text did reach the screen, minus its controls. (Sequence payloads may
    // show where JSON is drawn, as escapes: `\u001b]52;...` is text, what the model sent.)
    let screen = rows(buffer).join("\n");
    assert!(screen.contains("Ared  link xnel"), "{size:?}:\n{screen}");
}

#[test]
fn no_cell_holds_a_control_or_bidi_character() {
    for size in [(120, 90), (70, 60), (40, 30)] {
        let mut app = hostile_app();
        let terminal = draw(&mut app, size.0, size.1);
        assert_clean_buffer(terminal.backend().buffer(), size);
        // Thinking and tool output expanded.
        chord(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
        let terminal = draw(&mut app, size.0, size.1);
        assert_clean_buffer(terminal.backend().buffer(), size);
    }
}

/// Where an escape sequence that ratatui/crossterm writes ends, if `bytes` starts one:
/// CSI only (`ESC [` parameters, intermediates, a final byte).
fn csi_len(bytes: &[u8]) -> Option<usize> {
    if bytes.get(1) != Some(&b'[') {
        return None;
    }
    let end = bytes[2..].iter().position(|b| !(0x20..=0x3f).contains(b))?;
    (0x40..=0x7e).contains(&bytes[2 + end]).then_some(3 + end)
}

/// The bytes a backend writes, readable after it is gone (its own accessor is unstable).
#[derive(Clone, Default)]
struct Written(Rc<RefCell<Vec<u8>>>);

impl Write for Written {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_terminal_bytes_hold_no_escape_but_csi_and_no_control_character() {
    let (w, h) = (100, 70);
    let mut app = hostile_app();
    let written = Written::default();
    let backend = CrosstermBackend::new(written.clone());
    let viewport = Viewport::Fixed(Rect::new(0, 0, w, h));
    let mut terminal = Terminal::with_options(backend, TerminalOptions { viewport }).unwrap();
    draw_on(&mut app, &mut terminal, Rect::new(0, 0, w, h));
    drop(terminal);
    let bytes = written.0.borrow().clone();
    // The text between the sequences, to check that the answer was drawn without them.
    let mut visible = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b {
            let len = csi_len(&bytes[i..]);
            let at = String::from_utf8_lossy(&bytes[i..(i + 24).min(bytes.len())]).into_owned();
            i += len.unwrap_or_else(|| panic!("an escape that is not CSI at {i}: {at:?}"));
            continue;
        }
        assert!(
            bytes[i] >= 0x20 && bytes[i] != 0x7f,
            "control byte {:#x} at {i}",
            bytes[i]
        );
        visible.push(bytes[i]);
        i += 1;
    }
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(
        !text.chars().any(|c| forbidden(c) && c != '\x1b'),
        "C1 or bidi written"
    );
    // (ratatui itself drops control characters from cells, so this is what fails when
    // the gate is missing: the sequences' printable tails would be drawn.)
    let visible = String::from_utf8(visible).expect("UTF-8");
    assert!(visible.contains("Ared  link xnel"), "{visible}");
}

/// A stored conversation full of hostile text: typed message, thinking, answer, a tool
/// call with a hostile name and input, its result, and a failed answer with its error.
fn hostile_stored() -> LoadedConversation {
    let thinking = ThinkingBlock {
        thinking: HOSTILE.into(),
        signature: String::new(),
        extra: Default::default(),
    };
    let call = tool_block(HOSTILE, HOSTILE, json!({"path": HOSTILE}));
    let result = ContentBlock::ToolResult(ToolResultBlock {
        tool_use_id: HOSTILE.into(),
        content: Some(json!(HOSTILE)),
        is_error: None,
        cache_control: None,
        extra: Default::default(),
    });
    let answer = vec![
        ContentBlock::Thinking(thinking),
        ContentBlock::text(HOSTILE),
        call,
    ];
    let mut messages = vec![
        stored(0, Role::User, vec![ContentBlock::text(HOSTILE)]),
        stored(1, Role::Assistant, answer),
        stored(2, Role::User, vec![result]),
        stored(3, Role::Assistant, vec![ContentBlock::text(HOSTILE)]),
    ];
    messages[1].model = Some(hostile_model());
    messages[3].model = Some(hostile_model());
    messages[3].status = MessageStatus::Failed;
    messages[3].error = Some(HOSTILE.into());
    LoadedConversation {
        summary: ConversationSummary {
            id: ConversationId(3),
            title: HOSTILE.into(),
            created_ms: 0,
            updated_ms: 0,
            model: hostile_model(),
            message_count: 4,
            cost_usd: 0.0,
            parent: None,
        },
        messages,
    }
}

#[test]
fn a_resumed_conversation_is_drawn_clean() {
    for size in [(120, 90), (50, 40)] {
        let mut app = app();
        app.show_conversation(&hostile_stored(), &[]);
        let terminal = draw(&mut app, size.0, size.1);
        assert_clean_buffer(terminal.backend().buffer(), size);
        chord(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
        let terminal = draw(&mut app, size.0, size.1);
        assert_clean_buffer(terminal.backend().buffer(), size);
    }
}
