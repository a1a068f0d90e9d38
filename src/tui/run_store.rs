//! The event loop's side of the conversation store: carrying out the app's
//! [`StoreRequest`]s and resuming conversations in the engine.
//!
//! Every request is one short SQLite call on the loop's thread (listing a page and loading
//! a long conversation are benchmarked well under a frame's budget), so no result can
//! arrive out of order. Failures become notices or the picker's error line: the store
//! going away never ends the session.

use std::sync::Arc;

use chatterm::engine::{Command, EngineHandle};
use chatterm::store::{LoadedConversation, Store, now_ms};

use super::app::{App, StoreRequest};
use super::cells::NoticeKind;
use super::picker::PAGE;

/// The store the TUI works with, and a conversation to show at start (`--continue`,
/// `--resume`; the engine was given its history already).
pub struct StoreLink {
    pub store: Arc<Store>,
    pub resumed: Option<LoadedConversation>,
}

/// Carries out one store request.
pub fn apply(app: &mut App, store: &Store, engine: &EngineHandle, request: StoreRequest) {
    match request {
        StoreRequest::List(query) => {
            let search = (!query.trim().is_empty()).then_some(query.as_str());
            app.on_listed(store.list(search, PAGE), now_ms());
        }
        StoreRequest::Open(id) => match store.load(id) {
            Ok(loaded) => {
                app.show_conversation(&loaded);
                let command = Command::Resume {
                    conversation: id.to_string(),
                    history: loaded.history(),
                };
                if engine.commands.send(command).is_err() {
                    app.notice(NoticeKind::Error, "the engine stopped; restart chatterm");
                }
            }
            Err(e) => app.notice(NoticeKind::Error, format!("cannot open it: {e}")),
        },
        StoreRequest::Delete(id) => {
            if let Err(e) = store.delete(id) {
                app.notice(NoticeKind::Error, format!("cannot delete it: {e}"));
            }
        }
        StoreRequest::Rename(id, title) => {
            if let Err(e) = store.rename(id, &title) {
                app.notice(NoticeKind::Error, format!("cannot rename it: {e}"));
            }
        }
    }
}
