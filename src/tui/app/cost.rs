//! The app's money side: engine updates folded into the session account, today's spend,
//! cost alerts, the tier-switch cache notice, and the clock the sidebar's countdown needs.
//!
//! The model: [`CostState`] holds a [`SessionAccount`] (UI-free, in `crate::cost`) and
//! what only the front end knows: the budget, the local offset, which model each tier
//! means (for `/extract`), and today's spend as last reported. Requests are reported to
//! the account as they open (`Connected`, with their tier), stream (`Usage`, replacing)
//! and end (the engine's `RequestEnded`, as print mode folds them), so each is counted
//! once.
//!
//! Today's spend: the event loop reads the ledger once at start; after that every
//! `RequestEnded` carries the ledger's total with the request in it. The app adds the
//! open request's running cost, so the gauge moves while an answer streams. A figure from
//! before the last local midnight counts as 0 until the next one. Without a ledger
//! (tests) the session's own total stands in.
//!
//! Frames: the cache countdown and the rate limits' countdown to their reset are the
//! sidebar's only moving parts. [`App::cost_tick`] asks for a frame when a whole-second
//! figure next changes, and only while it is on screen (sidebar shown, its section fits,
//! the prefix still warm or the reset still ahead, no overlay on top); otherwise the app
//! stays frameless when idle, as the frame scheduler promises. Past the reset the limits
//! are shown as stale: they describe a window that is over.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::Usage;
use crate::api::ratelimit::RateLimits;
use crate::config::{BudgetConfig, Tier};
use crate::cost::budget::{self, BudgetLevel};
use crate::cost::day::{LocalTime, now_ms};
use crate::cost::session::{RebuildEstimate, TTL_1H};
use crate::cost::{Ledger, LedgerError, Pricing, RequestEnd, SessionAccount, format_usd, group};

use crate::tui::app::App;
use crate::tui::app::cost_prompt::Pending;
use crate::tui::render::cells::NoticeKind;
use crate::tui::widgets::sidebar::Section;

/// What the app needs to account for money.
#[derive(Clone)]
pub struct CostOptions {
    pub pricing: Arc<Pricing>,
    pub budget: BudgetConfig,
    pub local: LocalTime,
    /// The model each tier maps to at start (later `ModelChanged` updates refine it): what
    /// `/extract` asks.
    pub tier_models: Vec<(Tier, String)>,
    /// Where today's spend is read; `None` uses the session's own total.
    pub ledger: Option<Arc<dyn Ledger>>,
}

impl Default for CostOptions {
    fn default() -> Self {
        Self {
            pricing: Arc::new(Pricing::embedded()),
            budget: BudgetConfig::default(),
            local: LocalTime::utc(),
            tier_models: Vec::new(),
            ledger: None,
        }
    }
}

/// The app's cost state; see the module docs.
pub struct CostState {
    pub(in crate::tui) account: SessionAccount,
    pub(in crate::tui) budget: BudgetConfig,
    pub(in crate::tui) local: LocalTime,
    tier_models: Vec<(Tier, String)>,
    ledger: Option<Arc<dyn Ledger>>,
    /// Today's spend from the ledger, with the local midnight it was read after.
    spent_today: Option<(f64, i64)>,
    /// Whether a ledger read failure was already reported.
    ledger_error_shown: bool,
    /// A send waiting for the over-budget confirmation.
    pub(in crate::tui) confirm: Option<Pending>,
    /// The time of the frame being drawn, set by `tick`: what the countdown counts from.
    pub(in crate::tui) now: Option<Instant>,
    /// The tier-switch cache notice since the last request, rewritten by the next switch
    /// so several switches in a row leave one notice.
    pub(in crate::tui) switch_notice: Option<u64>,
    /// When the binding rate limit resets, on the app's clock: the sidebar counts down to
    /// it, then shows the figures as stale (they describe a window that has passed).
    pub(in crate::tui) limits_reset_at: Option<Instant>,
}

impl CostState {
    pub fn new(options: CostOptions) -> Self {
        Self {
            account: SessionAccount::new(options.pricing, options.budget.alert_factor),
            budget: options.budget,
            local: options.local,
            tier_models: options.tier_models,
            ledger: options.ledger,
            spent_today: None,
            ledger_error_shown: false,
            confirm: None,
            now: None,
            limits_reset_at: None,
            switch_notice: None,
        }
    }
}

impl App {
    /// The usage ledger the event loop reads today's spend from.
    pub fn ledger(&self) -> Option<Arc<dyn Ledger>> {
        self.cost.ledger.clone()
    }

    pub fn local_time(&self) -> LocalTime {
        self.cost.local
    }

    /// Today's committed spend as the ledger reports it (a failed read keeps the last one).
    pub fn set_spent_today(&mut self, spent: Result<f64, LedgerError>) {
        match spent {
            Ok(usd) => {
                let midnight = self.cost.local.midnight_ms(now_ms());
                self.cost.spent_today = Some((usd, midnight));
            }
            Err(e) if !self.cost.ledger_error_shown => {
                self.cost.ledger_error_shown = true;
                self.notice(
                    NoticeKind::Error,
                    format!("{e}: today's spend may be incomplete"),
                );
            }
            Err(_) => {}
        }
    }

    /// Today's spend across sessions, the open request's running cost included.
    pub(in crate::tui) fn today_spend(&self) -> f64 {
        let account = &self.cost.account;
        match self.cost.spent_today {
            Some((usd, midnight)) if midnight == self.cost.local.midnight_ms(now_ms()) => {
                usd + account.in_flight_cost()
            }
            Some(_) => account.in_flight_cost(),
            None => account.totals().cost_usd,
        }
    }

    pub(in crate::tui) fn budget_level(&self) -> Option<BudgetLevel> {
        budget::level(self.today_spend(), self.cost.budget.daily_usd)
    }

    /// The model `tier` means, as the engine last said.
    pub(in crate::tui) fn model_of_tier(&self, tier: Tier) -> Option<String> {
        let models = &self.cost.tier_models;
        models
            .iter()
            .find(|(t, _)| *t == tier)
            .map(|(_, m)| m.clone())
    }

    /// The engine said `tier` now means `model`.
    pub(in crate::tui) fn tier_means(&mut self, tier: Option<Tier>, model: &str) {
        let Some(tier) = tier else { return };
        let models = &mut self.cost.tier_models;
        match models.iter_mut().find(|(t, _)| *t == tier) {
            Some(entry) => entry.1 = model.to_owned(),
            None => models.push((tier, model.to_owned())),
        }
    }

    /// A request's stream opened, for `tier`'s model (`None`: pinned by id).
    pub(in crate::tui) fn request_connected(
        &mut self,
        model: &str,
        tier: Option<Tier>,
        limits: &RateLimits,
        now: Instant,
    ) {
        let alert = self.cost.account.begin_request(model, tier, now.into_std());
        self.cost.switch_notice = None;
        self.cost.account.set_rate_limits(limits);
        if let Some(limits) = self.cost.account.rate_limits() {
            self.cost.limits_reset_at = reset_instant(limits, now, now_ms());
        }
        self.cost_alert(alert.map(|a| a.to_string()));
    }

    pub(in crate::tui) fn request_usage(
        &mut self,
        model: &str,
        usage: &Usage,
        cost: Option<f64>,
        now: Instant,
    ) {
        self.cost
            .account
            .update_usage(model, usage, cost, now.into_std());
    }

    /// The engine ended a request: its final figures, and today's spend with it.
    pub(in crate::tui) fn request_ended(&mut self, end: &RequestEnd, now: Instant) {
        let alert = self.cost.account.finish_request(end, now.into_std());
        if let Some(usd) = end.today_usd {
            self.set_spent_today(Ok(usd));
        }
        self.cost_alert(alert.map(|a| a.to_string()));
    }

    fn cost_alert(&mut self, alert: Option<String>) {
        if let Some(text) = alert {
            self.notice(NoticeKind::Cost, text);
        }
    }

    /// The engine confirmed a tier or model change: warn when it throws a warm cache away.
    pub(in crate::tui) fn model_changed(&mut self, tier: Option<Tier>, model: &str, now: Instant) {
        self.tier_means(tier, model);
        let at = now.into_std();
        let warm_here = (self.cost.account.cache())
            .is_some_and(|c| c.model == model && c.remaining(at).is_some());
        let text = match self.cost.account.rebuild_estimate(model, at) {
            Some(estimate) => rebuild_text(&estimate),
            // Back on the model whose cache is warm: the earlier warning no longer holds.
            None if warm_here && self.cost.switch_notice.is_some() => format!(
                "back on {}: its prompt cache is still warm",
                crate::sanitize::sanitize_line(model)
            ),
            None => return,
        };
        // Switches with no request between them rewrite one notice instead of adding more.
        let previous = self
            .cost
            .switch_notice
            .and_then(|id| self.conversation.cell_mut(id));
        match previous {
            Some(cell) => {
                if let crate::tui::render::cells::CellKind::Notice { text: t, .. } = &mut cell.kind
                {
                    *t = text;
                }
            }
            None => {
                let id = self
                    .conversation
                    .push(crate::tui::render::cells::CellKind::Notice {
                        kind: NoticeKind::Cost,
                        text,
                    });
                self.cost.switch_notice = Some(id);
            }
        }
    }

    /// When the sidebar's countdown next changes, if it is on screen. Also sets the clock
    /// the sidebar draws with.
    pub(in crate::tui) fn cost_tick(&mut self, now: Instant) -> Option<Instant> {
        self.cost.now = Some(now);
        if self.help.shown {
            return None;
        }
        // The countdowns first: whether the sidebar shows them lays the whole sidebar out,
        // and this runs after every event (many a frame while an answer streams).
        let cache = self
            .cost
            .account
            .cache()
            .and_then(|cache| cache.remaining(now.into_std()));
        // The rate-limit countdown, and the frame that turns its figures stale.
        let limits = self
            .cost
            .limits_reset_at
            .and_then(|at| at.checked_duration_since(now))
            .filter(|left| !left.is_zero());
        if cache.is_none() && limits.is_none() {
            return None;
        }
        let shown = self.sidebar_sections();
        let cache = cache.filter(|_| shown.contains(&Section::Cache));
        let limits = limits.filter(|_| shown.contains(&Section::Limits));
        let next = |left: Duration| {
            // The figure is whole seconds rounded up: it changes as `left` crosses a second.
            let into_second = left - Duration::from_secs(left.as_secs());
            let wait = if into_second.is_zero() {
                Duration::from_secs(1)
            } else {
                into_second
            };
            now + wait
        };
        match (cache.map(next), limits.map(next)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The binding limit's reset (an RFC 3339 wall-clock time) as an instant on the app's
/// clock, read when the headers arrived (`now`, `now_ms`).
fn reset_instant(limits: &RateLimits, now: Instant, now_ms: i64) -> Option<Instant> {
    let reset = crate::tui::widgets::sidebar_sections::binding_reset(limits)?;
    let at_ms = LocalTime::epoch_ms(reset)?;
    let left = u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0);
    Some(now + Duration::from_millis(left))
}

/// "switching to claude-haiku-4-5 rebuilds the prompt cache: about 5,000 tokens, ≈ $0.0063
/// at its cache-write price".
fn rebuild_text(estimate: &RebuildEstimate) -> String {
    let model = crate::sanitize::sanitize_line(&estimate.model);
    let ttl = if estimate.ttl >= TTL_1H { "1h" } else { "5m" };
    let cost = match estimate.cost_usd {
        Some(usd) => format!("≈ {} at its {ttl} cache-write price", format_usd(usd)),
        None => "price unknown".to_owned(),
    };
    format!(
        "switching to {model} rebuilds the prompt cache: about {} tokens, {cost}",
        group(estimate.tokens)
    )
}
