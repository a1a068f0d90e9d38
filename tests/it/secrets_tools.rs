//! The real binary keeps credentials from its tools: `env` run by `run_command` and by a
//! command tool shows none of the parent's credential variables (but a passthrough one),
//! a root at the (fake) home directory is warned about once, and the read-only tools
//! refuse the secret directories under it.

use serde_json::{Value, json};

use chatterm::mock::MockServer;

use crate::binary::{API_KEY, against, output, text as utf8};
use crate::tool_helpers::*;

/// Credential-like variables the binary gets, each with a value the results must not hold.
const WITHHELD: &[(&str, &str)] = &[
    ("GH_TOKEN", "canary-gh-token"),
    ("my_service_api_key", "canary-lower-case"),
    ("APP_SECRET", "canary-app-secret"),
    ("ANTHROPIC_EXTRA", "canary-anthropic"),
];

const CONFIG: &str = r#"
[tools]
root = "."
env_passthrough = ["PASS_THROUGH_TOKEN"]

[[tools.command]]
name = "envdump"
description = "Prints the environment."
command = "sh"
args = ["-c", "env"]
approval = "never"
"#;

fn content(result: &Value) -> String {
    match &result["content"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn tools_see_no_credentials_and_a_home_root_is_guarded() {
    let home = tempfile::tempdir().unwrap();
    let ssh = home.path().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519"), "canary-private-key").unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let server = MockServer::start().await.unwrap();
    server.enqueue(calls(&[
        ("toolu_01env", "run_command", json!({"command": "env"})),
        ("toolu_01dump", "envdump", json!({})),
        (
            "toolu_01key",
            "read_file",
            json!({"path": ".ssh/id_ed25519"}),
        ),
    ]));
    server.enqueue(text("Done."));
    let mut cmd = against(&server, &home);
    cmd.args(["-p", "hi", "--approve-all", "--config"])
        .arg(&config)
        .env("PASS_THROUGH_TOKEN", "canary-passed")
        .env("PLAIN_VAR", "plain-value");
    for (name, value) in WITHHELD {
        cmd.env(name, value);
    }
    let out = output(cmd).await;
    let err = utf8(&out.stderr);
    assert!(out.status.success(), "{err}");
    let warning = "warning: the tools' workspace root is your home directory";
    assert_eq!(err.matches(warning).count(), 1, "{err}");

    let results = results_of(&server, 1);
    assert_eq!(results.len(), 3, "{results:?}");
    for result in &results[..2] {
        let env = content(result);
        assert!(env.contains("PLAIN_VAR=plain-value"), "{env}");
        assert!(env.contains("PASS_THROUGH_TOKEN=canary-passed"), "{env}");
        assert!(!env.contains(API_KEY), "the API key reached a tool: {env}");
        assert!(!env.contains("ANTHROPIC_"), "{env}");
        for (name, value) in WITHHELD {
            assert!(!env.contains(value), "{name} reached a tool: {env}");
        }
    }
    let refused = content(&results[2]);
    assert_eq!(results[2]["is_error"], true, "{refused}");
    assert!(refused.contains("tools.allow_secret_dirs"), "{refused}");
    assert!(!refused.contains("canary-private-key"), "{refused}");
}
