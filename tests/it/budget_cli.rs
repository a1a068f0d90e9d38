//! Money through the real binary: the daily budget gate of print mode, `--over-budget`,
//! price overrides from the config on the usage line, and `chatterm usage`.

use chatterm::mock::MockServer;

use crate::binary::*;
use crate::common::{message_requests, script_0189};

/// A zero budget means every request is over it: print mode must refuse before sending
/// anything, and `--over-budget` lets it through.
#[tokio::test]
async fn print_mode_refuses_over_budget_unless_told_to_go_on() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let path = write_file(&home, "config.toml", "[budget]\ndaily_usd = 0\n");
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--config"]).arg(&path);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "error: today's spend $0.0000 has reached the daily budget of $0.0000 \
         (budget.daily_usd); nothing was sent. Add --over-budget to send anyway.\n"
    );
    assert!(message_requests(&server).is_empty(), "a request went out");

    server.enqueue(script_0189("Priced.").into());
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--over-budget", "--config"])
        .arg(&path);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(text(&out.stdout), "Priced.\n");
}

/// A model the built-in table does not price shows "price unknown"; a `[pricing]` table in
/// the config prices it, and the usage line shows the figure worked out by hand.
#[tokio::test]
async fn config_prices_reach_the_usage_line() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(script_0189("Priced.").into());
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--model", "house-model"]);
    let out = output(cmd).await;
    assert_success(&out);
    let err = text(&out.stderr);
    assert!(err.contains("house-model · input 1,000 · cache read 3,000 · cache write 2,000 · output 500 · price unknown"), "{err}");

    server.enqueue(script_0189("Priced.").into());
    let path = write_file(
        &home,
        "config.toml",
        "[pricing.house-model]\ninput = 3\noutput = 15\n# cache prices: 1.25x, 2x, 0.1x\n",
    );
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--model", "house-model", "--config"])
        .arg(&path);
    let out = output(cmd).await;
    assert_success(&out);
    // 1000 x 3 + 2000 x 3.75 + 3000 x 0.30 + 500 x 15 = 18900 µ$.
    let err = text(&out.stderr);
    assert!(err.contains("output 500 · $0.0189 ·"), "{err}");
}

/// The ledger outlives the process: `chatterm usage` is empty at first, then lists the
/// request an earlier print-mode run made, with its cost.
#[tokio::test]
async fn usage_lists_the_requests_of_earlier_runs() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = chatterm(&home);
    cmd.args(["usage", "--days", "3"]);
    let out = output(cmd).await;
    assert_success(&out);
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("No usage recorded for the last 3 days, "),
        "{stdout}"
    );

    let server = MockServer::start().await.unwrap();
    server.enqueue(script_0189("Priced.").into());
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--model", "claude-sonnet-4-6"]);
    let out = output(cmd).await;
    assert_success(&out);

    let mut cmd = chatterm(&home);
    cmd.args(["usage", "--days", "3"]);
    let out = output(cmd).await;
    assert_success(&out);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("claude-sonnet-4-6"), "{stdout}");
    assert!(stdout.contains("$0.0189"), "{stdout}");
}
