//! Catalog tests: lookups, tier discovery, the disk cache, and a refresh against the mock.

use std::time::{Duration, SystemTime};

use super::disk::{self, MAX_AGE};
use super::*;
use crate::api::{Auth, ClientOptions, ModelsPage};
use crate::config::Config;

fn entry(id: &str, created: &str, lifecycle: &str, window: u64) -> ModelEntry {
    ModelEntry {
        id: id.into(),
        display_name: id.into(),
        created_at: Some(created.into()),
        max_input_tokens: Some(window),
        max_output_tokens: Some(64_000),
        line: line_of(id).map(str::to_owned),
        lifecycle: Some(lifecycle.into()),
        capabilities: None,
    }
}

fn listing() -> Catalog {
    Catalog::from_entries(vec![
        entry(
            "claude-sonnet-9",
            "2027-01-02T00:00:00Z",
            "active",
            2_000_000,
        ),
        entry(
            "claude-sonnet-10",
            "2027-06-01T00:00:00Z",
            "deprecated",
            2_000_000,
        ),
        entry("claude-haiku-9", "2027-03-01T00:00:00Z", "active", 300_000),
        entry("claude-haiku-8", "2026-03-01T00:00:00Z", "active", 300_000),
    ])
}

#[test]
fn lookups_prefer_the_listing_then_builtin_then_the_family_rule() {
    let c = listing();
    assert_eq!(c.window("claude-sonnet-9"), 2_000_000);
    assert_eq!(c.window("claude-haiku-4-5"), 200_000, "built-in");
    assert_eq!(
        c.window("claude-haiku-4-5-20251001"),
        200_000,
        "dated alias"
    );
    assert_eq!(c.max_output("claude-haiku-4-5"), Some(64_000));
    assert_eq!(
        c.max_output("claude-opus-4-5"),
        None,
        "unconfirmed, not guessed"
    );
    assert_eq!(c.window("claude-opus-7"), 1_000_000, "family rule");
    assert_eq!(Catalog::builtin().window("test-model"), 200_000);
}

#[test]
fn discovery_picks_the_newest_active_model_of_unpinned_tiers() {
    let c = listing();
    let mut models = Config::default().models;
    models.pinned.max = true;
    let changed = c.discover_tiers(&mut models);
    assert_eq!(
        changed,
        vec![
            (Tier::Fast, "claude-haiku-9".to_owned()),
            (Tier::Balanced, "claude-sonnet-9".to_owned()),
        ],
        "the deprecated sonnet-10 is newer but not active; no opus is listed"
    );
    assert_eq!(models.max, "claude-opus-5");
    // Nothing listed: nothing changes (offline keeps the defaults).
    let mut models = Config::default().models;
    assert!(Catalog::builtin().discover_tiers(&mut models).is_empty());
    assert_eq!(models, Config::default().models);
}

#[test]
fn capabilities_are_read_by_path_and_lines_inferred() {
    let info: ModelInfo = serde_json::from_value(serde_json::json!({
        "id": "claude-3-5-haiku-20241022",
        "capabilities": {"structured_outputs": {"supported": true},
                         "thinking": {"types": {"adaptive": {"supported": false}}}}
    }))
    .unwrap();
    let e = ModelEntry::from_info(info);
    assert_eq!(e.line.as_deref(), Some("haiku"));
    assert_eq!(e.display_name, "claude-3-5-haiku-20241022");
    assert!(e.is_active());
    assert_eq!(e.supports("structured_outputs"), Some(true));
    assert_eq!(e.supports("thinking.types.adaptive"), Some(false));
    assert_eq!(e.supports("citations"), None);
}

#[test]
fn the_disk_cache_is_per_endpoint_and_fresh_for_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let url = "http://127.0.0.1:9/";
    disk::save(dir.path(), url, &listing(), now).unwrap();
    let cached = disk::load(dir.path(), url, now + Duration::from_secs(60)).unwrap();
    assert!(cached.fresh);
    assert_eq!(cached.catalog, listing());
    let stale = disk::load(dir.path(), url, now + MAX_AGE + Duration::from_secs(1)).unwrap();
    assert!(!stale.fresh);
    assert!(disk::load(dir.path(), "https://api.anthropic.com", now).is_none());
    // The built-in catalog is never written; a corrupt file reads as no cache.
    let other = "http://other";
    disk::save(dir.path(), other, &Catalog::builtin(), now).unwrap();
    assert!(disk::load(dir.path(), other, now).is_none());
    std::fs::write(disk::file_for(dir.path(), other), "{not json").unwrap();
    assert!(disk::load(dir.path(), other, now).is_none());
}

#[test]
fn cache_dir_honours_the_environment_override() {
    let dir = disk::cache_dir(&|k| (k == disk::ENV_CACHE_DIR).then(|| "/tmp/x".to_owned()));
    assert_eq!(dir, Some(std::path::PathBuf::from("/tmp/x")));
}

#[tokio::test]
async fn refresh_lists_every_page_of_the_mock_and_saves_it() {
    let server = crate::mock::MockServer::start().await.unwrap();
    let client = Client::new(ClientOptions::new(server.url(), Auth::ApiKey("k".into()))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog = refresh(&client, Some(dir.path())).await.unwrap();
    let page: ModelsPage =
        serde_json::from_value(crate::mock::models::list(None, &[]).unwrap()).unwrap();
    assert_eq!(catalog.listed().len(), page.data.len());
    assert_eq!(
        catalog.newest("opus").map(|m| m.id.as_str()),
        Some("claude-opus-5-5")
    );
    assert_eq!(catalog.window("claude-haiku-4-5"), 200_000);
    assert_eq!(
        catalog
            .get("claude-sonnet-5")
            .and_then(|m| m.supports("structured_outputs")),
        Some(true)
    );
    let cached = disk::load(dir.path(), &server.url(), SystemTime::now()).unwrap();
    assert!(cached.fresh);
    assert_eq!(cached.catalog, catalog);
}
