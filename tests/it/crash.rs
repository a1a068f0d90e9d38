//! After a crash: a killed process's answer row stays its own, reads as interrupted, and the
//! next `--continue` sends a valid history that still holds what the user saw; two writers
//! of one conversation never write into each other's rows.

use std::io::BufReader;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chatterm::api::Role;
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle};
use chatterm::mock::{MockServer, Reply, Script};
use chatterm::store::{CUT_SHORT, ConversationId, DB_FILE, MessageStatus, Store};

use crate::binary::*;
use crate::common::*;

fn db_path(data: &tempfile::TempDir) -> std::path::PathBuf {
    data_dir(data).join(DB_FILE)
}

/// Polls the store until its newest conversation's answer holds `text` (20 s deadline).
async fn until_checkpointed(path: &std::path::Path, text: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(store) = Store::open(path) {
            let saved = store
                .latest()
                .ok()
                .flatten()
                .and_then(|id| store.load(id).ok())
                .is_some_and(|c| {
                    c.messages
                        .iter()
                        .any(|m| m.role == Role::Assistant && m.to_message().text() == text)
                });
            if saved {
                return;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the partial answer was never saved"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Finding 1 of issue 12: `kill -9` mid-stream, then `-c "and dogs?"`.
#[tokio::test]
async fn kill_9_then_continue_keeps_the_partial_and_answers_in_a_new_row() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(stalls_after("Foxes are small", " omnivores."));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--no-tools", "tell me about foxes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    // Keep reading stdout so the child never blocks on a full pipe.
    let drain = std::thread::spawn(move || {
        let _ = std::io::copy(&mut BufReader::new(stdout), &mut std::io::sink());
    });
    let path = db_path(&data);
    until_checkpointed(&path, "Foxes are small").await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drain.join().unwrap();

    server.enqueue(Reply::Script(Script::text("Dogs are loyal.")));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--no-tools", "-c", "and dogs?"]);
    assert_success(&output(cmd).await);
    server.enqueue(Reply::Script(Script::text("Cats are aloof.")));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--no-tools", "-c", "and cats?"]);
    assert_success(&output(cmd).await);

    let store = Store::open(&path).unwrap();
    let loaded = store.load(store.latest().unwrap().unwrap()).unwrap();
    let rows: Vec<(Role, String, MessageStatus)> = loaded
        .messages
        .iter()
        .map(|m| (m.role, m.to_message().text(), m.status))
        .collect();
    let expected = [
        (Role::User, "tell me about foxes", MessageStatus::Complete),
        (
            Role::Assistant,
            "Foxes are small",
            MessageStatus::Interrupted,
        ),
        (Role::User, "and dogs?", MessageStatus::Complete),
        (Role::Assistant, "Dogs are loyal.", MessageStatus::Complete),
        (Role::User, "and cats?", MessageStatus::Complete),
        (Role::Assistant, "Cats are aloof.", MessageStatus::Complete),
    ]
    .map(|(r, t, s)| (r, t.to_owned(), s));
    assert_eq!(rows, expected);

    // Both continuations alternated and carried the partial, marked as cut off (the mock
    // validated each request before answering it).
    let bodies = message_bodies(&server);
    assert_eq!(bodies.len(), 3);
    assert_eq!(roles(&bodies[1]), ["user", "assistant", "user"]);
    assert_eq!(
        roles(&bodies[2]),
        ["user", "assistant", "user", "assistant", "user"]
    );
    let partial = &bodies[2]["messages"][1]["content"];
    assert_eq!(partial[0]["text"], "Foxes are small");
    assert_eq!(partial[1]["text"], CUT_SHORT, "{partial}");
}

fn journaled(server: &MockServer, store: &Arc<Store>, conversation: &str) -> EngineHandle {
    let config = test_config();
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_journal(store.clone(), Some(conversation.to_owned()))
        .spawn()
}

/// Two engines (each with its own connection, as two processes have) continue one
/// conversation at the same time: each answer lands in its writer's own row.
#[tokio::test]
async fn two_writers_of_one_conversation_keep_to_their_own_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let (first, second) = (
        Arc::new(Store::open(&path).unwrap()),
        Arc::new(Store::open(&path).unwrap()),
    );
    let id = first.create(FAST, "start").unwrap();
    let conversation = id.to_string();
    let server = MockServer::start().await.unwrap();
    server.enqueue_matching("alpha?", stalls_after("alpha part", " never"));
    server.enqueue_matching("beta?", stalls_after("beta part", " never"));
    let mut a = journaled(&server, &first, &conversation);
    let mut b = journaled(&server, &second, &conversation);
    a.commands.send(Command::Send("alpha?".into())).unwrap();
    until_text(&mut a).await;
    wait_for_row(&first, id, "alpha part").await;
    b.commands.send(Command::Send("beta?".into())).unwrap();
    until_text(&mut b).await;
    wait_for_row(&first, id, "beta part").await;
    b.commands.send(Command::Cancel).unwrap();
    collect_turn(&mut b).await;
    a.commands.send(Command::Cancel).unwrap();
    collect_turn(&mut a).await;

    let loaded = first.load(id).unwrap();
    let rows: Vec<(String, MessageStatus)> = loaded
        .messages
        .iter()
        .map(|m| (m.to_message().text(), m.status))
        .collect();
    let expected = [
        ("alpha?", MessageStatus::Complete),
        ("alpha part", MessageStatus::Interrupted),
        ("beta?", MessageStatus::Complete),
        ("beta part", MessageStatus::Interrupted),
    ]
    .map(|(t, s)| (t.to_owned(), s));
    assert_eq!(rows, expected);
}

/// Polls until some row of the conversation holds `text` (20 s deadline).
async fn wait_for_row(store: &Store, id: ConversationId, text: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let messages = store.load(id).unwrap().messages;
        if messages.iter().any(|m| m.to_message().text() == text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no row with {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `history` passes the mock's API validation as a request (tools defined, since
/// the history may hold tool blocks).
pub fn valid_history(history: &[chatterm::api::Message]) -> Result<(), String> {
    let body = serde_json::json!({
        "model": FAST,
        "max_tokens": 100,
        "messages": history,
        "tools": [{"name": "run_command", "input_schema": {"type": "object"}}],
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    chatterm::mock::validate::validate(&bytes, chatterm::mock::validate::Endpoint::Messages)
        .map(|_| ())
}

/// A process died after writing a round's results message, before its answer: the next
/// message continues after it without storing the results a second time.
#[tokio::test]
async fn a_stored_results_message_is_not_written_again_with_the_next_message() {
    use chatterm::api::{ContentBlock, Message};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join(DB_FILE)).unwrap());
    let id = store.create(FAST, "list files").unwrap();
    let call: ContentBlock = serde_json::from_value(serde_json::json!(
        {"type": "tool_use", "id": "toolu_1", "name": "run_command", "input": {"command": "ls"}}
    ))
    .unwrap();
    let result: ContentBlock = serde_json::from_value(serde_json::json!(
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt"}
    ))
    .unwrap();
    store.append(id, &Message::user_text("list files")).unwrap();
    store
        .end_answer(id, Some(&[call]), FAST, MessageStatus::Complete, None)
        .unwrap();
    store
        .append(
            id,
            &Message {
                role: Role::User,
                content: vec![result],
            },
        )
        .unwrap();

    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::text("There is a.txt.")));
    let mut engine = journaled(&server, &store, &id.to_string());
    let history = store.load(id).unwrap().history();
    engine
        .commands
        .send(Command::Resume {
            conversation: id.to_string(),
            history,
        })
        .unwrap();
    assert!(finished(&turn(&mut engine, "go on").await).is_some());
    let history = store.load(id).unwrap().history();
    assert_eq!(history.len(), 5, "{history:?}");
    valid_history(&history).unwrap();
}

/// The raw status of a conversation's rows, read without opening it through the store
/// (which would settle them).
fn raw_statuses(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT status FROM messages ORDER BY conversation_id, position")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// `history show` in another process leaves a live chatterm's answer streaming, and marks
/// it interrupted once that chatterm is dead.
#[tokio::test]
async fn opening_leaves_a_live_writers_row_alone_and_settles_a_dead_ones() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(stalls_after("Still coming", " later."));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--no-tools", "a long one"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let path = db_path(&data);
    until_checkpointed(&path, "Still coming").await;
    let show = || {
        let mut cmd = chatterm(&data);
        cmd.args(["history", "show", "1"]);
        cmd
    };
    assert_success(&output(show()).await);
    assert_eq!(
        raw_statuses(&path),
        ["complete", "streaming"],
        "while it runs"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_success(&output(show()).await);
    assert_eq!(
        raw_statuses(&path),
        ["complete", "interrupted"],
        "once it died"
    );
}
