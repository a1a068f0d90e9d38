//! Web search and fetch, and counting a draft, against the mock over loopback: the server
//! tool definitions sent, the search round in one answer, its blocks echoed verbatim in the
//! next request (the mock rejects a changed one, as the API does), citations and the
//! per-search price, print mode's lines and sources, and `count_tokens` for a draft.

use chatterm::api::server_tools::{self, ServerTools};
use chatterm::api::{Auth, Client, ClientOptions, ContentBlock};
use chatterm::config::Config;
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::MockServer;
use chatterm::stream::citations::annotated_markdown;
use serde_json::{Value, json};

use crate::binary::{against, output, text as utf8, write_file};
use crate::common::*;

fn search_config() -> Config {
    let mut c = test_config();
    // A priced model, so the search fee shows in the cost.
    c.models.max = PRICED.into();
    c.tools.server = ServerTools {
        web_search: true,
        web_fetch: true,
        max_uses: Some(3),
        ..ServerTools::default()
    };
    c
}

fn engine_with_search(server: &MockServer) -> EngineHandle {
    let config = search_config();
    let settings = chatterm::engine::ToolSettings {
        server: config.tools.server.clone(),
        ..Default::default()
    };
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_tools(std::sync::Arc::new(chatterm::engine::NoTools), settings)
        .spawn()
}

fn request_cost(updates: &[Update]) -> Option<f64> {
    updates.iter().find_map(|u| match u {
        Update::RequestEnded { request, .. } => request.cost_usd,
        _ => None,
    })
}

#[tokio::test]
async fn a_search_round_is_shown_cited_priced_and_echoed_verbatim() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_with_search(&server);
    let updates = turn(&mut engine, "What is the latest news on Rust?").await;
    let message = finished(&updates).expect("the turn finished").clone();

    // The request offered both server tools, typed, with their limit.
    let first = &message_bodies(&server)[0];
    let types: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert_eq!(types, ["web_search_20250305", "web_fetch_20250910"]);
    assert_eq!(first["tools"][0]["max_uses"], json!(3));

    // The call streamed as a block like a client call's; its result came whole.
    let call = message.content.iter().find_map(server_tools::server_call);
    let call = call.expect("a server_tool_use block");
    assert_eq!(call.name, "web_search");
    assert!(updates.iter().any(|u| matches!(u,
        Update::ToolInputDelta { id, .. } if *id == call.id)));
    let result = message.content.iter().find_map(server_tools::server_result);
    assert_eq!(result.unwrap().tool_use_id, call.id);
    // Nothing ran locally.
    assert!(!updates.iter().any(|u| matches!(u, Update::Tool { .. })));

    // Footnotes and sources.
    let markdown = annotated_markdown(&message.content);
    assert!(markdown.contains("through the day[1][2]"), "{markdown}");
    assert!(
        markdown.contains("\n\nSources:\n1. [Latest on"),
        "{markdown}"
    );

    // One search at $10 per 1,000 is in the request's cost.
    assert_eq!(server_tools::counts(&message.usage).web_search_requests, 1);
    let pricing = Pricing::embedded();
    let mut tokens_only = message.usage.clone();
    tokens_only.server_tool_use = None;
    let tokens = pricing.cost(PRICED, &tokens_only).unwrap();
    let cost = request_cost(&updates).unwrap();
    assert!((cost - tokens - 0.01).abs() < 1e-9, "{cost} vs {tokens}");

    // The next request carries the server blocks back unchanged, and the mock, which
    // rejects a changed one, answers it.
    let next = turn(&mut engine, "Thanks, and in one line?").await;
    assert!(finished(&next).is_some(), "{next:?}");
    let second = &message_bodies(&server)[1];
    let echoed = &second["messages"][1]["content"];
    let sent: Vec<Value> = message
        .content
        .iter()
        .map(|b| serde_json::to_value(b).unwrap())
        .collect();
    assert_eq!(echoed, &Value::Array(sent));
    assert!(!second.to_string().contains("\"tool_result\""));
}

/// The model answering (test_config pins the max tier).
const PRICED: &str = "claude-sonnet-4-6";

#[tokio::test]
async fn the_mock_rejects_a_changed_server_block_like_the_api() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_with_search(&server);
    let updates = turn(&mut engine, "latest news please").await;
    let mut content = finished(&updates).unwrap().content.clone();
    let Some(ContentBlock::Other(result)) = content
        .iter_mut()
        .find(|b| b.kind() == "web_search_tool_result")
    else {
        panic!("no result block")
    };
    result["content"][0]["title"] = json!("Retitled by the client");
    let body = json!({
        "model": MAX, "max_tokens": 100,
        "tools": [{"type": "web_search_20250305", "name": "web_search"}],
        "messages": [
            {"role": "user", "content": "latest news please"},
            {"role": "assistant", "content": content},
            {"role": "user", "content": "more"}
        ]
    });
    let (status, text) = post_messages(&server, &body).await;
    assert_eq!(status, 400);
    assert!(text.contains("encrypted_content"), "{text}");
}

#[tokio::test]
async fn a_url_is_fetched_and_the_document_cited() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_with_search(&server);
    let updates = turn(
        &mut engine,
        "Summarise https://docs.example.org/guide please",
    )
    .await;
    let message = finished(&updates).unwrap();
    let call = message.content.iter().find_map(server_tools::server_call);
    assert_eq!(call.unwrap().name, "web_fetch");
    let markdown = annotated_markdown(&message.content);
    assert!(
        markdown.ends_with("Sources:\n1. Page at docs.example.org"),
        "{markdown}"
    );
    assert_eq!(server_tools::counts(&message.usage).web_fetch_requests, 1);
}

#[tokio::test]
async fn without_server_tools_a_news_question_gets_no_search() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "What is the latest news?").await;
    let message = finished(&updates).unwrap();
    assert!(message.content.iter().all(|b| b.kind() == "text"));
    assert!(message_bodies(&server)[0].get("tools").is_none());
}

#[tokio::test]
async fn search_can_be_switched_on_for_the_conversation() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_for(&server, &test_config());
    let on = ServerTools::default().switched(true);
    engine.commands.send(Command::SetServerTools(on)).unwrap();
    let updates = turn(&mut engine, "latest news on the weather").await;
    let message = finished(&updates).unwrap();
    assert!(
        message
            .content
            .iter()
            .any(|b| b.kind() == "server_tool_use")
    );
}

async fn draft_counted(engine: &mut EngineHandle) -> (u64, Result<u64, String>) {
    next_update(engine, "a draft count", |u| match u {
        Update::DraftCounted { id, counted, .. } => Some((id, counted)),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_draft_is_counted_exactly_and_a_failing_endpoint_says_so() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_for(&server, &test_config());
    let draft = "word ".repeat(3_000);
    let command = Command::CountDraft {
        id: 7,
        text: draft.clone(),
        attachments: Vec::new(),
    };
    engine.commands.send(command).unwrap();
    let (id, counted) = draft_counted(&mut engine).await;
    assert_eq!(id, 7);
    let counted = counted.unwrap();
    let requests = server.requests();
    let body = requests
        .iter()
        .find(|r| r.path == "/v1/messages/count_tokens")
        .and_then(|r| r.body.clone())
        .unwrap();
    assert_eq!(counted, chatterm::mock::prompt::count_tokens(&body));
    assert_eq!(body["messages"][0]["content"][0]["text"], json!(draft));
    assert!(body.get("max_tokens").is_none());

    // A server that does not have the endpoint: the count fails, and says why.
    let config = test_config();
    let options = ClientOptions::new(
        format!("{}/elsewhere", server.url()),
        Auth::ApiKey("sk-test".into()),
    );
    let client = Client::new(options).unwrap();
    let mut broken = Engine::new(client, &config, Pricing::embedded()).spawn();
    let command = Command::CountDraft {
        id: 1,
        text: draft,
        attachments: Vec::new(),
    };
    broken.commands.send(command).unwrap();
    let (_, counted) = draft_counted(&mut broken).await;
    assert!(counted.is_err());
}

/// A short draft with a large attachment: the count covers the attachment's blocks, so a
/// big file shows its cost before sending like a big paste.
#[tokio::test]
async fn a_drafts_attachments_are_counted_with_it() {
    let server = MockServer::start().await.unwrap();
    let mut engine = engine_for(&server, &test_config());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "a line of notes\n".repeat(1_000)).unwrap();
    let options = chatterm::attach::LoadOptions::explicit(None);
    let notes = chatterm::attach::load(file.to_str().unwrap(), &options).unwrap();
    let command = Command::CountDraft {
        id: 3,
        text: "what do these say?".into(),
        attachments: vec![notes],
    };
    engine.commands.send(command).unwrap();
    let (id, counted) = draft_counted(&mut engine).await;
    assert_eq!(id, 3);
    let requests = server.requests();
    let body = requests
        .iter()
        .find(|r| r.path == "/v1/messages/count_tokens")
        .and_then(|r| r.body.clone())
        .unwrap();
    let sent = body["messages"][0]["content"].to_string();
    assert!(sent.contains("a line of notes"), "{sent}");
    assert!(sent.contains("what do these say?"), "{sent}");
    assert!(counted.unwrap() > 3_000);
}

#[tokio::test]
async fn print_mode_prints_the_search_lines_the_footnotes_and_the_sources() {
    let server = MockServer::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = write_file(
        &home,
        "web.toml",
        "[tools]\nserver = [\"web_search\"]\nweb = { max_uses = 2 }\n",
    );
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "latest news on rust", "--config"])
        .arg(&config);
    let out = output(cmd).await;
    let (stdout, stderr) = (utf8(&out.stdout), utf8(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("through the day[1][2]"), "{stdout}");
    assert!(
        stdout.contains("\nSources:\n1. Latest on latest news on rust <https://news.example.com/"),
        "{stdout}"
    );
    assert!(stderr.contains("web_search ["), "{stderr}");
    assert!(stderr.contains("3 sources: Latest on"), "{stderr}");
    assert!(stderr.contains("1 web search"), "{stderr}");
    let body = &message_bodies(&server)[0];
    let server_tools: Vec<&Value> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.get("type").is_some())
        .collect();
    assert_eq!(
        server_tools,
        // The last tool carries the cache breakpoint, as any last tool does.
        [
            &json!({"type": "web_search_20250305", "name": "web_search", "max_uses": 2,
                 "cache_control": {"type": "ephemeral"}})
        ]
    );
}

#[tokio::test]
async fn a_paused_server_turn_is_continued_with_the_answer_so_far() {
    use chatterm::api::StopReason;
    use chatterm::mock::{Reply, Script, Step};
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::text("Searching the archives."),
        Step::stop(StopReason::PauseTurn, 5),
    ])));
    server.enqueue(Reply::text("Found it."));
    let mut engine = engine_with_search(&server);
    let updates = turn(&mut engine, "look up the archives").await;
    assert_eq!(finished(&updates).unwrap().text(), "Found it.");
    let bodies = message_bodies(&server);
    assert_eq!(bodies.len(), 2);
    // The second request ends with the paused answer, for the model to carry on from.
    let last = bodies[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["role"], json!("assistant"));
    assert_eq!(last["content"][0]["text"], json!("Searching the archives."));
}
