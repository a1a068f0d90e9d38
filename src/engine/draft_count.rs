//! Counting a draft before it is sent: `POST /v1/messages/count_tokens` for the request
//! the draft would start, so a front end can show its exact input size and cost.
//!
//! The model: the front end asks ([`Command::CountDraft`]) only once the draft is large
//! and typing has paused (it debounces); the engine builds the next request as a turn
//! would (history, the draft and its pending attachments as the new user message, system
//! prompt, the local tools)
//! and counts it on a task of its own, so the session never waits for it. A newer
//! request or [`Command::CancelDraftCount`] aborts the count in flight, so only the
//! draft on screen is ever counted; the answer, [`Update::DraftCounted`], carries the
//! request's id so a late one is recognised. Server tools are left out of the count
//! (the endpoint rejects some of them); their definitions are a few dozen tokens.
//!
//! [`Command::CountDraft`]: super::Command::CountDraft
//! [`Command::CancelDraftCount`]: super::Command::CancelDraftCount
//! [`Update::DraftCounted`]: super::Update::DraftCounted

use tokio::sync::mpsc::UnboundedSender;

use super::session::Engine;
use super::{Update, request, tool_plan};
use crate::api::server_tools::is_server_definition;
use crate::attach::Attachment;

impl Engine {
    /// Counts the request `text` with `attachments` would start, reporting
    /// `Update::DraftCounted { id, .. }`.
    pub(crate) fn count_draft(
        &mut self,
        id: u64,
        text: &str,
        attachments: &[Attachment],
        updates: &UnboundedSender<Update>,
    ) {
        self.cancel_draft_count();
        let model = self.current_model().to_owned();
        let mut messages = self.messages.clone();
        let blocks = crate::attach::user_message(text, attachments).content;
        tool_plan::push_user_blocks(&mut messages, blocks);
        let mut settings = self.settings_for(&model, 1);
        let offer = tool_plan::offer(self.tools.as_ref(), &self.tool_settings, &messages);
        settings.tools = offer
            .tools
            .into_iter()
            .filter(|t| !is_server_definition(t))
            .collect();
        settings.tool_choice = offer.tool_choice.filter(|_| !settings.tools.is_empty());
        let body = request::build(&messages, &settings);
        let client = self.client.clone();
        let updates = updates.clone();
        let task = tokio::spawn(async move {
            let counted = client.count_tokens(&body).await.map_err(|e| e.to_string());
            let _ = updates.send(Update::DraftCounted { id, model, counted });
        });
        self.draft_count = Some(task.abort_handle());
    }

    /// Aborts the count in flight, if any: the draft it counted changed or was sent.
    pub(crate) fn cancel_draft_count(&mut self) {
        if let Some(task) = self.draft_count.take() {
            task.abort();
        }
    }
}
