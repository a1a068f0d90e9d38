//! `/retry` after a server-requested wait, in the real terminal: a 429 whose wait outlasts
//! the retries ends the turn saying how long to wait; `/retry` typed before then counts
//! down, sends nothing early, and sends when the wait is over.

use chatterm::mock::{HttpError, Reply};

use super::harness::*;

fn rate_limited(header: &str, value: &str) -> Reply {
    Reply::Error(
        HttpError::new(429, "rate_limit_error", "Number of requests exceeded")
            .with_header(header, value),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_waits_out_the_servers_wait_with_a_countdown() {
    let Some(chat) = Chat::start().await else {
        return;
    };
    let (server, tmux) = (&chat.server, &chat.tmux);
    // Three quick 429s use up the retries; the fourth asks for 6 s, which nobody slept.
    for _ in 0..3 {
        server.enqueue(rate_limited("retry-after-ms", "10"));
    }
    server.enqueue(rate_limited("retry-after", "6"));
    server.enqueue(Reply::text("Worth the wait."));
    tmux.send_line("hello");
    tmux.wait_for("the wait in the error line", |s| {
        s.contains("rate limited: retry in 6 s")
    });
    assert_eq!(chat.wait_for_requests(4).len(), 4);

    tmux.send_line("/retry");
    tmux.wait_for("the countdown", |s| s.contains("sending again in"));
    assert_eq!(
        models_requested(server).len(),
        4,
        "sent before the wait was over"
    );
    tmux.wait_for("the answer after the wait", |s| {
        s.contains("Worth the wait.")
    });
    assert_eq!(chat.wait_for_requests(5).len(), 5);
}
