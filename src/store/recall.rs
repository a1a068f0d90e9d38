//! Recalling what the user typed before: the input box's history across restarts.
//!
//! The model: every typed user message (not one that only carries tool results back) of
//! every stored conversation, newest first, each text once, at most a given number. The
//! text is what the message's text blocks say, joined as the API would read them.

use std::collections::HashSet;

use rusqlite::params;

use super::{Result, Store, is_typed};
use crate::api::{ContentBlock, Role};

impl Store {
    /// The texts of the newest `limit` distinct typed user messages, newest first.
    pub fn recent_user_texts(&self, limit: usize) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT content FROM messages WHERE role = 'user' \
                 ORDER BY created_ms DESC, id DESC",
            )
            .map_err(|e| self.sql_err(e))?;
        let mut rows = stmt.query(params![]).map_err(|e| self.sql_err(e))?;
        let mut seen = HashSet::new();
        let mut texts = Vec::new();
        while texts.len() < limit {
            let Some(row) = rows.next().map_err(|e| self.sql_err(e))? else {
                break;
            };
            let json: String = row.get(0).map_err(|e| self.sql_err(e))?;
            // A row that does not parse is skipped: history is a convenience.
            let Ok(content) = serde_json::from_str::<Vec<ContentBlock>>(&json) else {
                continue;
            };
            if !is_typed(Role::User, &content) {
                continue;
            }
            let text: Vec<&str> = content
                .iter()
                .filter_map(|b| match b {
                    // An attachment's caption or file is not what was typed.
                    ContentBlock::Text(t) if !crate::attach::is_attachment_text(&t.text) => {
                        Some(t.text.as_str())
                    }
                    _ => None,
                })
                .collect();
            let text = text.join("\n");
            if !text.trim().is_empty() && seen.insert(text.clone()) {
                texts.push(text);
            }
        }
        Ok(texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Message, ToolResultBlock};

    #[test]
    fn typed_messages_come_back_newest_first_once_each_and_bounded() {
        let store = Store::in_memory().unwrap();
        let first = store.create("m", "alpha").unwrap();
        for text in ["alpha", "beta", "alpha"] {
            store.append(first, &Message::user_text(text)).unwrap();
        }
        let second = store.create("m", "gamma").unwrap();
        store.append(second, &Message::user_text("gamma")).unwrap();
        // Tool results travel in user messages too; they were never typed.
        let result = ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id: "toolu_1".into(),
            content: Some(serde_json::json!("file list")),
            is_error: None,
            cache_control: None,
            extra: Default::default(),
        });
        let carried = Message {
            role: Role::User,
            content: vec![result],
        };
        store.append(second, &carried).unwrap();

        assert_eq!(
            store.recent_user_texts(10).unwrap(),
            ["gamma", "alpha", "beta"]
        );
        assert_eq!(store.recent_user_texts(2).unwrap(), ["gamma", "alpha"]);
    }
}
