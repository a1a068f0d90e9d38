//! A stored conversation back on screen: stored messages to cells.
//!
//! The cells are the ones a live turn would have made, from the stored blocks: user
//! messages, answer text (with its model, and "interrupted" / "incomplete" when it did not
//! finish), thinking, tool calls with their input; a message that only carried tool
//! results back is shown as one notice per result. Everything here is model or tool text,
//! and reaches the screen through the cells' sanitising renderers like live text does.

use chatterm::api::{ContentBlock, Role};
use chatterm::store::{LoadedConversation, MessageStatus, StoredMessage};

use super::app::App;
use super::cells::{Answer, AnswerState, CellKind, NoticeKind};
use super::stream::StreamingMarkdown;

/// Longest piece of a tool result shown in its notice.
const RESULT_PREVIEW: usize = 200;

impl App {
    /// Replaces the screen's conversation with a stored one (resume). The engine is told
    /// separately, with the history.
    pub fn show_conversation(&mut self, loaded: &LoadedConversation) {
        self.conversation.clear();
        self.selecting = None;
        self.editing = None;
        self.last_answer = None;
        self.conversation_id = Some(loaded.summary.id);
        for m in &loaded.messages {
            self.push_stored(m);
        }
        self.conversation.scroll_to_bottom();
    }

    fn push_stored(&mut self, m: &StoredMessage) {
        if m.role == Role::User {
            if m.is_typed() {
                self.conversation
                    .push(CellKind::User(m.to_message().text()));
            } else {
                for b in &m.content {
                    if let ContentBlock::ToolResult(r) = b {
                        let text = result_preview(r.content.as_ref());
                        let label = if r.is_error == Some(true) {
                            "tool error"
                        } else {
                            "tool result"
                        };
                        self.notice(NoticeKind::Info, format!("{label}: {text}"));
                    }
                }
            }
            return;
        }
        let state = match m.status.shown_as() {
            MessageStatus::Interrupted => AnswerState::Interrupted,
            MessageStatus::Failed => AnswerState::Incomplete,
            _ => AnswerState::Done,
        };
        let model = m.model.clone().unwrap_or_default();
        for block in &m.content {
            let kind = match block {
                ContentBlock::Text(t) => {
                    let mut body = StreamingMarkdown::new();
                    body.push(&t.text);
                    CellKind::Assistant(Answer {
                        model: model.clone(),
                        fallback_from: None,
                        body,
                        state: state.clone(),
                    })
                }
                ContentBlock::Thinking(t) => CellKind::Thinking {
                    text: t.thinking.clone(),
                    done: true,
                },
                ContentBlock::RedactedThinking(_) => CellKind::Thinking {
                    text: "(redacted by the API)".into(),
                    done: true,
                },
                ContentBlock::ToolUse(t) => CellKind::Tool {
                    name: t.name.clone(),
                    id: t.id.clone(),
                    input: serde_json::to_string_pretty(&t.input).unwrap_or_default(),
                    done: true,
                },
                other => CellKind::Notice {
                    kind: NoticeKind::Info,
                    text: format!("[{} block]", other.kind()),
                },
            };
            self.conversation.push(kind);
        }
        let text = m.to_message().text();
        if !text.is_empty() {
            self.last_answer = Some(text);
        }
        match (m.status.shown_as(), &m.error) {
            (MessageStatus::Failed, Some(e)) => self.notice(NoticeKind::Error, e.clone()),
            (MessageStatus::Interrupted, _) if m.content.is_empty() => {
                self.notice(
                    NoticeKind::Interrupted,
                    "interrupted before the answer began",
                );
            }
            _ => {}
        }
    }
}

fn result_preview(content: Option<&serde_json::Value>) -> String {
    let text = match content {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut: String = one_line.chars().take(RESULT_PREVIEW).collect();
    if one_line.chars().count() > RESULT_PREVIEW {
        cut.push('…');
    }
    cut
}
