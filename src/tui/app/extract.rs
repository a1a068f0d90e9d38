//! What `/extract` does to the app: the mode that waits for the input, the running
//! extraction's panel and its accounting, cancelling, and copying the result.
//!
//! The model: `/extract SCHEMA` asks the event loop to load the schema
//! ([`Effect::LoadSchema`]: reading a file is IO); [`App::schema_loaded`] then arms the
//! mode (the input box's border says so) or says why the schema cannot be used and puts
//! the command back in the input to fix. While armed, the next message sent is the
//! extraction's input: it becomes an [`Effect::Extract`], which the event loop runs on its
//! own task (`extract_task.rs`) with the chat's client, prices, ledger and tier or model.
//! It never reaches the chat engine, so it does not join the chat's history. The task's
//! progress comes back as [`ExtractEvent`]s through [`App::on_extract`], which move the
//! panel (`extract_panel.rs`) on.
//!
//! Invariants:
//! - One extraction or one chat turn at a time ([`App::is_busy`] covers both): the session
//!   account has one open request, so two streams at once would mix their figures.
//! - Every request's usage reaches the session account once, as a chat request's does:
//!   the engine's `Connected` opens it, `Usage` replaces its figures, and a rejected
//!   answer, the next `Connected` or the end of the extraction closes it.
//! - After Esc the panel is frozen as it was, but the extraction stays "running" for
//!   accounting until its report arrives (at once: the cancel drops the request in
//!   flight), so usage that was already on its way is still counted.
//! - Events of any extraction but the running one are dropped.

use std::sync::Arc;

use tokio::time::Instant;

use crate::config::Tier;
use crate::engine::Update;
use crate::extract::{Progress, Report, Schema};

use crate::tui::app::keymap::Action;
use crate::tui::app::{App, Connection, Effect};
use crate::tui::render::cells::{CellKind, NoticeKind};
use crate::tui::widgets::extract_panel::ExtractPanel;

/// A schema ready for `/extract`, with the name the panel shows.
#[derive(Clone)]
pub struct LoadedSchema {
    /// The file name, or the bundled schema's name.
    pub name: String,
    pub schema: Arc<Schema>,
}

impl std::fmt::Debug for LoadedSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedSchema")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for LoadedSchema {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.schema, &other.schema)
    }
}

/// Which tier or model an extraction uses: the chat's. Both `None` (the `auto` tier)
/// leaves the choice to the extractor's configuration (the routing default).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtractTarget {
    pub tier: Option<Tier>,
    pub model: Option<String>,
}

/// An extraction for the event loop to run.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractRequest {
    /// Tags its events, so those of an older extraction are told apart.
    pub id: u64,
    pub schema: LoadedSchema,
    pub input: String,
    pub target: ExtractTarget,
}

/// Something a running extraction reports to the app.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractEvent {
    pub id: u64,
    pub update: ExtractUpdate,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExtractUpdate {
    Progress(Progress),
    /// The last event of an extraction.
    Finished(Box<Report>),
}

/// The running extraction: its id and panel cell.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Running {
    id: u64,
    cell: u64,
    /// Esc was pressed: the panel is frozen, only accounting goes on.
    cancelled: bool,
}

/// The app's `/extract` state. See the module docs.
#[derive(Debug, Default)]
pub(in crate::tui) struct ExtractMode {
    /// The schema the next message is extracted with.
    armed: Option<LoadedSchema>,
    running: Option<Running>,
    next_id: u64,
    /// The last valid result, pretty-printed: Ctrl+Y copies it while it is the last answer.
    json: Option<String>,
    /// The panel of the last extraction, when it ended without valid JSON.
    failed_cell: Option<u64>,
}

impl App {
    /// `/extract SCHEMA`: the event loop loads it and calls [`App::schema_loaded`].
    pub(in crate::tui) fn extract_command(&mut self, spec: String) {
        self.effect(Effect::LoadSchema { spec });
    }

    /// The schema `/extract spec` named, loaded or not.
    pub fn schema_loaded(&mut self, spec: &str, result: Result<LoadedSchema, String>) {
        match result {
            Ok(schema) => {
                let key = |a, default: &str| {
                    self.keymap
                        .keys_for(a)
                        .first()
                        .map_or(default.to_owned(), |k| k.to_string())
                };
                let hint = format!(
                    "extract with {}: paste or type the text, {} to run, {} to cancel",
                    schema.name,
                    key(Action::Send, "Enter"),
                    key(Action::Interrupt, "Esc"),
                );
                self.input.set_mode(Some(&hint));
                self.extract.armed = Some(schema);
            }
            Err(message) => {
                self.notice(NoticeKind::Error, message);
                // Nothing typed is lost: the command comes back to be fixed.
                if self.input.is_empty() {
                    self.input.set_text(&format!("/extract {spec}"));
                    self.sync_popup();
                }
            }
        }
    }

    /// Whether the next message is an extraction's input.
    pub(in crate::tui) fn extract_armed(&self) -> bool {
        self.extract.armed.is_some()
    }

    pub(in crate::tui) fn extract_running(&self) -> bool {
        self.extract.running.is_some()
    }

    /// What Enter says while something runs.
    pub(in crate::tui) fn busy_note(&self) -> &'static str {
        if self.extract_running() {
            "an extraction is running: Esc cancels it"
        } else {
            "an answer is streaming: Esc interrupts it"
        }
    }

    /// Runs the armed extraction on `input`: its panel, then the effect that starts it.
    pub(in crate::tui) fn start_extraction(&mut self, input: String) {
        let Some(schema) = self.extract.armed.take() else {
            return;
        };
        self.input.set_mode(None);
        self.extract.next_id += 1;
        let id = self.extract.next_id;
        let mut panel = ExtractPanel::new(&schema.name, &input);
        let hint = |a, what: &str| {
            self.keymap
                .keys_for(a)
                .first()
                .map(|k| format!("{k} {what}"))
                .unwrap_or_default()
        };
        panel.set_hints(
            hint(Action::ToggleTools, "expands"),
            hint(Action::CopyLast, "copies"),
        );
        let cell = self.conversation.push(CellKind::Extract(Box::new(panel)));
        self.conversation.scroll_to_bottom();
        self.extract.running = Some(Running {
            id,
            cell,
            cancelled: false,
        });
        self.connection = Connection::Waiting;
        let target = self.extract_target();
        self.effect(Effect::Extract(ExtractRequest {
            id,
            schema,
            input,
            target,
        }));
    }

    /// The chat's choice: its fixed tier (and the model the engine has for it), or the
    /// model picked with `/model` or `--model`; `auto` leaves it to the configuration.
    fn extract_target(&self) -> ExtractTarget {
        if self.status.auto {
            return ExtractTarget::default();
        }
        match self.status.tier {
            Some(tier) => ExtractTarget {
                tier: Some(tier),
                model: self.model_of_tier(tier),
            },
            None => ExtractTarget {
                tier: None,
                model: Some(self.status.model.clone()),
            },
        }
    }

    /// Esc while an extraction runs: cancels it and freezes its panel. False when none runs.
    pub(in crate::tui) fn cancel_extraction(&mut self, now: Instant) -> bool {
        let Some(run) = &mut self.extract.running else {
            return false;
        };
        if run.cancelled {
            return false;
        }
        run.cancelled = true;
        let (id, cell) = (run.id, run.cell);
        self.effect(Effect::CancelExtract(id));
        self.with_extract_panel(cell, ExtractPanel::cancelled);
        self.connection = Connection::Idle;
        self.flash("extraction cancelled", now);
        true
    }

    /// Esc with the mode armed: the next message goes to the chat again. False when the
    /// mode was not armed.
    pub(in crate::tui) fn leave_extract_mode(&mut self, now: Instant) -> bool {
        if self.extract.armed.take().is_none() {
            return false;
        }
        self.input.set_mode(None);
        self.flash("extract mode off: messages go to the chat", now);
        true
    }

    /// What the flash says Ctrl+Y copied, when it is the extracted JSON.
    pub(in crate::tui) fn copy_label(&self, text: &str) -> Option<&'static str> {
        (self.extract.json.as_deref() == Some(text)).then_some("the extracted JSON")
    }

    /// What Ctrl+Y says when there is nothing to copy.
    pub(in crate::tui) fn nothing_to_copy(&self) -> &'static str {
        let failed = self
            .extract
            .failed_cell
            .is_some_and(|cell| self.conversation.cells().iter().any(|c| c.id == cell));
        if failed {
            "the last extraction gave no valid JSON to copy"
        } else {
            "nothing to copy yet"
        }
    }

    /// Applies one event of a running extraction.
    pub fn on_extract(&mut self, event: ExtractEvent, now: Instant) {
        let Some(run) = self.extract.running.filter(|r| r.id == event.id) else {
            return;
        };
        match event.update {
            ExtractUpdate::Progress(progress) => self.extract_progress(run, progress, now),
            ExtractUpdate::Finished(report) => self.extract_finished(run, &report),
        }
    }

    fn extract_progress(&mut self, run: Running, progress: Progress, now: Instant) {
        let shown = !run.cancelled;
        match progress {
            Progress::AttemptStarted {
                attempt, method, ..
            } if shown => {
                self.connection = Connection::Waiting;
                self.with_extract_panel(run.cell, |p| p.attempt_started(attempt, method));
            }
            Progress::JsonDelta { fragment, .. } if shown => {
                self.connection = Connection::Streaming;
                self.with_extract_panel(run.cell, |p| p.push_json(&fragment));
            }
            // The request answered (the engine ended it); only its answer was wrong.
            Progress::Rejected { errors, .. } if shown => {
                self.connection = Connection::Waiting;
                self.with_extract_panel(run.cell, |p| p.rejected(&errors));
            }
            Progress::Engine { update, .. } => self.extract_engine_update(run, *update, now),
            _ => {}
        }
    }

    /// The engine's updates of an attempt: the accounting as for chat, and what the panel
    /// shows of retries, fallbacks and the end of the JSON.
    fn extract_engine_update(&mut self, run: Running, update: Update, now: Instant) {
        let shown = !run.cancelled;
        match update {
            Update::Connected {
                model,
                tier,
                rate_limits,
                ..
            } => {
                self.request_connected(&model, tier, &rate_limits, now);
                if shown {
                    self.connection = Connection::Streaming;
                }
            }
            Update::Usage {
                model,
                usage,
                cost_usd,
                ..
            } => self.request_usage(&model, &usage, cost_usd, now),
            Update::RequestEnded { request, .. } => self.request_ended(&request, now),
            Update::BlockFinished { block, .. } if shown => {
                self.with_extract_panel(run.cell, |p| p.block_finished(&block));
            }
            Update::Retrying {
                attempt,
                max,
                wait,
                reason,
                ..
            } if shown => {
                self.connection = Connection::Retrying {
                    attempt,
                    max,
                    until: now + wait,
                };
                let text = format!(
                    "↻ request retry {attempt} of {max} in {}s: {reason}",
                    wait.as_secs_f64().ceil()
                );
                self.with_extract_panel(run.cell, |p| p.set_note(text, true));
            }
            Update::FellBack {
                from, to, reason, ..
            } if shown => {
                let text = format!("↳ {from} {reason}; answering with {to}");
                self.with_extract_panel(run.cell, |p| p.set_note(text, false));
            }
            _ => {}
        }
    }

    /// The engine's `RequestEnded` updates have counted its requests already.
    fn extract_finished(&mut self, run: Running, report: &Report) {
        self.extract.running = None;
        if run.cancelled {
            return;
        }
        self.connection = Connection::Idle;
        self.with_extract_panel(run.cell, |p| p.finished(report));
        let json = report
            .result
            .as_ref()
            .ok()
            .and_then(|v| serde_json::to_string_pretty(v).ok());
        self.extract.failed_cell = json.is_none().then_some(run.cell);
        // The result is now the last answer: what Ctrl+Y and /copy take.
        self.last_answer = json.clone();
        self.extract.json = json;
    }

    fn with_extract_panel(&mut self, cell: u64, f: impl FnOnce(&mut ExtractPanel)) {
        if let Some(c) = self.conversation.cell_mut(cell)
            && let CellKind::Extract(panel) = &mut c.kind
        {
            f(panel);
        }
    }
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
