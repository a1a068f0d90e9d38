//! Prompt caching end to end: the engine's breakpoints against the mock's cache
//! simulation, which follows the API's prefix rules (per-model minimums, 20-block lookback).

use chatterm::api::Usage;
use chatterm::config::{CacheTtl, Tier};
use chatterm::engine::Update;
use chatterm::mock::{MockServer, Reply, Script, Step};
use serde_json::Value;

use crate::common::*;

/// A long, stable system prompt: well above the 2048-token minimum of Sonnet 4.6.
fn long_system() -> String {
    "You are a meticulous assistant for a team of Rust engineers. Answer precisely, cite the \
     relevant API, and keep examples small and complete. "
        .repeat(70)
}

/// An answer whose usage comes from the mock's cache simulation (no explicit `Start`).
fn answer(n: usize) -> Reply {
    let text = format!(
        "Answer {n}: {}",
        "the borrow checker tracks lifetimes of references so data races cannot compile. "
            .repeat(6)
    );
    Reply::Script(Script::new(vec![Step::text(&text), Step::end_turn(120)]))
}

/// The JSON paths of every `cache_control` marker in a body, in prompt order.
fn markers(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["tools", "system"] {
        for (i, block) in body[key].as_array().into_iter().flatten().enumerate() {
            if block.get("cache_control").is_some() {
                out.push(format!("{key}.{i}"));
            }
        }
    }
    for (i, message) in body["messages"].as_array().unwrap().iter().enumerate() {
        for (j, block) in message["content"].as_array().unwrap().iter().enumerate() {
            if block.get("cache_control").is_some() {
                out.push(format!("messages.{i}.content.{j}"));
            }
        }
    }
    out
}

fn final_usage(updates: &[Update]) -> Usage {
    finished(updates).expect("the turn finished").usage.clone()
}

#[tokio::test]
async fn five_turns_move_the_breakpoint_and_read_most_of_the_prompt_from_cache() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.models.balanced = "claude-sonnet-4-6".into();
    config.models.tier = Tier::Balanced.into();
    config.chat.system = Some(long_system());
    let mut engine = engine_for(&server, &config);
    let mut usages = Vec::new();
    for n in 1..=5 {
        server.enqueue(answer(n));
        let updates = turn(
            &mut engine,
            &format!("Question {n}: how do lifetimes work?"),
        )
        .await;
        usages.push(final_usage(&updates));
    }
    let bodies = message_bodies(&server);
    assert_eq!(bodies.len(), 5);
    for (i, body) in bodies.iter().enumerate() {
        let last_user = body["messages"].as_array().unwrap().len() - 1;
        assert_eq!(
            markers(body),
            [
                "system.0".to_owned(),
                format!("messages.{last_user}.content.0")
            ],
            "request {}: the system prompt and the newest user message only",
            i + 1
        );
        assert_eq!(body["messages"][last_user]["role"], "user");
        assert!(markers(body).len() <= 4);
    }
    assert!(
        usages[0].cache_creation_input_tokens >= 2048,
        "{:?}",
        usages[0]
    );
    assert_eq!(usages[0].cache_read_input_tokens, 0);
    for (i, usage) in usages.iter().enumerate().skip(2) {
        let rate = usage.cache_read_input_tokens as f64 / usage.prompt_tokens() as f64;
        assert!(
            rate >= 0.8,
            "request {} read only {:.0}% of its prompt from the cache: {usage:?}",
            i + 1,
            rate * 100.0
        );
        // Each request reads exactly what the one before it had as its prompt.
        let before = &usages[i - 1];
        assert_eq!(
            usage.cache_read_input_tokens,
            before.prompt_tokens() - before.input_tokens
        );
    }
}

#[tokio::test]
async fn one_hour_ttl_marks_every_breakpoint_and_writes_one_hour_tokens() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.chat.system = Some(long_system());
    config.cache.ttl = CacheTtl::OneHour;
    let mut engine = engine_for(&server, &config);
    server.enqueue(answer(1));
    let usage = final_usage(&turn(&mut engine, "first").await);
    let body = &message_bodies(&server)[0];
    assert_eq!(body["system"][0]["cache_control"]["ttl"], "1h");
    assert_eq!(
        body["messages"][0]["content"][0]["cache_control"]["ttl"],
        "1h"
    );
    let split = usage.cache_creation.expect("the TTL split");
    assert_eq!(
        split.ephemeral_1h_input_tokens,
        usage.cache_creation_input_tokens
    );
    assert_eq!(split.ephemeral_5m_input_tokens, 0);
}

#[tokio::test]
async fn caching_off_sends_no_markers_and_reads_nothing() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.chat.system = Some(long_system());
    config.cache.enabled = false;
    let mut engine = engine_for(&server, &config);
    for n in 1..=2 {
        server.enqueue(answer(n));
        let usage = final_usage(&turn(&mut engine, "again").await);
        assert_eq!(
            usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
            0
        );
    }
    for body in message_bodies(&server) {
        assert!(!body.to_string().contains("cache_control"));
    }
}
