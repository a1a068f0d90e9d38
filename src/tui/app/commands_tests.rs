//! The whole-conversation slash commands and the command messages, driven through keys.

use std::path::PathBuf;

use crossterm::event::KeyCode;

use crate::config::TierChoice;
use crate::engine::Command;
use crate::store::ConversationId;

use super::*;
use crate::tui::app::{App, Effect, StoreRequest};
use crate::tui::test_support::*;

fn run(app: &mut App, line: &str) {
    type_text(app, line);
    // Enter completes a popup selection first when the line is not a whole command yet.
    press(app, KeyCode::Enter);
}

#[test]
fn an_empty_session_has_a_table_with_no_tier_rows() {
    let table = cost_table(&Totals::default());
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("Session cost: $0"), "{table}");
    assert!(lines[0].ends_with("over 0 requests"), "{table}");
    assert!(lines[1].starts_with("tier") && lines[1].ends_with("cost"));
    assert!(lines[2].starts_with("tokens: input 0"), "{table}");
    assert_eq!(lines.len(), 3, "no cache line before any prompt token");
}

#[test]
fn the_default_export_name_follows_the_format() {
    assert_eq!(
        default_export_name("7".into(), ExportFormat::Json),
        PathBuf::from("chatterm-7.json")
    );
    assert_eq!(
        default_export_name("7".into(), ExportFormat::Markdown),
        PathBuf::from("chatterm-7.md")
    );
}

#[test]
fn tier_auto_asks_the_engine_for_routing() {
    let mut app = app();
    run(&mut app, "/tier auto");
    assert_eq!(
        engine_commands(&mut app),
        [Command::SetTierChoice(TierChoice::Auto)]
    );
    assert!(screen(&mut app, 100, 20).contains(" auto "));
}

#[test]
fn an_unknown_command_says_how_to_send_it_as_text_in_80_columns() {
    let mut app = app();
    run(&mut app, "/classify this email");
    let shown = screen(&mut app, 80, 24);
    assert!(
        shown.contains("/classify is not a command: //classify sends it as text"),
        "{shown}"
    );
    // Nothing was sent and the line stays to fix.
    assert!(engine_commands(&mut app).is_empty());
    assert!(shown.contains("/classify this email"), "{shown}");
}

#[test]
fn cost_puts_the_session_table_in_the_transcript() {
    let mut app = app();
    answer(&mut app, "hi", "hello");
    run(&mut app, "/cost");
    let shown = screen(&mut app, 80, 30);
    assert!(shown.contains("Session cost:"), "{shown}");
    assert!(shown.contains("balanced"), "{shown}");
    assert!(shown.contains("tokens: input"), "{shown}");
}

#[test]
fn resume_opens_the_picker() {
    let mut app = app();
    run(&mut app, "/resume");
    let effects = app.take_effects();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreRequest::List(_)))),
        "{effects:?}"
    );
}

#[test]
fn export_names_a_file_for_the_stored_conversation() {
    let mut app = app();
    run(&mut app, "/export json");
    assert!(app.take_effects().is_empty(), "nothing stored yet");
    assert!(screen(&mut app, 100, 20).contains("nothing to export yet"));
    app.set_conversation_id(Some("12".into()));
    run(&mut app, "/export md /tmp/x.md");
    let effects = app.take_effects();
    assert!(
        effects.iter().any(|e| *e
            == Effect::Store(StoreRequest::Export {
                id: "12".parse::<ConversationId>().unwrap(),
                format: ExportFormat::Markdown,
                path: PathBuf::from("/tmp/x.md"),
            })),
        "{effects:?}"
    );
}

#[test]
fn the_exit_line_names_the_stored_conversation_once_it_has_messages() {
    let mut app = app();
    assert_eq!(app.resume_hint(), None);
    app.set_conversation_id(Some("42".into()));
    assert_eq!(app.resume_hint(), None, "no message yet");
    answer(&mut app, "hi", "hello");
    assert_eq!(
        app.resume_hint().as_deref(),
        Some("resume with: chatterm --resume 42")
    );
}

#[test]
fn config_warnings_are_notices_when_the_screen_opens() {
    let mut options = options();
    options.notices = vec!["config: unknown key `ui.colour` (ignored)".into()];
    let mut app = App::new(options);
    let shown = screen(&mut app, 80, 20);
    assert!(shown.contains("unknown key `ui.colour`"), "{shown}");
}

#[test]
fn the_help_overlay_never_cuts_a_binding_or_a_command() {
    use std::collections::BTreeMap;
    let mut options = options();
    let keys: BTreeMap<String, String> = [(
        "help".to_owned(),
        "f1 ctrl+alt+h ctrl+alt+j ctrl+alt+k".to_owned(),
    )]
    .into();
    options.keymap = crate::tui::app::keymap::Keymap::with_overrides(&keys).unwrap();
    let mut app = App::new(options);
    press(&mut app, KeyCode::F(1));
    // Tall enough that nothing scrolls out of view.
    let shown = screen(&mut app, 120, 80);
    assert!(
        shown.contains("F1 Ctrl+Alt+H Ctrl+Alt+J Ctrl+Alt+K"),
        "{shown}"
    );
    for spec in crate::tui::widgets::commands::COMMANDS {
        assert!(shown.contains(&format!("/{}", spec.name)), "{shown}");
    }
    assert!(shown.contains("/export [md|json] [PATH]"), "{shown}");
}

#[test]
fn compact_asks_the_engine_and_counts_the_summary_request() {
    let mut app = app();
    answer(&mut app, "hi", "hello");
    app.take_effects();
    run(&mut app, "/compact");
    assert_eq!(engine_commands(&mut app), [Command::Compact]);
    let usage = crate::api::Usage {
        input_tokens: 1000,
        output_tokens: 100,
        ..Default::default()
    };
    app.on_update(
        crate::engine::Update::Compacted {
            text: "compacted: summarised the 3 oldest turns, saving about 2,000 tokens".into(),
            requests: vec![("claude-haiku-4-5".into(), usage, Some(0.0015))],
            today_usd: Some(0.0015),
        },
        now(),
    );
    let totals = app.cost.account.totals();
    assert_eq!(totals.tokens().input, 1000);
    assert!(screen(&mut app, 200, 30).contains("saving about 2,000 tokens"));
}
