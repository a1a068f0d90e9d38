//! What engine updates do to the app: cells created and grown as blocks stream, notices for
//! retries, fallbacks and errors, the status and the totals.
//!
//! Invariants:
//! - A turn's content blocks map to cells by the engine's block id, unique for the whole
//!   turn, so a delta finds its cell in one lookup, not by searching the conversation.
//! - Once the user interrupts a turn, every later update of that turn is dropped: the partial
//!   text stays exactly as it was when Esc was pressed, marked "interrupted".
//! - Every request's usage reaches the session account once (`app_cost.rs`): running usage
//!   replaces the open request's figures, and the engine's `RequestEnded` ends it, however
//!   it ended (it was paid for). An interrupted turn's updates still reach the account, so
//!   a request that ends after Esc is still counted.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::api::server_tools;
use crate::api::{ApiError, ContentBlock, MessageResponse, StopReason};
use crate::engine::{Command, TurnId, TurnStats, Update};

use crate::tui::app::{App, Connection, Effect, LiveTurn};
use crate::tui::render::cells::{AnswerState, CellKind, NoticeKind};

impl App {
    /// Applies one engine update.
    pub fn on_update(&mut self, update: Update, now: Instant) {
        if update.turn().is_some() && update.turn() == self.cancelled {
            // The screen is frozen, but the request was paid for: keep accounting for it.
            match &update {
                Update::Usage {
                    model,
                    usage,
                    cost_usd,
                    ..
                } => self.request_usage(model, usage, *cost_usd, now),
                Update::RequestEnded { request, .. } => self.request_ended(request, now),
                _ => {}
            }
            return;
        }
        let stale = |turn: TurnId| self.live.as_ref().is_none_or(|l| l.id != turn);
        if let Some(turn) = update.turn()
            && !matches!(update, Update::TurnStarted { .. })
            && stale(turn)
        {
            return;
        }
        match update {
            Update::TurnStarted { turn, tier, model } => self.turn_started(turn, tier, model),
            Update::Routed { tier, .. } => {
                // The answer's label says which tier the routing picked.
                self.status.tier = Some(tier);
                if let Some(live) = &mut self.live {
                    live.model = format!("{} · {tier} (auto)", live.model);
                }
            }
            Update::Connected {
                model,
                tier,
                rate_limits,
                ..
            } => {
                self.close_retry_notice("sent");
                self.request_connected(&model, tier, &rate_limits, now);
                self.reasoning_sent();
                self.connection = Connection::Streaming;
                self.status.model = model;
            }
            Update::Answering { model, .. } => self.answering(model),
            Update::BlockStarted { index, block, .. } => {
                if server_tools::server_result(&block).is_some() {
                    // A server result fills its call's panel (`web.rs`).
                    self.server_result(&block, now);
                } else {
                    self.server_fallback(&block);
                    self.block_started(index, &block);
                }
            }
            Update::TextDelta { index, text, .. } | Update::ThinkingDelta { index, text, .. } => {
                self.connection = Connection::Streaming;
                self.append(index, &text);
            }
            Update::ToolInputDelta {
                index,
                partial_json,
                ..
            } => {
                self.connection = Connection::Streaming;
                self.append(index, &partial_json);
            }
            Update::ToolInputInvalid { id, error, .. } => self.tool_input_invalid(&id, &error),
            Update::BlockFinished { index, block, .. } => {
                self.block_finished(index, &block);
                self.server_call_finished(&block, now);
            }
            Update::Usage {
                model,
                usage,
                cost_usd,
                ..
            } => self.request_usage(&model, &usage, cost_usd, now),
            Update::RequestEnded { request, .. } => self.request_ended(&request, now),
            Update::Retrying {
                attempt,
                max,
                wait,
                reason,
                ..
            } => self.retrying(attempt, max, wait, reason, now),
            Update::FellBack {
                from, to, reason, ..
            } => self.fell_back(from, to, reason),
            Update::Notice { text, .. } => self.notice(NoticeKind::Info, text),
            Update::TurnFinished { message, stats, .. } => self.turn_finished(&message, stats),
            Update::Error { error, partial, .. } => {
                self.note_retry_wait(&error, now);
                self.turn_failed(&error, partial.as_ref());
            }
            Update::ModelChanged { tier, model } => {
                self.model_changed(tier, &model, now);
                self.status.tier = tier;
                self.status.model = model;
            }
            Update::Tool {
                id, name, status, ..
            } => self.tool_status(&id, &name, status, now),
            Update::ToolPreview { id, preview, .. } => self.tool_preview(&id, preview),
            Update::ToolProgress { id, progress, .. } => self.mcp_progress(&id, progress),
            Update::ContextSize {
                model,
                tokens,
                window,
            } => self.cost.account.set_context(&model, tokens, window),
            Update::Conversation { id } => self.set_conversation_id(id),
            Update::DraftCounted { id, model, counted } => {
                self.draft_counted(id, &model, counted, now);
            }
            Update::Compacted {
                text,
                requests,
                today_usd,
            } => self.compacted(text, &requests, today_usd, now),
            Update::Titled {
                title,
                model,
                usage,
                cost_usd,
                ..
            } => {
                // The title request was paid for: it counts like any other.
                let at = now.into_std();
                let fast = Some(crate::config::Tier::Fast);
                (self.cost.account).add_background(&model, fast, &usage, cost_usd, at);
                if let Some(title) = title {
                    self.flash(format!("titled “{title}”"), now);
                }
            }
        }
    }

    fn turn_started(&mut self, turn: TurnId, tier: Option<crate::config::Tier>, model: String) {
        self.tier_means(tier, &model);
        // The new turn's text never continues an earlier answer (`web.rs`).
        self.note_block(None, 0);
        self.status.tier = tier.or(self.status.tier);
        self.status.model = model.clone();
        self.status.fell_back = None;
        self.connection = Connection::Waiting;
        self.live = Some(LiveTurn {
            id: turn,
            model,
            fallback_from: None,
            blocks: HashMap::new(),
            cells: Vec::new(),
            retry_notice: None,
            status_model: self.status.model.clone(),
        });
    }

    fn block_started(&mut self, index: usize, block: &ContentBlock) {
        if let Some(id) = self.continue_answer(block, AnswerState::Streaming) {
            // Cited text comes as several text blocks: one answer, one cell (`web.rs`).
            if let Some(live) = &mut self.live {
                live.blocks.insert(index, id);
            }
            return;
        }
        let Some(live) = &self.live else { return };
        let kind = CellKind::for_block(
            block,
            &live.model,
            live.fallback_from.clone(),
            AnswerState::Streaming,
        );
        let id = self.conversation.push(kind);
        self.register_tool(block, id);
        self.server_block_started(block, Some(id));
        self.note_block(Some(block), id);
        if let Some(live) = &mut self.live {
            live.blocks.insert(index, id);
            live.cells.push(id);
        }
    }

    fn cell_for(&self, index: usize) -> Option<u64> {
        self.live.as_ref()?.blocks.get(&index).copied()
    }

    fn append(&mut self, index: usize, text: &str) {
        let Some(id) = self.cell_for(index) else {
            return;
        };
        let Some(cell) = self.conversation.cell_mut(id) else {
            return;
        };
        match &mut cell.kind {
            CellKind::Assistant(answer) => answer.body.push(text),
            CellKind::Thinking { text: t, .. } => t.push_str(text),
            CellKind::Tool(panel) => panel.push_input(text),
            _ => {}
        }
    }

    fn block_finished(&mut self, index: usize, block: &ContentBlock) {
        let Some(id) = self.cell_for(index) else {
            return;
        };
        if let ContentBlock::Text(t) = block {
            // Footnote markers follow cited text (`web.rs`).
            self.cite(id, t);
        }
        let Some(cell) = self.conversation.cell_mut(id) else {
            return;
        };
        match (&mut cell.kind, block) {
            (CellKind::Assistant(answer), _) => answer.state = AnswerState::Done,
            (CellKind::Thinking { done, .. }, _) => *done = true,
            (CellKind::Tool(panel), ContentBlock::ToolUse(t)) => panel.input_complete(&t.input),
            _ => {}
        }
    }

    fn retrying(&mut self, attempt: u32, max: u32, wait: Duration, reason: String, now: Instant) {
        let until = now + wait;
        // The previous retry was sent and failed too.
        self.close_retry_notice("sent, failed");
        self.connection = Connection::Retrying {
            attempt,
            max,
            until,
        };
        let base = format!("retry {attempt} of {max}: {reason}");
        let id = self.conversation.push(CellKind::Notice {
            kind: NoticeKind::Retry,
            text: format!("{base} · in {}s", wait.as_secs_f64().ceil()),
        });
        if let Some(live) = &mut self.live {
            live.retry_notice = Some((id, base));
        }
    }

    /// Ends the retry notice's countdown with what became of the retry, so no stale
    /// "in 1s" is left behind when the turn moves on.
    fn close_retry_notice(&mut self, outcome: &str) {
        let Some((id, base)) = self.live.as_mut().and_then(|l| l.retry_notice.take()) else {
            return;
        };
        if let Some(cell) = self.conversation.cell_mut(id)
            && let CellKind::Notice { text, .. } = &mut cell.kind
        {
            *text = format!("{base} · {outcome}");
        }
    }

    /// Rewrites the retry notice's countdown when its whole-second value changes.
    pub(in crate::tui) fn update_retry_countdown(&mut self, now: Instant) {
        let Connection::Retrying { until, .. } = self.connection else {
            return;
        };
        let Some((id, base)) = self.live.as_ref().and_then(|l| l.retry_notice.clone()) else {
            return;
        };
        let left = until.saturating_duration_since(now).as_secs_f64().ceil();
        let text = if left > 0.0 {
            format!("{base} · in {left}s")
        } else {
            format!("{base} · sending")
        };
        let unchanged = self.conversation.cells().iter().any(|c| {
            c.id == id && matches!(&c.kind, CellKind::Notice { text: t, .. } if *t == text)
        });
        if unchanged {
            return;
        }
        if let Some(cell) = self.conversation.cell_mut(id)
            && let CellKind::Notice { text: t, .. } = &mut cell.kind
        {
            *t = text;
        }
    }

    fn fell_back(&mut self, from: String, to: String, reason: String) {
        self.close_retry_notice("sent, failed");
        self.notice(
            NoticeKind::Fallback,
            format!("{from} {reason}; answering with {to}"),
        );
        self.status.fell_back = Some((from.clone(), to.clone()));
        self.status.model = to.clone();
        if let Some(live) = &mut self.live {
            live.fallback_from = Some(from);
            live.model = to;
        }
    }

    fn turn_finished(&mut self, message: &MessageResponse, stats: TurnStats) {
        let _ = stats;
        self.finish_cells(AnswerState::Done);
        let model = self
            .live
            .as_ref()
            .map(|l| l.model.clone())
            .unwrap_or_default();
        self.sources_cell(&model);
        // What /copy takes keeps the footnotes and sources, as Markdown links.
        let text = crate::stream::citations::annotated_markdown(&message.content);
        if !text.is_empty() {
            self.last_answer = Some(text);
        }
        match &message.stop_reason {
            Some(StopReason::MaxTokens) => self.notice(
                NoticeKind::Info,
                "the answer reached max_tokens and was cut off (raise models.max_tokens)",
            ),
            Some(StopReason::Refusal) => self.refused(message),
            Some(StopReason::ModelContextWindowExceeded) => self.notice(
                NoticeKind::Error,
                "the conversation no longer fits the model's context window: /clear starts over",
            ),
            _ => {}
        }
        self.end_turn();
    }

    fn turn_failed(&mut self, error: &ApiError, partial: Option<&MessageResponse>) {
        if matches!(error, ApiError::Cancelled) {
            self.finish_interrupted();
            return;
        }
        self.close_retry_notice("sent, failed");
        self.finish_cells(AnswerState::Incomplete);
        // Nothing queued is sent after a failure: it comes back to the input.
        self.unqueue_all();
        if let Some(p) = partial {
            let text = p.text();
            if !text.is_empty() {
                self.last_answer = Some(text);
            }
        }
        // A server-requested wait that was not slept through says how long, and /retry
        // waits for it (app_retry.rs); otherwise the whole error: the API's message and
        // request id, as print mode shows them.
        let text = match crate::api::retry::wait_advice(error) {
            Some(advice) => format!("{advice} · /retry waits, then sends it again"),
            None => format!("{error} · /retry sends it again"),
        };
        self.notice(NoticeKind::Error, text);
        self.end_turn();
    }

    /// Esc or Ctrl+C while a turn (or an extraction) runs: cancel it and freeze what is
    /// shown.
    pub(in crate::tui) fn interrupt(&mut self, now: Instant) {
        if self.cancel_extraction(now) {
            return;
        }
        let Some(live) = &self.live else {
            return;
        };
        self.cancelled = Some(live.id);
        self.effect(Effect::Engine(Command::Cancel));
        self.finish_interrupted();
        self.flash("interrupted", now);
    }

    fn finish_interrupted(&mut self) {
        self.unqueue_all();
        self.close_retry_notice("interrupted");
        let had_answer = self.finish_cells(AnswerState::Interrupted);
        if !had_answer {
            self.notice(
                NoticeKind::Interrupted,
                "interrupted before the answer began",
            );
        }
        // The partial answer can be copied too.
        if let Some(text) = self.live_answer_text() {
            self.last_answer = Some(text);
        }
        self.end_turn();
    }

    fn live_answer_text(&self) -> Option<String> {
        let live = self.live.as_ref()?;
        let text: String = self
            .conversation
            .cells()
            .iter()
            .filter(|c| live.cells.contains(&c.id))
            .filter_map(|c| match &c.kind {
                CellKind::Assistant(a) => Some(a.body.source()),
                _ => None,
            })
            .collect();
        (!text.is_empty()).then_some(text)
    }

    /// Closes the live turn's open cells. Returns whether it had an assistant text cell.
    fn finish_cells(&mut self, state: AnswerState) -> bool {
        let ids: Vec<u64> = self
            .live
            .as_ref()
            .map(|l| l.cells.clone())
            .unwrap_or_default();
        let mut had_answer = false;
        for id in ids {
            let Some(cell) = self.conversation.cell_mut(id) else {
                continue;
            };
            match &mut cell.kind {
                CellKind::Assistant(answer) => {
                    had_answer = true;
                    if answer.state == AnswerState::Streaming || state != AnswerState::Done {
                        answer.state = state.clone();
                    }
                }
                CellKind::Thinking { done, .. } => *done = true,
                CellKind::Tool(panel) => panel.turn_ended(state != AnswerState::Done),
                _ => {}
            }
        }
        had_answer
    }

    fn end_turn(&mut self) {
        self.tools_turn_ended();
        // A fallback model answered this turn only: the tier's model is next again.
        if let Some(live) = self.live.take()
            && self.status.fell_back.take().is_some()
        {
            self.status.model = live.status_model;
        }
        self.connection = Connection::Idle;
        self.status.fell_back = None;
        self.send_next_queued();
    }
}

#[cfg(test)]
#[path = "updates_tests.rs"]
mod tests;
