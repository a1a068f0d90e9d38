//! Tests of the `[tools]` table: defaults, every key, the three forms of input schema, and
//! the located errors for bad entries.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::tests::fixture;
use super::*;
use crate::tools::Approval;

#[test]
fn defaults_are_documented_values() {
    let tools = parse_str("", Path::new("c.toml")).unwrap().config.tools;
    assert_eq!(tools, ToolsConfig::default());
    assert!(tools.enabled);
    assert_eq!(tools.root, None);
    assert_eq!(tools.parallel, 4);
    assert_eq!(tools.max_rounds, 25);
    assert!(tools.eager_input_streaming);
    assert!(tools.commands.is_empty());
    assert!(tools.env_passthrough.is_empty());
    assert!(!tools.allow_secret_dirs);
}

#[test]
fn tools_fixture_sets_every_key() {
    let path = fixture("valid/tools.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = parse_str(&text, &path).map_err(|e| e.to_string()).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let tools = loaded.config.tools;
    let dir = fixture("valid");
    assert!(!tools.enabled);
    assert_eq!(tools.root, Some(dir.join("workspace")));
    assert_eq!(tools.parallel, 8);
    assert_eq!(tools.max_rounds, 3);
    assert!(!tools.eager_input_streaming);
    assert_eq!(tools.env_passthrough, ["GITHUB_TOKEN", "npm_token"]);
    assert!(tools.allow_secret_dirs);

    let names: Vec<&str> = tools.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["get_weather", "echo-json", "forecast", "uptime"]);
    let weather = &tools.commands[0];
    assert_eq!(
        weather,
        &CommandToolConfig {
            name: "get_weather".into(),
            description: "Current weather for a city.".into(),
            input_schema: json!({
                "type": "object",
                "required": ["city"],
                "properties": {"city": {"type": "string", "minLength": 1}}
            }),
            command: dir.join("bin/weather.sh"),
            args: vec!["--units".into(), "metric".into()],
            timeout: Duration::from_millis(2500),
            approval: Approval::Never,
        }
    );
    let echo = &tools.commands[1];
    assert_eq!(
        echo.input_schema,
        json!({"type": "object", "properties": {"x": {"type": "integer"}}})
    );
    assert_eq!(echo.command, PathBuf::from("cat"));
    // Unsaid: a command tool asks before running, and has the default timeout.
    assert_eq!(echo.approval, Approval::Ask);
    assert_eq!(echo.timeout, DEFAULT_COMMAND_TIMEOUT);
    let forecast = &tools.commands[2];
    assert_eq!(forecast.input_schema["properties"]["days"]["maximum"], 5);
    assert_eq!(forecast.command, PathBuf::from("/usr/local/bin/forecast"));
    let uptime = &tools.commands[3];
    assert_eq!(
        uptime.input_schema,
        json!({"type": "object", "properties": {}, "additionalProperties": false})
    );
    assert!(uptime.args.is_empty());
}

#[test]
fn unknown_keys_in_a_command_entry_are_warnings() {
    let text =
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\ncolour = 1\n";
    let loaded = parse_str(text, Path::new("c.toml")).unwrap();
    assert_eq!(
        loaded.warnings,
        ["c.toml:5: unknown key `tools.command[0].colour` (ignored)"]
    );
}

/// Each text, the `line:column` and key its error must name, and part of the message.
const INVALID: &[(&str, &str, &str, &str)] = &[
    (
        "[tools]\nparallel = 0\n",
        "2:12",
        "tools.parallel",
        "must be from 1 to 64, got 0",
    ),
    (
        "[tools]\nparallel = 65\n",
        "2:12",
        "tools.parallel",
        "must be from 1 to 64",
    ),
    (
        "[tools]\nmax_rounds = 0\n",
        "2:14",
        "tools.max_rounds",
        "must be from 1 to 1000",
    ),
    (
        "[tools]\nenabled = \"yes\"\n",
        "2:11",
        "tools.enabled",
        "expected a boolean",
    ),
    (
        "[tools]\nroot = \" \"\n",
        "2:8",
        "tools.root",
        "must not be empty",
    ),
    (
        "[[tools.command]]\ndescription = \"d\"\ncommand = \"c\"\n",
        "1:1",
        "tools.command[0]",
        "missing `name`",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ncommand = \"c\"\n",
        "1:1",
        "tools.command[0]",
        "missing `description`",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\n",
        "1:1",
        "tools.command[0]",
        "missing `command`",
    ),
    (
        "[[tools.command]]\nname = \"has space\"\ndescription = \"d\"\ncommand = \"c\"\n",
        "2:8",
        "tools.command[0].name",
        "must be 1 to 64 letters, digits, '_' or '-'",
    ),
    (
        "[[tools.command]]\nname = \"read_file\"\ndescription = \"d\"\ncommand = \"c\"\n",
        "2:8",
        "tools.command[0].name",
        "\"read_file\" is already a built-in tool",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\n\
         [[tools.command]]\nname = \"a\"\ndescription = \"e\"\ncommand = \"c\"\n",
        "6:8",
        "tools.command[1].name",
        "another [[tools.command]] is already named \"a\"",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"\"\ncommand = \"c\"\n",
        "3:15",
        "tools.command[0].description",
        "must not be empty",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\n\
         approval = \"sometimes\"\n",
        "5:12",
        "tools.command[0].approval",
        "unknown approval \"sometimes\" (expected \"never\" or \"ask\")",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\ntimeout_secs = 0\n",
        "5:16",
        "tools.command[0].timeout_secs",
        "greater than 0",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\n\
         input_schema = '{\"type\": \"object\",'\n",
        "5:16",
        "tools.command[0].input_schema",
        "inline JSON schema does not parse",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\n\
         input_schema = { type = \"array\" }\n",
        "5:16",
        "tools.command[0].input_schema",
        "must have \"type\": \"object\", got \"type\": \"array\"",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\n\
         input_schema = { type = \"object\", properties = { n = { type = \"nmber\" } } }\n",
        "5:16",
        "tools.command[0].input_schema",
        "invalid JSON schema",
    ),
    (
        "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\ninput_schema = 5\n",
        "5:16",
        "tools.command[0].input_schema",
        "must be a table, a JSON object as a string, or the path of a JSON file",
    ),
];

#[test]
fn bad_tools_tables_fail_naming_line_and_key() {
    for (text, line_col, key, fragment) in INVALID {
        let Err(err) = parse_str(text, Path::new("c.toml")) else {
            panic!("{text:?}: loaded without error");
        };
        let message = err.to_string();
        let prefix = format!("c.toml:{line_col}: {key}: ");
        assert!(
            message.starts_with(&prefix),
            "{text:?}:\n  {message}\n  wanted {prefix}"
        );
        assert!(
            message.contains(fragment),
            "{text:?}:\n  {message}\n  wanted {fragment}"
        );
    }
}

#[test]
fn schema_files_are_read_relative_to_the_config_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("s")).unwrap();
    std::fs::write(dir.path().join("s/ok.json"), r#"{"type": "object"}"#).unwrap();
    std::fs::write(dir.path().join("s/broken.json"), r#"{"type": "#).unwrap();
    std::fs::write(dir.path().join("s/array.json"), r#"{"type": "array"}"#).unwrap();
    let origin = dir.path().join("config.toml");
    let entry = |schema: &str| {
        format!(
            "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\ninput_schema = \"{schema}\"\n"
        )
    };
    let ok = parse_str(&entry("s/ok.json"), &origin).map_err(|e| e.to_string());
    assert_eq!(
        ok.unwrap().config.tools.commands[0].input_schema,
        json!({"type": "object"})
    );
    for (file, fragment) in [
        ("s/missing.json", "cannot read schema file"),
        ("s/broken.json", "is not valid JSON"),
        ("s/array.json", "must have \"type\": \"object\""),
    ] {
        let err = parse_str(&entry(file), &origin).unwrap_err().to_string();
        let prefix = format!("{}:5:16: tools.command[0].input_schema: ", origin.display());
        assert!(err.starts_with(&prefix), "{err}");
        assert!(err.contains(fragment), "{err}");
        assert!(
            err.contains(&dir.path().join(file).display().to_string()),
            "{err}"
        );
    }
}

#[test]
fn a_later_layer_replaces_the_command_list() {
    let mut config = Config::default();
    let first = "[[tools.command]]\nname = \"a\"\ndescription = \"d\"\ncommand = \"c\"\n";
    let second = "[[tools.command]]\nname = \"b\"\ndescription = \"d\"\ncommand = \"c\"\n";
    parse::apply_layer(first, Path::new("1.toml"), &mut config).unwrap();
    parse::apply_layer("[tools]\nparallel = 2\n", Path::new("2.toml"), &mut config).unwrap();
    assert_eq!(
        config.tools.commands.len(),
        1,
        "a layer without the list keeps it"
    );
    parse::apply_layer(second, Path::new("3.toml"), &mut config).unwrap();
    let names: Vec<&str> = config
        .tools
        .commands
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["b"]);
    assert_eq!(config.tools.parallel, 2);
}
