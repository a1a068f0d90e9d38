//! A local Anthropic-compatible server on loopback, for tests and the offline demo.
//!
//! [`MockServer`] speaks enough of the API for chatterm to run against it unchanged:
//!
//! - `POST /v1/messages`: checks auth (`x-api-key` or `authorization: Bearer`, else 401) and
//!   `anthropic-version` (else 400), validates the body like the API ([`validate`], and
//!   [`schema_rules`] for structured outputs), then answers with a keyed [`Reply`] whose
//!   text occurs in the request ([`MockServer::enqueue_matching`]), else the next queued one
//!   (FIFO), or, when there is none, with the simulated assistant: a structured answer
//!   matching the request's schema when it asks for JSON ([`structured`]), else a chat
//!   answer ([`assistant`]); with web search or fetch offered, a news question or a URL
//!   gets a server tool round with cited sources ([`search`]), and the server tool blocks
//!   echoed in a history must come back verbatim. Scripts stream as real SSE when the request has
//!   `"stream": true` and fold into one JSON message otherwise ([`render`]), cut into network
//!   writes by their [`Chunking`] ([`body`]).
//! - `POST /v1/messages/count_tokens`: same checks, `{"input_tokens": N}` from the
//!   deterministic estimate (about one token per 4 characters of each block's JSON).
//! - `GET /v1/models`, `GET /v1/models/{id}`: a fixed catalogue with cursor pagination,
//!   plus any model a test added; a Messages prompt longer than its model's
//!   `max_input_tokens` gets the API's "prompt is too long" 400.
//! - The Message Batches endpoints (`/v1/messages/batches`: create, retrieve, cancel,
//!   results as JSONL), each request answered as `POST /v1/messages` would, revealed over
//!   a [`batches::BatchPlan`]'s delay with a seeded share errored ([`batches`]).
//! - With [`MockServer::inject_faults`], unscripted Messages requests go to a seeded fault
//!   injector ([`faults`]) instead: a share fail (429, 529, 500, 503, drops, stalls).
//! - Anything else: 404 `not_found_error` in the API's error shape.
//!
//! Usage numbers follow a prompt-cache simulation with the API's prefix rules ([`cache`]),
//! except for scripts with an explicit `Start` step, whose usage is sent verbatim.
//! The last [`DEFAULT_KEEP_REQUESTS`] requests, up to [`KEEP_BODY_BYTES`] of bodies, are
//! recorded ([`MockServer::requests`], [`MockServer::keep_requests`] for more) with secret
//! headers redacted, so a long demo session's memory stays flat; a body over [`BODY_LIMIT`] (32 MB) gets the API's 413
//! `request_too_large` and is not kept.
//! Every response carries `request-id: req_mock_N` (N counts requests to any endpoint)
//! and plausible `anthropic-ratelimit-*` headers.
//!
//! Nothing here is used by the client code paths: the mock only depends on the wire types.

pub mod assistant;
pub mod assistant_tools;
pub mod batches;
pub mod body;
pub mod cache;
pub mod faults;
pub mod headers;
pub mod instance;
pub mod models;
pub mod named_tools;
pub mod prompt;
pub mod render;
pub mod schema_rules;
pub mod script;
pub mod search;
mod server;
pub mod structured;
mod support;
pub mod thinking;
pub mod validate;
pub mod validate_cache;
pub mod workload;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::task::JoinHandle;

pub use script::{Chunking, HttpError, Reply, Script, Step};
pub use server::{BODY_LIMIT, DEFAULT_KEEP_REQUESTS, KEEP_BODY_BYTES, REDACTED};

/// One request as the mock received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// Lowercase names; `x-api-key` / `authorization` values are [`REDACTED`].
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON; `None` when empty or not JSON.
    pub body: Option<serde_json::Value>,
    /// The body exactly as received, for byte-for-byte comparisons (a resumed
    /// conversation must replay the same request).
    pub raw_body: Vec<u8>,
}

impl RecordedRequest {
    /// A header's value by (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// A running mock server. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// Binds 127.0.0.1 on a free port and serves in a background tokio task.
    pub async fn start() -> std::io::Result<MockServer> {
        Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Binds the given address (used by `chatterm mock-server --port N`).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::default());
        let app = server::router(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            // serve only returns on a listener error; the server is then simply gone,
            // and clients see connection errors, which is what a dead server looks like.
            let _ = axum::serve(listener, app).await;
        });
        Ok(MockServer { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues a scripted reply for the next valid `POST /v1/messages` (FIFO). When the
    /// queue is empty the simulated assistant answers.
    pub fn enqueue(&self, reply: Reply) {
        self.shared.enqueue(reply);
    }

    /// Adds a model to `GET /v1/models` (listed first), e.g. [`models::custom`] with a
    /// small `max_input_tokens` to test context bounding.
    pub fn add_model(&self, model: serde_json::Value) {
        self.shared.add_model(model);
    }

    /// Queues a reply for the next valid `POST /v1/messages` whose body, as JSON text,
    /// contains `needle` (tried before the FIFO queue, oldest first). Made for concurrent
    /// tests, where FIFO order across requests is not deterministic: give each input a
    /// unique marker and key its replies on it. `needle` should avoid characters JSON
    /// escapes (quotes, backslashes, control characters).
    pub fn enqueue_matching(&self, needle: impl Into<String>, reply: Reply) {
        self.shared.enqueue_matching(needle.into(), reply);
    }

    /// From now on, answer every unscripted Messages request through a seeded fault
    /// injector ([`faults`]): a share of attempts fail, the rest are complete answers.
    pub fn inject_faults(&self, plan: faults::FaultPlan) {
        self.shared.inject_faults(plan);
    }

    /// How Message Batches are processed from now on ([`batches`]: delay, errored share,
    /// seed, expiry, the origin `results_url` names).
    pub fn plan_batches(&self, plan: batches::BatchPlan) {
        self.shared.plan_batches(plan);
    }

    /// Lets time pass for the batches: every request still processing finishes now (a
    /// test's way to end a batch planned to take hours).
    pub fn finish_batches(&self) {
        self.shared.finish_batches();
    }

    /// The fault injector's record of every attempt it answered, in order (empty without
    /// [`MockServer::inject_faults`]).
    pub fn fault_attempts(&self) -> Vec<faults::AttemptRecord> {
        self.shared.fault_attempts()
    }

    /// The requests received so far, oldest first (all endpoints): the last
    /// [`DEFAULT_KEEP_REQUESTS`] (or as many as [`MockServer::keep_requests`] set), fewer
    /// when their bodies pass [`KEEP_BODY_BYTES`] in all.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Keeps the last `keep` requests from now on (dropping older ones at once), for a
    /// test that needs to look back further than the default.
    pub fn keep_requests(&self, keep: usize) {
        self.shared.keep_requests(keep);
    }

    /// Requests received in all, kept or not.
    pub fn requests_seen(&self) -> u64 {
        self.shared.requests_seen()
    }

    /// Serves until ctrl-c, or until this future is dropped.
    pub async fn wait(mut self) {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = &mut self.task => {}
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The system prompt of the offline demo: long and stable, as real applications' prompts
/// are, so the demo's usage shows prompt-cache writes and reads.
pub const DEMO_SYSTEM_PROMPT: &str = include_str!("../../assets/demo/system.md");
