//! How a turn's end reads after retries and fallbacks: no stale countdown, the whole
//! error, and the status bar back on the tier's model.

use std::time::Duration;

use crate::api::{ApiError, ContentBlock};
use crate::engine::Update;

use crate::tui::test_support::*;

fn overloaded() -> ApiError {
    ApiError::Http {
        status: 529,
        kind: "overloaded_error".into(),
        message: "Overloaded, try again later".into(),
        request_id: Some("req_011CXyz".into()),
        retry_after: None,
        should_retry: None,
    }
}

#[test]
fn the_final_error_after_retries_closes_the_countdown_and_says_everything() {
    let mut app = app();
    start_turn(&mut app, "hello", "claude-sonnet-4-6");
    for attempt in 1..=2 {
        app.on_update(
            Update::Retrying {
                turn: turn(),
                attempt,
                max: 2,
                wait: Duration::from_secs(1),
                reason: "overloaded (529)".into(),
            },
            now(),
        );
    }
    app.on_update(
        Update::Error {
            turn: turn(),
            error: overloaded(),
            partial: None,
        },
        now(),
    );
    let shown = screen(&mut app, 100, 30);
    assert!(!shown.contains("in 1s"), "{shown}");
    assert!(
        shown.contains("retry 2 of 2: overloaded (529) · sent, failed"),
        "{shown}"
    );
    assert!(shown.contains("Overloaded, try again later"), "{shown}");
    assert!(shown.contains("req_011CXyz"), "{shown}");
}

#[test]
fn a_fallback_model_is_shown_for_its_turn_only() {
    let mut app = app();
    start_turn(&mut app, "hello", "claude-sonnet-4-6");
    app.on_update(
        Update::FellBack {
            turn: turn(),
            from: "claude-sonnet-4-6".into(),
            to: "claude-haiku-4-5".into(),
            reason: "overloaded".into(),
        },
        now(),
    );
    app.on_update(
        Update::Connected {
            turn: turn(),
            model: "claude-haiku-4-5".into(),
            tier: Some(crate::config::Tier::Fast),
            request_id: None,
            rate_limits: Default::default(),
        },
        now(),
    );
    block(&mut app, 0, ContentBlock::text(""));
    text(&mut app, 0, "From the fallback.");
    let shown = screen(&mut app, 100, 30);
    let status = shown.lines().last().unwrap();
    assert!(
        status.contains("claude-haiku-4-5") && status.contains("fell back from claude-sonnet-4-6"),
        "{status}"
    );
    finish(&mut app, vec![ContentBlock::text("From the fallback.")]);
    let shown = screen(&mut app, 100, 30);
    let status = shown.lines().last().unwrap();
    assert!(
        status.contains("balanced · claude-sonnet-4-6") && !status.contains("fell back"),
        "{status}"
    );
}
