//! The Message Batches API: many Messages requests processed asynchronously at half price.
//!
//! The model: `POST /v1/messages/batches` takes `{"requests": [{custom_id, params}]}` and
//! answers a [`MessageBatch`] (`processing_status` `in_progress`); `GET
//! /v1/messages/batches/{id}` reports its [`RequestCounts`] until the status is `ended`,
//! when `results_url` names a JSONL file with one [`BatchResultLine`] per request, in no
//! particular order (match them by `custom_id`); `POST /v1/messages/batches/{id}/cancel`
//! asks the server to stop (status `canceling`, then `ended`; requests not yet processed
//! end `canceled`).
//!
//! Retries: retrieving and cancelling are idempotent and retried per the client's policy;
//! creating is not (a create that reached the server but whose answer was lost would
//! leave a second batch running, and billed).
//!
//! Credentials: the API key goes only to the configured API origin. `results_url` is
//! followed only when it is on that origin (scheme, host and port); when it points
//! anywhere else it is not contacted at all, and the results are read from the batch's
//! own results path on the configured origin instead ([`ResultsTarget`] says which, and
//! why, for the user).
//!
//! Bounds: a batch id must look like one (`[A-Za-z0-9_-]`, at most 128 characters), so a
//! user's `--resume-batch` value can never change the path; one result line is read up to
//! [`MAX_RESULT_LINE`] bytes.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::{Client, deadline_after, error_from_response, read_json, redirect_error};
use super::error::{ApiError, TimeoutPhase};
use super::retry::{RetryPolicy, retrying};
use super::wire::{ErrorBody, MessageResponse, MessagesRequest};

/// The most bytes one line of a results file may have: a result is one Messages answer,
/// far below this; a server sending more is misbehaving.
pub const MAX_RESULT_LINE: usize = 64 * 1024 * 1024;

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingStatus {
    InProgress,
    Canceling,
    Ended,
    /// A status this version does not know; polled like `in_progress`.
    #[serde(other)]
    Unknown,
}

/// How many requests are in each state. The API documents every count but `processing`
/// as zero until the whole batch ends; the mock moves them as each request finishes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    #[serde(default)]
    pub processing: u64,
    #[serde(default)]
    pub succeeded: u64,
    #[serde(default)]
    pub errored: u64,
    #[serde(default)]
    pub canceled: u64,
    #[serde(default)]
    pub expired: u64,
}

impl RequestCounts {
    pub fn total(&self) -> u64 {
        self.processing + self.succeeded + self.errored + self.canceled + self.expired
    }
}

/// A batch as the API describes it. Fields chatterm does not use stay in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageBatch {
    pub id: String,
    pub processing_status: ProcessingStatus,
    #[serde(default)]
    pub request_counts: RequestCounts,
    /// Set once processing has ended.
    #[serde(default)]
    pub results_url: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub cancel_initiated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MessageBatch {
    pub fn is_ended(&self) -> bool {
        self.processing_status == ProcessingStatus::Ended
    }
}

/// One request of a batch: a non-streaming Messages body under a caller-chosen id
/// (`[A-Za-z0-9_-]{1,64}`, unique in the batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    pub custom_id: String,
    pub params: MessagesRequest,
}

/// One line of a results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResultLine {
    pub custom_id: String,
    pub result: BatchResult,
}

/// How one request of a batch ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BatchResult {
    /// Boxed: an answer is much larger than the other variants.
    Succeeded {
        message: Box<MessageResponse>,
    },
    /// `error` is the API's error body (`{"type": "error", "error": {type, message}}`).
    Errored {
        #[serde(default)]
        error: ErrorBody,
    },
    Canceled,
    Expired,
    /// A result type this version does not know.
    #[serde(other)]
    Unknown,
}

/// Where the results are read from, and what to tell the user about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsTarget {
    pub url: String,
    /// Set when `results_url` was not followed (another origin).
    pub note: Option<String>,
}

/// Checks that `id` looks like a batch id, so it can go into a path as it is.
pub fn check_batch_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a batch id (expected letters, digits, _ and -, like msgbatch_01...)",
            crate::sanitize::sanitize_line(id)
        ))
    }
}

/// The scheme, host and port of `url`, or `None` when it does not parse.
fn origin(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Where to read `batch`'s results: its `results_url` when that is on `base_url`'s
/// origin, else the results path under `base_url` (see the module docs). `Err` when the
/// batch has no results yet.
pub fn results_target(base_url: &str, batch: &MessageBatch) -> Result<ResultsTarget, ApiError> {
    // The id goes into a path below: a server's odd id must not change it.
    check_batch_id(&batch.id).map_err(ApiError::Protocol)?;
    let own = format!(
        "{}/v1/messages/batches/{}/results",
        base_url.trim_end_matches('/'),
        batch.id
    );
    let Some(url) = batch.results_url.as_deref() else {
        return Err(ApiError::Protocol(format!(
            "the batch {} has no results_url yet (status {:?})",
            batch.id, batch.processing_status
        )));
    };
    if origin(url).is_some() && origin(url) == origin(base_url) {
        return Ok(ResultsTarget {
            url: url.to_owned(),
            note: None,
        });
    }
    let shown: String = crate::sanitize::sanitize_line(url)
        .chars()
        .take(200)
        .collect();
    Ok(ResultsTarget {
        url: own,
        note: Some(format!(
            "the batch's results_url ({shown}) is not on the configured API origin; the API \
             key goes nowhere else, so it was not followed and the results were read from \
             the API's own results path"
        )),
    })
}

impl Client {
    /// Creates a batch (one attempt, never retried: see the module docs).
    pub async fn create_batch(&self, requests: &[BatchRequest]) -> Result<MessageBatch, ApiError> {
        let body = serde_json::json!({ "requests": requests });
        let resp = self
            .send_json(reqwest::Method::POST, "/v1/messages/batches", Some(&body))
            .await?;
        read_json(resp).await
    }

    /// The batch's current state, retried per the policy.
    pub async fn retrieve_batch(&self, id: &str) -> Result<MessageBatch, ApiError> {
        check_batch_id(id).map_err(ApiError::Protocol)?;
        let path = format!("/v1/messages/batches/{id}");
        let policy = RetryPolicy::new(self.options().max_retries);
        retrying(&policy, || async {
            let resp = self
                .send_json(reqwest::Method::GET, &path, None::<&()>)
                .await?;
            read_json(resp).await
        })
        .await
    }

    /// Asks the server to cancel the batch; retried per the policy (cancelling twice is
    /// the same as once).
    pub async fn cancel_batch(&self, id: &str) -> Result<MessageBatch, ApiError> {
        check_batch_id(id).map_err(ApiError::Protocol)?;
        let path = format!("/v1/messages/batches/{id}/cancel");
        let policy = RetryPolicy::new(self.options().max_retries);
        retrying(&policy, || async {
            let resp = self
                .send_json(reqwest::Method::POST, &path, None::<&()>)
                .await?;
            read_json(resp).await
        })
        .await
    }

    /// Opens the results of an ended batch, read line by line as they arrive. The target
    /// is [`results_target`]'s, so credentials only ever go to the configured origin.
    pub async fn batch_results(&self, target: &ResultsTarget) -> Result<ResultLines, ApiError> {
        let mut headers = self.headers()?;
        headers.insert(
            "accept",
            reqwest::header::HeaderValue::from_static("application/binary"),
        );
        let send = self.http.get(&target.url).headers(headers).send();
        let deadline = deadline_after(self.options().first_byte_timeout);
        let resp = tokio::time::timeout_at(deadline, send)
            .await
            .map_err(|_| ApiError::Timeout(TimeoutPhase::FirstByte))?
            .map_err(super::client::from_reqwest)?;
        if resp.status().is_redirection() {
            return Err(redirect_error(&resp));
        }
        if !resp.status().is_success() {
            return Err(error_from_response(resp).await);
        }
        Ok(ResultLines {
            body: Box::pin(resp.bytes_stream()),
            buf: Vec::new(),
            idle_timeout: self.options().idle_timeout,
            eof: false,
        })
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// The lines of a results file as they arrive.
pub struct ResultLines {
    body: ByteStream,
    /// Bytes of the line being read.
    buf: Vec<u8>,
    idle_timeout: Duration,
    eof: bool,
}

impl ResultLines {
    /// The next result; `None` at the end of the file. A line that does not parse is an
    /// `Err` for that line only: the next call reads on.
    pub async fn next_line(&mut self) -> Option<Result<BatchResultLine, ApiError>> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                match parse_line(&line) {
                    Some(parsed) => return Some(parsed),
                    None => continue,
                }
            }
            if self.eof {
                let rest = std::mem::take(&mut self.buf);
                return parse_line(&rest);
            }
            if let Err(e) = self.fill().await {
                self.eof = true;
                self.buf.clear();
                return Some(Err(e));
            }
        }
    }

    async fn fill(&mut self) -> Result<(), ApiError> {
        let deadline = deadline_after(self.idle_timeout);
        let chunk = tokio::time::timeout_at(deadline, self.body.next())
            .await
            .map_err(|_| ApiError::Timeout(TimeoutPhase::Idle))?;
        match chunk {
            Some(Ok(bytes)) => {
                self.buf.extend_from_slice(&bytes);
                if self.buf.len() > MAX_RESULT_LINE && !self.buf.contains(&b'\n') {
                    return Err(ApiError::Protocol(format!(
                        "a line of the batch results is over {MAX_RESULT_LINE} bytes"
                    )));
                }
                Ok(())
            }
            Some(Err(e)) => Err(ApiError::Connection(format!(
                "the connection dropped while reading the batch results ({})",
                super::client::error_chain(&e)
            ))),
            None => {
                self.eof = true;
                Ok(())
            }
        }
    }
}

/// A line of the results file: `None` for a blank one.
fn parse_line(line: &[u8]) -> Option<Result<BatchResultLine, ApiError>> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(serde_json::from_str(text).map_err(|e| {
        ApiError::Protocol(format!("a line of the batch results is not a result: {e}"))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(results_url: Option<&str>) -> MessageBatch {
        serde_json::from_value(json!({"id": "msgbatch_1", "type": "message_batch",
            "processing_status": "ended", "results_url": results_url,
            "request_counts": {"processing": 0, "succeeded": 2, "errored": 1,
                "canceled": 0, "expired": 0}}))
        .unwrap()
    }

    #[test]
    fn results_url_is_followed_only_on_the_configured_origin() {
        let same = batch(Some(
            "http://127.0.0.1:8080/v1/messages/batches/msgbatch_1/results",
        ));
        let t = results_target("http://127.0.0.1:8080/", &same).unwrap();
        assert_eq!(t.url, same.results_url.clone().unwrap());
        assert_eq!(t.note, None);
        for other in [
            "http://127.0.0.1:9090/v1/messages/batches/msgbatch_1/results",
            "https://127.0.0.1:8080/v1/messages/batches/msgbatch_1/results",
            "http://evil.example/results",
            "not a url",
        ] {
            let t = results_target("http://127.0.0.1:8080", &batch(Some(other))).unwrap();
            assert_eq!(
                t.url,
                "http://127.0.0.1:8080/v1/messages/batches/msgbatch_1/results"
            );
            assert!(t.note.unwrap().contains("not followed"), "{other}");
        }
        assert!(results_target("http://127.0.0.1:8080", &batch(None)).is_err());
    }

    #[test]
    fn batch_ids_cannot_change_the_path() {
        assert!(check_batch_id("msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d").is_ok());
        for bad in ["", "../models", "a/b", "id?x=1", "a b", &"x".repeat(129)] {
            assert!(check_batch_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn batches_and_results_parse_with_unknown_values() {
        let b = batch(None);
        assert_eq!(b.request_counts.total(), 3);
        assert!(b.is_ended());
        let b: MessageBatch = serde_json::from_value(
            json!({"id": "x", "processing_status": "archiving", "future": 1}),
        )
        .unwrap();
        assert_eq!(b.processing_status, ProcessingStatus::Unknown);
        assert_eq!(b.extra["future"], 1);
        let lines = [
            json!({"custom_id": "a", "result": {"type": "succeeded",
                "message": {"id": "m", "model": "m1", "content": [], "usage": {}}}}),
            json!({"custom_id": "b", "result": {"type": "errored", "error": {"type": "error",
                "error": {"type": "overloaded_error", "message": "busy"}}}}),
            json!({"custom_id": "c", "result": {"type": "canceled"}}),
            json!({"custom_id": "d", "result": {"type": "expired"}}),
            json!({"custom_id": "e", "result": {"type": "later"}}),
        ];
        let parsed: Vec<BatchResultLine> = lines
            .iter()
            .map(|l| serde_json::from_value(l.clone()).unwrap())
            .collect();
        assert!(
            matches!(&parsed[0].result, BatchResult::Succeeded { message } if message.model == "m1")
        );
        assert!(
            matches!(&parsed[1].result, BatchResult::Errored { error } if error.error.kind == "overloaded_error")
        );
        assert_eq!(parsed[2].result, BatchResult::Canceled);
        assert_eq!(parsed[3].result, BatchResult::Expired);
        assert_eq!(parsed[4].result, BatchResult::Unknown);
        assert!(parse_line(b"  \n").is_none());
        assert!(parse_line(b"{\"x\":1}\n").unwrap().is_err());
    }
}
