//! The Message Batches endpoints of the mock: create, retrieve, results as JSONL, cancel.
//!
//! The model: a batch is answered in full when it is created (each request validated and
//! answered exactly as a non-streaming `POST /v1/messages` would be, keyed and queued
//! replies included, with `usage.service_tier: "batch"`), and the answers are revealed
//! over time. The [`BatchPlan`] says how: request `i` of `n` finishes at
//! `delay * (i + 1) / n` after creation, so a progress bar moves; a seeded share of
//! requests ends `errored` instead (`api_error`), the same ones for the same seed and
//! custom ids; requests still unfinished after `expire_after` end `expired`. A request
//! whose params the Messages endpoint would reject ends `errored` with that 400's
//! `invalid_request_error`, as the API does.
//!
//! `request_counts` move as each request finishes (the API documents them as zero until
//! the batch ends; a client must cope with both). Cancelling marks every unfinished
//! request `canceled`: the cancel answer says `canceling`, and the batch has `ended` from
//! the next retrieve on. Results are only served once a batch has ended, in reverse
//! request order (the API promises no order, so clients must match `custom_id`s), at
//! `results_url` (the mock's own address unless the plan names another origin, which
//! tests use to check that credentials never follow it).
//!
//! Checks like the API's on create: `requests` a non-empty array of at most 100,000, each
//! `custom_id` `[A-Za-z0-9_-]{1,64}` and unique, `params` without `stream: true`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use axum::http::HeaderMap;
use axum::response::Response;

use super::headers::rfc3339;
use super::render::{Context, Folded, fold};
use super::server::{Shared, check_headers, error, json_response, lock};
use super::validate::{Endpoint, validate};
use super::{assistant, prompt, structured};

/// The most requests one batch may hold (the API's limit).
pub const MAX_REQUESTS: usize = 100_000;

/// How batches are processed (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchPlan {
    /// When the last request of a batch finishes, after creation.
    pub delay: Duration,
    /// The share of requests (0 to 1) that end `errored`.
    pub errored: f64,
    /// Picks which requests error.
    pub seed: u64,
    /// Requests unfinished this long after creation end `expired` (`None`: never).
    pub expire_after: Option<Duration>,
    /// The scheme, host and port `results_url` names; `None` is the mock's own.
    pub results_origin: Option<String>,
}

impl Default for BatchPlan {
    /// The demo's: two seconds for the whole batch, nothing errored or expired.
    fn default() -> Self {
        BatchPlan {
            delay: Duration::from_secs(2),
            errored: 0.0,
            seed: 0,
            expire_after: None,
            results_origin: None,
        }
    }
}

/// One request of a batch and its answer, revealed at `finish_at`.
#[derive(Debug)]
struct Entry {
    custom_id: String,
    finish_at: Instant,
    /// The `result` object of its results line once finished.
    result: Value,
    canceled: bool,
}

#[derive(Debug)]
struct Batch {
    id: String,
    created: Instant,
    created_at: SystemTime,
    expire_after: Option<Duration>,
    entries: Vec<Entry>,
    cancel_initiated_at: Option<SystemTime>,
    /// The cancel answer has been given; from now on the batch reads `ended`.
    cancel_reported: bool,
}

/// How one entry stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Processing,
    Succeeded,
    Errored,
    Canceled,
    Expired,
}

impl Batch {
    fn state(&self, entry: &Entry, now: Instant) -> State {
        if entry.canceled {
            return State::Canceled;
        }
        if let Some(expiry) = self.expire_after.and_then(|d| self.created.checked_add(d))
            && entry.finish_at > expiry
        {
            return if now >= expiry {
                State::Expired
            } else {
                State::Processing
            };
        }
        if now < entry.finish_at {
            State::Processing
        } else if entry.result["type"] == "succeeded" {
            State::Succeeded
        } else {
            State::Errored
        }
    }

    fn ended(&self, now: Instant) -> bool {
        self.entries
            .iter()
            .all(|e| self.state(e, now) != State::Processing)
    }

    /// The batch object as the API shows it.
    fn to_json(&self, now: Instant, results_base: &str) -> Value {
        let mut counts: BTreeMap<&str, u64> = ["processing", "succeeded", "errored"]
            .into_iter()
            .chain(["canceled", "expired"])
            .map(|k| (k, 0))
            .collect();
        for entry in &self.entries {
            let key = match self.state(entry, now) {
                State::Processing => "processing",
                State::Succeeded => "succeeded",
                State::Errored => "errored",
                State::Canceled => "canceled",
                State::Expired => "expired",
            };
            *counts.entry(key).or_insert(0) += 1;
        }
        let ended = self.ended(now) && (self.cancel_initiated_at.is_none() || self.cancel_reported);
        let status = match (ended, self.cancel_initiated_at) {
            (true, _) => "ended",
            (false, Some(_)) => "canceling",
            (false, None) => "in_progress",
        };
        let at = |t: Option<SystemTime>| t.map_or(Value::Null, |t| json!(rfc3339(t)));
        json!({
            "id": self.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.created_at + Duration::from_secs(24 * 60 * 60)),
            "ended_at": at(ended.then(SystemTime::now)),
            "cancel_initiated_at": at(self.cancel_initiated_at),
            "archived_at": null,
            "results_url": if ended {
                json!(format!("{results_base}/v1/messages/batches/{}/results", self.id))
            } else {
                Value::Null
            },
        })
    }

    /// The JSONL results file, in reverse request order.
    fn results(&self, now: Instant) -> String {
        let mut out = String::new();
        for entry in self.entries.iter().rev() {
            let result = match self.state(entry, now) {
                State::Canceled => json!({"type": "canceled"}),
                State::Expired => json!({"type": "expired"}),
                _ => entry.result.clone(),
            };
            let line = json!({"custom_id": entry.custom_id, "result": result});
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}

/// Every batch the mock has been given, and the plan for new ones.
#[derive(Debug, Default)]
pub struct Batches {
    plan: BatchPlan,
    batches: Vec<Batch>,
    created: u64,
}

/// What a handler answers: a status and a JSON body, or a JSONL text.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Json(u16, Value),
    Jsonl(String),
    Error(u16, &'static str, String),
}

impl Batches {
    pub fn set_plan(&mut self, plan: BatchPlan) {
        self.plan = plan;
    }

    /// Lets time pass: every request still processing finishes now.
    pub fn finish_all(&mut self) {
        let now = Instant::now();
        for entry in self.batches.iter_mut().flat_map(|b| b.entries.iter_mut()) {
            entry.finish_at = entry.finish_at.min(now);
        }
    }

    fn results_base(&self, own: &str) -> String {
        self.plan
            .results_origin
            .clone()
            .unwrap_or_else(|| own.to_owned())
            .trim_end_matches('/')
            .to_owned()
    }

    fn find(&mut self, id: &str) -> Option<&mut Batch> {
        self.batches.iter_mut().find(|b| b.id == id)
    }

    /// `POST /v1/messages/batches`; `answer` answers one request's params as the Messages
    /// endpoint would (a `result` object).
    pub fn create(
        &mut self,
        bytes: &[u8],
        own: &str,
        answer: &mut dyn FnMut(&Value) -> Value,
    ) -> Answer {
        let requests = match check_create(bytes) {
            Ok(r) => r,
            Err(message) => return Answer::Error(400, "invalid_request_error", message),
        };
        self.created += 1;
        let id = format!(
            "msgbatch_mock_{:04}_{:08x}",
            self.created, self.plan.seed as u32
        );
        let created = Instant::now();
        let n = requests.len() as u32;
        let entries = requests
            .iter()
            .enumerate()
            .map(|(i, (custom_id, params))| {
                let errored = roll(self.plan.seed, custom_id) < self.plan.errored;
                let result = if errored {
                    errored_result(
                        "api_error",
                        "Internal server error (mock: a seeded share of batch requests errors)",
                    )
                } else {
                    answer(params)
                };
                let offset = self.plan.delay.saturating_mul(i as u32 + 1) / n.max(1);
                Entry {
                    custom_id: custom_id.clone(),
                    finish_at: created + offset,
                    result,
                    canceled: false,
                }
            })
            .collect();
        let batch = Batch {
            id,
            created,
            created_at: SystemTime::now(),
            expire_after: self.plan.expire_after,
            entries,
            cancel_initiated_at: None,
            cancel_reported: false,
        };
        let body = batch.to_json(Instant::now(), &self.results_base(own));
        self.batches.push(batch);
        Answer::Json(200, body)
    }

    /// `GET /v1/messages/batches/{id}`.
    pub fn retrieve(&mut self, id: &str, own: &str) -> Answer {
        let base = self.results_base(own);
        match self.find(id) {
            Some(batch) => {
                if batch.cancel_initiated_at.is_some() {
                    batch.cancel_reported = true;
                }
                Answer::Json(200, batch.to_json(Instant::now(), &base))
            }
            None => not_found(id),
        }
    }

    /// `POST /v1/messages/batches/{id}/cancel`.
    pub fn cancel(&mut self, id: &str, own: &str) -> Answer {
        let base = self.results_base(own);
        let Some(batch) = self.find(id) else {
            return not_found(id);
        };
        let now = Instant::now();
        if !batch.ended(now) && batch.cancel_initiated_at.is_none() {
            let unfinished: Vec<usize> = (0..batch.entries.len())
                .filter(|&i| batch.state(&batch.entries[i], now) == State::Processing)
                .collect();
            for i in unfinished {
                batch.entries[i].canceled = true;
            }
            batch.cancel_initiated_at = Some(SystemTime::now());
        }
        Answer::Json(200, batch.to_json(now, &base))
    }

    /// `GET /v1/messages/batches/{id}/results`.
    pub fn results(&mut self, id: &str) -> Answer {
        let Some(batch) = self.find(id) else {
            return not_found(id);
        };
        let now = Instant::now();
        if !batch.ended(now) {
            let message = format!("Batch {id} has not ended yet; results are not available.");
            return Answer::Error(400, "invalid_request_error", message);
        }
        Answer::Jsonl(batch.results(now))
    }
}

fn not_found(id: &str) -> Answer {
    Answer::Error(404, "not_found_error", format!("message_batch: {id}"))
}

fn errored_result(kind: &str, message: &str) -> Value {
    json!({"type": "errored", "error": {"type": "error",
        "error": {"type": kind, "message": message}}})
}

/// A number in [0, 1) fixed by the seed and the custom id (FNV-1a, then scaled).
fn roll(seed: u64, custom_id: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in custom_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // A final mix, so neighbouring ids do not give neighbouring numbers.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The requests of a create body, or the 400's message.
fn check_create(bytes: &[u8]) -> Result<Vec<(String, Value)>, String> {
    let body: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("There was an error parsing the body of your request: {e}"))?;
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Err("requests: Field required".into());
    };
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return Err(format!(
            "requests: a batch holds 1 to {MAX_REQUESTS} requests, got {}",
            requests.len()
        ));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let id = r.get("custom_id").and_then(Value::as_str).unwrap_or("");
        let valid_id = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid_id {
            return Err(format!(
                "requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            ));
        }
        if !seen.insert(id) {
            return Err(format!("requests.{i}.custom_id: {id:?} is used twice"));
        }
        let Some(params) = r.get("params").filter(|p| p.is_object()) else {
            return Err(format!("requests.{i}.params: Field required"));
        };
        if params.get("stream") == Some(&Value::Bool(true)) {
            return Err(format!(
                "requests.{i}.params.stream: streaming is not supported in batches"
            ));
        }
        out.push((id.to_owned(), params.clone()));
    }
    Ok(out)
}

/// One request's `result`, answered as `POST /v1/messages` would answer it: `reply` is
/// the keyed or queued scripted reply, if any; `usage` the cache simulation's.
pub fn answer_params(
    params: &Value,
    reply: &mut dyn FnMut(&Value) -> Option<super::Reply>,
    usage: &mut dyn FnMut(&str, &Value) -> crate::api::Usage,
    message_id: String,
) -> Value {
    let req = match serde_json::to_vec(params)
        .map_err(|e| e.to_string())
        .and_then(|bytes| validate(&bytes, Endpoint::Messages))
    {
        Ok(req) => req,
        Err(message) => return errored_result("invalid_request_error", &message),
    };
    let script = match reply(&req.body) {
        Some(super::Reply::Script(script)) => script,
        Some(super::Reply::Error(e)) => return errored_result(&e.kind, &e.message),
        Some(super::Reply::Hang(_)) => {
            return errored_result("api_error", "mock: the scripted hang is over");
        }
        None => {
            structured::reply(&req.body, req.max_tokens)
                .unwrap_or_else(|| assistant::reply(&req.body, req.max_tokens))
                .0
        }
    };
    let ctx = Context {
        message_id,
        model: req.model.clone(),
        usage: usage(&req.model, &req.body),
        pace: None,
    };
    match fold(&script, &ctx) {
        Folded::Message { mut body, .. } => {
            body["usage"]["service_tier"] = json!("batch");
            json!({"type": "succeeded", "message": body})
        }
        Folded::Error { kind, message, .. } => errored_result(&kind, &message),
        Folded::Cut { .. } => errored_result("api_error", "mock: the connection was cut"),
    }
}

/// Routes a request under `/v1/messages/batches`; `None` when the path is not one of
/// the batch endpoints.
pub(super) fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    bytes: &[u8],
    n: u64,
) -> Option<Response> {
    let rest = path.strip_prefix("/v1/messages/batches")?;
    let parts: Vec<&str> = rest.split('/').skip(1).collect();
    let call = match (method, parts.as_slice()) {
        ("POST", []) => Call::Create,
        ("GET", [id]) => Call::Retrieve(id),
        ("POST", [id, "cancel"]) => Call::Cancel(id),
        ("GET", [id, "results"]) => Call::Results(id),
        _ => return None,
    };
    if let Err(response) = check_headers(headers, n) {
        return Some(*response);
    }
    // The mock listens on loopback over plain HTTP: its own address is the Host header.
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let own = format!("http://{host}");
    let answer = match call {
        Call::Create => {
            let mut answer_one = |params: &Value| {
                let mut reply = |body: &Value| shared.pop(body);
                let mut usage = |model: &str, body: &Value| {
                    let blocks = prompt::flatten(body);
                    lock(&shared.cache)
                        .apply(model, &blocks, Instant::now())
                        .usage()
                };
                answer_params(params, &mut reply, &mut usage, format!("msg_mock_{n:04}"))
            };
            lock(&shared.batches).create(bytes, &own, &mut answer_one)
        }
        Call::Retrieve(id) => lock(&shared.batches).retrieve(id, &own),
        Call::Cancel(id) => lock(&shared.batches).cancel(id, &own),
        Call::Results(id) => lock(&shared.batches).results(id),
    };
    Some(match answer {
        Answer::Json(status, body) => json_response(status, &body),
        Answer::Error(status, kind, message) => error(status, kind, &message, n),
        Answer::Jsonl(text) => {
            let mut response = Response::new(axum::body::Body::from(text));
            response.headers_mut().insert(
                "content-type",
                axum::http::HeaderValue::from_static("application/x-jsonl"),
            );
            response
        }
    })
}

enum Call<'a> {
    Create,
    Retrieve(&'a str),
    Cancel(&'a str),
    Results(&'a str),
}

#[cfg(test)]
mod tests;
