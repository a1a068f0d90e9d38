//! The session's journal calls (see [`crate::engine::journal`]): kept beside the session so
//! its command handling reads as the conversation, not as bookkeeping. The answers and tool
//! results of a turn are written by the turn's task ([`crate::engine::tool_loop`]).
//!
//! Every call is best effort for the turn: a failing store never stops an answer. The
//! first failure is reported as a notice; later ones are not repeated.

use tokio::sync::mpsc::UnboundedSender;

use super::super::journal::{JournalError, JournalTarget};
use super::super::{Update, title};
use super::{Engine, notice};
use crate::api::{ContentBlock, Role};
use crate::store::is_typed;

impl Engine {
    /// The journal and conversation a turn checkpoints into.
    pub(crate) fn journal_target(&self) -> Option<JournalTarget> {
        Some(JournalTarget {
            journal: self.journal.clone()?,
            conversation: self.conversation.clone()?,
        })
    }

    /// Writes the history's last message, a user message about to be sent (typed text,
    /// perhaps joining the results of a stopped tool round); the first of a conversation
    /// creates the conversation.
    pub(super) fn record_last_user(&mut self, updates: &UnboundedSender<Update>) {
        self.results_pending = false;
        let (Some(journal), Some(message)) = (self.journal.clone(), self.messages.last()) else {
            return;
        };
        if message.role != Role::User {
            return;
        }
        let message = message.clone();
        let result = match &self.conversation {
            Some(id) => journal.user_message(id, &message),
            None => journal.begin(self.current_model(), &message).map(|id| {
                self.conversation = Some(id);
                if self.auto_title {
                    self.title_pending = Some(crate::attach::typed_text(&message.content));
                }
                self.announce_conversation(updates);
            }),
        };
        self.report(result, updates);
    }

    /// After a new conversation's first complete answer: the background title request.
    pub(super) fn spawn_title(&mut self, updates: &UnboundedSender<Update>) {
        let Some(target) = self.journal_target() else {
            return;
        };
        if let Some(first) = self.title_pending.take() {
            let titler = title::Titler {
                client: self.client.clone(),
                pricing: self.pricing.clone(),
                model: self.models.model_for(crate::config::Tier::Fast).to_owned(),
                ledger: self.ledger.clone(),
            };
            title::spawn(titler, target, first, updates.clone());
        }
    }

    /// `Retry` dropped the newest answer from the history.
    pub(super) fn record_retracted(&mut self, updates: &UnboundedSender<Update>) {
        if let Some(t) = self.journal_target() {
            let result = t.journal.retracted(&t.conversation);
            self.report(result, updates);
        }
    }

    /// The attachments' blocks of the `user_index`-th typed user message (its images,
    /// documents and files, not its typed text), to go with an edit of it.
    pub(super) fn attachments_of(&self, user_index: usize) -> Vec<ContentBlock> {
        let typed = self
            .messages
            .iter()
            .filter(|m| is_typed(m.role, &m.content));
        let Some(message) = typed.into_iter().nth(user_index) else {
            return Vec::new();
        };
        message
            .content
            .iter()
            .filter(|b| match b {
                ContentBlock::Text(t) => crate::attach::is_attachment_text(&t.text),
                other => crate::attach::is_content_block(other),
            })
            .cloned()
            .collect()
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
        if let Err(e) = result
            && !self.journal_warned
        {
            self.journal_warned = true;
            notice(updates, &format!("conversation {e}"));
        }
    }
}
