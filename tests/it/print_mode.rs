//! `chatterm -p` as a user runs it: the real binary against the mock server.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use chatterm::api::Usage;
use chatterm::mock::{HttpError, MockServer, Reply, Script, Step};

use crate::binary::*;
use crate::common::message_bodies;

fn text_reply(text: &str) -> Reply {
    Reply::Script(Script::new(vec![
        Step::Start {
            usage: Usage {
                input_tokens: 12,
                output_tokens: 1,
                ..Usage::default()
            },
        },
        Step::Text(vec![text.to_owned()]),
        Step::end_turn(7),
    ]))
}

#[tokio::test]
async fn prints_the_answer_on_stdout_and_usage_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(text_reply("Hello from the mock."));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hello", "--model", "claude-haiku-4-5"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(text(&out.stdout), "Hello from the mock.\n");
    let err = text(&out.stderr);
    assert!(
        err.contains("claude-haiku-4-5 · input 12") && err.contains("output 7"),
        "{err}"
    );
}

#[tokio::test]
async fn reads_the_prompt_from_stdin_and_sends_flags() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(text_reply("ok"));
    let mut cmd = against(&server, &home);
    cmd.args([
        "-p",
        "--tier",
        "fast",
        "--system",
        "be brief",
        "--max-tokens",
        "77",
    ]);
    let out = output_with_stdin(cmd, b"from stdin").await;
    assert_success(&out);
    let body = message_bodies(&server).remove(0);
    assert_eq!(body["messages"][0]["content"][0]["text"], "from stdin");
    assert_eq!(body["max_tokens"], 77);
    assert_eq!(body["system"][0]["text"], "be brief");
    assert!(
        body["model"].as_str().unwrap().contains("haiku"),
        "fast tier model: {}",
        body["model"]
    );
}

#[tokio::test]
async fn json_flag_prints_the_final_message() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(text_reply("structured"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--json"]);
    let out = output(cmd).await;
    assert_success(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(v["content"][0]["text"], "structured");
    assert_eq!(v["stop_reason"], "end_turn");
}

#[tokio::test]
async fn api_errors_exit_non_zero_with_one_line() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(Reply::Error(HttpError {
        status: 401,
        kind: "authentication_error".into(),
        message: "invalid x-api-key".into(),
        headers: Vec::new(),
    }));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: HTTP 401 authentication_error: invalid x-api-key (request req_"),
        "{err}"
    );
}

#[tokio::test]
async fn model_text_cannot_drive_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(text_reply("safe\u{1b}[2J\u{1b}]52;c;SGVsbG8=\u{7}text"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert!(out.status.success());
    assert!(
        !out.stdout.contains(&0x1b),
        "escape reached stdout: {:?}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).starts_with("safe"));
}

#[tokio::test]
async fn without_a_key_it_explains_how_to_set_one_and_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = chatterm(&home);
    cmd.args(["-p", "hi"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("ANTHROPIC_API_KEY") && err.contains("chatterm --demo"),
        "{err}"
    );
}

#[tokio::test]
async fn demo_answers_without_any_key() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = chatterm(&home);
    cmd.args(["--demo", "-p", "show me some rust code"]);
    let out = output(cmd).await;
    assert_success(&out);
    let answer = text(&out.stdout);
    assert!(
        answer.contains("```"),
        "a markdown answer with code: {answer}"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("input") && err.contains("output"),
        "usage line: {err}"
    );
}

#[tokio::test]
async fn a_broken_config_file_names_the_file_and_fails() {
    let home = tempfile::tempdir().unwrap();
    let path = write_file(&home, "broken.toml", "[models]\ntier = \"huge\"\n");
    let mut cmd = chatterm(&home);
    cmd.args(["--demo", "-p", "hi", "--config"]).arg(&path);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("broken.toml") && err.contains("tier"), "{err}");
}

/// The flow from the README: `chatterm mock-server` in one shell, `chatterm -p` in another.
#[tokio::test]
async fn print_mode_against_the_mock_server_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let mut server = chatterm(&home);
    server
        .args(["mock-server", "--port", "0"])
        .stderr(Stdio::piped());
    let mut child = server.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        let line = BufReader::new(stderr).lines().next().unwrap().unwrap();
        line.rsplit(' ').next().unwrap().to_owned()
    })
    .await
    .unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let mut cmd = chatterm(&home);
    cmd.env("ANTHROPIC_BASE_URL", &url)
        .env("ANTHROPIC_API_KEY", "test")
        .args(["-p", "hello there"]);
    let out = output(cmd).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_success(&out);
    assert!(!text(&out.stdout).trim().is_empty());
    // The models it lists are priced: the usage line says what the answer cost.
    let err = text(&out.stderr);
    assert!(
        err.contains(" · $") && !err.contains("price unknown"),
        "{err}"
    );
}

#[tokio::test]
async fn an_empty_or_blank_prompt_is_refused_before_anything_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    for prompt in ["", "  \n\t "] {
        let mut cmd = against(&server, &home);
        cmd.args(["-p", prompt]);
        let out = output(cmd).await;
        assert_eq!(out.status.code(), Some(2), "{prompt:?}");
        let err = text(&out.stderr);
        assert!(err.contains("the prompt is empty"), "{err}");
    }
    assert!(message_bodies(&server).is_empty(), "nothing was sent");
}

#[tokio::test]
async fn with_print_a_subcommand_name_is_the_prompt() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(text_reply("a word"));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "usage"]);
    let out = output(cmd).await;
    assert_success(&out);
    assert_eq!(text(&out.stdout), "a word\n");
    let body = message_bodies(&server).remove(0);
    assert_eq!(body["messages"][0]["content"][0]["text"], "usage");
}

#[tokio::test]
async fn line_mode_puts_a_blank_line_between_answers() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(text_reply("First answer."));
    server.enqueue(text_reply("Second answer."));
    let cmd = against(&server, &home);
    let out = output_with_stdin(cmd, b"one\ntwo\n").await;
    assert_success(&out);
    assert_eq!(text(&out.stdout), "First answer.\n\nSecond answer.\n");
}
