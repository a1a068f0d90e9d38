//! The engine against the mock over real HTTP: retries, fallback, mid-stream failures,
//! usage, tool input, cancellation.

use std::time::Duration;

use chatterm::api::{ApiError, ContentBlock, StopReason, Usage};
use chatterm::engine::{Command, Update};
use chatterm::mock::{Chunking, HttpError, MockServer, Reply, Script, Step};
use serde_json::json;

use crate::common::*;

fn text_script(text: &str) -> Script {
    Script {
        steps: vec![
            Step::Start {
                usage: usage(10, 1),
            },
            Step::Text(vec![text.to_owned()]),
            Step::end_turn(5),
        ],
        chunking: Chunking::Events,
        headers: Vec::new(),
    }
}

fn usage(input: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    }
}

fn http_error(status: u16, kind: &str, headers: &[(&str, &str)]) -> Reply {
    Reply::Error(HttpError {
        status,
        kind: kind.into(),
        message: format!("{kind} from the mock"),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

#[tokio::test]
async fn rate_limited_request_waits_for_retry_after_then_succeeds() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(http_error(429, "rate_limit_error", &[("retry-after", "1")]));
    server.enqueue(Reply::Script(text_script("after the wait")));
    let mut engine = engine_for(&server, &test_config());
    let started = std::time::Instant::now();
    let updates = turn(&mut engine, "hi").await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried before retry-after"
    );
    let retry = updates.iter().find_map(|u| match u {
        Update::Retrying { wait, attempt, .. } => Some((*wait, *attempt)),
        _ => None,
    });
    assert_eq!(retry, Some((Duration::from_secs(1), 1)));
    assert_eq!(finished(&updates).unwrap().text(), "after the wait");
    assert_eq!(message_requests(&server).len(), 2);
}

#[tokio::test]
async fn overloaded_twice_then_success() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(http_error(529, "overloaded_error", &[]));
    server.enqueue(http_error(529, "overloaded_error", &[]));
    server.enqueue(Reply::Script(text_script("third time lucky")));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    let retries = updates
        .iter()
        .filter(|u| matches!(u, Update::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
    assert_eq!(finished(&updates).unwrap().text(), "third time lucky");
    let models: Vec<_> = message_requests(&server)
        .iter()
        .map(|r| r.body.as_ref().unwrap()["model"].clone())
        .collect();
    assert_eq!(
        models,
        [json!(MAX), json!(MAX), json!(MAX)],
        "no fallback while retries remain"
    );
}

#[tokio::test]
async fn unauthorized_fails_at_once_with_the_api_message_and_request_id() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(http_error(401, "authentication_error", &[]));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    let (err, partial) = error(&updates).expect("an error");
    assert!(partial.is_none());
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("authentication_error from the mock"),
        "{text}"
    );
    assert!(
        err.request_id().is_some_and(|id| id.starts_with("req_")),
        "{text}"
    );
    assert_eq!(message_requests(&server).len(), 1);
    assert!(!updates.iter().any(|u| matches!(u, Update::Retrying { .. })));
}

#[tokio::test]
async fn a_stalled_model_falls_back_to_the_next_tier() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Stall(Duration::from_secs(20)),
        Step::Text(vec!["never".into()]),
    ])));
    server.enqueue(Reply::Script(text_script("from the balanced tier")));
    let mut config = test_config();
    config.api.first_byte_timeout = Duration::from_millis(400);
    let mut engine = engine_for(&server, &config);
    let updates = turn(&mut engine, "hi").await;
    let fell = updates.iter().find_map(|u| match u {
        Update::FellBack { from, to, .. } => Some((from.clone(), to.clone())),
        _ => None,
    });
    let (from, to) = fell.expect("a FellBack update");
    assert!(
        from.contains(MAX) && to.contains(BALANCED),
        "{from} -> {to}"
    );
    assert_eq!(finished(&updates).unwrap().text(), "from the balanced tier");
    let models: Vec<_> = message_requests(&server)
        .iter()
        .map(|r| r.body.as_ref().unwrap()["model"].clone())
        .collect();
    assert_eq!(models, [json!(MAX), json!(BALANCED)]);
}

#[tokio::test]
async fn overload_after_all_retries_falls_back() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..2 {
        server.enqueue(http_error(
            529,
            "overloaded_error",
            &[("retry-after-ms", "10")],
        ));
    }
    server.enqueue(Reply::Script(text_script("fast answer")));
    let mut config = test_config();
    config.api.max_retries = 1;
    config.models.tier = chatterm::config::Tier::Balanced.into();
    let mut engine = engine_for(&server, &config);
    let updates = turn(&mut engine, "hi").await;
    assert!(
        updates
            .iter()
            .any(|u| matches!(u, Update::FellBack { to, .. } if to.contains(FAST)))
    );
    assert_eq!(finished(&updates).unwrap().model, FAST);
}

#[tokio::test]
async fn error_event_mid_stream_keeps_the_partial_text_and_is_not_retried() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: usage(10, 1),
        },
        Step::Text(vec!["Half an ".into(), "answer".into()]),
        Step::ErrorEvent {
            kind: "overloaded_error".into(),
            message: "Overloaded".into(),
        },
    ])));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    let (err, partial) = error(&updates).expect("an error");
    assert!(matches!(err, ApiError::Stream { kind, .. } if kind == "overloaded_error"));
    let partial = partial.expect("the partial answer");
    assert_eq!(partial.text(), "Half an answer");
    assert_eq!(partial.stop_reason, None, "marked incomplete");
    assert_eq!(message_requests(&server).len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_before_content_is_retried() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![Step::Drop])));
    server.enqueue(Reply::Script(text_script("second try")));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    assert_eq!(finished(&updates).unwrap().text(), "second try");
    assert_eq!(message_requests(&server).len(), 2);
}

#[tokio::test]
async fn a_dropped_connection_after_content_keeps_the_partial_answer() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: usage(10, 1),
        },
        Step::Text(vec!["partial".into()]),
        Step::Drop,
    ])));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    let (_, partial) = error(&updates).expect("an error");
    assert_eq!(partial.unwrap().text(), "partial");
    assert_eq!(message_requests(&server).len(), 1);
}

#[tokio::test]
async fn unknown_events_and_pings_are_ignored() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: usage(10, 1),
        },
        Step::Ping,
        Step::Unknown {
            event: "hologram".into(),
            data: r#"{"type":"hologram","x":1}"#.into(),
        },
        Step::Text(vec!["still ".into(), "fine".into()]),
        Step::Ping,
        Step::end_turn(3),
    ])));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    assert_eq!(finished(&updates).unwrap().text(), "still fine");
    assert_eq!(streamed_text(&updates), "still fine");
}

#[tokio::test]
async fn usage_from_message_delta_replaces_and_is_not_double_counted() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: Usage {
                input_tokens: 14,
                cache_read_input_tokens: 3120,
                output_tokens: 1,
                ..Usage::default()
            },
        },
        Step::Text(vec!["Lyon is".into(), " in France.".into()]),
        Step::end_turn(8),
    ])));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "hi").await;
    let u = &finished(&updates).unwrap().usage;
    assert_eq!(
        (u.input_tokens, u.cache_read_input_tokens, u.output_tokens),
        (14, 3120, 8)
    );
    let last_usage = updates.iter().rev().find_map(|u| match u {
        Update::Usage { usage, .. } => Some(usage.output_tokens),
        _ => None,
    });
    assert_eq!(last_usage, Some(8));
}

#[tokio::test]
async fn an_empty_tool_input_becomes_an_empty_object() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: usage(10, 1),
        },
        Step::ToolUse {
            id: "toolu_a".into(),
            name: "get_weather".into(),
            input_chunks: vec!["".into(), "{\"city\": \"Ly".into(), "on\"}".into()],
        },
        Step::ToolUse {
            id: "toolu_b".into(),
            name: "get_time".into(),
            input_chunks: vec!["".into()],
        },
        Step::ToolUse {
            id: "toolu_c".into(),
            name: "get_date".into(),
            input_chunks: vec![],
        },
        Step::stop(StopReason::ToolUse, 71),
    ])));
    server.enqueue(Reply::Script(text_script("no tools here")));
    let mut engine = engine_for(&server, &test_config());
    let updates = turn(&mut engine, "weather and time?").await;
    assert_eq!(finished(&updates).unwrap().text(), "no tools here");
    let parsed: Vec<_> = updates
        .iter()
        .filter_map(|u| match u {
            Update::BlockFinished {
                block: ContentBlock::ToolUse(t),
                ..
            } => Some(t.input.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(parsed, [json!({"city": "Lyon"}), json!({}), json!({})]);
    // The calls went back verbatim, their inputs parsed (empty input = `{}`), each answered.
    let body = message_requests(&server)[1].body.clone().unwrap();
    let calls = &body["messages"][1]["content"];
    let inputs: Vec<_> = (0..3).map(|i| calls[i]["input"].clone()).collect();
    assert_eq!(inputs, [json!({"city": "Lyon"}), json!({}), json!({})]);
    assert_eq!(body["messages"][2]["content"][0]["is_error"], json!(true));
    let fragments: String = updates
        .iter()
        .filter_map(|u| match u {
            Update::ToolInputDelta {
                id, partial_json, ..
            } if id == "toolu_a" => Some(partial_json.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(fragments, "{\"city\": \"Lyon\"}");
}

#[tokio::test]
async fn cancelling_aborts_the_request_promptly() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::Start {
            usage: usage(10, 1),
        },
        Step::Text(vec!["thinking about it".into()]),
        Step::Stall(Duration::from_secs(60)),
        Step::Text(vec!["never shown".into()]),
    ])));
    let mut engine = engine_for(&server, &test_config());
    engine.commands.send(Command::Send("hi".into())).unwrap();
    // Wait until text is streaming, then cancel.
    until_text(&mut engine).await;
    engine.commands.send(Command::Cancel).unwrap();
    // A hang guard, not a speed check: the stall is 60 s, so ending at all proves the abort.
    let updates = tokio::time::timeout(Duration::from_secs(5), collect_turn(&mut engine))
        .await
        .expect("cancel did not end the turn");
    let (err, partial) = error(&updates).expect("an error update");
    assert_eq!(err, &ApiError::Cancelled);
    assert_eq!(partial.unwrap().text(), "thinking about it");
}

#[tokio::test]
async fn history_carries_the_answer_into_the_next_request() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(text_script("first answer")));
    server.enqueue(Reply::Script(text_script("second answer")));
    let mut engine = engine_for(&server, &test_config());
    turn(&mut engine, "one").await;
    turn(&mut engine, "two").await;
    let body = message_requests(&server)[1].body.clone().unwrap();
    assert_eq!(
        roles(&body),
        [json!("user"), json!("assistant"), json!("user")]
    );
    assert_eq!(
        body["messages"][1]["content"][0]["text"],
        json!("first answer")
    );
}

#[tokio::test]
async fn requests_carry_version_auth_and_beta_headers() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(text_script("ok")));
    let config = test_config();
    let mut o = chatterm::api::ClientOptions::new(
        server.url(),
        chatterm::api::Auth::ApiKey("sk-test".into()),
    );
    o.betas = vec!["a-2025-01-01".into(), "b-2026-02-01".into()];
    let client = chatterm::api::Client::new(o).unwrap();
    let mut engine =
        chatterm::engine::Engine::new(client, &config, chatterm::cost::Pricing::embedded()).spawn();
    turn(&mut engine, "hi").await;
    let r = &message_requests(&server)[0];
    assert_eq!(
        r.headers.get("anthropic-version").map(String::as_str),
        Some("2023-06-01")
    );
    assert_eq!(
        r.headers.get("anthropic-beta").map(String::as_str),
        Some("a-2025-01-01,b-2026-02-01")
    );
    assert!(r.headers.contains_key("x-api-key"));
    assert_eq!(r.body.as_ref().unwrap()["stream"], json!(true));
}
