//! End-to-end tests of the mock over real HTTP on loopback, with a plain reqwest client.
//! SSE is parsed here with string splitting on purpose: the client's own decoder is tested
//! elsewhere, and these tests must not depend on it.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use super::*;
use crate::api::{MessageResponse, StopReason, Usage};

const KEY: &str = "sk-ant-test-DO-NOT-STORE";

fn request(text: &str, stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-6", "max_tokens": 1024, "stream": stream,
        "messages": [{"role": "user", "content": text}]})
}

async fn post(server: &MockServer, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

/// `(event, data)` pairs of an SSE body.
fn sse(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|frame| {
            let mut name = String::new();
            let mut data = String::new();
            for line in frame.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = d.to_owned();
                }
            }
            (name, serde_json::from_str(&data).unwrap())
        })
        .collect()
}

fn text_of(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter_map(|(_, d)| d.pointer("/delta/text").and_then(Value::as_str))
        .collect()
}

async fn assert_api_error(response: reqwest::Response, status: u16, kind: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let request_id = response.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], kind);
    assert_eq!(body["request_id"], request_id.as_str());
    body["error"]["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_script_streams_as_sse_with_the_usual_headers() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(
        Script::text("Hello streaming world")
            .with_header("x-extra", "yes")
            .with_header("anthropic-ratelimit-requests-remaining", "0"),
    ));
    let response = post(&server, "/v1/messages", &request("hi", true)).await;
    assert_eq!(response.status(), 200);
    let h = response.headers().clone();
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(h["request-id"], "req_mock_1");
    assert_eq!(h["x-extra"], "yes");
    assert_eq!(
        h["anthropic-ratelimit-requests-remaining"], "0",
        "script headers win"
    );
    for family in ["requests", "tokens", "input-tokens", "output-tokens"] {
        for part in ["limit", "remaining", "reset"] {
            assert!(h.contains_key(format!("anthropic-ratelimit-{family}-{part}").as_str()));
        }
    }
    let events = sse(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(&names[names.len() - 2..], ["message_delta", "message_stop"]);
    assert_eq!(text_of(&events), "Hello streaming world");
    assert_eq!(events[0].1["message"]["model"], "claude-sonnet-4-6");
    assert_eq!(events[0].1["message"]["usage"]["input_tokens"], 12);
}

#[tokio::test]
async fn a_script_folds_into_one_message_when_not_streaming() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::text("Checking."),
        Step::tool_use("toolu_1", "get_weather", &["", "{\"city\": \"Ly", "on\"}"]),
        Step::tool_use("toolu_2", "get_time", &[""]),
        Step::stop(StopReason::ToolUse, 71),
    ])));
    let response = post(&server, "/v1/messages", &request("weather?", false)).await;
    assert_eq!(response.status(), 200);
    let message: MessageResponse = response.json().await.unwrap();
    assert_eq!(message.text(), "Checking.");
    let inputs: Vec<&Value> = message.tool_uses().map(|t| &t.input).collect();
    assert_eq!(inputs, [&json!({"city": "Lyon"}), &json!({})]);
    assert_eq!(message.stop_reason, Some(StopReason::ToolUse));
    assert_eq!(message.usage.output_tokens, 71);
    assert!(
        message.usage.input_tokens > 0,
        "usage computed when the script has no Start"
    );
}

#[tokio::test]
async fn error_replies_have_the_api_shape_and_headers() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Error(
        HttpError::new(529, "overloaded_error", "Overloaded").with_header("retry-after", "2"),
    ));
    server.enqueue(Reply::error(429, "rate_limit_error", "slow down"));
    let overloaded = post(&server, "/v1/messages", &request("a", true)).await;
    assert_eq!(overloaded.headers()["retry-after"], "2");
    assert_eq!(
        assert_api_error(overloaded, 529, "overloaded_error").await,
        "Overloaded"
    );
    let limited = post(&server, "/v1/messages", &request("a", false)).await;
    assert_eq!(
        assert_api_error(limited, 429, "rate_limit_error").await,
        "slow down"
    );
    // An error event in a non-streamed script becomes the HTTP error it stands for.
    server.enqueue(Reply::Script(Script::new(vec![Step::error_event(
        "overloaded_error",
        "busy",
    )])));
    let folded = post(&server, "/v1/messages", &request("a", false)).await;
    assert_api_error(folded, 529, "overloaded_error").await;
}

#[tokio::test]
async fn an_error_event_ends_the_stream_cleanly() {
    let server = MockServer::start().await.unwrap();
    let steps = vec![
        Step::text("partial"),
        Step::error_event("overloaded_error", "Overloaded"),
        Step::end_turn(3),
    ];
    server.enqueue(Reply::Script(Script::new(steps)));
    let response = post(&server, "/v1/messages", &request("a", true)).await;
    let events = sse(&response.text().await.unwrap());
    let (name, data) = events.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(data["error"]["type"], "overloaded_error");
    assert!(!events.iter().any(|(n, _)| n == "message_stop"));
}

#[tokio::test]
async fn hang_waits_then_answers_500() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Hang(Duration::from_millis(150)));
    let started = Instant::now();
    let response = post(&server, "/v1/messages", &request("a", true)).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_api_error(response, 500, "api_error").await;
}

async fn chunks_of(server: &MockServer, chunking: Chunking) -> Vec<Vec<u8>> {
    let script = Script::new(vec![
        Step::Ping,
        Step::text("Grüße, wörld ✓"),
        Step::Unknown {
            event: "telemetry".into(),
            data: "{\"type\":\"telemetry\"}".into(),
        },
        Step::end_turn(4),
    ]);
    server.enqueue(Reply::Script(script.with_chunking(chunking)));
    let response = post(server, "/v1/messages", &request("a", true)).await;
    let mut stream = response.bytes_stream();
    let mut chunks = Vec::new();
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.unwrap().to_vec());
    }
    chunks
}

#[tokio::test]
async fn fixed_one_byte_chunking_delivers_identical_bytes_one_at_a_time() {
    let server = MockServer::start().await.unwrap();
    let events = chunks_of(&server, Chunking::Events).await;
    let ones = chunks_of(&server, Chunking::Fixed(1)).await;
    let random = chunks_of(&server, Chunking::Random { seed: 3, max: 7 }).await;
    let whole = events.concat();
    // The ids differ per request, so compare with the request-specific parts normalised.
    let norm = |b: Vec<u8>| {
        String::from_utf8(b)
            .unwrap()
            .replace("msg_mock_0002", "X")
            .replace("msg_mock_0003", "X")
            .replace("msg_mock_0001", "X")
    };
    assert_eq!(norm(ones.concat()), norm(whole.clone()));
    assert_eq!(norm(random.concat()), norm(whole));
    assert!(
        ones.len() > 100 && ones.iter().all(|c| c.len() == 1),
        "one byte per frame"
    );
    assert!(random.iter().all(|c| (1..=7).contains(&c.len())));
}

#[tokio::test]
async fn drop_cuts_the_connection_and_the_client_sees_an_error() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        Step::text("half an ans"),
        Step::Drop,
    ])));
    let response = post(&server, "/v1/messages", &request("a", true)).await;
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut received = Vec::new();
    let mut failed = false;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert!(failed, "the body must end with an error, not a clean end");
    let text = String::from_utf8(received).unwrap();
    assert_eq!(
        text_of(&sse(&text)),
        "half an ans",
        "what was written before the cut arrives"
    );
    assert!(!text.contains("message_stop"));
    // Non-streaming: the headers arrive, then the body breaks.
    server.enqueue(Reply::Script(Script::new(vec![
        Step::text("x"),
        Step::Drop,
    ])));
    let response = post(&server, "/v1/messages", &request("a", false)).await;
    assert!(response.bytes().await.is_err());
}

#[tokio::test]
async fn stall_delays_the_next_write() {
    let server = MockServer::start().await.unwrap();
    let steps = vec![
        Step::text("before"),
        Step::Stall(Duration::from_millis(200)),
        Step::text("after"),
        Step::end_turn(2),
    ];
    server.enqueue(Reply::Script(Script::new(steps)));
    let response = post(&server, "/v1/messages", &request("a", true)).await;
    let mut stream = response.bytes_stream();
    let mut seen = String::new();
    let mut before_at = None;
    while let Some(chunk) = stream.next().await {
        seen.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
        if before_at.is_none() && seen.contains("before") {
            before_at = Some(Instant::now());
        }
    }
    assert!(seen.contains("after"));
    assert!(before_at.unwrap().elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn invalid_requests_get_400_and_leave_the_queue_alone() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::text("queued")));
    let mut bad = request("a", false);
    bad["messages"] = json!([]);
    let message = assert_api_error(
        post(&server, "/v1/messages", &bad).await,
        400,
        "invalid_request_error",
    )
    .await;
    assert!(message.contains("at least one message"));
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_api_error(raw, 400, "invalid_request_error").await;
    let good: MessageResponse = post(&server, "/v1/messages", &request("a", false))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(good.text(), "queued");
}

#[tokio::test]
async fn auth_and_version_headers_are_required() {
    let server = MockServer::start().await.unwrap();
    let url = format!("{}/v1/messages", server.url());
    let client = reqwest::Client::new();
    let no_key = client
        .post(&url)
        .header("anthropic-version", "2023-06-01")
        .json(&request("a", false))
        .send()
        .await
        .unwrap();
    assert_api_error(no_key, 401, "authentication_error").await;
    let no_version = client
        .post(&url)
        .header("x-api-key", KEY)
        .json(&request("a", false))
        .send()
        .await
        .unwrap();
    let message = assert_api_error(no_version, 400, "invalid_request_error").await;
    assert!(message.contains("anthropic-version"));
    server.enqueue(Reply::Script(Script::text("ok")));
    let bearer = client
        .post(&url)
        .bearer_auth("oauth-token")
        .header("anthropic-version", "2023-06-01")
        .json(&request("a", false))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
}

#[tokio::test]
async fn models_paginate_and_unknown_paths_are_404() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/models?limit=3", server.url());
        if let Some(a) = &after {
            url.push_str(&format!("&after_id={a}"));
        }
        let page: crate::api::ModelsPage =
            client.get(url).send().await.unwrap().json().await.unwrap();
        ids.extend(page.data.iter().map(|m| m.id.clone()));
        if !page.has_more {
            break;
        }
        after = page.last_id;
    }
    assert!(ids.len() >= 9 && ids.contains(&"claude-opus-5-5".to_owned()));
    let one: Value = client
        .get(format!("{}/v1/models/claude-sonnet-5", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["capabilities"]["thinking"]["supported"], true);
    let missing = client
        .get(format!("{}/v1/nothing", server.url()))
        .send()
        .await
        .unwrap();
    assert_api_error(missing, 404, "not_found_error").await;
}

#[tokio::test]
async fn count_tokens_matches_the_prompt_usage() {
    let server = MockServer::start().await.unwrap();
    let mut body = request(&"tell me about caching ".repeat(50), false);
    body["system"] = json!("You are terse.");
    let mut counted = body.clone();
    counted.as_object_mut().unwrap().remove("max_tokens");
    let response = post(&server, "/v1/messages/count_tokens", &counted).await;
    assert_eq!(response.status(), 200);
    let n = response.json::<Value>().await.unwrap()["input_tokens"]
        .as_u64()
        .unwrap();
    assert!(n > 200, "{n}");
    let message: MessageResponse = post(&server, "/v1/messages", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(message.usage.prompt_tokens(), n);
    let bad = post(&server, "/v1/messages/count_tokens", &json!({"model": "m"})).await;
    assert_api_error(bad, 400, "invalid_request_error").await;
}

#[tokio::test]
async fn requests_are_recorded_with_the_key_redacted() {
    let server = MockServer::start().await.unwrap();
    post(
        &server,
        "/v1/messages/count_tokens",
        &request("hello", false),
    )
    .await;
    reqwest::get(format!("{}/v1/models", server.url()))
        .await
        .unwrap();
    let recorded = server.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        (recorded[0].method.as_str(), recorded[0].path.as_str()),
        ("POST", "/v1/messages/count_tokens")
    );
    assert_eq!(recorded[0].header("x-api-key"), Some(REDACTED));
    assert_eq!(recorded[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        recorded[0].body.as_ref().unwrap()["messages"][0]["content"],
        "hello"
    );
    assert_eq!(
        (recorded[1].method.as_str(), recorded[1].body.as_ref()),
        ("GET", None)
    );
    assert!(!format!("{recorded:?}").contains(KEY));
}

#[tokio::test]
async fn queue_is_fifo_then_the_simulated_assistant_answers() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::text("one"));
    server.enqueue(Reply::text("two"));
    let mut answers = Vec::new();
    for _ in 0..3 {
        let m: MessageResponse = post(&server, "/v1/messages", &request("what now?", false))
            .await
            .json()
            .await
            .unwrap();
        answers.push(m.text());
    }
    assert_eq!(&answers[..2], ["one", "two"]);
    assert!(answers[2].contains("> what now?") && answers[2].contains("offline demo"));
}

#[tokio::test]
async fn the_simulated_assistant_streams_thinking_then_text() {
    let server = MockServer::start().await.unwrap();
    let started = Instant::now();
    let response = post(
        &server,
        "/v1/messages",
        &request("think, then write a table", true),
    )
    .await;
    let events = sse(&response.text().await.unwrap());
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "paced like a model"
    );
    let blocks: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .filter_map(|(_, d)| d.pointer("/content_block/type").and_then(Value::as_str))
        .collect();
    assert_eq!(blocks, ["thinking", "text"]);
    assert!(text_of(&events).contains("| Tier |"));
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert!(delta["usage"]["output_tokens"].as_u64().unwrap() > 20);
    assert!(
        delta["usage"]["input_tokens"].as_u64().is_some(),
        "final delta repeats input fields"
    );
}

#[tokio::test]
async fn a_cached_conversation_reads_most_of_its_prompt_from_cache() {
    let server = MockServer::start().await.unwrap();
    let system = "You are chatterm's helpful assistant. Follow the house style. ".repeat(160);
    let mut history: Vec<Value> = Vec::new();
    let mut usages: Vec<Usage> = Vec::new();
    for question in [
        "What is a prompt cache?",
        "Show me rust code",
        "And a table please",
    ] {
        // The moving breakpoint: only the newest user message carries a marker.
        for message in &mut history {
            if let Some(blocks) = message["content"].as_array_mut() {
                for b in blocks {
                    b.as_object_mut().unwrap().remove("cache_control");
                }
            }
        }
        history.push(json!({"role": "user", "content": [
            {"type": "text", "text": question, "cache_control": {"type": "ephemeral"}}]}));
        let body = json!({"model": "claude-sonnet-4-6", "max_tokens": 2048,
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "messages": history});
        let m: MessageResponse = post(&server, "/v1/messages", &body)
            .await
            .json()
            .await
            .unwrap();
        history.push(serde_json::to_value(m.to_message()).unwrap());
        usages.push(m.usage);
    }
    assert!(usages[0].cache_creation_input_tokens > 1024 && usages[0].cache_read_input_tokens == 0);
    assert_eq!(
        usages[1].cache_read_input_tokens,
        usages[0].cache_creation_input_tokens
    );
    let third = &usages[2];
    let rate = third.cache_read_input_tokens as f64 / third.prompt_tokens() as f64;
    assert!(
        rate >= 0.8,
        "third request read {rate:.2} of its prompt from cache: {third:?}"
    );
    assert_eq!(
        third.cache_creation.unwrap().ephemeral_5m_input_tokens,
        third.cache_creation_input_tokens
    );
}

#[tokio::test]
async fn a_prompt_longer_than_the_model_window_is_refused() {
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom("test-small", "sonnet", 300, 100));
    let listed: Value = reqwest::Client::new()
        .get(format!("{}/v1/models", server.url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"][0]["id"], "test-small");
    let body = |text: &str| {
        json!({"model": "test-small", "max_tokens": 10,
            "messages": [{"role": "user", "content": text}]})
    };
    let ok = post(&server, "/v1/messages", &body("short")).await;
    assert_eq!(ok.status().as_u16(), 200);
    let long = post(&server, "/v1/messages", &body(&"word ".repeat(400))).await;
    let message = assert_api_error(long, 400, "invalid_request_error").await;
    assert!(message.starts_with("prompt is too long: "), "{message}");
    assert!(message.ends_with(" tokens > 300 maximum"), "{message}");
}
