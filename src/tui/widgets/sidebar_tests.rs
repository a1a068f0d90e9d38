//! The sidebar drawn through ratatui's TestBackend in each state, the request of the cost
//! issue run against the mock and shown, the countdown's frames, and the money notices.

use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokio::time::Instant;

use crate::api::ratelimit::{Bucket, RateLimits};
use crate::api::{
    Auth, CacheCreation, Client, ClientOptions, ContentBlock, DeltaUsage, MessageResponse,
    Role as ApiRole, StopReason, Usage,
};
use crate::config::{BudgetConfig, Config, Tier};
use crate::cost::day::LocalTime;
use crate::cost::session::Timing;
use crate::cost::{Ledger, MemoryLedger, Outcome, Pricing, RequestEnd};
use crate::engine::{Command, Engine, TurnId, TurnStats, Update};
use crate::mock::{MockServer, Script, Step};

use crate::tui::app::cost::CostOptions;
use crate::tui::app::{App, AppOptions, Effect};
use crate::tui::render::theme::Theme;
use crate::tui::test_support::options;

const SONNET: &str = "claude-sonnet-4-6";
const HAIKU: &str = "claude-haiku-4-5";

/// The shared test app on claude-sonnet-4-6 with real prices, this budget and ledger.
fn app_with(daily_usd: Option<f64>, ledger: Option<Arc<dyn Ledger>>) -> App {
    App::new(AppOptions {
        model: SONNET.into(),
        models: vec![HAIKU.into(), SONNET.into()],
        cost: CostOptions {
            pricing: Arc::new(Pricing::embedded()),
            budget: BudgetConfig {
                daily_usd,
                alert_factor: 3.0,
            },
            local: LocalTime::utc(),
            tier_models: vec![
                (Tier::Fast, HAIKU.into()),
                (Tier::Balanced, SONNET.into()),
                (Tier::Max, "claude-opus-5".into()),
            ],
            ledger,
        },
        ..options()
    })
}

fn limits() -> RateLimits {
    let bucket = |limit, remaining| Bucket {
        limit: Some(limit),
        remaining: Some(remaining),
        reset: Some("2026-11-25T10:03:12Z".into()),
    };
    RateLimits {
        requests: Some(bucket(4_000, 3_999)),
        tokens: Some(bucket(2_400_000, 2_396_000)),
        ..RateLimits::default()
    }
}

fn stats() -> TurnStats {
    TurnStats {
        time_to_first_token: Some(Duration::from_millis(800)),
        total: Duration::from_millis(2100),
        output_tokens_per_sec: Some(238.1),
    }
}

/// The usage of the example: $0.0189 on a $3 / $15 model.
fn usage_0189() -> Usage {
    Usage {
        input_tokens: 1000,
        cache_creation_input_tokens: 2000,
        cache_read_input_tokens: 3000,
        output_tokens: 500,
        ..Usage::default()
    }
}

/// Turn `n` on `model`: started, connected, streamed `usage` (three running updates),
/// finished, all at `at`.
fn request(app: &mut App, n: u64, model: &str, usage: &Usage, at: Instant) {
    let turn = TurnId(n);
    let cost = Pricing::embedded().cost(model, usage);
    let updates = [
        Update::TurnStarted {
            turn,
            tier: Some(Tier::Balanced),
            model: model.into(),
        },
        Update::Connected {
            turn,
            model: model.into(),
            tier: Some(Tier::Balanced),
            request_id: None,
            rate_limits: limits(),
        },
        Update::Usage {
            turn,
            model: model.into(),
            usage: Usage {
                output_tokens: 1,
                ..usage.clone()
            },
            cost_usd: Pricing::embedded().cost(
                model,
                &Usage {
                    output_tokens: 1,
                    ..usage.clone()
                },
            ),
        },
        Update::Usage {
            turn,
            model: model.into(),
            usage: usage.clone(),
            cost_usd: cost,
        },
        Update::RequestEnded {
            turn,
            request: ended(model, usage, Outcome::Answered),
        },
        Update::TurnFinished {
            turn,
            message: message(model, usage),
            stats: stats(),
        },
    ];
    for u in updates {
        app.on_update(u, at);
    }
}

/// The engine's end of a balanced-tier request on `model` with `usage`, timed by [`stats`]
/// when it answered; no ledger.
fn ended(model: &str, usage: &Usage, outcome: Outcome) -> RequestEnd {
    let s = stats();
    RequestEnd {
        model: model.into(),
        tier: Some(Tier::Balanced),
        usage: Some(usage.clone()),
        usage_estimated: outcome == Outcome::Interrupted,
        cost_usd: Pricing::embedded().cost(model, usage),
        outcome,
        timing: (outcome == Outcome::Answered).then_some(Timing {
            time_to_first_token: s.time_to_first_token,
            total: Some(s.total),
            output_tokens_per_sec: s.output_tokens_per_sec,
        }),
        today_usd: None,
    }
}

fn message(model: &str, usage: &Usage) -> MessageResponse {
    MessageResponse {
        id: "msg".into(),
        model: model.into(),
        role: ApiRole::Assistant,
        content: vec![ContentBlock::text("ok")],
        stop_reason: Some(StopReason::EndTurn),
        stop_sequence: None,
        usage: usage.clone(),
        extra: Default::default(),
    }
}

/// The sidebar alone, drawn at `width` x `height` with the clock at `now`.
fn draw(app: &mut App, width: u16, height: u16, now: Instant) -> Terminal<TestBackend> {
    app.tick(now);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| app.render_sidebar(Rect::new(0, 0, width, height), frame.buffer_mut()))
        .unwrap();
    terminal
}

/// A session with one $0.0189 request, a context figure and today's spend `spent`.
fn session(daily_usd: Option<f64>, spent: f64) -> (App, Instant) {
    let mut app = app_with(daily_usd, None);
    let t0 = Instant::now();
    request(&mut app, 1, SONNET, &usage_0189(), t0);
    app.on_update(
        Update::ContextSize {
            model: SONNET.into(),
            tokens: 24_100,
            window: 200_000,
        },
        t0,
    );
    app.set_spent_today(Ok(spent));
    (app, t0)
}

#[test]
fn normal() {
    let (mut app, t0) = session(Some(5.0), 1.25);
    let t = draw(&mut app, 32, 44, t0 + Duration::from_secs(48));
    insta::assert_snapshot!("sidebar_normal", t.backend());
}

#[test]
fn budget_warning() {
    let (mut app, t0) = session(Some(5.0), 4.20);
    let t = draw(&mut app, 32, 44, t0 + Duration::from_secs(48));
    insta::assert_snapshot!("sidebar_budget_warning", t.backend());
}

#[test]
fn over_budget() {
    let (mut app, t0) = session(Some(5.0), 5.31);
    let t = draw(&mut app, 32, 44, t0 + Duration::from_secs(48));
    insta::assert_snapshot!("sidebar_over_budget", t.backend());
}

#[test]
fn unknown_price() {
    let mut app = app_with(None, None);
    let t0 = Instant::now();
    app.on_update(
        Update::ModelChanged {
            tier: None,
            model: "claude-sonnet-5".into(),
        },
        t0,
    );
    request(&mut app, 1, "claude-sonnet-5", &usage_0189(), t0);
    let t = draw(&mut app, 32, 44, t0 + TTL_EXPIRED);
    insta::assert_snapshot!("sidebar_unknown_price", t.backend());
}

const TTL_EXPIRED: Duration = Duration::from_secs(301);

#[test]
fn narrow_and_short_drops_sections_in_priority_order() {
    let (mut app, t0) = session(Some(5.0), 1.25);
    // 16 rows: model (3), last request (8), then today (2) with blank rows between; the
    // session, context, cache and rate limits do not fit.
    let t = draw(&mut app, 24, 16, t0 + Duration::from_secs(48));
    insta::assert_snapshot!("sidebar_narrow", t.backend());
    // Only the model fits: nothing else is half drawn.
    let t = draw(&mut app, 24, 5, t0);
    insta::assert_snapshot!("sidebar_tiny", t.backend());
}

#[test]
fn before_any_request() {
    let mut app = app_with(Some(5.0), None);
    let t = draw(&mut app, 32, 20, Instant::now());
    insta::assert_snapshot!("sidebar_empty", t.backend());
}

/// The example end to end: the mock answers with usage {input 1000, cache write
/// 2000, cache read 3000, output 500} on claude-sonnet-4-6 ($3 / $15); the engine's updates
/// go through the app and the sidebar shows $0.0189 for the request (and in Today, read
/// back from the ledger the engine wrote). Only the timings and the rate-limit reset times,
/// which depend on the wall clock, are replaced by fixed values before the app sees them.
#[tokio::test]
async fn a_mock_request_shows_its_cost_in_the_sidebar() {
    let server = MockServer::start().await.unwrap();
    server.enqueue(
        Script::new(vec![
            Step::Start {
                usage: Usage {
                    output_tokens: 1,
                    ..usage_0189()
                },
            },
            Step::text("Cached answer."),
            Step::Stop {
                reason: StopReason::EndTurn,
                usage: DeltaUsage {
                    output_tokens: Some(500),
                    ..DeltaUsage::default()
                },
            },
        ])
        .into(),
    );
    let config = Config::default();
    assert_eq!(
        config
            .models
            .model_for(config.models.tier.fixed().unwrap_or(config.routing.default)),
        SONNET
    );
    let client = Client::new(ClientOptions::new(
        server.url(),
        Auth::ApiKey("sk-test".into()),
    ))
    .unwrap();
    let ledger = Arc::new(MemoryLedger::new());
    let mut handle = Engine::new(client, &config, Pricing::embedded())
        .with_ledger(ledger.clone())
        .spawn();
    handle.commands.send(Command::Send("hi".into())).unwrap();
    let mut updates = Vec::new();
    loop {
        let u = tokio::time::timeout(Duration::from_secs(30), handle.updates.recv())
            .await
            .expect("the turn did not end within 30 s")
            .expect("engine stopped");
        let end = matches!(u, Update::TurnFinished { .. } | Update::Error { .. });
        updates.push(u);
        if end {
            break;
        }
    }
    let mut app = app_with(Some(5.0), Some(ledger.clone()));
    let t0 = Instant::now();
    for mut u in updates {
        match &mut u {
            Update::Connected { rate_limits, .. } => *rate_limits = limits(),
            Update::TurnFinished { stats: s, .. } => *s = stats(),
            Update::RequestEnded { request, .. } => {
                request.timing = ended(SONNET, &usage_0189(), Outcome::Answered).timing;
            }
            _ => {}
        }
        // Today's spend comes with the request's end: no ledger read here.
        app.on_update(u, t0);
    }
    let t = draw(&mut app, 32, 44, t0 + Duration::from_secs(1));
    let screen = t.backend().to_string();
    assert!(
        screen.contains("Last request           $0.0189"),
        "{screen}"
    );
    assert!(
        screen.contains("Today          $0.0189 / $5.00"),
        "{screen}"
    );
    insta::assert_snapshot!("sidebar_mock_0189", t.backend());
}

#[test]
fn the_countdown_asks_for_frames_only_while_it_is_on_screen() {
    let (mut app, t0) = session(Some(5.0), 0.0);
    // Not laid out yet: no sidebar on screen, no frames.
    assert_eq!(app.tick(t0), None);
    frame(&mut app, Rect::new(0, 0, 100, 60));
    // 4:59.6 left shows as 5:00 and changes 0.4 s later.
    let t = t0 + Duration::from_millis(400);
    assert_eq!(app.tick(t), Some(t0 + Duration::from_secs(1)));
    // Exactly on a second: the next change is a second away.
    let t = t0 + Duration::from_secs(10);
    assert_eq!(app.tick(t), Some(t + Duration::from_secs(1)));
    // Expired: nothing moves any more.
    assert_eq!(app.tick(t0 + Duration::from_secs(300)), None);
    // Warm but hidden (Ctrl+B, or too short for the cache section): no frames either.
    app.screen.sidebar = false;
    assert_eq!(app.tick(t0), None);
    app.screen.sidebar = true;
    frame(&mut app, Rect::new(0, 0, 100, 20));
    assert_eq!(app.tick(t0), None);
}

/// A whole frame at `area`, as the loop draws one: what the sidebar shows is known after.
fn frame(app: &mut App, area: Rect) {
    app.prepare(area);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    app.render(area, &mut buf);
}

#[test]
fn switching_tier_with_a_warm_cache_estimates_the_rebuild() {
    let mut app = app_with(None, None);
    let t0 = Instant::now();
    request(&mut app, 1, SONNET, &usage_0189(), t0);
    app.on_update(
        Update::ModelChanged {
            tier: Some(Tier::Fast),
            model: HAIKU.into(),
        },
        t0 + Duration::from_secs(30),
    );
    // 2,000 written + 3,000 read = 5,000 tokens at haiku's 5 min write price $1.25/M.
    assert_eq!(
        last_notice(&app),
        "switching to claude-haiku-4-5 rebuilds the prompt cache: about 5,000 tokens, \
         ≈ $0.0063 at its 5m cache-write price"
    );
    // An unpriced target says so; an expired cache says nothing.
    app.on_update(
        Update::ModelChanged {
            tier: None,
            model: "claude-sonnet-5".into(),
        },
        t0 + Duration::from_secs(31),
    );
    assert!(last_notice(&app).ends_with("about 5,000 tokens, price unknown"));
    let before = app.conversation.cells().len();
    app.on_update(
        Update::ModelChanged {
            tier: Some(Tier::Max),
            model: "claude-opus-5".into(),
        },
        t0 + TTL_EXPIRED,
    );
    assert_eq!(app.conversation.cells().len(), before);
}

#[test]
fn a_request_far_above_the_median_gets_a_warning() {
    let mut app = app_with(None, None);
    let t0 = Instant::now();
    let small = Usage {
        input_tokens: 1000,
        ..Usage::default()
    };
    for n in 1..=5 {
        request(&mut app, n, SONNET, &small, t0);
    }
    let before = app.conversation.cells().len();
    request(&mut app, 6, SONNET, &usage_0189(), t0);
    assert_eq!(
        last_notice(&app),
        "this request cost $0.0189, 6.3x the median of the last 5 ($0.0030)"
    );
    assert_eq!(app.conversation.cells().len(), before + 1);
}

#[test]
fn usage_after_an_interrupt_is_still_counted_once() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app_with(None, None);
    let t0 = Instant::now();
    let turn = TurnId(1);
    app.send_message("hi".into());
    app.on_update(
        Update::TurnStarted {
            turn,
            tier: Some(Tier::Balanced),
            model: SONNET.into(),
        },
        t0,
    );
    app.on_update(
        Update::Connected {
            turn,
            model: SONNET.into(),
            tier: Some(Tier::Balanced),
            request_id: None,
            rate_limits: RateLimits::default(),
        },
        t0,
    );
    app.on_key(&KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), t0);
    // Usage that was on its way, then the engine's cancellation.
    let usage = Usage {
        input_tokens: 5000,
        cache_creation: Some(CacheCreation::default()),
        ..Usage::default()
    };
    app.on_update(
        Update::Usage {
            turn,
            model: SONNET.into(),
            cost_usd: Pricing::embedded().cost(SONNET, &usage),
            usage: usage.clone(),
        },
        t0,
    );
    app.on_update(
        Update::RequestEnded {
            turn,
            request: ended(SONNET, &usage, Outcome::Interrupted),
        },
        t0,
    );
    app.on_update(
        Update::Error {
            turn,
            error: crate::api::ApiError::Cancelled,
            partial: None,
        },
        t0,
    );
    let totals = app.cost.account.totals();
    assert_eq!((totals.requests, totals.tokens().input), (1, 5000));
    assert!((totals.cost_usd - 0.015).abs() < 1e-12);
}

#[test]
fn gauge_colours_follow_the_budget_level() {
    use ratatui::style::Color;
    // (spent of $5.00, colour of the Today gauge in the ansi16 theme)
    for (spent, colour) in [
        (1.25, Color::Blue),
        (4.2, Color::Yellow),
        (5.31, Color::Red),
    ] {
        let (mut app, t0) = session(Some(5.0), spent);
        app.theme = Theme::load("ansi16").unwrap();
        let t = draw(&mut app, 32, 44, t0);
        let buf = t.backend().buffer();
        let row = (0..44)
            .find(|&y| buf[(2, y)].symbol() == "T" && buf[(3, y)].symbol() == "o")
            .expect("a Today row");
        // The gauge's first cell (filled) and the amount on the heading row.
        assert_eq!(buf[(2, row + 1)].fg, colour, "gauge at ${spent}");
        if colour != Color::Blue {
            assert_eq!(buf[(30, row)].fg, colour, "amount at ${spent}");
        }
    }
}

#[test]
fn compact_counts_round_down() {
    use crate::tui::widgets::sidebar::compact;
    let cases = [
        (999, "999"),
        (9_999, "9,999"),
        (24_150, "24.1k"),
        (240_999, "240k"),
        (2_396_000, "2.396M"),
        (2_400_000, "2.4M"),
        (1_000_000, "1M"),
        (20_000, "20k"),
        (12_450_000, "12.4M"),
    ];
    for (n, text) in cases {
        assert_eq!(compact(n), text);
    }
}

fn last_notice(app: &App) -> String {
    app.conversation
        .cells()
        .iter()
        .rev()
        .find_map(|c| match &c.kind {
            crate::tui::render::cells::CellKind::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn a_command_line_prompt_waits_behind_the_confirmation_when_over_budget() {
    let mut app = app_with(Some(1.0), None);
    app.set_spent_today(Ok(2.0));
    app.send_initial("from the command line".into());
    assert!(app.take_effects().is_empty());
    assert_eq!(app.input.text(), "from the command line");
    assert!(app.cost.confirm.is_some());
    let mut app = app_with(Some(1.0), None);
    app.send_initial("hi".into());
    assert_eq!(
        app.take_effects(),
        [Effect::Engine(Command::Send("hi".into()))]
    );
}

#[path = "sidebar_budget_tests.rs"]
mod budget;
