//! The engine's persistence hook: what it tells a [`Journal`] as a conversation happens.
//!
//! The engine calls the journal at fixed points, write-ahead:
//!
//! - [`Journal::begin`] when the first message of a new conversation is sent, and
//!   [`Journal::fork`] when the user edits an earlier message (a new branch);
//! - [`Journal::user_message`] for each user message *before* its request is sent (typed
//!   text, and the tool-results message of the tool loop);
//! - [`Journal::progress`] while an answer streams, throttled by [`Checkpoint`] (at the
//!   first content, then at most every [`CHECKPOINT_EVERY`], with a trailing save when
//!   the stream goes quiet), so a killed process loses at most that much of the answer;
//! - [`Journal::answer_end`] when the answer completes, is interrupted or fails;
//! - [`Journal::tool_result`] as each tool call finishes;
//! - [`Journal::retracted`] when `Retry` takes the last answer out of the history.
//!
//! Conversation ids are the store's, as strings (the same string goes in
//! [`crate::cost::LedgerEntry::conversation`]). A failing journal never stops a turn: the
//! engine reports the failure once as a notice and goes on answering.
//!
//! [`Store`] is the real journal (implemented here, so the store knows nothing of the
//! engine); tests use their own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::Update;
use crate::api::{ApiError, ContentBlock, Message, MessageResponse, ToolResultBlock, ToolUseBlock};
use crate::store::{ConversationId, MessageStatus, Store, ToolRun};
use crate::stream::Accumulator;
use crate::tools::ToolOutput;

/// Longest a streaming answer goes unsaved while content arrives.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Why the journal could not write.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not saved: {0}")]
pub struct JournalError(pub String);

/// How an answer ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerEnd {
    /// Complete: it joins the history.
    Complete,
    /// The user stopped it.
    Interrupted,
    /// The request failed; the error as shown.
    Failed(String),
}

/// Where the engine records a conversation as it happens. See the module docs.
pub trait Journal: Send + Sync {
    /// A new conversation whose first message is `first`; returns its id.
    fn begin(&self, model: &str, first: &Message) -> Result<String, JournalError>;
    /// A new branch of `conversation` keeping what came before its `user_index`-th
    /// (0-based) typed user message; returns the branch's id.
    fn fork(&self, conversation: &str, user_index: usize) -> Result<String, JournalError>;
    /// A user message joined the history; called before its request is sent.
    fn user_message(&self, conversation: &str, message: &Message) -> Result<(), JournalError>;
    /// The streaming answer so far (replaces the previous checkpoint).
    fn progress(&self, conversation: &str, partial: &MessageResponse) -> Result<(), JournalError>;
    /// The answer ended; `answer` is the final message, or the partial one shown.
    fn answer_end(
        &self,
        conversation: &str,
        answer: Option<&MessageResponse>,
        end: &AnswerEnd,
    ) -> Result<(), JournalError>;
    /// One tool call finished (or was refused): its result as the model will get it,
    /// and whether it ran at all (a refused call did not).
    fn tool_result(
        &self,
        conversation: &str,
        call: &ToolUseBlock,
        result: &ToolResultBlock,
        duration: Duration,
        run: ToolRun,
    ) -> Result<(), JournalError>;
    /// `Retry` dropped the newest answer from the history.
    fn retracted(&self, conversation: &str) -> Result<(), JournalError>;
    /// A generated title; ignored when the user named the conversation. True when set.
    fn auto_title(&self, conversation: &str, title: &str) -> Result<bool, JournalError>;
}

fn id(conversation: &str) -> Result<ConversationId, JournalError> {
    conversation
        .parse()
        .map_err(|e: crate::store::StoreError| JournalError(e.to_string()))
}

fn fail(e: crate::store::StoreError) -> JournalError {
    JournalError(e.to_string())
}

impl Journal for Store {
    fn begin(&self, model: &str, first: &Message) -> Result<String, JournalError> {
        let id = self
            .create(model, &crate::attach::typed_text(&first.content))
            .map_err(fail)?;
        self.append(id, first).map_err(fail)?;
        Ok(id.to_string())
    }

    fn fork(&self, conversation: &str, user_index: usize) -> Result<String, JournalError> {
        Ok(Store::fork(self, id(conversation)?, user_index)
            .map_err(fail)?
            .to_string())
    }

    fn user_message(&self, conversation: &str, message: &Message) -> Result<(), JournalError> {
        self.append(id(conversation)?, message).map_err(fail)
    }

    fn progress(&self, conversation: &str, partial: &MessageResponse) -> Result<(), JournalError> {
        self.save_progress(id(conversation)?, &partial.content, &partial.model)
            .map_err(fail)
    }

    fn answer_end(
        &self,
        conversation: &str,
        answer: Option<&MessageResponse>,
        end: &AnswerEnd,
    ) -> Result<(), JournalError> {
        let (status, error) = match end {
            AnswerEnd::Complete => (MessageStatus::Complete, None),
            AnswerEnd::Interrupted => (MessageStatus::Interrupted, None),
            AnswerEnd::Failed(e) => (MessageStatus::Failed, Some(e.as_str())),
        };
        let content = answer.map(|a| a.content.as_slice());
        let model = answer.map_or("", |a| a.model.as_str());
        self.end_answer(id(conversation)?, content, model, status, error)
            .map_err(fail)
    }

    fn tool_result(
        &self,
        conversation: &str,
        call: &ToolUseBlock,
        result: &ToolResultBlock,
        duration: Duration,
        run: ToolRun,
    ) -> Result<(), JournalError> {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self.save_tool_result(id(conversation)?, call, result, ms, run)
            .map_err(fail)
    }

    fn retracted(&self, conversation: &str) -> Result<(), JournalError> {
        self.supersede_last_answer(id(conversation)?).map_err(fail)
    }

    fn auto_title(&self, conversation: &str, title: &str) -> Result<bool, JournalError> {
        self.set_auto_title(id(conversation)?, title).map_err(fail)
    }
}

/// A journal and the conversation being written to it.
#[derive(Clone)]
pub struct JournalTarget {
    pub journal: Arc<dyn Journal>,
    pub conversation: String,
}

/// Throttled saving of a streaming answer, driven by the turn's read loop.
pub struct Checkpoint<'a> {
    target: &'a JournalTarget,
    last: Option<Instant>,
    /// Content arrived since the last save.
    dirty: bool,
}

impl<'a> Checkpoint<'a> {
    pub fn new(target: &'a JournalTarget) -> Self {
        Self {
            target,
            last: None,
            dirty: false,
        }
    }

    /// After each event: saves at once when nothing was saved in the last interval,
    /// else leaves it for [`Checkpoint::due`].
    pub fn note(&mut self, acc: &Accumulator) {
        // An empty block start shows nothing and may yet be retried: nothing to keep.
        if !acc.has_visible_content() {
            return;
        }
        self.dirty = true;
        if self.last.is_none_or(|t| t.elapsed() >= CHECKPOINT_EVERY) {
            self.save(acc);
        }
    }

    /// Resolves when an unsaved change falls due; pending forever when all is saved.
    pub async fn due(&self) {
        match (self.dirty, self.last) {
            (true, Some(t)) => tokio::time::sleep_until(t + CHECKPOINT_EVERY).await,
            (true, None) => {}
            (false, _) => std::future::pending().await,
        }
    }

    /// Saves the answer so far. A failure is not fatal here: the answer's end is written
    /// (and its failure reported) by the engine.
    pub fn save(&mut self, acc: &Accumulator) {
        let target = self.target;
        let _ = target
            .journal
            .progress(&target.conversation, &acc.partial());
        self.last = Some(Instant::now());
        self.dirty = false;
    }
}

/// The turn's side of the journal: what the turn's task writes (answers as they end, tool
/// results as they finish, each round's results message before the request that carries
/// it). Without a target it writes nothing. The first failure becomes a notice; later
/// ones are not repeated, and none stops the turn.
pub struct TurnJournal<'a> {
    target: Option<&'a JournalTarget>,
    warned: AtomicBool,
}

impl<'a> TurnJournal<'a> {
    pub fn new(target: Option<&'a JournalTarget>) -> Self {
        Self {
            target,
            warned: AtomicBool::new(false),
        }
    }

    /// Where the streaming answer is checkpointed ([`Checkpoint`]).
    pub fn target(&self) -> Option<&'a JournalTarget> {
        self.target
    }

    /// An answer ended: complete, interrupted (`Cancelled`) or failed.
    pub fn answer_ended(
        &self,
        answer: Option<&MessageResponse>,
        error: Option<&ApiError>,
        updates: &UnboundedSender<Update>,
    ) {
        let end = match error {
            None => AnswerEnd::Complete,
            Some(ApiError::Cancelled) => AnswerEnd::Interrupted,
            Some(e) => AnswerEnd::Failed(e.short()),
        };
        self.write(updates, |j, conv| j.answer_end(conv, answer, &end));
    }

    /// A user message (a round's results) is about to be sent.
    pub fn user_message(&self, message: &Message, updates: &UnboundedSender<Update>) {
        self.write(updates, |j, conv| j.user_message(conv, message));
    }

    /// One call's result, as the model will get it.
    pub fn tool_result(
        &self,
        call: &ToolUseBlock,
        output: &ToolOutput,
        duration: Duration,
        run: ToolRun,
        updates: &UnboundedSender<Update>,
    ) {
        let ContentBlock::ToolResult(result) = super::tool_plan::tool_result(&call.id, output)
        else {
            return;
        };
        self.write(updates, |j, conv| {
            j.tool_result(conv, call, &result, duration, run)
        });
    }

    fn write(
        &self,
        updates: &UnboundedSender<Update>,
        f: impl FnOnce(&dyn Journal, &str) -> Result<(), JournalError>,
    ) {
        let Some(t) = self.target else {
            return;
        };
        if let Err(e) = f(t.journal.as_ref(), &t.conversation)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            let _ = updates.send(Update::Notice {
                turn: None,
                text: format!("conversation {e}"),
            });
        }
    }
}
