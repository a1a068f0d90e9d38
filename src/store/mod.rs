//! The conversation store: SQLite persistence of conversations, their messages, tool
//! results and the usage ledger, so nothing a user typed or paid for is lost.
//!
//! The model:
//!
//! - A **conversation** is a row with a title, times, the model it last used and, for a
//!   fork, the conversation and position it was forked from. Its id is an integer, shown
//!   and passed around (CLI, [`crate::cost::LedgerEntry::conversation`], the engine's
//!   journal) as its decimal string.
//! - A **message** is one row per message shown, in `position` order: the exact content
//!   blocks as JSON (as sent, or as received, unknown fields included) and a
//!   [`MessageStatus`]. The history sent to the API is the `complete` messages exactly as
//!   stored, so a resumed conversation replays the very bytes it sent before, plus what was
//!   shown of an answer cut short (interrupted, failed, or left `streaming` by a killed
//!   process): its text, then the note [`CUT_SHORT`], so the model sees what the user saw
//!   and that it stopped there (the exact rules are in `recovery.rs`). Retried
//!   (superseded) answers are kept for display only.
//! - A **branch** is a conversation of its own: forking copies the messages before the
//!   fork point into a new conversation that names its parent, so both branches stay
//!   whole and are listed side by side (a deleted parent leaves its branches intact).
//! - **Tool results** are kept as each finishes, before the message that carries them
//!   back to the model is assembled.
//! - The **usage ledger** implements [`crate::cost::Ledger`].
//! - An FTS5 index over titles and message text backs the picker's search.
//!
//! Durability: the database is in WAL mode with `synchronous = NORMAL`, so every committed
//! write survives the process being killed (SIGKILL) and the next open needs no repair: a
//! message left `streaming` by a killed process reads as interrupted, and opening its
//! conversation marks it so. Each answer row belongs to the handle that inserted it, and
//! the history sent after a crash keeps what the user saw of a cut-short answer, marked as
//! such: see `recovery.rs`. Several processes may use one file at once (WAL readers never
//! block; writers wait up to the busy timeout). A database that is locked past the
//! timeout, corrupt, or from a newer chatterm is a [`StoreError`] that names the file.
//!
//! Privacy: a data directory the store creates is `0700`, and the database with its `-wal`
//! and `-shm` files is `0600` (an existing database is tightened to that on open; SQLite
//! gives the side files the database's mode). Exports written to a file are `0600` too
//! ([`write_private`]).
//!
//! Never stored: API keys or request headers. The store sees content blocks, not requests.
//!
//! Layout: `schema.rs` (migrations), `conversations.rs` (listing, search, rename, delete,
//! fork, load), `messages.rs` (appending and the streaming checkpoint), `tails.rs` (the
//! text a streaming answer gained since its row was written, appended rather than
//! rewriting the row, and merged back by every reader), `recovery.rs`
//! (answer rows' writers, settling abandoned rows, the history after a crash), `ledger.rs`,
//! `export.rs` (Markdown and API JSON). The engine's journal over the store lives in
//! `engine/journal.rs`, so this module knows nothing of the engine.

mod attachments;
mod conversations;
mod export;
mod ledger;
mod messages;
mod recall;
mod recovery;
mod schema;
mod tails;
mod tool_runs;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use crate::api::{ContentBlock, Message, Role};

pub use conversations::{ConversationSummary, LoadedConversation};
pub use export::{to_api_json, to_markdown, utc, utc_date};
pub use messages::stored;
pub use recovery::{CUT_SHORT, STALE_AFTER};
pub use tool_runs::{ToolOutcome, ToolRun};

/// The environment variable that moves the data directory (tests, portable setups).
pub const ENV_DATA_DIR: &str = "CHATTERM_DATA_DIR";
/// The database's file name inside the data directory.
pub const DB_FILE: &str = "chatterm.db";
/// How long a write waits for another process's write to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A conversation's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId(pub i64);

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for ConversationId {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        s.trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(ConversationId)
            .ok_or_else(|| StoreError::BadId(s.to_owned()))
    }
}

/// Where a stored message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Sent (user) or fully received (assistant): part of the history.
    Complete,
    /// An answer still arriving, checkpointed. Read after its process died, it is an
    /// interrupted answer (see [`MessageStatus::shown_as`]).
    Streaming,
    /// The user stopped the answer; what had arrived is kept.
    Interrupted,
    /// The request failed after this much had arrived.
    Failed,
    /// A complete answer that a retry replaced: shown, never sent again.
    Superseded,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Streaming => "streaming",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "complete" => Self::Complete,
            "streaming" => Self::Streaming,
            "failed" => Self::Failed,
            "superseded" => Self::Superseded,
            _ => Self::Interrupted,
        }
    }

    /// How a reader should treat the status: a `streaming` row that is read back belongs
    /// to an answer whose process is gone (or still running elsewhere), so it is shown as
    /// interrupted; this is what makes a crash need no repair step.
    pub fn shown_as(self) -> Self {
        match self {
            Self::Streaming => Self::Interrupted,
            s => s,
        }
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub position: i64,
    pub role: Role,
    pub content: Vec<ContentBlock>,
    pub status: MessageStatus,
    /// The model that wrote an answer.
    pub model: Option<String>,
    /// Why an answer stopped early (failed / interrupted), for display.
    pub error: Option<String>,
    pub created_ms: i64,
}

impl StoredMessage {
    /// The message as the API takes it.
    pub fn to_message(&self) -> Message {
        Message {
            role: self.role,
            content: self.content.clone(),
        }
    }

    /// A message the user typed (not one that only carries tool results back).
    pub fn is_typed(&self) -> bool {
        is_typed(self.role, &self.content)
    }
}

/// Whether a user message was typed, rather than assembled from tool results.
pub fn is_typed(role: Role, content: &[ContentBlock]) -> bool {
    role == Role::User
        && !content
            .iter()
            .any(|b| matches!(b, ContentBlock::ToolResult(_)))
}

/// What went wrong with the store. Every variant that concerns the file names it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: the database is locked by another program (waited {}s)", BUSY_TIMEOUT.as_secs())]
    Locked { path: String },
    #[error("{path}: not a chatterm database, or damaged ({message})")]
    Corrupt { path: String, message: String },
    #[error("{path}: made by a newer chatterm (schema {found}, this one knows {known})")]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("no conversation {0}")]
    NotFound(ConversationId),
    #[error("{0:?} is not a conversation id (a number, as `chatterm history list` shows)")]
    BadId(String),
    #[error("conversation store: {0}")]
    Sql(String),
}

impl StoreError {
    /// Errors that mean the file cannot be used at all (as opposed to one bad query).
    pub fn is_unusable(&self) -> bool {
        matches!(
            self,
            Self::Locked { .. } | Self::Corrupt { .. } | Self::TooNew { .. } | Self::Io { .. }
        )
    }

    fn from_sql(path: &str, e: rusqlite::Error) -> Self {
        let path = path.to_owned();
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Locked { path },
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Self::Corrupt {
                path,
                message: e.to_string(),
            },
            Some(
                ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::PermissionDenied
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull,
            ) => Self::Io {
                path,
                message: e.to_string(),
            },
            _ => Self::Sql(e.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store: one SQLite connection behind a mutex (callers on any thread; every call is
/// short). Cheap to share in an `Arc`.
pub struct Store {
    conn: Mutex<Connection>,
    /// The file, or `:memory:` for a temporary store; named in every error.
    path: String,
    /// The answer rows this handle is writing (see `recovery.rs`).
    answering: recovery::Answering,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The data directory: `$CHATTERM_DATA_DIR`, else the platform's data directory for
/// chatterm (Linux: `~/.local/share/chatterm`).
pub fn data_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(dir) = env(ENV_DATA_DIR).filter(|d| !d.trim().is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "chatterm").map(|d| d.data_dir().to_path_buf())
}

/// The database file in the data directory.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    data_dir(env).map(|d| d.join(DB_FILE))
}

/// `PRAGMA journal_mode = WAL`, retried while another process holds the lock. Two
/// processes opening a new file at once both ask to switch; SQLite answers the loser
/// `SQLITE_BUSY` at once rather than calling the busy handler (waiting could deadlock), so
/// the wait is done here, up to [`BUSY_TIMEOUT`].
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Creates `dir` and its missing parents, readable by the user alone (`0700`). An existing
/// directory is left as it is: it may be shared on purpose (`CHATTERM_DATA_DIR=/tmp`).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the database file `0600` if it is missing, and takes group and other access
/// away from it and its `-wal` / `-shm` files if they have it (a database made by an
/// older chatterm). SQLite creates the side files with the database's mode.
fn make_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => {}
        // An existing file (perhaps read-only) is opened by SQLite as it is.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            // Best effort: another user's file cannot be changed, and stays usable.
            let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` (an export) readable and writable by the user alone (`0600`),
/// replacing what it held.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // An existing file keeps its mode through `open`: narrow it before writing.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.is_file() {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    std::io::Write::write_all(&mut file, bytes)
}

impl Store {
    /// Opens (creating it and its directory if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir).map_err(|e| StoreError::Io {
                path: dir.display().to_string(),
                message: format!("cannot create the directory: {e}"),
            })?;
        }
        make_private(path).map_err(|e| StoreError::Io {
            path: name.clone(),
            message: format!("cannot create the file: {e}"),
        })?;
        let conn = Connection::open(path).map_err(|e| StoreError::from_sql(&name, e))?;
        Store::setup(conn, name, true)
    }

    /// A store that lives in memory and is gone when the process ends (`--temp-store`).
    pub fn in_memory() -> Result<Store> {
        let name = ":memory:".to_owned();
        let conn = Connection::open_in_memory().map_err(|e| StoreError::from_sql(&name, e))?;
        Store::setup(conn, name, false)
    }

    fn setup(conn: Connection, path: String, wal: bool) -> Result<Store> {
        let err = |e| StoreError::from_sql(&path, e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        if wal {
            // Reading the mode back forces the header read, so a file that is not a
            // database fails here, with its name, rather than at the first query.
            let mode = switch_to_wal(&conn).map_err(err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Io {
                    path,
                    message: format!("cannot switch to WAL mode (got {mode})"),
                });
            }
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(err)?;
        schema::migrate(&conn, &path)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
            answering: recovery::Answering::default(),
        })
    }

    /// The file this store writes to (`:memory:` for a temporary store).
    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn is_temporary(&self) -> bool {
        self.path == ":memory:"
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Sql("the store's lock was poisoned".into()))
    }

    fn sql_err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::from_sql(&self.path, e)
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The searchable text of a message: its text blocks, tool inputs and tool results.
fn searchable_text(content: &[ContentBlock]) -> String {
    let mut out = String::new();
    for block in content {
        let piece = match block {
            ContentBlock::Text(t) => t.text.clone(),
            ContentBlock::ToolUse(t) => format!("{} {}", t.name, t.input),
            ContentBlock::ToolResult(r) => match &r.content {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            },
            _ => continue,
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&piece);
    }
    out
}

/// A title from the first line of a message: trimmed, at most 80 characters.
pub fn title_from(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    let line = line.unwrap_or("(untitled)");
    let mut title: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        title.push('…');
    }
    title
}
