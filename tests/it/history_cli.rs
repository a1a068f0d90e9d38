//! `chatterm history delete` and `history rename`: the real binary on a real store.

use chatterm::mock::{MockServer, Reply, Script};

use crate::binary::*;

/// One conversation stored through print mode; returns its id as `history list` shows it.
async fn stored_conversation(server: &MockServer, data: &tempfile::TempDir) -> String {
    server.enqueue(Reply::Script(Script::text("Sorted.")));
    let mut cmd = against(server, data);
    cmd.args(["-p", "How do I sort in Rust?"]);
    assert_success(&output(cmd).await);
    let mut cmd = chatterm(data);
    cmd.args(["history", "list"]);
    let list = text(&output(cmd).await.stdout);
    list.split_whitespace().next().unwrap().to_owned()
}

async fn history(data: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    let mut cmd = chatterm(data);
    cmd.arg("history").args(args);
    output(cmd).await
}

#[tokio::test]
async fn rename_sets_the_title_and_delete_removes_the_conversation() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let id = stored_conversation(&server, &data).await;

    let out = history(&data, &["rename", &id, "Sorting", "in", "Rust"]).await;
    assert_success(&out);
    assert!(text(&out.stdout).contains("Sorting in Rust"));
    let list = text(&history(&data, &["list"]).await.stdout);
    assert!(list.contains("Sorting in Rust"), "{list}");

    let out = history(&data, &["delete", &id]).await;
    assert_success(&out);
    assert!(
        text(&out.stdout).contains(&format!("deleted conversation {id}: Sorting in Rust")),
        "{}",
        text(&out.stdout)
    );
    let out = history(&data, &["list"]).await;
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
}

#[tokio::test]
async fn an_unknown_id_or_empty_title_is_a_clear_error_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let id = stored_conversation(&server, &data).await;
    let out = history(&data, &["delete", "999"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no conversation 999"));
    let out = history(&data, &["rename", &id, "  "]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("the new title is empty"));
    let list = text(&history(&data, &["list"]).await.stdout);
    assert!(list.contains("How do I sort in Rust?"), "{list}");
}
