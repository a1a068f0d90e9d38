//! Web search and the draft's cost in a real terminal, as the demo shows them: `/search on`
//! then a question about news gives a search panel, an answer with footnotes and sources,
//! and the search priced in the sidebar; a large paste shows its counted cost in the
//! input's border before anything is sent.

use super::harness::*;
use crate::common::message_bodies;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_on_then_a_news_question_shows_panel_footnotes_sources_and_price() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let tmux = &chat.tmux;
    tmux.send_line("/search on");
    tmux.wait_for("the notice", |s| s.contains("web search and fetch on"));
    tmux.send_line("what is the latest news on rust?");
    let screen = tmux.wait_for("the cited answer and its sources", |s| {
        s.contains("Sources:") && s.contains("web searches")
    });
    assert!(screen.contains("[1][2]"), "{screen}");
    assert!(screen.contains("1 · $0.01"), "{screen}");
    // The panel is above the answer: scroll up to it.
    tmux.send_keys(&["PageUp"]);
    tmux.wait_for("the search panel", |s| {
        s.contains("⚙ web_search") && s.contains("✓ done") && s.contains("news.example.com")
    });
    let body = &message_bodies(&chat.server)[0];
    assert!(body["tools"].to_string().contains("web_search_20250305"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_paste_shows_its_counted_cost_before_sending() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let tmux = &chat.tmux;
    tmux.paste(&"the quick brown fox jumps over the lazy dog ".repeat(250));
    let screen = tmux.wait_for("the count in the border", |s| s.contains("input tokens"));
    assert!(screen.contains("≈ "), "{screen}");
    let counted = chat
        .server
        .requests()
        .iter()
        .any(|r| r.path == "/v1/messages/count_tokens");
    assert!(counted, "count_tokens was not asked");
    assert!(message_bodies(&chat.server).is_empty(), "nothing was sent");
}
