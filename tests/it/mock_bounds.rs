//! The mock server's memory is bounded: it keeps only its last requests, however many and
//! however large, and answers a body over the API's 32 MB limit with the API's 413.

use chatterm::mock::{BODY_LIMIT, DEFAULT_KEEP_REQUESTS, KEEP_BODY_BYTES, MockServer};
use serde_json::Value;

async fn post(client: &reqwest::Client, server: &MockServer, body: Vec<u8>) -> (u16, Value) {
    let resp = client
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A Messages body of about `size` bytes (one long user message).
fn big_body(size: usize, marker: usize) -> Vec<u8> {
    let text = format!("{marker} {}", "x".repeat(size));
    serde_json::json!({
        "model": "m", "max_tokens": 0,
        "messages": [{"role": "user", "content": text}],
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn many_large_requests_keep_only_the_last_ones() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let total = DEFAULT_KEEP_REQUESTS + 60;
    for i in 0..total {
        // An invalid request (max_tokens 0) still gets recorded, and costs no answer.
        let (status, _) = post(&client, &server, big_body(64 * 1024, i)).await;
        assert_eq!(status, 400);
    }
    let kept = server.requests();
    assert_eq!(kept.len(), DEFAULT_KEEP_REQUESTS);
    assert_eq!(server.requests_seen(), total as u64);
    let newest = String::from_utf8_lossy(&kept.last().unwrap().raw_body).into_owned();
    assert!(
        newest.contains(&format!("\"{} x", total - 1)),
        "the newest is kept"
    );
    let held: usize = kept.iter().map(|r| r.raw_body.len()).sum();
    assert!(
        held < DEFAULT_KEEP_REQUESTS * 70 * 1024,
        "{held} bytes held"
    );

    server.keep_requests(10);
    assert_eq!(server.requests().len(), 10);
    server.keep_requests(1000);
    post(&client, &server, big_body(10, 0)).await;
    assert_eq!(server.requests().len(), 11);
}

#[tokio::test]
async fn huge_bodies_are_kept_within_a_byte_budget() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    for i in 0..8 {
        let (status, _) = post(&client, &server, big_body(20 * 1024 * 1024, i)).await;
        assert_eq!(status, 400);
    }
    let kept = server.requests();
    let held: usize = kept.iter().map(|r| r.raw_body.len()).sum();
    assert!(
        held <= KEEP_BODY_BYTES,
        "{held} bytes held by {} requests",
        kept.len()
    );
    assert_eq!(kept.len(), 3, "the newest that fit");
    let newest = String::from_utf8_lossy(&kept[2].raw_body[..100]).into_owned();
    assert!(newest.contains("\"7 x"), "{newest}");
}

#[tokio::test]
async fn a_body_over_32_mb_gets_the_apis_413() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    let (status, body) = post(&client, &server, big_body(BODY_LIMIT + 1024, 1)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "request_too_large");
    let recorded = server.requests();
    assert_eq!(recorded.len(), 1);
    assert!(
        recorded[0].raw_body.is_empty(),
        "an oversized body is not kept"
    );
}
