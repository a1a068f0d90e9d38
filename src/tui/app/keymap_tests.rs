use super::*;
use crossterm::event::KeyEventState;

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn plain(code: KeyCode) -> KeyEvent {
    key(code, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(code: KeyCode) -> KeyEvent {
    key(code, KeyModifiers::ALT)
}

fn shift(code: KeyCode) -> KeyEvent {
    key(code, KeyModifiers::SHIFT)
}

#[test]
fn every_default_binding_maps_to_its_action() {
    let map = Keymap::defaults();
    let cases = [
        (plain(KeyCode::Enter), Action::Send),
        (shift(KeyCode::Enter), Action::Newline),
        (alt(KeyCode::Enter), Action::Newline),
        (ctrl('j'), Action::Newline),
        (plain(KeyCode::Up), Action::HistoryPrev),
        (plain(KeyCode::Down), Action::HistoryNext),
        (alt(KeyCode::Char('1')), Action::TierFast),
        (alt(KeyCode::Char('2')), Action::TierBalanced),
        (alt(KeyCode::Char('3')), Action::TierMax),
        (alt(KeyCode::Char('0')), Action::TierAuto),
        (plain(KeyCode::F(2)), Action::CycleTier),
        (plain(KeyCode::Esc), Action::Interrupt),
        (ctrl('c'), Action::CtrlC),
        (ctrl('d'), Action::QuitIfEmpty),
        (shift(KeyCode::Up), Action::ScrollUp),
        (shift(KeyCode::Down), Action::ScrollDown),
        (plain(KeyCode::PageUp), Action::PageUp),
        (plain(KeyCode::PageDown), Action::PageDown),
        (plain(KeyCode::Home), Action::Top),
        (key(KeyCode::Home, KeyModifiers::CONTROL), Action::Top),
        (plain(KeyCode::End), Action::Bottom),
        (key(KeyCode::End, KeyModifiers::CONTROL), Action::Bottom),
        (ctrl('y'), Action::CopyLast),
        (plain(KeyCode::F(1)), Action::Help),
        (plain(KeyCode::Char('?')), Action::Help),
        (ctrl('b'), Action::ToggleSidebar),
        (ctrl('o'), Action::ToggleThinking),
        (ctrl('t'), Action::ToggleTools),
        (alt(KeyCode::Up), Action::FocusPrevTool),
        (alt(KeyCode::Down), Action::FocusNextTool),
        (plain(KeyCode::Char('1')), Action::ApproveOnce),
        (alt(KeyCode::Char('y')), Action::ApproveOnce),
        (plain(KeyCode::Char('2')), Action::ApproveAlways),
        (alt(KeyCode::Char('a')), Action::ApproveAlways),
        (plain(KeyCode::Char('3')), Action::RefuseTool),
        (alt(KeyCode::Char('n')), Action::RefuseTool),
        (shift(KeyCode::BackTab), Action::CycleMode),
        (ctrl('g'), Action::ExternalEditor),
        (plain(KeyCode::F(12)), Action::ToggleMouse),
        (plain(KeyCode::Char('/')), Action::OpenCommands),
        (ctrl('n'), Action::NewConversation),
        (ctrl('r'), Action::Conversations),
        (ctrl('x'), Action::DeleteConversation),
        (alt(KeyCode::Char('t')), Action::CycleThinking),
        (alt(KeyCode::Char('e')), Action::CycleEffort),
    ];
    for (event, action) in cases {
        assert_eq!(map.action_for(&event), Some(action), "{event:?}");
    }
    // Prose never approves: the letters of "yes" / "always" / "no" are not bound.
    for c in ['y', 'a', 'n'] {
        assert_eq!(map.action_for(&plain(KeyCode::Char(c))), None, "{c}");
    }
    // The table above covers every default, so a new default needs a case here.
    assert_eq!(cases.len(), DEFAULTS.len());
}

#[test]
fn every_action_has_a_default_key_and_a_unique_name() {
    let map = Keymap::defaults();
    for (action, keys) in map.bindings() {
        assert!(!keys.is_empty(), "{action:?} has no default key");
        assert_eq!(Action::from_name(action.name()), Some(action));
    }
}

#[test]
fn unbound_keys_and_releases_map_to_nothing() {
    let map = Keymap::defaults();
    assert_eq!(map.action_for(&plain(KeyCode::Char('b'))), None);
    assert_eq!(map.action_for(&ctrl('z')), None);
    assert_eq!(map.action_for(&plain(KeyCode::F(5))), None);
    let mut release = ctrl('y');
    release.kind = KeyEventKind::Release;
    assert_eq!(map.action_for(&release), None);
    let repeat = KeyEvent::new_with_kind_and_state(
        KeyCode::PageDown,
        KeyModifiers::NONE,
        KeyEventKind::Repeat,
        KeyEventState::NONE,
    );
    assert_eq!(map.action_for(&repeat), Some(Action::PageDown));
}

#[test]
fn shift_and_case_are_normalised() {
    let map = Keymap::defaults();
    // Terminals report '?' with or without Shift.
    assert_eq!(
        map.action_for(&shift(KeyCode::Char('?'))),
        Some(Action::Help)
    );
    // Ctrl+Shift+Y arrives as an uppercase Y.
    let event = key(
        KeyCode::Char('Y'),
        KeyModifiers::CONTROL | KeyModifiers::SHIFT,
    );
    assert_eq!(map.action_for(&event), Some(Action::CopyLast));
    // Plain Enter is not Shift+Enter.
    assert_ne!(
        map.action_for(&plain(KeyCode::Enter)),
        Some(Action::Newline)
    );
}

#[test]
fn key_strings_parse() {
    let p = |s: &str| KeyChord::parse(s).unwrap();
    let c = KeyChord::new;
    assert_eq!(p("ctrl+y"), c(KeyCode::Char('y'), KeyModifiers::CONTROL));
    assert_eq!(p("Ctrl+Y"), c(KeyCode::Char('y'), KeyModifiers::CONTROL));
    assert_eq!(p("alt+1"), c(KeyCode::Char('1'), KeyModifiers::ALT));
    assert_eq!(p("shift+enter"), c(KeyCode::Enter, KeyModifiers::SHIFT));
    assert_eq!(p("f2"), c(KeyCode::F(2), KeyModifiers::NONE));
    assert_eq!(p("F12"), c(KeyCode::F(12), KeyModifiers::NONE));
    assert_eq!(p("pageup"), c(KeyCode::PageUp, KeyModifiers::NONE));
    assert_eq!(p("pgdn"), c(KeyCode::PageDown, KeyModifiers::NONE));
    assert_eq!(p("esc"), c(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(
        p("ctrl+alt+space"),
        c(
            KeyCode::Char(' '),
            KeyModifiers::CONTROL | KeyModifiers::ALT
        )
    );
    assert_eq!(p("shift+a"), c(KeyCode::Char('A'), KeyModifiers::NONE));
    assert_eq!(p("ctrl+plus"), c(KeyCode::Char('+'), KeyModifiers::CONTROL));
    assert_eq!(p("shift+tab"), p("backtab"));
}

#[test]
fn bad_key_strings_say_why() {
    let e = |s: &str| KeyChord::parse(s).unwrap_err();
    assert_eq!(e(""), "empty key");
    assert_eq!(e("hyper+x"), "unknown modifier `hyper`");
    assert_eq!(e("ctrl+"), "missing key after `+`");
    assert_eq!(e("f99"), "unknown key `f99`");
    assert_eq!(e("ctrl+banana"), "unknown key `banana`");
}

#[test]
fn chords_display_for_help() {
    let shown = |s: &str| KeyChord::parse(s).unwrap().to_string();
    assert_eq!(shown("ctrl+y"), "Ctrl+Y");
    assert_eq!(shown("alt+1"), "Alt+1");
    assert_eq!(shown("shift+enter"), "Shift+Enter");
    assert_eq!(shown("f2"), "F2");
    assert_eq!(shown("pageup"), "PgUp");
    assert_eq!(shown("?"), "?");
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, k)| ((*a).to_owned(), (*k).to_owned()))
        .collect()
}

#[test]
fn an_override_replaces_the_default_key() {
    let map = Keymap::with_overrides(&overrides(&[("copy_last", "ctrl+k")])).unwrap();
    assert_eq!(map.action_for(&ctrl('k')), Some(Action::CopyLast));
    assert_eq!(map.action_for(&ctrl('y')), None);
    // Other defaults stay.
    assert_eq!(map.action_for(&plain(KeyCode::Enter)), Some(Action::Send));
}

#[test]
fn an_override_takes_its_key_from_another_action() {
    let map = Keymap::with_overrides(&overrides(&[("help", "ctrl+b")])).unwrap();
    assert_eq!(map.action_for(&ctrl('b')), Some(Action::Help));
    assert_eq!(map.keys_for(Action::ToggleSidebar), vec![]);
    assert_eq!(map.action_for(&plain(KeyCode::F(1))), None);
}

#[test]
fn an_override_can_list_several_keys_or_none() {
    let map = Keymap::with_overrides(&overrides(&[
        ("newline", "ctrl+j  alt+enter"),
        ("toggle_mouse", "none"),
    ]))
    .unwrap();
    assert_eq!(map.action_for(&ctrl('j')), Some(Action::Newline));
    assert_eq!(map.action_for(&alt(KeyCode::Enter)), Some(Action::Newline));
    assert_eq!(map.action_for(&shift(KeyCode::Enter)), None);
    assert_eq!(map.action_for(&plain(KeyCode::F(12))), None);
    assert_eq!(map.keys_for(Action::ToggleMouse), vec![]);
}

#[test]
fn bad_overrides_name_the_entry() {
    let err = |pairs: &[(&str, &str)]| {
        Keymap::with_overrides(&overrides(pairs))
            .unwrap_err()
            .to_string()
    };
    let unknown = err(&[("copy_lats", "ctrl+k")]);
    assert!(
        unknown.starts_with("keys.copy_lats: unknown action (known: send, newline,"),
        "{unknown}"
    );
    assert_eq!(
        err(&[("copy_last", "ctrl+kk")]),
        "keys.copy_last = \"ctrl+kk\": unknown key `kk`"
    );
    assert_eq!(
        err(&[("help", "")]),
        "keys.help = \"\": empty key (write \"none\" to unbind)"
    );
    assert_eq!(
        err(&[("copy_last", "ctrl+k"), ("help", "ctrl+k")]),
        "keys: `Ctrl+K` is bound to both copy_last and help"
    );
}

#[test]
fn the_default_config_lists_every_action_name() {
    let config = include_str!("../../../assets/default-config.toml");
    for action in Action::ALL {
        assert!(
            config.contains(action.name()),
            "assets/default-config.toml does not list `{}`",
            action.name()
        );
    }
}
