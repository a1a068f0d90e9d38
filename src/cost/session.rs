//! Session accounting: what the sidebar shows, folded from each request's usage. UI-free.
//!
//! The model: a session is a sequence of requests (every attempt that reached the API, each
//! round of a tool loop its own). A front end reports their life with three calls:
//! [`SessionAccount::begin_request`] when a request's stream opens,
//! [`SessionAccount::update_usage`] each time the running usage changes, and
//! [`SessionAccount::end_request`] when it ends, however it ends.
//!
//! Invariants:
//! - Each request is counted once. The API's usage figures are running totals for the whole
//!   message, so an update *replaces* the open request's usage; only ending the request
//!   (or opening the next one, which ends it) adds it to the session totals.
//! - A request that failed after usage arrived is counted: its tokens were paid for. One
//!   that failed before any usage (an HTTP error, a refused connection) costs nothing and
//!   is not counted.
//! - Money is never guessed: a request on a model without a price adds its tokens, counts
//!   as unpriced and adds no cost (so the session cost is then a lower bound).
//! - Money never undercounts an interrupted request: when the user stops it, the API's
//!   final usage never comes (its running figure still says ~1 output token), so the
//!   engine raises the output to an estimate from the text that arrived
//!   ([`super::estimate_output_tokens`]) and its `RequestEnd` says so; the request is then
//!   marked estimated and interrupted here.
//!
//! Definitions (also in the README):
//! - Cache hit rate = cache-read tokens / all prompt tokens (uncached input + cache writes
//!   + cache reads), over the session.
//! - Saved by the cache = what the priced requests would have cost with no caching (every
//!   prompt token at the input price) minus what they cost: the reads' discount minus the
//!   writes' premium ([`super::savings_usd`]). It is negative until the reads outweigh the
//!   writes.
//! - The cached prefix expires its TTL after the request that last read or wrote it was
//!   processed (timed from that request's first usage, i.e. `message_start`, which is when
//!   the API has read or written the cache). The TTL comes from the write split: any 5 min
//!   write means 5 min (when 1 h and 5 min breakpoints mix, the 5 min tail expires first);
//!   only 1 h writes mean 1 h; a request that only read keeps the TTL known for that model,
//!   else [`DEFAULT_TTL`]. Caches are per model, so one entry is kept per model.
//! - Cost alert: a request costing more than `alert_factor` times the median cost of the
//!   previous [`ALERT_WINDOW`] priced requests, once at least [`ALERT_MIN_HISTORY`] of
//!   them exist (fewer make the median noise).
//!
//! Times are [`Instant`]s passed in by the caller, so tests use explicit times.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::api::Usage;
use crate::api::ratelimit::RateLimits;
use crate::domain::Tier;

use super::ended::{Outcome, RequestEnd};
use super::{Pricing, savings_usd, write_split};

/// How many earlier requests the cost alert's median looks at.
pub const ALERT_WINDOW: usize = 20;
/// How many earlier priced requests the alert needs before it speaks.
pub const ALERT_MIN_HISTORY: usize = 5;
pub const TTL_5M: Duration = Duration::from_secs(5 * 60);
pub const TTL_1H: Duration = Duration::from_secs(60 * 60);
/// The TTL assumed when usage does not tell: the API's default, and what the engine asks for.
pub const DEFAULT_TTL: Duration = TTL_5M;

/// Tokens by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tokens {
    /// Uncached input (after the last cache breakpoint).
    pub input: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub output: u64,
}

impl Tokens {
    pub fn of(usage: &Usage) -> Tokens {
        Tokens {
            input: usage.input_tokens,
            cache_read: usage.cache_read_input_tokens,
            cache_write: usage.cache_creation_input_tokens,
            output: usage.output_tokens,
        }
    }

    /// All prompt tokens: uncached input, cache writes and cache reads.
    pub fn prompt(&self) -> u64 {
        self.input + self.cache_read + self.cache_write
    }
}

/// Timing of one request, when the front end knows it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timing {
    pub time_to_first_token: Option<Duration>,
    pub total: Option<Duration>,
    pub output_tokens_per_sec: Option<f64>,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestState {
    Streaming,
    Finished,
    /// Ended without an answer: an error, or superseded by a retry or fallback.
    Failed,
    /// Stopped by the user while it streamed.
    Interrupted,
}

/// One request as the session knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    pub model: String,
    /// `None` for a model pinned by id.
    pub tier: Option<Tier>,
    /// The latest running usage; `None` until the first arrives.
    pub usage: Option<Usage>,
    /// The price of `usage`; `None` while unknown or when the model has no price.
    pub cost_usd: Option<f64>,
    pub timing: Timing,
    pub state: RequestState,
    pub started_at: Instant,
    /// When the first usage arrived: the API had read or written the cache by then.
    pub usage_at: Option<Instant>,
    /// `usage.output_tokens` (and so the cost) is an estimate from the text that arrived,
    /// not the API's figure (an interrupted request).
    pub output_estimated: bool,
}

impl RequestRecord {
    /// A request whose stream just opened: nothing paid yet.
    fn opened(model: &str, tier: Option<Tier>, at: Instant) -> Self {
        RequestRecord {
            model: model.to_owned(),
            tier,
            usage: None,
            cost_usd: None,
            timing: Timing::default(),
            state: RequestState::Streaming,
            started_at: at,
            usage_at: None,
            output_estimated: false,
        }
    }
}

/// One tier's share of the session.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TierTotal {
    /// `None` for models pinned by id.
    pub tier: Option<Tier>,
    pub requests: u32,
    pub cost_usd: f64,
    /// Requests of this tier without a price (left out of `cost_usd`).
    pub unpriced: u32,
}

/// Session totals.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Requests that produced usage.
    pub requests: u32,
    /// The counted requests' usage, summed; [`Totals::tokens`] reads it by kind.
    pub usage: Usage,
    /// Sum of the priced requests' cost.
    pub cost_usd: f64,
    /// Requests whose model had no price: `cost_usd` leaves them out.
    pub unpriced: u32,
    /// Net money saved by the cache over the priced requests (see the module docs).
    pub saved_usd: f64,
    /// Web searches the counted requests made (`usage.server_tool_use`), billed per search.
    pub web_searches: u64,
    /// Fast, balanced, max, pinned: see [`Totals::tiers`].
    by_tier: [TierTotal; 4],
}

impl Totals {
    /// The summed tokens by kind.
    pub fn tokens(&self) -> Tokens {
        Tokens::of(&self.usage)
    }

    /// Cache reads / all prompt tokens; `None` before any prompt token.
    pub fn hit_rate(&self) -> Option<f64> {
        let tokens = self.tokens();
        let prompt = tokens.prompt();
        (prompt > 0).then(|| tokens.cache_read as f64 / prompt as f64)
    }

    /// The tiers that had requests, fast to max, then pinned models.
    pub fn tiers(&self) -> impl Iterator<Item = TierTotal> + '_ {
        self.by_tier.iter().copied().filter(|t| t.requests > 0)
    }

    fn add(&mut self, request: &RequestRecord, pricing: &Pricing) {
        let Some(usage) = &request.usage else { return };
        self.requests += 1;
        self.usage += usage;
        self.web_searches += crate::api::server_tools::counts(usage).web_search_requests;
        let slot = match request.tier {
            Some(Tier::Fast) => 0,
            Some(Tier::Balanced) => 1,
            Some(Tier::Max) => 2,
            None => 3,
        };
        let tier = &mut self.by_tier[slot];
        tier.tier = request.tier;
        tier.requests += 1;
        match request.cost_usd {
            Some(cost) => {
                self.cost_usd += cost;
                tier.cost_usd += cost;
                if let Some(price) = pricing.price(&request.model) {
                    self.saved_usd += savings_usd(price, usage);
                }
            }
            None => {
                self.unpriced += 1;
                tier.unpriced += 1;
            }
        }
    }
}

/// The cached prompt prefix of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedPrefix {
    pub model: String,
    /// Tokens in the cache after the request: its cache reads plus cache writes.
    pub tokens: u64,
    pub ttl: Duration,
    /// When the prefix was last read or written.
    pub touched_at: Instant,
}

impl CachedPrefix {
    pub fn expires_at(&self) -> Instant {
        self.touched_at + self.ttl
    }

    /// Time left before it expires; `None` once expired.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        let left = self.expires_at().saturating_duration_since(now);
        (!left.is_zero()).then_some(left)
    }
}

/// What switching to another model would cost in cache rebuilding.
#[derive(Debug, Clone, PartialEq)]
pub struct RebuildEstimate {
    pub model: String,
    pub tokens: u64,
    pub ttl: Duration,
    /// At the target's cache-write price for `ttl`; `None` when it has no price.
    pub cost_usd: Option<f64>,
}

/// A request that cost far more than usual.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostAlert {
    pub cost_usd: f64,
    pub median_usd: f64,
    /// How many earlier requests the median is over.
    pub window: usize,
}

impl std::fmt::Display for CostAlert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "this request cost {}, {:.1}x the median of the last {} ({})",
            super::format_usd(self.cost_usd),
            self.cost_usd / self.median_usd,
            self.window,
            super::format_usd(self.median_usd)
        )
    }
}

/// The context gauge's figures, as the engine reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFill {
    pub model: String,
    pub tokens: u64,
    pub window: u64,
}

/// The session's requests, totals, cache and limits. See the module docs.
#[derive(Debug)]
pub struct SessionAccount {
    pricing: Arc<Pricing>,
    alert_factor: f64,
    open: Option<RequestRecord>,
    last: Option<RequestRecord>,
    committed: Totals,
    recent_costs: VecDeque<f64>,
    caches: Vec<CachedPrefix>,
    rate_limits: Option<RateLimits>,
    context: Option<ContextFill>,
}

impl SessionAccount {
    /// An empty session pricing savings and rebuilds with `pricing`; `alert_factor` is
    /// `budget.alert_factor`.
    pub fn new(pricing: Arc<Pricing>, alert_factor: f64) -> Self {
        Self {
            pricing,
            alert_factor,
            open: None,
            last: None,
            committed: Totals::default(),
            recent_costs: VecDeque::with_capacity(ALERT_WINDOW + 1),
            caches: Vec::new(),
            rate_limits: None,
            context: None,
        }
    }

    pub fn pricing(&self) -> &Pricing {
        &self.pricing
    }

    /// A request's stream opened. An open request is ended first (as failed: a retry or
    /// fallback superseded it, or the front end missed its end); its alert, if any, is
    /// returned.
    pub fn begin_request(
        &mut self,
        model: &str,
        tier: Option<Tier>,
        at: Instant,
    ) -> Option<CostAlert> {
        let alert = self.end_request(None, true, at);
        self.open = Some(RequestRecord::opened(model, tier, at));
        alert
    }

    /// The open request's running usage and its cost. Replaces, never adds. Usage with no
    /// open request opens one (tier unknown).
    pub fn update_usage(&mut self, model: &str, usage: &Usage, cost: Option<f64>, at: Instant) {
        if self.open.is_none() {
            self.begin_request(model, None, at);
        }
        if let Some(open) = &mut self.open {
            open.model = model.to_owned();
            open.usage = Some(usage.clone());
            open.cost_usd = cost;
            open.usage_at.get_or_insert(at);
        }
    }

    /// Ends the open request and adds it to the totals (if it produced usage). Returns a
    /// cost alert when it cost far more than usual.
    pub fn end_request(
        &mut self,
        timing: Option<Timing>,
        failed: bool,
        at: Instant,
    ) -> Option<CostAlert> {
        let mut request = self.open.take()?;
        request.usage.as_ref()?;
        request.state = if failed {
            RequestState::Failed
        } else {
            RequestState::Finished
        };
        if let Some(timing) = timing {
            request.timing = timing;
        } else if request.timing.total.is_none() {
            request.timing.total = Some(at.saturating_duration_since(request.started_at));
        }
        self.committed.add(&request, &self.pricing);
        self.touch_cache(&request);
        let alert = request.cost_usd.and_then(|c| self.check_alert(c));
        self.last = Some(request);
        alert
    }

    /// The engine's word that a request ended: its final usage, cost, tier and timing
    /// replace what streamed, and it is counted (once) if it produced usage. With no open
    /// request (print mode, or a request that never streamed) it stands on its own.
    pub fn finish_request(&mut self, end: &RequestEnd, at: Instant) -> Option<CostAlert> {
        if self.open.is_none() && end.usage.is_none() {
            return None;
        }
        let open =
            (self.open).get_or_insert_with(|| RequestRecord::opened(&end.model, end.tier, at));
        open.model = end.model.clone();
        open.tier = end.tier;
        open.usage = end.usage.clone();
        open.cost_usd = end.cost_usd;
        open.output_estimated = end.usage_estimated;
        if open.usage.is_some() {
            open.usage_at.get_or_insert(at);
        }
        let alert = self.end_request(end.timing, end.outcome != Outcome::Answered, at);
        // The user stopped it: labelled so, not as a failure (when it was counted at all).
        if end.outcome == Outcome::Interrupted
            && end.usage.is_some()
            && let Some(last) = &mut self.last
        {
            last.state = RequestState::Interrupted;
        }
        alert
    }

    /// A request made beside the conversation (a background title): its usage counts in
    /// the totals, but it neither ends the open request nor becomes the "last" one.
    pub fn add_background(
        &mut self,
        model: &str,
        tier: Option<Tier>,
        usage: &Usage,
        cost: Option<f64>,
        at: Instant,
    ) {
        let request = RequestRecord {
            model: model.to_owned(),
            tier,
            usage: Some(usage.clone()),
            cost_usd: cost,
            timing: Timing::default(),
            state: RequestState::Finished,
            started_at: at,
            usage_at: Some(at),
            output_estimated: false,
        };
        self.committed.add(&request, &self.pricing);
    }

    /// The request to show as "last": the open one once it has usage, else the last ended.
    pub fn last_request(&self) -> Option<&RequestRecord> {
        self.open
            .as_ref()
            .filter(|r| r.usage.is_some())
            .or(self.last.as_ref())
    }

    /// Session totals, the open request included (once).
    pub fn totals(&self) -> Totals {
        let mut totals = self.committed.clone();
        if let Some(open) = &self.open {
            totals.add(open, &self.pricing);
        }
        totals
    }

    /// Known cost of the open request so far (0 when none or unpriced).
    pub fn in_flight_cost(&self) -> f64 {
        self.open.as_ref().and_then(|r| r.cost_usd).unwrap_or(0.0)
    }

    /// The most recently touched cached prefix, expired or not.
    pub fn cache(&self) -> Option<&CachedPrefix> {
        self.caches.iter().max_by_key(|c| c.touched_at)
    }

    /// The cost of switching to `target` while another model's prefix is still cached:
    /// its tokens written again at the target's cache-write price (for the TTL in use), less
    /// whatever of it the target still has cached itself. `None` when nothing warm would
    /// be lost.
    pub fn rebuild_estimate(&self, target: &str, now: Instant) -> Option<RebuildEstimate> {
        let current = self.cache().filter(|c| c.remaining(now).is_some())?;
        if current.model == target {
            return None;
        }
        let target_warm = self
            .caches
            .iter()
            .find(|c| c.model == target && c.remaining(now).is_some())
            .map_or(0, |c| c.tokens);
        let tokens = current.tokens.saturating_sub(target_warm);
        if tokens == 0 {
            return None;
        }
        let cost_usd = self.pricing.price(target).map(|p| {
            let per_million = if current.ttl >= TTL_1H {
                p.cache_write_1h
            } else {
                p.cache_write_5m
            };
            tokens as f64 * per_million / 1_000_000.0
        });
        Some(RebuildEstimate {
            model: target.to_owned(),
            tokens,
            ttl: current.ttl,
            cost_usd,
        })
    }

    /// The rate limits of the latest response; empty header sets are ignored.
    pub fn set_rate_limits(&mut self, limits: &RateLimits) {
        if !limits.is_empty() {
            self.rate_limits = Some(limits.clone());
        }
    }

    pub fn rate_limits(&self) -> Option<&RateLimits> {
        self.rate_limits.as_ref()
    }

    pub fn set_context(&mut self, model: &str, tokens: u64, window: u64) {
        self.context = Some(ContextFill {
            model: model.to_owned(),
            tokens,
            window,
        });
    }

    pub fn context(&self) -> Option<&ContextFill> {
        self.context.as_ref()
    }

    fn touch_cache(&mut self, request: &RequestRecord) {
        let Some(usage) = &request.usage else { return };
        let tokens = usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
        if tokens == 0 {
            return;
        }
        let previous = self.caches.iter().position(|c| c.model == request.model);
        let (write_5m, write_1h) = write_split(usage);
        let ttl = if write_5m > 0 {
            TTL_5M
        } else if write_1h > 0 {
            TTL_1H
        } else {
            previous.map_or(DEFAULT_TTL, |i| self.caches[i].ttl)
        };
        let entry = CachedPrefix {
            model: request.model.clone(),
            tokens,
            ttl,
            touched_at: request.usage_at.unwrap_or(request.started_at),
        };
        match previous {
            Some(i) => self.caches[i] = entry,
            None => self.caches.push(entry),
        }
    }

    /// Compares `cost` with the median of the earlier requests, then adds it to them.
    fn check_alert(&mut self, cost: f64) -> Option<CostAlert> {
        let alert = (self.recent_costs.len() >= ALERT_MIN_HISTORY)
            .then(|| median(&self.recent_costs))
            .filter(|m| *m > 0.0 && cost > self.alert_factor * m)
            .map(|median_usd| CostAlert {
                cost_usd: cost,
                median_usd,
                window: self.recent_costs.len(),
            });
        self.recent_costs.push_back(cost);
        if self.recent_costs.len() > ALERT_WINDOW {
            self.recent_costs.pop_front();
        }
        alert
    }
}

fn median(values: &VecDeque<f64>) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[mid],
        _ => (sorted[mid - 1] + sorted[mid]) / 2.0,
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
