//! A typed message joining the history: its attachments' blocks first, the request
//! checked against the API's limits before anything is stored or sent.

use tokio::sync::mpsc::UnboundedSender;

use super::super::{TurnId, Update, request, tool_plan};
use super::{Engine, Running};
use crate::api::{ApiError, Message, Role};

impl Engine {
    /// A typed message (with its attachments) joins the history and its turn starts; one
    /// whose request would be over the API's limits is refused and leaves no trace.
    pub(super) fn send(
        &mut self,
        text: &str,
        attachments: &[crate::attach::Attachment],
        running: &mut Option<Running>,
        updates: &UnboundedSender<Update>,
    ) {
        let before = self.messages.clone();
        // Text joins a trailing results message only while the journal has not been given
        // it; one already stored (written before its request, which then failed or died
        // with its process) stays a message of its own, or the store would hold its
        // results twice. The API merges the two turns.
        let unwritten =
            tool_plan::answer_dangling_calls(&mut self.messages) || self.results_pending;
        let blocks = crate::attach::user_message(text, attachments).content;
        if unwritten {
            tool_plan::push_user_blocks(&mut self.messages, blocks);
        } else {
            self.messages.push(Message {
                role: Role::User,
                content: blocks,
            });
        }
        if !attachments.is_empty() {
            let settings = self.settings_for(self.current_model(), 1);
            if let Err(e) =
                crate::attach::limits::check_request(&request::build(&self.messages, &settings))
            {
                self.messages = before;
                return self.refuse(e, updates);
            }
        }
        self.record_last_user(updates);
        *running = Some(self.start_turn(updates));
    }

    /// A message that was not sent ends its turn at once with the error the API would
    /// have answered with (so every front end shows it as it shows any failure).
    fn refuse(&mut self, error: crate::attach::AttachError, updates: &UnboundedSender<Update>) {
        let turn = TurnId(self.next_turn);
        self.next_turn += 1;
        let _ = updates.send(Update::Error {
            turn,
            error: ApiError::Http {
                status: 413,
                kind: "request_too_large".into(),
                message: format!("not sent: {error}"),
                request_id: None,
                retry_after: None,
                should_retry: Some(false),
            },
            partial: None,
        });
    }
}
