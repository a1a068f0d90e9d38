//! Response headers every mock reply carries: `request-id` and the rate-limit family.
//!
//! Values are plausible rather than modelled: limits are fixed, `remaining` goes down with
//! each request (token counts rounded to the thousand, as the API does) and every `reset`
//! is an RFC 3339 timestamp one minute ahead.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cost::day::LocalTime;

const REQUESTS_LIMIT: u64 = 4_000;
const INPUT_LIMIT: u64 = 2_000_000;
const OUTPUT_LIMIT: u64 = 400_000;
/// Tokens a request is assumed to use from each bucket, for `remaining`.
const INPUT_PER_REQUEST: u64 = 3_000;
const OUTPUT_PER_REQUEST: u64 = 1_000;

/// The headers of the `n`-th request (1-based).
pub fn common(n: u64) -> Vec<(String, String)> {
    let reset = rfc3339(SystemTime::now() + Duration::from_secs(60));
    let requests_left = REQUESTS_LIMIT.saturating_sub(n % REQUESTS_LIMIT);
    let input_left = round_thousand(INPUT_LIMIT.saturating_sub(n * INPUT_PER_REQUEST));
    let output_left = round_thousand(OUTPUT_LIMIT.saturating_sub(n * OUTPUT_PER_REQUEST));
    let rows = [
        ("requests", REQUESTS_LIMIT, requests_left),
        (
            "tokens",
            INPUT_LIMIT + OUTPUT_LIMIT,
            input_left + output_left,
        ),
        ("input-tokens", INPUT_LIMIT, input_left),
        ("output-tokens", OUTPUT_LIMIT, output_left),
    ];
    let mut headers = vec![("request-id".to_owned(), request_id(n))];
    for (name, limit, remaining) in rows {
        let prefix = format!("anthropic-ratelimit-{name}");
        headers.push((format!("{prefix}-limit"), limit.to_string()));
        headers.push((format!("{prefix}-remaining"), remaining.to_string()));
        headers.push((format!("{prefix}-reset"), reset.clone()));
    }
    headers
}

/// `req_mock_N`, also used as the error bodies' `request_id`.
pub fn request_id(n: u64) -> String {
    format!("req_mock_{n}")
}

fn round_thousand(n: u64) -> u64 {
    (n + 500) / 1000 * 1000
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time (UTC, whole seconds).
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let date = LocalTime::utc().date(i64::try_from(secs.saturating_mul(1000)).unwrap_or(0));
    let rem = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400 + 3_723); // 2000-02-29 01:02:03
        assert_eq!(rfc3339(t), "2000-02-29T01:02:03Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_798_761_599); // 2026-12-31 23:59:59
        assert_eq!(rfc3339(t), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn remaining_goes_down_and_ids_count() {
        let first = common(1);
        let second = common(2);
        let get =
            |h: &[(String, String)], k: &str| h.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert_eq!(get(&first, "request-id"), "req_mock_1");
        let left = |h: &[(String, String)]| {
            get(h, "anthropic-ratelimit-requests-remaining")
                .parse::<u64>()
                .unwrap()
        };
        assert!(left(&second) < left(&first));
        assert_eq!(
            get(&first, "anthropic-ratelimit-input-tokens-remaining"),
            "1997000"
        );
        assert!(get(&first, "anthropic-ratelimit-output-tokens-reset").ends_with('Z'));
        assert_eq!(first.len(), 13);
    }
}
