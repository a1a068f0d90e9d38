//! The engine's journal calls (see [`crate::engine::journal`]): kept beside the session so
//! its command handling reads as the conversation, not as bookkeeping.
//!
//! Every call is best effort for the turn: a failing store never stops an answer. The
//! first failure is reported as a notice; later ones are not repeated.

use tokio::sync::mpsc::UnboundedSender;

use super::super::journal::{AnswerEnd, JournalError, JournalTarget};
use super::super::turn::TurnOutcome;
use super::super::{Update, title};
use super::{Engine, notice};
use crate::api::{ApiError, Message};
use crate::store::is_typed;

impl Engine {
    /// The journal and conversation a turn checkpoints into.
    pub(super) fn journal_target(&self) -> Option<JournalTarget> {
        Some(JournalTarget {
            journal: self.journal.clone()?,
            conversation: self.conversation.clone()?,
        })
    }

    /// Writes a user message; the first of a conversation creates the conversation.
    pub(super) fn record_user(&mut self, message: &Message, updates: &UnboundedSender<Update>) {
        let Some(journal) = self.journal.clone() else {
            return;
        };
        let result = match &self.conversation {
            Some(id) => journal.user_message(id, message),
            None => journal.begin(self.current_model(), message).map(|id| {
                self.conversation = Some(id);
                if self.auto_title {
                    self.title_pending = Some(message.text());
                }
                self.announce_conversation(updates);
            }),
        };
        self.report(result, updates);
    }

    /// Writes how the turn's answer ended, and starts the title request after a new
    /// conversation's first complete answer.
    pub(super) fn record_end(&mut self, outcome: &TurnOutcome, updates: &UnboundedSender<Update>) {
        let Some(target) = self.journal_target() else {
            return;
        };
        let (answer, end) = match outcome {
            TurnOutcome::Finished(message) => (Some(message), AnswerEnd::Complete),
            TurnOutcome::Failed {
                error: ApiError::Cancelled,
                partial,
            } => (partial.as_ref(), AnswerEnd::Interrupted),
            TurnOutcome::Failed { error, partial } => {
                (partial.as_ref(), AnswerEnd::Failed(error.short()))
            }
        };
        let result = target
            .journal
            .answer_end(&target.conversation, answer, &end);
        self.report(result, updates);
        if end == AnswerEnd::Complete {
            if let Some(first) = self.title_pending.take() {
                title::spawn(
                    self.client.clone(),
                    self.pricing.clone(),
                    self.models.model_for(crate::config::Tier::Fast).to_owned(),
                    target,
                    first,
                    updates.clone(),
                );
            }
        }
    }

    /// `Retry` dropped the newest answer from the history.
    pub(super) fn record_retracted(&mut self, updates: &UnboundedSender<Update>) {
        if let Some(t) = self.journal_target() {
            let result = t.journal.retracted(&t.conversation);
            self.report(result, updates);
        }
    }

    /// Cuts the history before its `user_index`-th typed user message and moves to a new
    /// branch of the conversation there. False when there is no such message.
    pub(super) fn fork_at(&mut self, user_index: usize, updates: &UnboundedSender<Update>) -> bool {
        let Some(cut) = self
            .messages
            .iter()
            .enumerate()
            .filter(|(_, m)| is_typed(m.role, &m.content))
            .nth(user_index)
            .map(|(i, _)| i)
        else {
            return false;
        };
        self.messages.truncate(cut);
        self.title_pending = None;
        if let Some(t) = self.journal_target() {
            match t.journal.fork(&t.conversation, user_index) {
                Ok(branch) => {
                    self.conversation = Some(branch);
                    self.announce_conversation(updates);
                }
                Err(e) => {
                    // The branch could not be made: the next message starts a new
                    // conversation rather than appending to the original's end.
                    self.conversation = None;
                    self.report(Err(e), updates);
                }
            }
        }
        true
    }

    pub(super) fn announce_conversation(&self, updates: &UnboundedSender<Update>) {
        let _ = updates.send(Update::Conversation {
            id: self.conversation.clone(),
        });
    }

    fn report(&mut self, result: Result<(), JournalError>, updates: &UnboundedSender<Update>) {
        if let Err(e) = result {
            if !self.journal_warned {
                self.journal_warned = true;
                notice(updates, &format!("conversation {e}"));
            }
        }
    }
}
