//! The usage ledger as the engine writes it: one entry per request that produced usage,
//! with its model, tier, cost and fallback flag, against the mock over real HTTP.

use std::sync::Arc;
use std::time::Duration;

use chatterm::api::Usage;
use chatterm::config::{Config, Tier};
use chatterm::cost::{Ledger, LedgerEntry, MemoryLedger, Pricing};
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::{MockServer, Reply, Script, Step};

use crate::common::*;

const SONNET: &str = "claude-sonnet-4-6";
const HAIKU: &str = "claude-haiku-4-5";

/// Priced tiers: max is sonnet ($3 / $15), balanced haiku ($1 / $5), fast an unpriced id.
fn priced_config(max_retries: u32) -> Config {
    let mut c = test_config();
    c.models.max = SONNET.into();
    c.models.balanced = HAIKU.into();
    c.api.max_retries = max_retries;
    c
}

fn engine(server: &MockServer, config: &Config) -> (EngineHandle, Arc<MemoryLedger>) {
    let ledger = Arc::new(MemoryLedger::new());
    let handle = Engine::new(client_for(server, config), config, Pricing::embedded())
        .with_ledger(ledger.clone())
        .spawn();
    (handle, ledger)
}

fn entries(ledger: &MemoryLedger) -> Vec<LedgerEntry> {
    ledger.entries_since(0).unwrap()
}

/// A stream that reports usage and then fails before any content.
fn usage_then_overloaded(input: u64) -> Script {
    Script::new(vec![
        Step::Start {
            usage: Usage {
                input_tokens: input,
                output_tokens: 1,
                ..Usage::default()
            },
        },
        Step::error_event("overloaded_error", "Overloaded"),
    ])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[tokio::test]
async fn a_finished_request_is_recorded_once_with_its_cost() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(script_0189("Cached answer.").into());
    let (mut handle, ledger) = engine(&server, &priced_config(0));
    let updates = turn(&mut handle, "hi").await;
    // The last running usage the front end saw is priced the same way.
    let last_cost = updates.iter().rev().find_map(|u| match u {
        Update::Usage { cost_usd, .. } => *cost_usd,
        _ => None,
    });
    assert!(last_cost.is_some_and(|c| close(c, 0.0189)), "{last_cost:?}");
    let recorded = entries(&ledger);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let e = &recorded[0];
    assert_eq!(
        (e.model.as_str(), e.tier, e.fell_back),
        (SONNET, Some(Tier::Max), false)
    );
    assert_eq!(
        (
            e.usage.input_tokens,
            e.usage.cache_creation_input_tokens,
            e.usage.cache_read_input_tokens,
            e.usage.output_tokens
        ),
        (1000, 2000, 3000, 500)
    );
    assert!(
        e.cost_usd.is_some_and(|c| close(c, 0.0189)),
        "{:?}",
        e.cost_usd
    );
    assert!(e.at_ms > 0);
    assert!(close(ledger.spent_since(0).unwrap(), 0.0189));
}

#[tokio::test]
async fn failed_attempts_with_usage_are_recorded_and_ones_without_are_not() {
    let server = MockServer::start().await.unwrap();
    // 1: HTTP 529, nothing used. 2: message_start, then overloaded: the prompt was paid.
    // 3: the answer.
    server.enqueue(Reply::error(529, "overloaded_error", "Overloaded"));
    server.enqueue(usage_then_overloaded(4000).into());
    server.enqueue(script_0189("Cached answer.").into());
    let (mut handle, ledger) = engine(&server, &priced_config(3));
    let updates = turn(&mut handle, "hi").await;
    assert!(finished(&updates).is_some(), "{updates:?}");
    let recorded = entries(&ledger);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    // 4000 x 3 + 1 x 15 = 12015 µ$ for the failed attempt.
    assert_eq!(recorded[0].usage.input_tokens, 4000);
    assert!(recorded[0].cost_usd.is_some_and(|c| close(c, 0.012015)));
    assert!(recorded[1].cost_usd.is_some_and(|c| close(c, 0.0189)));
    assert!(recorded.iter().all(|e| !e.fell_back && e.model == SONNET));
}

#[tokio::test]
async fn a_fallback_request_is_marked_with_its_tier_and_unpriced_models_have_no_cost() {
    let server = MockServer::start().await.unwrap();
    // No retries: sonnet (max) fails after message_start, haiku (balanced) fails the same
    // way, the unpriced fast model answers.
    server.enqueue(usage_then_overloaded(100).into());
    server.enqueue(usage_then_overloaded(200).into());
    server.enqueue(Reply::text("from the fast tier"));
    let (mut handle, ledger) = engine(&server, &priced_config(0));
    let updates = turn(&mut handle, "hi").await;
    assert_eq!(finished(&updates).unwrap().text(), "from the fast tier");
    let recorded = entries(&ledger);
    let summary: Vec<_> = recorded
        .iter()
        .map(|e| (e.model.as_str(), e.tier, e.fell_back, e.cost_usd.is_some()))
        .collect();
    assert_eq!(
        summary,
        [
            (SONNET, Some(Tier::Max), false, true),
            (HAIKU, Some(Tier::Balanced), true, true),
            (FAST, Some(Tier::Fast), true, false),
        ]
    );
    // 200 x 1 + 1 x 5 = 205 µ$ on haiku.
    assert!(recorded[1].cost_usd.is_some_and(|c| close(c, 0.000205)));
}

#[tokio::test]
async fn a_cancelled_request_is_recorded_with_the_usage_it_had() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Script::new(vec![
            Step::Start {
                usage: Usage {
                    input_tokens: 1000,
                    output_tokens: 1,
                    ..Usage::default()
                },
            },
            Step::text("partial"),
            Step::Stall(Duration::from_secs(60)),
        ])
        .into(),
    );
    let (mut handle, ledger) = engine(&server, &priced_config(0));
    handle.commands.send(Command::Send("hi".into())).unwrap();
    until_text(&mut handle).await;
    handle.commands.send(Command::Cancel).unwrap();
    let updates = collect_turn(&mut handle).await;
    assert!(error(&updates).is_some());
    let recorded = entries(&ledger);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    // The final usage never came: the output is estimated from the 7 characters that
    // streamed ("partial", 2 tokens), not the 1 of message_start.
    assert_eq!(recorded[0].usage.output_tokens, 2);
    // 1000 x 3 + 2 x 15 = 3030 µ$.
    assert!(recorded[0].cost_usd.is_some_and(|c| close(c, 0.003030)));
}
