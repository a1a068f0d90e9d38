//! The sidebar's sections as lines: what each shows, and in which role. Layout (which
//! sections fit, in what order) is `sidebar.rs`.

use std::time::Duration;

use ratatui::text::Line;

use crate::api::ratelimit::{Bucket, RateLimits};
use crate::config::Tier;
use crate::cost::budget::{self, BudgetLevel};
use crate::cost::session::{RequestRecord, RequestState, TTL_1H, Totals};
use crate::cost::{format_usd, group};
use crate::sanitize::sanitize_line;

use crate::tui::app::App;
use crate::tui::render::theme::Role;
use crate::tui::render::wrap::truncate;
use crate::tui::widgets::sidebar::{Section, compact, percent};

type Lines = Vec<Line<'static>>;

impl App {
    /// The lines of `section`; `None` when it has nothing to show yet.
    pub(in crate::tui) fn section_lines(&self, section: Section, width: usize) -> Option<Lines> {
        match section {
            Section::Model => Some(self.model_section(width)),
            Section::Last => Some(self.last_section(width)),
            Section::Session => Some(self.session_section(width)),
            Section::Today => Some(self.today_section(width)),
            Section::Mcp => self.mcp_section(width),
            Section::Context => self.context_section(width),
            Section::Cache => self.cache_section(width),
            Section::Limits => self.limits_section(width),
        }
    }

    fn model_section(&self, width: usize) -> Lines {
        let model = sanitize_line(&self.status.model).into_owned();
        let (tier, role) = match (&self.status.fell_back, self.status.tier) {
            (Some((from, _)), _) => (format!("fell back from {from}"), Role::Warning),
            (None, Some(t)) => (format!("{t} tier"), Role::Dim),
            (None, None) => ("custom model".to_owned(), Role::Dim),
        };
        let mut lines = vec![
            self.heading("Model", None, width),
            Line::styled(
                truncate(&model, width),
                self.theme.style(Role::AssistantLabel),
            ),
            Line::styled(
                truncate(&sanitize_line(&tier), width),
                self.theme.style(role),
            ),
        ];
        // The project instructions ride in every request's system prompt: named here.
        if let Some(line) = self.instructions_line() {
            lines.push(self.note(&format!("+ {line}"), width));
        }
        self.reasoning_lines(&mut lines, width);
        lines
    }

    fn last_section(&self, width: usize) -> Lines {
        let Some(request) = self.cost.account.last_request() else {
            return vec![
                self.heading("Last request", None, width),
                self.note("none yet", width),
            ];
        };
        let title = match request.state {
            RequestState::Streaming => "Streaming",
            RequestState::Finished => "Last request",
            RequestState::Failed => "Last (failed)",
            RequestState::Interrupted => "Last (interrupted)",
        };
        // `≈`: the output (and so the cost) is estimated from the text that arrived.
        let approx = if request.output_estimated { "≈ " } else { "" };
        let cost = match request.cost_usd {
            Some(usd) => (format!("{approx}{}", format_usd(usd)), Role::Cost),
            None => ("price unknown".to_owned(), Role::Warning),
        };
        let mut lines = vec![self.heading(title, Some(cost), width)];
        if let Some(usage) = &request.usage {
            self.token_rows(&mut lines, crate::cost::Tokens::of(usage), width);
            let searches = crate::api::server_tools::counts(usage).web_search_requests;
            lines.extend(self.searches_row(searches, width));
            if request.output_estimated
                && let Some(output) = lines.last_mut()
            {
                *output = self.row(
                    "output",
                    format!("≈ {}", group(usage.output_tokens)),
                    Role::Text,
                    width,
                );
            }
        }
        self.thinking_row(&mut lines, request, width);
        self.timing_rows(&mut lines, request, width);
        lines
    }

    /// `web searches  2 · $0.02`: billed per search (part of the cost above); none
    /// without searches.
    fn searches_row(&self, n: u64, width: usize) -> Option<Line<'static>> {
        if n == 0 {
            return None;
        }
        let (value, role) = match self.cost.account.pricing().web_search_usd() {
            Some(each) => (format!("{n} · {}", format_usd(each * n as f64)), Role::Cost),
            None => (format!("{n} · price unknown"), Role::Warning),
        };
        Some(self.row("web searches", value, role, width))
    }

    fn token_rows(&self, lines: &mut Lines, t: crate::cost::Tokens, width: usize) {
        for (label, n) in [
            ("input", t.input),
            ("cache read", t.cache_read),
            ("cache write", t.cache_write),
            ("output", t.output),
        ] {
            lines.push(self.row(label, group(n), Role::Text, width));
        }
    }

    fn timing_rows(&self, lines: &mut Lines, request: &RequestRecord, width: usize) {
        let streaming = request.state == RequestState::Streaming;
        let secs = |d: Option<Duration>| match d {
            Some(d) => format!("{:.1} s", d.as_secs_f64()),
            None if streaming => "…".to_owned(),
            None => "—".to_owned(),
        };
        let t = &request.timing;
        let speed = match t.output_tokens_per_sec {
            Some(rate) => format!("{rate:.0} tok/s"),
            None if streaming => "…".to_owned(),
            None => "—".to_owned(),
        };
        lines.push(self.row(
            "first token",
            secs(t.time_to_first_token),
            Role::Text,
            width,
        ));
        lines.push(self.row("total time", secs(t.total), Role::Text, width));
        lines.push(self.row("output speed", speed, Role::Text, width));
    }

    fn session_section(&self, width: usize) -> Lines {
        let t = self.cost.account.totals();
        let mut lines = vec![self.heading("Session", Some(session_cost(&t)), width)];
        if t.requests == 0 {
            lines.push(self.note("no requests yet", width));
            return lines;
        }
        lines.push(self.row("requests", group(u64::from(t.requests)), Role::Text, width));
        self.token_rows(&mut lines, t.tokens(), width);
        lines.extend(self.searches_row(t.web_searches, width));
        let hit = t.hit_rate().map_or("—".to_owned(), percent);
        lines.push(self.row("cache hit rate", hit, Role::Text, width));
        // Savings are known only over priced requests.
        if t.tokens().cache_read + t.tokens().cache_write > 0 && t.requests > t.unpriced {
            let role = if t.saved_usd < 0.0 {
                Role::Warning
            } else {
                Role::Cost
            };
            lines.push(self.row("saved by cache", format_usd(t.saved_usd), role, width));
        }
        for tier in t.tiers() {
            let label = tier
                .tier
                .map_or("custom model".to_owned(), |t: Tier| format!("{t} tier"));
            let value = match (tier.unpriced, tier.requests) {
                (0, _) => (format_usd(tier.cost_usd), Role::Cost),
                (u, n) if u == n => ("price unknown".to_owned(), Role::Warning),
                _ => (format!("≥ {}", format_usd(tier.cost_usd)), Role::Warning),
            };
            lines.push(self.row(&label, value.0, value.1, width));
        }
        lines
    }

    fn today_section(&self, width: usize) -> Lines {
        let spent = self.today_spend();
        // Unpriced requests add nothing to the spend: say it is a lower bound.
        let at_least = if self.cost.account.totals().unpriced > 0 {
            "≥ "
        } else {
            ""
        };
        let Some(limit) = self.cost.budget.daily_usd else {
            let value = format!("{at_least}{}", format_usd(spent));
            return vec![self.heading("Today", Some((value, Role::Cost)), width)];
        };
        let role = match budget::level(spent, Some(limit)) {
            Some(BudgetLevel::Over) => Role::Error,
            Some(BudgetLevel::Warning) => Role::Warning,
            _ => Role::Gauge,
        };
        let value_role = if role == Role::Gauge {
            Role::Cost
        } else {
            role
        };
        let value = format!("{at_least}{} / {}", format_usd(spent), format_usd(limit));
        let fill = budget::fraction(spent, limit);
        let label = if limit > 0.0 {
            percent(spent / limit)
        } else {
            "100%".into()
        };
        vec![
            self.heading("Today", Some((value, value_role)), width),
            self.gauge(fill, role, &label, width),
        ]
    }

    fn context_section(&self, width: usize) -> Option<Lines> {
        let c = self.cost.account.context()?;
        let fraction = if c.window == 0 {
            1.0
        } else {
            c.tokens as f64 / c.window as f64
        };
        let role = if fraction >= 0.95 {
            Role::Error
        } else if fraction >= budget::WARNING_FRACTION {
            Role::Warning
        } else {
            Role::Gauge
        };
        let value = format!("{} / {}", compact(c.tokens), compact(c.window));
        Some(vec![
            self.heading("Context", Some((value, Role::Text)), width),
            self.gauge(fraction, role, &percent(fraction), width),
        ])
    }

    fn cache_section(&self, width: usize) -> Option<Lines> {
        let account = &self.cost.account;
        account.last_request()?;
        let Some(cache) = account.cache() else {
            return Some(vec![self.heading(
                "Cache",
                Some(("not used".to_owned(), Role::Dim)),
                width,
            )]);
        };
        let ttl = if cache.ttl >= TTL_1H { "1h" } else { "5m" };
        let left = self.cost.now.map(|now| cache.remaining(now.into_std()));
        let value = match left {
            Some(Some(left)) => (format!("{} left", countdown(left)), Role::Cost),
            Some(None) => ("expired".to_owned(), Role::Warning),
            None => ("warm".to_owned(), Role::Cost),
        };
        Some(vec![
            self.heading(&format!("Cache ({ttl})"), Some(value), width),
            // Caches are per model: the countdown is this model's.
            self.row(
                "model",
                sanitize_line(&cache.model).into_owned(),
                Role::Text,
                width,
            ),
            self.row(
                "prefix",
                format!("{} tokens", group(cache.tokens)),
                Role::Text,
                width,
            ),
        ])
    }

    fn limits_section(&self, width: usize) -> Option<Lines> {
        let limits = self.cost.account.rate_limits()?;
        // Past the reset, the figures describe a window that is over: dimmed and said so.
        let left = match (self.cost.limits_reset_at, self.cost.now) {
            (Some(at), Some(now)) => Some(at.saturating_duration_since(now)),
            _ => None,
        };
        let stale = left.is_some_and(|l| l.is_zero());
        let (title, figures) = if stale {
            (Some(("stale".to_owned(), Role::Dim)), Role::Dim)
        } else {
            (None, Role::Text)
        };
        let mut lines = vec![self.heading("Rate limits", title, width)];
        let mut rows: Vec<(&str, &Bucket)> = Vec::new();
        if let Some(b) = &limits.requests {
            rows.push(("requests", b));
        }
        match &limits.tokens {
            Some(b) => rows.push(("tokens", b)),
            None => {
                rows.extend(limits.input_tokens.as_ref().map(|b| ("input tokens", b)));
                rows.extend(limits.output_tokens.as_ref().map(|b| ("output tokens", b)));
            }
        }
        for (label, bucket) in &rows {
            let value = match (bucket.remaining, bucket.limit) {
                (Some(r), Some(l)) => format!("{} / {}", compact(r), compact(l)),
                (Some(r), None) => format!("{} left", compact(r)),
                (None, Some(l)) => format!("? / {}", compact(l)),
                (None, None) => "?".to_owned(),
            };
            lines.push(self.row(label, value, figures, width));
        }
        if let Some(reset) = binding_reset(limits) {
            let row = match left {
                Some(left) if !left.is_zero() => ("resets in", countdown(left)),
                _ => {
                    let clock = self.cost.local.clock(reset);
                    let shown = clock.unwrap_or_else(|| sanitize_line(reset).into_owned());
                    (if stale { "reset at" } else { "resets" }, shown)
                }
            };
            lines.push(self.row(row.0, row.1, figures, width));
        }
        Some(lines)
    }
}

/// The session cost: exact, a lower bound when some requests had no price, or unknown.
fn session_cost(t: &Totals) -> (String, Role) {
    match t.unpriced {
        0 => (format_usd(t.cost_usd), Role::Cost),
        n if n == t.requests => ("price unknown".to_owned(), Role::Warning),
        _ => (format!("≥ {}", format_usd(t.cost_usd)), Role::Warning),
    }
}

/// "4:07": minutes and seconds, the seconds rounded up (so 0:00 means expired).
fn countdown(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The reset time of the bucket with the least left (as a share of its limit): when the
/// binding limit frees up.
pub(in crate::tui) fn binding_reset(limits: &RateLimits) -> Option<&str> {
    let share = |b: &Bucket| match (b.remaining, b.limit) {
        (Some(r), Some(l)) if l > 0 => r as f64 / l as f64,
        _ => 1.0,
    };
    [
        &limits.requests,
        &limits.tokens,
        &limits.input_tokens,
        &limits.output_tokens,
    ]
    .into_iter()
    .flatten()
    .filter(|b| b.reset.is_some())
    .min_by(|a, b| share(a).total_cmp(&share(b)))
    .and_then(|b| b.reset.as_deref())
}

#[cfg(test)]
#[path = "sidebar_sections_tests.rs"]
mod tests;
