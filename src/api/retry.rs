//! When to retry a failed request, and how long to wait first.
//!
//! The policy is the official SDKs' (reference §4): exponential backoff from 0.5 s, doubling,
//! capped at 8 s, with jitter that only shortens the wait (by up to 25%). A server-requested
//! wait (`retry-after-ms`, then `retry-after` as seconds or an HTTP date) replaces the
//! backoff when it is between 0 and 60 s. A longer server wait is not slept through
//! silently: the error goes to the user with the wait in words ([`wait_advice`]: "rate
//! limited: retry in 2 min"), and the TUI's `/retry` waits for it before sending.
//!
//! Which errors are retryable at all is [`ApiError::is_retryable`]'s call; this module adds
//! the count and the clock. It is pure except for [`retrying`], which sleeps.

use std::future::Future;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, FixedOffset, Local};

use reqwest::header::HeaderMap;

use super::error::{ApiError, ErrorClass};

/// The longest server-requested wait chatterm sleeps through automatically.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(60);

/// Retry limits and backoff shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` attempts in all).
    pub max_retries: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(3)
    }
}

impl RetryPolicy {
    pub fn new(max_retries: u32) -> Self {
        Self {
            max_retries,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }

    /// The backoff before retry number `retries_done + 1`. `jitter` is in `[0, 1)`.
    pub fn backoff(&self, retries_done: u32, jitter: f64) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(retries_done.min(16)))
            .min(self.max_delay);
        base.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0))
    }

    /// How long to wait before retrying after `err`, or `None` when it must not be retried
    /// (not retryable, retries used up, or the server asked for a wait longer than
    /// [`MAX_SERVER_WAIT`]).
    pub fn delay_for(&self, retries_done: u32, err: &ApiError, jitter: f64) -> Option<Duration> {
        if retries_done >= self.max_retries || !err.is_retryable() {
            return None;
        }
        match err.retry_after() {
            Some(wait) if wait > MAX_SERVER_WAIT => None,
            Some(wait) if !wait.is_zero() => Some(wait),
            _ => Some(self.backoff(retries_done, jitter)),
        }
    }
}

/// The server's requested wait: `retry-after-ms` (milliseconds), else `retry-after` as
/// seconds, else as an HTTP date relative to `now`. A date in the past means "now" (zero).
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return secs(ms / 1000.0);
    }
    let value = get("retry-after")?;
    if let Ok(s) = value.parse::<f64>() {
        return secs(s);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn secs(s: f64) -> Option<Duration> {
    // `try_`: a huge header value must not panic (`from_secs_f64` does on overflow).
    (s.is_finite() && s >= 0.0).then(|| Duration::try_from_secs_f64(s).ok())?
}

/// What to tell a person about a failure that carried a server-requested wait, which the
/// engine did not sleep through (too long, or retries used up): "rate limited: retry in
/// 2 min". `None` when the error asks for no wait or could not be retried anyway.
pub fn wait_advice(err: &ApiError) -> Option<String> {
    wait_advice_at(err, Local::now().fixed_offset())
}

/// [`wait_advice`] with the local time given (for tests).
pub fn wait_advice_at(err: &ApiError, now: DateTime<FixedOffset>) -> Option<String> {
    let wait = err.retry_after().filter(|w| !w.is_zero())?;
    if !err.is_retryable() {
        return None;
    }
    let what = match err.class() {
        ErrorClass::RateLimited => "rate limited".to_owned(),
        _ => err.short(),
    };
    Some(format!("{what}: retry {}", describe_wait(wait, now)))
}

/// A wait in words, from `now`: "in 45 s", "in 2 min 30 s", "in 25 min", "at 17:35"
/// (a day or more away: "at 2026-12-05 17:35"). Rounded up, never promising too early.
pub fn describe_wait(wait: Duration, now: DateTime<FixedOffset>) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    match secs {
        0..60 => format!("in {secs} s"),
        60..600 if secs.is_multiple_of(60) => format!("in {} min", secs / 60),
        60..600 => format!("in {} min {} s", secs / 60, secs % 60),
        600..3600 => format!("in {} min", secs.div_ceil(60)),
        _ => {
            let at = chrono::TimeDelta::try_seconds(i64::try_from(secs).unwrap_or(i64::MAX))
                .and_then(|d| now.checked_add_signed(d));
            match at {
                // Shown to the minute, rounded up.
                Some(at) => {
                    let at = at + chrono::TimeDelta::seconds(59);
                    if at.date_naive() == now.date_naive() {
                        format!("at {}", at.format("%H:%M"))
                    } else {
                        format!("at {}", at.format("%Y-%m-%d %H:%M"))
                    }
                }
                None => "much later".to_owned(),
            }
        }
    }
}

/// Runs `attempt` until it succeeds, fails for good, or retries run out, sleeping per the
/// policy in between. For one-shot calls (model list, token count); the chat engine runs its
/// own loop so it can report each retry.
pub async fn retrying<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut retries = 0;
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) => match policy.delay_for(retries, &e, rand::random::<f64>()) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    retries += 1;
                }
                None => return Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn err(status: u16, retry_after: Option<Duration>) -> ApiError {
        ApiError::Http {
            status,
            kind: String::new(),
            message: String::new(),
            request_id: None,
            retry_after,
            should_retry: None,
        }
    }

    #[test]
    fn backoff_doubles_from_half_a_second_and_caps_at_eight() {
        let p = RetryPolicy::new(10);
        let ms: Vec<u128> = (0..7).map(|n| p.backoff(n, 0.0).as_millis()).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        // Jitter only shortens, by at most a quarter.
        assert_eq!(p.backoff(0, 0.999_999).as_millis(), 375);
    }

    #[test]
    fn server_wait_wins_within_a_minute_only() {
        let p = RetryPolicy::new(3);
        let d = p.delay_for(0, &err(429, Some(Duration::from_secs(2))), 0.0);
        assert_eq!(d, Some(Duration::from_secs(2)));
        assert_eq!(
            p.delay_for(0, &err(429, Some(Duration::from_secs(61))), 0.0),
            None
        );
        assert_eq!(
            p.delay_for(0, &err(529, Some(Duration::ZERO)), 0.0),
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn a_wait_is_told_in_words() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T17:30:10+01:00").unwrap();
        let say = |s: f64| describe_wait(Duration::from_secs_f64(s), now);
        assert_eq!(say(45.0), "in 45 s");
        assert_eq!(say(0.2), "in 1 s");
        assert_eq!(say(120.0), "in 2 min");
        assert_eq!(say(150.0), "in 2 min 30 s");
        assert_eq!(say(1499.0), "in 25 min");
        assert_eq!(say(5.0 * 60.0 * 60.0), "at 22:31");
        assert_eq!(say(24.0 * 3600.0), "at 2026-12-05 17:31");
        assert_eq!(say(1e15), "much later");
    }

    #[test]
    fn advice_names_the_wait_of_a_retryable_error_only() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T17:30:00+00:00").unwrap();
        let advice = |e: &ApiError| wait_advice_at(e, now);
        let limited = err(429, Some(Duration::from_secs(120)));
        assert_eq!(
            advice(&limited).as_deref(),
            Some("rate limited: retry in 2 min")
        );
        assert_eq!(
            advice(&err(529, Some(Duration::from_secs(90)))).as_deref(),
            Some("overloaded (529): retry in 1 min 30 s")
        );
        assert_eq!(advice(&err(429, None)), None);
        assert_eq!(advice(&err(429, Some(Duration::ZERO))), None);
        assert_eq!(advice(&err(400, Some(Duration::from_secs(5)))), None);
    }

    #[test]
    fn retries_stop_at_the_limit_and_on_client_errors() {
        let p = RetryPolicy::new(2);
        assert!(p.delay_for(1, &err(500, None), 0.0).is_some());
        assert!(p.delay_for(2, &err(500, None), 0.0).is_none());
        assert!(p.delay_for(0, &err(400, None), 0.0).is_none());
        assert!(p.delay_for(0, &err(401, None), 0.0).is_none());
    }

    #[test]
    fn retry_after_headers_in_all_three_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(
            parse_retry_after(&h, now),
            Some(Duration::from_millis(1500))
        );
        let mut h = HeaderMap::new();
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        h.insert("retry-after", HeaderValue::from_str(&later).unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        h.insert("retry-after", HeaderValue::from_str(&earlier).unwrap());
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&h, now), None);
    }
}
