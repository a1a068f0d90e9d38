//! One accounting path: the TUI's sidebar and print mode fold the same engine stream into
//! the same figures. Both run a turn against the mock with the same replies (a request
//! overloaded after `message_start` and retried, a tool round, the answer), and the totals the
//! sidebar holds are the ones print mode's closing line states.

use std::time::Duration;

use tokio::time::Instant;

use crate::api::retry::RetryPolicy;
use crate::api::{Auth, Client, ClientOptions, DeltaUsage, StopReason, Usage};
use crate::config::Config;
use crate::cost::{Pricing, format_usd};
use crate::engine::{Command, Engine, EngineHandle, Outcome, Update};
use crate::mock::{MockServer, Reply, Script, Step};
use crate::print::{PrintOptions, run_print, usage_line_parts};

use crate::tui::app::App;
use crate::tui::test_support::options;

fn usage(input: u64, write: u64, read: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
        output_tokens: output,
        ..Usage::default()
    }
}

fn stop(reason: StopReason, output: u64) -> Step {
    Step::Stop {
        reason,
        usage: DeltaUsage {
            output_tokens: Some(output),
            ..DeltaUsage::default()
        },
    }
}

/// The turn's replies: paid for, then overloaded (retried), a tool call (tools are off, so the
/// engine answers it with an error result), then the answer.
fn replies() -> Vec<Reply> {
    let overloaded = Script::new(vec![
        Step::Start {
            usage: usage(1000, 2000, 0, 1),
        },
        Step::error_event("overloaded_error", "Overloaded"),
    ]);
    let tool = Script::new(vec![
        Step::Start {
            usage: usage(1000, 0, 2000, 1),
        },
        Step::tool_use("toolu_1", "get_weather", &["{\"city\": \"Oslo\"}"]),
        stop(StopReason::ToolUse, 40),
    ]);
    let answer = Script::new(vec![
        Step::Start {
            usage: usage(1200, 0, 2000, 1),
        },
        Step::text("It is sunny."),
        stop(StopReason::EndTurn, 300),
    ]);
    vec![overloaded.into(), tool.into(), answer.into()]
}

async fn engine(server: &MockServer) -> EngineHandle {
    for reply in replies() {
        server.enqueue(reply);
    }
    let mut config = Config::default();
    config.chat.auto_title = false;
    let client = Client::new(ClientOptions::new(
        server.url(),
        Auth::ApiKey("sk-test".into()),
    ))
    .unwrap();
    let policy = RetryPolicy {
        max_retries: 3,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    };
    Engine::new(client, &config, Pricing::embedded())
        .with_retry_policy(policy)
        .spawn()
}

/// The TUI's side: the turn's updates through the app; the session totals it shows.
async fn tui_totals(server: &MockServer) -> (Vec<Update>, crate::cost::session::Totals) {
    let mut handle = engine(server).await;
    handle
        .commands
        .send(Command::Send("weather?".into()))
        .unwrap();
    let mut app = App::new(options());
    app.send_message("weather?".into());
    let mut updates = Vec::new();
    loop {
        let u = tokio::time::timeout(Duration::from_secs(30), handle.updates.recv())
            .await
            .expect("the turn did not end within 30 s")
            .expect("engine stopped");
        let end = matches!(u, Update::TurnFinished { .. } | Update::Error { .. });
        updates.push(u.clone());
        app.on_update(u, Instant::now());
        if end {
            break;
        }
    }
    (updates, app.cost.account.totals())
}

#[tokio::test]
async fn the_sidebar_and_print_mode_count_the_same_stream_alike() {
    let server = MockServer::start().await.unwrap();
    let (updates, totals) = tui_totals(&server).await;
    let outcomes: Vec<Outcome> = updates
        .iter()
        .filter_map(|u| match u {
            Update::RequestEnded { request, .. } => Some(request.outcome),
            _ => None,
        })
        .collect();
    assert_eq!(
        outcomes,
        [Outcome::Retried, Outcome::Answered, Outcome::Answered]
    );
    assert_eq!(totals.requests, 3, "{updates:#?}");
    let tokens = (
        totals.tokens().input,
        totals.tokens().cache_write,
        totals.tokens().cache_read,
        totals.tokens().output,
    );
    assert_eq!(tokens, (3200, 2000, 4000, 341));
    assert_eq!(totals.unpriced, 0);

    let server = MockServer::start().await.unwrap();
    let mut handle = engine(&server).await;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_print(
        &mut handle,
        "weather?".into(),
        PrintOptions::default(),
        &mut out,
        &mut err,
    )
    .await;
    assert_eq!(code, 0);
    let err = String::from_utf8(err).unwrap();
    let summed = usage(3200, 2000, 4000, 341);
    let expected = format!(
        "{} · 3 requests · ",
        usage_line_parts("claude-sonnet-4-6", &summed, Some(totals.cost_usd))
    );
    assert!(err.contains(&expected), "{err}\nexpected: {expected}");
    assert!(expected.contains(&format_usd(totals.cost_usd)));
}
