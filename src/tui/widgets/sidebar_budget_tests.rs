//! The over-budget confirmation: sending asks first, keeps the message, names the bound
//! keys, and is drawn above the input. (Split from `sidebar_tests.rs`, whose helpers it
//! uses.)

use super::*;

#[test]
fn over_budget_prompt_takes_and_names_the_bound_keys() {
    use crate::tui::test_support::{chord, press, screen, type_text};
    use crossterm::event::{KeyCode, KeyModifiers};
    let mut app = app_with(Some(5.0), None);
    app.set_spent_today(Ok(5.0));
    let overrides = std::collections::BTreeMap::from([
        ("send".to_owned(), "ctrl+s".to_owned()),
        ("interrupt".to_owned(), "ctrl+g".to_owned()),
    ]);
    app.keymap = crate::tui::app::keymap::Keymap::with_overrides(&overrides).unwrap();
    type_text(&mut app, "hello");
    chord(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(app.cost.confirm.is_some());
    let shown = screen(&mut app, 100, 20);
    assert!(
        shown.contains("Send anyway? Ctrl+S/y · Ctrl+G/n"),
        "{shown}"
    );
    // Esc is no longer the way back; the bound key is.
    press(&mut app, KeyCode::Esc);
    assert!(app.cost.confirm.is_some());
    chord(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert!(app.cost.confirm.is_none());
    assert_eq!(app.input.text(), "hello");
}

#[test]
fn over_budget_sending_asks_first_and_keeps_the_message() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app_with(Some(5.0), None);
    app.set_spent_today(Ok(5.0));
    let press =
        |app: &mut App, code| app.on_key(&KeyEvent::new(code, KeyModifiers::NONE), Instant::now());
    for c in "hello".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert!(app.take_effects().is_empty(), "nothing is sent yet");
    assert!(app.cost.confirm.is_some());
    // Other keys are ignored while the prompt is open.
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(app.input.text(), "hello");
    // Esc cancels; the message stays.
    press(&mut app, KeyCode::Esc);
    assert!(app.cost.confirm.is_none());
    assert_eq!(app.input.text(), "hello");
    assert!(app.take_effects().is_empty());
    // n cancels too; Enter then y sends anyway.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.input.text(), "hello");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.take_effects(),
        [Effect::Engine(Command::Send("hello".into()))]
    );
    assert!(app.input.is_empty());
    // Under budget, Enter sends at once.
    let mut app = app_with(Some(5.0), None);
    app.set_spent_today(Ok(4.99));
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.take_effects(),
        [Effect::Engine(Command::Send("a".into()))]
    );
}

#[test]
fn the_confirmation_is_drawn_above_the_input() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app_with(Some(5.0), None);
    app.set_spent_today(Ok(5.3));
    for code in [KeyCode::Char('h'), KeyCode::Char('i'), KeyCode::Enter] {
        app.on_key(&KeyEvent::new(code, KeyModifiers::NONE), Instant::now());
    }
    let mut terminal = Terminal::new(TestBackend::new(100, 12)).unwrap();
    app.prepare(Rect::new(0, 0, 100, 12));
    terminal
        .draw(|frame| {
            app.render(frame.area(), frame.buffer_mut());
        })
        .unwrap();
    insta::assert_snapshot!("confirm_over_budget", terminal.backend());
}
