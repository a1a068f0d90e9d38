//! Shared set-up: a mock server, a client with short timeouts, an engine, and a way to
//! collect one turn's updates.

use std::time::Duration;

use chatterm::api::{Auth, Client, ClientOptions};
use chatterm::config::{Config, Tier};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::MockServer;

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
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let u = tokio::time::timeout_at(deadline, handle.updates.recv())
            .await
            .expect("turn did not end within 30 s")
            .expect("engine stopped");
        let end = matches!(u, Update::TurnFinished { .. } | Update::Error { .. });
        seen.push(u);
        if end {
            return seen;
        }
    }
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
