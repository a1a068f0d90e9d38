//! The app's state and what keys do to it.
//!
//! The model: [`App`] owns every component's state (conversation pane, input box, command
//! popup, overlays, status) and changes only in response to four inputs: a terminal event
//! ([`App::on_key`], [`App::on_paste`], [`App::on_mouse`]), an engine update
//! ([`App::on_update`], in `updates.rs`), an `/extract` run's event
//! ([`App::on_extract`], in `extract.rs`) and the clock ([`App::tick`]). It never does
//! IO: what should happen outside (send the engine a command, write the clipboard, switch
//! mouse capture, quit) is queued as an [`Effect`] that the event loop carries out. So the
//! whole app is driven by plain calls in tests.
//!
//! Drawing is separate (`widgets/view.rs`): [`App::prepare`] updates caches for the frame's size,
//! then rendering reads the state through `&self`.
//!
//! A key goes first to the open overlays, topmost first (`overlay.rs`: help, the
//! over-budget confirmation, the picker, message selection, the refusal prompt, the
//! mention popup, the command popup, the attachment chips, approval); what none takes goes
//! to the keymap and the input.
//!
//! The folder holds the state's concerns, one file each: engine updates (`updates`),
//! tool calls (`tools`), approvals and permission modes (`approval`), sending and slash
//! commands (`send`, `commands`), the queue, paste chips ([`paste`]) and the external
//! editor ([`editor`]) (`compose`), money ([`cost`], `cost_prompt`), the store and the
//! picker's app side (`store`, with `resume` turning stored messages back into cells),
//! `/extract` (`extract`), the `/retry` countdown (`retry`), attachments and `@`-mentions
//! ([`attach`], [`attach_send`], `attach_text`), MCP servers and their prompts ([`mcp`],
//! `mcp_prompts`), and keys to actions ([`keymap`]).

pub(in crate::tui) mod approval;
pub mod attach;
pub mod attach_send;
pub(in crate::tui) mod attach_text;
pub(in crate::tui) mod commands;
pub(in crate::tui) mod compose;
pub mod cost;
pub(in crate::tui) mod cost_prompt;
pub mod editor;
pub(in crate::tui) mod extract;
pub mod keymap;
pub mod mcp;
pub(in crate::tui) mod mcp_prompts;
pub(in crate::tui) mod overlay;
pub mod paste;
pub(in crate::tui) mod resume;
pub(in crate::tui) mod retry;
pub(in crate::tui) mod send;
pub(in crate::tui) mod store;
pub mod thinking;
pub(in crate::tui) mod token_count;
pub(in crate::tui) mod tools;
pub(in crate::tui) mod updates;
pub(in crate::tui) mod web;

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseEvent, MouseEventKind};

use crate::config::Tier;
use crate::engine::{Command, TurnId};
use crate::store::ConversationId;
use crate::tools::ApprovalDecision;

use crate::tui::app::approval::{ApprovalPrompt, PermissionMode};
use crate::tui::app::compose::Compose;
use crate::tui::app::cost::{CostOptions, CostState};
use crate::tui::app::extract::{ExtractMode, ExtractRequest};
use crate::tui::app::keymap::{Action, KeyChord, Keymap};
use crate::tui::app::overlay::KeyOutcome;
use crate::tui::app::store::Browse;
use crate::tui::app::tools::ToolCalls;
use crate::tui::render::cells::{CellKind, NoticeKind, RenderOptions};
use crate::tui::render::pane::{Conversation, WHEEL_LINES};
use crate::tui::render::theme::Theme;
use crate::tui::widgets::commands::CommandPopup;
use crate::tui::widgets::help::HelpState;
use crate::tui::widgets::input::InputBox;

/// Something the event loop must do outside the app's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Engine(Command),
    /// Write this text to the clipboard (OSC 52).
    Copy(String),
    SetMouseCapture(bool),
    /// Ask the conversation store (see `app/store.rs`).
    Store(StoreRequest),
    /// Load the schema `/extract` names and report it ([`App::schema_loaded`]).
    LoadSchema {
        spec: String,
    },
    /// Run an extraction on its own task; its events go to [`App::on_extract`].
    Extract(ExtractRequest),
    /// Edit this draft in the user's editor, the terminal handed over meanwhile; the
    /// result goes to [`App::editor_done`].
    Editor(String),
    /// Cancel the extraction with this id.
    CancelExtract(u64),
    /// Load files for an attachment (`app/attach_send.rs`); the answer goes to
    /// [`App::files_loaded`], [`App::paste_loaded`] or [`App::mentions_resolved`].
    Attach(crate::tui::app::attach_send::AttachRequest),
    /// `/mcp restart NAME`: stop this MCP server and start it again.
    McpRestart(String),
    /// Render a server's prompt with these arguments; the text goes to
    /// [`App::mcp_prompt_rendered`].
    McpPrompt {
        server: String,
        prompt: String,
        arguments: Vec<(String, String)>,
    },
    Quit,
}

/// What the app asks of the conversation store; the event loop answers through
/// [`App::on_listed`] and [`App::show_conversation`].
#[derive(Debug, Clone, PartialEq)]
pub enum StoreRequest {
    /// The picker's first page for this search (empty: the most recent).
    List(String),
    /// Load a conversation, show it and resume it in the engine.
    Open(ConversationId),
    Delete(ConversationId),
    Rename(ConversationId, String),
    /// `/export`: write the conversation to a new file (0600) and say where.
    Export {
        id: ConversationId,
        format: crate::tui::widgets::commands::ExportFormat,
        path: std::path::PathBuf,
    },
}

/// What the connection is doing, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    Idle,
    /// Request sent, no content yet.
    Waiting,
    Streaming,
    Retrying {
        attempt: u32,
        max: u32,
        until: Instant,
    },
}

/// Model and tier settings as the status bar shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelStatus {
    pub tier: Option<Tier>,
    /// The routing rules pick the tier per request (`auto`); `tier` is then the last pick.
    pub auto: bool,
    pub model: String,
    /// Set while the running turn uses a fallback model: (from, to).
    pub fell_back: Option<(String, String)>,
    /// Model ids offered by `/model` completion (the tiers' models).
    pub models: Vec<String>,
    /// Thinking and effort as chosen (Alt+T, Alt+E).
    pub reasoning: thinking::ReasoningStatus,
}

/// The turn being shown: which cell each content block index went to.
#[derive(Debug)]
pub(super) struct LiveTurn {
    pub id: TurnId,
    pub model: String,
    pub fallback_from: Option<String>,
    /// The turn's cells for its content blocks, by the engine's block id (stable for the
    /// whole turn, tool rounds included).
    pub blocks: HashMap<usize, u64>,
    /// The same cells in the order they opened.
    pub cells: Vec<u64>,
    /// The notice of the latest retry, updated by the countdown.
    pub retry_notice: Option<(u64, String)>,
    /// The status bar's model when the turn started: shown again when it ends, after a
    /// fallback model answered for this turn only.
    pub status_model: String,
}

/// How long a second Ctrl+C has to quit, and how long a status message stays.
pub(super) const CTRL_C_WINDOW: Duration = Duration::from_secs(2);
const FLASH_TIME: Duration = Duration::from_secs(3);

pub struct App {
    pub(super) conversation: Conversation,
    pub(super) input: InputBox,
    pub(super) popup: CommandPopup,
    pub(super) keymap: Keymap,
    pub(super) theme: Theme,
    pub(super) status: ModelStatus,
    pub(super) connection: Connection,
    /// Session accounting, budget and the sidebar's clock (`app/cost.rs`).
    pub(super) cost: CostState,
    pub(super) live: Option<LiveTurn>,
    /// Turns the user interrupted: their late updates are dropped.
    pub(super) cancelled: Option<TurnId>,
    /// The text of the last complete (or interrupted) answer, for Ctrl+Y and /copy.
    pub(super) last_answer: Option<String>,
    /// The help overlay (`widgets/help.rs`).
    pub(super) help: HelpState,
    /// What the screen shows and how: sidebar, mouse, focus, render options.
    pub(super) screen: Screen,
    pub(super) flash: Option<(String, Instant)>,
    /// Tool panels: calls by id, pending approvals, running spinners, focus.
    pub(super) tools: ToolCalls,
    /// `/extract`: the armed schema, the running extraction (`app/extract.rs`).
    pub(super) extract: ExtractMode,
    effects: Vec<Effect>,
    /// The stored conversation, the picker, and picking or editing an earlier message
    /// (`app/store.rs`).
    pub(super) browse: Browse,
    /// The server's wait after a failure, and a `/retry` counting down to it.
    pub(super) retry_wait: crate::tui::app::retry::RetryWait,
    /// The permission mode, the approval prompt's guard and the refusal reason prompt
    /// (`app/approval.rs`).
    pub(super) approval: ApprovalPrompt,
    /// The queue and paste chips (`app/compose.rs`).
    pub(super) compose: Compose,
    /// Attachments: the mention popup, pending chips, the paste offer (`app/attach.rs`).
    pub(super) attach: crate::tui::app::attach::Attachments,
    /// The MCP servers' states, tools and prompts (`app/mcp.rs`).
    pub(super) mcp: crate::tui::app::mcp::McpServers,
    /// Web search on or off, server tool panels, footnotes, the draft's count
    /// (`app/web.rs`, `app/token_count.rs`).
    pub(super) web: crate::tui::app::web::WebState,
}

/// What the screen shows and how, toggled by keys and told by the terminal.
#[derive(Debug)]
pub(super) struct Screen {
    pub sidebar: bool,
    /// Where the sidebar was in the last frame; `None` when it was not shown.
    pub sidebar_area: Option<ratatui::layout::Rect>,
    /// The sections it showed then (drawing records them: the draw borrows the app).
    pub sidebar_shown: std::cell::RefCell<Vec<crate::tui::widgets::sidebar::Section>>,
    /// Where the conversation was in the last frame (the rows that scroll together).
    pub conversation_area: Option<ratatui::layout::Rect>,
    pub render_options: RenderOptions,
    pub mouse_capture: bool,
    /// The terminal has the focus (focus events), so the cursor shows.
    pub focused: bool,
    /// When Ctrl+C last cleared the input while idle: another one soon after quits.
    pub ctrl_c_at: Option<Instant>,
}

/// What the app starts with.
pub struct AppOptions {
    pub theme: Theme,
    pub keymap: Keymap,
    pub tier: Option<Tier>,
    /// Start on the `auto` tier.
    pub auto: bool,
    pub model: String,
    /// Model ids offered by `/model` completion (the tiers' models).
    pub models: Vec<String>,
    pub sidebar: bool,
    pub mouse_capture: bool,
    /// Prices, budget, local time and the usage ledger.
    pub cost: CostOptions,
    /// Start in the "approve all" permission mode (`--approve-all`).
    pub approve_all: bool,
    /// Said once as info notices when the screen opens: config warnings (unknown keys),
    /// so they are seen now rather than after quitting, and a workspace root at home.
    pub notices: Vec<String>,
    /// Attaching files and `@`-completion; `None` turns both off.
    pub attach: Option<crate::tui::app::attach::AttachOptions>,
    /// The server tools the config offers (`tools.server`); `/search` switches them.
    pub server_tools: crate::api::server_tools::ServerTools,
    /// Thinking and effort at start (config and flags).
    pub reasoning: thinking::ReasoningStatus,
}

impl App {
    pub fn new(options: AppOptions) -> App {
        let notices = options.notices;
        let server_tools = options.server_tools;
        let mut app = App {
            conversation: Conversation::new(),
            input: InputBox::new(),
            popup: CommandPopup::new(),
            keymap: options.keymap,
            theme: options.theme,
            status: ModelStatus {
                tier: options.tier,
                auto: options.auto,
                model: options.model,
                fell_back: None,
                models: options.models,
                reasoning: options.reasoning,
            },
            connection: Connection::Idle,
            cost: CostState::new(options.cost),
            live: None,
            cancelled: None,
            last_answer: None,
            help: HelpState::default(),
            screen: Screen {
                sidebar: options.sidebar,
                sidebar_area: None,
                sidebar_shown: std::cell::RefCell::default(),
                conversation_area: None,
                render_options: RenderOptions::default(),
                mouse_capture: options.mouse_capture,
                focused: true,
                ctrl_c_at: None,
            },
            flash: None,
            tools: ToolCalls::default(),
            extract: ExtractMode::default(),
            effects: Vec::new(),
            browse: Browse::default(),
            retry_wait: Default::default(),
            approval: ApprovalPrompt {
                mode: if options.approve_all {
                    PermissionMode::ApproveAll
                } else {
                    PermissionMode::Ask
                },
                ..ApprovalPrompt::default()
            },
            compose: Compose::default(),
            attach: crate::tui::app::attach::Attachments {
                options: options.attach,
                ..Default::default()
            },
            mcp: Default::default(),
            web: Default::default(),
        };
        for text in notices {
            app.notice(NoticeKind::Info, text);
        }
        app.set_server_tools(server_tools);
        app
    }

    /// Takes the effects queued since the last call.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    pub(super) fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Shows a short message in the status bar for a few seconds.
    pub(super) fn flash(&mut self, text: impl Into<String>, now: Instant) {
        self.flash = Some((text.into(), now + FLASH_TIME));
    }

    /// A chat turn or an extraction is running.
    pub fn is_busy(&self) -> bool {
        self.live.is_some() || self.extract_running()
    }

    /// Tells the app whether the terminal reports Shift+Enter (keyboard enhancement).
    pub fn set_shift_enter_works(&mut self, works: bool) {
        self.input.set_shift_enter_works(works);
    }

    pub fn set_focused(&mut self, focused: bool) {
        self.screen.focused = focused;
    }

    /// Advances clocks (countdowns, status messages). Returns when it next needs a tick.
    pub fn tick(&mut self, now: Instant) -> Option<Instant> {
        if self.flash.as_ref().is_some_and(|(_, until)| *until <= now) {
            self.flash = None;
        }
        self.update_retry_countdown(now);
        let mut next = self.flash.as_ref().map(|(_, until)| *until);
        if let Some(spinner) = self.tick_tools(now) {
            next = Some(next.map_or(spinner, |n| n.min(spinner)));
        }
        if let Some(at) = self.tick_retry_wait(now) {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if let Some(at) = self.tick_mentions(now) {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if let Some(at) = self.tick_draft_count(now) {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        if let Connection::Retrying { until, .. } = self.connection
            && until > now
        {
            let second = now + Duration::from_secs(1);
            next = Some(next.map_or(second, |n| n.min(second)));
        }
        match (next, self.cost_tick(now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Handles a key press. Releases and repeats of non-editing keys are ignored.
    pub fn on_key(&mut self, key: &KeyEvent, now: Instant) {
        self.key_pressed(key, now);
        // A large draft gets its cost counted once typing pauses (`token_count.rs`).
        self.watch_draft(now);
    }

    fn key_pressed(&mut self, key: &KeyEvent, now: Instant) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        // Any other key ends Ctrl+C's arming: a Ctrl+C after typing clears, never quits.
        if self.keymap.action_for(key) != Some(Action::CtrlC) {
            self.screen.ctrl_c_at = None;
        }
        match self.overlays_key(key, now) {
            Some(KeyOutcome::Action(action)) => return self.on_action(action, key, now),
            Some(_) => return,
            None => {}
        }
        match self.keymap.action_for(key) {
            Some(action) if self.applies(action, key, now) => self.on_action(action, key, now),
            _ => {
                // Typing gives the focus back to the input.
                self.clear_tool_focus();
                self.type_key(key, now);
            }
        }
    }

    /// Whether `action` applies now, or the key should be typed or edit the input instead.
    fn applies(&self, action: Action, key: &KeyEvent, now: Instant) -> bool {
        let chord = KeyChord::from_event(key);
        let bare = chord.is_some_and(|c| c.modifiers.is_empty());
        let bare_char = bare && chord.is_some_and(|c| matches!(c.code, KeyCode::Char(_)));
        match action {
            Action::ApproveOnce | Action::ApproveAlways | Action::RefuseTool => {
                self.approval_pending() && (!bare_char || self.bare_answer_allowed(now))
            }
            // Bindings to printable characters act only on an empty input.
            _ if bare_char => self.input.is_empty(),
            // Bare Home/End move the cursor while the input has text.
            Action::Top | Action::Bottom if bare => self.input.is_empty(),
            Action::HistoryPrev => self.input.cursor_on_first_line(),
            Action::HistoryNext => self.input.cursor_on_last_line(),
            _ => true,
        }
    }

    fn on_action(&mut self, action: Action, key: &KeyEvent, now: Instant) {
        match action {
            Action::Send => {
                if !self.toggle_focused_tool() {
                    self.send(now);
                    // Sent (or queued): the person is no longer in the middle of typing.
                    if self.input.is_empty() {
                        self.approval.last_typed = None;
                    }
                }
            }
            Action::Newline => self.input.insert_newline(),
            Action::HistoryPrev => {
                // While messages wait, Up on an empty input takes the newest back to edit.
                if !self.unqueue_newest(now) && !self.input.history_prev() {
                    self.edit(key);
                }
            }
            Action::HistoryNext => {
                if !self.input.history_next() {
                    self.edit(key);
                }
            }
            Action::TierFast => self.set_tier(Tier::Fast),
            Action::TierBalanced => self.set_tier(Tier::Balanced),
            Action::TierMax => self.set_tier(Tier::Max),
            Action::TierAuto => self.set_auto_tier(),
            Action::CycleTier => self.set_tier(next_tier(self.status.tier)),
            Action::CycleThinking => self.cycle_thinking(now),
            Action::CycleEffort => self.cycle_effort(now),
            // Idle, Esc on an empty input picks an earlier message to edit; while an answer
            // streams it interrupts, as always.
            Action::Interrupt if self.is_busy() => {
                self.clear_tool_focus();
                self.interrupt(now);
            }
            // Idle: Esc first leaves the /extract mode; else it picks a message to edit.
            Action::Interrupt => {
                self.clear_tool_focus();
                if !self.cancel_retry_wait(now) && !self.leave_extract_mode(now) {
                    self.escape_idle(now);
                }
            }
            Action::CtrlC => self.ctrl_c(now),
            Action::QuitIfEmpty => {
                if self.input.is_empty() {
                    self.effect(Effect::Quit);
                } else {
                    self.edit(key);
                }
            }
            Action::ScrollUp => self.conversation.scroll_up(1),
            Action::ScrollDown => self.conversation.scroll_down(1),
            Action::PageUp => self.conversation.page_up(),
            Action::PageDown => self.conversation.page_down(),
            Action::Top => self.conversation.scroll_to_top(),
            Action::Bottom => self.conversation.scroll_to_bottom(),
            Action::CopyLast => self.copy(None, now),
            Action::Help => self.open_help(),
            Action::ToggleSidebar => self.screen.sidebar = !self.screen.sidebar,
            // A paste chip in the input opens there; otherwise thinking and pasted text
            // in the conversation open or close.
            Action::ToggleThinking => {
                if !self.expand_input_pastes() {
                    self.screen.render_options.thinking_expanded =
                        !self.screen.render_options.thinking_expanded;
                }
            }
            Action::ToggleMouse => {
                self.screen.mouse_capture = !self.screen.mouse_capture;
                self.effect(Effect::SetMouseCapture(self.screen.mouse_capture));
                let text = if self.screen.mouse_capture {
                    "mouse on: wheel scrolls; F12 for native text selection"
                } else {
                    "mouse off: select text natively; F12 turns the wheel back on"
                };
                self.flash(text, now);
            }
            Action::OpenCommands => self.edit(key),
            Action::ToggleTools => self.toggle_all_tools(now),
            Action::FocusPrevTool => self.move_tool_focus(true, key),
            Action::FocusNextTool => self.move_tool_focus(false, key),
            Action::ApproveOnce => self.answer_approval(ApprovalDecision::Once),
            Action::ApproveAlways => self.answer_approval(ApprovalDecision::Always),
            Action::RefuseTool => self.start_refusal(),
            Action::CycleMode => self.cycle_mode(now),
            Action::ExternalEditor => self.open_editor(now),
            Action::NewConversation => self.new_conversation(now),
            Action::Conversations => self.open_picker(),
            // Only the picker deletes; elsewhere the key edits as it would unbound.
            Action::DeleteConversation => self.edit(key),
        }
    }

    /// Passes a key to the input box and keeps the popup in step with its text.
    pub(super) fn edit(&mut self, key: &KeyEvent) {
        if self.input.handle_key(key) {
            self.popup.reopen();
            self.sync_popup();
        }
    }

    /// A key typed into the input (no binding took it), remembered for the approval
    /// prompt's guard (`app/approval.rs`).
    fn type_key(&mut self, key: &KeyEvent, now: Instant) {
        self.approval.last_typed = Some(now);
        self.edit(key);
    }

    pub fn on_paste(&mut self, text: &str) {
        self.screen.ctrl_c_at = None;
        self.paste(text);
        self.popup.reopen();
        self.sync_popup();
        self.watch_draft(Instant::now());
    }

    pub fn on_mouse(&mut self, event: &MouseEvent) {
        match event.kind {
            MouseEventKind::ScrollUp => self.conversation.scroll_up(WHEEL_LINES),
            MouseEventKind::ScrollDown => self.conversation.scroll_down(WHEEL_LINES),
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                self.click_chip(event.column, event.row);
            }
            _ => {}
        }
    }

    /// Adds a notice cell outside any turn (e.g. a clipboard failure).
    pub fn notice(&mut self, kind: NoticeKind, text: impl Into<String>) {
        self.conversation.push(CellKind::Notice {
            kind,
            text: text.into(),
        });
    }
}

fn next_tier(tier: Option<Tier>) -> Tier {
    match tier {
        Some(Tier::Fast) => Tier::Balanced,
        Some(Tier::Balanced) => Tier::Max,
        Some(Tier::Max) | None => Tier::Fast,
    }
}

#[cfg(test)]
#[path = "tests.rs"]
pub(crate) mod tests;
