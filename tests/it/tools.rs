//! The tool loop end to end: the engine with a fake executor against the mock over
//! loopback. The mock validates every request like the API (every tool_use answered in the
//! next user message, results first, tools defined), so each follow-up request that goes
//! through proves the history the engine built is valid.

use std::sync::Arc;
use std::time::Duration;

use chatterm::api::{ApiError, StopReason};
use chatterm::engine::{Command, ToolSettings, ToolStatus, Update};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::tools::ApprovalDecision;
use serde_json::{Value, json};

use crate::common::*;
use crate::fake_tools::FakeTools;
use crate::tool_helpers::*;

#[tokio::test]
async fn a_two_round_loop_sends_the_answer_back_verbatim_with_its_results() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        start(),
        Step::Thinking {
            deltas: vec!["The user wants ".into(), "an order.".into()],
            signature: "sig-opaque-1".into(),
        },
        Step::RedactedThinking("cmVkYWN0ZWQ=".into()),
        Step::text("Let me look."),
        Step::tool_use(
            "toolu_1",
            "lookup_order",
            &["", "{\"order_id\": \"OR", "D-1\"}"],
        ),
        Step::stop(StopReason::ToolUse, 40),
    ])));
    server.enqueue(text("Order ORD-1 has shipped."));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "where is ORD-1?").await;

    assert_eq!(
        finished(&updates).unwrap().text(),
        "Order ORD-1 has shipped."
    );
    assert_eq!(
        count(&updates, |u| matches!(u, Update::TurnFinished { .. })),
        1
    );
    assert_eq!(
        count(&updates, |u| matches!(u, Update::Connected { .. })),
        2
    );
    assert!(count(&updates, |u| matches!(u, Update::Usage { .. })) >= 4);
    assert_eq!(
        statuses(&updates, "toolu_1"),
        ["validating", "running", "finished"]
    );
    assert_eq!(tools.runs(), ["lookup_order"]);

    let first = body(&server, 0);
    assert_eq!(first["tools"][0]["name"], "lookup_order");
    assert_eq!(first["tools"][0]["eager_input_streaming"], true);
    let second = body(&server, 1);
    let answer = &second["messages"][1];
    assert_eq!(answer["role"], "assistant");
    assert_eq!(
        answer["content"][0],
        json!({"type": "thinking", "thinking": "The user wants an order.", "signature": "sig-opaque-1"})
    );
    assert_eq!(
        answer["content"][1],
        json!({"type": "redacted_thinking", "data": "cmVkYWN0ZWQ="})
    );
    assert_eq!(answer["content"][3]["input"], json!({"order_id": "ORD-1"}));
    let results = results_of(&server, 1);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["tool_use_id"], "toolu_1");
    assert!(results[0].get("is_error").is_none());
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("\"shipped\"")
    );

    // The whole loop is in the history: the next turn builds on it.
    server.enqueue(text("You're welcome."));
    turn(&mut engine, "thanks").await;
    assert_eq!(
        roles(&body(&server, 2)),
        ["user", "assistant", "user", "assistant", "user"]
    );
}

#[tokio::test]
async fn parallel_calls_are_answered_in_one_message_in_call_order() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        ("toolu_a", "slow", json!({"ms": 400})),
        ("toolu_b", "slow", json!({"ms": 50})),
        ("toolu_c", "slow", json!({"ms": 200})),
    ]));
    server.enqueue(text("All done."));
    let tools = Arc::new(FakeTools::new());
    let settings = ToolSettings {
        parallel: 2,
        ..ToolSettings::default()
    };
    let mut engine = engine_with(&server, &tools, settings);
    let updates = turn(&mut engine, "go").await;
    assert_eq!(finished(&updates).unwrap().text(), "All done.");
    assert_eq!(
        tools.max_active(),
        2,
        "at most `parallel` at once, and more than one"
    );
    let results = results_of(&server, 1);
    let ids: Vec<&Value> = results.iter().map(|r| &r["tool_use_id"]).collect();
    assert_eq!(ids, ["toolu_a", "toolu_b", "toolu_c"]);
    let contents: Vec<&Value> = results.iter().map(|r| &r["content"]).collect();
    assert_eq!(contents, ["slept 400 ms", "slept 50 ms", "slept 200 ms"]);
    // They finished out of order: b first.
    let finished_ids: Vec<&str> = updates
        .iter()
        .filter_map(|u| match u {
            Update::Tool {
                id,
                status: ToolStatus::Finished { .. },
                ..
            } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(finished_ids[0], "toolu_b");
}

#[tokio::test]
async fn invalid_unknown_and_crashing_calls_become_error_results_and_the_loop_goes_on() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        ("toolu_bad", "lookup_order", json!({"id": 5})),
        ("toolu_unknown", "teleport", json!({"to": "mars"})),
        ("toolu_boom", "explode", json!({})),
        ("toolu_ok", "lookup_order", json!({"order_id": "ORD-9"})),
    ]));
    server.enqueue(text("Some of that worked."));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "try things").await;
    assert_eq!(finished(&updates).unwrap().text(), "Some of that worked.");
    assert_eq!(statuses(&updates, "toolu_bad"), ["validating", "invalid"]);
    assert_eq!(statuses(&updates, "toolu_unknown"), ["not run"]);
    assert_eq!(
        statuses(&updates, "toolu_boom"),
        ["validating", "running", "failed"]
    );
    assert_eq!(tools.runs(), ["explode", "lookup_order"]);
    let results = results_of(&server, 1);
    let content = |i: usize| results[i]["content"].as_str().unwrap().to_owned();
    assert_eq!(results[0]["is_error"], true);
    assert!(
        content(0).contains("invalid input for `lookup_order`") && content(0).contains("order_id"),
        "{}",
        content(0)
    );
    assert_eq!(results[1]["is_error"], true);
    assert!(content(1).contains("unknown tool `teleport`") && content(1).contains("lookup_order"));
    assert_eq!(results[2]["is_error"], true);
    assert!(content(2).contains("crashed"), "{}", content(2));
    assert!(results[3].get("is_error").is_none());
}

#[tokio::test]
async fn a_tool_that_times_out_is_an_error_result() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        ("toolu_slow", "slow", json!({"ms": 30_000})),
        ("toolu_fast", "lookup_order", json!({"order_id": "ORD-2"})),
    ]));
    server.enqueue(text("One timed out."));
    let tools = Arc::new(FakeTools::new().with_timeout(Duration::from_millis(300)));
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "go").await;
    assert_eq!(finished(&updates).unwrap().text(), "One timed out.");
    assert_eq!(
        statuses(&updates, "toolu_slow"),
        ["validating", "running", "failed"]
    );
    let results = results_of(&server, 1);
    assert_eq!(results[0]["is_error"], true);
    assert_eq!(results[0]["content"], "timed out after 0.3 s");
    assert!(results[1].get("is_error").is_none());
}

/// The path check itself belongs to the registry's read_file; this fake refuses like it,
/// and the test checks the refusal reaches the model as an error result.
#[tokio::test]
async fn a_path_escape_is_refused_as_an_error_result() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[(
        "toolu_p",
        "read_file",
        json!({"path": "../../etc/passwd"}),
    )]));
    server.enqueue(text("I may not read that."));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "read ../../etc/passwd").await;
    assert!(finished(&updates).is_some());
    let results = results_of(&server, 1);
    assert_eq!(results[0]["is_error"], true);
    assert_eq!(
        results[0]["content"],
        "refused: `../../etc/passwd` is outside the workspace root"
    );
}

#[tokio::test]
async fn cancelling_mid_tool_leaves_a_history_the_api_accepts() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        ("toolu_done", "lookup_order", json!({"order_id": "ORD-3"})),
        ("toolu_long", "slow", json!({"ms": 60_000})),
    ]));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn_reacting(&mut engine, "go", |u| match u {
        Update::Tool {
            id,
            status: ToolStatus::Running,
            ..
        } if id == "toolu_long" => Some(Command::Cancel),
        _ => None,
    })
    .await;
    let (err, _) = error(&updates).expect("the turn ends as cancelled");
    assert_eq!(err, &ApiError::Cancelled);
    assert_eq!(tools.cancelled(), 1, "the running tool saw its token fire");
    assert_eq!(statuses(&updates, "toolu_long").last(), Some(&"not run"));
    assert_eq!(message_requests(&server).len(), 1);

    server.enqueue(text("Fine, stopping there."));
    let updates = turn(&mut engine, "never mind").await;
    assert_eq!(finished(&updates).unwrap().text(), "Fine, stopping there.");
    let last = body(&server, 1)["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let content = last["content"].as_array().unwrap();
    assert_eq!(content[0]["tool_use_id"], "toolu_done");
    assert!(
        content[0].get("is_error").is_none(),
        "a finished call keeps its result"
    );
    assert_eq!(
        (
            &content[1]["tool_use_id"],
            &content[1]["is_error"],
            &content[1]["content"]
        ),
        (
            &json!("toolu_long"),
            &json!(true),
            &json!("cancelled by user")
        )
    );
    assert_eq!(
        content[2],
        json!({"type": "text", "text": "never mind", "cache_control": {"type": "ephemeral"}})
    );
}

#[tokio::test]
async fn a_retried_request_does_not_run_a_finished_tool_again() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[(
        "toolu_1",
        "lookup_order",
        json!({"order_id": "ORD-4"}),
    )]));
    // The request carrying the result loses its connection before any content: retried.
    server.enqueue(Reply::Script(Script::new(vec![Step::Drop])));
    server.enqueue(text("It shipped."));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "ORD-4?").await;
    assert_eq!(finished(&updates).unwrap().text(), "It shipped.");
    assert_eq!(count(&updates, |u| matches!(u, Update::Retrying { .. })), 1);
    assert_eq!(message_requests(&server).len(), 3);
    assert_eq!(results_of(&server, 1), results_of(&server, 2));
    assert_eq!(tools.runs(), ["lookup_order"]);

    // After content the failure is not retried; /retry then resends the results as they
    // are, without running the tool again.
    server.enqueue(calls(&[(
        "toolu_2",
        "lookup_order",
        json!({"order_id": "ORD-5"}),
    )]));
    server.enqueue(Reply::Script(Script::new(vec![
        start(),
        Step::text("It sh"),
        Step::Drop,
    ])));
    let updates = turn(&mut engine, "and ORD-5?").await;
    assert!(error(&updates).is_some());
    server.enqueue(text("It shipped too."));
    engine.commands.send(Command::Retry).unwrap();
    let updates = collect_turn(&mut engine).await;
    assert_eq!(finished(&updates).unwrap().text(), "It shipped too.");
    assert_eq!(tools.runs(), ["lookup_order", "lookup_order"]);
    assert_eq!(results_of(&server, 5)[0]["tool_use_id"], "toolu_2");
}

#[tokio::test]
async fn the_round_limit_stops_the_loop_with_a_notice_and_a_valid_history() {
    let server = MockServer::start().await.unwrap();
    for n in 1..=3 {
        let id = format!("toolu_{n}");
        server.enqueue(calls(&[(
            &id,
            "lookup_order",
            json!({"order_id": format!("ORD-{n}")}),
        )]));
    }
    let tools = Arc::new(FakeTools::new());
    let settings = ToolSettings {
        max_rounds: 2,
        ..ToolSettings::default()
    };
    let mut engine = engine_with(&server, &tools, settings);
    let updates = turn(&mut engine, "look everything up").await;
    assert!(finished(&updates).is_some());
    assert_eq!(tools.runs().len(), 2);
    assert_eq!(message_requests(&server).len(), 3);
    assert!(updates.iter().any(
        |u| matches!(u, Update::Notice { text, .. } if text.contains("stopped after 2 tool rounds"))
    ));
    assert_eq!(statuses(&updates, "toolu_3"), ["not run"]);

    server.enqueue(text("Continuing."));
    let updates = turn(&mut engine, "continue").await;
    assert_eq!(finished(&updates).unwrap().text(), "Continuing.");
    let results = results_of(&server, 3);
    assert_eq!(results[0]["tool_use_id"], "toolu_3");
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("limit of 2 tool rounds")
    );
}

#[tokio::test]
async fn approval_once_always_and_deny() {
    let server = MockServer::start().await.unwrap();
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let answer = |decision: ApprovalDecision| {
        move |u: &Update| match u {
            Update::Tool {
                id,
                status: ToolStatus::AwaitingApproval,
                ..
            } if id != "toolu_w2" => Some(Command::Approve {
                id: id.clone(),
                decision,
            }),
            _ => None,
        }
    };

    // Once: this call runs; the next call of the tool asks again.
    server.enqueue(calls(&[(
        "toolu_w1",
        "write_file",
        json!({"path": "a.txt"}),
    )]));
    server.enqueue(text("Wrote it."));
    let updates = turn_reacting(&mut engine, "write a", answer(ApprovalDecision::Once)).await;
    assert_eq!(
        statuses(&updates, "toolu_w1"),
        ["validating", "approval", "running", "finished"]
    );
    assert_eq!(tools.runs(), ["write_file"]);

    // Always, given for the first of two calls: both run, and later turns do not ask.
    server.enqueue(calls(&[
        ("toolu_w3", "write_file", json!({"path": "b.txt"})),
        ("toolu_w2", "write_file", json!({"path": "c.txt"})),
    ]));
    server.enqueue(text("Wrote both."));
    let updates = turn_reacting(
        &mut engine,
        "write b and c",
        answer(ApprovalDecision::Always),
    )
    .await;
    assert_eq!(
        statuses(&updates, "toolu_w2"),
        ["validating", "approval", "running", "finished"]
    );
    assert_eq!(tools.runs().len(), 3);
    server.enqueue(calls(&[(
        "toolu_w4",
        "write_file",
        json!({"path": "d.txt"}),
    )]));
    server.enqueue(text("Wrote d."));
    let updates = turn(&mut engine, "write d").await;
    assert_eq!(
        statuses(&updates, "toolu_w4"),
        ["validating", "running", "finished"]
    );
    assert_eq!(tools.runs().len(), 4);

    // Deny (a new conversation forgets "always"): not run, the model reads a refusal.
    engine.commands.send(Command::Clear).unwrap();
    server.enqueue(calls(&[(
        "toolu_w5",
        "write_file",
        json!({"path": "e.txt"}),
    )]));
    server.enqueue(text("Understood."));
    let updates = turn_reacting(&mut engine, "write e", answer(ApprovalDecision::Deny)).await;
    assert_eq!(
        statuses(&updates, "toolu_w5"),
        ["validating", "approval", "not run"]
    );
    assert_eq!(tools.runs().len(), 4);
    let n = message_requests(&server).len();
    let results = results_of(&server, n - 1);
    assert_eq!(results[0]["is_error"], true);
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("the user refused")
    );
}

#[tokio::test]
async fn with_tools_off_none_are_offered_and_a_call_that_arrives_is_refused() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[(
        "toolu_x",
        "lookup_order",
        json!({"order_id": "ORD-6"}),
    )]));
    server.enqueue(text("I can't look that up."));
    let tools = Arc::new(FakeTools::new());
    let settings = ToolSettings {
        enabled: false,
        ..ToolSettings::default()
    };
    let mut engine = engine_with(&server, &tools, settings);
    let updates = turn(&mut engine, "ORD-6?").await;
    assert_eq!(finished(&updates).unwrap().text(), "I can't look that up.");
    assert_eq!(statuses(&updates, "toolu_x"), ["not run"]);
    assert!(tools.runs().is_empty());
    assert!(body(&server, 0).get("tools").is_none());
    // The follow-up describes the call in the history but forbids new ones.
    let second = body(&server, 1);
    assert_eq!(second["tool_choice"], json!({"type": "none"}));
    assert_eq!(second["tools"][0]["name"], "lookup_order");
    let results = results_of(&server, 1);
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("tools are turned off")
    );
}

#[tokio::test]
async fn the_demo_assistant_calls_an_offered_tool_and_answers_from_its_result() {
    let server = MockServer::start().await.unwrap();
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "Where is my order ORD-2024-1234?").await;
    assert_eq!(tools.runs(), ["lookup_order"]);
    let deltas = count(&updates, |u| matches!(u, Update::ToolInputDelta { .. }));
    assert!(deltas > 10, "the input streams in small pieces ({deltas})");
    let answer = finished(&updates).unwrap().text();
    assert!(answer.contains("**status**: shipped"), "{answer}");
}

#[tokio::test]
async fn cancelling_while_a_call_awaits_approval_answers_it() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[(
        "toolu_ask",
        "write_file",
        json!({"path": "x.txt"}),
    )]));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn_reacting(&mut engine, "write x", |u| match u {
        Update::Tool {
            status: ToolStatus::AwaitingApproval,
            ..
        } => Some(Command::Cancel),
        _ => None,
    })
    .await;
    assert_eq!(error(&updates).unwrap().0, &ApiError::Cancelled);
    assert_eq!(
        statuses(&updates, "toolu_ask"),
        ["validating", "approval", "not run"]
    );
    assert!(tools.runs().is_empty());
    server.enqueue(text("OK."));
    assert!(finished(&turn(&mut engine, "forget it").await).is_some());
    assert_eq!(results_of(&server, 1)[0]["content"], "cancelled by user");
}

#[tokio::test]
async fn a_bug_in_a_tool_ends_the_turn_with_an_error_instead_of_hanging() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[("toolu_f", "fragile", json!({}))]));
    let tools = Arc::new(FakeTools::new());
    let mut engine = engine_with(&server, &tools, ToolSettings::default());
    let updates = turn(&mut engine, "break it").await;
    let (err, _) = error(&updates).expect("an error ends the turn");
    assert!(err.to_string().contains("internal error"), "{err}");
    // The history kept the user message only, so the next request is valid.
    server.enqueue(text("Still here."));
    let updates = turn(&mut engine, "hello?").await;
    assert_eq!(finished(&updates).unwrap().text(), "Still here.");
}
