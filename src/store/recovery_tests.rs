use serde_json::json;

use super::*;
use crate::store::{DB_FILE, MessageStatus as S, stored};

fn block(v: serde_json::Value) -> ContentBlock {
    serde_json::from_value(v).unwrap()
}

fn row(position: i64, role: Role, content: Vec<ContentBlock>, status: S) -> StoredMessage {
    StoredMessage {
        status,
        ..stored(position, role, content)
    }
}

fn text(t: &str) -> Vec<ContentBlock> {
    vec![ContentBlock::text(t)]
}

fn roles(history: &[Message]) -> Vec<Role> {
    history.iter().map(|m| m.role).collect()
}

#[test]
fn a_cut_short_answer_is_sent_as_its_text_and_says_so() {
    let partial = vec![
        block(json!({"type": "thinking", "thinking": "hm"})),
        ContentBlock::text("Foxes are"),
        ContentBlock::text("  "),
        block(json!({"type": "tool_use", "id": "t1", "name": "x", "input": {}})),
    ];
    for status in [S::Streaming, S::Interrupted, S::Failed] {
        let messages = [
            row(0, Role::User, text("foxes?"), S::Complete),
            row(1, Role::Assistant, partial.clone(), status),
            row(2, Role::User, text("and dogs?"), S::Complete),
        ];
        let sent = history(&messages);
        assert_eq!(roles(&sent), [Role::User, Role::Assistant, Role::User]);
        assert_eq!(
            sent[1].content,
            [
                ContentBlock::text("Foxes are"),
                ContentBlock::text(CUT_SHORT)
            ]
        );
    }
}

#[test]
fn a_partial_without_text_or_followed_by_an_answer_is_left_out() {
    let call = vec![block(
        json!({"type": "tool_use", "id": "t1", "name": "x", "input": {}}),
    )];
    let messages = [
        row(0, Role::User, text("q1"), S::Complete),
        row(1, Role::Assistant, call, S::Interrupted),
        row(2, Role::User, text("q2"), S::Complete),
        // Interrupted, then retried: the complete retry replaces the partial.
        row(3, Role::Assistant, text("half"), S::Interrupted),
        row(4, Role::Assistant, text("whole"), S::Complete),
        row(5, Role::User, text("q3"), S::Complete),
        // A superseded answer, then a retry cut short: the partial is the answer.
        row(6, Role::Assistant, text("old"), S::Superseded),
        row(7, Role::Assistant, text("new"), S::Failed),
        // A partial after a complete answer is never sent as a second answer.
        row(8, Role::Assistant, text("extra"), S::Interrupted),
    ];
    let sent = history(&messages);
    let texts: Vec<String> = sent.iter().map(Message::text).collect();
    assert_eq!(
        roles(&sent),
        [
            Role::User,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant
        ]
    );
    assert_eq!(texts[2], "whole");
    assert!(texts[4].starts_with("new"), "{texts:?}");
}

fn file_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join(DB_FILE)).unwrap()
}

fn rows(store: &Store, id: ConversationId) -> Vec<(String, S)> {
    store
        .load(id)
        .unwrap()
        .messages
        .iter()
        .map(|m| (m.to_message().text(), m.status))
        .collect()
}

fn owned(rows: &[(&str, S)]) -> Vec<(String, S)> {
    rows.iter().map(|(t, s)| ((*t).to_owned(), *s)).collect()
}

#[test]
fn two_handles_answering_one_conversation_write_their_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (file_store(&dir), file_store(&dir));
    let id = a.create("m", "q").unwrap();
    a.append(id, &Message::user_text("qa")).unwrap();
    a.save_progress(id, &text("a1"), "m").unwrap();
    b.append(id, &Message::user_text("qb")).unwrap();
    b.save_progress(id, &text("b1"), "m").unwrap();
    a.save_progress(id, &text("a2"), "m").unwrap();
    a.end_answer(id, Some(&text("a3")), "m", S::Complete, None)
        .unwrap();
    b.end_answer(id, None, "m", S::Interrupted, None).unwrap();
    let expected = [
        ("qa", S::Complete),
        ("a3", S::Complete),
        ("qb", S::Complete),
        ("b1", S::Interrupted),
    ];
    assert_eq!(rows(&a, id), owned(&expected));
}

/// Sets a row's writer and checkpoint time as another process would have left them.
fn left_by(store: &Store, id: ConversationId, pid: Option<i64>, age: Duration) {
    let conn = store.conn().unwrap();
    let at = now_ms() - i64::try_from(age.as_millis()).unwrap();
    conn.execute(
        "UPDATE messages SET writer_pid = ?2, checkpoint_ms = ?3 \
         WHERE conversation_id = ?1 AND status = 'streaming'",
        params![id.0, pid, at],
    )
    .unwrap();
}

/// A conversation whose answer a process left streaming: `(pid, age)`.
fn abandoned_by(store: &Store, pid: Option<i64>, age: Duration) -> ConversationId {
    let writer = Store::open(std::path::Path::new(&store.path)).unwrap();
    let id = writer.create("m", "q").unwrap();
    writer.append(id, &Message::user_text("q")).unwrap();
    writer.save_progress(id, &text("partial"), "m").unwrap();
    // The writer dies without ending its answer: nothing in this process writes the row.
    writer.answering.release(&writer.path, id);
    drop(writer);
    left_by(store, id, pid, age);
    id
}

#[cfg(unix)]
fn dead_pid() -> i64 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    i64::from(pid)
}

#[cfg(unix)]
#[test]
fn opening_settles_the_rows_of_writers_that_are_gone_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir);
    let fresh = Duration::ZERO;
    let live = i64::from(std::os::unix::process::parent_id());
    let me = i64::from(std::process::id());
    let cases = [
        (Some(dead_pid()), fresh, S::Interrupted),
        (None, fresh, S::Interrupted),
        (Some(me), fresh, S::Interrupted),
        (Some(live), STALE_AFTER * 2, S::Interrupted),
        (Some(live), fresh, S::Streaming),
    ];
    for (pid, age, expected) in cases {
        let id = abandoned_by(&store, pid, age);
        let loaded = store.load(id).unwrap();
        assert_eq!(loaded.messages[1].status, expected, "{pid:?} {age:?}");
    }
    // A row another handle of this process is writing is live.
    let other = file_store(&dir);
    let id = other.create("m", "q").unwrap();
    other.save_progress(id, &text("live"), "m").unwrap();
    assert_eq!(store.load(id).unwrap().messages[0].status, S::Streaming);
    // The next answer in a settled conversation gets a row of its own.
    let id = abandoned_by(&store, Some(dead_pid()), fresh);
    store.append(id, &Message::user_text("again")).unwrap();
    store
        .end_answer(id, Some(&text("new")), "m", S::Complete, None)
        .unwrap();
    let expected = [
        ("q", S::Complete),
        ("partial", S::Interrupted),
        ("again", S::Complete),
        ("new", S::Complete),
    ];
    assert_eq!(rows(&store, id), owned(&expected));
}

#[test]
fn a_user_message_closes_an_answer_whose_end_was_never_written() {
    let store = Store::in_memory().unwrap();
    let id = store.create("m", "q").unwrap();
    store.append(id, &Message::user_text("q")).unwrap();
    store.save_progress(id, &text("lost turn"), "m").unwrap();
    store.append(id, &Message::user_text("q2")).unwrap();
    store.save_progress(id, &text("next"), "m").unwrap();
    let expected = [
        ("q", S::Complete),
        ("lost turn", S::Interrupted),
        ("q2", S::Complete),
        ("next", S::Streaming),
    ];
    assert_eq!(rows(&store, id), owned(&expected));
}

#[test]
fn a_branch_copies_a_streaming_row_as_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir);
    let id = store.create("m", "q").unwrap();
    store.append(id, &Message::user_text("q")).unwrap();
    store.save_progress(id, &text("live"), "m").unwrap();
    store.append(id, &Message::user_text("q2")).unwrap();
    let branch = store.fork(id, 1).unwrap();
    assert_eq!(
        rows(&store, branch),
        owned(&[("q", S::Complete), ("live", S::Interrupted)])
    );
}

#[cfg(unix)]
#[test]
fn the_data_directory_is_private_and_so_are_the_database_and_exports() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("new").join("data");
    let path = dir.join(DB_FILE);
    let store = Store::open(&path).unwrap();
    let id = store.create("m", "q").unwrap();
    store.append(id, &Message::user_text("q")).unwrap();
    assert_eq!(mode(&dir), 0o700);
    for file in [DB_FILE, "chatterm.db-wal", "chatterm.db-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    drop(store);
    // A database an older chatterm left world-readable is narrowed on open.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Store::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
    // Exports, new or replacing a readable file.
    let export = home.path().join("out.md");
    crate::store::write_private(&export, b"one").unwrap();
    assert_eq!(mode(&export), 0o600);
    std::fs::set_permissions(&export, std::fs::Permissions::from_mode(0o644)).unwrap();
    crate::store::write_private(&export, b"two").unwrap();
    assert_eq!(mode(&export), 0o600);
    assert_eq!(std::fs::read(&export).unwrap(), b"two");
}

#[cfg(unix)]
#[test]
fn checkpoints_index_the_text_as_it_doubles_and_settling_indexes_all_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir);
    let writer = Store::open(std::path::Path::new(&store.path)).unwrap();
    let id = writer.create("m", "q").unwrap();
    writer.append(id, &Message::user_text("q")).unwrap();
    let found = |word: &str| store.list(Some(word), 10).unwrap().len();
    writer.save_progress(id, &text("alpha"), "m").unwrap();
    writer.save_progress(id, &text("alpha beta"), "m").unwrap();
    assert_eq!(found("beta"), 1, "indexed: the text doubled");
    writer
        .save_progress(id, &text("alpha beta gamma"), "m")
        .unwrap();
    assert_eq!(found("gamma"), 0, "not indexed until the text doubles");
    assert_eq!(rows(&store, id)[1].0, "alpha beta gamma", "but saved");
    // The writer dies; opening the conversation settles its row and indexes all of it.
    writer.answering.release(&writer.path, id);
    drop(writer);
    left_by(&store, id, Some(dead_pid()), Duration::ZERO);
    assert_eq!(store.load(id).unwrap().messages[1].status, S::Interrupted);
    assert_eq!(found("gamma"), 1);
    // An answer's end indexes it whole.
    store.append(id, &Message::user_text("again")).unwrap();
    store.save_progress(id, &text("delta"), "m").unwrap();
    store
        .save_progress(id, &text("delta epsilon"), "m")
        .unwrap();
    store
        .save_progress(id, &text("delta epsilon zeta"), "m")
        .unwrap();
    assert_eq!(found("zeta"), 0);
    store
        .end_answer(
            id,
            Some(&text("delta epsilon zeta")),
            "m",
            S::Complete,
            None,
        )
        .unwrap();
    assert_eq!(found("zeta"), 1);
}
