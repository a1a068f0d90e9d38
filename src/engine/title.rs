//! Titles from the fast tier (`chat.auto_title`): after a new conversation's first
//! answer, one small non-streaming request asks for a short title, in the background.
//!
//! The request is real and so is its usage: [`Update::Titled`] carries its usage and cost
//! for the session's totals, and the usage ledger gets its entry, whether or not the title
//! was used. A title the user already
//! chose with `/rename` is never replaced (the journal checks). A failure is one notice;
//! the conversation keeps the title from its first line.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::Update;
use super::journal::JournalTarget;
use crate::api::{Client, Message, MessagesRequest};
use crate::config::Tier;
use crate::cost::day::now_ms;
use crate::cost::{Ledger, LedgerEntry, Pricing, cost_usd};
use crate::sanitize::sanitize_line;

/// Longest title kept, in characters.
const MAX_TITLE: usize = 60;
/// The first message is cut to this many characters for the request.
const MAX_EXCERPT: usize = 2_000;

/// The request for a title of a conversation that began with `first`.
pub fn request(model: &str, first: &str) -> MessagesRequest {
    let excerpt: String = first.chars().take(MAX_EXCERPT).collect();
    let prompt = format!(
        "Write a title of at most six words for a conversation that begins with the message \
         below. Reply with the title only: no quotes, no full stop.\n\n<message>\n{excerpt}\n</message>"
    );
    MessagesRequest::new(model, 30, vec![Message::user_text(prompt)])
}

/// The model's answer as a title: one line, no quotes or trailing full stop, sanitised,
/// at most [`MAX_TITLE`] characters. `None` when nothing is left.
pub fn clean(answer: &str) -> Option<String> {
    let line = answer.lines().map(str::trim).find(|l| !l.is_empty())?;
    let line = sanitize_line(line);
    let line = line
        .trim_start_matches(['"', '\'', '“', '#', '*', ' '])
        .trim_end_matches(['"', '\'', '”', '.', '*', ' ']);
    let line = line.strip_prefix("Title:").unwrap_or(line).trim();
    let title: String = line.chars().take(MAX_TITLE).collect();
    (!title.is_empty()).then_some(title)
}

/// What the title request needs besides the conversation's first message.
pub struct Titler {
    pub client: Client,
    pub pricing: Arc<Pricing>,
    /// The fast tier's model.
    pub model: String,
    pub ledger: Option<Arc<dyn Ledger>>,
}

/// Asks for a title in the background and stores it.
pub fn spawn(
    titler: Titler,
    target: JournalTarget,
    first: String,
    updates: UnboundedSender<Update>,
) {
    tokio::spawn(async move {
        let Titler {
            client,
            pricing,
            model,
            ledger,
        } = titler;
        let req = request(&model, &first);
        let sent = std::time::Instant::now();
        let (answer, _) = match client.create(&req).await {
            Ok(r) => r,
            Err(e) => {
                let _ = updates.send(Update::Notice {
                    turn: None,
                    text: format!("no title from {model}: {}", e.short()),
                });
                return;
            }
        };
        let cost = pricing.price(&model).map(|p| cost_usd(p, &answer.usage));
        if let Some(ledger) = ledger {
            let entry = LedgerEntry {
                at_ms: now_ms(),
                conversation: Some(target.conversation.clone()),
                model: model.clone(),
                tier: Some(Tier::Fast),
                usage: answer.usage.clone(),
                cost_usd: cost,
                latency_ms: u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX),
                fell_back: false,
            };
            // A lost entry only leaves this small request out of today's total.
            let _ = ledger.record(&entry);
        }
        let title = clean(&answer.text());
        let used = match &title {
            Some(t) => target
                .journal
                .auto_title(&target.conversation, t)
                .unwrap_or(false),
            None => false,
        };
        let _ = updates.send(Update::Titled {
            conversation: target.conversation,
            title: title.filter(|_| used),
            model,
            usage: answer.usage,
            cost_usd: cost,
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_clean_line() {
        assert_eq!(
            clean("\"Rust lifetimes explained.\"\n").as_deref(),
            Some("Rust lifetimes explained")
        );
        assert_eq!(clean("Title: Tea\u{1b}[2J").as_deref(), Some("Tea"));
        assert_eq!(clean("  \n\n").as_deref(), None);
        assert_eq!(clean(&"x".repeat(200)).map(|t| t.len()), Some(MAX_TITLE));
    }

    #[test]
    fn the_request_is_small_and_quotes_the_first_message() {
        let r = request("fast-model", "How do I sort a Vec?");
        assert_eq!(r.model, "fast-model");
        assert!(r.max_tokens <= 30);
        assert!(r.messages[0].text().contains("How do I sort a Vec?"));
        assert!(!r.stream);
    }
}
