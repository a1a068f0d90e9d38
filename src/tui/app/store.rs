//! The app's side of stored conversations: the picker overlay's keys, new conversations,
//! `/rename`, and editing an earlier message to branch the conversation.
//!
//! The key flow for editing, designed so Esc keeps interrupting a streaming answer:
//!
//! - Esc while an answer streams interrupts it (nothing else happens).
//! - Esc when idle with an empty input starts *picking*: the newest user message is
//!   highlighted; Up/Down move between user messages (Down past the newest, or Esc, stops
//!   picking); Enter puts the picked text in the input and marks it as being *edited*.
//!   Any other key stops picking and does what it always does.
//! - While editing, the status bar says so; Enter sends the text as a new branch
//!   ([`Command::Fork`]): the cells from the edited message on are dropped from the screen,
//!   the stored original keeps them. Esc with text in the input stops editing (and clears
//!   the input), so a plain message is sent as usual again.
//!
//! Like the rest of the app this does no IO: store work is an [`Effect::Store`].

use crossterm::event::KeyEvent;
use tokio::time::Instant;

use crate::engine::Command;
use crate::store::{ConversationId, ConversationSummary, StoreError};

use crate::tui::app::keymap::Action;
use crate::tui::app::{App, Connection, Effect, StoreRequest};
use crate::tui::render::cells::CellKind;
use crate::tui::widgets::picker::{Picker, PickerAction, PickerHints, PickerKey};

/// The stored conversation on screen and the ways back into history: the picker, and
/// picking or editing an earlier message.
#[derive(Debug, Default)]
pub(in crate::tui) struct Browse {
    /// The conversation picker, while open.
    pub picker: Option<Picker>,
    /// The user message cell picked with Esc then Up/Down, while picking.
    pub selecting: Option<u64>,
    /// The typed user message being edited (0-based): sending forks the conversation there.
    pub editing: Option<usize>,
    /// The stored conversation on screen, once it has an id.
    pub conversation_id: Option<ConversationId>,
}

impl App {
    /// Ctrl+R: opens the picker and asks for the first page.
    pub(in crate::tui) fn open_picker(&mut self) {
        self.browse.selecting = None;
        self.conversation.set_highlight(None);
        self.browse.picker = Some(Picker::new(
            self.browse.conversation_id,
            self.picker_hints(),
        ));
        self.effect(Effect::Store(StoreRequest::List(String::new())));
    }

    /// The store's answer to [`StoreRequest::List`], listed at `now_ms`.
    pub fn on_listed(&mut self, result: Result<Vec<ConversationSummary>, StoreError>, now_ms: i64) {
        if let Some(picker) = &mut self.browse.picker {
            match result {
                Ok(items) => picker.set_items(items, now_ms),
                Err(e) => picker.set_error(e.to_string()),
            }
        }
    }

    pub(in crate::tui) fn on_picker_key(&mut self, key: &KeyEvent, now: Instant) {
        let bound = match self.keymap.action_for(key) {
            Some(Action::Send) => Some(PickerKey::Open),
            Some(Action::Interrupt) => Some(PickerKey::Close),
            Some(Action::DeleteConversation) => Some(PickerKey::Delete),
            _ => None,
        };
        let Some(picker) = &mut self.browse.picker else {
            return;
        };
        match picker.on_key(key, bound) {
            PickerAction::None => {}
            PickerAction::Search(query) => self.effect(Effect::Store(StoreRequest::List(query))),
            PickerAction::Close => self.browse.picker = None,
            PickerAction::Open(id) => {
                self.browse.picker = None;
                if self.is_busy() {
                    self.interrupt(now);
                }
                self.effect(Effect::Store(StoreRequest::Open(id)));
            }
            PickerAction::Delete(id) => {
                let query = picker.query.clone();
                self.effect(Effect::Store(StoreRequest::Delete(id)));
                self.effect(Effect::Store(StoreRequest::List(query)));
                if Some(id) == self.browse.conversation_id {
                    // The open conversation is gone: what follows is a new one.
                    self.new_conversation(now);
                    self.browse.picker = Some(Picker::new(None, self.picker_hints()));
                }
                self.flash(format!("deleted conversation {id}"), now);
            }
        }
    }

    /// The picker's keys as the footer names them; unbound ones are left out.
    fn picker_hints(&self) -> PickerHints {
        let key = |action| {
            let keys = self.keymap.keys_for(action);
            keys.first().map_or(String::new(), |k| k.to_string())
        };
        PickerHints {
            open: key(Action::Send),
            close: key(Action::Interrupt),
            delete: key(Action::DeleteConversation),
        }
    }

    /// Ctrl+N: a new conversation; the current one stays stored.
    pub(in crate::tui) fn new_conversation(&mut self, now: Instant) {
        if self.is_busy() {
            self.interrupt(now);
        }
        self.conversation.clear();
        self.forget_tools();
        self.last_answer = None;
        self.browse.selecting = None;
        self.browse.editing = None;
        self.browse.conversation_id = None;
        self.effect(Effect::Engine(Command::Clear));
        self.flash("new conversation", now);
    }

    /// `/rename TITLE`.
    pub(in crate::tui) fn rename(&mut self, title: String, now: Instant) {
        match self.browse.conversation_id {
            Some(id) => {
                self.effect(Effect::Store(StoreRequest::Rename(id, title.clone())));
                self.flash(format!("renamed to “{title}”"), now);
            }
            None => self.flash("nothing to rename yet: send a message first", now),
        }
    }

    /// The engine's word on which stored conversation this is.
    /// The line printed after the terminal is restored, so the conversation is easy to
    /// come back to: only when the one on screen is stored and has messages.
    pub fn resume_hint(&self) -> Option<String> {
        let id = self.browse.conversation_id?;
        let has_messages = self
            .conversation
            .cells()
            .iter()
            .any(|c| matches!(c.kind, CellKind::User(_)));
        has_messages.then(|| format!("resume with: chatterm --resume {id}"))
    }

    pub(in crate::tui) fn set_conversation_id(&mut self, id: Option<String>) {
        self.browse.conversation_id = id.and_then(|s| s.parse::<ConversationId>().ok());
    }

    /// Esc when idle: starts picking a message on an empty input, stops editing otherwise.
    pub(in crate::tui) fn escape_idle(&mut self, now: Instant) {
        if !self.input.is_empty() {
            if self.browse.editing.take().is_some() {
                self.input.clear();
                self.sync_popup();
                self.flash("edit cancelled", now);
            }
            return;
        }
        self.browse.editing = None;
        let Some(last) = self.user_cells().last().copied() else {
            self.flash("no message to edit yet", now);
            return;
        };
        self.select_cell(Some(last));
    }

    /// Keys while picking a message. True when the key was used up.
    pub(in crate::tui) fn on_select_key(&mut self, key: &KeyEvent, now: Instant) -> bool {
        let Some(current) = self.browse.selecting else {
            return false;
        };
        let cells = self.user_cells();
        let at = cells.iter().position(|&id| id == current);
        match (self.keymap.action_for(key), at) {
            (Some(Action::HistoryPrev), Some(i)) => {
                self.select_cell(Some(cells[i.saturating_sub(1)]));
            }
            (Some(Action::HistoryNext), Some(i)) => self.select_cell(cells.get(i + 1).copied()),
            (Some(Action::Send), Some(i)) => {
                let text = self
                    .conversation
                    .cells()
                    .iter()
                    .find_map(|c| match &c.kind {
                        CellKind::User(t) if c.id == current => Some(t.clone()),
                        _ => None,
                    });
                self.select_cell(None);
                if let Some(text) = text {
                    self.input.set_text(&text);
                    self.sync_popup();
                    self.browse.editing = Some(i);
                    let (send, esc) = (
                        self.hint_key(Action::Send),
                        self.hint_key(Action::Interrupt),
                    );
                    self.flash(
                        format!("editing: {send} sends it as a new branch · {esc} cancels"),
                        now,
                    );
                }
            }
            (Some(Action::Interrupt), _) => self.select_cell(None),
            _ => {
                self.select_cell(None);
                return false;
            }
        }
        true
    }

    fn select_cell(&mut self, id: Option<u64>) {
        self.browse.selecting = id;
        self.conversation.set_highlight(id);
        if let Some(id) = id {
            self.conversation.scroll_to_cell(id);
        }
    }

    /// The ids of the cells that hold typed user messages, in order.
    fn user_cells(&self) -> Vec<u64> {
        (self.conversation).ids_where(|k| matches!(k, CellKind::User(_)))
    }

    /// Sends `text` in place of the `index`-th user message: a new branch from there. The
    /// message keeps its attachments (the engine keeps their blocks), so their chips stay.
    pub(in crate::tui) fn send_fork(&mut self, index: usize, text: String) {
        let mut chips = Vec::new();
        if let Some(&id) = self.user_cells().get(index) {
            chips = (self.conversation.cells().iter())
                .find_map(|c| match &c.kind {
                    CellKind::User(t) if c.id == id => Some(t.attachments().to_vec()),
                    _ => None,
                })
                .unwrap_or_default();
            self.conversation.truncate_from(id);
        }
        let edited = crate::tui::app::paste::UserText::from(text.as_str());
        self.conversation
            .push(CellKind::User(edited.with_attachments(chips)));
        self.conversation.scroll_to_bottom();
        self.connection = Connection::Waiting;
        self.effect(Effect::Engine(Command::Fork {
            user_index: index,
            text,
        }));
    }
}
