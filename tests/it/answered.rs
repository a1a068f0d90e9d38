//! The model that answered: the official Python SDK's streaming fixtures (tests/it/fixtures)
//! parse whole, keep the blocks chatterm does not model verbatim, and an answer is labelled
//! and priced by `message_start.message.model` and, per hop, `usage.iterations`, not by the
//! model asked for. Server-side refusal fallbacks through the mock: the request's
//! `fallbacks` and beta headers, the `fallback` block, the hop priced at its own model, in
//! the engine and in print mode.

use chatterm::api::answered::{FallbackHop, Refusal};
use chatterm::api::sse::SseDecoder;
use chatterm::api::{Auth, Client, ClientOptions, MessageResponse, StopReason, StreamEvent};
use chatterm::config::{Config, RefusalFallbacks};
use chatterm::cost::Pricing;
use chatterm::cost::answered::thinking_tokens;
use chatterm::engine::{Engine, EngineHandle, Update};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::stream::Accumulator;
use serde_json::{Value, json};

use crate::binary::*;
use crate::common::*;

const FIXTURES: [&str; 10] = [
    "basic_response.txt",
    "compaction_response.txt",
    "fallback_credit_response.txt",
    "fallback_response.txt",
    "incomplete_partial_json_response.txt",
    "refusal_response.txt",
    "tool_use_response.txt",
    "stream-a-refusal.sse",
    "stream-a-toolrefusal.sse",
    "stream-b-fallback.sse",
];

/// A fixture as a server sends it. Some of the SDK's files end without the blank line
/// that ends the last event (files, not captures); a stream ends every event with one,
/// and an unterminated last event is dropped (the SSE rules), so it is added here.
fn fixture(name: &str) -> String {
    let path = format!("{}/tests/it/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut sse = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    while !sse.ends_with("\n\n") {
        sse.push('\n');
    }
    sse
}

/// Folds a recorded stream; also returns every `content_block_start` block as sent.
fn fold(sse: &str) -> (MessageResponse, Vec<Value>) {
    let mut decoder = SseDecoder::new();
    let mut frames = Vec::new();
    decoder.push(sse.as_bytes(), &mut frames).unwrap();
    decoder.finish(&mut frames).unwrap();
    let mut acc = Accumulator::new();
    let mut out = Vec::new();
    let mut starts = Vec::new();
    for frame in frames {
        if frame.event == "content_block_start" {
            let data: Value = serde_json::from_str(frame.data.trim()).unwrap();
            starts.push(data["content_block"].clone());
        }
        let event = StreamEvent::parse(&frame.event, &frame.data).unwrap();
        acc.apply(event, &mut out).unwrap();
    }
    assert!(acc.is_complete(), "the stream ended before message_stop");
    (acc.finish(), starts)
}

#[test]
fn every_sdk_fixture_parses_and_keeps_unknown_blocks_verbatim() {
    const KNOWN: [&str; 4] = ["text", "thinking", "redacted_thinking", "tool_use"];
    for name in FIXTURES {
        let sse = fixture(name);
        let (message, starts) = fold(&sse);
        assert_eq!(message.content.len(), starts.len(), "{name}");
        let first = sse.find("\"model\":\"").map(|i| &sse[i + 9..]).unwrap();
        assert_eq!(message.model, first[..first.find('"').unwrap()], "{name}");
        for (block, start) in message.content.iter().zip(&starts) {
            if !KNOWN.contains(&start["type"].as_str().unwrap()) {
                // Not modelled: what goes back to the API is what came, but for a server
                // tool's input, whose `{}` placeholder the streamed JSON replaces.
                let (mut kept, mut sent) = (serde_json::to_value(block).unwrap(), start.clone());
                if let Some(input) = kept.as_object_mut().and_then(|o| o.remove("input")) {
                    assert!(input.is_object() && !input.as_object().unwrap().is_empty());
                    sent.as_object_mut().unwrap().remove("input");
                }
                assert_eq!(kept, sent, "{name}");
            }
        }
    }
}

#[test]
fn fixtures_say_who_answered_why_it_refused_and_what_thinking_cost() {
    let (fallback, _) = fold(&fixture("fallback_response.txt"));
    let hop = FallbackHop::of(&fallback.content[0]).unwrap();
    assert_eq!(
        hop.label(),
        "↪ claude-opus-4-7 → claude-sonnet-4-5 · refused"
    );
    let (refusal, _) = fold(&fixture("refusal_response.txt"));
    assert_eq!(refusal.stop_reason, Some(StopReason::Refusal));
    assert_eq!(
        Refusal::of(&refusal).unwrap().describe(),
        "the model declined to answer (cyber): This request was refused due to policy."
    );
    let (fable, _) = fold(&fixture("stream-a-refusal.sse"));
    assert_eq!(thinking_tokens(&fable.usage), Some(67));
    assert!(fable.usage.extra.contains_key("iterations"));
    let (credit, _) = fold(&fixture("fallback_credit_response.txt"));
    assert_eq!(
        credit.usage.extra["fallback_credit"],
        json!({"status": {"type": "redeemed"}})
    );
}

fn engine(server: &MockServer, config: &Config) -> EngineHandle {
    let mut o = ClientOptions::new(server.url(), Auth::ApiKey("sk-test".into()));
    o.first_byte_timeout = config.api.first_byte_timeout;
    o.idle_timeout = config.api.idle_timeout;
    o.betas = config.betas();
    Engine::new(Client::new(o).unwrap(), config, Pricing::embedded()).spawn()
}

#[tokio::test]
async fn an_answer_is_labelled_and_priced_by_the_model_that_answered() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![Step::Raw(fixture(
        "fallback_response.txt",
    ))])));
    let mut config = test_config();
    config.models.max = "claude-sonnet-4-6".into();
    let mut handle = engine(&server, &config);
    let updates = turn(&mut handle, "hello").await;
    assert!(
        updates
            .iter()
            .any(|u| matches!(u, Update::Answering { model, .. } if model == "claude-opus-4-7"))
    );
    let end = request_ends(&updates);
    assert_eq!(end.len(), 1);
    assert_eq!(end[0].model, "claude-opus-4-7");
    let usage = end[0].usage.as_ref().unwrap();
    let pricing = Pricing::embedded();
    assert_eq!(end[0].cost_usd, pricing.cost("claude-opus-4-7", usage));
    assert_ne!(end[0].cost_usd, pricing.cost("claude-sonnet-4-6", usage));
    // The fallback block reaches the front end, and the history keeps it verbatim.
    let message = finished(&updates).unwrap();
    assert!(FallbackHop::of(&message.content[0]).is_some());
    assert_eq!(message.model, "claude-opus-4-7");
}

fn fallback_config() -> Config {
    let mut config = test_config();
    config.models.max = "claude-opus-4-7".into();
    config.refusal_fallbacks = Some(RefusalFallbacks::Models(vec!["claude-haiku-4-5".into()]));
    config
}

#[tokio::test]
async fn a_server_side_fallback_is_shown_and_each_hop_priced_at_its_model() {
    let server = MockServer::start().await.unwrap();
    let mut handle = engine(&server, &fallback_config());
    let updates = turn(&mut handle, "Please refuse this question.").await;
    let request = &message_requests(&server)[0];
    let body = request.body.as_ref().unwrap();
    assert_eq!(body["fallbacks"], json!([{"model": "claude-haiku-4-5"}]));
    let betas = request
        .headers
        .get("anthropic-beta")
        .cloned()
        .unwrap_or_default();
    assert!(
        betas.contains("server-side-fallback-2026-07-01")
            && betas.contains("fallback-credit-2026-07-01"),
        "{betas}"
    );
    let hop = updates.iter().find_map(|u| match u {
        Update::BlockStarted { block, .. } => FallbackHop::of(block),
        _ => None,
    });
    assert_eq!(hop.map(|h| h.to), Some("claude-haiku-4-5".to_owned()));
    let end = request_ends(&updates);
    let usage = end[0].usage.as_ref().unwrap();
    let pricing = Pricing::embedded();
    let whole_at_opus = pricing.cost("claude-opus-4-7", usage).unwrap();
    let cost = end[0].cost_usd.unwrap();
    // The hop haiku served is cheaper than the same tokens at Opus.
    assert!(cost < whole_at_opus, "{cost} vs {whole_at_opus}");
    assert_eq!(Some(cost), pricing.answer_cost("claude-opus-4-7", usage));
}

#[tokio::test]
async fn print_mode_shows_the_fallback_and_a_refusals_reasons() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let config = write_file(
        &home,
        "config.toml",
        "[models]\nrefusal_fallbacks = [\"claude-haiku-4-5\"]\n",
    );
    let mut cmd = against(&server, &home);
    cmd.arg("--config").arg(&config);
    cmd.args(["-p", "Please refuse this.", "--model", "claude-opus-4-7"]);
    let out = output(cmd).await;
    assert_success(&out);
    let err = text(&out.stderr);
    assert!(
        err.contains("↪ claude-opus-4-7 → claude-haiku-4-5 · refused"),
        "{err}"
    );
    // Without fallbacks the refusal stands, with its category and explanation.
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "Please refuse this.", "--model", "claude-opus-4-7"]);
    let out = output(cmd).await;
    let err = text(&out.stderr);
    assert!(
        err.contains("declined to answer (cyber): The mock declines"),
        "{err}"
    );
}

#[tokio::test]
async fn the_mock_wants_the_beta_header_with_fallbacks() {
    let server = MockServer::start().await.unwrap();
    let mut config = fallback_config();
    let mut handle = engine(&server, &config);
    assert!(finished(&turn(&mut handle, "hello").await).is_some());
    // Without the header (the client sends only what its options say), the API's 400.
    config.refusal_fallbacks = None;
    let client = client_for(&server, &config);
    let mut req = chatterm::api::MessagesRequest::new(
        "claude-opus-4-7",
        1024,
        vec![chatterm::api::Message::user_text("hello")],
    );
    req.extra.insert("fallbacks".into(), json!("default"));
    match client.stream(&req).await {
        Err(chatterm::api::ApiError::Http {
            status, message, ..
        }) => {
            assert_eq!(status, 400);
            assert!(
                message.contains("server-side-fallback-2026-07-01"),
                "{message}"
            );
        }
        other => panic!("expected a 400, got {:?}", other.err()),
    }
}
