//! The event loop's side of the conversation store: carrying out the app's
//! [`StoreRequest`]s. Opening one hands it to the app, whose resume command for the engine
//! leaves it as an effect like every other command.
//!
//! Every request is one short SQLite call on the loop's thread (listing a page and loading
//! a long conversation are benchmarked well under a frame's budget), so no result can
//! arrive out of order. Failures become notices or the picker's error line: the store
//! going away never ends the session.

use std::sync::Arc;

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
pub fn apply(app: &mut App, store: &Store, request: StoreRequest) {
    match request {
        StoreRequest::List(query) => {
            let search = (!query.trim().is_empty()).then_some(query.as_str());
            app.on_listed(store.list(search, PAGE), now_ms());
        }
        StoreRequest::Open(id) => match store.load(id) {
            Ok(loaded) => app.resume(&loaded),
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
