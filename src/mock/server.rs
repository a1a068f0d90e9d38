//! The HTTP side: one fallback handler that records every request, then routes by method
//! and path to the endpoints.
//!
//! Order of checks on the Messages endpoints, like the API: authentication (401), then
//! `anthropic-version` (400), then the body (400). Only a valid request takes a reply from
//! the queue; an invalid one leaves the queue as it was. Keyed replies
//! ([`super::MockServer::enqueue_matching`]) are tried before the FIFO queue. Every response, errors included,
//! carries `request-id` and the rate-limit headers of [`super::headers`].
//!
//! Secrets: `x-api-key`, `authorization` and `proxy-authorization` values are replaced by
//! [`REDACTED`] before a request is recorded; the key itself is never stored or logged.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use super::body::{Frame, body, frames};
use super::cache::PromptCache;
use super::faults::{AttemptRecord, FaultPlan, Injector};
use super::render::{Context, Folded, Pace, fold, stream_plan};
use super::script::{Reply, Script};
use super::validate::{Endpoint, ValidRequest, validate};
use super::{RecordedRequest, assistant, headers, models, prompt, structured};

/// What a recorded secret header holds instead of its value.
pub const REDACTED: &str = "<redacted>";

/// The API's body limit for Messages and count_tokens; a larger body gets its 413.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// Requests the record keeps by default: enough for any test's assertions, and a bound
/// on the demo's memory over a long session (bodies grow with the conversation).
pub const DEFAULT_KEEP_REQUESTS: usize = 256;

/// The most body bytes the record holds (the newest request is kept whatever its size):
/// a count alone does not bound memory when each body is tens of megabytes.
pub const KEEP_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The newest requests, at most `keep` of them and about [`KEEP_BODY_BYTES`] of bodies.
#[derive(Debug)]
struct Log {
    recent: VecDeque<RecordedRequest>,
    keep: usize,
    /// The raw bodies' bytes in `recent`.
    bytes: usize,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            recent: VecDeque::new(),
            keep: DEFAULT_KEEP_REQUESTS,
            bytes: 0,
        }
    }
}

impl Log {
    fn push(&mut self, request: RecordedRequest) {
        self.bytes += request.raw_body.len();
        self.recent.push_back(request);
        self.trim();
    }

    fn trim(&mut self) {
        while self.recent.len() > self.keep
            || (self.bytes > KEEP_BODY_BYTES && self.recent.len() > 1)
        {
            let Some(old) = self.recent.pop_front() else {
                break;
            };
            self.bytes -= old.raw_body.len();
        }
    }
}

/// State shared by the handler and the [`super::MockServer`] handle.
#[derive(Debug, Default)]
pub struct Shared {
    queue: Mutex<VecDeque<Reply>>,
    /// Replies for requests whose body contains a text, tried before the queue.
    keyed: Mutex<Vec<(String, Reply)>>,
    log: Mutex<Log>,
    counter: AtomicU64,
    pub(super) cache: Mutex<PromptCache>,
    /// Models a test added to the catalogue.
    models: Mutex<Vec<Value>>,
    /// Seeded fault injection, when a soak test asked for it ([`super::faults`]).
    faults: Mutex<Option<Injector>>,
    /// The Message Batches endpoints' state ([`super::batches`]).
    pub(super) batches: Mutex<super::batches::Batches>,
}

/// A poisoned lock only means a test thread panicked while holding it; the data is fine.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub fn enqueue(&self, reply: Reply) {
        lock(&self.queue).push_back(reply);
    }

    pub fn enqueue_matching(&self, needle: String, reply: Reply) {
        lock(&self.keyed).push((needle, reply));
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).recent.iter().cloned().collect()
    }

    pub fn keep_requests(&self, keep: usize) {
        let mut log = lock(&self.log);
        log.keep = keep;
        log.trim();
    }

    pub fn requests_seen(&self) -> u64 {
        self.counter.load(Ordering::SeqCst)
    }

    pub fn inject_faults(&self, plan: FaultPlan) {
        *lock(&self.faults) = Some(Injector::new(plan));
    }

    pub fn fault_attempts(&self) -> Vec<AttemptRecord> {
        lock(&self.faults)
            .as_ref()
            .map(|i| i.attempts().to_vec())
            .unwrap_or_default()
    }

    /// The injector's reply, when faults are on (it answers every unscripted request).
    fn injected(&self, body: &Value) -> Option<Reply> {
        lock(&self.faults).as_mut().map(|i| i.reply(body))
    }

    pub fn plan_batches(&self, plan: super::batches::BatchPlan) {
        lock(&self.batches).set_plan(plan);
    }

    pub fn finish_batches(&self) {
        lock(&self.batches).finish_all();
    }

    pub fn add_model(&self, model: Value) {
        lock(&self.models).push(model);
    }

    fn extra_models(&self) -> Vec<Value> {
        lock(&self.models).clone()
    }

    /// The first keyed reply whose text occurs in the body's JSON, else the queue's next.
    pub(super) fn pop(&self, body: &Value) -> Option<Reply> {
        {
            let mut keyed = lock(&self.keyed);
            if !keyed.is_empty() {
                let text = body.to_string();
                if let Some(i) = keyed.iter().position(|(needle, _)| text.contains(needle)) {
                    return Some(keyed.remove(i).1);
                }
            }
        }
        lock(&self.queue).pop_front()
    }
}

pub fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let n = shared.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await;
    let json = bytes
        .as_ref()
        .ok()
        .and_then(|b| serde_json::from_slice(b).ok());
    lock(&shared.log).push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers: record_headers(&headers),
        body: json,
        raw_body: bytes.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
    });
    let mut response = match bytes {
        Err(_) => error(
            413,
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
            n,
        ),
        Ok(bytes) => route(&shared, &method, &uri, &headers, &bytes, n).await,
    };
    // Script and error headers win over the defaults (tests set rate-limit values).
    let defaults: Vec<(String, String)> = headers::common(n)
        .into_iter()
        .filter(|(name, _)| !response.headers().contains_key(name.as_str()))
        .collect();
    add_headers(&mut response, &defaults);
    response
}

async fn route(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    bytes: &[u8],
    n: u64,
) -> Response {
    if let Some(response) =
        super::batches::route(shared, method.as_str(), uri.path(), headers, bytes, n)
    {
        return response;
    }
    match (method.as_str(), uri.path()) {
        ("POST", "/v1/messages") => messages(shared, headers, bytes, n).await,
        ("POST", "/v1/messages/count_tokens") => count_tokens(headers, bytes, n),
        ("GET", "/v1/models") => match models::list(uri.query(), &shared.extra_models()) {
            Ok(page) => json_response(200, &page),
            Err(message) => error(400, "invalid_request_error", &message, n),
        },
        ("GET", path) if path.starts_with("/v1/models/") => {
            let id = path.trim_start_matches("/v1/models/");
            match models::get(id, &shared.extra_models()) {
                Some(model) => json_response(200, &model),
                None => error(404, "not_found_error", &format!("model: {id}"), n),
            }
        }
        _ => error(404, "not_found_error", "Not found", n),
    }
}

/// The headers as recorded: lowercase names, secrets redacted, repeats joined with ", ".
fn record_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let secret = matches!(
            name.as_str(),
            "x-api-key" | "authorization" | "proxy-authorization"
        );
        let value = if secret {
            REDACTED.to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        out.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// Authentication and version checks shared by the Messages endpoints; `Err` is the
/// error response to send.
pub(super) fn check_headers(headers: &HeaderMap, n: u64) -> Result<(), Box<Response>> {
    let present = |name: &str| headers.get(name).is_some_and(|v| !v.is_empty());
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.strip_prefix("Bearer ")
                .is_some_and(|t| !t.trim().is_empty())
        });
    if !present("x-api-key") && !bearer {
        return Err(Box::new(error(
            401,
            "authentication_error",
            "x-api-key header is required",
            n,
        )));
    }
    if !present("anthropic-version") {
        return Err(Box::new(error(
            400,
            "invalid_request_error",
            "anthropic-version: header is required",
            n,
        )));
    }
    Ok(())
}

fn count_tokens(headers: &HeaderMap, bytes: &[u8], n: u64) -> Response {
    if let Err(response) = check_headers(headers, n) {
        return *response;
    }
    match validate(bytes, Endpoint::CountTokens) {
        Ok(req) => json_response(
            200,
            &json!({"input_tokens": prompt::count_tokens(&req.body)}),
        ),
        Err(message) => error(400, "invalid_request_error", &message, n),
    }
}

async fn messages(shared: &Shared, headers: &HeaderMap, bytes: &[u8], n: u64) -> Response {
    if let Err(response) = check_headers(headers, n) {
        return *response;
    }
    let req = match validate(bytes, Endpoint::Messages) {
        Ok(req) => req,
        Err(message) => return error(400, "invalid_request_error", &message, n),
    };
    if let Err(message) = super::thinking::check_betas(&req.body, headers) {
        return error(400, "invalid_request_error", &message, n);
    }
    // Like the API, a prompt longer than the model's window is refused outright.
    if let Some(window) = models::window(&req.model, &shared.extra_models()) {
        let tokens = prompt::count_tokens(&req.body);
        if tokens > window {
            let message = format!("prompt is too long: {tokens} tokens > {window} maximum");
            return error(400, "invalid_request_error", &message, n);
        }
    }
    match shared.pop(&req.body).or_else(|| shared.injected(&req.body)) {
        Some(Reply::Error(e)) => {
            let mut response = error(e.status, &e.kind, &e.message, n);
            add_headers(&mut response, &e.headers);
            response
        }
        Some(Reply::Hang(d)) => {
            tokio::time::sleep(d).await;
            error(500, "api_error", "mock: the scripted hang is over", n)
        }
        Some(Reply::Script(script)) => answer(shared, &req, &script, None, n).await,
        None => {
            let (script, pace) = structured::reply(&req.body, req.max_tokens)
                .unwrap_or_else(|| assistant::reply(&req.body, req.max_tokens));
            answer(shared, &req, &script, Some(pace), n).await
        }
    }
}

/// A 200 answer from a script: SSE for streaming requests, else the folded message.
async fn answer(
    shared: &Shared,
    req: &ValidRequest,
    script: &Script,
    pace: Option<Pace>,
    n: u64,
) -> Response {
    let blocks = prompt::flatten(&req.body);
    let outcome = lock(&shared.cache).apply(&req.model, &blocks, Instant::now());
    let ctx = Context {
        message_id: format!("msg_mock_{n:04}"),
        model: req.model.clone(),
        usage: outcome.usage(),
        pace,
    };
    let mut response = if req.stream {
        let mut response = Response::new(body(frames(stream_plan(script, &ctx), &script.chunking)));
        add_headers(
            &mut response,
            &[
                (
                    "content-type".into(),
                    "text/event-stream; charset=utf-8".into(),
                ),
                ("cache-control".into(), "no-cache".into()),
            ],
        );
        response
    } else {
        folded(fold(script, &ctx), n).await
    };
    add_headers(&mut response, &script.headers);
    response
}

async fn folded(folded: Folded, n: u64) -> Response {
    match folded {
        Folded::Message { body, delay } => {
            sleep_if(delay).await;
            json_response(200, &body)
        }
        Folded::Error {
            status,
            kind,
            message,
            delay,
        } => {
            sleep_if(delay).await;
            error(status, &kind, &message, n)
        }
        Folded::Cut { delay } => {
            let mut response = Response::new(body(vec![Frame::Sleep(delay), Frame::Fail]));
            add_headers(
                &mut response,
                &[("content-type".into(), "application/json".into())],
            );
            response
        }
    }
}

async fn sleep_if(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

pub(super) fn json_response(status: u16, value: &Value) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    add_headers(
        &mut response,
        &[("content-type".into(), "application/json".into())],
    );
    response
}

/// An error in the API's shape: `{"type":"error","error":{...},"request_id":...}`.
pub fn error(status: u16, kind: &str, message: &str, n: u64) -> Response {
    let body = json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": headers::request_id(n),
    });
    json_response(status, &body)
}

/// Adds headers, replacing same-named ones; names or values that are not valid HTTP are
/// skipped (they can only come from a test's script).
fn add_headers(response: &mut Response, pairs: &[(String, String)]) {
    for (name, value) in pairs {
        let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) else {
            continue;
        };
        response.headers_mut().insert(name, value);
    }
}
