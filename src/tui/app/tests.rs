//! App behaviour driven by plain calls: keys in, effects and state out. The builders are
//! in `test_support.rs`.

use std::time::Duration;

use crossterm::event::{KeyEventState, KeyModifiers, MouseEvent, MouseEventKind};

use crate::api::{ApiError, ContentBlock, Usage};
use crate::engine::Update;

use super::*;
use crate::tui::render::cells::AnswerState;
use crate::tui::test_support::*;

#[test]
fn enter_sends_the_input_and_shows_it() {
    let mut app = app();
    type_text(&mut app, "hello");
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [Command::Send("hello".into())]);
    assert!(app.input.is_empty());
    assert!(matches!(&app.conversation.cells()[0].kind, CellKind::User(t) if t == "hello"));
    assert_eq!(app.connection, Connection::Waiting);
}

#[test]
fn newline_keys_insert_a_line_break() {
    for (code, mods) in [
        (KeyCode::Enter, KeyModifiers::SHIFT),
        (KeyCode::Enter, KeyModifiers::ALT),
        (KeyCode::Char('j'), KeyModifiers::CONTROL),
    ] {
        let mut app = app();
        type_text(&mut app, "a");
        chord(&mut app, code, mods);
        type_text(&mut app, "b");
        assert_eq!(app.input.text(), "a\nb", "{code:?} {mods:?}");
        assert!(app.take_effects().is_empty());
    }
}

#[test]
fn up_and_down_browse_sent_messages() {
    let mut app = app();
    for msg in ["first", "second"] {
        type_text(&mut app, msg);
        press(&mut app, KeyCode::Enter);
        app.on_update(
            Update::Error {
                turn: turn(),
                error: ApiError::Cancelled,
                partial: None,
            },
            now(),
        );
    }
    press(&mut app, KeyCode::Up);
    assert_eq!(app.input.text(), "second");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.input.text(), "first");
    press(&mut app, KeyCode::Down);
    assert_eq!(app.input.text(), "second");
}

#[test]
fn tier_keys_change_the_status_at_once_and_tell_the_engine() {
    let mut app = app();
    let cases = [
        (KeyCode::Char('1'), KeyModifiers::ALT, Tier::Fast),
        (KeyCode::Char('2'), KeyModifiers::ALT, Tier::Balanced),
        (KeyCode::Char('3'), KeyModifiers::ALT, Tier::Max),
        (KeyCode::F(2), KeyModifiers::NONE, Tier::Fast),
        (KeyCode::F(2), KeyModifiers::NONE, Tier::Balanced),
    ];
    for (code, mods, tier) in cases {
        chord(&mut app, code, mods);
        assert_eq!(app.status.tier, Some(tier));
        assert_eq!(engine_commands(&mut app), [Command::SetTier(tier)]);
    }
}

#[test]
fn esc_interrupts_and_keeps_the_partial_text() {
    let mut app = app();
    start_turn(&mut app, "hi", "claude-sonnet-4-6");
    block(&mut app, 0, ContentBlock::text(""));
    text(&mut app, 0, "partial answer");
    app.take_effects();
    press(&mut app, KeyCode::Esc);
    assert_eq!(engine_commands(&mut app), [Command::Cancel]);
    assert!(!app.is_busy());
    let CellKind::Assistant(a) = &app.conversation.cells()[1].kind else {
        panic!("no answer cell");
    };
    assert_eq!(a.state, AnswerState::Interrupted);
    assert_eq!(a.body.source(), "partial answer");
    // Late deltas of the cancelled turn are dropped.
    text(&mut app, 0, " more");
    let CellKind::Assistant(a) = &app.conversation.cells()[1].kind else {
        panic!("no answer cell");
    };
    assert_eq!(a.body.source(), "partial answer");
    assert_eq!(app.last_answer.as_deref(), Some("partial answer"));
}

#[test]
fn ctrl_c_interrupts_then_clears_then_quits_within_two_seconds() {
    let mut app = app();
    start_turn(&mut app, "hi", "m");
    app.take_effects();
    let t0 = now();
    let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
    app.on_key(&ctrl_c, t0);
    assert_eq!(engine_commands(&mut app), [Command::Cancel]);
    type_text(&mut app, "draft");
    app.on_key(&ctrl_c, t0);
    assert!(app.input.is_empty(), "idle Ctrl+C clears the input");
    assert!(app.take_effects().is_empty());
    app.on_key(&ctrl_c, t0 + Duration::from_secs(3));
    assert!(
        app.take_effects().is_empty(),
        "too late for the second press"
    );
    app.on_key(&ctrl_c, t0 + Duration::from_secs(4));
    assert_eq!(app.take_effects(), [Effect::Quit]);
}

#[test]
fn ctrl_d_quits_only_on_an_empty_input() {
    let mut app = app();
    type_text(&mut app, "x");
    chord(&mut app, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert!(app.take_effects().is_empty());
    app.input.clear();
    chord(&mut app, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(app.take_effects(), [Effect::Quit]);
}

#[test]
fn scroll_keys_and_the_wheel_move_the_conversation() {
    let mut app = app();
    for i in 0..30 {
        app.notice(NoticeKind::Info, format!("notice {i}"));
    }
    app.prepare(ratatui::layout::Rect::new(0, 0, 60, 20));
    press(&mut app, KeyCode::PageUp);
    assert!(!app.conversation.is_following());
    press(&mut app, KeyCode::End);
    assert!(app.conversation.is_following());
    press(&mut app, KeyCode::Home);
    assert_eq!(app.conversation.top(), 0);
    chord(&mut app, KeyCode::Down, KeyModifiers::SHIFT);
    assert_eq!(app.conversation.top(), 1);
    chord(&mut app, KeyCode::Up, KeyModifiers::SHIFT);
    assert_eq!(app.conversation.top(), 0);
    let wheel = |kind| MouseEvent {
        kind,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    };
    app.on_mouse(&wheel(MouseEventKind::ScrollDown));
    assert_eq!(app.conversation.top(), WHEEL_LINES);
    app.on_mouse(&wheel(MouseEventKind::ScrollUp));
    assert_eq!(app.conversation.top(), 0);
}

#[test]
fn ctrl_y_copies_the_last_answer_and_copy_n_a_code_block() {
    let mut app = app();
    chord(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert!(app.take_effects().is_empty(), "nothing to copy yet");
    let reply = "Try:\n\n```sh\nls -la\n```\n\nor\n\n```rust\nfn main() {}\n```\n";
    answer(&mut app, "how?", reply);
    app.take_effects();
    chord(&mut app, KeyCode::Char('y'), KeyModifiers::CONTROL);
    assert_eq!(app.take_effects(), [Effect::Copy(reply.into())]);
    type_text(&mut app, "/copy 2");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.take_effects(), [Effect::Copy("fn main() {}".into())]);
    type_text(&mut app, "/copy 3");
    press(&mut app, KeyCode::Enter);
    assert!(app.take_effects().is_empty());
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|(t, _)| t.contains("no code block 3"))
    );
}

#[test]
fn help_opens_with_f1_or_question_mark_on_an_empty_input_and_any_key_closes_it() {
    let mut app = app();
    press(&mut app, KeyCode::F(1));
    assert!(app.help.shown);
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.help.shown);
    assert!(app.input.is_empty(), "the closing key is not typed");
    press(&mut app, KeyCode::Char('?'));
    assert!(app.help.shown);
    press(&mut app, KeyCode::Esc);
    type_text(&mut app, "why?");
    assert!(!app.help.shown);
    assert_eq!(app.input.text(), "why?");
}

#[test]
fn toggles_flip_sidebar_thinking_and_mouse() {
    let mut app = app();
    chord(&mut app, KeyCode::Char('b'), KeyModifiers::CONTROL);
    assert!(!app.screen.sidebar);
    chord(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    assert!(app.screen.render_options.thinking_expanded);
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.take_effects(), [Effect::SetMouseCapture(false)]);
    press(&mut app, KeyCode::F(12));
    assert_eq!(app.take_effects(), [Effect::SetMouseCapture(true)]);
}

#[test]
fn slash_opens_the_popup_and_commands_run() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    assert!(app.popup_visible());
    type_text(&mut app, "tier max");
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [Command::SetTier(Tier::Max)]);
    type_text(&mut app, "/model claude-opus-5");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::SetModel(Some("claude-opus-5".into()))]
    );
    assert_eq!(app.status.tier, None);
    type_text(&mut app, "/system be brief");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::SetSystem(Some("be brief".into()))]
    );
    type_text(&mut app, "/clear");
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [Command::Clear]);
    type_text(&mut app, "/retry");
    press(&mut app, KeyCode::Enter);
    assert_eq!(engine_commands(&mut app), [Command::Retry]);
    type_text(&mut app, "/quit");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.take_effects(), [Effect::Quit]);
}

#[test]
fn esc_closes_the_popup_without_interrupting() {
    let mut app = app();
    type_text(&mut app, "/");
    assert!(app.popup_visible());
    press(&mut app, KeyCode::Esc);
    assert!(!app.popup_visible());
    assert_eq!(app.input.text(), "/");
    assert!(app.take_effects().is_empty());
}

#[test]
fn a_paste_is_one_insert_and_can_hold_newlines() {
    let mut app = app();
    app.on_paste("line one\r\nline two");
    assert_eq!(app.input.text(), "line one\nline two");
    assert!(
        app.take_effects().is_empty(),
        "a pasted newline does not send"
    );
}

#[test]
fn key_releases_are_ignored() {
    let mut app = app();
    let mut release = key(KeyCode::Char('d'), KeyModifiers::CONTROL);
    release.kind = KeyEventKind::Release;
    release.state = KeyEventState::NONE;
    app.on_key(&release, now());
    assert!(app.take_effects().is_empty());
}

#[test]
fn retry_countdown_counts_down_and_usage_adds_up_once_per_request() {
    let mut app = app();
    start_turn(&mut app, "hi", "m");
    let t0 = now();
    app.on_update(
        Update::Retrying {
            turn: turn(),
            attempt: 1,
            max: 3,
            wait: Duration::from_secs(3),
            reason: "overloaded".into(),
        },
        t0,
    );
    let notice = |app: &App| match &app.conversation.cells().last().map(|c| &c.kind) {
        Some(CellKind::Notice { text, .. }) => text.clone(),
        _ => String::new(),
    };
    assert!(notice(&app).ends_with("in 3s"), "{}", notice(&app));
    assert!(app.tick(t0 + Duration::from_millis(1500)).is_some());
    assert!(notice(&app).ends_with("in 2s"), "{}", notice(&app));
    let usage = Usage {
        input_tokens: 10,
        output_tokens: 5,
        ..Usage::default()
    };
    for _ in 0..3 {
        app.on_update(
            Update::Usage {
                turn: turn(),
                model: "m".into(),
                usage: usage.clone(),
                cost_usd: Some(0.01),
            },
            t0,
        );
    }
    finish(&mut app, vec![]);
    let totals = app.cost.account.totals();
    assert_eq!(totals.requests, 1);
    assert_eq!(totals.tokens().input, 10);
    assert!((totals.cost_usd - 0.01).abs() < 1e-12);
}

#[test]
fn the_help_overlay_scrolls_when_it_does_not_fit() {
    let mut app = app();
    press(&mut app, KeyCode::F(1));
    app.prepare(ratatui::layout::Rect::new(0, 0, 60, 12));
    press(&mut app, KeyCode::Down);
    assert!(app.help.shown);
    assert_eq!(app.help.scroll, 1);
    press(&mut app, KeyCode::End);
    let end = app.help.scroll;
    assert!(end > 1);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.help.scroll, end, "scrolling stops at the end");
    press(&mut app, KeyCode::Home);
    assert_eq!(app.help.scroll, 0);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.help.shown);
}

#[test]
fn a_bad_command_stays_in_the_input_and_a_double_slash_sends_a_slash() {
    let mut app = app();
    type_text(&mut app, "/tier huge");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert!(app.take_effects().is_empty());
    assert_eq!(app.input.text(), "/tier huge");
    assert!(
        app.flash
            .as_ref()
            .is_some_and(|(t, _)| t.contains("fast, balanced, max or auto"))
    );
    app.input.clear();
    type_text(&mut app, "//etc/hosts is odd");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut app),
        [Command::Send("/etc/hosts is odd".into())]
    );
}

#[test]
fn alt_0_asks_for_auto_routing_and_a_tier_key_ends_it() {
    let mut app = app();
    chord(&mut app, KeyCode::Char('0'), KeyModifiers::ALT);
    assert!(app.status.auto);
    assert_eq!(
        engine_commands(&mut app),
        [Command::SetTierChoice(crate::config::TierChoice::Auto)]
    );
    start_turn(&mut app, "Classify: great", "claude-haiku-4-5");
    app.on_update(
        Update::Routed {
            turn: turn(),
            tier: Tier::Fast,
            reason: "rule classification".into(),
        },
        now(),
    );
    assert_eq!(app.status.tier, Some(Tier::Fast));
    assert!(app.status.auto, "a routed turn keeps auto on");
    chord(&mut app, KeyCode::Char('2'), KeyModifiers::ALT);
    assert!(!app.status.auto);
}
