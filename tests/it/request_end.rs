//! The engine's word on each request's end (`Update::RequestEnded`): how it ended, its
//! tier, usage, cost and today's spend; the estimate for an interrupted request; and the
//! turn-wide block ids that stay unique across tool rounds.

use std::cell::RefCell;
use std::sync::Arc;

use chatterm::config::{Config, Tier};
use chatterm::cost::day::now_ms;
use chatterm::cost::{Ledger, LedgerEntry, MemoryLedger, Outcome, Pricing};
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::{MockServer, Script, Step};

use crate::common::*;

const SONNET: &str = "claude-sonnet-4-6";

fn engine(server: &MockServer, ledger: Arc<MemoryLedger>) -> EngineHandle {
    let mut config = Config::default();
    config.chat.auto_title = false;
    Engine::new(client_for(server, &config), &config, Pricing::embedded())
        .with_ledger(ledger)
        .spawn()
}

#[tokio::test]
async fn a_request_ends_with_its_tier_cost_and_todays_spend() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(script_0189("Hello.").into());
    let ledger = Arc::new(MemoryLedger::new());
    // Spent earlier today, in another session.
    let earlier = LedgerEntry {
        at_ms: now_ms(),
        conversation: None,
        model: SONNET.into(),
        tier: Some(Tier::Balanced),
        usage: Default::default(),
        cost_usd: Some(1.0),
        latency_ms: 0,
        fell_back: false,
    };
    ledger.record(&earlier).unwrap();
    let mut handle = engine(&server, ledger.clone());
    let updates = turn(&mut handle, "hi").await;
    let connected: Vec<_> = updates
        .iter()
        .filter_map(|u| match u {
            Update::Connected { model, tier, .. } => Some((model.as_str(), *tier)),
            _ => None,
        })
        .collect();
    assert_eq!(connected, [(SONNET, Some(Tier::Balanced))]);
    let [end] = request_ends(&updates)[..] else {
        panic!("one request ends: {updates:#?}")
    };
    assert_eq!(end.outcome, Outcome::Answered);
    assert_eq!(
        (end.model.as_str(), end.tier),
        (SONNET, Some(Tier::Balanced))
    );
    let usage = end.usage.as_ref().expect("usage");
    assert_eq!(usage.output_tokens, 500);
    assert!(!end.usage_estimated);
    let cost = end.cost_usd.expect("priced");
    assert!((cost - 0.0189).abs() < 1e-9, "{cost}");
    let today = end.today_usd.expect("today's spend");
    assert!((today - 1.0189).abs() < 1e-9, "{today}");
    assert!(end.timing.is_some_and(|t| t.total.is_some()));
    // The end comes before the turn's.
    let at = |pick: fn(&Update) -> bool| updates.iter().position(pick).unwrap();
    assert!(
        at(|u| matches!(u, Update::RequestEnded { .. }))
            < at(|u| matches!(u, Update::TurnFinished { .. }))
    );
}

#[tokio::test]
async fn an_interrupted_request_estimates_its_output_from_the_streamed_text() {
    let server = MockServer::start().await.unwrap();
    let text = "word ".repeat(80);
    server.enqueue(stalls_after(&text, " never sent"));
    let ledger = Arc::new(MemoryLedger::new());
    let mut handle = engine(&server, ledger.clone());
    handle.commands.send(Command::Send("hi".into())).unwrap();
    // Cancel once all the text before the stall has arrived.
    let streamed = RefCell::new(String::new());
    let updates = collect_turn_reacting(&mut handle, |u| {
        let Update::TextDelta { text: t, .. } = u else {
            return None;
        };
        streamed.borrow_mut().push_str(t);
        (*streamed.borrow() == text).then_some(Command::Cancel)
    })
    .await;
    let [end] = request_ends(&updates)[..] else {
        panic!("one request ends: {updates:#?}")
    };
    assert_eq!(end.outcome, Outcome::Interrupted);
    assert!(end.usage_estimated);
    // 400 characters at four a token.
    assert_eq!(end.usage.as_ref().map(|u| u.output_tokens), Some(100));
    let priced = Pricing::embedded().cost(SONNET, end.usage.as_ref().unwrap());
    assert_eq!(end.cost_usd, priced);
    // The ledger records the same estimate: today's spend never undercounts.
    let entries = ledger.entries_since(0).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].usage.output_tokens, 100);
}

#[tokio::test]
async fn block_ids_stay_unique_across_tool_rounds() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Script::new(vec![
            Step::text("Let me look."),
            Step::tool_use("toolu_1", "get_weather", &["{}"]),
            Step::stop(chatterm::api::StopReason::ToolUse, 9),
        ])
        .into(),
    );
    server.enqueue(Script::text("Tools are off.").into());
    let mut handle = engine(&server, Arc::new(MemoryLedger::new()));
    let updates = turn(&mut handle, "weather?").await;
    let started: Vec<usize> = updates
        .iter()
        .filter_map(|u| match u {
            Update::BlockStarted { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert_eq!(started, [0, 1, 2], "{updates:#?}");
    // The second round's text deltas name its own block, not the first round's.
    let second: Vec<usize> = updates
        .iter()
        .skip_while(|u| !matches!(u, Update::Tool { .. }))
        .filter_map(|u| match u {
            Update::TextDelta { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    assert!(
        !second.is_empty() && second.iter().all(|&i| i == 2),
        "{second:?}"
    );
    assert_eq!(request_ends(&updates).len(), 2);
}
