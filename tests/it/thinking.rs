//! Thinking and effort against the mock: what each request carries for its model, and the
//! round trip the mock checks like the API (a signed thinking block must come back byte for
//! byte, and a tool loop with thinking keeps its thinking block first), over three tool
//! rounds.

use std::sync::Arc;

use chatterm::api::{ApiError, Message, MessagesRequest, StopReason};
use chatterm::config::{Config, Effort, PerTier, ThinkingMode, Tier};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, ToolSettings, Update};
use chatterm::mock::thinking::sign;
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::tools::ToolExecutor;
use serde_json::{Value, json};

use crate::common::*;
use crate::fake_tools::FakeTools;
use crate::tool_helpers::{body, start};

/// The test config with real model ids (the capability table knows them).
fn config(mode: ThinkingMode) -> Config {
    let mut c = test_config();
    c.models.max = "claude-opus-5".into();
    c.models.balanced = "claude-sonnet-4-6".into();
    c.models.fast = "claude-haiku-4-5".into();
    c.thinking.mode = mode;
    c
}

fn engine(server: &MockServer, config: &Config, tools: &Arc<FakeTools>) -> EngineHandle {
    let executor: Arc<dyn ToolExecutor> = tools.clone();
    Engine::new(client_for(server, config), config, Pricing::embedded())
        .with_tools(executor, ToolSettings::default())
        .spawn()
}

/// A round that thinks (signed like the mock signs) and then calls `lookup_order`.
fn thinking_call(round: usize) -> Reply {
    let thought = format!("Round {round}: I need order {round} before I can answer.");
    Reply::Script(Script::new(vec![
        start(),
        Step::Thinking {
            deltas: vec![thought.clone()],
            signature: sign(&thought),
        },
        Step::tool_use(
            &format!("toolu_{round}"),
            "lookup_order",
            &[&json!({"order_id": format!("A-{round}")}).to_string()],
        ),
        Step::stop(StopReason::ToolUse, 40),
    ]))
}

fn first_block(body: &Value, message: usize) -> Value {
    body["messages"][message]["content"][0].clone()
}

#[tokio::test]
async fn the_tool_loop_survives_three_rounds_with_thinking() {
    let server = MockServer::start().await.unwrap();
    for round in 1..=3 {
        server.enqueue(thinking_call(round));
    }
    server.enqueue(Reply::Script(Script::new(vec![
        start(),
        Step::text("All three orders shipped."),
        Step::end_turn(8),
    ])));
    let tools = Arc::new(FakeTools::new());
    let mut handle = engine(&server, &config(ThinkingMode::Adaptive), &tools);
    let updates = turn(&mut handle, "Where are my orders?").await;
    assert_eq!(
        finished(&updates).map(|m| m.text()),
        Some("All three orders shipped.".to_owned()),
        "{updates:#?}"
    );
    assert_eq!(tools.runs().len(), 3);
    let requests = message_requests(&server);
    assert_eq!(requests.len(), 4);
    for n in 0..4 {
        let b = body(&server, n);
        assert_eq!(
            b["thinking"],
            json!({"type": "adaptive", "display": "summarized"})
        );
        // Every earlier round's thinking goes back unchanged, first in its message.
        for round in 1..=n {
            let sent = first_block(&b, 2 * round - 1);
            let thought = format!("Round {round}: I need order {round} before I can answer.");
            assert_eq!(
                sent,
                json!({"type": "thinking", "thinking": thought, "signature": sign(&thought)})
            );
        }
    }
}

/// Sends `history` straight to the mock with thinking on; the API error it gets, if any.
async fn send_history(history: Vec<Message>) -> Option<String> {
    let server = MockServer::start().await.unwrap();
    let config = config(ThinkingMode::Adaptive);
    let client = client_for(&server, &config);
    let mut req = MessagesRequest::new("claude-opus-5", 4096, history);
    req.thinking = Some(json!({"type": "adaptive"}));
    req.tools = vec![
        serde_json::from_value(json!({"name": "lookup_order",
        "input_schema": {"type": "object"}}))
        .unwrap(),
    ];
    match client.stream(&req).await {
        Ok(_) => None,
        Err(ApiError::Http { message, .. }) => Some(message),
        Err(e) => Some(e.to_string()),
    }
}

fn tool_loop(first: Value) -> Vec<Message> {
    serde_json::from_value(json!([
        {"role": "user", "content": "Where is A-1?"},
        {"role": "assistant", "content": [first,
            {"type": "tool_use", "id": "toolu_1", "name": "lookup_order", "input": {"order_id": "A-1"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "shipped"}]},
    ]))
    .unwrap()
}

#[tokio::test]
async fn the_mock_rejects_a_changed_signature_or_a_missing_thinking_block() {
    let thought = "Look it up.";
    let good = json!({"type": "thinking", "thinking": thought, "signature": sign(thought)});
    assert_eq!(send_history(tool_loop(good.clone())).await, None);
    let mut changed = good;
    changed["signature"] = json!(format!("{}Zg==", sign(thought)));
    let err = send_history(tool_loop(changed)).await.unwrap();
    assert!(
        err.contains("Invalid `signature` in `thinking` block"),
        "{err}"
    );
    let text = json!({"type": "text", "text": "Looking."});
    let err = send_history(tool_loop(text)).await.unwrap();
    assert!(err.contains("must start with a thinking block"), "{err}");
}

#[tokio::test]
async fn each_model_gets_the_thinking_and_effort_it_supports() {
    let server = MockServer::start().await.unwrap();
    let mut c = config(ThinkingMode::Budget);
    c.thinking.budget_tokens = 50_000;
    c.models.max_tokens = PerTier::all(16_000);
    c.thinking.effort = PerTier::all(Some(Effort::XHigh));
    let mut handle = engine(&server, &c, &Arc::new(FakeTools::new()));
    for tier in [Tier::Max, Tier::Balanced, Tier::Fast] {
        handle.commands.send(Command::SetTier(tier)).unwrap();
        turn(&mut handle, "hello").await;
    }
    let bodies = message_bodies(&server);
    // Opus 5 has no budgets: adaptive, and xhigh effort.
    assert_eq!(bodies[0]["thinking"]["type"], "adaptive");
    assert_eq!(bodies[0]["output_config"], json!({"effort": "xhigh"}));
    // Sonnet 4.6: a budget below max_tokens, and its highest level below xhigh.
    assert_eq!(bodies[1]["thinking"]["type"], "enabled");
    assert_eq!(bodies[1]["thinking"]["budget_tokens"], 15_999);
    assert_eq!(bodies[1]["output_config"]["effort"], "high");
    // Haiku 4.5: a budget, no effort at all.
    assert_eq!(bodies[2]["thinking"]["type"], "enabled");
    assert!(bodies[2].get("output_config").is_none());
    // The mock thinks when asked, so each answer starts with its thinking.
    assert_eq!(bodies.len(), 3);
}

#[tokio::test]
async fn alt_t_and_alt_e_apply_from_the_next_message() {
    let server = MockServer::start().await.unwrap();
    let mut handle = engine(
        &server,
        &config(ThinkingMode::Off),
        &Arc::new(FakeTools::new()),
    );
    let first = turn(&mut handle, "hello").await;
    handle.commands.send(Command::SetThinking(true)).unwrap();
    handle
        .commands
        .send(Command::SetEffort(Some(Effort::Low)))
        .unwrap();
    let second = turn(&mut handle, "hello again").await;
    let bodies = message_bodies(&server);
    assert!(bodies[0].get("thinking").is_none());
    assert_eq!(bodies[1]["thinking"]["type"], "adaptive");
    assert_eq!(bodies[1]["output_config"]["effort"], "low");
    let thought = |updates: &[Update]| {
        updates
            .iter()
            .any(|u| matches!(u, Update::ThinkingDelta { text, .. } if !text.is_empty()))
    };
    assert!(!thought(&first));
    // The demo assistant thinks live when the request asks it to.
    assert!(thought(&second), "{second:#?}");
    // The resumed history carries the thinking block back, and the mock accepts it.
    let third = turn(&mut handle, "and once more").await;
    assert!(finished(&third).is_some(), "{third:#?}");
    let b = &message_bodies(&server)[2];
    assert_eq!(b["messages"][3]["content"][0]["type"], "thinking");
}

#[tokio::test]
async fn the_extractors_tool_method_asks_with_auto_when_thinking_is_on() {
    use chatterm::extract::{Extractor, Job, Method};
    let server = MockServer::start().await.unwrap();
    let c = config(ThinkingMode::Adaptive);
    let ex = Extractor::new(client_for(&server, &c), &c, Pricing::embedded());
    let job = Job {
        schema: crate::extract::support_schema(),
        input: "Subject: Charged twice\n\nPlease refund order #48213.".into(),
        instructions: None,
        method: Method::Tool,
    };
    let report = ex
        .extract(&job, None, &tokio_util::sync::CancellationToken::new())
        .await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    let b = &message_bodies(&server)[0];
    assert_eq!(b["thinking"]["type"], "adaptive");
    // Forced tool use and thinking cannot go together: the one tool, offered with auto.
    assert_eq!(b["tool_choice"]["type"], "auto");
    assert_eq!(b["tools"].as_array().map(Vec::len), Some(1));
}
