//! The client and stream folding over real HTTP: any network chunking gives the same answer;
//! the JSON endpoints; malformed streams give clear errors.

use chatterm::api::{ApiError, Message, MessagesRequest, StopReason, StreamEvent, Usage};
use chatterm::mock::{Chunking, MockServer, Reply, Script, Step};
use chatterm::stream::{Accumulator, StreamUpdate};
use proptest::prelude::*;
use serde_json::json;

use crate::common::*;

/// A stream with everything awkward in it: multi-byte characters, thinking, a tool call,
/// pings and an unknown event.
fn awkward_script(chunking: Chunking) -> Script {
    Script {
        steps: vec![
            Step::Start {
                usage: Usage {
                    input_tokens: 40,
                    cache_read_input_tokens: 2048,
                    output_tokens: 1,
                    ..Usage::default()
                },
            },
            Step::Thinking {
                deltas: vec!["Let me think… ".into(), "日本語 ok".into()],
                signature: "EqQBCgIYAh==".into(),
            },
            Step::Text(vec![
                "Héllo ".into(),
                "wörld 😀, ".into(),
                "日本".into(),
                "語\n```rust\nfn main() {}\n```".into(),
            ]),
            Step::Ping,
            Step::Unknown {
                event: "future_event".into(),
                data: r#"{"type":"future_event"}"#.into(),
            },
            Step::ToolUse {
                id: "toolu_1".into(),
                name: "lookup".into(),
                input_chunks: vec![
                    "{\"q\": \"ça".into(),
                    " va\", \"n\": [1, 2".into(),
                    "]}".into(),
                ],
            },
            Step::stop(StopReason::ToolUse, 120),
        ],
        chunking,
        headers: Vec::new(),
    }
}

fn request() -> MessagesRequest {
    MessagesRequest::new("test-model", 1024, vec![Message::user_text("hi")])
}

/// Streams one request and folds it, returning the final message and the text deltas.
async fn fold(server: &MockServer) -> (chatterm::api::MessageResponse, String) {
    let client = client_for(server, &test_config());
    let mut events = client.stream(&request()).await.expect("stream opens");
    let mut acc = Accumulator::new();
    let mut out = Vec::new();
    let mut text = String::new();
    while let Some(event) = events.next_event().await {
        acc.apply(event.expect("event"), &mut out).expect("apply");
        for u in out.drain(..) {
            if let StreamUpdate::TextDelta { text: t, .. } = u {
                text.push_str(&t);
            }
        }
    }
    (acc.finish(), text)
}

fn reference() -> &'static (chatterm::api::MessageResponse, String) {
    static REF: std::sync::OnceLock<(chatterm::api::MessageResponse, String)> =
        std::sync::OnceLock::new();
    REF.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let server = MockServer::start().await.unwrap();
            server.enqueue(Reply::Script(awkward_script(Chunking::Events)));
            fold(&server).await
        })
    })
}

#[test]
fn the_reference_stream_folds_as_expected() {
    let (message, text) = reference();
    assert_eq!(text, "Héllo wörld 😀, 日本語\n```rust\nfn main() {}\n```");
    assert_eq!(message.text(), *text);
    let tool = message.tool_uses().next().unwrap();
    assert_eq!(tool.input, json!({"q": "ça va", "n": [1, 2]}));
    assert_eq!(message.usage.output_tokens, 120);
    assert_eq!(message.usage.cache_read_input_tokens, 2048);
    let v = serde_json::to_value(&message.content[0]).unwrap();
    assert_eq!(
        v,
        json!({"type":"thinking","thinking":"Let me think… 日本語 ok","signature":"EqQBCgIYAh=="})
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The same stream cut into random network writes (splitting events, lines and UTF-8
    /// characters) folds into an identical answer.
    #[test]
    fn answers_are_identical_under_any_chunking(seed in any::<u64>(), max in 1usize..64) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let got = rt.block_on(async {
            let server = MockServer::start().await.unwrap();
            server.enqueue(Reply::Script(awkward_script(Chunking::Random { seed, max })));
            fold(&server).await
        });
        prop_assert_eq!(&got, reference());
    }
}

#[tokio::test]
async fn one_byte_writes_fold_identically() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(awkward_script(Chunking::Fixed(1))));
    assert_eq!(&fold(&server).await, reference());
}

#[tokio::test]
async fn non_streaming_create_returns_the_same_message() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(awkward_script(Chunking::Events)));
    let client = client_for(&server, &test_config());
    let (message, meta) = client.create(&request()).await.unwrap();
    assert_eq!(message.content, reference().0.content);
    assert!(meta.request_id.is_some());
    assert!(
        meta.rate_limits.requests.is_some(),
        "rate-limit headers captured"
    );
}

#[tokio::test]
async fn models_and_token_counts() {
    let server = MockServer::start().await.unwrap();
    let client = client_for(&server, &test_config());
    let models = client.list_models().await.unwrap().models;
    assert!(models.len() >= 3);
    assert!(models.iter().all(|m| !m.id.is_empty()));
    let n = client.count_tokens(&request()).await.unwrap();
    assert!(n >= 1);
    let body = server
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/v1/messages/count_tokens"))
        .unwrap()
        .body
        .unwrap();
    assert!(
        body.get("max_tokens").is_none(),
        "count_tokens takes no max_tokens"
    );
}

#[tokio::test]
async fn malformed_json_in_a_known_event_is_a_clear_error() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script {
        steps: vec![Step::Raw(
            "event: content_block_start\ndata: {\"index\": 0, \"content_block\": \n\n".into(),
        )],
        ..Script::default()
    }));
    let client = client_for(&server, &test_config());
    let mut events = client.stream(&request()).await.unwrap();
    // The mock adds message_start first.
    let mut last = None;
    while let Some(e) = events.next_event().await {
        last = Some(e);
    }
    match last {
        Some(Err(ApiError::Protocol(msg))) => assert!(msg.contains("content_block_start"), "{msg}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_event_is_an_error_not_unbounded_memory() {
    let server = MockServer::start().await.unwrap();
    let huge = "x".repeat(64 * 1024);
    server.enqueue(Reply::Script(Script {
        steps: vec![Step::Raw(format!(
            "event: ping\ndata: {{\"type\":\"ping\",\"pad\":\"{huge}\"}}\n\n"
        ))],
        chunking: Chunking::Fixed(4096),
        headers: Vec::new(),
    }));
    let mut o =
        chatterm::api::ClientOptions::new(server.url(), chatterm::api::Auth::ApiKey("k".into()));
    o.max_event_bytes = 16 * 1024;
    let client = chatterm::api::Client::new(o).unwrap();
    let mut events = client.stream(&request()).await.unwrap();
    let mut result = None;
    while let Some(e) = events.next_event().await {
        if e.is_err() {
            result = Some(e);
        }
    }
    assert!(
        matches!(result, Some(Err(ApiError::EventTooLarge { limit: 16384 }))),
        "{result:?}"
    );
}

#[tokio::test]
async fn eof_before_message_stop_is_an_error() {
    let server = MockServer::start().await.unwrap();
    // Ends cleanly after a text delta, without message_stop.
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: Usage::default(),
        },
        Step::Text(vec!["cut".into()]),
    ])));
    let client = client_for(&server, &test_config());
    let mut events = client.stream(&request()).await.unwrap();
    let mut saw = Vec::new();
    while let Some(e) = events.next_event().await {
        saw.push(e);
    }
    assert!(
        matches!(saw.last(), Some(Err(ApiError::UnexpectedEof))),
        "{saw:?}"
    );
    assert!(
        saw.iter()
            .any(|e| matches!(e, Ok(StreamEvent::ContentBlockDelta { .. })))
    );
}
