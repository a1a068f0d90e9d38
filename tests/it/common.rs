//! Shared set-up: a mock server, a client with short timeouts, an engine, ways to collect
//! one turn's updates or wait for one update, readers for what the mock received, and the
//! priced script several money tests share. Running the binary is in `binary.rs`.

use std::time::Duration;

use chatterm::api::{Auth, Client, ClientOptions, DeltaUsage, StopReason, Usage};
use chatterm::config::{Config, Tier};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, RequestEnd, Update};
use chatterm::mock::{MockServer, RecordedRequest, Reply, Script, Step};
use serde_json::Value;

pub const FAST: &str = "test-fast";
pub const BALANCED: &str = "test-balanced";
pub const MAX: &str = "test-max";

/// A config whose tiers map to test model ids and whose timeouts suit tests.
pub fn test_config() -> Config {
    let mut c = Config::default();
    c.models.fast = FAST.into();
    c.models.balanced = BALANCED.into();
    c.models.max = MAX.into();
    c.models.tier = Tier::Max.into();
    c.models.fallback = vec![Tier::Max, Tier::Balanced, Tier::Fast];
    c.api.max_retries = 3;
    c.api.first_byte_timeout = Duration::from_secs(10);
    c.api.idle_timeout = Duration::from_secs(10);
    c
}

pub fn client_for(server: &MockServer, config: &Config) -> Client {
    let mut o = ClientOptions::new(server.url(), Auth::ApiKey("sk-test".into()));
    o.first_byte_timeout = config.api.first_byte_timeout;
    o.idle_timeout = config.api.idle_timeout;
    o.max_retries = config.api.max_retries;
    Client::new(o).expect("client")
}

pub fn engine_for(server: &MockServer, config: &Config) -> EngineHandle {
    Engine::new(client_for(server, config), config, Pricing::embedded()).spawn()
}

/// Sends `text` and collects updates until the turn finishes or fails (30 s guard against
/// a hung test, not a speed check).
pub async fn turn(handle: &mut EngineHandle, text: &str) -> Vec<Update> {
    handle
        .commands
        .send(Command::Send(text.into()))
        .expect("send");
    collect_turn(handle).await
}

pub async fn collect_turn(handle: &mut EngineHandle) -> Vec<Update> {
    collect_turn_reacting(handle, |_| None).await
}

/// Collects updates until the turn finishes or fails, sending the command `react` returns
/// for any of them (an approval, a cancel); 30 s guard against a hung test.
pub async fn collect_turn_reacting(
    handle: &mut EngineHandle,
    react: impl Fn(&Update) -> Option<Command>,
) -> Vec<Update> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let u = tokio::time::timeout_at(deadline, handle.updates.recv())
            .await
            .expect("turn did not end within 30 s")
            .expect("engine stopped");
        if let Some(cmd) = react(&u) {
            handle.commands.send(cmd).expect("send");
        }
        let end = matches!(u, Update::TurnFinished { .. } | Update::Error { .. });
        seen.push(u);
        if end {
            return seen;
        }
    }
}

/// Skips updates until `pick` takes one and returns what it made of it; panics naming
/// `what` after 30 s (a hang guard, not a speed check).
pub async fn next_update<T>(
    handle: &mut EngineHandle,
    what: &str,
    mut pick: impl FnMut(Update) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let u = tokio::time::timeout_at(deadline, handle.updates.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} within 30 s"))
            .expect("engine stopped");
        if let Some(picked) = pick(u) {
            return picked;
        }
    }
}

/// Waits until the answer's text has begun streaming.
pub async fn until_text(handle: &mut EngineHandle) {
    next_update(handle, "text delta", |u| {
        matches!(u, Update::TextDelta { .. }).then_some(())
    })
    .await;
}

/// The concatenated text deltas of a turn.
pub fn streamed_text(updates: &[Update]) -> String {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

pub fn finished(updates: &[Update]) -> Option<&chatterm::api::MessageResponse> {
    updates.iter().find_map(|u| match u {
        Update::TurnFinished { message, .. } => Some(message),
        _ => None,
    })
}

pub fn error(
    updates: &[Update],
) -> Option<(
    &chatterm::api::ApiError,
    Option<&chatterm::api::MessageResponse>,
)> {
    updates.iter().find_map(|u| match u {
        Update::Error { error, partial, .. } => Some((error, partial.as_ref())),
        _ => None,
    })
}

/// The `/v1/messages` requests the mock received, in order (token counts and model lists
/// left out).
pub fn message_requests(server: &MockServer) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/messages")
        .collect()
}

/// The bodies of [`message_requests`].
pub fn message_bodies(server: &MockServer) -> Vec<Value> {
    message_requests(server)
        .into_iter()
        .filter_map(|r| r.body)
        .collect()
}

/// Usage {input 1000, cache write 2000, cache read 3000} at message_start, output 500 at
/// the end, answering `text`: $0.0189 on a $3 / $15 model (3000 + 7500 + 900 + 7500 µ$).
pub fn script_0189(text: &str) -> Script {
    Script::new(vec![
        Step::Start {
            usage: Usage {
                input_tokens: 1000,
                cache_creation_input_tokens: 2000,
                cache_read_input_tokens: 3000,
                output_tokens: 1,
                ..Usage::default()
            },
        },
        Step::text(text),
        Step::Stop {
            reason: StopReason::EndTurn,
            usage: DeltaUsage {
                output_tokens: Some(500),
                ..DeltaUsage::default()
            },
        },
    ])
}

/// An answer that streams `text`, then stalls for a minute before `rest` and the end: for
/// tests that interrupt or kill a turn mid-stream.
pub fn stalls_after(text: &str, rest: &str) -> Reply {
    Reply::Script(Script::new(vec![
        Step::text(text),
        Step::Stall(Duration::from_secs(60)),
        Step::text(rest),
        Step::end_turn(9),
    ]))
}

/// The roles of a request body's messages, in order.
pub fn roles(body: &Value) -> Vec<Value> {
    body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["role"].clone())
        .collect()
}

/// The text of a stored message's text blocks.
pub fn text_of(message: &chatterm::store::StoredMessage) -> String {
    (message.content.iter())
        .filter_map(|b| match b {
            chatterm::api::ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect()
}

/// The `RequestEnded` reports among `updates`, in order.
pub fn request_ends(updates: &[Update]) -> Vec<&RequestEnd> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::RequestEnded { request, .. } => Some(request),
            _ => None,
        })
        .collect()
}

/// Posts `body` to the mock's Messages endpoint as a client would (a test key), for the
/// tests of its API validation: the status and the response's text.
pub async fn post_messages(server: &MockServer, body: &Value) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/messages", server.url()))
        .header("x-api-key", "sk-test")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}
