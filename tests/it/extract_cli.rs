//! `chatterm extract` as a user runs it: the real binary, against the demo or the mock.

use serde_json::{Value, json};

use chatterm::mock::{MockServer, Reply, Script};

use crate::binary::*;
use crate::common::{message_bodies, message_requests};
use crate::extract::{invalid_instance, support_schema};

const SCHEMA: &str = "assets/schemas/support-email.json";

/// The README's first command, as a new user runs it.
#[tokio::test]
async fn readme_single_email_against_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = chatterm(&home);
    cmd.args([
        "extract",
        "--demo",
        "--schema",
        SCHEMA,
        "--input",
        "assets/examples/refund.txt",
    ]);
    let out = output(cmd).await;
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let value: Value = serde_json::from_slice(&out.stdout).expect("stdout is only the JSON");
    assert!(support_schema().validate(&value).is_empty(), "{value:#}");
    assert_eq!(value["category"], "billing");
    assert_eq!(value["entities"]["order_ids"], json!(["#48213"]));
    assert!(text(&out.stdout).starts_with("{\n  \""), "pretty printed");
    assert!(
        err.contains("summary: maxLength, minLength"),
        "stripped keywords noted: {err}"
    );
    assert!(
        err.contains(" · tool · 1 request · input "),
        "usage line: {err}"
    );
}

/// The README's batch command.
#[tokio::test]
async fn readme_batch_against_the_demo() {
    let home = tempfile::tempdir().unwrap();
    let results = home.path().join("results.jsonl");
    let mut cmd = chatterm(&home);
    cmd.args([
        "extract", "--demo", "--schema", SCHEMA, "--method", "native",
    ])
    .args(["--batch", "assets/examples/emails.jsonl", "--output"])
    .arg(&results);
    let out = output(cmd).await;
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty(), "results go to --output");
    let lines: Vec<Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(
            (&line["index"], &line["ok"]),
            (&json!(i), &json!(true)),
            "{line}"
        );
        assert!(support_schema().validate(&line["result"]).is_empty());
    }
    assert_eq!(lines[0]["input"], "refund");
    assert_eq!(lines[1]["result"]["priority"], "urgent");
    assert_eq!(lines[7]["input"], "assets/examples/emails.jsonl:8");
    assert!(
        err.contains("batch: 10 ok, 0 failed · 10 requests · input "),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );
}

#[tokio::test]
async fn a_directory_batch_writes_to_stdout_and_reports_failures() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let dir = home.path().join("mails");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.txt"), "The app crashes on start. [dir-a]").unwrap();
    std::fs::write(dir.join("b.txt"), "Please refund me. [dir-b]").unwrap();
    std::fs::write(dir.join("c.txt"), "").unwrap();
    server.enqueue_matching(
        "[dir-b]",
        Script::tool_input("t1", "classify_email", &invalid_instance()).into(),
    );
    server.enqueue_matching(
        "[dir-b]",
        Script::tool_input("t2", "classify_email", &invalid_instance()).into(),
    );
    let mut cmd = against(&server, &home);
    // Scripted tool answers: the method must be tool, whatever the model supports.
    cmd.args([
        "extract",
        "--schema",
        SCHEMA,
        "--method",
        "tool",
        "--concurrency",
        "2",
    ])
    .arg("--batch")
    .arg(&dir);
    let out = output(cmd).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stderr}\n{stdout}");
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(
        (&lines[1]["ok"], &lines[1]["kind"]),
        (&json!(false), &json!("invalid"))
    );
    assert_eq!(lines[2]["kind"], "input");
    assert!(lines[2]["input"].as_str().unwrap().ends_with("c.txt"));
    assert!(text(&out.stderr).contains("batch: 1 ok, 2 failed (input 1, invalid 1) · 3 requests"));
}

#[tokio::test]
async fn invalid_twice_exits_2_with_the_errors_on_stderr() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(Script::json_text(&invalid_instance()).into());
    server.enqueue(Script::json_text(&invalid_instance()).into());
    let mut cmd = against(&server, &home);
    cmd.args([
        "extract", "--schema", SCHEMA, "--method", "native", "--input", "-",
    ]);
    let out = output_with_stdin(cmd, b"I was charged twice.").await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        out.stdout.is_empty(),
        "no JSON on stdout: {}",
        text(&out.stdout)
    );
    assert!(err.contains("retrying once with the errors"), "{err}");
    assert!(
        err.contains("error: the result does not match the schema after one corrected retry"),
        "{err}"
    );
    assert!(err.contains("  - /priority: "), "{err}");
    assert!(err.contains("corrected once · 2 requests"), "{err}");
    let first = message_bodies(&server).remove(0);
    assert_eq!(
        first["messages"][0]["content"][0]["text"],
        "I was charged twice."
    );
}

#[tokio::test]
async fn refusal_and_api_errors_have_their_own_exit_status() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(Script::refusal("I won't classify this.").into());
    server.enqueue(Reply::error(
        401,
        "authentication_error",
        "invalid x-api-key",
    ));
    for (expected, needle) in [
        (2, "stop reason: refusal"),
        (1, "HTTP 401 authentication_error"),
    ] {
        let mut cmd = against(&server, &home);
        cmd.args([
            "extract",
            "--schema",
            SCHEMA,
            "--input",
            "assets/examples/refund.txt",
        ]);
        let out = output(cmd).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(expected), "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[tokio::test]
async fn bad_usage_exits_2_before_any_request() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let array_schema = write_file(
        &home,
        "list.json",
        r#"{"type": "array", "items": {"type": "string"}}"#,
    );
    let broken = write_file(&home, "broken.json", "{ not json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--schema", "missing.json", "--input", "x"],
            "cannot read the schema",
        ),
        (
            vec!["--schema", broken.to_str().unwrap(), "--input", "x"],
            "not valid JSON",
        ),
        (
            vec![
                "--schema",
                array_schema.to_str().unwrap(),
                "--method",
                "tool",
                "--input",
                "x",
            ],
            "use --method native",
        ),
        (
            vec!["--schema", SCHEMA, "--input", "missing.txt"],
            "cannot read the input",
        ),
        (
            vec!["--schema", SCHEMA, "--batch", "missing.jsonl"],
            "cannot read the batch",
        ),
    ];
    for (args, needle) in cases {
        let mut cmd = against(&server, &home);
        cmd.arg("extract").args(&args);
        let out = output(cmd).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(message_requests(&server).is_empty(), "nothing was sent");
}
