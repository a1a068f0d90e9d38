//! The event loop's side of the conversation store: carrying out the app's
//! [`StoreRequest`]s. Opening one hands it to the app, whose resume command for the engine
//! leaves it as an effect like every other command.
//!
//! Every request is one short SQLite call on the loop's thread (listing a page and loading
//! a long conversation are benchmarked well under a frame's budget), so no result can
//! arrive out of order. Failures become notices or the picker's error line: the store
//! going away never ends the session.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::store::{ConversationId, LoadedConversation, Store, now_ms, to_api_json, to_markdown};

use crate::tui::app::{App, StoreRequest};
use crate::tui::render::cells::NoticeKind;
use crate::tui::widgets::commands::ExportFormat;
use crate::tui::widgets::picker::PAGE;

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
            Ok(loaded) => {
                let outcomes = store.tool_outcomes(id).unwrap_or_default();
                app.resume(&loaded, &outcomes);
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
        StoreRequest::Export { id, format, path } => match export(store, id, format, &path) {
            Ok(shown) => app.notice(NoticeKind::Info, format!("exported to {shown}")),
            Err(e) => app.notice(NoticeKind::Error, format!("cannot export: {e}")),
        },
    }
}

/// Writes conversation `id` to a new file at `path`, readable by the user only (it holds
/// the whole conversation). Never overwrites: an existing file is an error, so nothing is
/// lost. Returns the absolute path, to say where it went.
fn export(
    store: &Store,
    id: ConversationId,
    format: ExportFormat,
    path: &Path,
) -> Result<String, String> {
    let loaded = store.load(id).map_err(|e| e.to_string())?;
    let text = match format {
        ExportFormat::Markdown => {
            let results = store.tool_results(id).map_err(|e| e.to_string())?;
            to_markdown(&loaded, &results)
        }
        ExportFormat::Json => to_api_json(&loaded).map_err(|e| e.to_string())? + "\n",
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let shown = shown.display().to_string();
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!("{shown} already exists"),
        _ => format!("{shown}: {e}"),
    })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("{shown}: {e}"))?;
    Ok(shown)
}
