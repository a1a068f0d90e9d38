use rusqlite::params;
use serde_json::json;

use super::*;
use crate::api::{Message, Role};
use crate::store::{ConversationId, DB_FILE, MessageStatus as S, STALE_AFTER, now_ms, schema};

fn block(v: serde_json::Value) -> ContentBlock {
    serde_json::from_value(v).unwrap()
}

fn file_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join(DB_FILE)).unwrap()
}

/// How many tails the conversation's rows have.
fn tails(store: &Store, id: ConversationId) -> i64 {
    store
        .conn()
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM answer_tails t JOIN messages m ON m.id = t.message_id \
             WHERE m.conversation_id = ?1",
            params![id.0],
            |r| r.get(0),
        )
        .unwrap()
}

/// The conversation's last message as loaded by `store`.
fn last(store: &Store, id: ConversationId) -> StoredMessageView {
    let loaded = store.load(id).unwrap();
    let m = loaded.messages.last().unwrap();
    StoredMessageView {
        content: m.content.clone(),
        status: m.status,
    }
}

#[derive(Debug, PartialEq)]
struct StoredMessageView {
    content: Vec<ContentBlock>,
    status: S,
}

fn view(content: Vec<ContentBlock>, status: S) -> StoredMessageView {
    StoredMessageView { content, status }
}

/// A conversation with a question, `writer` answering it.
fn asked(writer: &Store) -> ConversationId {
    let id = writer.create("m", "q").unwrap();
    writer.append(id, &Message::user_text("q")).unwrap();
    id
}

/// Streams `words` words into `writer`'s answer after `head`, checkpointing after each;
/// returns the text and how many checkpoints rewrote the row (its tails went back to 0).
fn stream(
    writer: &Store,
    reader: &Store,
    id: ConversationId,
    head: &[ContentBlock],
    words: usize,
) -> (String, usize) {
    let (mut text, mut rewrites) = (String::new(), 0);
    let mut before = 0;
    for i in 0..words {
        text.push_str(&format!("wörd{i} "));
        let mut content = head.to_vec();
        content.push(ContentBlock::text(text.clone()));
        writer.save_progress(id, &content, "m").unwrap();
        // Another handle sees all of it at every step.
        assert_eq!(last(reader, id), view(content, S::Streaming), "step {i}");
        let now = tails(writer, id);
        if now <= before {
            rewrites += 1;
        }
        before = now;
    }
    (text, rewrites)
}

#[test]
fn a_growing_answer_appends_tails_and_a_second_handle_sees_all_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, reader) = (file_store(&dir), file_store(&dir));
    let id = asked(&writer);
    let (text, rewrites) = stream(&writer, &reader, id, &[], 300);
    // ~3 KB in 300 checkpoints: the row is rewritten as the text doubles, no more often
    // (the first checkpoint inserts it).
    assert!(text.len() > 2500, "{}", text.len());
    assert!((5..=14).contains(&rewrites), "{rewrites} rewrites");
    assert!(tails(&writer, id) > 0);
    // The history sent after a crash and the search index see it too.
    let history = reader.load(id).unwrap().history();
    assert_eq!(history[1].content[0], ContentBlock::text(text.clone()));
    assert_eq!(reader.list(Some("wörd1"), 10).unwrap().len(), 1);
    // Deleting the conversation takes its tails with it.
    reader.delete(id).unwrap();
    let left: i64 = reader
        .conn()
        .unwrap()
        .query_row("SELECT COUNT(*) FROM answer_tails", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn a_block_change_mid_stream_rewrites_the_row_and_drops_its_tails() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, reader) = (file_store(&dir), file_store(&dir));
    let id = asked(&writer);
    let (first, _) = stream(&writer, &reader, id, &[], 40);
    assert!(tails(&writer, id) > 0);
    // A tool call closes and a second text block begins.
    let call = block(json!({"type": "tool_use", "id": "t1", "name": "f", "input": {}}));
    let head = [ContentBlock::text(first.clone()), call.clone()];
    let mut content = head.to_vec();
    // (What `stream` writes first, as the accumulator only ever appends.)
    content.push(ContentBlock::text("wörd0 "));
    writer.save_progress(id, &content, "m").unwrap();
    assert_eq!(tails(&writer, id), 0);
    assert_eq!(last(&reader, id), view(content, S::Streaming));
    // The new block grows by tails again; a citation on it rewrites.
    stream(&writer, &reader, id, &head, 40);
    assert!(tails(&writer, id) > 0);
    let cited = block(json!({"type": "text", "text": "cited", "citations": [{"type": "x"}]}));
    let mut content = head.to_vec();
    content.push(cited);
    writer.save_progress(id, &content, "m").unwrap();
    assert_eq!(tails(&writer, id), 0);
    assert_eq!(last(&reader, id), view(content, S::Streaming));
}

#[test]
fn every_end_of_an_answer_leaves_no_tails() {
    let dir = tempfile::tempdir().unwrap();
    let (writer, reader) = (file_store(&dir), file_store(&dir));
    // Ended with its final content.
    let id = asked(&writer);
    let (text, _) = stream(&writer, &reader, id, &[], 30);
    let whole = [ContentBlock::text(format!("{text}end"))];
    writer
        .end_answer(id, Some(&whole), "m", S::Complete, None)
        .unwrap();
    assert_eq!(tails(&writer, id), 0);
    assert_eq!(last(&reader, id), view(whole.to_vec(), S::Complete));
    // Ended keeping what the checkpoints saved.
    let id = asked(&writer);
    let (text, _) = stream(&writer, &reader, id, &[], 30);
    writer
        .end_answer(id, None, "m", S::Failed, Some("HTTP 500"))
        .unwrap();
    assert_eq!(tails(&writer, id), 0);
    assert_eq!(
        last(&reader, id),
        view(vec![ContentBlock::text(text.clone())], S::Failed)
    );
    assert_eq!(reader.list(Some("wörd29"), 10).unwrap().len(), 2);
    // Closed by the next question (its end was never written).
    let id = asked(&writer);
    let (text, _) = stream(&writer, &reader, id, &[], 30);
    writer.append(id, &Message::user_text("q2")).unwrap();
    assert_eq!(tails(&writer, id), 0);
    let loaded = reader.load(id).unwrap();
    assert_eq!(loaded.messages[1].content, [ContentBlock::text(text)]);
    assert_eq!(loaded.messages[1].status, S::Interrupted);
}

#[cfg(unix)]
#[test]
fn a_killed_writers_row_settles_as_interrupted_with_its_tail_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir);
    let writer = file_store(&dir);
    let id = asked(&writer);
    let (text, _) = stream(&writer, &store, id, &[], 50);
    assert!(tails(&store, id) > 0);
    // The writer dies (a process that is gone).
    writer.answering.release(&writer.path, id);
    drop(writer);
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = i64::from(child.id());
    child.wait().unwrap();
    store
        .conn()
        .unwrap()
        .execute(
            "UPDATE messages SET writer_pid = ?2 WHERE conversation_id = ?1",
            params![id.0, dead],
        )
        .unwrap();
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.messages[1].content, [ContentBlock::text(text)]);
    assert_eq!(loaded.messages[1].status, S::Interrupted);
    assert_eq!(tails(&store, id), 0, "folded into the row");
    assert_eq!(store.list(Some("wörd49"), 10).unwrap().len(), 1);
    assert_eq!(store.load(id).unwrap(), loaded);
}

#[cfg(unix)]
#[test]
fn a_fresh_tail_keeps_a_live_writers_row_live_and_a_mistaken_settle_is_undone() {
    let dir = tempfile::tempdir().unwrap();
    let writer = file_store(&dir);
    let id = asked(&writer);
    let (text, _) = stream(&writer, &writer, id, &[], 30);
    let live = i64::from(std::os::unix::process::parent_id());
    let old = now_ms() - i64::try_from((STALE_AFTER * 2).as_millis()).unwrap();
    // Another process's view: a row last rewritten long ago, by a writer that still
    // runs, whose tails are fresh.
    let reader = file_store(&dir);
    writer.answering.release(&writer.path, id);
    reader
        .conn()
        .unwrap()
        .execute(
            "UPDATE messages SET writer_pid = ?2, checkpoint_ms = ?3 WHERE conversation_id = ?1",
            params![id.0, live, old],
        )
        .unwrap();
    assert_eq!(last(&reader, id).status, S::Streaming);
    // Settled by mistake (as from another pid namespace): the writer's next tail puts the
    // status back, and nothing is lost or doubled.
    let row: i64 = reader
        .conn()
        .unwrap()
        .query_row(
            "UPDATE messages SET writer_pid = NULL WHERE conversation_id = ?1 \
             AND role = 'assistant' RETURNING id",
            params![id.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(last(&reader, id).status, S::Interrupted);
    assert_eq!(tails(&reader, id), 0);
    let written = Written {
        text_len: Some(text.len()),
        ..Written::whole(&[ContentBlock::text("")], 1 << 20)
    };
    writer.answering.claim(&writer.path, id, row, written);
    let more = format!("{text}more");
    writer
        .save_progress(id, &[ContentBlock::text(more.clone())], "m")
        .unwrap();
    assert_eq!(
        last(&reader, id),
        view(vec![ContentBlock::text(more)], S::Streaming)
    );
}

#[test]
fn growth_is_told_from_counts_and_lengths() {
    let written = Written::whole(&[ContentBlock::text("héllo")], 100);
    let grown = |c: &[ContentBlock]| written.grown(c).map(str::to_owned);
    assert_eq!(grown(&[ContentBlock::text("héllo wo")]), Some(" wo".into()));
    assert_eq!(grown(&[ContentBlock::text("héllo")]), Some(String::new()));
    assert_eq!(grown(&[ContentBlock::text("hé")]), None, "shrank");
    let two = [ContentBlock::text("héllo"), ContentBlock::text("x")];
    assert_eq!(grown(&two), None, "a new block");
    let cited = block(json!({"type": "text", "text": "héllo!", "citations": [{}]}));
    assert_eq!(grown(&[cited]), None, "a citation");
    // Not on a character boundary of what was written: rewrite.
    let written = Written::whole(&[ContentBlock::text("h\u{e9}")], 100);
    let mid = Written {
        text_len: Some(2),
        ..written
    };
    assert_eq!(mid.grown(&[ContentBlock::text("hé!")]), None);
    // A block that restarted and outgrew what was written: rewrite.
    assert_eq!(grown(&[ContentBlock::text("hallo world")]), None);
    let tail = Written::whole(&[ContentBlock::text("héllo")], 100).appended(" wo");
    assert_eq!(tail.grown(&[ContentBlock::text("héllo wo!")]), Some("!"));
    assert_eq!(tail.grown(&[ContentBlock::text("héllo wx!")]), None);
    let long = Written::whole(&[ContentBlock::text("x".repeat(40))], 100).appended("yz");
    let mut text = "x".repeat(40) + "yz";
    assert_eq!(
        long.grown(&[ContentBlock::text(text.clone() + "!")]),
        Some("!")
    );
    text.replace_range(30..31, "_");
    assert_eq!(long.grown(&[ContentBlock::text(text + "!")]), None);
    // The tails reaching the row's text size: rewrite.
    let small = Written::whole(&[ContentBlock::text("abcd")], 4);
    assert_eq!(small.grown(&[ContentBlock::text("abcdefg")]), Some("efg"));
    assert_eq!(small.grown(&[ContentBlock::text("abcdefgh")]), None);
}

#[test]
fn a_version_4_database_gains_the_tails_table_and_keeps_its_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for step in &schema::MIGRATIONS[..4] {
            conn.execute_batch(step).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (id, title, created_ms, updated_ms) VALUES (1, 'q', 1, 1);
             INSERT INTO messages (conversation_id, position, role, content, status, text, \
               created_ms, writer_pid, checkpoint_ms) VALUES \
               (1, 0, 'user', '[{\"type\":\"text\",\"text\":\"q\"}]', 'complete', 'q', 1, NULL, 1), \
               (1, 1, 'assistant', '[{\"type\":\"text\",\"text\":\"half\"}]', 'streaming', \
                'half', 1, NULL, 1);",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let version: i64 = store
        .conn()
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::LATEST);
    let id = ConversationId(1);
    assert_eq!(
        last(&store, id),
        view(vec![ContentBlock::text("half")], S::Interrupted)
    );
    store.append(id, &Message::user_text("again")).unwrap();
    let (text, _) = stream(&store, &store, id, &[], 20);
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.messages.len(), 4);
    assert_eq!(loaded.messages[3].role, Role::Assistant);
    assert_eq!(loaded.messages[3].content, [ContentBlock::text(text)]);
}

#[test]
fn a_branch_of_a_live_answer_copies_its_tails() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(&dir);
    // A question that follows an answer still streaming (as from another process).
    let id = asked(&store);
    let (live, _) = stream(&store, &store, id, &[], 30);
    store
        .conn()
        .unwrap()
        .execute(
            "INSERT INTO messages (conversation_id, position, role, content, status, text, \
               created_ms) VALUES (?1, 2, 'user', '[{\"type\":\"text\",\"text\":\"q2\"}]', \
               'complete', 'q2', 1)",
            params![id.0],
        )
        .unwrap();
    let branch = store.fork(id, 1).unwrap();
    let copied = store.load(branch).unwrap();
    assert_eq!(copied.messages[1].content, [ContentBlock::text(live)]);
    assert_eq!(copied.messages[1].status, S::Interrupted);
    assert_eq!(tails(&store, branch), 0);
    assert!(tails(&store, id) > 0, "the original is untouched");
}
