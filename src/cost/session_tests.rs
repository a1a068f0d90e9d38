//! Session accounting with explicit times and hand-computed figures.

use super::*;
use crate::api::CacheCreation;
use crate::cost::{ModelPrice, Outcome, RequestEnd, cost_usd};

const SONNET: &str = "claude-sonnet-4-6";
const HAIKU: &str = "claude-haiku-4-5";

fn account() -> SessionAccount {
    SessionAccount::new(Arc::new(Pricing::embedded()), 3.0)
}

fn usage(input: u64, write: u64, read: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
        output_tokens: output,
        ..Usage::default()
    }
}

fn priced(model: &str, u: &Usage) -> Option<f64> {
    Pricing::embedded().cost(model, u)
}

/// One whole request: opened, its usage reported, ended.
fn request(a: &mut SessionAccount, model: &str, u: &Usage, at: Instant) -> Option<CostAlert> {
    a.begin_request(model, Some(Tier::Balanced), at);
    a.update_usage(model, u, priced(model, u), at);
    a.end_request(None, false, at + Duration::from_secs(2))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn running_usage_replaces_and_each_request_counts_once() {
    let mut a = account();
    let t0 = Instant::now();
    a.begin_request(SONNET, Some(Tier::Balanced), t0);
    // message_start, then message_delta twice: running totals, not increments.
    for output in [1, 200, 500] {
        let u = usage(1000, 2000, 3000, output);
        a.update_usage(SONNET, &u, priced(SONNET, &u), t0);
        let totals = a.totals();
        assert_eq!(totals.requests, 1);
        assert_eq!(totals.tokens().output, output);
        assert_eq!(totals.tokens().input, 1000);
    }
    let timing = Timing {
        time_to_first_token: Some(Duration::from_millis(800)),
        total: Some(Duration::from_secs(3)),
        output_tokens_per_sec: Some(227.0),
    };
    assert_eq!(a.end_request(Some(timing), false, t0), None);
    let totals = a.totals();
    assert_eq!(totals.requests, 1);
    assert_eq!(
        totals.tokens(),
        Tokens {
            input: 1000,
            cache_read: 3000,
            cache_write: 2000,
            output: 500
        }
    );
    // 1000 x 3 + 2000 x 3.75 + 3000 x 0.30 + 500 x 15 = 18900 µ$.
    assert!(close(totals.cost_usd, 0.0189), "{}", totals.cost_usd);
    let last = a.last_request().unwrap();
    assert_eq!(last.state, RequestState::Finished);
    assert_eq!(last.timing, timing);
    assert_eq!(last.cost_usd.map(|c| (c * 1e6).round()), Some(18900.0));
    // Ending again, or a stray end, adds nothing.
    assert_eq!(a.end_request(None, false, t0), None);
    assert_eq!(a.totals().requests, 1);
}

#[test]
fn a_request_that_failed_after_usage_is_counted_and_one_before_is_not() {
    let mut a = account();
    let t0 = Instant::now();
    // Overloaded before message_start: nothing was used.
    a.begin_request(SONNET, Some(Tier::Balanced), t0);
    a.end_request(None, true, t0);
    assert_eq!(a.totals().requests, 0);
    assert_eq!(a.last_request(), None);
    // message_start arrived, then the stream broke: the prompt was paid for.
    a.begin_request(SONNET, Some(Tier::Balanced), t0);
    let u = usage(5000, 0, 0, 1);
    a.update_usage(SONNET, &u, priced(SONNET, &u), t0);
    a.end_request(None, true, t0 + Duration::from_secs(1));
    let totals = a.totals();
    assert_eq!(totals.requests, 1);
    // 5000 x 3 + 1 x 15 = 15015 µ$.
    assert!(close(totals.cost_usd, 0.015015));
    let last = a.last_request().unwrap();
    assert_eq!(last.state, RequestState::Failed);
    assert_eq!(last.timing.total, Some(Duration::from_secs(1)));
}

#[test]
fn an_interrupted_request_counts_the_estimate_the_engine_made() {
    let mut a = account();
    let t0 = Instant::now();
    a.begin_request(SONNET, Some(Tier::Balanced), t0);
    // message_start's running usage says 1 output token; the engine estimated 100 from
    // the 400 characters that arrived.
    let u = usage(5000, 0, 0, 1);
    a.update_usage(SONNET, &u, priced(SONNET, &u), t0);
    let mut stopped = end(SONNET, Some(usage(5000, 0, 0, 100)), Outcome::Interrupted);
    stopped.usage_estimated = true;
    a.finish_request(&stopped, t0);
    let last = a.last_request().unwrap();
    assert_eq!(last.state, RequestState::Interrupted);
    assert!(last.output_estimated);
    assert_eq!(last.usage.as_ref().unwrap().output_tokens, 100);
    // 5000 x 3 + 100 x 15 = 16500 µ$: never the 15015 the running usage said.
    assert!(
        close(a.totals().cost_usd, 0.0165),
        "{}",
        a.totals().cost_usd
    );
    assert_eq!(a.totals().tokens().output, 100);
    // Interrupted before any usage: nothing paid, nothing counted.
    a.begin_request(SONNET, Some(Tier::Balanced), t0);
    a.finish_request(&end(SONNET, None, Outcome::Interrupted), t0);
    assert_eq!(a.totals().requests, 1);
}

#[test]
fn a_fallback_ends_the_superseded_request_when_the_next_one_opens() {
    let mut a = account();
    let t0 = Instant::now();
    a.begin_request(SONNET, Some(Tier::Balanced), t0);
    let u = usage(100, 0, 0, 1);
    a.update_usage(SONNET, &u, priced(SONNET, &u), t0);
    // The engine fell back to haiku: the sonnet request is over, counted once.
    a.begin_request(HAIKU, Some(Tier::Fast), t0);
    assert_eq!(a.totals().requests, 1);
    let u2 = usage(100, 0, 0, 50);
    a.update_usage(HAIKU, &u2, priced(HAIKU, &u2), t0);
    a.end_request(None, false, t0);
    let totals = a.totals();
    assert_eq!(totals.requests, 2);
    // Sonnet: 100 x 3 + 15 = 315; haiku: 100 x 1 + 50 x 5 = 350 µ$.
    let tiers: Vec<_> = totals.tiers().collect();
    assert_eq!(tiers.len(), 2);
    assert_eq!((tiers[0].tier, tiers[0].requests), (Some(Tier::Fast), 1));
    assert!(close(tiers[0].cost_usd, 0.00035));
    assert_eq!(tiers[1].tier, Some(Tier::Balanced));
    assert!(close(tiers[1].cost_usd, 0.000315));
    assert!(close(totals.cost_usd, 0.000665));
}

#[test]
fn hit_rate_and_savings_follow_their_definitions() {
    let mut a = account();
    let t0 = Instant::now();
    // First turn writes 10,000 tokens; the next two read them and write 1,000 more each.
    request(&mut a, SONNET, &usage(50, 10_000, 0, 100), t0);
    request(&mut a, SONNET, &usage(50, 1000, 10_000, 100), t0);
    request(&mut a, SONNET, &usage(50, 1000, 11_000, 100), t0);
    let totals = a.totals();
    // Reads 21,000 of 150 + 12,000 + 21,000 = 33,150 prompt tokens.
    let rate = totals.hit_rate().unwrap();
    assert!(close(rate, 21_000.0 / 33_150.0), "{rate}");
    // Reads save 21,000 x (3 - 0.30) = 56700 µ$; writes cost 12,000 x (3.75 - 3) = 9000 µ$
    // more than plain input: net 47700 µ$.
    assert!(close(totals.saved_usd, 0.0477), "{}", totals.saved_usd);
    // After the first request alone the cache had only cost money.
    let mut first = account();
    request(&mut first, SONNET, &usage(50, 10_000, 0, 100), t0);
    assert!(close(first.totals().saved_usd, -0.0075));
    assert_eq!(account().totals().hit_rate(), None);
}

#[test]
fn unpriced_models_count_tokens_but_no_money() {
    let mut a = account();
    let t0 = Instant::now();
    request(&mut a, "claude-sonnet-5", &usage(1000, 0, 500, 10), t0);
    request(&mut a, SONNET, &usage(1000, 0, 0, 0), t0);
    let totals = a.totals();
    assert_eq!(totals.requests, 2);
    assert_eq!(totals.unpriced, 1);
    assert_eq!(totals.tokens().input, 2000);
    assert!(close(totals.cost_usd, 0.003));
    // The unpriced request's reads save nothing we could name.
    assert!(close(totals.saved_usd, 0.0));
    assert_eq!(a.last_request().unwrap().cost_usd, Some(0.003));
    let balanced = totals.tiers().next().unwrap();
    assert_eq!((balanced.requests, balanced.unpriced), (2, 1));
}

#[test]
fn the_cache_expires_its_ttl_after_the_last_read_or_write() {
    let mut a = account();
    let t0 = Instant::now();
    assert_eq!(a.cache(), None);
    // A request with no cache activity leaves no prefix.
    request(&mut a, SONNET, &usage(500, 0, 0, 10), t0);
    assert_eq!(a.cache(), None);
    // A 5 min write at t0 (usage_at is t0).
    request(&mut a, SONNET, &usage(10, 4000, 0, 10), t0);
    let c = a.cache().unwrap().clone();
    assert_eq!((c.tokens, c.ttl), (4000, TTL_5M));
    assert_eq!(
        c.remaining(t0 + Duration::from_secs(60)),
        Some(Duration::from_secs(240))
    );
    assert_eq!(c.remaining(t0 + TTL_5M), None);
    // A read at t0 + 4 min refreshes it: it now expires at 9 min.
    let t4 = t0 + Duration::from_secs(240);
    request(&mut a, SONNET, &usage(10, 100, 4000, 10), t4);
    let c = a.cache().unwrap();
    assert_eq!(c.tokens, 4100);
    assert_eq!(c.expires_at(), t0 + Duration::from_secs(540));
    assert!(c.remaining(t0 + Duration::from_secs(539)).is_some());
    assert!(c.remaining(t0 + Duration::from_secs(540)).is_none());
}

#[test]
fn the_ttl_comes_from_the_write_split() {
    let t0 = Instant::now();
    let with_split = |m5: u64, h1: u64, read: u64| Usage {
        cache_creation: Some(CacheCreation {
            ephemeral_5m_input_tokens: m5,
            ephemeral_1h_input_tokens: h1,
        }),
        ..usage(10, m5 + h1, read, 10)
    };
    let mut a = account();
    request(&mut a, SONNET, &with_split(0, 3000, 0), t0);
    assert_eq!(a.cache().unwrap().ttl, TTL_1H);
    // Only reads: the TTL known for the model stays.
    request(&mut a, SONNET, &usage(10, 0, 3000, 10), t0);
    assert_eq!(a.cache().unwrap().ttl, TTL_1H);
    // A 5 min tail after 1 h breakpoints expires first.
    request(&mut a, SONNET, &with_split(200, 100, 3000), t0);
    assert_eq!(a.cache().unwrap().ttl, TTL_5M);
    // Reads on a model never seen writing: the default.
    let mut b = account();
    request(&mut b, SONNET, &usage(10, 0, 3000, 10), t0);
    assert_eq!(b.cache().unwrap().ttl, DEFAULT_TTL);
}

#[test]
fn switching_models_while_warm_estimates_the_rebuild() {
    let mut a = account();
    let t0 = Instant::now();
    request(&mut a, SONNET, &usage(10, 2000, 3000, 10), t0);
    let soon = t0 + Duration::from_secs(30);
    // 5,000 cached tokens at haiku's 5 min write price 1.25: 6250 µ$.
    let est = a.rebuild_estimate(HAIKU, soon).unwrap();
    assert_eq!((est.tokens, est.ttl), (5000, TTL_5M));
    assert!(close(est.cost_usd.unwrap(), 0.00625));
    // On opus 5 (6.25): 31250 µ$. Unpriced target: tokens but no figure.
    let opus = a.rebuild_estimate("claude-opus-5", soon).unwrap();
    assert!(close(opus.cost_usd.unwrap(), 0.03125));
    let unknown = a.rebuild_estimate("claude-sonnet-5", soon).unwrap();
    assert_eq!((unknown.tokens, unknown.cost_usd), (5000, None));
    // Same model, or an expired cache: nothing to rebuild.
    assert_eq!(a.rebuild_estimate(SONNET, soon), None);
    assert_eq!(a.rebuild_estimate(HAIKU, t0 + TTL_5M), None);
    // Haiku built a 3,000-token prefix of its own meanwhile (now the current one); going
    // back to sonnet, whose 5,000 are still warm, loses nothing.
    request(
        &mut a,
        HAIKU,
        &usage(10, 3000, 0, 10),
        t0 + Duration::from_secs(60),
    );
    assert_eq!(
        a.rebuild_estimate(SONNET, t0 + Duration::from_secs(90)),
        None
    );
    // But after sonnet expired, its 3,000 tokens at 3.75: 11250 µ$.
    let t6 = t0 + Duration::from_secs(330);
    let back = a.rebuild_estimate(SONNET, t6).unwrap();
    assert_eq!(back.tokens, 3000);
    assert!(close(back.cost_usd.unwrap(), 0.01125));
}

#[test]
fn a_1h_cache_is_rebuilt_at_the_1h_price() {
    let mut a = account();
    let t0 = Instant::now();
    let u = Usage {
        cache_creation: Some(CacheCreation {
            ephemeral_5m_input_tokens: 0,
            ephemeral_1h_input_tokens: 4000,
        }),
        ..usage(10, 4000, 0, 10)
    };
    request(&mut a, SONNET, &u, t0);
    // 4,000 at haiku's 1 h price 2.00: 8000 µ$; still warm after 30 minutes.
    let est = a
        .rebuild_estimate(HAIKU, t0 + Duration::from_secs(1800))
        .unwrap();
    assert_eq!(est.ttl, TTL_1H);
    assert!(close(est.cost_usd.unwrap(), 0.008));
}

#[test]
fn an_alert_needs_history_and_a_cost_far_above_the_median() {
    let mut a = account();
    let t0 = Instant::now();
    let small = usage(1000, 0, 0, 0); // 3000 µ$ on sonnet
    let big = usage(4000, 0, 0, 0); // 12000 µ$: 4x
    // Too little history: no alert even for a big request.
    for _ in 0..(ALERT_MIN_HISTORY - 1) {
        assert_eq!(request(&mut a, SONNET, &small, t0), None);
    }
    assert_eq!(request(&mut a, SONNET, &big, t0), None);
    // Now 5 earlier requests, median 3000 µ$: 12000 > 3 x 3000.
    let alert = request(&mut a, SONNET, &big, t0).unwrap();
    assert_eq!(alert.window, 5);
    assert!(close(alert.median_usd, 0.003));
    assert_eq!(
        alert.to_string(),
        "this request cost $0.0120, 4.0x the median of the last 5 ($0.0030)"
    );
    // Exactly 3x the median is not "more than".
    let mut b = account();
    for _ in 0..ALERT_MIN_HISTORY {
        request(&mut b, SONNET, &small, t0);
    }
    assert_eq!(request(&mut b, SONNET, &usage(3000, 0, 0, 0), t0), None);
}

#[test]
fn the_alert_window_keeps_the_last_twenty() {
    let mut a = account();
    let t0 = Instant::now();
    // 20 big requests, then 20 small ones push them all out of the window.
    for _ in 0..ALERT_WINDOW {
        request(&mut a, SONNET, &usage(10_000, 0, 0, 0), t0);
    }
    for _ in 0..ALERT_WINDOW {
        request(&mut a, SONNET, &usage(1000, 0, 0, 0), t0);
    }
    let alert = request(&mut a, SONNET, &usage(4000, 0, 0, 0), t0).unwrap();
    assert_eq!(alert.window, ALERT_WINDOW);
    assert!(close(alert.median_usd, 0.003));
    assert_eq!(median(&VecDeque::from(vec![1.0, 4.0, 2.0, 3.0])), 2.5);
}

#[test]
fn a_custom_price_flows_into_cost_savings_and_rebuilds() {
    let mut pricing = Pricing::embedded();
    pricing.with_override("my-model", ModelPrice::standard(2.0, 10.0));
    let mut a = SessionAccount::new(Arc::new(pricing.clone()), 3.0);
    let t0 = Instant::now();
    let u = usage(0, 0, 10_000, 0);
    a.begin_request("my-model", None, t0);
    a.update_usage("my-model", &u, pricing.cost("my-model", &u), t0);
    a.end_request(None, false, t0);
    // 10,000 reads at 0.20 = 2000 µ$, saving 10,000 x 1.80 = 18000 µ$.
    let totals = a.totals();
    assert!(close(totals.cost_usd, 0.002));
    assert!(close(totals.saved_usd, 0.018));
    let Some(price) = pricing.price("my-model") else {
        panic!("override missing");
    };
    assert!(close(cost_usd(price, &u), 0.002));
    assert_eq!(totals.tiers().next().map(|t| t.tier), Some(None));
}

#[test]
fn limits_and_context_keep_the_latest_report() {
    use crate::api::ratelimit::Bucket;
    let mut a = account();
    a.set_rate_limits(&RateLimits::default());
    assert_eq!(a.rate_limits(), None);
    let limits = RateLimits {
        requests: Some(Bucket {
            limit: Some(50),
            remaining: Some(49),
            reset: None,
        }),
        ..RateLimits::default()
    };
    a.set_rate_limits(&limits);
    a.set_rate_limits(&RateLimits::default());
    assert_eq!(a.rate_limits(), Some(&limits));
    a.set_context(SONNET, 12_000, 200_000);
    assert_eq!(a.context().map(|c| c.tokens), Some(12_000));
}

fn end(model: &str, usage: Option<Usage>, outcome: Outcome) -> RequestEnd {
    RequestEnd {
        model: model.into(),
        tier: Some(Tier::Fast),
        cost_usd: usage.as_ref().and_then(|u| priced(model, u)),
        usage,
        usage_estimated: false,
        outcome,
        timing: None,
        today_usd: None,
    }
}

#[test]
fn the_engines_end_of_a_request_is_what_counts() {
    let mut a = account();
    let t0 = Instant::now();
    // Streamed on one figure, ended on the final one, with the tier the engine names.
    a.begin_request(HAIKU, None, t0);
    a.update_usage(
        HAIKU,
        &usage(100, 0, 0, 1),
        priced(HAIKU, &usage(100, 0, 0, 1)),
        t0,
    );
    let last = usage(100, 0, 0, 80);
    a.finish_request(&end(HAIKU, Some(last.clone()), Outcome::Answered), t0);
    // Print mode: no stream seen, the end stands on its own; a failed one counts too.
    let retried = usage(50, 0, 0, 0);
    a.finish_request(&end(HAIKU, Some(retried), Outcome::Retried), t0);
    // Failed before any usage: nothing paid, nothing counted.
    a.finish_request(&end(HAIKU, None, Outcome::Failed), t0);
    let totals = a.totals();
    assert_eq!(totals.requests, 2);
    assert_eq!((totals.tokens().input, totals.tokens().output), (150, 80));
    let tiers: Vec<_> = totals.tiers().map(|t| (t.tier, t.requests)).collect();
    assert_eq!(tiers, [(Some(Tier::Fast), 2)]);
    assert_eq!(
        a.last_request().map(|r| r.state),
        Some(RequestState::Failed)
    );
    let expected = priced(HAIKU, &last).unwrap() + priced(HAIKU, &usage(50, 0, 0, 0)).unwrap();
    assert!(close(totals.cost_usd, expected));
}
