//! The HTTP client: one attempt per call, with auth, headers and timeouts.
//!
//! [`Client::stream`] sends a streaming Messages request and returns an [`EventStream`] of
//! typed events; [`Client::create`], [`Client::list_models`] and [`Client::count_tokens`]
//! are the plain JSON calls. Nothing here retries a streaming request: the engine owns that
//! loop so it can tell the user about each attempt.
//!
//! Timeouts, as the engine needs them:
//! - connect: reqwest's connect timeout;
//! - first byte: from sending until the first content event (headers, `message_start`
//!   and pings included);
//! - idle: the longest gap between two events once the stream has started.
//!
//! The API key lives only in this client's headers; it is never logged, printed or kept
//! elsewhere (`Auth`'s `Debug` redacts it). No redirect is followed: a redirect would carry
//! `x-api-key` to whatever address the server names (reqwest strips only `Authorization`
//! across origins), so a 3xx is an error that names where it pointed.
//!
//! Bounds: an error body is read up to [`MAX_ERROR_BODY`]; the model listing stops after
//! [`MAX_MODEL_PAGES`] pages; every deadline is computed with checked arithmetic.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::error::{ApiError, TimeoutPhase};
use super::events::{EventParseError, StreamEvent};
use super::ratelimit::RateLimits;
use super::retry::{RetryPolicy, parse_retry_after, retrying};
use super::sse::{DEFAULT_MAX_EVENT_BYTES, SseDecoder, SseError};
use super::wire::{ErrorBody, MessageResponse, MessagesRequest, ModelInfo, ModelsPage, TokenCount};

/// The API version header value; still the only one (reference §1.1).
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The most of an error response's body that is read; the API's own are a few hundred
/// bytes, and a misbehaving server must not make an error cost memory.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The most `/v1/models` pages read (of up to 1000 models each): a server that keeps saying
/// `has_more` must not keep chatterm listing forever.
pub const MAX_MODEL_PAGES: usize = 20;

/// `now + wait`, or a deadline far enough away to mean "never" when that overflows the
/// clock. Config bounds durations to a day; this keeps any other caller from a panic.
pub fn deadline_after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 60 * 60)))
        .unwrap_or(now)
}

/// How requests authenticate.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// `x-api-key: KEY` (ANTHROPIC_API_KEY).
    ApiKey(String),
    /// `Authorization: Bearer TOKEN` (ANTHROPIC_AUTH_TOKEN).
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl Auth {
    /// The credentials from the environment: ANTHROPIC_API_KEY, else ANTHROPIC_AUTH_TOKEN.
    /// Only one is ever sent, because the API may reject a request carrying both.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<Self> {
        let non_empty = |k: &str| {
            env(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        non_empty("ANTHROPIC_API_KEY")
            .map(Self::ApiKey)
            .or_else(|| non_empty("ANTHROPIC_AUTH_TOKEN").map(Self::Bearer))
    }
}

/// Everything a [`Client`] needs.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// e.g. `https://api.anthropic.com`, without `/v1`.
    pub base_url: String,
    pub auth: Auth,
    /// Joined with `,` into one `anthropic-beta` header; omitted when empty.
    pub betas: Vec<String>,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_event_bytes: usize,
    /// Retries for the plain JSON calls (models, token counts).
    pub max_retries: u32,
}

impl ClientOptions {
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        Self {
            base_url: base_url.into(),
            auth,
            betas: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(90),
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            max_retries: 3,
        }
    }
}

/// What the response headers said about a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseMeta {
    pub status: u16,
    pub request_id: Option<String>,
    pub rate_limits: RateLimits,
}

impl ResponseMeta {
    fn from_response(resp: &reqwest::Response) -> Self {
        Self {
            status: resp.status().as_u16(),
            request_id: header_str(resp.headers(), "request-id"),
            rate_limits: RateLimits::from_headers(resp.headers()),
        }
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A Messages API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    opts: ClientOptions,
}

impl Client {
    pub fn new(opts: ClientOptions) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .tcp_keepalive(Duration::from_secs(30))
            .user_agent(concat!("chatterm/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Connection(e.to_string()))?;
        Ok(Self { http, opts })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.opts.base_url.trim_end_matches('/'))
    }

    fn headers(&self) -> Result<HeaderMap, ApiError> {
        let mut h = HeaderMap::new();
        let bad = |_| ApiError::Connection("the API key contains invalid characters".into());
        match &self.opts.auth {
            Auth::ApiKey(k) => {
                let mut v = HeaderValue::from_str(k).map_err(bad)?;
                v.set_sensitive(true);
                h.insert("x-api-key", v);
            }
            Auth::Bearer(t) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {t}")).map_err(bad)?;
                v.set_sensitive(true);
                h.insert("authorization", v);
            }
        }
        h.insert(
            "anthropic-version",
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        h.insert("content-type", HeaderValue::from_static("application/json"));
        if !self.opts.betas.is_empty() {
            let v = HeaderValue::from_str(&self.opts.betas.join(","))
                .map_err(|_| ApiError::Connection("invalid anthropic-beta value".into()))?;
            h.insert("anthropic-beta", v);
        }
        Ok(h)
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<reqwest::Response, ApiError> {
        let mut req = self
            .http
            .request(method, self.url(path))
            .headers(self.headers()?);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(from_reqwest)?;
        if resp.status().is_success() {
            Ok(resp)
        } else if resp.status().is_redirection() {
            Err(redirect_error(&resp))
        } else {
            Err(error_from_response(resp).await)
        }
    }

    /// Sends one streaming request. The returned stream yields typed events until
    /// `message_stop`; the first-byte timeout covers everything up to the first content
    /// event.
    pub async fn stream(&self, request: &MessagesRequest) -> Result<EventStream, ApiError> {
        let deadline = deadline_after(self.opts.first_byte_timeout);
        let req = with_stream(request, true);
        let send = self.send_json(reqwest::Method::POST, "/v1/messages", Some(&*req));
        let resp = tokio::time::timeout_at(deadline, send)
            .await
            .map_err(|_| ApiError::Timeout(TimeoutPhase::FirstByte))??;
        let meta = ResponseMeta::from_response(&resp);
        Ok(EventStream {
            meta,
            body: Box::pin(resp.bytes_stream()),
            decoder: SseDecoder::with_max_event_bytes(self.opts.max_event_bytes),
            parsed: VecDeque::new(),
            first_deadline: Some(deadline),
            idle_timeout: self.opts.idle_timeout,
            done: false,
            eof: false,
        })
    }

    /// One non-streaming Messages request.
    pub async fn create(
        &self,
        request: &MessagesRequest,
    ) -> Result<(MessageResponse, ResponseMeta), ApiError> {
        let req = with_stream(request, false);
        let resp = self
            .send_json(reqwest::Method::POST, "/v1/messages", Some(&*req))
            .await?;
        let meta = ResponseMeta::from_response(&resp);
        Ok((read_json(resp).await?, meta))
    }

    /// Every model the key can use (all pages, at most [`MAX_MODEL_PAGES`]), retried per
    /// the policy.
    pub async fn list_models(&self) -> Result<ModelListing, ApiError> {
        let policy = RetryPolicy::new(self.opts.max_retries);
        let mut models = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_MODEL_PAGES {
            let path = match &after {
                Some(id) => format!("/v1/models?limit=1000&after_id={id}"),
                None => "/v1/models?limit=1000".to_owned(),
            };
            let page: ModelsPage = retrying(&policy, || async {
                let resp = self
                    .send_json(reqwest::Method::GET, &path, None::<&()>)
                    .await?;
                read_json(resp).await
            })
            .await?;
            let more = page.has_more && page.last_id.is_some();
            after = page.last_id;
            models.extend(page.data);
            if !more {
                return Ok(ModelListing {
                    models,
                    cut_short: false,
                });
            }
        }
        Ok(ModelListing {
            models,
            cut_short: true,
        })
    }

    /// The prompt size of a request, from `POST /v1/messages/count_tokens`.
    pub async fn count_tokens(&self, request: &MessagesRequest) -> Result<u64, ApiError> {
        let mut body = serde_json::to_value(request)
            .map_err(|e| ApiError::Protocol(format!("unserialisable request: {e}")))?;
        if let Some(map) = body.as_object_mut() {
            // count_tokens takes a Messages body without these.
            map.remove("max_tokens");
            map.remove("stream");
        }
        let policy = RetryPolicy::new(self.opts.max_retries);
        let count: TokenCount = retrying(&policy, || async {
            let resp = self
                .send_json(
                    reqwest::Method::POST,
                    "/v1/messages/count_tokens",
                    Some(&body),
                )
                .await?;
            read_json(resp).await
        })
        .await?;
        Ok(count.input_tokens)
    }
}

/// What `GET /v1/models` listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelListing {
    pub models: Vec<ModelInfo>,
    /// The server still said `has_more` after [`MAX_MODEL_PAGES`] pages; see [`Self::note`].
    pub cut_short: bool,
}

impl ModelListing {
    /// What to tell the user about a listing that was cut short.
    pub fn note(&self) -> Option<String> {
        self.cut_short.then(|| {
            format!(
                "the model listing was cut after {MAX_MODEL_PAGES} pages ({} models): \
                 the server kept saying there were more",
                self.models.len()
            )
        })
    }
}

/// The request with its `stream` flag set as the call needs. Borrowed when it already is,
/// which the engine arranges: a long conversation is then never copied just to flip a flag.
fn with_stream(request: &MessagesRequest, stream: bool) -> Cow<'_, MessagesRequest> {
    if request.stream == stream {
        Cow::Borrowed(request)
    } else {
        let mut owned = request.clone();
        owned.stream = stream;
        Cow::Owned(owned)
    }
}

async fn read_json<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, ApiError> {
    let bytes = resp.bytes().await.map_err(from_reqwest)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Protocol(format!("invalid JSON: {e}")))
}

/// Maps a transport failure to a typed error.
pub(crate) fn from_reqwest(e: reqwest::Error) -> ApiError {
    if e.is_timeout() && e.is_connect() {
        ApiError::Timeout(TimeoutPhase::Connect)
    } else if e.is_timeout() {
        ApiError::Timeout(TimeoutPhase::FirstByte)
    } else {
        ApiError::Connection(error_chain(&e))
    }
}

/// reqwest's top-level message is vague ("error sending request"); the cause says why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        source = cause.source();
    }
    s
}

/// The error for a 3xx: never followed, because the request carries the API key.
fn redirect_error(resp: &reqwest::Response) -> ApiError {
    let target = header_str(resp.headers(), "location").unwrap_or_default();
    let target: String = crate::sanitize::sanitize_line(&target)
        .chars()
        .take(200)
        .collect();
    ApiError::Http {
        status: resp.status().as_u16(),
        kind: "redirect".to_owned(),
        message: format!(
            "the server redirected to {target:?}; chatterm follows no redirects so the API \
             key never goes to another address (set api.base_url to the final address)"
        ),
        request_id: header_str(resp.headers(), "request-id"),
        retry_after: None,
        should_retry: Some(false),
    }
}

/// Reads at most [`MAX_ERROR_BODY`] bytes of a response body; the rest is not read.
async fn capped_body(mut resp: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ERROR_BODY {
            break;
        }
    }
    body
}

/// Builds the typed error for a non-2xx response, keeping the API's own message.
async fn error_from_response(resp: reqwest::Response) -> ApiError {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let request_id = header_str(&headers, "request-id");
    let retry_after = parse_retry_after(&headers, SystemTime::now());
    let should_retry = match header_str(&headers, "x-should-retry").as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let body = capped_body(resp).await;
    let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
    let (kind, message, body_request_id) = match parsed {
        Some(b) => (b.error.kind, b.error.message, b.request_id),
        None => (
            String::new(),
            crate::sanitize::sanitize_line(String::from_utf8_lossy(&body).trim())
                .chars()
                .take(200)
                .collect(),
            None,
        ),
    };
    ApiError::Http {
        status,
        kind,
        message,
        request_id: request_id.or(body_request_id),
        retry_after,
        should_retry,
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// The typed events of one streamed response.
pub struct EventStream {
    meta: ResponseMeta,
    body: ByteStream,
    decoder: SseDecoder,
    /// Events decoded from the last chunk and not yet handed out.
    parsed: VecDeque<Result<StreamEvent, EventParseError>>,
    /// Until the first content event arrives, the deadline set when the request was sent.
    /// `message_start` and pings do not end it: a model that opens the stream and then
    /// produces nothing has stalled just the same.
    first_deadline: Option<Instant>,
    idle_timeout: Duration,
    /// `message_stop` or an `error` event was seen: nothing more is read.
    done: bool,
    eof: bool,
}

impl EventStream {
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The next event, `None` after `message_stop`. An `error` event, a timeout, a dropped
    /// connection or EOF before `message_stop` is an `Err`, after which the stream is done.
    pub async fn next_event(&mut self) -> Option<Result<StreamEvent, ApiError>> {
        if self.done {
            return None;
        }
        let result = self.read_event().await;
        match &result {
            Ok(StreamEvent::MessageStop) | Err(_) => self.done = true,
            Ok(StreamEvent::Error(e)) => {
                self.done = true;
                return Some(Err(ApiError::Stream {
                    kind: e.kind.clone(),
                    message: e.message.clone(),
                    request_id: self.meta.request_id.clone(),
                }));
            }
            Ok(_) => {}
        }
        Some(result)
    }

    async fn read_event(&mut self) -> Result<StreamEvent, ApiError> {
        loop {
            if let Some(parsed) = self.parsed.pop_front() {
                let event = parsed?;
                if event.is_content() {
                    self.first_deadline = None;
                }
                return Ok(event);
            }
            if self.eof {
                return Err(ApiError::UnexpectedEof);
            }
            self.fill().await?;
        }
    }

    /// Reads one network chunk into the decoder, under the applicable timeout.
    async fn fill(&mut self) -> Result<(), ApiError> {
        let (deadline, phase) = match self.first_deadline {
            Some(d) => (d, TimeoutPhase::FirstByte),
            None => (deadline_after(self.idle_timeout), TimeoutPhase::Idle),
        };
        let chunk = tokio::time::timeout_at(deadline, self.body.next())
            .await
            .map_err(|_| ApiError::Timeout(phase))?;
        let parsed = &mut self.parsed;
        let decoded = match chunk {
            Some(Ok(bytes)) => self.decoder.push_each(&bytes, |name, data| {
                parsed.push_back(StreamEvent::parse(name, data));
            }),
            Some(Err(e)) => return Err(body_error(&e)),
            None => {
                self.eof = true;
                self.decoder.finish(&mut Vec::new())
            }
        };
        decoded.map_err(|e| match e {
            SseError::TooLarge { limit } => ApiError::EventTooLarge { limit },
            SseError::InvalidUtf8 => ApiError::Protocol(e.to_string()),
        })?;
        Ok(())
    }
}

/// A failure while reading the body is a dropped connection, whatever reqwest calls it.
fn body_error(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::Timeout(TimeoutPhase::Idle)
    } else {
        ApiError::Connection(format!(
            "the connection dropped mid-stream ({})",
            error_chain(e)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_past_the_clock_is_far_away_not_a_panic() {
        let now = Instant::now();
        let far = deadline_after(Duration::MAX);
        assert!(far > now + Duration::from_secs(300 * 24 * 60 * 60));
        let soon = deadline_after(Duration::from_secs(5));
        assert!(soon >= now + Duration::from_secs(5) && soon < far);
    }

    #[test]
    fn auth_from_env_prefers_the_api_key_and_never_debug_prints_it() {
        let env = |k: &str| match k {
            "ANTHROPIC_API_KEY" => Some("sk-ant-secret".to_owned()),
            "ANTHROPIC_AUTH_TOKEN" => Some("tok".to_owned()),
            _ => None,
        };
        let auth = Auth::from_env(&env).unwrap();
        assert_eq!(auth, Auth::ApiKey("sk-ant-secret".into()));
        assert!(!format!("{auth:?}").contains("secret"));
        let only_token = |k: &str| (k == "ANTHROPIC_AUTH_TOKEN").then(|| "tok".to_owned());
        assert_eq!(
            Auth::from_env(&only_token),
            Some(Auth::Bearer("tok".into()))
        );
        let blank = |_: &str| Some("  ".to_owned());
        assert_eq!(Auth::from_env(&blank), None);
    }
}
