//! Sending from the input box: the command popup's keys, slash commands, messages, and the
//! small commands they run (tier, copy, Ctrl+C). Part of [`App`]; the state is in `app.rs`.

use tokio::time::Instant;

use crossterm::event::{KeyCode, KeyEvent};

use crate::config::{Tier, TierChoice};
use crate::engine::Command;

use crate::tui::app::{App, CTRL_C_WINDOW, Connection, Effect};
use crate::tui::render::cells::{AnswerState, CellKind};
use crate::tui::widgets::commands::SlashCommand;

impl App {
    pub(in crate::tui) fn sync_popup(&mut self) {
        let prompts = self.prompt_commands();
        let servers = self.mcp_restart_offers();
        let offers = crate::tui::widgets::commands::Offers {
            models: &self.status.models,
            extra: &prompts,
            servers: &servers,
        };
        (self.popup).update_with(&self.input.text(), &offers);
        self.sync_mentions();
    }

    pub(in crate::tui) fn popup_visible(&self) -> bool {
        self.popup.is_open()
    }

    /// Keys the open popup takes: selection, completion, closing. True when consumed.
    pub(in crate::tui) fn on_popup_key(&mut self, key: &KeyEvent) -> bool {
        match key.code {
            KeyCode::Up => self.popup.select_prev(),
            KeyCode::Down => self.popup.select_next(),
            KeyCode::Esc => self.popup.dismiss(),
            KeyCode::Tab => self.complete(),
            // Enter runs a complete command; otherwise it completes the selection first.
            KeyCode::Enter if key.modifiers.is_empty() => {
                let text = self.input.text();
                match crate::tui::widgets::commands::parse(&text) {
                    Some(Ok(_)) => return false,
                    _ if matches!(self.parse_prompt_command(&text), Some(Ok(_))) => return false,
                    _ => self.complete(),
                }
            }
            _ => return false,
        }
        true
    }

    pub(in crate::tui) fn complete(&mut self) {
        if let Some(text) = self.popup.completion() {
            self.input.set_text(&text);
            self.sync_popup();
        }
    }

    /// Enter: run a slash command, or send the message. `//text` sends `/text`, for a
    /// message that starts with a slash. A mistyped command stays in the input to fix.
    pub(in crate::tui) fn send(&mut self, now: Instant) {
        let text = self.input.text();
        // An MCP prompt (`/fs:review FILE`) before the built-in commands: its name has a
        // colon, which no built-in has.
        match self.parse_prompt_command(&text) {
            Some(Ok(call)) => return self.run_prompt_command(call, now),
            Some(Err(message)) => return self.flash(message, now),
            None => {}
        }
        if !text.starts_with("//") {
            match crate::tui::widgets::commands::parse(&text) {
                Some(Ok(command)) => {
                    self.input.submit();
                    self.sync_popup();
                    self.run_command(command, now);
                    return;
                }
                Some(Err(message)) => {
                    self.flash(message, now);
                    return;
                }
                None => {}
            }
        }
        if self.answer_pending() && self.browse.editing.is_none() && !self.extract_armed() {
            self.queue_input(now);
            return;
        }
        if self.is_busy() {
            self.flash(self.busy_note(), now);
            return;
        }
        if self.ask_before_spending(crate::tui::app::cost_prompt::Pending::Message) {
            return;
        }
        self.send_input();
    }

    /// Sends what the input holds (after any budget confirmation).
    pub(in crate::tui) fn send_input(&mut self) {
        if let Some(text) = self.input.submit() {
            let text = match text.strip_prefix("//") {
                Some(rest) => format!("/{rest}"),
                None => text,
            };
            let text = crate::tui::app::paste::expand(&text, &self.compose.pastes);
            if self.extract_armed() {
                self.start_extraction(text.to_string());
                return;
            }
            match self.browse.editing.take() {
                Some(index) => self.send_fork(index, text.to_string()),
                None => self.send_typed(text, true),
            }
        }
    }

    /// Shows a user message and asks the engine to answer it.
    pub fn send_message(&mut self, text: String) {
        self.send_user(text.into());
    }

    /// Shows a user message (its large pastes as chips) and asks the engine to answer it.
    pub(in crate::tui) fn send_user(&mut self, text: crate::tui::app::paste::UserText) {
        self.drop_retry_countdown();
        let sent = text.to_string();
        self.conversation.push(CellKind::User(text));
        self.conversation.scroll_to_bottom();
        self.connection = Connection::Waiting;
        self.effect(Effect::Engine(Command::Send(sent)));
    }

    pub(in crate::tui) fn run_command(&mut self, command: SlashCommand, now: Instant) {
        match command {
            SlashCommand::Model(id) => {
                self.status.model = id.clone();
                self.status.tier = None;
                self.status.auto = false;
                self.effect(Effect::Engine(Command::SetModel(Some(id))));
            }
            SlashCommand::Tier(TierChoice::Fixed(tier)) => self.set_tier(tier),
            SlashCommand::Tier(TierChoice::Auto) => self.set_auto_tier(),
            SlashCommand::System(text) => {
                let what = if text.is_some() { "set" } else { "removed" };
                self.effect(Effect::Engine(Command::SetSystem(text)));
                self.flash(format!("system prompt {what} for the next request"), now);
            }
            // The conversation stays stored; the next message starts a new one.
            SlashCommand::Clear => self.new_conversation(now),
            SlashCommand::Retry => {
                if self.is_busy() {
                    self.flash("an answer is streaming: Esc interrupts it first", now);
                } else if !self.ask_before_spending(crate::tui::app::cost_prompt::Pending::Retry) {
                    self.retry_now(now);
                }
            }
            SlashCommand::Copy(n) => self.copy(n, now),
            SlashCommand::Extract(spec) => self.extract_command(spec),
            SlashCommand::Help => self.open_help(),
            SlashCommand::Quit => self.effect(Effect::Quit),
            SlashCommand::Rename(title) => self.rename(title, now),
            SlashCommand::Cost => self.show_cost_table(),
            SlashCommand::Compact => self.compact_now(now),
            SlashCommand::Resume => self.open_picker(),
            SlashCommand::Export { format, path } => self.export(format, path, now),
            SlashCommand::Attach(paths) => self.attach_command(paths, now),
            SlashCommand::Instructions => self.show_instructions(),
            SlashCommand::Mcp => self.show_mcp(),
            SlashCommand::McpRestart(name) => self.restart_mcp(&name, now),
            SlashCommand::Search(on) => self.search_command(on, now),
        }
    }

    /// The last answer, when it finished, leaves the history on `/retry` (the store marks
    /// it superseded): it stays on screen marked "replaced", as a resumed screen shows it.
    pub(in crate::tui) fn mark_replaced(&mut self) {
        let mut ids = Vec::new();
        for cell in self.conversation.cells().iter().rev() {
            match &cell.kind {
                CellKind::Assistant(a) if a.state == AnswerState::Done => ids.push(cell.id),
                CellKind::Thinking { .. } | CellKind::Notice { .. } => {}
                _ => break,
            }
        }
        for id in ids {
            if let Some(cell) = self.conversation.cell_mut(id)
                && let CellKind::Assistant(answer) = &mut cell.kind
            {
                answer.state = AnswerState::Replaced;
            }
        }
    }

    pub(in crate::tui) fn set_tier(&mut self, tier: Tier) {
        // Shown at once; the engine's ModelChanged update confirms the model id.
        self.status.tier = Some(tier);
        self.status.auto = false;
        self.effect(Effect::Engine(Command::SetTier(tier)));
    }

    /// `auto`: the routing rules pick the tier per request (Alt+0, `/tier auto`).
    pub(in crate::tui) fn set_auto_tier(&mut self) {
        self.status.auto = true;
        self.effect(Effect::Engine(Command::SetTierChoice(TierChoice::Auto)));
    }

    /// Ctrl+C: interrupts a running answer; when idle clears the input, and quits when
    /// pressed again within [`CTRL_C_WINDOW`] with nothing typed in between (any other
    /// key disarms it, see [`App::on_key`]). A cleared draft is never lost: Ctrl+Z
    /// restores it and it joins the input history (Up).
    pub(in crate::tui) fn ctrl_c(&mut self, now: Instant) {
        if self.is_busy() {
            self.interrupt(now);
            return;
        }
        let armed = self
            .screen
            .ctrl_c_at
            .is_some_and(|at| now.duration_since(at) < CTRL_C_WINDOW);
        if armed && self.input.is_empty() {
            self.effect(Effect::Quit);
            return;
        }
        let text = self.input.text();
        self.input.clear();
        self.sync_popup();
        self.screen.ctrl_c_at = Some(now);
        if text.trim().is_empty() {
            self.flash("press Ctrl+C again to quit", now);
        } else {
            self.input.remember(text);
            self.flash("cleared: Ctrl+Z undoes, Ctrl+C quits", now);
        }
    }

    /// Copies the last answer, or its `n`-th (1-based) code block.
    pub(in crate::tui) fn copy(&mut self, n: Option<usize>, now: Instant) {
        let Some(answer) = self.last_answer.clone() else {
            self.flash(self.nothing_to_copy(), now);
            return;
        };
        let text = match n {
            None => answer,
            Some(n) => {
                let blocks = crate::tui::run::clipboard::code_blocks(&answer);
                match blocks.into_iter().nth(n.saturating_sub(1)) {
                    Some(block) if n > 0 => block,
                    _ => {
                        self.flash(format!("the last answer has no code block {n}"), now);
                        return;
                    }
                }
            }
        };
        let what = match n {
            None => self
                .copy_label(&text)
                .unwrap_or("the last answer")
                .to_owned(),
            Some(n) => format!("code block {n}"),
        };
        self.flash(
            format!(
                "sent {what} to the clipboard ({} chars)",
                text.chars().count()
            ),
            now,
        );
        self.effect(Effect::Copy(text));
    }
}
