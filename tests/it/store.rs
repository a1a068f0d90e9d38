//! The conversation store with the engine and the real binary: write-ahead saving,
//! resume replaying the same bytes, forks, a SIGKILL mid-stream, two processes at once,
//! locked and damaged files, `chatterm history`.

use std::io::{BufReader, Write};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chatterm::api::{Role, Usage};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::store::{CUT_SHORT, ConversationId, DB_FILE, MessageStatus, Store};

use crate::binary::*;
use crate::common::*;

fn store_in(dir: &tempfile::TempDir) -> Arc<Store> {
    Arc::new(Store::open(&dir.path().join(DB_FILE)).unwrap())
}

fn journaled(
    server: &MockServer,
    store: &Arc<Store>,
    conversation: Option<String>,
) -> EngineHandle {
    let config = test_config();
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_journal(store.clone(), conversation)
        .spawn()
}

/// An answer with a signed thinking block: what must come back byte for byte.
fn thinking_reply(text: &str) -> Reply {
    Reply::Script(Script::new(vec![
        Step::Start {
            usage: Usage {
                input_tokens: 20,
                output_tokens: 1,
                ..Usage::default()
            },
        },
        Step::Thinking {
            deltas: vec!["Let me ".into(), "think.".into()],
            signature: "EqQBCkgIARABGAIiQL2sig==".into(),
        },
        Step::text(text),
        Step::end_turn(9),
    ]))
}

async fn next_conversation_id(handle: &mut EngineHandle) -> String {
    next_update(handle, "conversation id", |u| match u {
        Update::Conversation { id: Some(id) } => Some(id),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_resumed_conversation_replays_an_identical_request_body() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let server = MockServer::start().await.unwrap();
    server.enqueue(thinking_reply("First answer, with **markdown**."));
    let mut live = journaled(&server, &store, None);
    let updates = turn(&mut live, "one").await;
    assert!(finished(&updates).is_some());
    let id = updates
        .iter()
        .find_map(|u| match u {
            Update::Conversation { id } => id.clone(),
            _ => None,
        })
        .expect("the first message created a conversation");

    // Another engine picks the conversation up from the store alone.
    let loaded = store.load(id.parse().unwrap()).unwrap();
    let mut resumed = journaled(&server, &store, Some(id.clone()));
    resumed
        .commands
        .send(Command::Resume {
            conversation: id.clone(),
            history: loaded.history(),
        })
        .unwrap();
    server.enqueue(Reply::Script(Script::text("two from the resumed one")));
    assert!(finished(&turn(&mut resumed, "two").await).is_some());
    server.enqueue(Reply::Script(Script::text("two from the live one")));
    assert!(finished(&turn(&mut live, "two").await).is_some());

    let requests = message_requests(&server);
    assert_eq!(requests.len(), 3);
    let (from_store, from_memory) = (&requests[1].raw_body, &requests[2].raw_body);
    assert_eq!(
        String::from_utf8_lossy(from_store),
        String::from_utf8_lossy(from_memory),
        "the resumed request differs from the one the live engine sent"
    );
    let body = requests[1].body.as_ref().unwrap();
    assert_eq!(
        body["messages"][1]["content"][0]["signature"],
        "EqQBCkgIARABGAIiQL2sig=="
    );
}

#[tokio::test]
async fn the_user_message_is_saved_before_its_request_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Hang(Duration::from_secs(30)));
    let mut handle = journaled(&server, &store, None);
    handle
        .commands
        .send(Command::Send("saved first".into()))
        .unwrap();
    let id: ConversationId = next_conversation_id(&mut handle).await.parse().unwrap();
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.messages.len(), 1);
    assert_eq!(loaded.messages[0].content[0].as_text(), Some("saved first"));
    handle.commands.send(Command::Cancel).unwrap();
    let updates = collect_turn(&mut handle).await;
    assert!(error(&updates).is_some());
}

#[tokio::test]
async fn an_interrupted_answer_is_kept_with_its_status_and_sent_as_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let server = MockServer::start().await.unwrap();
    server.enqueue(stalls_after("Half an", " answer"));
    let mut handle = journaled(&server, &store, None);
    handle.commands.send(Command::Send("q".into())).unwrap();
    let id: ConversationId = next_conversation_id(&mut handle).await.parse().unwrap();
    // Wait for the text to arrive, then interrupt.
    until_text(&mut handle).await;
    handle.commands.send(Command::Cancel).unwrap();
    collect_turn(&mut handle).await;
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.messages.len(), 2);
    assert_eq!(loaded.messages[1].status, MessageStatus::Interrupted);
    assert!(
        loaded.messages[1].content[0]
            .as_text()
            .unwrap()
            .starts_with("Half")
    );
    let history = loaded.history();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].content.last().unwrap().as_text(),
        Some(CUT_SHORT)
    );
}

#[tokio::test]
async fn editing_an_earlier_message_forks_and_keeps_both_branches() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let server = MockServer::start().await.unwrap();
    let mut handle = journaled(&server, &store, None);
    for q in ["one", "two", "three"] {
        server.enqueue(Reply::Script(Script::text(&format!("answer {q}"))));
        turn(&mut handle, q).await;
    }
    let original = store.latest().unwrap().unwrap();
    server.enqueue(Reply::Script(Script::text("answer two, edited")));
    handle
        .commands
        .send(Command::Fork {
            user_index: 1,
            text: "two, edited".into(),
        })
        .unwrap();
    let branch: ConversationId = next_conversation_id(&mut handle).await.parse().unwrap();
    collect_turn(&mut handle).await;
    assert_ne!(branch, original);
    let texts = |id| -> Vec<String> {
        store
            .load(id)
            .unwrap()
            .messages
            .iter()
            .map(|m| m.to_message().text())
            .collect()
    };
    assert_eq!(
        texts(original),
        [
            "one",
            "answer one",
            "two",
            "answer two",
            "three",
            "answer three"
        ]
    );
    assert_eq!(
        texts(branch),
        ["one", "answer one", "two, edited", "answer two, edited"]
    );
    let listed: Vec<_> = store.list(None, 10).unwrap().iter().map(|s| s.id).collect();
    assert_eq!(listed, [branch, original], "both branches are listed");
    let body = message_requests(&server)
        .last()
        .unwrap()
        .body
        .clone()
        .unwrap();
    let sent: Vec<_> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"][0]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["one", "answer one", "two, edited"]);
}

#[tokio::test]
async fn auto_title_asks_the_fast_tier_and_reports_its_usage() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.chat.auto_title = true;
    let mut handle = Engine::new(client_for(&server, &config), &config, Pricing::embedded())
        .with_journal(store.clone(), None)
        .spawn();
    server.enqueue(Reply::Script(Script::text("Sort with sort_unstable.")));
    server.enqueue(Reply::Script(Script::text("\"Sorting a Vec in Rust.\"")));
    turn(&mut handle, "How do I sort a Vec quickly?").await;
    let (title, usage) = next_update(&mut handle, "title", |u| match u {
        Update::Titled { title, usage, .. } => Some((title, usage)),
        _ => None,
    })
    .await;
    assert_eq!(title.as_deref(), Some("Sorting a Vec in Rust"));
    assert!(usage.output_tokens > 0, "the title request's usage is real");
    let requests = message_requests(&server);
    assert_eq!(requests[1].body.as_ref().unwrap()["model"], FAST);
    let id = store.latest().unwrap().unwrap();
    assert_eq!(store.summary(id).unwrap().title, "Sorting a Vec in Rust");
}

// ---- the real binary ----

fn db_path(data: &tempfile::TempDir) -> std::path::PathBuf {
    data_dir(data).join(DB_FILE)
}

#[tokio::test]
async fn sigkill_mid_stream_keeps_the_question_and_the_partial_answer() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(stalls_after("The partial answer so far", " and the rest"));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "tell me everything"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // The answer has begun on stdout.
    let stdout = child.stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut buf = [0u8; 64];
        let mut reader = BufReader::new(stdout);
        let n = std::io::Read::read(&mut reader, &mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(first.starts_with("The"), "{first}");
    // Wait for the checkpoint (the stream is quiet now, so it is due within 250 ms).
    let path = db_path(&data);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let store = Store::open(&path).unwrap();
        let saved = store
            .latest()
            .unwrap()
            .map(|id| store.load(id).unwrap())
            .filter(|c| {
                c.messages
                    .get(1)
                    .is_some_and(|m| m.to_message().text() == "The partial answer so far")
            });
        if saved.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the partial answer was never saved"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    let status = child.wait().unwrap();
    assert!(!status.success());

    // The next start opens the store as it is and shows both.
    let mut cmd = chatterm(&data);
    cmd.args(["history", "list"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert!(
        text(&out.stdout).contains("tell me everything"),
        "{}",
        text(&out.stdout)
    );
    let store = Store::open(&path).unwrap();
    let id = store.latest().unwrap().unwrap();
    let loaded = store.load(id).unwrap();
    assert_eq!(
        loaded.messages[0].content[0].as_text(),
        Some("tell me everything")
    );
    assert_eq!(
        loaded.messages[1].status.shown_as(),
        MessageStatus::Interrupted
    );
    let mut cmd = chatterm(&data);
    cmd.args(["history", "show", &id.to_string()]);
    let shown = text(&output(cmd).await.stdout);
    assert!(shown.contains("tell me everything"), "{shown}");
    assert!(
        shown.contains("The partial answer so far\n\n_(interrupted)_"),
        "{shown}"
    );
    // Continuing sends the question, then the partial answer as far as it went.
    server.enqueue(Reply::Script(Script::text("A full answer.")));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--continue", "go on"]);
    let out = output(cmd).await;
    assert_success(&out);
    let body = message_bodies(&server).pop().unwrap();
    assert_eq!(roles(&body), ["user", "assistant", "user"]);
    assert_eq!(body["messages"][1]["content"][1]["text"], CUT_SHORT);
    // No key or header ever reaches the file.
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
    for haystack in [&bytes, &wal] {
        assert!(
            !haystack
                .windows(API_KEY.len())
                .any(|w| w == API_KEY.as_bytes())
        );
    }
}

#[tokio::test]
async fn print_mode_continues_and_history_exports_both_formats() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(thinking_reply("Rust sorts with `sort`."));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "How do I sort in Rust?"]);
    assert!(output(cmd).await.status.success());
    server.enqueue(Reply::Script(Script::text("Use sort_unstable for speed.")));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--continue", "And faster?"]);
    let out = output(cmd).await;
    assert_success(&out);
    let requests = message_requests(&server);
    let body = requests[1].body.as_ref().unwrap();
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
    assert_eq!(
        body["messages"][1]["content"][0]["signature"],
        "EqQBCkgIARABGAIiQL2sig=="
    );

    let mut cmd = chatterm(&data);
    cmd.args(["history", "list", "--search", "sort"]);
    let list = text(&output(cmd).await.stdout);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(
        list.contains("4 msgs") && list.contains("How do I sort in Rust?"),
        "{list}"
    );
    let id = list.split_whitespace().next().unwrap().to_owned();

    let mut cmd = chatterm(&data);
    cmd.args(["history", "export", &id, "--format", "json"]);
    let out = output(cmd).await;
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages = json.as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[1]["content"][0]["type"], "thinking");
    assert_eq!(
        messages[3]["content"][0]["text"],
        "Use sort_unstable for speed."
    );
    // API-ready: the second request's history is exactly this array's start.
    assert_eq!(body["messages"][1], messages[1]);

    let md_file = data.path().join("out.md");
    let mut cmd = chatterm(&data);
    cmd.args(["history", "export", &id, "--format", "md", "--output"])
        .arg(&md_file);
    assert!(output(cmd).await.status.success());
    let md = std::fs::read_to_string(&md_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&md_file), 0o600, "the export");
        assert_eq!(mode(&data_dir(&data)), 0o700, "the data directory");
        assert_eq!(mode(&db_path(&data)), 0o600, "the database");
    }
    assert!(md.starts_with("# How do I sort in Rust?\n"), "{md}");
    assert!(md.contains("## You\n\nAnd faster?"), "{md}");
    assert!(md.contains("> Let me think."), "{md}");
    assert!(md.contains("Use sort_unstable for speed."), "{md}");

    let mut cmd = chatterm(&data);
    cmd.args(["history", "show", "999"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no conversation 999"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn two_processes_writing_at_once_lose_nothing() {
    const LINES: usize = 12;
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    for i in 0..2 * LINES {
        server.enqueue(Reply::Script(Script::text(&format!("reply {i}"))));
    }
    let spawn = |name: &str| {
        let mut cmd = against(&server, &data);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let name = name.to_owned();
        std::thread::spawn(move || {
            for i in 0..LINES {
                writeln!(stdin, "{name} line {i}").unwrap();
            }
        });
        child
    };
    let (a, b) = (spawn("alpha"), spawn("beta"));
    let outs = tokio::task::spawn_blocking(move || {
        [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()]
    })
    .await
    .unwrap();
    for out in &outs {
        assert_success(out);
    }
    let store = Store::open(&db_path(&data)).unwrap();
    let all = store.list(None, 10).unwrap();
    assert_eq!(all.len(), 2, "one conversation per process");
    for c in all {
        let loaded = store.load(c.id).unwrap();
        assert_eq!(loaded.messages.len(), 2 * LINES, "{}", c.title);
        assert!(
            loaded
                .messages
                .iter()
                .all(|m| m.status == MessageStatus::Complete)
        );
        let users = loaded
            .messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count();
        assert_eq!(users, LINES);
    }
}

#[tokio::test]
async fn a_damaged_store_names_the_file_and_the_temporary_way_out() {
    let data = tempfile::tempdir().unwrap();
    let path = db_path(&data);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let server = MockServer::start().await.unwrap();
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&path.display().to_string()) && err.contains("--temp-store"),
        "{err}"
    );
    // It says the file is damaged; closing another program would not help.
    assert!(
        err.contains("The database is damaged") && !err.contains("Close the other program"),
        "{err}"
    );
    assert!(message_requests(&server).is_empty(), "nothing was sent");
    server.enqueue(Reply::Script(Script::text("fine")));
    let mut cmd = against(&server, &data);
    cmd.args(["-p", "--temp-store", "hi"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(text(&out.stdout), "fine\n");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        vec![b'x'; 4096],
        "the file is left alone"
    );
}

#[tokio::test]
async fn a_locked_store_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let path = db_path(&data);
    drop(Store::open(&path).unwrap());
    // Another program holds an exclusive lock for the whole run.
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let mut cmd = chatterm(&data);
    cmd.args(["history", "list"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("locked") && err.contains(&path.display().to_string()),
        "{err}"
    );
    assert!(err.contains("--temp-store"), "{err}");
    drop(locker);
}

/// A turn with a tool round, journaled: the answer with its call, the results message and
/// the final answer are all stored, the tool result too, and a resumed engine sends the
/// very bytes the live one sends.
#[tokio::test]
async fn a_tool_round_is_stored_and_resumes_byte_for_byte() {
    use crate::fake_tools::FakeTools;
    use crate::tool_helpers::{calls, text};
    use chatterm::engine::ToolSettings;
    use chatterm::tools::ToolExecutor;

    let dir = tempfile::tempdir().unwrap();
    let store = store_in(&dir);
    let server = MockServer::start().await.unwrap();
    let tools: Arc<dyn ToolExecutor> = Arc::new(FakeTools::new());
    let engine = |conversation: Option<String>| {
        let config = test_config();
        Engine::new(client_for(&server, &config), &config, Pricing::embedded())
            .with_tools(tools.clone(), ToolSettings::default())
            .with_journal(store.clone(), conversation)
            .spawn()
    };
    let input = serde_json::json!({"order_id": "ORD-1"});
    server.enqueue(calls(&[("toolu_store1", "lookup_order", input)]));
    server.enqueue(text("It has shipped."));
    let mut live = engine(None);
    let updates = turn(&mut live, "where is ORD-1?").await;
    assert!(finished(&updates).is_some());
    let id: String = updates
        .iter()
        .find_map(|u| match u {
            Update::Conversation { id } => id.clone(),
            _ => None,
        })
        .unwrap();

    let cid: ConversationId = id.parse().unwrap();
    let loaded = store.load(cid).unwrap();
    let roles: Vec<Role> = loaded.history().iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    let results = store.tool_results(cid).unwrap();
    assert_eq!(results.len(), 1, "the tool result is kept on its own too");

    let mut resumed = engine(Some(id.clone()));
    let history = loaded.history();
    resumed
        .commands
        .send(Command::Resume {
            conversation: id,
            history,
        })
        .unwrap();
    server.enqueue(text("Anything else?"));
    assert!(finished(&turn(&mut resumed, "thanks").await).is_some());
    server.enqueue(text("Anything else?"));
    assert!(finished(&turn(&mut live, "thanks").await).is_some());
    let requests = message_requests(&server);
    assert_eq!(requests.len(), 4);
    assert_eq!(
        String::from_utf8_lossy(&requests[2].raw_body),
        String::from_utf8_lossy(&requests[3].raw_body),
        "the resumed request differs from the one the live engine sent"
    );
}
