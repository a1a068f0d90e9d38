//! Versioned migrations, tracked in SQLite's `user_version`.
//!
//! Each entry of [`MIGRATIONS`] takes the schema from version `i` to `i + 1` and runs in
//! one immediate transaction with the version bump, so a crash mid-migration leaves the
//! old version intact and the next open runs it again. Two processes opening a new file at
//! once are safe: the second waits for the first's transaction, then sees the new version
//! and has nothing to do. Never edit a released migration; add the next one.

use rusqlite::{Connection, TransactionBehavior};

use super::{Result, StoreError};

/// Version 1: conversations, messages, tool results, the usage ledger, FTS5 indexes.
const V1: &str = r#"
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    title         TEXT    NOT NULL,
    -- 'first_line' (from the first message), 'auto' (the fast tier) or 'user' (/rename)
    title_source  TEXT    NOT NULL DEFAULT 'first_line',
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    model         TEXT    NOT NULL DEFAULT '',
    -- a fork: the conversation it came from (not a foreign key: the parent may be
    -- deleted, its branches stay) and how many of its messages were copied
    parent_id     INTEGER,
    forked_at     INTEGER,
    message_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_recent ON conversations (updated_ms DESC, id DESC);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
    -- the content blocks exactly as sent or received, as a JSON array
    content         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    model           TEXT,
    error           TEXT,
    -- what the search index sees: text blocks, tool inputs and results
    text            TEXT    NOT NULL,
    created_ms      INTEGER NOT NULL,
    UNIQUE (conversation_id, position)
);

CREATE TABLE tool_results (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tool_use_id     TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    input           TEXT    NOT NULL,
    -- the tool_result block as it goes back to the model
    result          TEXT    NOT NULL,
    is_error        INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    created_ms      INTEGER NOT NULL
);
CREATE INDEX tool_results_by_conversation ON tool_results (conversation_id, tool_use_id);

CREATE TABLE usage_ledger (
    id           INTEGER PRIMARY KEY,
    at_ms        INTEGER NOT NULL,
    conversation TEXT,
    model        TEXT    NOT NULL,
    tier         TEXT,
    -- the whole Usage object as JSON (cache split, server tools, fields added later)
    usage        TEXT    NOT NULL,
    cost_usd     REAL,
    latency_ms   INTEGER NOT NULL,
    fell_back    INTEGER NOT NULL
);
CREATE INDEX usage_by_time ON usage_ledger (at_ms);
CREATE INDEX usage_by_conversation ON usage_ledger (conversation);

CREATE TRIGGER messages_count_up AFTER INSERT ON messages BEGIN
    UPDATE conversations SET message_count = message_count + 1
    WHERE id = new.conversation_id;
END;
CREATE TRIGGER messages_count_down AFTER DELETE ON messages BEGIN
    UPDATE conversations SET message_count = message_count - 1
    WHERE id = old.conversation_id;
END;

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE VIRTUAL TABLE titles_fts USING fts5 (
    title, content = 'conversations', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER titles_fts_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO titles_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER titles_fts_delete AFTER DELETE ON conversations BEGIN
    INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER titles_fts_update AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO titles_fts (rowid, title) VALUES (new.id, new.title);
END;
"#;

/// Version 2: who is writing a `streaming` answer row, and when it was last checkpointed,
/// so opening a conversation can tell a dead writer's row from a live one
/// (see `store/recovery.rs`).
const V2: &str = r#"
ALTER TABLE messages ADD COLUMN writer_pid INTEGER;
ALTER TABLE messages ADD COLUMN checkpoint_ms INTEGER;
"#;

/// Version 3: how each tool call went ('ran' or 'not_run'), so a resumed conversation
/// shows what the live one did (see `tool_runs.rs`).
const V3: &str = r#"
ALTER TABLE tool_results ADD COLUMN outcome TEXT NOT NULL DEFAULT 'ran';
"#;

/// Version 4: attachments kept once by content hash, referred to by messages (see
/// `attachments.rs`); an attachment goes when its last reference does.
const V4: &str = r#"
CREATE TABLE attachments (
    -- the SHA-256 of the block's JSON
    hash       TEXT PRIMARY KEY,
    -- the content block exactly as sent, as JSON
    block      TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE message_attachments (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL,
    PRIMARY KEY (message_id, hash)
);
CREATE INDEX message_attachments_by_hash ON message_attachments (hash);
CREATE TRIGGER attachments_unused AFTER DELETE ON message_attachments BEGIN
    DELETE FROM attachments WHERE hash = old.hash
      AND NOT EXISTS (SELECT 1 FROM message_attachments WHERE hash = old.hash);
END;
"#;

/// Version 5: the text a streaming answer gained since its row was last written, appended
/// at each checkpoint instead of rewriting the row (see `tails.rs`). `at_ms` is when the
/// piece was written: a row's freshness is its newest checkpoint, tail or row.
const V5: &str = r#"
CREATE TABLE answer_tails (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
"#;

/// Every migration, in order; the schema version is the number applied.
pub(super) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`LATEST`]. Refuses a database from a newer chatterm.
pub(super) fn migrate(conn: &Connection, path: &str) -> Result<()> {
    let err = |e| StoreError::from_sql(path, e);
    loop {
        let version = user_version(conn).map_err(err)?;
        if version > LATEST {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found: version,
                known: LATEST,
            });
        }
        let Some(step) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        // `Connection::transaction` needs `&mut`; an unchecked one works on `&`.
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
            .map_err(err)?;
        // Another process may have migrated while this one waited for the lock.
        if user_version(&tx).map_err(err)? != version {
            continue;
        }
        tx.execute_batch(step).map_err(err)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}
