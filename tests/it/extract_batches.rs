//! Extraction through the Message Batches API, against the mock's batch endpoints over
//! loopback: the library's run (rounds, retries, prices, the results_url rule, a cancel)
//! and the real binary (the demo, Ctrl+C without a terminal, `--resume-batch`).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use chatterm::api::batches::{BatchRequest, BatchResult, MessageBatch, ProcessingStatus};
use chatterm::api::{Message, MessagesRequest};
use chatterm::cost::{Ledger, MemoryLedger, Pricing};
use chatterm::extract::batch::{Item, Line, read_inputs};
use chatterm::extract::via_batches::{Ended, PollSchedule, Round, StopChoice, ViaBatches, Watch};
use chatterm::extract::{Extractor, Method};
use chatterm::mock::batches::BatchPlan;
use chatterm::mock::{MockServer, Script};

use crate::binary::*;
use crate::common::{client_for, test_config};
use crate::extract::{invalid_instance, support_schema};

const SCHEMA: &str = "assets/schemas/support-email.json";
const EMAILS: &str = "assets/examples/emails.jsonl";
/// A model with a price, so batch prices can be checked.
const MODEL: &str = "claude-sonnet-4-6";
const TIMEOUT: Duration = Duration::from_secs(20);

/// What a test's watch saw.
#[derive(Default)]
struct Seen {
    rounds: Vec<(Round, u64)>,
    notes: Vec<String>,
    lines: Vec<Line>,
    polls: usize,
    choice: Option<StopChoice>,
}

impl Watch for Seen {
    fn started(&mut self, batch: &MessageBatch, round: Round) {
        self.rounds.push((round, batch.request_counts.total()));
    }
    fn polled(&mut self, _batch: &MessageBatch) {
        self.polls += 1;
    }
    fn note(&mut self, text: &str) {
        self.notes.push(text.to_owned());
    }
    fn line(&mut self, line: &Line) {
        self.lines.push(line.clone());
    }
    async fn stopped(&mut self, _batch_id: &str) -> StopChoice {
        self.choice.expect("the test said what to answer")
    }
}

fn emails() -> Vec<Item> {
    read_inputs(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/examples/emails.jsonl"
    )))
    .unwrap()
}

fn extractor(server: &MockServer, ledger: Arc<MemoryLedger>) -> Extractor {
    let config = test_config();
    Extractor::new(client_for(server, &config), &config, Pricing::embedded())
        .with_model(Some(MODEL.into()))
        .with_ledger(ledger)
}

fn quick(plan: BatchPlan) -> BatchPlan {
    BatchPlan {
        delay: Duration::from_millis(50),
        ..plan
    }
}

/// Runs a batch of `items` in-process; returns how it ended, the output and the watch.
async fn run(
    ex: &Extractor,
    items: &[Item],
    stop: &CancellationToken,
    choice: Option<StopChoice>,
) -> (Ended, Vec<Value>, Seen) {
    resume(ex, items, None, stop, choice).await
}

/// [`run`], resuming the batch `id` when given.
async fn resume(
    ex: &Extractor,
    items: &[Item],
    id: Option<&str>,
    stop: &CancellationToken,
    choice: Option<StopChoice>,
) -> (Ended, Vec<Value>, Seen) {
    let via = ViaBatches {
        extractor: ex,
        schema: support_schema(),
        method: Method::Tool,
        instructions: None,
        poll: PollSchedule {
            first: Duration::from_millis(20),
            factor: 1.0,
            max: Duration::from_millis(20),
        },
    };
    let mut out = Vec::new();
    let mut seen = Seen {
        choice,
        ..Seen::default()
    };
    let ended = via.run(items, id, &mut out, &mut seen, stop).await.unwrap();
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (ended, lines, seen)
}

fn creates(server: &MockServer) -> Vec<Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/messages/batches")
        .map(|r| r.body.unwrap())
        .collect()
}

#[tokio::test]
async fn invalid_answers_are_retried_once_in_a_second_small_batch_at_the_batch_price() {
    let server = MockServer::start().await.unwrap();
    server.plan_batches(quick(BatchPlan::default()));
    // The refund email's first answer breaks the schema; its retry is the mock's own.
    server.enqueue_matching(
        "#48213",
        Script::tool_input("toolu_bad", "classify_email", &invalid_instance()).into(),
    );
    let ledger = Arc::new(MemoryLedger::new());
    let ex = extractor(&server, Arc::clone(&ledger));
    let (ended, lines, seen) = run(&ex, &emails(), &CancellationToken::new(), None).await;
    let Ended::Done(summary) = ended else {
        panic!("{ended:?}")
    };
    assert_eq!(summary.counts_line(), "10 ok, 0 failed");
    assert_eq!(seen.rounds, [(Round::First, 10), (Round::Retry, 1)]);
    let mut indices: Vec<u64> = lines.iter().map(|l| l["index"].as_u64().unwrap()).collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..10).collect::<Vec<_>>(), "every input once");
    for line in &lines {
        assert_eq!(line["ok"], true, "{line}");
        assert!(support_schema().validate(&line["result"]).is_empty());
    }
    let refund = lines.iter().find(|l| l["input"] == "refund").unwrap();
    assert_eq!(refund["result"]["priority"], "high", "the corrected answer");

    let creates = creates(&server);
    assert_eq!(creates.len(), 2);
    let retry = &creates[1]["requests"];
    assert_eq!(retry.as_array().unwrap().len(), 1, "a small second batch");
    assert!(retry[0]["custom_id"].as_str().unwrap().starts_with("re-0-"));
    let messages = &retry[0]["params"]["messages"];
    assert_eq!(
        messages.as_array().unwrap().len(),
        3,
        "input, answer, errors"
    );
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");
    assert_eq!(messages[2]["content"][0]["is_error"], true);
    assert!(messages[2].to_string().contains("whenever"));
    assert!(creates[0]["requests"][0]["params"].get("stream").is_none());

    // 11 requests, each in the ledger at half the standard price.
    let entries = ledger.entries_since(0).unwrap();
    assert_eq!((summary.spend.requests, entries.len()), (11, 11));
    let pricing = Pricing::embedded();
    let mut full = 0.0;
    for e in &entries {
        let standard = pricing.cost(&e.model, &e.usage).unwrap();
        assert!((e.cost_usd.unwrap() - standard / 2.0).abs() < 1e-12);
        assert_eq!(e.usage.service_tier.as_deref(), Some("batch"));
        full += standard;
    }
    assert!((summary.spend.cost_usd - full / 2.0).abs() < 1e-9);
    assert_eq!(summary.spend.unpriced_requests, 0);
}

#[tokio::test]
async fn a_seeded_share_of_requests_errors_the_same_way_every_time() {
    let items: Vec<Item> = (0..20)
        .map(|i| Item {
            label: format!("t{i}"),
            input: Ok(format!("Ticket {i}: SyncBox stopped syncing my files.")),
        })
        .collect();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = MockServer::start().await.unwrap();
        server.plan_batches(quick(BatchPlan {
            errored: 0.3,
            seed: 11,
            ..BatchPlan::default()
        }));
        let ex = extractor(&server, Arc::new(MemoryLedger::new()));
        let (ended, lines, _) = run(&ex, &items, &CancellationToken::new(), None).await;
        let Ended::Done(summary) = ended else {
            panic!()
        };
        let mut failed: Vec<u64> = lines
            .iter()
            .filter(|l| l["ok"] == false)
            .map(|l| l["index"].as_u64().unwrap())
            .collect();
        failed.sort_unstable();
        for line in lines.iter().filter(|l| l["ok"] == false) {
            assert_eq!(line["kind"], "api");
            assert!(line["error"].as_str().unwrap().starts_with("api_error: "));
        }
        assert_eq!(summary.failures.get("api").copied(), Some(failed.len()));
        runs.push(failed);
    }
    assert_eq!(runs[0], runs[1], "the seed fixes which requests error");
    assert!((2..=10).contains(&runs[0].len()), "{:?}", runs[0]);
}

#[tokio::test]
async fn a_results_url_on_another_origin_is_not_followed() {
    let server = MockServer::start().await.unwrap();
    let elsewhere = MockServer::start().await.unwrap();
    server.plan_batches(quick(BatchPlan {
        results_origin: Some(elsewhere.url()),
        ..BatchPlan::default()
    }));
    let ex = extractor(&server, Arc::new(MemoryLedger::new()));
    let items = &emails()[..3];
    let (ended, lines, seen) = run(&ex, items, &CancellationToken::new(), None).await;
    assert!(
        matches!(ended, Ended::Done(ref s) if s.ok == 3),
        "{ended:?}"
    );
    assert_eq!(lines.len(), 3);
    assert_eq!(
        elsewhere.requests_seen(),
        0,
        "the other origin never sees the key, nor anything else"
    );
    let fetched: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/results"))
        .map(|r| r.path)
        .collect();
    assert_eq!(fetched.len(), 1, "read from the configured origin instead");
    assert!(
        seen.notes.iter().any(|n| n.contains("not followed")),
        "{:?}",
        seen.notes
    );
}

#[tokio::test]
async fn cancelling_while_polling_cancels_on_the_server_and_writes_every_input() {
    let server = MockServer::start().await.unwrap();
    server.plan_batches(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    let ex = extractor(&server, Arc::new(MemoryLedger::new()));
    let stop = CancellationToken::new();
    stop.cancel();
    let items = &emails()[..4];
    let (ended, lines, seen) = run(&ex, items, &stop, Some(StopChoice::Cancel)).await;
    let Ended::Done(summary) = ended else {
        panic!("{ended:?}")
    };
    assert_eq!(summary.counts_line(), "0 ok, 4 failed (cancelled 4)");
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l["kind"] == "cancelled"));
    assert_eq!(seen.rounds.len(), 1, "no retry round after a cancel");
    let cancels = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/cancel"))
        .count();
    assert_eq!(cancels, 1);
}

#[tokio::test]
async fn leaving_a_batch_running_ends_the_run_with_its_id() {
    let server = MockServer::start().await.unwrap();
    server.plan_batches(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    let ex = extractor(&server, Arc::new(MemoryLedger::new()));
    let stop = CancellationToken::new();
    stop.cancel();
    let (ended, lines, _) = run(&ex, &emails()[..2], &stop, Some(StopChoice::Leave)).await;
    let Ended::LeftRunning { id, .. } = ended else {
        panic!("{ended:?}")
    };
    assert!(id.starts_with("msgbatch_"));
    assert!(lines.is_empty());
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/cancel"))
    );
}

#[tokio::test]
async fn a_batch_resumed_without_its_file_is_labelled_by_custom_id_and_not_retried() {
    let server = MockServer::start().await.unwrap();
    server.plan_batches(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    server.enqueue_matching(
        "#48213",
        Script::tool_input("toolu_bad", "classify_email", &invalid_instance()).into(),
    );
    let ex = extractor(&server, Arc::new(MemoryLedger::new()));
    let stop = CancellationToken::new();
    stop.cancel();
    let (ended, _, _) = run(&ex, &emails()[..2], &stop, Some(StopChoice::Leave)).await;
    let Ended::LeftRunning { id, .. } = ended else {
        panic!("{ended:?}")
    };
    server.finish_batches();
    let (ended, lines, seen) = resume(&ex, &[], Some(&id), &CancellationToken::new(), None).await;
    let Ended::Done(summary) = ended else {
        panic!("{ended:?}")
    };
    assert_eq!(summary.counts_line(), "1 ok, 1 failed (invalid 1)");
    assert_eq!(seen.rounds, [(Round::First, 2)], "nothing to retry with");
    for line in &lines {
        let label = line["input"].as_str().unwrap();
        assert!(
            label.starts_with(&format!("in-{}-", line["index"])),
            "{line}"
        );
    }
    let bad = lines.iter().find(|l| l["ok"] == false).unwrap();
    assert_eq!(bad["index"], 0);
    assert!(
        bad["error"]
            .as_str()
            .unwrap()
            .contains("no corrected retry")
    );
    assert!(bad["errors"].to_string().contains("whenever"));
}

/// The mock's batch endpoints through the client: create, retrieve, cancel, results; and
/// authentication like the Messages endpoint's.
#[tokio::test]
async fn the_mock_batch_lifecycle_over_http() {
    let server = MockServer::start().await.unwrap();
    server.plan_batches(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    let client = client_for(&server, &test_config());
    let request = |id: &str| BatchRequest {
        custom_id: id.into(),
        params: MessagesRequest::new(MODEL, 64, vec![Message::user_text("hello")]),
    };
    let batch = client
        .create_batch(&[request("a"), request("b")])
        .await
        .unwrap();
    assert_eq!(batch.processing_status, ProcessingStatus::InProgress);
    assert_eq!(batch.request_counts.processing, 2);
    let again = client.retrieve_batch(&batch.id).await.unwrap();
    assert_eq!(again.results_url, None);
    let canceling = client.cancel_batch(&batch.id).await.unwrap();
    assert_eq!(canceling.processing_status, ProcessingStatus::Canceling);
    let ended = client.retrieve_batch(&batch.id).await.unwrap();
    assert!(ended.is_ended());
    assert_eq!(ended.request_counts.canceled, 2);
    let target =
        chatterm::api::batches::results_target(&client.options().base_url, &ended).unwrap();
    let mut lines = client.batch_results(&target).await.unwrap();
    let mut ids = Vec::new();
    while let Some(line) = lines.next_line().await {
        let line = line.unwrap();
        assert_eq!(line.result, BatchResult::Canceled);
        ids.push(line.custom_id);
    }
    assert_eq!(ids, ["b", "a"]);
    // Every call carried the key (recorded redacted), as the Messages endpoint needs.
    for r in server.requests() {
        assert_eq!(
            r.header("x-api-key"),
            Some(chatterm::mock::REDACTED),
            "{}",
            r.path
        );
    }
    let no_key = reqwest::Client::new()
        .get(format!("{}/v1/messages/batches/{}", server.url(), batch.id))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status().as_u16(), 401);
}

/// The demo check: the bundled sample emails through `--via batches` on the demo
/// end with a summary at the batch price.
#[tokio::test]
async fn via_batches_on_the_demo_ends_with_a_summary_at_the_batch_price() {
    let home = tempfile::tempdir().unwrap();
    let results = home.path().join("results.jsonl");
    let mut cmd = chatterm(&home);
    cmd.args(["extract", "--demo", "--schema", SCHEMA, "--batch", EMAILS])
        .args(["--via", "batches", "--output"])
        .arg(&results);
    let out = output(cmd).await;
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let lines: Vec<Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l["ok"] == true));
    assert!(err.contains("batch msgbatch_"), "the id is shown: {err}");
    assert!(
        err.contains("batch: 10 ok, 0 failed · 10 requests · input "),
        "{err}"
    );
    assert!(err.contains(" · batch price (50% off) · "), "{err}");
}

/// Polls `server` until it has received `count` requests matching `wanted`.
fn wait_for_requests(server: &MockServer, count: usize, wanted: impl Fn(&str, &str) -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = server
            .requests()
            .iter()
            .filter(|r| wanted(&r.method, &r.path))
            .count();
        if seen >= count {
            return;
        }
        assert!(Instant::now() < deadline, "only {seen} matching requests");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_without_a_terminal_leaves_the_batch_running_and_resume_picks_it_up() {
    let server = MockServer::start().await.unwrap();
    server.plan_batches(BatchPlan {
        delay: Duration::from_secs(3600),
        ..BatchPlan::default()
    });
    let home = tempfile::tempdir().unwrap();
    let results = home.path().join("results.jsonl");
    let mut cmd = against(&server, &home);
    cmd.args(["extract", "--model", MODEL, "--schema", SCHEMA])
        .args(["--batch", EMAILS, "--via", "batches", "--output"])
        .arg(&results)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap());
    let out = tokio::task::block_in_place(|| {
        // Polling has begun: the batch exists and Ctrl+C is being listened for.
        wait_for_requests(&server, 1, |m, p| {
            m == "GET" && p.starts_with("/v1/messages/batches/")
        });
        kill(pid, Signal::SIGINT).unwrap();
        child.wait_with_output().unwrap()
    });
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("not a terminal"), "{err}");
    assert!(err.contains("still running on the server"), "{err}");
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/cancel"))
    );
    assert_eq!(std::fs::read_to_string(&results).unwrap(), "");

    // Time passes; the printed command picks the batch up.
    server.finish_batches();
    let command = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("chatterm "))
        .expect("a resume command");
    assert!(command.contains("--resume-batch msgbatch_"), "{command}");
    let mut resume = against(&server, &home);
    resume
        .args(["--model", MODEL])
        .args(command.split_whitespace());
    let out = output(resume).await;
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let lines: Vec<Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l["ok"] == true), "{lines:?}");
    assert_eq!(creates(&server).len(), 1, "resuming creates nothing");
    assert!(err.contains("batch: 10 ok, 0 failed"), "{err}");
}

#[tokio::test]
async fn a_malformed_batch_id_is_refused_before_any_request() {
    let server = MockServer::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = against(&server, &home);
    cmd.args(["extract", "--schema", SCHEMA, "--resume-batch", "../models"]);
    let out = output(cmd).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is not a batch id"), "{err}");
    let batch_calls = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("batches"))
        .count();
    assert_eq!(batch_calls, 0);
}
