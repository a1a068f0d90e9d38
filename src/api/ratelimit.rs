//! The `anthropic-ratelimit-*` response headers, kept for the rate-limit gauges.
//!
//! Each family (requests, tokens, input tokens, output tokens) has a limit, what remains and
//! when it resets (RFC 3339, kept as sent). Remaining token counts are rounded by the server.
//! Missing or unparsable headers leave the field `None`; they are never an error.

use reqwest::header::HeaderMap;

/// One token or request bucket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bucket {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// RFC 3339 time at which the bucket is full again.
    pub reset: Option<String>,
}

impl Bucket {
    fn from_headers(headers: &HeaderMap, family: &str) -> Option<Self> {
        let get = |field: &str| {
            headers
                .get(format!("anthropic-ratelimit-{family}-{field}"))
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let b = Bucket {
            limit: get("limit").and_then(|v| v.parse().ok()),
            remaining: get("remaining").and_then(|v| v.parse().ok()),
            reset: get("reset").map(str::to_owned),
        };
        (b != Bucket::default()).then_some(b)
    }
}

/// The rate-limit state reported with one response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateLimits {
    pub requests: Option<Bucket>,
    pub tokens: Option<Bucket>,
    pub input_tokens: Option<Bucket>,
    pub output_tokens: Option<Bucket>,
}

impl RateLimits {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            requests: Bucket::from_headers(headers, "requests"),
            tokens: Bucket::from_headers(headers, "tokens"),
            input_tokens: Bucket::from_headers(headers, "input-tokens"),
            output_tokens: Bucket::from_headers(headers, "output-tokens"),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_present_families_and_skips_garbage() {
        let mut h = HeaderMap::new();
        h.insert(
            "anthropic-ratelimit-requests-limit",
            HeaderValue::from_static("50"),
        );
        h.insert(
            "anthropic-ratelimit-requests-remaining",
            HeaderValue::from_static("49"),
        );
        h.insert(
            "anthropic-ratelimit-requests-reset",
            HeaderValue::from_static("2026-11-25T10:00:00Z"),
        );
        h.insert(
            "anthropic-ratelimit-tokens-remaining",
            HeaderValue::from_static("lots"),
        );
        let r = RateLimits::from_headers(&h);
        assert_eq!(
            r.requests,
            Some(Bucket {
                limit: Some(50),
                remaining: Some(49),
                reset: Some("2026-11-25T10:00:00Z".into())
            })
        );
        assert_eq!(r.tokens, None);
        assert!(RateLimits::from_headers(&HeaderMap::new()).is_empty());
    }
}
