//! The keymap as data: what each key chord means, as an [`Action`].
//!
//! The model: a [`Keymap`] is a list of `(KeyChord, Action)` bindings. It starts from the
//! defaults the TUI issue names ([`Keymap::defaults`]) and takes user overrides from the
//! config's `[keys]` table, action name (snake_case) to key string:
//!
//! ```toml
//! [keys]
//! copy_last = "ctrl+k"          # replaces Ctrl+Y
//! newline = "shift+enter ctrl+j" # several keys, separated by spaces
//! toggle_mouse = "none"          # unbinds
//! ```
//!
//! An override replaces *all* default keys of its action, and takes its key away from any
//! other action that had it by default. Two overrides claiming the same key are an error.
//!
//! The keymap only translates; it knows nothing about state. Meanings that depend on state
//! are resolved by the app: [`Action::CtrlC`] (interrupt, clear or quit),
//! [`Action::QuitIfEmpty`], history keys (only on the input's first/last line), the tool
//! approval keys (only while a call awaits approval, and a bare digit only on an empty input
//! that was not being typed in when the prompt appeared), bindings to a bare printable
//! character such as `/`, `?` or `1`, which act only on an empty input and otherwise type
//! the character, and bare Home/End, which move the cursor while the input has text.
//!
//! Invariants: chords are normalised the same way when parsed and when matched (Shift is
//! dropped from characters, which carry their own case), and key releases never match.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Everything a key can ask the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Send the input as a message.
    Send,
    /// Insert a line break in the input.
    Newline,
    /// Previous sent message (on the input's first line).
    HistoryPrev,
    /// Next sent message (on the input's last line).
    HistoryNext,
    /// Use the fast tier from the next request on.
    TierFast,
    /// Use the balanced tier.
    TierBalanced,
    /// Use the max tier.
    TierMax,
    /// Let the routing rules pick the tier per request.
    TierAuto,
    /// Cycle fast → balanced → max.
    CycleTier,
    /// Stop the streaming answer, keeping the partial text.
    Interrupt,
    /// Interrupt when streaming; when idle clear the input; twice within 2 s quit.
    CtrlC,
    /// Quit when the input is empty.
    QuitIfEmpty,
    /// Scroll the conversation one line up.
    ScrollUp,
    /// Scroll the conversation one line down.
    ScrollDown,
    /// Scroll the conversation one page up.
    PageUp,
    /// Scroll the conversation one page down.
    PageDown,
    /// Jump to the start of the conversation.
    Top,
    /// Jump to the newest output and follow it.
    Bottom,
    /// Copy the last answer to the clipboard (OSC 52).
    CopyLast,
    /// Show every binding.
    Help,
    /// Show or hide the cost and cache sidebar.
    ToggleSidebar,
    /// Expand or collapse thinking.
    ToggleThinking,
    /// Turn mouse capture off (native selection) or on (wheel scrolling).
    ToggleMouse,
    /// Open the slash-command popup.
    OpenCommands,
    /// Expand or collapse every tool panel.
    ToggleTools,
    /// Move the focus to the tool panel above (from the input: the newest).
    FocusPrevTool,
    /// Move the focus to the tool panel below (past the newest: back to the input).
    FocusNextTool,
    /// Run the oldest tool call awaiting approval, once.
    ApproveOnce,
    /// Run it, and every later call of that tool in this conversation.
    ApproveAlways,
    /// Refuse it: the model gets an error result.
    RefuseTool,
    /// Start a new conversation (the current one stays stored).
    NewConversation,
    /// Open the conversation picker: search, resume, delete.
    Conversations,
    /// In the picker: delete the selected conversation (after a confirmation).
    DeleteConversation,
    /// Edit the draft in `$VISUAL` / `$EDITOR` (fallback `vi`).
    ExternalEditor,
    /// Cycle the permission mode: ask → auto-edit → approve all.
    CycleMode,
    /// Thinking on / off from the next message.
    CycleThinking,
    /// Cycle the effort: the model's default, low, medium, high, xhigh, max.
    CycleEffort,
}

impl Action {
    /// Every action, in help-overlay order.
    pub const ALL: [Action; 37] = [
        Action::Send,
        Action::Newline,
        Action::HistoryPrev,
        Action::HistoryNext,
        Action::TierFast,
        Action::TierBalanced,
        Action::TierMax,
        Action::TierAuto,
        Action::CycleTier,
        Action::CycleThinking,
        Action::CycleEffort,
        Action::Interrupt,
        Action::CtrlC,
        Action::QuitIfEmpty,
        Action::ScrollUp,
        Action::ScrollDown,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::CopyLast,
        Action::Help,
        Action::ToggleSidebar,
        Action::ToggleThinking,
        Action::ToggleTools,
        Action::FocusPrevTool,
        Action::FocusNextTool,
        Action::ApproveOnce,
        Action::ApproveAlways,
        Action::RefuseTool,
        Action::CycleMode,
        Action::ExternalEditor,
        Action::ToggleMouse,
        Action::OpenCommands,
        Action::NewConversation,
        Action::Conversations,
        Action::DeleteConversation,
    ];

    /// The name used in the config's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            Action::Send => "send",
            Action::Newline => "newline",
            Action::HistoryPrev => "history_prev",
            Action::HistoryNext => "history_next",
            Action::TierFast => "tier_fast",
            Action::TierBalanced => "tier_balanced",
            Action::TierMax => "tier_max",
            Action::TierAuto => "tier_auto",
            Action::CycleTier => "cycle_tier",
            Action::Interrupt => "interrupt",
            Action::CtrlC => "ctrl_c",
            Action::QuitIfEmpty => "quit_if_empty",
            Action::ScrollUp => "scroll_up",
            Action::ScrollDown => "scroll_down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::CopyLast => "copy_last",
            Action::Help => "help",
            Action::ToggleSidebar => "toggle_sidebar",
            Action::ToggleThinking => "toggle_thinking",
            Action::ToggleMouse => "toggle_mouse",
            Action::OpenCommands => "open_commands",
            Action::ToggleTools => "toggle_tools",
            Action::FocusPrevTool => "focus_prev_tool",
            Action::FocusNextTool => "focus_next_tool",
            Action::ApproveOnce => "approve_once",
            Action::ApproveAlways => "approve_always",
            Action::RefuseTool => "refuse_tool",
            Action::NewConversation => "new_conversation",
            Action::Conversations => "conversations",
            Action::DeleteConversation => "delete_conversation",
            Action::ExternalEditor => "external_editor",
            Action::CycleMode => "cycle_mode",
            Action::CycleThinking => "cycle_thinking",
            Action::CycleEffort => "cycle_effort",
        }
    }

    /// The action with this `[keys]` name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Send => "send / expand the focused tool panel",
            Action::Newline => "new line in the input",
            Action::HistoryPrev => "previous sent message",
            Action::HistoryNext => "next sent message",
            Action::TierFast => "fast tier",
            Action::TierBalanced => "balanced tier",
            Action::TierMax => "max tier",
            Action::TierAuto => "auto tier (routing rules pick per request)",
            Action::CycleTier => "cycle tiers",
            Action::Interrupt => {
                "interrupt the answer or the extraction; idle: pick a message to edit"
            }
            Action::CtrlC => "interrupt / clear input / twice to quit",
            Action::QuitIfEmpty => "quit (empty input)",
            Action::ScrollUp => "scroll up",
            Action::ScrollDown => "scroll down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "top of the conversation (Home: empty input)",
            Action::Bottom => "newest output (End: empty input)",
            Action::CopyLast => "copy the last answer",
            Action::Help => "this help",
            Action::ToggleSidebar => "toggle the sidebar",
            Action::ToggleThinking => {
                "expand / collapse thinking and pasted text; a paste in the input"
            }
            Action::ToggleMouse => "toggle mouse capture (text selection)",
            Action::OpenCommands => "commands (empty input)",
            Action::ToggleTools => "expand / collapse all tool panels",
            Action::FocusPrevTool => "focus the tool panel above",
            Action::FocusNextTool => "focus the tool panel below / the input",
            Action::ApproveOnce => "tool approval: run once (digit: empty input)",
            Action::ApproveAlways => "tool approval: always for this tool",
            Action::RefuseTool => "tool approval: refuse, then type a reason (or none)",
            Action::NewConversation => "new conversation",
            Action::Conversations => "conversations: search, resume",
            Action::DeleteConversation => "delete a conversation (in the list)",
            Action::ExternalEditor => "edit the draft in $VISUAL / $EDITOR",
            Action::CycleMode => "permission mode: ask / auto-edit / approve all",
            Action::CycleThinking => "thinking on / off (next message; resets the prompt cache)",
            Action::CycleEffort => "effort: default, low … max (next message; resets the cache)",
        }
    }
}

/// A key with its modifiers, normalised so that parsing and matching agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyChord {
    /// A normalised chord. Characters drop Shift (the character has its case already, and
    /// terminals disagree on whether they report Shift with it); BackTab becomes Shift+Tab.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyChord {
        let mods = modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        match code {
            KeyCode::Char(c) => {
                // With Ctrl or Alt a letter's case is noise (Ctrl+Shift+Y arrives as 'Y').
                let c = if mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                KeyChord {
                    code: KeyCode::Char(c),
                    modifiers: mods - KeyModifiers::SHIFT,
                }
            }
            KeyCode::BackTab => KeyChord {
                code: KeyCode::Tab,
                modifiers: mods | KeyModifiers::SHIFT,
            },
            code => KeyChord {
                code,
                modifiers: mods,
            },
        }
    }

    /// The chord of a key event; `None` for releases, which never trigger actions.
    pub fn from_event(event: &KeyEvent) -> Option<KeyChord> {
        (event.kind != KeyEventKind::Release).then(|| KeyChord::new(event.code, event.modifiers))
    }

    /// Parses `ctrl+y`, `alt+1`, `shift+enter`, `f2`, `pageup`, `?`. Case-insensitive for
    /// names; `+` itself is written `plus`.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty key".into());
        }
        let mut parts: Vec<&str> = text.split('+').collect();
        let key = parts.pop().unwrap_or_default();
        let mut modifiers = KeyModifiers::NONE;
        for m in parts {
            modifiers |= match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "meta" | "option" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                other => return Err(format!("unknown modifier `{other}`")),
            };
        }
        let code = parse_key_name(key)?;
        // "shift+a" means the character 'A'.
        let code = match code {
            KeyCode::Char(c) if modifiers == KeyModifiers::SHIFT => {
                KeyCode::Char(c.to_ascii_uppercase())
            }
            code => code,
        };
        Ok(KeyChord::new(code, modifiers))
    }
}

fn parse_key_name(key: &str) -> Result<KeyCode, String> {
    let mut chars = key.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    let lower = key.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "space" => KeyCode::Char(' '),
        "plus" => KeyCode::Char('+'),
        "" => return Err("missing key after `+`".into()),
        f if f.starts_with('f') => match f[1..].parse::<u8>() {
            Ok(n @ 1..=24) => KeyCode::F(n),
            _ => return Err(format!("unknown key `{key}`")),
        },
        _ => return Err(format!("unknown key `{key}`")),
    };
    Ok(code)
}

impl fmt::Display for KeyChord {
    /// The form shown in the help overlay and status bar: `Ctrl+Y`, `Shift+Enter`, `F2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (m, name) in [
            (KeyModifiers::CONTROL, "Ctrl+"),
            (KeyModifiers::ALT, "Alt+"),
            (KeyModifiers::SHIFT, "Shift+"),
        ] {
            if self.modifiers.contains(m) {
                f.write_str(name)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.modifiers.is_empty() => write!(f, "{c}"),
            KeyCode::Char(c) => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            code => write!(f, "{code}"),
        }
    }
}

/// A `[keys]` entry that cannot be used. Names the entry as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("keys.{action}: unknown action (known: {known})")]
    UnknownAction { action: String, known: String },
    #[error("keys.{action} = \"{key}\": {message}")]
    BadKey {
        action: String,
        key: String,
        message: String,
    },
    #[error("keys: `{key}` is bound to both {first} and {second}")]
    Conflict {
        key: String,
        first: &'static str,
        second: &'static str,
    },
}

/// Key chords to actions. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<(KeyChord, Action)>,
}

/// The default bindings, as key strings so they read like the docs.
const DEFAULTS: &[(&str, Action)] = &[
    ("enter", Action::Send),
    ("shift+enter", Action::Newline),
    ("alt+enter", Action::Newline),
    ("ctrl+j", Action::Newline),
    ("up", Action::HistoryPrev),
    ("down", Action::HistoryNext),
    ("alt+1", Action::TierFast),
    ("alt+2", Action::TierBalanced),
    ("alt+3", Action::TierMax),
    ("alt+0", Action::TierAuto),
    ("f2", Action::CycleTier),
    ("alt+t", Action::CycleThinking),
    ("alt+e", Action::CycleEffort),
    ("esc", Action::Interrupt),
    ("ctrl+c", Action::CtrlC),
    ("ctrl+d", Action::QuitIfEmpty),
    ("shift+up", Action::ScrollUp),
    ("shift+down", Action::ScrollDown),
    ("pageup", Action::PageUp),
    ("pagedown", Action::PageDown),
    ("ctrl+home", Action::Top),
    ("home", Action::Top),
    ("ctrl+end", Action::Bottom),
    ("end", Action::Bottom),
    ("ctrl+y", Action::CopyLast),
    ("f1", Action::Help),
    ("?", Action::Help),
    ("ctrl+b", Action::ToggleSidebar),
    ("ctrl+o", Action::ToggleThinking),
    ("ctrl+t", Action::ToggleTools),
    ("alt+up", Action::FocusPrevTool),
    ("alt+down", Action::FocusNextTool),
    // Digits, as Claude Code; never letters, which prose produces ("yes I…").
    ("1", Action::ApproveOnce),
    ("alt+y", Action::ApproveOnce),
    ("2", Action::ApproveAlways),
    ("alt+a", Action::ApproveAlways),
    ("3", Action::RefuseTool),
    ("alt+n", Action::RefuseTool),
    ("shift+tab", Action::CycleMode),
    ("ctrl+g", Action::ExternalEditor),
    ("f12", Action::ToggleMouse),
    ("/", Action::OpenCommands),
    ("ctrl+n", Action::NewConversation),
    ("ctrl+r", Action::Conversations),
    ("ctrl+x", Action::DeleteConversation),
];

impl Keymap {
    /// The bindings the TUI issue names.
    pub fn defaults() -> Keymap {
        let bindings = DEFAULTS
            .iter()
            .filter_map(|&(key, action)| Some((KeyChord::parse(key).ok()?, action)))
            .collect();
        Keymap { bindings }
    }

    /// The defaults with the config's `[keys]` overrides applied (see the module docs).
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::defaults();
        let mut claimed: Vec<(KeyChord, Action)> = Vec::new();
        for (name, keys) in overrides {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                action: name.clone(),
                known: Action::ALL.map(Action::name).join(", "),
            })?;
            let chords = parse_key_list(name, keys)?;
            for &chord in &chords {
                if let Some(&(_, other)) = claimed.iter().find(|(c, _)| *c == chord) {
                    return Err(KeymapError::Conflict {
                        key: chord.to_string(),
                        first: other.name(),
                        second: action.name(),
                    });
                }
                claimed.push((chord, action));
            }
        }
        let overridden: Vec<Action> = claimed.iter().map(|&(_, a)| a).collect();
        let mut unbound: Vec<Action> = Vec::new();
        for name in overrides.keys() {
            unbound.extend(Action::from_name(name));
        }
        map.bindings.retain(|(chord, action)| {
            !unbound.contains(action)
                && !overridden.contains(action)
                && !claimed.iter().any(|(c, _)| c == chord)
        });
        map.bindings.extend(claimed);
        Ok(map)
    }

    /// The action bound to this key event, if any. Releases never match.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(event)?;
        self.bindings
            .iter()
            .find(|(c, _)| *c == chord)
            .map(|&(_, a)| a)
    }

    /// Every action with its keys, in [`Action::ALL`] order, for the help overlay.
    /// Actions left without a key are listed with none.
    pub fn bindings(&self) -> Vec<(Action, Vec<KeyChord>)> {
        Action::ALL
            .into_iter()
            .map(|action| {
                let keys = self
                    .bindings
                    .iter()
                    .filter(|(_, a)| *a == action)
                    .map(|&(c, _)| c)
                    .collect();
                (action, keys)
            })
            .collect()
    }

    /// The keys of one action, for key hints in the status bar.
    pub fn keys_for(&self, action: Action) -> Vec<KeyChord> {
        self.bindings
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|&(c, _)| c)
            .collect()
    }
}

/// A `[keys]` value: key strings separated by spaces, or `none` for no key.
fn parse_key_list(action: &str, keys: &str) -> Result<Vec<KeyChord>, KeymapError> {
    let bad = |message: String| KeymapError::BadKey {
        action: action.to_owned(),
        key: keys.to_owned(),
        message,
    };
    if keys.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    if keys.trim().is_empty() {
        return Err(bad("empty key (write \"none\" to unbind)".into()));
    }
    keys.split_whitespace()
        .map(|k| KeyChord::parse(k).map_err(&bad))
        .collect()
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
