//! The turn's sequencing as a table: one row per edge case of `engine/tool_loop.rs`, each
//! with the mock's scripted replies, how the user reacts, and what must come out in order:
//! the updates that mark the sequence, the requests the mock received, and the journal's
//! writes. The pure pieces (`attempts.rs`, `tool_round.rs`, `tool_plan.rs`) have their
//! own tables; these rows test how the loop strings them together.
//!
//! Each journal write is stamped with the number of requests the mock had seen when it was
//! made (`@N`): a write stamped `@1` happened before the second request left, so a crash
//! just before that request finds it in the store.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chatterm::api::retry::RetryPolicy;
use chatterm::api::{
    ApiError, ContentBlock, Message, MessageResponse, ToolResultBlock, ToolUseBlock,
};
use chatterm::cost::Pricing;
use chatterm::engine::journal::{AnswerEnd, Journal, JournalError};
use chatterm::engine::{Command, Engine, ToolSettings, ToolStatus, Update};
use chatterm::mock::{MockServer, Reply, Script, Step};
use chatterm::tools::{ApprovalDecision, ToolExecutor};
use serde_json::{Value, json};

use crate::common::*;
use crate::fake_tools::FakeTools;
use crate::tool_helpers::{calls, start, text, turn_reacting};

/// One edge case and everything it must produce.
struct Row {
    name: &'static str,
    replies: fn() -> Vec<Reply>,
    max_rounds: u32,
    react: fn(&Update) -> Option<Command>,
    updates: &'static [&'static str],
    /// Per request: the model, then what its last message is.
    requests: &'static [&'static str],
    journal: &'static [&'static str],
    /// Tool runs, by name.
    runs: &'static [&'static str],
}

fn no_reaction(_: &Update) -> Option<Command> {
    None
}

fn lookup() -> Reply {
    calls(&[("toolu_1", "lookup_order", json!({"order_id": "A1"}))])
}

fn overloaded() -> Reply {
    Reply::error(529, "overloaded_error", "busy")
}

const ROWS: &[Row] = &[
    Row {
        name: "fallback in the middle of a tool round",
        replies: || vec![lookup(), overloaded(), overloaded(), text("Shipped.")],
        max_rounds: 25,
        react: no_reaction,
        updates: &[
            "connected test-max",
            "toolu_1 validating",
            "toolu_1 running",
            "toolu_1 finished",
            "retrying",
            "fell back",
            "connected test-balanced",
            "finished: Shipped.",
        ],
        requests: &[
            "test-max: user",
            "test-max: results toolu_1",
            "test-max: results toolu_1",
            "test-balanced: results toolu_1",
        ],
        journal: &[
            "begin @0",
            "answer complete @1",
            "result toolu_1 ok @1",
            "results toolu_1 @1",
            "answer complete @4",
        ],
        runs: &["lookup_order"],
    },
    Row {
        name: "cancel while awaiting approval",
        replies: || {
            vec![calls(&[(
                "toolu_w",
                "write_file",
                json!({"path": "x.txt"}),
            )])]
        },
        max_rounds: 25,
        react: |u| match u {
            Update::Tool {
                status: ToolStatus::AwaitingApproval,
                ..
            } => Some(Command::Cancel),
            _ => None,
        },
        updates: &[
            "connected test-max",
            "toolu_w validating",
            "toolu_w approval",
            "toolu_w not run",
            "cancelled",
        ],
        requests: &["test-max: user"],
        // The results message is left for the next user message to carry.
        journal: &["begin @0", "answer complete @1", "result toolu_w error @1"],
        runs: &[],
    },
    Row {
        name: "approval granted, then the answer",
        replies: || {
            vec![
                calls(&[("toolu_w", "write_file", json!({"path": "x.txt"}))]),
                text("Written."),
            ]
        },
        max_rounds: 25,
        react: |u| match u {
            Update::Tool {
                id,
                status: ToolStatus::AwaitingApproval,
                ..
            } => Some(Command::Approve {
                id: id.clone(),
                decision: ApprovalDecision::Once,
            }),
            _ => None,
        },
        updates: &[
            "connected test-max",
            "toolu_w validating",
            "toolu_w approval",
            "toolu_w running",
            "toolu_w finished",
            "connected test-max",
            "finished: Written.",
        ],
        requests: &["test-max: user", "test-max: results toolu_w"],
        journal: &[
            "begin @0",
            "answer complete @1",
            "result toolu_w ok @1",
            "results toolu_w @1",
            "answer complete @2",
        ],
        runs: &["write_file"],
    },
    Row {
        name: "the round limit",
        replies: || {
            vec![
                lookup(),
                calls(&[("toolu_2", "lookup_order", json!({"order_id": "B2"}))]),
            ]
        },
        max_rounds: 1,
        react: no_reaction,
        updates: &[
            "connected test-max",
            "toolu_1 validating",
            "toolu_1 running",
            "toolu_1 finished",
            "connected test-max",
            "toolu_2 not run",
            "notice",
            "finished: Checking.",
        ],
        requests: &["test-max: user", "test-max: results toolu_1"],
        // The unrun round's results wait for the next user message, like a cancel's.
        journal: &[
            "begin @0",
            "answer complete @1",
            "result toolu_1 ok @1",
            "results toolu_1 @1",
            "answer complete @2",
            "result toolu_2 error @2",
        ],
        runs: &["lookup_order"],
    },
    Row {
        name: "an error after a partial",
        replies: || {
            vec![Reply::Script(Script::new(vec![
                start(),
                Step::text("Half an"),
                Step::ErrorEvent {
                    kind: "overloaded_error".into(),
                    message: "busy".into(),
                },
            ]))]
        },
        max_rounds: 25,
        react: no_reaction,
        updates: &["connected test-max", "error, partial: Half an"],
        requests: &["test-max: user"],
        journal: &["begin @0", "answer failed: Half an @1"],
        runs: &[],
    },
    Row {
        name: "a retry after a drop, in the request after a tool round",
        replies: || {
            vec![
                lookup(),
                Reply::Script(Script::new(vec![Step::Drop])),
                text("Shipped."),
            ]
        },
        max_rounds: 25,
        react: no_reaction,
        updates: &[
            "connected test-max",
            "toolu_1 validating",
            "toolu_1 running",
            "toolu_1 finished",
            // The drop comes after the response's headers: connected, then retried.
            "connected test-max",
            "retrying",
            "connected test-max",
            "finished: Shipped.",
        ],
        requests: &[
            "test-max: user",
            "test-max: results toolu_1",
            "test-max: results toolu_1",
        ],
        journal: &[
            "begin @0",
            "answer complete @1",
            "result toolu_1 ok @1",
            "results toolu_1 @1",
            "answer complete @3",
        ],
        runs: &["lookup_order"],
    },
    Row {
        // A crash after the results are stored and before the next request leaves loses
        // nothing: the results message is written (@1) before the mock sees request 2.
        name: "a crash between a round's results and the next request",
        replies: || vec![lookup(), text("Shipped.")],
        max_rounds: 25,
        react: no_reaction,
        updates: &[
            "connected test-max",
            "toolu_1 validating",
            "toolu_1 running",
            "toolu_1 finished",
            "connected test-max",
            "finished: Shipped.",
        ],
        requests: &["test-max: user", "test-max: results toolu_1"],
        journal: &[
            "begin @0",
            "answer complete @1",
            "result toolu_1 ok @1",
            "results toolu_1 @1",
            "answer complete @2",
        ],
        runs: &["lookup_order"],
    },
];

#[tokio::test]
async fn the_turn_sequencing_table() {
    let mut failures = Vec::new();
    for row in ROWS {
        let got = run_row(row).await;
        let want = (
            strings(row.updates),
            strings(row.requests),
            strings(row.journal),
            strings(row.runs),
        );
        if got != want {
            failures.push(format!(
                "{}:\n  updates  {:?}\n  requests {:?}\n  journal  {:?}\n  runs     {:?}",
                row.name, got.0, got.1, got.2, got.3
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "rows that differ:\n{}",
        failures.join("\n")
    );
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

type Outcome = (Vec<String>, Vec<String>, Vec<String>, Vec<String>);

/// Runs one row's turn on a fresh mock and engine; returns what it produced.
async fn run_row(row: &Row) -> Outcome {
    let server = Arc::new(MockServer::start().await.unwrap());
    for reply in (row.replies)() {
        server.enqueue(reply);
    }
    let mut config = test_config();
    config.chat.auto_title = false;
    let tools = Arc::new(FakeTools::new());
    let executor: Arc<dyn ToolExecutor> = tools.clone();
    let journal = Arc::new(Recorder {
        server: Arc::clone(&server),
        writes: Mutex::new(Vec::new()),
    });
    let settings = ToolSettings {
        max_rounds: row.max_rounds,
        ..ToolSettings::default()
    };
    // One quick retry, then the next tier: the rows test the order, not the waits.
    let policy = RetryPolicy {
        max_retries: 1,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    let mut engine = Engine::new(client_for(&server, &config), &config, Pricing::embedded())
        .with_tools(executor, settings)
        .with_retry_policy(policy)
        .with_journal(journal.clone(), None)
        .spawn();
    let updates = turn_reacting(&mut engine, "go", row.react).await;
    let requests = message_requests(&server)
        .iter()
        .map(|r| request_line(r.body.as_ref().unwrap()))
        .collect();
    let runs = tools.runs();
    let writes = journal.writes.lock().unwrap().clone();
    (
        updates.iter().filter_map(update_line).collect(),
        requests,
        writes,
        runs,
    )
}

/// The updates that mark the sequence, in short; streaming detail and figures are left out.
fn update_line(update: &Update) -> Option<String> {
    Some(match update {
        Update::Connected { model, .. } => format!("connected {model}"),
        Update::Retrying { .. } => "retrying".into(),
        Update::FellBack { .. } => "fell back".into(),
        Update::Notice { .. } => "notice".into(),
        Update::Tool { id, status, .. } => format!("{id} {}", status_name(status)),
        Update::TurnFinished { message, .. } => format!("finished: {}", message.text()),
        Update::Error {
            error: ApiError::Cancelled,
            ..
        } => "cancelled".into(),
        Update::Error { partial, .. } => match partial {
            Some(p) => format!("error, partial: {}", p.text()),
            None => "error".into(),
        },
        _ => return None,
    })
}

fn status_name(status: &ToolStatus) -> &'static str {
    match status {
        ToolStatus::Validating => "validating",
        ToolStatus::Invalid(_) => "invalid",
        ToolStatus::AwaitingApproval => "approval",
        ToolStatus::Running => "running",
        ToolStatus::Finished { output, .. } if output.is_error => "failed",
        ToolStatus::Finished { .. } => "finished",
        ToolStatus::NotRun { .. } => "not run",
    }
}

/// "MODEL: user" or "MODEL: results ID ..." for the request's last message.
fn request_line(body: &Value) -> String {
    let last = body["messages"].as_array().unwrap().last().unwrap();
    let ids: Vec<&str> = last["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| b["tool_use_id"].as_str().unwrap())
        .collect();
    let what = if ids.is_empty() {
        last["role"].as_str().unwrap().to_owned()
    } else {
        format!("results {}", ids.join(" "))
    };
    format!("{}: {what}", body["model"].as_str().unwrap())
}

/// A journal that writes down what it is asked to write, stamped with the number of
/// requests the mock had seen by then. Checkpoints are left out (they are timed).
struct Recorder {
    server: Arc<MockServer>,
    writes: Mutex<Vec<String>>,
}

impl Recorder {
    fn write(&self, what: String) {
        let seen = self.server.requests_seen();
        self.writes.lock().unwrap().push(format!("{what} @{seen}"));
    }
}

fn results_of(message: &Message) -> Vec<&ToolResultBlock> {
    message
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::ToolResult(r) => Some(r),
            _ => None,
        })
        .collect()
}

impl Journal for Recorder {
    fn begin(&self, _model: &str, _first: &Message) -> Result<String, JournalError> {
        self.write("begin".into());
        Ok("1".into())
    }

    fn fork(&self, _conversation: &str, _user_index: usize) -> Result<String, JournalError> {
        self.write("fork".into());
        Ok("2".into())
    }

    fn user_message(&self, _conversation: &str, message: &Message) -> Result<(), JournalError> {
        let results = results_of(message);
        self.write(if results.is_empty() {
            "user".into()
        } else {
            let ids: Vec<&str> = results.iter().map(|r| r.tool_use_id.as_str()).collect();
            format!("results {}", ids.join(" "))
        });
        Ok(())
    }

    fn progress(&self, _: &str, _: &MessageResponse) -> Result<(), JournalError> {
        Ok(())
    }

    fn answer_end(
        &self,
        _conversation: &str,
        answer: Option<&MessageResponse>,
        end: &AnswerEnd,
    ) -> Result<(), JournalError> {
        self.write(match end {
            AnswerEnd::Complete => "answer complete".into(),
            AnswerEnd::Interrupted => "answer interrupted".into(),
            AnswerEnd::Failed(_) => {
                format!(
                    "answer failed: {}",
                    answer.map_or(String::new(), |a| a.text())
                )
            }
        });
        Ok(())
    }

    fn tool_result(
        &self,
        _conversation: &str,
        call: &ToolUseBlock,
        result: &ToolResultBlock,
        _duration: Duration,
        _run: chatterm::store::ToolRun,
    ) -> Result<(), JournalError> {
        let kind = if result.is_error == Some(true) {
            "error"
        } else {
            "ok"
        };
        self.write(format!("result {} {kind}", call.id));
        Ok(())
    }

    fn retracted(&self, _conversation: &str) -> Result<(), JournalError> {
        self.write("retracted".into());
        Ok(())
    }

    fn auto_title(&self, _conversation: &str, _title: &str) -> Result<bool, JournalError> {
        Ok(false)
    }
}
