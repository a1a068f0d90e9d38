//! Attachments over loopback: each kind reaches the request in its block form (from the
//! library, a mention, `--attach` and stdin), limits refuse before anything is sent, the
//! store keeps attachments once and a resumed conversation replays the same bytes, and
//! project instructions join the system prompt.

use std::path::Path;
use std::sync::Arc;

use chatterm::attach::{self, LoadOptions, test_files};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::{MockServer, Reply, Script};
use chatterm::store::{DB_FILE, Store, to_api_json, to_markdown};
use chatterm::tools::workspace::Workspace;
use serde_json::Value;

use crate::binary::*;
use crate::common::*;

fn options(root: &Path) -> LoadOptions {
    LoadOptions {
        cwd: root.to_path_buf(),
        ..LoadOptions::explicit(Some(Workspace::new(root).unwrap()))
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

async fn send_attached(
    handle: &mut EngineHandle,
    text: &str,
    attachments: Vec<attach::Attachment>,
) -> Vec<Update> {
    let text = text.to_owned();
    handle
        .commands
        .send(Command::SendAttached { text, attachments })
        .unwrap();
    collect_turn(handle).await
}

fn answer_text(updates: &[Update]) -> String {
    finished(updates).expect("the turn finished").text()
}

#[tokio::test]
async fn each_kind_reaches_the_request_in_its_block_form_and_the_demo_describes_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.md", b"alpha\nbeta\ngamma\n");
    write(dir.path(), "shot.png", &test_files::png(120, 80));
    write(dir.path(), "spec.pdf", &test_files::pdf(3));
    let opts = options(dir.path());
    let mut files = attach::resolve_mentions("see @notes.md:2-3 and @nothing-here", &opts).unwrap();
    files.push(attach::load("shot.png", &opts).unwrap());
    files.push(attach::load("spec.pdf", &opts).unwrap());

    let server = MockServer::start().await.unwrap();
    let mut engine = engine_for(&server, &test_config());
    let updates = send_attached(&mut engine, "see @notes.md:2-3 and @nothing-here", files).await;
    assert!(
        answer_text(&updates)
            .starts_with("I see `notes.md` (2 lines of text), a 120x80 PNG and a 3-page PDF."),
        "{}",
        answer_text(&updates)
    );
    let body = message_bodies(&server).remove(0);
    let content = body["messages"][0]["content"].as_array().unwrap().clone();
    let kinds: Vec<&str> = content
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["text", "text", "image", "text", "document", "text"]);
    assert_eq!(
        content[0]["text"],
        "<file path=\"notes.md\" lines=\"2-3\">\nbeta\ngamma\n</file>"
    );
    assert_eq!(
        content[1]["text"],
        "<file path=\"shot.png\" type=\"image/png\"/>"
    );
    assert_eq!(content[2]["source"]["media_type"], "image/png");
    assert_eq!(content[4]["source"]["media_type"], "application/pdf");
    // The typed text goes last, as typed (the unknown mention stays text).
    assert_eq!(content[5]["text"], "see @notes.md:2-3 and @nothing-here");
}

#[tokio::test]
async fn the_mock_refuses_a_bad_image_as_the_api_does() {
    let server = MockServer::start().await.unwrap();
    let body = serde_json::json!({
        "model": "m", "max_tokens": 10,
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "not base64!"}},
            {"type": "text", "text": "hi"}
        ]}]
    });
    let (status, text) = post_messages(&server, &body).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("messages.0.content.0.source.data: invalid base64 data"),
        "{text}"
    );
}

#[tokio::test]
async fn print_mode_attaches_files_stdin_and_mentions() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "shot.jpg", &test_files::jpeg(64, 48));
    write(work.path(), "todo.txt", b"buy milk\n");
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::text("ok")));
    let mut cmd = against(&server, &home);
    cmd.current_dir(work.path()).args([
        "-p",
        "what about @todo.txt?",
        "--attach",
        "shot.jpg",
        "--attach",
        "-",
    ]);
    let out = output_with_stdin(cmd, b"piped log line\n").await;
    assert_success(&out);
    let body = message_bodies(&server).remove(0);
    let content = &body["messages"][0]["content"];
    assert_eq!(
        content[0]["text"],
        "<file path=\"shot.jpg\" type=\"image/jpeg\"/>"
    );
    assert_eq!(content[1]["source"]["media_type"], "image/jpeg");
    assert_eq!(
        content[2]["text"],
        "<file path=\"stdin\">\npiped log line\n</file>"
    );
    assert_eq!(
        content[3]["text"],
        "<file path=\"todo.txt\">\nbuy milk\n</file>"
    );
    assert_eq!(content[4]["text"], "what about @todo.txt?");
}

#[tokio::test]
async fn limits_give_clear_errors_and_send_nothing() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "long.pdf", &test_files::pdf(101));
    write(work.path(), "app.bin", b"\x7fELF\x02\x01\x01\0");
    let server = MockServer::start().await.unwrap();
    for (file, expected) in [
        (
            "long.pdf",
            "long.pdf: 101 pages is over the API's limit of 100 pages per PDF",
        ),
        (
            "app.bin",
            "app.bin: a binary file (an ELF executable) cannot be attached",
        ),
        ("absent.png", "absent.png: no such file"),
    ] {
        let mut cmd = against(&server, &home);
        cmd.current_dir(work.path())
            .args(["-p", "hi", "--attach", file]);
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = text(&out.stderr);
        assert!(
            err.contains(expected) && err.contains("nothing was sent"),
            "{err}"
        );
    }
    // Over 100 images in one request: refused by the engine with the API's own error.
    let mut engine = engine_for(&server, &test_config());
    write(work.path(), "dot.png", &test_files::png(2, 2));
    let one = attach::load("dot.png", &options(work.path())).unwrap();
    let updates = send_attached(&mut engine, "many", vec![one; 101]).await;
    let error = updates.iter().find_map(|u| match u {
        Update::Error { error, .. } => Some(error.to_string()),
        _ => None,
    });
    let error = error.expect("refused");
    assert!(
        error.contains("413") && error.contains("101 images"),
        "{error}"
    );
    assert!(message_requests(&server).is_empty(), "a message was sent");
}

fn journaled(server: &MockServer, store: &Arc<Store>, id: Option<String>) -> EngineHandle {
    let config = test_config();
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_journal(store.clone(), id)
        .spawn()
}

fn conversation_of(updates: &[Update]) -> String {
    updates
        .iter()
        .find_map(|u| match u {
            Update::Conversation { id } => id.clone(),
            _ => None,
        })
        .expect("a conversation was created")
}

#[tokio::test]
async fn attachments_are_stored_once_replayed_byte_for_byte_and_deleted_with_their_last_user() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join(DB_FILE)).unwrap());
    write(dir.path(), "shot.png", &test_files::png(300, 200));
    let shot = attach::load("shot.png", &options(dir.path())).unwrap();
    let server = MockServer::start().await.unwrap();

    let mut live = journaled(&server, &store, None);
    let first = send_attached(&mut live, "what is it?", vec![shot.clone()]).await;
    let id = conversation_of(&first);
    let mut other = journaled(&server, &store, None);
    let second = send_attached(&mut other, "and this?", vec![shot.clone()]).await;
    let other_id = conversation_of(&second);
    assert_eq!(
        store.attachment_stats().unwrap().0,
        1,
        "one copy for two conversations"
    );

    // Resumed from the store alone, the next request is the live one's, byte for byte.
    let loaded = store.load(id.parse().unwrap()).unwrap();
    let mut resumed = journaled(&server, &store, Some(id.clone()));
    let history = loaded.history();
    resumed
        .commands
        .send(Command::Resume {
            conversation: id.clone(),
            history,
        })
        .unwrap();
    server.enqueue(Reply::Script(Script::text("same")));
    assert!(finished(&turn(&mut resumed, "again").await).is_some());
    server.enqueue(Reply::Script(Script::text("same")));
    assert!(finished(&turn(&mut live, "again").await).is_some());
    let requests = message_requests(&server);
    let n = requests.len();
    assert_eq!(
        String::from_utf8_lossy(&requests[n - 2].raw_body),
        String::from_utf8_lossy(&requests[n - 1].raw_body),
        "the resumed request differs from the live one"
    );

    // Exports: Markdown names it, JSON carries it in API form.
    let markdown = to_markdown(&loaded, &[]);
    assert!(
        markdown.contains("- Attachment: `shot.png` ("),
        "{markdown}"
    );
    assert!(markdown.contains("image, 300x200)"), "{markdown}");
    assert!(!markdown.contains("<file path"), "{markdown}");
    let json: Value = serde_json::from_str(&to_api_json(&loaded).unwrap()).unwrap();
    assert_eq!(json[0]["content"][1]["type"], "image");

    store.delete(id.parse().unwrap()).unwrap();
    assert_eq!(
        store.attachment_stats().unwrap().0,
        1,
        "still used by the other"
    );
    store.delete(other_id.parse().unwrap()).unwrap();
    assert_eq!(
        store.attachment_stats().unwrap().0,
        0,
        "gone with its last user"
    );
}

#[tokio::test]
async fn project_instructions_join_the_system_prompt_unless_turned_off() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "AGENTS.md", b"Answer in French.\n");
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::text("oui")));
    let mut cmd = against(&server, &home);
    cmd.current_dir(work.path())
        .args(["-p", "hello", "--system", "Be brief."]);
    assert_success(&output(cmd).await);
    let body = message_bodies(&server).remove(0);
    let system = body["system"][0]["text"].as_str().unwrap().to_owned();
    assert_eq!(
        system,
        "Be brief.\n\n<project_instructions path=\"AGENTS.md\">\nAnswer in French.\n</project_instructions>"
    );
    // Inside the cached prefix: the system block carries the breakpoint.
    assert!(body["system"][0].get("cache_control").is_some(), "{body}");

    let config = write_file(&home, "off.toml", "[chat]\nproject_instructions = false\n");
    server.enqueue(Reply::Script(Script::text("hi")));
    let mut cmd = against(&server, &home);
    cmd.current_dir(work.path())
        .args(["-p", "hello", "--system", "Be brief.", "--config"])
        .arg(config);
    assert_success(&output(cmd).await);
    let body = message_bodies(&server).remove(1);
    assert_eq!(body["system"][0]["text"], "Be brief.");
}

#[test]
fn a_fork_keeps_its_attachments_when_the_original_is_deleted() {
    use chatterm::api::{ContentBlock, Message, Role};
    use chatterm::store::MessageStatus;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(DB_FILE)).unwrap();
    write(dir.path(), "a.gif", &test_files::gif(20, 10));
    let gif = attach::load("a.gif", &options(dir.path())).unwrap();
    let first = attach::user_message("look", &[gif]);
    let id = store.create("m", "look").unwrap();
    store.append(id, &first).unwrap();
    let answer = [ContentBlock::text("a gif")];
    (store.end_answer(id, Some(&answer), "m", MessageStatus::Complete, None)).unwrap();
    store.append(id, &Message::user_text("and now?")).unwrap();
    let branch = store.fork(id, 1).unwrap();
    store.delete(id).unwrap();
    assert_eq!(
        store.attachment_stats().unwrap().0,
        1,
        "the branch still uses it"
    );
    let loaded = store.load(branch).unwrap();
    assert_eq!(loaded.messages[0].role, Role::User);
    assert_eq!(loaded.messages[0].content, first.content);
}

/// Editing a message that had attachments (a fork) changes its text only: the edited
/// message goes with the same blocks, and the branch keeps them in the store.
#[tokio::test]
async fn an_edited_message_keeps_its_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join(DB_FILE)).unwrap());
    write(dir.path(), "shot.png", &test_files::png(300, 200));
    write(dir.path(), "notes.md", b"alpha\nbeta\n");
    let opts = options(dir.path());
    let files = vec![
        attach::load("shot.png", &opts).unwrap(),
        attach::load("notes.md", &opts).unwrap(),
    ];
    let server = MockServer::start().await.unwrap();
    let mut handle = journaled(&server, &store, None);
    let first = send_attached(&mut handle, "what is it?", files).await;
    let original = conversation_of(&first);
    let sent_first = last_user_message(&server);

    server.enqueue(Reply::Script(Script::text("a small picture")));
    handle
        .commands
        .send(Command::Fork {
            user_index: 0,
            text: "what colour is it?".into(),
        })
        .unwrap();
    let edited = collect_turn(&mut handle).await;
    assert!(finished(&edited).is_some(), "{edited:?}");
    let sent = last_user_message(&server);
    let types = |m: &Value| -> Vec<String> {
        m["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        types(&sent),
        types(&sent_first),
        "the same blocks, in order"
    );
    let blocks = sent["content"].as_array().unwrap();
    assert_eq!(blocks.last().unwrap()["text"], "what colour is it?");
    assert_eq!(
        blocks[..blocks.len() - 1],
        sent_first["content"].as_array().unwrap()[..blocks.len() - 1]
    );

    // The branch holds the attachments too (a resume would send them again).
    let branch = conversation_of(&edited);
    assert_ne!(branch, original);
    let loaded = store.load(branch.parse().unwrap()).unwrap();
    let history = loaded.history();
    assert_eq!(history[0].content.len(), blocks.len(), "{history:?}");
}

/// The last user message of the newest request to the Messages endpoint.
fn last_user_message(server: &MockServer) -> Value {
    let requests = message_requests(server);
    let body = requests.last().unwrap().body.clone().unwrap();
    body["messages"].as_array().unwrap().last().unwrap().clone()
}
