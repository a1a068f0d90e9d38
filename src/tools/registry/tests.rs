use std::time::Duration;

use serde_json::json;

use super::*;
use crate::tools::Approval;

fn command(name: &str, script: &str) -> CommandToolConfig {
    CommandToolConfig {
        name: name.into(),
        description: format!("the {name} tool"),
        input_schema: json!({
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
            "additionalProperties": false
        }),
        command: "sh".into(),
        args: vec!["-c".into(), script.into()],
        timeout: Duration::from_secs(60),
        approval: Approval::Ask,
    }
}

fn config_in(dir: &Path, commands: Vec<CommandToolConfig>) -> ToolsConfig {
    ToolsConfig {
        root: Some(dir.to_path_buf()),
        commands,
        ..ToolsConfig::default()
    }
}

#[test]
fn from_config_offers_builtins_then_commands() {
    let dir = tempfile::tempdir().unwrap();
    let registry =
        Registry::from_config(&config_in(dir.path(), vec![command("count", "cat")])).unwrap();
    let names: Vec<&str> = registry.specs().iter().map(|s| s.name.as_str()).collect();
    let mut expected = builtin::NAMES.to_vec();
    expected.push("count");
    assert_eq!(names, expected);
    assert_eq!(
        registry.root(),
        Some(std::fs::canonicalize(dir.path()).unwrap().as_path())
    );
    assert_eq!(
        registry.spec("count").map(|s| s.approval),
        Some(Approval::Ask)
    );
    assert_eq!(registry.spec("nope"), None);
}

#[test]
fn a_command_named_like_a_builtin_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = Registry::from_config(&config_in(dir.path(), vec![command("read_file", "cat")]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tool \"read_file\" clashes with the built-in tool of that name; rename the [[tools.command]] entry"
    );
    let err = Registry::builder()
        .command(command("a", "cat"))
        .command(command("a", "cat"))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tool \"a\" is defined twice; tool names must be unique"
    );
}

#[test]
fn a_bad_schema_is_refused_naming_the_tool() {
    let mut bad = command("broken", "cat");
    bad.input_schema = json!({"type": "object", "properties": {"n": {"type": 5}}});
    let err = Registry::builder().command(bad).build().unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("tool \"broken\": invalid JSON schema"),
        "{message}"
    );
}

#[test]
fn a_missing_root_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = Registry::from_config(&config_in(&missing, vec![])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("tools.root {}: ", missing.display())),
        "{err}"
    );
}

#[test]
fn validate_points_at_the_field_and_names_unknown_tools() {
    let registry = Registry::builder()
        .command(command("count", "cat"))
        .build()
        .unwrap();
    assert_eq!(registry.validate("count", &json!({"n": 3})), Ok(()));
    let err = registry
        .validate("count", &json!({"n": "three"}))
        .unwrap_err();
    assert_eq!(err.pointer, "/n");
    assert!(
        err.message.contains("\"three\" is not of type \"integer\""),
        "{err}"
    );
    let err = registry
        .validate("count", &json!({"n": 1, "m": 2}))
        .unwrap_err();
    assert_eq!(err.pointer, "/m");
    let err = registry.validate("counter", &json!({})).unwrap_err();
    assert_eq!(
        err,
        InvalidInput {
            pointer: String::new(),
            message: "unknown tool \"counter\"; the available tools are: count".into(),
        }
    );
    let err = Registry::empty().validate("x", &json!({})).unwrap_err();
    assert!(err.message.ends_with("no tools are available"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn run_validates_again_and_runs_valid_input() {
    let registry = Registry::builder()
        .command(command("count", "cat"))
        .build()
        .unwrap();
    let out = registry
        .run("count", json!({"n": 2}), CancellationToken::new())
        .await;
    assert_eq!(out, ToolOutput::ok("{\n  \"n\": 2\n}"));
    let out = registry
        .run("count", json!({}), CancellationToken::new())
        .await;
    assert!(out.is_error);
    assert!(
        out.content.starts_with("invalid input: "),
        "{}",
        out.content
    );
    assert!(
        out.content.contains("\"n\" is a required property"),
        "{}",
        out.content
    );
    let out = registry
        .run("nope", json!({}), CancellationToken::new())
        .await;
    assert_eq!(
        out,
        ToolOutput::error("unknown tool \"nope\"; the available tools are: count")
    );
}

#[cfg(unix)]
#[tokio::test]
async fn command_tools_run_in_the_workspace_root() {
    let dir = tempfile::tempdir().unwrap();
    let registry =
        Registry::from_config(&config_in(dir.path(), vec![command("where", "pwd")])).unwrap();
    let out = registry
        .run("where", json!({"n": 1}), CancellationToken::new())
        .await;
    let root = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(out, ToolOutput::ok(format!("{}\n", root.display())));
}

#[test]
fn definitions_carry_the_specs_and_the_streaming_flag() {
    let registry = Registry::builder()
        .command(command("count", "cat"))
        .build()
        .unwrap();
    let defs = registry.definitions(true);
    assert_eq!(defs.len(), 1);
    let def = &defs[0];
    assert_eq!(def.name, "count");
    assert_eq!(def.description.as_deref(), Some("the count tool"));
    assert_eq!(def.input_schema["required"], json!(["n"]));
    assert_eq!(def.cache_control, None);
    assert_eq!(
        serde_json::to_value(def).unwrap(),
        json!({
            "name": "count",
            "description": "the count tool",
            "input_schema": registry.specs()[0].input_schema,
            "eager_input_streaming": true
        })
    );
    let off = registry.definitions(false);
    assert_eq!(off[0].eager_input_streaming, None, "omitted, not false");
    assert!(Registry::empty().definitions(true).is_empty());
}
