//! The sidebar's sections in states the snapshot suite does not cover: an interrupted
//! request, stale rate limits.

use std::sync::Arc;

use crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::{Terminal, backend::TestBackend};

use crate::api::{ApiError, ContentBlock, Usage};
use crate::config::Tier;
use crate::cost::{Outcome, Pricing, RequestEnd};
use crate::engine::{TurnId, Update};

use crate::tui::app::App;
use crate::tui::app::cost::CostOptions;
use crate::tui::test_support::*;

const SONNET: &str = "claude-sonnet-4-6";

fn priced_app() -> App {
    let mut options = options();
    options.cost = CostOptions {
        pricing: Arc::new(Pricing::embedded()),
        tier_models: vec![(Tier::Balanced, SONNET.into())],
        ..CostOptions::default()
    };
    App::new(options)
}

fn sidebar(app: &mut App, now: tokio::time::Instant) -> String {
    app.tick(now);
    let mut terminal = Terminal::new(TestBackend::new(34, 40)).unwrap();
    terminal
        .draw(|frame| app.render_sidebar(Rect::new(0, 0, 34, 40), frame.buffer_mut()))
        .unwrap();
    rows(terminal.backend().buffer()).join("\n")
}

/// message_start's running usage: one output token.
fn usage_before_esc() -> Usage {
    Usage {
        input_tokens: 5000,
        output_tokens: 1,
        ..Usage::default()
    }
}

#[test]
fn after_esc_the_last_request_is_interrupted_and_its_output_estimated() {
    let mut app = priced_app();
    let t0 = now();
    start_turn(&mut app, "Write a long story", SONNET);
    let usage = usage_before_esc();
    app.on_update(
        Update::Usage {
            turn: TurnId(1),
            model: SONNET.into(),
            cost_usd: Pricing::embedded().cost(SONNET, &usage),
            usage,
        },
        t0,
    );
    block(&mut app, 0, ContentBlock::text(""));
    text(&mut app, 0, &"word ".repeat(80));
    press(&mut app, KeyCode::Esc);
    // The engine ends the request with its output estimated from the 400 characters that
    // streamed (it/request_end.rs tests that side).
    let estimated = Usage {
        output_tokens: 100,
        ..usage_before_esc()
    };
    app.on_update(
        Update::RequestEnded {
            turn: TurnId(1),
            request: RequestEnd {
                model: SONNET.into(),
                tier: Some(Tier::Balanced),
                cost_usd: Pricing::embedded().cost(SONNET, &estimated),
                usage: Some(estimated),
                usage_estimated: true,
                outcome: Outcome::Interrupted,
                timing: None,
                today_usd: None,
            },
        },
        t0,
    );
    app.on_update(
        Update::Error {
            turn: TurnId(1),
            error: ApiError::Cancelled,
            partial: None,
        },
        t0,
    );
    let shown = sidebar(&mut app, t0);
    assert!(shown.contains("Last (interrupted)"), "{shown}");
    assert!(!shown.contains("failed"), "{shown}");
    // 400 characters arrived: about 100 tokens, not the 1 of message_start.
    assert!(shown.contains("≈ 100"), "{shown}");
    let totals = app.cost.account.totals();
    assert_eq!(totals.tokens().output, 100);
    // 5000 x $3/M + 100 x $15/M.
    assert!(
        (totals.cost_usd - 0.0165).abs() < 1e-9,
        "{}",
        totals.cost_usd
    );
}

#[test]
fn rate_limits_count_down_to_their_reset_then_turn_stale() {
    use crate::api::ratelimit::{Bucket, RateLimits};
    use std::time::Duration;
    let mut app = priced_app();
    let t0 = now();
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(90);
    let reset = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let limits = RateLimits {
        requests: Some(Bucket {
            limit: Some(50),
            remaining: Some(49),
            reset: Some(reset),
        }),
        ..RateLimits::default()
    };
    start_turn(&mut app, "hi", SONNET);
    app.on_update(
        Update::Connected {
            turn: TurnId(1),
            model: SONNET.into(),
            tier: Some(crate::config::Tier::Balanced),
            request_id: None,
            rate_limits: limits,
        },
        t0,
    );
    let shown = sidebar(&mut app, t0);
    assert!(shown.contains("resets in"), "{shown}");
    assert!(!shown.contains("stale"), "{shown}");
    // A frame is asked for while the countdown runs (the sidebar laid out on screen).
    draw(&mut app, 120, 60);
    assert!(
        app.cost_tick(t0)
            .is_some_and(|at| at <= t0 + Duration::from_secs(1))
    );
    let later = t0 + Duration::from_secs(120);
    let shown = sidebar(&mut app, later);
    assert!(shown.contains("stale"), "{shown}");
    assert!(shown.contains("reset at"), "{shown}");
    assert!(!shown.contains("resets in"), "{shown}");
}

#[test]
fn tier_switches_with_no_request_between_leave_one_notice() {
    let mut app = priced_app();
    let t0 = now();
    answer(&mut app, "hi", "hello");
    let usage = Usage {
        input_tokens: 100,
        cache_creation_input_tokens: 5000,
        output_tokens: 10,
        ..Usage::default()
    };
    app.cost
        .account
        .begin_request(SONNET, Some(Tier::Balanced), t0.into_std());
    app.cost
        .account
        .update_usage(SONNET, &usage, None, t0.into_std());
    app.cost.account.end_request(None, false, t0.into_std());
    let cost_notices = |app: &App| {
        app.conversation
            .cells()
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    crate::tui::render::cells::CellKind::Notice {
                        kind: crate::tui::render::cells::NoticeKind::Cost,
                        ..
                    }
                )
            })
            .count()
    };
    for (tier, model) in [
        (Tier::Fast, "claude-haiku-4-5"),
        (Tier::Max, "claude-opus-5"),
        (Tier::Fast, "claude-haiku-4-5"),
    ] {
        app.on_update(
            Update::ModelChanged {
                tier: Some(tier),
                model: model.into(),
            },
            t0,
        );
    }
    assert_eq!(cost_notices(&app), 1);
    let shown = screen(&mut app, 120, 30);
    assert!(shown.contains("switching to claude-haiku-4-5"), "{shown}");
    // Back on the warm model: the one notice says so.
    app.on_update(
        Update::ModelChanged {
            tier: Some(Tier::Balanced),
            model: SONNET.into(),
        },
        t0,
    );
    assert_eq!(cost_notices(&app), 1);
    assert!(screen(&mut app, 120, 30).contains("back on claude-sonnet-4-6"));
}
