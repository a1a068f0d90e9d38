//! The picker's keys and snapshots, and the app's conversation keys: Ctrl+N, Ctrl+R,
//! delete with confirmation, /rename, and Esc-then-Up editing that forks.

use crossterm::event::{KeyCode, KeyModifiers};

use crate::engine::{Command, Update};
use crate::store::{ConversationId, ConversationSummary};

use super::*;
use crate::tui::app::{App, Effect, StoreRequest};
use crate::tui::test_support::*;

/// 2026-01-10 12:00 UTC.
const NOW: i64 = 1_768_046_400_000;
const MIN: i64 = 60_000;

fn row(
    id: i64,
    title: &str,
    ago_ms: i64,
    msgs: i64,
    cost: f64,
    parent: Option<i64>,
) -> ConversationSummary {
    ConversationSummary {
        id: ConversationId(id),
        title: title.into(),
        created_ms: NOW - ago_ms - MIN,
        updated_ms: NOW - ago_ms,
        model: "claude-sonnet-4-6".into(),
        message_count: msgs,
        cost_usd: cost,
        parent: parent.map(ConversationId),
    }
}

fn rows() -> Vec<ConversationSummary> {
    vec![
        row(
            7,
            "Rust lifetimes, explained with a long title that will not fit",
            2 * MIN,
            14,
            0.0312,
            None,
        ),
        row(
            6,
            "Rust lifetimes, explained",
            3 * 60 * MIN,
            6,
            0.0101,
            Some(5),
        ),
        row(
            5,
            "Green tea \u{1b}[31mbrewing",
            26 * 60 * MIN,
            4,
            0.002,
            None,
        ),
        row(2, "Sourdough starter", 40 * 24 * 60 * MIN, 30, 1.25, None),
    ]
}

/// The footer's key names with the default keymap.
fn hints() -> PickerHints {
    PickerHints {
        open: "Enter".into(),
        close: "Esc".into(),
        delete: "Ctrl+X".into(),
    }
}

fn key(code: KeyCode) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(code, KeyModifiers::NONE)
}

fn store_effects(app: &mut App) -> Vec<StoreRequest> {
    app.take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Store(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn typing_searches_and_keys_move_open_and_close() {
    let mut p = Picker::new(None, hints());
    p.set_items(rows(), NOW);
    assert_eq!(
        p.on_key(&key(KeyCode::Char('r')), None),
        PickerAction::Search("r".into())
    );
    assert_eq!(
        p.on_key(&key(KeyCode::Char('u')), None),
        PickerAction::Search("ru".into())
    );
    assert_eq!(
        p.on_key(&key(KeyCode::Backspace), None),
        PickerAction::Search("r".into())
    );
    assert_eq!(p.on_key(&key(KeyCode::Down), None), PickerAction::None);
    assert_eq!(
        p.on_key(&key(KeyCode::Enter), Some(PickerKey::Open)),
        PickerAction::Open(ConversationId(6))
    );
    // Up from the top wraps to the bottom.
    p.on_key(&key(KeyCode::Up), None);
    p.on_key(&key(KeyCode::Up), None);
    assert_eq!(p.selected_id(), Some(ConversationId(2)));
    // New rows keep the selection on the same conversation.
    p.set_items(rows().into_iter().rev().collect(), NOW);
    assert_eq!(p.selected_id(), Some(ConversationId(2)));
    assert_eq!(
        p.on_key(&key(KeyCode::Esc), Some(PickerKey::Close)),
        PickerAction::Close
    );
}

#[test]
fn delete_needs_a_confirmation() {
    let mut p = Picker::new(None, hints());
    p.set_items(rows(), NOW);
    assert_eq!(
        p.on_key(&key(KeyCode::Char('x')), Some(PickerKey::Delete)),
        PickerAction::None
    );
    // Anything but y keeps it, and is not typed into the search either.
    assert_eq!(p.on_key(&key(KeyCode::Char('n')), None), PickerAction::None);
    assert!(p.query.is_empty());
    p.on_key(&key(KeyCode::Char('x')), Some(PickerKey::Delete));
    assert_eq!(
        p.on_key(&key(KeyCode::Char('y')), None),
        PickerAction::Delete(ConversationId(7))
    );
}

#[test]
fn times_read_like_a_person_would_say_them() {
    assert_eq!(ago(NOW, NOW - 10_000), "just now");
    assert_eq!(ago(NOW, NOW - 5 * MIN), "5 min ago");
    assert_eq!(ago(NOW, NOW - 180 * MIN), "3 h ago");
    assert_eq!(ago(NOW, NOW - 30 * 60 * MIN), "yesterday");
    assert_eq!(ago(NOW, NOW - 4 * 24 * 60 * MIN), "4 days ago");
    assert_eq!(ago(NOW, NOW - 40 * 24 * 60 * MIN), "2025-12-01");
}

#[test]
fn ctrl_r_lists_enter_resumes_and_ctrl_x_deletes_after_yes() {
    let mut app = app();
    chord(&mut app, KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(store_effects(&mut app), [StoreRequest::List(String::new())]);
    app.on_listed(Ok(rows()), NOW);
    type_text(&mut app, "tea");
    assert_eq!(
        store_effects(&mut app).last(),
        Some(&StoreRequest::List("tea".into()))
    );
    app.on_listed(Ok(vec![rows().remove(2)]), NOW);
    chord(&mut app, KeyCode::Char('x'), KeyModifiers::CONTROL);
    assert!(
        store_effects(&mut app).is_empty(),
        "not before the confirmation"
    );
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        store_effects(&mut app),
        [
            StoreRequest::Delete(ConversationId(5)),
            StoreRequest::List("tea".into())
        ]
    );
    let left: Vec<_> = rows().into_iter().filter(|r| r.id.0 != 5).collect();
    app.on_listed(Ok(left), NOW);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        store_effects(&mut app),
        [StoreRequest::Open(ConversationId(7))]
    );
    assert!(app.browse.picker.is_none());
}

#[test]
fn ctrl_n_starts_over_and_rename_needs_a_conversation() {
    let mut app = app();
    type_text(&mut app, "/rename Tea notes");
    press(&mut app, KeyCode::Enter);
    assert!(store_effects(&mut app).is_empty());
    app.on_update(
        Update::Conversation {
            id: Some("9".into()),
        },
        now(),
    );
    type_text(&mut app, "/rename  Tea   notes");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        store_effects(&mut app),
        [StoreRequest::Rename(ConversationId(9), "Tea notes".into())]
    );
    start_turn(&mut app, "hello", "m");
    app.take_effects();
    chord(&mut app, KeyCode::Char('n'), KeyModifiers::CONTROL);
    assert_eq!(engine_commands(&mut app), [Command::Cancel, Command::Clear]);
    assert!(app.conversation.cells().is_empty());
    assert_eq!(app.browse.conversation_id, None);
}

/// Three finished turns on screen.
fn three_turns(app: &mut App) {
    for q in ["one", "two", "three"] {
        answer(app, q, &format!("answer to {q}"));
    }
    app.take_effects();
}

#[test]
fn esc_while_streaming_still_interrupts() {
    let mut app = app();
    start_turn(&mut app, "one", "m");
    app.take_effects();
    press(&mut app, KeyCode::Esc);
    assert_eq!(engine_commands(&mut app), [Command::Cancel]);
    assert!(
        app.browse.selecting.is_none(),
        "no picking while it streamed"
    );
}

#[test]
fn esc_then_up_picks_an_earlier_message_and_sending_forks_there() {
    let mut app = app();
    three_turns(&mut app);
    press(&mut app, KeyCode::Esc);
    let picked = |app: &App| {
        app.conversation.cells().iter().find_map(|c| match &c.kind {
            crate::tui::render::cells::CellKind::User(t) if Some(c.id) == app.browse.selecting => {
                Some(t.clone())
            }
            _ => None,
        })
    };
    assert_eq!(picked(&app).as_deref(), Some("three"));
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(picked(&app).as_deref(), Some("one"), "stops at the first");
    press(&mut app, KeyCode::Down);
    assert_eq!(picked(&app).as_deref(), Some("two"));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.input.text(), "two");
    assert!(app.browse.selecting.is_none());
    assert!(
        engine_commands(&mut app).is_empty(),
        "Enter only fills the input"
    );
    type_text(&mut app, " (edited)");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::Fork {
            user_index: 1,
            text: "two (edited)".into()
        }]
    );
    let users: Vec<String> = app
        .conversation
        .cells()
        .iter()
        .filter_map(|c| match &c.kind {
            crate::tui::render::cells::CellKind::User(t) => Some(t.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(users, ["one", "two (edited)"]);
}

#[test]
fn esc_cancels_picking_and_editing_and_other_keys_fall_through() {
    let mut app = app();
    three_turns(&mut app);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Esc);
    assert!(app.browse.selecting.is_none());
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('h'));
    assert!(app.browse.selecting.is_none());
    assert_eq!(app.input.text(), "h", "the key was typed");
    app.input.clear();
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.browse.editing, Some(2));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.browse.editing, None);
    assert!(app.input.is_empty());
    type_text(&mut app, "plain");
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [Command::Send("plain".into())]);
}

fn snap(name: &str, build: impl Fn(&mut App)) {
    for (w, terminal) in drawn_at(&[(100, 20), (56, 16)], build) {
        insta::assert_snapshot!(format!("{name}_{w}"), terminal.backend());
    }
}

#[test]
fn picker_empty() {
    snap("picker_empty", |app| {
        chord(app, KeyCode::Char('r'), KeyModifiers::CONTROL);
        app.on_listed(Ok(Vec::new()), NOW);
    });
}

#[test]
fn picker_listed() {
    snap("picker_listed", |app| {
        app.on_update(
            Update::Conversation {
                id: Some("7".into()),
            },
            now(),
        );
        chord(app, KeyCode::Char('r'), KeyModifiers::CONTROL);
        app.on_listed(Ok(rows()), NOW);
        press(app, KeyCode::Down);
    });
}

#[test]
fn picker_filtered() {
    snap("picker_filtered", |app| {
        chord(app, KeyCode::Char('r'), KeyModifiers::CONTROL);
        type_text(app, "rust life");
        app.on_listed(Ok(rows().into_iter().take(2).collect()), NOW);
    });
}

#[test]
fn picker_filtered_to_nothing() {
    snap("picker_no_match", |app| {
        chord(app, KeyCode::Char('r'), KeyModifiers::CONTROL);
        type_text(app, "coffee");
        app.on_listed(Ok(Vec::new()), NOW);
    });
}

#[test]
fn picker_confirm_delete() {
    snap("picker_confirm_delete", |app| {
        chord(app, KeyCode::Char('r'), KeyModifiers::CONTROL);
        app.on_listed(Ok(rows()), NOW);
        press(app, KeyCode::Down);
        press(app, KeyCode::Down);
        chord(app, KeyCode::Char('x'), KeyModifiers::CONTROL);
    });
}

#[test]
fn picking_a_message_to_edit() {
    snap("edit_pick", |app| {
        three_turns(app);
        press(app, KeyCode::Esc);
        press(app, KeyCode::Up);
    });
}

#[test]
fn picker_keys_and_footer_follow_the_keymap() {
    let overrides = std::collections::BTreeMap::from([
        ("send".to_owned(), "ctrl+s".to_owned()),
        ("interrupt".to_owned(), "ctrl+g".to_owned()),
    ]);
    let mut app = app();
    app.keymap = crate::tui::app::keymap::Keymap::with_overrides(&overrides).unwrap();
    app.open_picker();
    let footer = app.browse.picker.as_ref().unwrap().footer();
    assert_eq!(
        footer,
        "Ctrl+S resume · Ctrl+X delete · type to search · Ctrl+G close"
    );
    press(&mut app, KeyCode::Esc);
    assert!(
        app.browse.picker.is_some(),
        "Esc is no longer the close key"
    );
    chord(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert!(app.browse.picker.is_none());
}
