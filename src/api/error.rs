//! Typed API failures and how each one should be handled.
//!
//! Every failure of a request lands in [`ApiError`]. [`ApiError::class`] sorts it into the
//! few kinds the rest of the program acts on (retry, ask for a key, show a rate-limit wait,
//! report an invalid request); the messages keep the API's own wording and the request id
//! so the user can quote them.

use std::time::Duration;

use super::events::EventParseError;

/// Which phase of a request ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// The TCP/TLS connection could not be made in time.
    Connect,
    /// No content event arrived within the first-byte timeout after sending.
    FirstByte,
    /// The gap between two stream events was longer than the idle timeout.
    Idle,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connecting",
            Self::FirstByte => "waiting for the first event",
            Self::Idle => "waiting for the next event",
        })
    }
}

/// How the program should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient: worth retrying with backoff (overload, 5xx, connection, timeout).
    Retryable,
    /// 429: retry after the server's wait.
    RateLimited,
    /// 401/403: the key is missing, wrong or lacks access. Never retried.
    Auth,
    /// 400/404/413 and other client errors: fix the request. Never retried.
    InvalidRequest,
    /// The response could not be understood (malformed SSE/JSON, oversized event).
    Protocol,
    /// The user cancelled.
    Cancelled,
}

/// A failed request or stream.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A non-2xx response.
    #[error("{}", http_message(*.status, kind, message, request_id.as_deref()))]
    Http {
        status: u16,
        kind: String,
        message: String,
        request_id: Option<String>,
        /// The server's requested wait (`retry-after-ms` / `retry-after`), if any.
        retry_after: Option<Duration>,
        /// The `x-should-retry` header, which overrides the status-based rule.
        should_retry: Option<bool>,
    },
    /// An `error` event inside a 200 stream.
    #[error("{}", stream_message(kind, message, request_id.as_deref()))]
    Stream {
        kind: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("timed out {0}")]
    Timeout(TimeoutPhase),
    #[error("the stream ended before `message_stop`")]
    UnexpectedEof,
    #[error("invalid stream: {0}")]
    Protocol(String),
    #[error("a stream event exceeded the {limit}-byte limit")]
    EventTooLarge { limit: usize },
    #[error("cancelled")]
    Cancelled,
}

fn http_message(status: u16, kind: &str, message: &str, request_id: Option<&str>) -> String {
    let mut s = format!("HTTP {status}");
    if !kind.is_empty() {
        s.push_str(&format!(" {kind}"));
    }
    if !message.is_empty() {
        s.push_str(&format!(": {message}"));
    }
    if let Some(id) = request_id {
        s.push_str(&format!(" (request {id})"));
    }
    s
}

fn stream_message(kind: &str, message: &str, request_id: Option<&str>) -> String {
    let mut s = format!("stream error {kind}: {message}");
    if let Some(id) = request_id {
        s.push_str(&format!(" (request {id})"));
    }
    s
}

impl From<EventParseError> for ApiError {
    fn from(e: EventParseError) -> Self {
        Self::Protocol(e.to_string())
    }
}

impl ApiError {
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Http {
                status,
                should_retry,
                ..
            } => match (should_retry, status) {
                (_, 401 | 403) => ErrorClass::Auth,
                (Some(true), 429) => ErrorClass::RateLimited,
                (Some(true), _) => ErrorClass::Retryable,
                (Some(false), _) => ErrorClass::InvalidRequest,
                (None, 429) => ErrorClass::RateLimited,
                (None, 408 | 409) => ErrorClass::Retryable,
                (None, s) if *s >= 500 => ErrorClass::Retryable,
                (None, _) => ErrorClass::InvalidRequest,
            },
            Self::Stream { kind, .. } => match kind.as_str() {
                "overloaded_error" | "api_error" | "timeout_error" => ErrorClass::Retryable,
                "rate_limit_error" => ErrorClass::RateLimited,
                "authentication_error" | "permission_error" => ErrorClass::Auth,
                _ => ErrorClass::InvalidRequest,
            },
            Self::Connection(_) | Self::Timeout(_) | Self::UnexpectedEof => ErrorClass::Retryable,
            Self::Protocol(_) | Self::EventTooLarge { .. } => ErrorClass::Protocol,
            Self::Cancelled => ErrorClass::Cancelled,
        }
    }

    /// Whether a fresh attempt of the same request may succeed. Stream errors before any
    /// content count; the engine never retries once content has been shown.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.class(),
            ErrorClass::Retryable | ErrorClass::RateLimited
        )
    }

    /// True for "the model is busy or slow": what moves the engine to a fallback model.
    pub fn is_overload_or_timeout(&self) -> bool {
        match self {
            Self::Http { status, .. } => *status == 529 || *status == 503 || *status == 504,
            Self::Stream { kind, .. } => kind == "overloaded_error",
            Self::Timeout(TimeoutPhase::FirstByte | TimeoutPhase::Connect) => true,
            _ => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Http { request_id, .. } | Self::Stream { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// A short reason for status lines ("overloaded", "HTTP 500", "timeout").
    pub fn short(&self) -> String {
        match self {
            Self::Http { status: 529, .. } => "overloaded (529)".into(),
            Self::Http { status: 429, .. } => "rate limited (429)".into(),
            Self::Http { status, kind, .. } if kind.is_empty() => format!("HTTP {status}"),
            Self::Http { status, kind, .. } => format!("{kind} ({status})"),
            Self::Stream { kind, .. } => kind.clone(),
            Self::Connection(_) => "connection failed".into(),
            Self::Timeout(TimeoutPhase::Connect) => "connect timeout".into(),
            Self::Timeout(TimeoutPhase::FirstByte) => "no response (timeout)".into(),
            Self::Timeout(TimeoutPhase::Idle) => "stream stalled (timeout)".into(),
            Self::UnexpectedEof => "connection dropped".into(),
            Self::Protocol(_) | Self::EventTooLarge { .. } => "invalid stream".into(),
            Self::Cancelled => "cancelled".into(),
        }
    }
}

#[cfg(test)]
impl ApiError {
    /// A bare HTTP error with this status, for tests.
    pub(crate) fn with_status(status: u16) -> Self {
        Self::Http {
            status,
            kind: String::new(),
            message: String::new(),
            request_id: None,
            retry_after: None,
            should_retry: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, should_retry: Option<bool>) -> ApiError {
        let mut e = ApiError::with_status(status);
        if let ApiError::Http {
            should_retry: s, ..
        } = &mut e
        {
            *s = should_retry;
        }
        e
    }

    #[test]
    fn status_rules_match_the_sdks() {
        for s in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(http(s, None).is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422] {
            assert!(!http(s, None).is_retryable(), "{s}");
        }
        assert!(http(400, Some(true)).is_retryable());
        assert!(!http(529, Some(false)).is_retryable());
        // An auth failure stays an auth failure whatever the header says.
        assert_eq!(http(401, Some(true)).class(), ErrorClass::Auth);
    }

    #[test]
    fn message_keeps_the_api_wording_and_request_id() {
        let e = ApiError::Http {
            status: 401,
            kind: "authentication_error".into(),
            message: "invalid x-api-key".into(),
            request_id: Some("req_1".into()),
            retry_after: None,
            should_retry: None,
        };
        assert_eq!(
            e.to_string(),
            "HTTP 401 authentication_error: invalid x-api-key (request req_1)"
        );
    }
}
