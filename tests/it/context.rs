//! Context bounding against the mock with a small model window: both strategies fold old
//! turns before the prompt outgrows the window, and every request they send is accepted
//! by the mock's validator (which also refuses prompts longer than the window).

use chatterm::api::catalog::{self, Catalog};
use chatterm::config::{Config, ContextStrategy, PerTier, Tier};
use chatterm::cost::Pricing;
use chatterm::engine::{Engine, EngineHandle, Update};
use chatterm::mock::{MockServer, Reply, Script, Step, models};
use serde_json::Value;

use crate::common::*;

const SMALL: &str = "test-small-window";
const SMALL_FAST: &str = "test-small-fast";
const WINDOW: u64 = 3_000;

fn config(strategy: ContextStrategy) -> Config {
    let mut c = test_config();
    c.models.balanced = SMALL.into();
    c.models.fast = SMALL_FAST.into();
    c.models.tier = Tier::Balanced.into();
    c.models.max_tokens = PerTier {
        fast: 200,
        balanced: 300,
        max: 300,
    };
    c.context.strategy = strategy;
    c
}

/// A mock whose two test models have a 3,000-token window, and an engine that learned the
/// windows from its `/v1/models`, as a real start-up does.
async fn setup(strategy: ContextStrategy) -> (MockServer, EngineHandle) {
    let server = MockServer::start().await.unwrap();
    server.add_model(models::custom(SMALL, "sonnet", WINDOW, 1_000));
    server.add_model(models::custom(SMALL_FAST, "haiku", WINDOW, 1_000));
    let config = config(strategy);
    let client = client_for(&server, &config);
    let catalog: Catalog = catalog::refresh(&client, None).await.unwrap();
    assert_eq!(catalog.window(SMALL), WINDOW);
    let engine = Engine::new(client, &config, Pricing::embedded()).with_catalog(catalog);
    (server, engine.spawn())
}

/// A prompt of about 300 tokens by the mock's count.
fn prompt(n: usize) -> String {
    format!(
        "Message {n}. {}",
        "Here is more detail about the problem. ".repeat(30)
    )
}

/// A reply whose usage is the mock's real count of the prompt (no scripted `Start`), as
/// the estimates build on the last request's usage.
fn reply(text: &str) -> Reply {
    Reply::Script(Script::new(vec![Step::text(text), Step::end_turn(8)]))
}

fn streamed_bodies(server: &MockServer) -> Vec<Value> {
    message_bodies(server)
        .into_iter()
        .filter(|b| b["stream"] == true)
        .collect()
}

/// Runs turns until one folds (at most `max` turns); every turn must succeed.
async fn chat_until_folded(engine: &mut EngineHandle, server: &MockServer, max: usize) -> String {
    for n in 1..=max {
        // Enough replies for the turn and a summary request; extra ones are harmless.
        server.enqueue(reply(&format!("Reply {n}: noted, carry on.")));
        server.enqueue(reply("The user described a problem in several messages."));
        let updates = turn(engine, &prompt(n)).await;
        if let Some((e, _)) = error(&updates) {
            panic!("turn {n} failed: {e}");
        }
        let folded = updates.iter().find_map(|u| match u {
            Update::Notice { text, .. } if text.starts_with("context: ") => Some(text.clone()),
            _ => None,
        });
        if let Some(notice) = folded {
            return notice;
        }
    }
    panic!("nothing was folded in {max} turns");
}

fn assert_valid_history(body: &Value) {
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "user");
    for pair in messages.windows(2) {
        assert_ne!(pair[0]["role"], pair[1]["role"], "roles alternate");
    }
}

#[tokio::test]
async fn summarise_folds_old_turns_into_a_summary_written_by_the_fast_tier() {
    let (server, mut engine) = setup(ContextStrategy::Summarise).await;
    let notice = chat_until_folded(&mut engine, &server, 12).await;
    assert!(
        notice.starts_with("context: summarised the ") && notice.contains("saving about"),
        "{notice}"
    );
    let summary_request = server
        .requests()
        .into_iter()
        .filter_map(|r| r.body)
        .find(|b| b["stream"] != true && b["model"] == SMALL_FAST)
        .expect("a summary request to the fast tier");
    assert!(
        summary_request["messages"][0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("<conversation>")
    );
    let bodies = streamed_bodies(&server);
    let last = bodies.last().unwrap();
    assert_valid_history(last);
    let first = last["messages"][0]["content"][0]["text"].as_str().unwrap();
    assert!(first.starts_with("[Summary of the "), "{first}");
    // The next turn builds on the folded history and is accepted too.
    server.enqueue(reply("Still here."));
    let updates = turn(&mut engine, "One more question.").await;
    assert!(error(&updates).is_none(), "{updates:?}");
    let next = streamed_bodies(&server).pop().unwrap();
    assert_valid_history(&next);
    assert!(next["messages"].as_array().unwrap().len() < 12);
}

#[tokio::test]
async fn the_summary_request_is_reported_as_usage() {
    let (server, mut engine) = setup(ContextStrategy::Summarise).await;
    let mut summary_usage = false;
    for n in 1..=12 {
        server.enqueue(reply("Reply."));
        server.enqueue(reply("Summary."));
        let updates = turn(&mut engine, &prompt(n)).await;
        summary_usage |= updates
            .iter()
            .any(|u| matches!(u, Update::Usage { model, .. } if model == SMALL_FAST));
        if summary_usage {
            break;
        }
    }
    assert!(summary_usage, "the summary's usage reached the front end");
}

#[tokio::test]
async fn truncate_drops_old_turns_and_the_window_is_never_exceeded() {
    let (server, mut engine) = setup(ContextStrategy::Truncate).await;
    let notice = chat_until_folded(&mut engine, &server, 12).await;
    assert!(notice.starts_with("context: dropped the "), "{notice}");
    let counted = server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/messages/count_tokens")
        .count();
    assert!(
        counted >= 1,
        "near the limit the size is counted, not only estimated"
    );
    // Keep chatting: the history stays bounded and every request is accepted.
    for n in 0..6 {
        server.enqueue(reply("ok"));
        let updates = turn(&mut engine, &prompt(100 + n)).await;
        assert!(error(&updates).is_none(), "turn {n} after the fold failed");
    }
    for body in streamed_bodies(&server) {
        assert_valid_history(&body);
        let tokens = chatterm::mock::prompt::count_tokens(&body);
        assert!(
            tokens <= WINDOW,
            "{tokens} tokens sent to a {WINDOW}-token window"
        );
    }
    assert!(
        server
            .requests()
            .iter()
            .filter_map(|r| r.body.as_ref())
            .all(|b| b["model"] != SMALL_FAST),
        "truncation asks no model for a summary"
    );
}

#[tokio::test]
async fn context_size_reports_the_next_request_against_the_window() {
    let (server, mut engine) = setup(ContextStrategy::Truncate).await;
    server.enqueue(reply("Short reply."));
    turn(&mut engine, "hello").await;
    // The size after the answer arrives once the turn has been folded into the history.
    let size = next_update(&mut engine, "ContextSize update", |u| match u {
        Update::ContextSize {
            model,
            tokens,
            window,
        } => Some((model, tokens, window)),
        _ => None,
    })
    .await;
    assert_eq!(size.0, SMALL);
    assert_eq!(size.2, WINDOW);
    assert!(size.1 > 0 && size.1 < WINDOW, "{size:?}");
}

/// Waits for the engine's `Compacted`, with a generous deadline.
async fn compacted(engine: &mut EngineHandle) -> (String, Vec<String>) {
    loop {
        let u = tokio::time::timeout(std::time::Duration::from_secs(20), engine.updates.recv())
            .await
            .expect("no Compacted within 20 s")
            .expect("engine stopped");
        if let Update::Compacted { text, requests, .. } = u {
            return (text, requests.into_iter().map(|(m, _, _)| m).collect());
        }
    }
}

#[tokio::test]
async fn compact_folds_the_older_turns_now_and_says_what_it_saved() {
    let (server, mut engine) = setup(ContextStrategy::Summarise).await;
    // Nothing to fold yet: one turn, and the newest turns are kept.
    server.enqueue(reply("Reply 1."));
    let _ = turn(&mut engine, &prompt(1)).await;
    engine
        .commands
        .send(chatterm::engine::Command::Compact)
        .unwrap();
    let (text, requests) = compacted(&mut engine).await;
    assert!(text.starts_with("nothing to compact"), "{text}");
    assert!(requests.is_empty());
    for n in 2..=4 {
        server.enqueue(reply(&format!("Reply {n}.")));
        let _ = turn(&mut engine, &prompt(n)).await;
    }
    server.enqueue(reply("The user described a problem in several messages."));
    engine
        .commands
        .send(chatterm::engine::Command::Compact)
        .unwrap();
    let (text, requests) = compacted(&mut engine).await;
    assert!(
        text.starts_with("compacted: summarised the") && text.contains("saving about"),
        "{text}"
    );
    assert_eq!(
        requests,
        [SMALL_FAST],
        "the summary request is reported for counting"
    );
    // The next request carries the folded history.
    server.enqueue(reply("Reply 5."));
    let _ = turn(&mut engine, &prompt(5)).await;
    let bodies = streamed_bodies(&server);
    let last = bodies.last().unwrap();
    assert_valid_history(last);
    assert!(last["messages"].as_array().unwrap().len() < 9, "{last}");
    assert!(last.to_string().contains("Summary of the"), "{last}");
}
