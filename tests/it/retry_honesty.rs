//! Retry honesty over loopback (issue 12, point 7): a server wait too long to sleep through
//! ends the turn saying how long to wait, in the engine and in print mode; a stall after an
//! empty block start, before anything visible, is retried like a stall before the first
//! byte and leaves no trace of the failed attempt in the updates.

use std::time::Duration;

use chatterm::api::Usage;
use chatterm::api::retry::wait_advice;
use chatterm::config::Tier;
use chatterm::engine::Update;
use chatterm::mock::{HttpError, MockServer, Reply, Script, Step};

use crate::binary::{against, output, text};
use crate::common::*;

fn rate_limited(retry_after: &str) -> Reply {
    Reply::Error(
        HttpError::new(429, "rate_limit_error", "Number of requests exceeded")
            .with_header("retry-after", retry_after),
    )
}

fn start() -> Step {
    Step::Start {
        usage: Usage {
            input_tokens: 10,
            output_tokens: 1,
            ..Usage::default()
        },
    }
}

/// `content_block_start` written raw, with no delta and no stop after it.
fn bare_block_start(block: &str) -> Step {
    Step::Raw(format!(
        "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{block}}}\n\n"
    ))
}

#[tokio::test]
async fn a_429_asking_for_two_minutes_ends_the_turn_at_once_and_says_so() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(rate_limited("120"));
    let mut engine = engine_for(&server, &test_config());
    // `turn` has a 30 s guard: sleeping through the 120 s would fail the test.
    let updates = turn(&mut engine, "hi").await;
    let (err, partial) = error(&updates).expect("an error");
    assert!(partial.is_none());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(
        wait_advice(err).as_deref(),
        Some("rate limited: retry in 2 min")
    );
    assert!(!updates.iter().any(|u| matches!(u, Update::Retrying { .. })));
    assert_eq!(message_requests(&server).len(), 1, "not sent again");
}

#[tokio::test]
async fn print_mode_tells_how_long_to_wait() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(rate_limited("120"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hello", "--no-tools"]);
    let out = output(cmd).await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("error: rate limited: retry in 2 min · HTTP 429 rate_limit_error"),
        "{err}"
    );
    assert_eq!(message_requests(&server).len(), 1);
}

#[tokio::test]
async fn a_stall_after_an_empty_block_start_is_retried() {
    for block in [
        r#"{"type":"text","text":""}"#,
        r#"{"type":"tool_use","id":"toolu_1","name":"read_file","input":{}}"#,
    ] {
        let server = MockServer::start().await.unwrap();
        server.enqueue(Reply::Script(Script::new(vec![
            start(),
            bare_block_start(block),
            Step::Stall(Duration::from_secs(30)),
            Step::Text(vec!["never".into()]),
        ])));
        server.enqueue(Reply::text("the second attempt"));
        let mut config = test_config();
        // One model, so the stall is retried on it rather than handed to a fallback.
        config.models.tier = Tier::Fast.into();
        config.api.idle_timeout = Duration::from_millis(500);
        let mut engine = engine_for(&server, &config);
        let updates = turn(&mut engine, "hi").await;
        let retried = updates
            .iter()
            .any(|u| matches!(u, Update::Retrying { reason, .. } if reason.contains("stalled")));
        assert!(retried, "{block}: {updates:#?}");
        assert_eq!(
            finished(&updates).map(|m| m.text()).as_deref(),
            Some("the second attempt"),
            "{block}"
        );
        // The failed attempt's block start never reached the front end.
        let starts = updates
            .iter()
            .filter(|u| matches!(u, Update::BlockStarted { .. }))
            .count();
        assert_eq!(starts, 1, "{block}");
        assert_eq!(message_requests(&server).len(), 2, "{block}");
    }
}

#[tokio::test]
async fn a_stall_after_visible_text_is_not_retried() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Script(Script::new(vec![
        start(),
        Step::Text(vec!["shown".into()]),
        Step::Stall(Duration::from_secs(30)),
    ])));
    let mut config = test_config();
    config.models.tier = Tier::Fast.into();
    config.api.idle_timeout = Duration::from_millis(500);
    let mut engine = engine_for(&server, &config);
    let updates = turn(&mut engine, "hi").await;
    let (_, partial) = error(&updates).expect("an error");
    assert_eq!(partial.map(|p| p.text()).as_deref(), Some("shown"));
    assert_eq!(message_requests(&server).len(), 1);
}
