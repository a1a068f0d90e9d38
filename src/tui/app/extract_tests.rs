//! `/extract` driven by plain calls: the command, the schema, the mode, the keys, and one
//! run of the real extractor against the mock server.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::Value;

use crate::api::catalog::Catalog;
use crate::api::{Auth, Client, ClientOptions};
use crate::config::Config;
use crate::cost::{Ledger, MemoryLedger, Pricing};
use crate::engine::Command;
use crate::extract::{ExtractError, Extractor, Method, Progress};
use crate::mock::{MockServer, Script};

use super::*;
use crate::tui::run::extract_task::{ExtractService, Extractions, resolve_schema};
use crate::tui::test_support::*;
use crate::tui::widgets::extract_panel::ExtractState;
use crate::tui::widgets::extract_panel::tests::{
    EMAIL, Run, panel, send_input, started, usage, valid,
};

fn flash(app: &App) -> String {
    app.flash
        .as_ref()
        .map(|(t, _)| t.clone())
        .unwrap_or_default()
}

fn notices(app: &App) -> Vec<String> {
    app.conversation
        .cells()
        .iter()
        .filter_map(|c| match &c.kind {
            CellKind::Notice { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn copies(app: &mut App) -> Vec<String> {
    app.take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Copy(text) => Some(text),
            _ => None,
        })
        .collect()
}

/// Types `/extract spec`, presses Enter and loads what it names relative to `cwd`.
fn extract_command(app: &mut App, spec: &str, cwd: &Path) {
    type_text(app, &format!("/extract {spec}"));
    press(app, KeyCode::Enter);
    let effects = app.take_effects();
    assert_eq!(
        effects,
        [Effect::LoadSchema {
            spec: spec.to_owned()
        }]
    );
    app.schema_loaded(spec, resolve_schema(spec, cwd, None));
}

#[test]
fn extract_without_a_schema_says_how_to_use_it() {
    let mut app = app();
    type_text(&mut app, "/extract");
    // Enter would complete the popup's choice first; without it, Enter says how.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert!(
        flash(&app).starts_with("usage: /extract SCHEMA"),
        "{}",
        flash(&app)
    );
    assert!(flash(&app).contains("support-email"));
    assert_eq!(app.input.text(), "/extract", "the input stays");
    assert!(app.take_effects().is_empty());
}

#[test]
fn the_popup_offers_the_bundled_schemas() {
    let mut app = app();
    type_text(&mut app, "/extract sup");
    assert!(app.popup_visible());
    assert_eq!(
        app.popup.completion().as_deref(),
        Some("/extract support-email")
    );
}

#[test]
fn a_bundled_name_arms_the_mode_from_any_directory() {
    let mut app = app();
    extract_command(&mut app, "support-email", Path::new("/nonexistent"));
    assert!(app.extract_armed());
    let mode = app.input.mode().unwrap_or_default().to_owned();
    assert_eq!(
        mode,
        "extract with support-email: paste or type the text, Enter to run, Esc to cancel"
    );
    assert!(notices(&app).is_empty());
}

#[test]
fn schema_files_relative_to_the_directory_or_home() {
    let dir = tempfile::tempdir().unwrap();
    let schema = r#"{"type": "object", "properties": {"n": {"type": "integer"}}}"#;
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    std::fs::write(dir.path().join("schemas/n.json"), schema).unwrap();
    let loaded = resolve_schema("schemas/n.json", dir.path(), None).unwrap();
    assert_eq!(loaded.name, "n.json");
    let home = resolve_schema("~/schemas/n.json", Path::new("/"), Some(dir.path())).unwrap();
    assert_eq!(home.schema.full(), loaded.schema.full());
    // A file wins over a bundled name; the bundled one is found without its file.
    std::fs::write(dir.path().join("support-email"), schema).unwrap();
    let file = resolve_schema("support-email", dir.path(), None).unwrap();
    assert_eq!(file.schema.full(), loaded.schema.full());
    let bundled = resolve_schema("support-email.json", Path::new("/nonexistent"), None).unwrap();
    assert_eq!(bundled.name, "support-email");
    assert!(bundled.schema.full()["properties"]["priority"].is_object());
}

#[test]
fn a_bad_schema_gives_a_notice_and_keeps_the_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    let mut app = app();
    extract_command(&mut app, "broken.json", dir.path());
    assert!(!app.extract_armed());
    assert_eq!(app.input.text(), "/extract broken.json");
    let notices = notices(&app);
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("is not valid JSON"), "{notices:?}");

    let mut app = crate::tui::test_support::app();
    extract_command(&mut app, "missing.json", dir.path());
    assert!(!app.extract_armed());
    assert_eq!(app.input.text(), "/extract missing.json");
    let text = &self::notices(&app)[0];
    assert!(
        text.contains("missing.json: no such file") && text.contains("bundled: support-email"),
        "{text}"
    );
}

#[test]
fn the_input_goes_to_the_extractor_not_the_chat() {
    let mut app = app();
    let request = send_input(&mut app, EMAIL);
    assert_eq!(request.input, EMAIL);
    assert_eq!(request.schema.name, "support-email");
    assert_eq!(request.target.tier, Some(Tier::Balanced));
    assert!(!app.extract_armed(), "the mode is for one message");
    assert_eq!(app.input.mode(), None);
    assert!(app.input.is_empty());
    assert!(app.is_busy());
    let users = app.conversation.cells().iter();
    assert!(!users.clone().any(|c| matches!(c.kind, CellKind::User(_))));
    assert_eq!(panel(&app).state(), &ExtractState::Starting);
}

#[test]
fn the_extraction_follows_the_chats_model() {
    let mut app = app();
    type_text(&mut app, "/model claude-opus-5");
    press(&mut app, KeyCode::Enter);
    app.take_effects();
    let request = send_input(&mut app, "some text");
    assert_eq!(request.target.tier, None);
    assert_eq!(request.target.model.as_deref(), Some("claude-opus-5"));
}

#[test]
fn chat_and_extraction_take_turns() {
    let mut app = app();
    let _run = started(&mut app);
    type_text(&mut app, "hello");
    press(&mut app, KeyCode::Enter);
    assert_eq!(flash(&app), "an extraction is running: Esc cancels it");
    assert_eq!(app.input.text(), "hello");
    let sent = app.take_effects().into_iter();
    assert!(
        !sent
            .clone()
            .any(|e| matches!(e, Effect::Engine(Command::Send(_))))
    );

    let mut app = crate::tui::test_support::app();
    start_turn(&mut app, "question", "claude-sonnet-4-6");
    app.take_effects();
    let loaded = resolve_schema("support-email", Path::new("/"), None);
    app.schema_loaded("support-email", loaded);
    app.on_paste("an email");
    press(&mut app, KeyCode::Enter);
    assert_eq!(flash(&app), "an answer is streaming: Esc interrupts it");
    assert!(app.extract_armed(), "still waiting for its input");
}

#[test]
fn esc_cancels_a_running_extraction_and_its_usage_still_counts() {
    let mut app = app();
    let run = started(&mut app);
    run.progress(
        &mut app,
        Progress::JsonDelta {
            attempt: 1,
            fragment: "{\"category\": \"bil".into(),
        },
    );
    press(&mut app, KeyCode::Esc);
    assert!(app.take_effects().contains(&Effect::CancelExtract(run.id)));
    assert_eq!(panel(&app).state(), &ExtractState::Cancelled);
    assert_eq!(flash(&app), "extraction cancelled");
    // Late events leave the panel as it was, but the request was paid for.
    run.progress(
        &mut app,
        Progress::JsonDelta {
            attempt: 1,
            fragment: "ling\"}".into(),
        },
    );
    assert_eq!(panel(&app).json_text(), "{\n  \"category\": \"bil");
    run.close(&mut app, 1, "{}", usage());
    run.finish(&mut app, Err(ExtractError::Cancelled), 1);
    assert!(!app.is_busy());
    assert_eq!(panel(&app).state(), &ExtractState::Cancelled);
    let totals = app.cost.account.totals();
    assert_eq!((totals.requests, totals.tokens().input), (1, 812));
}

#[test]
fn esc_leaves_the_armed_mode() {
    let mut app = app();
    let loaded = resolve_schema("support-email", Path::new("/"), None);
    app.schema_loaded("support-email", loaded);
    type_text(&mut app, "draft");
    press(&mut app, KeyCode::Esc);
    assert!(!app.extract_armed());
    assert_eq!(app.input.mode(), None);
    assert_eq!(app.input.text(), "draft", "the text stays for the chat");
    press(&mut app, KeyCode::Enter);
    let effects = app.take_effects();
    assert!(effects.contains(&Effect::Engine(Command::Send("draft".into()))));
}

#[test]
fn ctrl_y_and_copy_take_the_validated_json() {
    let mut app = app();
    answer(&mut app, "hi", "an earlier answer");
    let run = started(&mut app);
    let json = serde_json::to_string(&valid()).unwrap();
    run.stream(&mut app, 1, &json);
    run.close(&mut app, 1, &json, usage());
    run.finish(&mut app, Ok(valid()), 1);
    app.take_effects();
    chord(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL);
    let pretty = serde_json::to_string_pretty(&valid()).unwrap();
    assert_eq!(copies(&mut app), vec![pretty.clone()]);
    assert!(
        flash(&app).starts_with("sent the extracted JSON to the clipboard"),
        "{}",
        flash(&app)
    );
    type_text(&mut app, "/copy");
    press(&mut app, KeyCode::Enter);
    assert_eq!(copies(&mut app), [pretty]);
}

#[test]
fn ctrl_y_after_a_failed_extraction_says_so() {
    let mut app = app();
    answer(&mut app, "hi", "an earlier answer");
    let run = started(&mut app);
    let refusal = ExtractError::Refusal {
        text: String::new(),
    };
    run.finish(&mut app, Err(refusal), 1);
    app.take_effects();
    chord(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert!(copies(&mut app).is_empty());
    assert_eq!(
        flash(&app),
        "the last extraction gave no valid JSON to copy"
    );
}

#[test]
fn events_of_another_extraction_are_dropped() {
    let mut app = app();
    let run = started(&mut app);
    let other = Run {
        id: run.id + 7,
        at: run.at,
    };
    other.stream(&mut app, 1, "{\"x\": 1}");
    other.finish(&mut app, Ok(valid()), 1);
    assert!(app.is_busy());
    assert_eq!(panel(&app).json_text(), "");
}

#[test]
fn the_help_lists_extract() {
    let mut app = app();
    press(&mut app, KeyCode::F(1));
    let screen = crate::tui::test_support::screen(&mut app, 100, 60);
    let line = screen.lines().find(|l| l.contains("/extract SCHEMA"));
    assert!(
        line.is_some_and(|l| l.contains("turn the next message into JSON")),
        "{screen}"
    );
}

/// The real extractor against `server`, its events fed to the app as the event loop does,
/// until the extraction ends. Returns the methods of its attempts and the request.
async fn run_against(
    server: &MockServer,
    native: bool,
    app: &mut App,
    ledger: Arc<MemoryLedger>,
) -> (Vec<Method>, ExtractRequest) {
    let client = Client::new(ClientOptions::new(
        server.url(),
        Auth::ApiKey("sk-test".into()),
    ))
    .unwrap();
    // The mock's `/v1/models` says which models take native structured outputs.
    let catalog = if native {
        crate::api::catalog::refresh(&client, None).await.unwrap()
    } else {
        Catalog::builtin()
    };
    let extractor =
        Extractor::new(client, &Config::default(), Pricing::embedded()).with_ledger(ledger);
    let mut extractions = Extractions::new(ExtractService::new(extractor, catalog));
    let request = send_input(app, EMAIL);
    extractions.start(&request);
    let mut methods = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), extractions.next())
            .await
            .expect("the extraction did not end within 30 s");
        if let ExtractUpdate::Progress(Progress::AttemptStarted { method, .. }) = &event.update {
            methods.push(*method);
        }
        let end = matches!(event.update, ExtractUpdate::Finished(_));
        app.on_extract(event, now());
        if end {
            return (methods, request);
        }
    }
}

/// The issue's end to end: the real extractor against the mock server, its events fed to
/// the app as the event loop does. The mock answers the forced tool call with JSON made
/// from the schema; the panel ends valid, Ctrl+Y copies JSON that matches the schema, and
/// the requests are in the session account and the ledger.
#[tokio::test]
async fn a_real_extraction_against_the_mock_ends_valid() {
    let server = MockServer::start().await.unwrap();
    let ledger = Arc::new(MemoryLedger::new());
    let mut app = app();
    let (methods, request) = run_against(&server, false, &mut app, ledger.clone()).await;
    // The built-in catalog does not know the capability: the tool method, one attempt.
    assert_eq!(methods, [Method::Tool]);
    assert_eq!(panel(&app).state(), &ExtractState::Valid);
    assert!(!app.is_busy());
    app.take_effects();
    chord(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL);
    let copied = copies(&mut app);
    assert_eq!(copied.len(), 1);
    let value: Value = serde_json::from_str(&copied[0]).unwrap();
    assert!(request.schema.schema.validate(&value).is_empty());
    assert_eq!(panel(&app).json_text(), copied[0], "the view is the result");
    let totals = app.cost.account.totals();
    assert_eq!(totals.requests, 1);
    assert!(totals.cost_usd > 0.0);
    let spent = ledger.spent_since(0).unwrap();
    assert!(
        (spent - totals.cost_usd).abs() < 1e-9,
        "{spent} vs {totals:?}"
    );
}

/// Natively, with a first answer that breaks the schema: the panel shows the rejection,
/// the corrected retry streams, and it ends valid with both requests accounted.
#[tokio::test]
async fn a_native_extraction_corrected_once_against_the_mock() {
    let server = MockServer::start().await.unwrap();
    let mut broken = valid();
    broken["priority"] = Value::String("whenever".into());
    server.enqueue(Script::json_text(&broken).into());
    server.enqueue(Script::json_text(&valid()).into());
    let ledger = Arc::new(MemoryLedger::new());
    let mut app = app();
    let (methods, _) = run_against(&server, true, &mut app, ledger.clone()).await;
    assert_eq!(methods, [Method::Native, Method::Native]);
    assert_eq!(panel(&app).state(), &ExtractState::Valid);
    let pretty = serde_json::to_string_pretty(&valid()).unwrap();
    assert_eq!(panel(&app).json_text(), pretty);
    let screen = crate::tui::test_support::screen(&mut app, 100, 60);
    assert!(screen.contains("2 requests"), "{screen}");
    assert!(screen.contains("corrected once"), "{screen}");
    assert_eq!(app.cost.account.totals().requests, 2);
    let spent = ledger.spent_since(0).unwrap();
    assert!((spent - app.cost.account.totals().cost_usd).abs() < 1e-9);
}
