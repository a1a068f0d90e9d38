//! Structured outputs against the mock: both methods, the corrected retry, refusal and
//! max_tokens, API failures through the engine's retries, and a batch of 50.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use chatterm::api::{StopReason, Usage};
use chatterm::cost::Pricing;
use chatterm::engine::Update;
use chatterm::extract::batch::{self, BatchOptions, Item};
use chatterm::extract::{ExtractError, Extractor, Job, Method, Progress, Report, Schema};
use chatterm::mock::{MockServer, Reply, Script, Step};

use crate::common::{client_for, message_bodies, test_config};

const REFUND: &str = "Subject: Charged twice\n\nHi,\n\nI was charged twice for order #48213 on my \
    CloudVault Pro plan. Please refund the duplicate payment today.\n\nThanks,\nDana Whitfield\n";

pub fn support_schema() -> Arc<Schema> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/schemas/support-email.json"
    );
    Arc::new(Schema::from_file(std::path::Path::new(path)).expect("bundled schema"))
}

fn extractor(server: &MockServer) -> Extractor {
    let config = test_config();
    Extractor::new(client_for(server, &config), &config, Pricing::embedded())
}

fn job(method: Method, input: &str) -> Job {
    Job {
        schema: support_schema(),
        input: input.to_owned(),
        instructions: None,
        method,
    }
}

/// Runs one extraction and collects its progress events.
async fn run(ex: &Extractor, job: &Job) -> (Report, Vec<Progress>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let report = ex.extract(job, Some(&tx), &CancellationToken::new()).await;
    drop(tx);
    let mut events = Vec::new();
    while let Some(p) = rx.recv().await {
        events.push(p);
    }
    (report, events)
}

/// Whether any object in `v` has the key `key`.
fn has_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key) || m.values().any(|x| has_key(x, key)),
        Value::Array(a) => a.iter().any(|x| has_key(x, key)),
        _ => false,
    }
}

/// A schema-breaking classification: an unknown priority and no summary.
pub fn invalid_instance() -> Value {
    json!({"category": "billing", "priority": "whenever", "sentiment": "neutral",
        "entities": {"order_ids": [], "product_names": []}, "suggested_action": "Refund."})
}

fn invalid_reply(method: Method, id: &str) -> Reply {
    match method {
        Method::Native => Script::json_text(&invalid_instance()).into(),
        Method::Tool => Script::tool_input(id, "classify_email", &invalid_instance()).into(),
    }
}

#[tokio::test]
async fn native_sends_the_prepared_schema_and_prints_a_valid_result() {
    let server = MockServer::start().await.unwrap();
    let ex = extractor(&server);
    let (report, events) = run(&ex, &job(Method::Native, REFUND)).await;
    let value = report.result.expect("a valid result");
    assert_eq!(value["category"], "billing");
    assert_eq!(value["entities"]["order_ids"], json!(["#48213"]));
    assert!(support_schema().validate(&value).is_empty());
    assert_eq!((report.attempts, report.spend.requests), (1, 1));
    let bodies = message_bodies(&server);
    assert_eq!(bodies.len(), 1);
    let format = &bodies[0]["output_config"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["schema"], *support_schema().sent());
    for keyword in ["maxLength", "minLength", "maxItems", "$schema"] {
        assert!(!has_key(format, keyword), "{keyword} is not sent");
    }
    assert!(bodies[0].get("tools").is_none() && bodies[0].get("tool_choice").is_none());
    let fragments: String = events
        .iter()
        .filter_map(|p| match p {
            Progress::JsonDelta { fragment, .. } => Some(fragment.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(serde_json::from_str::<Value>(&fragments).unwrap(), value);
    assert!(matches!(
        events[0],
        Progress::AttemptStarted {
            attempt: 1,
            method: Method::Native,
            ..
        }
    ));
}

#[tokio::test]
async fn tool_forces_one_tool_whose_input_is_the_result() {
    let server = MockServer::start().await.unwrap();
    let ex = extractor(&server);
    let (report, events) = run(&ex, &job(Method::Tool, REFUND)).await;
    let value = report.result.expect("a valid result");
    assert_eq!(value["priority"], "high");
    let bodies = message_bodies(&server);
    assert_eq!(bodies[0]["tools"][0]["name"], "classify_email");
    assert_eq!(
        bodies[0]["tools"][0]["input_schema"],
        *support_schema().sent()
    );
    assert_eq!(
        bodies[0]["tool_choice"],
        json!({"type": "tool", "name": "classify_email", "disable_parallel_tool_use": true})
    );
    assert!(bodies[0].get("output_config").is_none());
    assert!(
        events
            .iter()
            .any(|p| matches!(p, Progress::JsonDelta { attempt: 1, .. }))
    );
}

#[tokio::test]
async fn native_invalid_result_is_corrected_once_with_the_errors() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(invalid_reply(Method::Native, ""));
    let ex = extractor(&server);
    let (report, events) = run(&ex, &job(Method::Native, REFUND)).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    assert_eq!((report.attempts, report.spend.requests), (2, 2));
    let rejected: Vec<&Vec<String>> = events
        .iter()
        .filter_map(|p| match p {
            Progress::Rejected { attempt: 1, errors } => Some(errors),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].iter().any(|e| e.starts_with("/priority:")),
        "{rejected:?}"
    );
    assert!(
        rejected[0].iter().any(|e| e.contains("summary")),
        "{rejected:?}"
    );
    let retry = &message_bodies(&server)[1];
    let messages = retry["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["role"], "assistant");
    let echoed: Value =
        serde_json::from_str(messages[1]["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(echoed, invalid_instance(), "the answer goes back verbatim");
    assert_eq!(messages[2]["role"], "user");
    let feedback = messages[2]["content"][0]["text"].as_str().unwrap();
    assert!(
        feedback.contains("- /priority:") && feedback.contains("corrected JSON"),
        "{feedback}"
    );
}

#[tokio::test]
async fn tool_invalid_result_is_answered_with_an_error_tool_result() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(invalid_reply(Method::Tool, "toolu_bad_1"));
    let ex = extractor(&server);
    let (report, _) = run(&ex, &job(Method::Tool, REFUND)).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    assert_eq!(report.attempts, 2);
    let retry = &message_bodies(&server)[1];
    let messages = retry["messages"].as_array().unwrap();
    assert_eq!(messages[1]["content"][0]["type"], "tool_use");
    assert_eq!(messages[1]["content"][0]["id"], "toolu_bad_1");
    let result = &messages[2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["tool_use_id"], "toolu_bad_1");
    assert_eq!(result["is_error"], true);
    assert!(result["content"].as_str().unwrap().contains("/priority"));
    assert_eq!(
        retry["tool_choice"]["name"], "classify_email",
        "the retry forces the tool again"
    );
}

#[tokio::test]
async fn invalid_twice_fails_with_the_errors_for_both_methods() {
    for method in [Method::Native, Method::Tool] {
        let server = MockServer::start().await.unwrap();
        server.enqueue(invalid_reply(method, "toolu_bad_1"));
        server.enqueue(invalid_reply(method, "toolu_bad_2"));
        let ex = extractor(&server);
        let (report, events) = run(&ex, &job(method, REFUND)).await;
        let Err(ExtractError::Invalid { errors }) = &report.result else {
            panic!("{method}: {:?}", report.result)
        };
        assert!(
            errors.iter().any(|e| e.starts_with("/priority:")),
            "{errors:?}"
        );
        assert_eq!(report.result.as_ref().unwrap_err().exit_code(), 2);
        assert_eq!((report.attempts, report.spend.requests), (2, 2));
        let rejections = events
            .iter()
            .filter(|p| matches!(p, Progress::Rejected { .. }))
            .count();
        assert_eq!(rejections, 2, "{method}");
        assert_eq!(
            message_bodies(&server).len(),
            2,
            "{method}: no third request"
        );
    }
}

#[tokio::test]
async fn refusal_and_max_tokens_are_reported_as_such_without_a_retry() {
    for method in [Method::Native, Method::Tool] {
        let server = MockServer::start().await.unwrap();
        server.enqueue(Script::refusal("I can't help with that.").into());
        server.enqueue(Script::cut_off("{\"category\": \"bil").into());
        let ex = extractor(&server);
        let (refused, _) = run(&ex, &job(method, REFUND)).await;
        assert_eq!(
            refused.result,
            Err(ExtractError::Refusal {
                text: "I can't help with that.".into()
            }),
            "{method}"
        );
        let (cut, _) = run(&ex, &job(method, REFUND)).await;
        assert_eq!(
            cut.result,
            Err(ExtractError::MaxTokens { max_tokens: 8192 }),
            "{method}"
        );
        assert_eq!(cut.result.as_ref().unwrap_err().exit_code(), 2);
        assert_eq!(
            message_bodies(&server).len(),
            2,
            "{method}: one request each"
        );
    }
}

#[tokio::test]
async fn the_mocks_own_max_tokens_cut_is_reported_too() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.models.max_tokens = chatterm::config::PerTier::all(10);
    let ex = Extractor::new(client_for(&server, &config), &config, Pricing::embedded());
    let (report, _) = run(&ex, &job(Method::Native, REFUND)).await;
    assert_eq!(
        report.result,
        Err(ExtractError::MaxTokens { max_tokens: 10 })
    );
}

#[tokio::test]
async fn api_failures_go_through_the_engines_retries_then_exit_1() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::error(529, "overloaded_error", "Overloaded"));
    let ex = extractor(&server);
    let (report, events) = run(&ex, &job(Method::Tool, REFUND)).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    let retried = events.iter().any(|p| match p {
        Progress::Engine { update, .. } => matches!(**update, Update::Retrying { .. }),
        _ => false,
    });
    assert!(retried, "the engine retried the overloaded request");
    assert_eq!(message_bodies(&server).len(), 2);

    server.enqueue(Reply::error(400, "invalid_request_error", "bad"));
    let (report, _) = run(&ex, &job(Method::Tool, REFUND)).await;
    let err = report.result.unwrap_err();
    assert!(matches!(err, ExtractError::Api(_)), "{err:?}");
    assert_eq!(err.exit_code(), 1);
}

#[tokio::test]
async fn the_mock_rejects_an_unprepared_schema_like_the_api() {
    let server = MockServer::start().await.unwrap();
    let config = test_config();
    let client = client_for(&server, &config);
    let mut request = chatterm::api::MessagesRequest::new(
        "claude-sonnet-4-6",
        100,
        vec![chatterm::api::Message::user_text("hi")],
    );
    request.output_config =
        Some(json!({"format": {"type": "json_schema", "schema": support_schema().full()}}));
    let err = client.create(&request).await.unwrap_err();
    assert!(err.to_string().contains("is not supported"), "{err}");
    request.output_config =
        Some(json!({"format": {"type": "json_schema", "schema": support_schema().sent()}}));
    assert!(client.create(&request).await.is_ok());
}

/// The reply of one batch input: a fixed usage so the totals can be checked exactly.
fn batch_reply(id: &str, input: &Value) -> Reply {
    let usage = Usage {
        input_tokens: 100,
        output_tokens: 1,
        cache_creation_input_tokens: 40,
        cache_read_input_tokens: 60,
        ..Usage::default()
    };
    Script::new(vec![
        Step::Start { usage },
        Step::tool_use(id, "classify_email", &[input.to_string().as_str()]),
        Step::stop(StopReason::ToolUse, 20),
    ])
    .into()
}

fn valid_instance(i: usize) -> Value {
    json!({"category": "technical", "priority": "medium", "sentiment": "neutral",
        "summary": format!("Ticket number {i} about a sync problem."),
        "entities": {"order_ids": [], "product_names": ["SyncBox"]},
        "suggested_action": "Ask for logs."})
}

#[tokio::test]
async fn a_batch_of_50_with_5_failures_keeps_order_and_totals() {
    let server = MockServer::start().await.unwrap();
    let failing = [3, 11, 20, 34, 47];
    let mut items = Vec::new();
    for i in 0..50 {
        let marker = format!("[batch-item-{i:02}]");
        if failing.contains(&i) {
            server.enqueue_matching(
                &marker,
                batch_reply(&format!("toolu_{i}_a"), &invalid_instance()),
            );
            server.enqueue_matching(
                &marker,
                batch_reply(&format!("toolu_{i}_b"), &invalid_instance()),
            );
        } else {
            server.enqueue_matching(
                &marker,
                batch_reply(&format!("toolu_{i}"), &valid_instance(i)),
            );
        }
        items.push(Item {
            label: format!("mail-{i}"),
            input: Ok(format!("{marker} The sync fails on my laptop.")),
        });
    }
    let ex = extractor(&server).with_model(Some("claude-sonnet-4-6".into()));
    let opts = BatchOptions {
        method: Method::Tool,
        instructions: None,
        concurrency: 4,
    };
    let mut out = Vec::new();
    let mut seen = 0;
    let summary = batch::run(
        &ex,
        support_schema(),
        items,
        &opts,
        &mut out,
        &mut |_| seen += 1,
        &CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(seen, 50);
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 50);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["index"], i, "input order");
        assert_eq!(line["input"], format!("mail-{i}"));
        if failing.contains(&i) {
            assert_eq!(
                (&line["ok"], &line["kind"]),
                (&json!(false), &json!("invalid")),
                "{line}"
            );
            assert!(
                line["errors"][0].as_str().unwrap().starts_with('/')
                    || line["errors"][0].as_str().unwrap().starts_with('(')
            );
        } else {
            assert_eq!(line["ok"], true, "{line}");
            assert_eq!(line["result"], valid_instance(i));
        }
    }
    assert_eq!(lines.iter().filter(|l| l["ok"] == true).count(), 45);
    assert_eq!((summary.ok, summary.failed), (45, 5));
    assert_eq!(summary.failures.get("invalid"), Some(&5));
    // 45 inputs took one request, 5 took two: 55 requests of fixed usage.
    let s = &summary.spend;
    assert_eq!(s.requests, 55);
    assert_eq!(
        (
            s.usage.input_tokens,
            s.usage.cache_creation_input_tokens,
            s.usage.cache_read_input_tokens,
            s.usage.output_tokens
        ),
        (5500, 2200, 3300, 1100)
    );
    // Sonnet 4.6: 3 in, 3.75 cache write, 0.30 cache read, 15 out per million.
    let per_request = (100.0 * 3.0 + 40.0 * 3.75 + 60.0 * 0.30 + 20.0 * 15.0) / 1e6;
    assert!(
        (s.cost_usd - 55.0 * per_request).abs() < 1e-9,
        "{}",
        s.cost_usd
    );
    assert_eq!(s.unpriced_requests, 0);
    assert_eq!(message_bodies(&server).len(), 55);
}

/// How a front end such as the TUI drives an extraction: on its own task, following the
/// JSON live through the partial-JSON parser, then taking the validated value.
#[tokio::test]
async fn an_extraction_runs_on_its_own_task_with_a_live_view() {
    let server = MockServer::start().await.unwrap();
    let ex = Arc::new(extractor(&server));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let task = {
        let (ex, job, cancel) = (Arc::clone(&ex), job(Method::Tool, REFUND), cancel.clone());
        tokio::spawn(async move { ex.extract(&job, Some(&tx), &cancel).await })
    };
    let mut live = chatterm::stream::PartialJson::new();
    let mut previews = 0;
    while let Some(p) = rx.recv().await {
        match p {
            Progress::AttemptStarted { .. } => live = chatterm::stream::PartialJson::new(),
            Progress::JsonDelta { fragment, .. } => {
                live.push(&fragment);
                if live.current().is_object() {
                    previews += 1;
                }
            }
            _ => {}
        }
    }
    let report = task.await.unwrap();
    let value = report.result.unwrap();
    assert!(previews > 1, "the JSON grew in view");
    assert_eq!(live.finish().unwrap(), value);
}
