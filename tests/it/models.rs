//! Tiers end to end: auto routing, per-tier budgets, and model discovery from the mock's
//! `/v1/models` (in the engine, and in the binary with its disk cache).

use std::time::Duration;

use chatterm::api::catalog::{Catalog, disk};
use chatterm::config::{PerTier, Tier, TierChoice};
use chatterm::cost::Pricing;
use chatterm::engine::{Command, Engine, EngineHandle, Update};
use chatterm::mock::{HttpError, MockServer, Reply, Script, Step, models};
use serde_json::Value;

use crate::binary::{against, assert_success, cache_dir, output, write_file};
use crate::common::*;

fn reply() -> Reply {
    Reply::Script(Script::new(vec![Step::text("ok"), Step::end_turn(1)]))
}

fn last_body(server: &MockServer) -> Value {
    message_bodies(server).pop().expect("a messages request")
}

fn routed(updates: &[Update]) -> Option<(Tier, String)> {
    updates.iter().find_map(|u| match u {
        Update::Routed { tier, reason, .. } => Some((*tier, reason.clone())),
        _ => None,
    })
}

#[tokio::test]
async fn auto_routes_each_request_by_the_rules() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.models.tier = TierChoice::Auto;
    let mut engine = engine_for(&server, &config);
    let cases = [
        (
            "/review the parser",
            MAX,
            Tier::Max,
            "rule review command",
            8192,
        ),
        (
            "Classify the sentiment: great product",
            FAST,
            Tier::Fast,
            "rule classification",
            512,
        ),
        (
            "Tell me about the weather on Mars",
            BALANCED,
            Tier::Balanced,
            "default",
            8192,
        ),
    ];
    for (prompt, model, tier, reason, max_tokens) in cases {
        server.enqueue(reply());
        let updates = turn(&mut engine, prompt).await;
        assert_eq!(
            routed(&updates),
            Some((tier, reason.to_owned())),
            "{prompt}"
        );
        let started = updates.iter().find_map(|u| match u {
            Update::TurnStarted { tier, model, .. } => Some((*tier, model.clone())),
            _ => None,
        });
        assert_eq!(started, Some((Some(tier), model.to_owned())));
        let body = last_body(&server);
        assert_eq!(body["model"], model, "{prompt}");
        assert_eq!(body["max_tokens"], max_tokens, "{prompt}");
    }
    // A fixed tier again: no routing.
    engine.commands.send(Command::SetTier(Tier::Fast)).unwrap();
    server.enqueue(reply());
    let updates = turn(&mut engine, "/review again").await;
    assert_eq!(routed(&updates), None);
    assert_eq!(last_body(&server)["model"], FAST);
}

#[tokio::test]
async fn a_routed_request_still_falls_back() {
    let server = MockServer::start().await.unwrap();
    for _ in 0..2 {
        server.enqueue(Reply::Error(
            HttpError::new(529, "overloaded_error", "busy").with_header("retry-after-ms", "10"),
        ));
    }
    server.enqueue(reply());
    let mut config = test_config();
    config.models.tier = TierChoice::Auto;
    config.api.max_retries = 1;
    let mut engine = engine_for(&server, &config);
    let updates = turn(&mut engine, "/audit the login flow").await;
    assert_eq!(routed(&updates).map(|r| r.0), Some(Tier::Max));
    assert!(
        updates
            .iter()
            .any(|u| matches!(u, Update::FellBack { to, .. } if to.contains(BALANCED))),
        "{updates:?}"
    );
    assert_eq!(finished(&updates).unwrap().model, BALANCED);
}

#[tokio::test]
async fn budgets_are_per_tier_and_capped_by_the_model() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.models.max_tokens = PerTier {
        fast: 100,
        balanced: 200,
        max: 300_000,
    };
    let catalog = Catalog::from_models(vec![
        serde_json::from_value(models::custom(MAX, "opus", 200_000, 64_000)).unwrap(),
    ]);
    let client = client_for(&server, &config);
    let mut engine = Engine::new(client, &config, Pricing::embedded())
        .with_catalog(catalog)
        .spawn();
    for (tier, want) in [
        (Tier::Fast, 100),
        (Tier::Balanced, 200),
        (Tier::Max, 64_000),
    ] {
        engine.commands.send(Command::SetTier(tier)).unwrap();
        server.enqueue(reply());
        turn(&mut engine, "hi").await;
        assert_eq!(last_body(&server)["max_tokens"], want, "{tier}");
    }
}

/// Waits for the engine's first `ModelChanged`, if one comes within a few seconds.
async fn model_changed(engine: &mut EngineHandle) -> Option<(Option<Tier>, String)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(u)) = tokio::time::timeout_at(deadline, engine.updates.recv()).await {
        if let Update::ModelChanged { tier, model } = u {
            return Some((tier, model));
        }
    }
    None
}

#[tokio::test]
async fn the_engine_discovers_unpinned_tiers_before_the_first_turn() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.models.tier = Tier::Balanced.into();
    config.models.pinned.fast = true;
    let client = client_for(&server, &config);
    let mut engine = Engine::new(client, &config, Pricing::embedded())
        .refresh_catalog(Some(dir.path().to_path_buf()))
        .spawn();
    assert_eq!(
        model_changed(&mut engine).await,
        Some((Some(Tier::Balanced), "claude-sonnet-5-5".to_owned()))
    );
    server.enqueue(reply());
    turn(&mut engine, "hi").await;
    assert_eq!(last_body(&server)["model"], "claude-sonnet-5-5");
    // The pinned fast tier kept its id.
    engine.commands.send(Command::SetTier(Tier::Fast)).unwrap();
    server.enqueue(reply());
    turn(&mut engine, "hi").await;
    assert_eq!(last_body(&server)["model"], FAST);
    let cached = disk::load(dir.path(), &server.url(), std::time::SystemTime::now());
    assert!(
        cached.is_some_and(|c| c.fresh),
        "the listing was kept on disk"
    );
}

#[tokio::test]
async fn fully_pinned_tiers_are_never_replaced() {
    let server = MockServer::start().await.unwrap();
    let mut config = test_config();
    config.models.pinned = PerTier::all(true);
    let client = client_for(&server, &config);
    let mut engine = Engine::new(client, &config, Pricing::embedded())
        .refresh_catalog(None)
        .spawn();
    assert_eq!(model_changed(&mut engine).await, None);
    server.enqueue(reply());
    turn(&mut engine, "hi").await;
    assert_eq!(last_body(&server)["model"], MAX);
}

fn models_listings(server: &MockServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/models")
        .count()
}

#[tokio::test]
async fn print_mode_discovers_once_a_day_and_a_config_pins() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::text("one"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(last_body(&server)["model"], "claude-sonnet-5-5");
    assert_eq!(models_listings(&server), 1);
    assert!(disk::file_for(&cache_dir(&home), &server.url()).exists());

    // A second run reads the fresh listing from disk: no new request to /v1/models.
    server.enqueue(Reply::text("two"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--tier", "fast"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(last_body(&server)["model"], "claude-haiku-5-5");
    assert_eq!(models_listings(&server), 1);

    // A config that names a model pins that tier.
    let config = write_file(
        &home,
        "pinned.toml",
        "[models]\nbalanced = \"claude-sonnet-4-6\"\n",
    );
    server.enqueue(Reply::text("three"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--config"]).arg(&config);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(last_body(&server)["model"], "claude-sonnet-4-6");
}

#[tokio::test]
async fn print_mode_tier_auto_routes() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::text("positive"));
    let mut cmd = against(&server, &home);
    cmd.env("CHATTERM_TIER", "auto")
        .args(["-p", "Classify the sentiment: I love it"]);
    let out = output(cmd).await;
    assert_success(&out);
    let body = last_body(&server);
    assert_eq!(body["model"], "claude-haiku-5-5");
    assert_eq!(body["max_tokens"], 512);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("auto: fast tier (rule classification)"),
        "{err}"
    );
}
