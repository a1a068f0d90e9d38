//! Snapshots of an `/extract` panel at each stage, drawn through the whole app at the two
//! sizes the demo is checked at, and the panel's own rules. The builders here drive the
//! app the way the event loop does: the bundled schema loaded, the input sent, then the
//! extraction's events. They are shared with the app's `/extract` tests.

use std::path::Path;

use crossterm::event::KeyCode;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::api::{ApiError, ContentBlock, Usage};
use crate::cost::{Outcome, RequestEnd};
use crate::engine::{TurnId, Update};
use crate::extract::{ExtractError, Method, Progress, Report, Spend};

use super::*;
use crate::tui::app::extract::{ExtractEvent, ExtractRequest, ExtractUpdate};
use crate::tui::app::{App, Effect};
use crate::tui::run::extract_task::resolve_schema;
use crate::tui::test_support::*;

/// Wide (sidebar shown) and narrow (sidebar hidden by width), as the demo is checked.
const SIZES: [(u16, u16); 2] = [(100, 30), (60, 20)];

pub(crate) const EMAIL: &str = "Subject: Charged twice for my CloudVault Pro renewal\n\nHi there,\n\nI was charged twice for my CloudVault Pro annual renewal (order #48213).\nCould you refund the duplicate charge?\n\nThanks,\nDana";

pub(crate) const MODEL: &str = "claude-sonnet-4-6";

/// A result that matches the bundled support-email schema.
pub(crate) fn valid() -> Value {
    json!({
        "category": "billing",
        "priority": "high",
        "sentiment": "neutral",
        "summary": "Customer was charged twice for the CloudVault Pro renewal.",
        "entities": {"order_ids": ["#48213"], "product_names": ["CloudVault Pro"]},
        "suggested_action": "Refund the duplicate charge today and confirm by email."
    })
}

/// One that breaks it twice: an unknown priority and a summary under 10 characters.
fn broken() -> Value {
    let mut v = valid();
    v["priority"] = json!("whenever");
    v["summary"] = json!("Refund.");
    v
}

/// What the event loop does with an app's `/extract` run: events with one clock.
pub(crate) struct Run {
    pub id: u64,
    pub at: Instant,
}

impl Run {
    pub fn send(&self, app: &mut App, update: ExtractUpdate) {
        let event = ExtractEvent {
            id: self.id,
            update,
        };
        app.on_extract(event, self.at);
    }

    pub fn progress(&self, app: &mut App, p: Progress) {
        self.send(app, ExtractUpdate::Progress(p));
    }

    pub fn engine(&self, app: &mut App, attempt: u32, update: Update) {
        let update = Box::new(update);
        self.progress(app, Progress::Engine { attempt, update });
    }

    pub fn attempt(&self, app: &mut App, attempt: u32, method: Method) {
        let model = MODEL.to_owned();
        self.progress(
            app,
            Progress::AttemptStarted {
                attempt,
                model: model.clone(),
                method,
            },
        );
        let update = Update::Connected {
            turn: TurnId(u64::from(attempt)),
            model,
            tier: None,
            request_id: None,
            rate_limits: Default::default(),
        };
        self.engine(app, attempt, update);
    }

    /// `json` in 9-byte fragments (cutting strings and keys anywhere).
    pub fn stream(&self, app: &mut App, attempt: u32, json: &str) {
        for piece in json.as_bytes().chunks(9) {
            let fragment = String::from_utf8(piece.to_vec()).unwrap();
            self.progress(app, Progress::JsonDelta { attempt, fragment });
        }
    }

    /// The native answer's text block closed with `json`, with this usage.
    pub fn close(&self, app: &mut App, attempt: u32, json: &str, usage: Usage) {
        let turn = TurnId(u64::from(attempt));
        let update = Update::Usage {
            turn,
            model: MODEL.into(),
            cost_usd: Some(cost(&usage)),
            usage: usage.clone(),
        };
        self.engine(app, attempt, update);
        let block = ContentBlock::text(json);
        let update = Update::BlockFinished {
            turn,
            index: 0,
            block,
        };
        self.engine(app, attempt, update);
        // The request is over: the engine says so before the extraction goes on.
        let request = RequestEnd {
            model: MODEL.into(),
            tier: None,
            usage: Some(usage.clone()),
            usage_estimated: false,
            cost_usd: Some(cost(&usage)),
            outcome: Outcome::Answered,
            timing: None,
            today_usd: None,
        };
        self.engine(app, attempt, Update::RequestEnded { turn, request });
    }

    pub fn finish(&self, app: &mut App, result: Result<Value, ExtractError>, attempts: u32) {
        let mut spend = Spend::default();
        let pricing = crate::cost::Pricing::embedded();
        for _ in 0..attempts {
            spend.add(MODEL, &usage(), &pricing);
        }
        let report = Report {
            result,
            method: Method::Native,
            model: Some(MODEL.into()),
            attempts,
            spend,
        };
        self.send(app, ExtractUpdate::Finished(Box::new(report)));
    }
}

pub(crate) fn usage() -> Usage {
    Usage {
        input_tokens: 812,
        output_tokens: 96,
        ..Usage::default()
    }
}

/// $3 / $15 per million on claude-sonnet-4-6.
fn cost(usage: &Usage) -> f64 {
    (usage.input_tokens as f64 * 3.0 + usage.output_tokens as f64 * 15.0) / 1e6
}

/// The bundled schema, loaded as the event loop would.
pub(crate) fn arm(app: &mut App) {
    app.take_effects();
    type_text(app, "/extract support-email");
    press(app, KeyCode::Enter);
    let effects = app.take_effects();
    let [Effect::LoadSchema { spec }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let loaded = resolve_schema(spec, Path::new("/nonexistent"), None);
    app.schema_loaded(spec, loaded);
}

/// Arms the mode, pastes `input` and sends it: the request the app asks to run.
pub(crate) fn send_input(app: &mut App, input: &str) -> ExtractRequest {
    arm(app);
    app.on_paste(input);
    press(app, KeyCode::Enter);
    let mut requests: Vec<ExtractRequest> = app
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Extract(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(requests.len(), 1, "one extraction starts");
    requests.remove(0)
}

/// An extraction of [`EMAIL`] has started; its first attempt (native) is connected.
pub(crate) fn started(app: &mut App) -> Run {
    let request = send_input(app, EMAIL);
    let run = Run {
        id: request.id,
        at: Instant::now(),
    };
    run.attempt(app, 1, Method::Native);
    run
}

fn snap(name: &str, build: impl Fn(&mut App)) {
    for (w, h) in SIZES {
        let mut app = app();
        build(&mut app);
        let terminal = draw(&mut app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}"), terminal.backend());
    }
}

pub(crate) fn panel(app: &App) -> &ExtractPanel {
    app.conversation
        .cells()
        .iter()
        .rev()
        .find_map(|c| match &c.kind {
            crate::tui::render::cells::CellKind::Extract(p) => Some(&**p),
            _ => None,
        })
        .expect("an extraction panel")
}

fn errors_of(value: &Value) -> Vec<String> {
    let loaded = resolve_schema("support-email", Path::new("/nonexistent"), None).unwrap();
    loaded.schema.validate(value)
}

#[test]
fn the_input_box_says_what_the_next_message_is_for() {
    snap("extract_armed", |app| {
        answer(app, "hi", "Hello.");
        arm(app);
    });
    let mut app = app();
    arm(&mut app);
    type_text(&mut app, "Subject: refund");
    let screen = crate::tui::test_support::screen(&mut app, 60, 20);
    assert!(
        screen.contains(" extract with support-email: paste or type the te"),
        "{screen}"
    );
    assert!(screen.contains("Subject: refund"), "{screen}");
}

#[test]
fn streaming_with_a_string_cut_in_the_middle() {
    snap("extract_streaming_cut_string", |app| {
        let run = started(app);
        let json = serde_json::to_string(&valid()).unwrap();
        let cut = json.find("CloudVault").unwrap() + 5;
        run.stream(app, 1, &json[..cut]);
    });
}

#[test]
fn valid_result_with_its_cost() {
    snap("extract_valid", |app| {
        let run = started(app);
        let json = serde_json::to_string(&valid()).unwrap();
        run.stream(app, 1, &json);
        run.close(app, 1, &json, usage());
        assert_eq!(panel(app).state(), &ExtractState::Validating);
        run.finish(app, Ok(valid()), 1);
        assert_eq!(panel(app).state(), &ExtractState::Valid);
    });
}

#[test]
fn invalid_answer_highlights_the_field_and_retries() {
    snap("extract_rejected", |app| {
        let run = started(app);
        let json = serde_json::to_string(&broken()).unwrap();
        run.stream(app, 1, &json);
        run.close(app, 1, &json, usage());
        let errors = errors_of(&broken());
        assert_eq!(errors.len(), 2, "{errors:?}");
        run.progress(app, Progress::Rejected { attempt: 1, errors });
        assert_eq!(panel(app).state(), &ExtractState::Rejected);
    });
}

#[test]
fn retrying_with_the_errors() {
    snap("extract_retrying", |app| {
        let run = started(app);
        let json = serde_json::to_string(&broken()).unwrap();
        run.stream(app, 1, &json);
        run.close(app, 1, &json, usage());
        let errors = errors_of(&broken());
        run.progress(app, Progress::Rejected { attempt: 1, errors });
        run.attempt(app, 2, Method::Native);
        let json = serde_json::to_string(&valid()).unwrap();
        run.stream(app, 2, &json[..json.len() / 2]);
    });
}

#[test]
fn still_invalid_after_the_retry() {
    snap("extract_invalid", |app| {
        let run = started(app);
        let json = serde_json::to_string(&broken()).unwrap();
        for attempt in [1, 2] {
            if attempt == 2 {
                run.attempt(app, 2, Method::Native);
            }
            run.stream(app, attempt, &json);
            run.close(app, attempt, &json, usage());
            let errors = errors_of(&broken());
            run.progress(app, Progress::Rejected { attempt, errors });
        }
        let errors = errors_of(&broken());
        run.finish(app, Err(ExtractError::Invalid { errors }), 2);
        assert_eq!(panel(app).state(), &ExtractState::Invalid);
    });
}

#[test]
fn refused() {
    snap("extract_refused", |app| {
        let run = started(app);
        let text = "I can't help with classifying this message.";
        run.stream(app, 1, text);
        let text = text.to_owned();
        run.finish(app, Err(ExtractError::Refusal { text }), 1);
    });
}

#[test]
fn cut_off_at_max_tokens() {
    snap("extract_cut_off", |app| {
        let run = started(app);
        let json = serde_json::to_string(&valid()).unwrap();
        run.stream(app, 1, &json[..json.len() - 40]);
        let max_tokens = 64;
        run.finish(app, Err(ExtractError::MaxTokens { max_tokens }), 1);
    });
}

#[test]
fn failed_request_says_why() {
    let mut app = app();
    let run = started(&mut app);
    let error = ApiError::Http {
        status: 529,
        kind: "overloaded_error".into(),
        message: "Overloaded".into(),
        request_id: None,
        retry_after: None,
        should_retry: None,
    };
    run.finish(&mut app, Err(ExtractError::Api(error)), 1);
    let screen = crate::tui::test_support::screen(&mut app, 100, 30);
    assert!(
        screen.contains("◆ extract · support-email · native · ✗ failed (api):"),
        "{screen}"
    );
}

#[test]
fn violations_parse_their_pointer() {
    let v = Violation::parse("/entities/order_ids/0: 5 is not of type \"string\"");
    assert_eq!(v.pointer.as_deref(), Some("/entities/order_ids/0"));
    assert_eq!(v.message, "5 is not of type \"string\"");
    let root = Violation::parse("(root): \"summary\" is a required property");
    assert_eq!(root.pointer.as_deref(), Some(""));
    let other = Violation::parse("the answer is not JSON: expected value at line 1");
    assert_eq!(other.pointer, None);
    assert_eq!(other.message, other.text);
}

#[test]
fn a_valid_result_wrapped_in_text_is_shown_from_the_value() {
    let mut panel = ExtractPanel::new("s", "input");
    panel.attempt_started(1, Method::Native);
    panel.push_json("```json\n{\"a\": 1}\n```");
    let report = Report {
        result: Ok(json!({"a": 1})),
        method: Method::Native,
        model: None,
        attempts: 1,
        spend: Spend::default(),
    };
    panel.finished(&report);
    assert_eq!(panel.json_text(), "{\n  \"a\": 1\n}");
}

#[test]
fn hostile_text_is_sanitised() {
    let mut app = app();
    let run = started(&mut app);
    run.stream(&mut app, 1, "{\"summary\": \"x\u{1b}[2Jy\u{9b}31m\"");
    let errors = vec!["/summary: \u{1b}]52;c;AAAA\u{7} is bad".to_owned()];
    run.progress(&mut app, Progress::Rejected { attempt: 1, errors });
    let terminal = draw(&mut app, 100, 30);
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "a control character reached the screen"
        );
    }
}

#[test]
fn a_request_retry_is_shown_until_the_answer_streams_again() {
    let mut app = app();
    let run = started(&mut app);
    let retry = Update::Retrying {
        turn: TurnId(1),
        attempt: 1,
        max: 3,
        wait: std::time::Duration::from_secs(2),
        reason: "overloaded (529)".into(),
    };
    run.engine(&mut app, 1, retry);
    let screen = crate::tui::test_support::screen(&mut app, 100, 30);
    assert!(
        screen.contains("↻ request retry 1 of 3 in 2s: overloaded (529)"),
        "{screen}"
    );
    assert!(
        screen.contains("retrying 1 of 3"),
        "the status bar: {screen}"
    );
    let fell = Update::FellBack {
        turn: TurnId(1),
        from: "claude-sonnet-4-6".into(),
        to: "claude-haiku-4-5".into(),
        reason: "is overloaded".into(),
    };
    run.stream(&mut app, 1, "{\"category\": ");
    let screen = crate::tui::test_support::screen(&mut app, 100, 30);
    assert!(!screen.contains("request retry"), "{screen}");
    run.engine(&mut app, 1, fell);
    run.stream(&mut app, 1, "\"billing\"");
    let screen = crate::tui::test_support::screen(&mut app, 100, 30);
    assert!(
        screen.contains("↳ claude-sonnet-4-6 is overloaded; answering with claude-haiku-4-5"),
        "{screen}"
    );
}
