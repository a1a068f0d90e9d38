//! Checks the `[tools]` table of one layer and writes it into the [`ToolsConfig`].
//!
//! The part worth a file of its own is `[[tools.command]]`: each entry's name must be one
//! the API accepts and no other tool's (built-ins included), and its input schema, written
//! as a TOML table, a JSON text or the path of a JSON file, is loaded and compiled here, so
//! a broken schema fails the load pointing at the entry rather than failing a tool call
//! later. Paths (the root, schema files, commands with a directory part) are taken
//! relative to the config file that wrote them, as theme paths are.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::apply::{Failure, to_duration};
use super::locate::KeyPath;
use super::raw::{RawApproval, RawCommandTool, RawTools};
use super::{CommandToolConfig, DEFAULT_COMMAND_TIMEOUT, ToolsConfig};
use crate::tools::Approval;
use crate::tools::builtin;
use crate::tools::schema::Schema;

/// More parallel calls than this only load the machine; the API rarely sends more.
pub(crate) const MAX_PARALLEL: u32 = 64;
/// A turn with more tool rounds than this is a loop, not work.
pub(crate) const MAX_ROUNDS: u32 = 1000;
/// The API's limit on tool name length.
const MAX_NAME_LEN: usize = 64;

pub(crate) fn apply_tools(
    raw: &RawTools,
    origin: &Path,
    tools: &mut ToolsConfig,
) -> Result<(), Failure> {
    if let Some(enabled) = raw.enabled {
        tools.enabled = enabled;
    }
    if let Some(eager) = raw.eager_input_streaming {
        tools.eager_input_streaming = eager;
    }
    if let Some(root) = &raw.root {
        if root.trim().is_empty() {
            let message = "must not be empty (leave it out for the current directory)";
            return Err((key("root"), message.into()));
        }
        tools.root = Some(config_relative(root.trim(), origin));
    }
    if let Some(allow) = raw.allow_secret_dirs {
        tools.allow_secret_dirs = allow;
    }
    if let Some(names) = &raw.env_passthrough {
        for (i, name) in names.iter().enumerate() {
            check_env_name(name).map_err(|m| (key("env_passthrough").index(i), m))?;
        }
        tools.env_passthrough = names.clone();
    }
    if let Some(parallel) = raw.parallel {
        tools.parallel = usize::try_from(in_range(parallel, MAX_PARALLEL, "parallel")?)
            .map_err(|_| (key("parallel"), "too large".into()))?;
    }
    if let Some(rounds) = raw.max_rounds {
        tools.max_rounds = in_range(rounds, MAX_ROUNDS, "max_rounds")?;
    }
    super::apply_server_tools::apply(raw, &mut tools.server)?;
    if let Some(commands) = &raw.command {
        let mut checked: Vec<CommandToolConfig> = Vec::with_capacity(commands.len());
        for (i, entry) in commands.iter().enumerate() {
            let at = key("command").index(i);
            let tool = command_tool(entry, origin, &at)?;
            if checked.iter().any(|t| t.name == tool.name) {
                let message = format!("another [[tools.command]] is already named {:?}", tool.name);
                return Err((at.key("name"), message));
            }
            checked.push(tool);
        }
        tools.commands = checked;
    }
    Ok(())
}

/// An environment variable name as a shell would write it, so a typo is caught at load.
fn check_env_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an environment variable name (letters, digits and _)"
        ))
    }
}

fn in_range(value: u32, max: u32, name: &str) -> Result<u32, Failure> {
    if value == 0 || value > max {
        let message = format!("must be from 1 to {max}, got {value}");
        return Err((key(name), message));
    }
    Ok(value)
}

fn command_tool(
    raw: &RawCommandTool,
    origin: &Path,
    at: &KeyPath,
) -> Result<CommandToolConfig, Failure> {
    let name = required(&raw.name, at, "name")?;
    check_name(name).map_err(|m| (at.clone().key("name"), m))?;
    let description = required(&raw.description, at, "description")?;
    let command = required(&raw.command, at, "command")?;
    let schema_at = || at.clone().key("input_schema");
    let (input_schema, file) = match &raw.input_schema {
        Some(written) => load_schema(written, origin).map_err(|m| (schema_at(), m))?,
        // A tool that takes nothing still needs an object schema for the API.
        None => (
            serde_json::json!({"type": "object", "properties": {}, "additionalProperties": false}),
            None,
        ),
    };
    Schema::compile(&input_schema).map_err(|m| match file {
        Some(file) => (schema_at(), format!("schema file {}: {m}", file.display())),
        None => (schema_at(), m),
    })?;
    let timeout = match raw.timeout_secs {
        Some(secs) => to_duration(secs).map_err(|m| (at.clone().key("timeout_secs"), m))?,
        None => DEFAULT_COMMAND_TIMEOUT,
    };
    Ok(CommandToolConfig {
        name: name.to_owned(),
        description: description.to_owned(),
        input_schema,
        command: command_path(command, origin),
        args: raw.args.clone().unwrap_or_default(),
        timeout,
        // A user command can do anything; running it unasked must be said explicitly.
        approval: raw.approval.map_or(Approval::Ask, |RawApproval(a)| a),
    })
}

fn required<'a>(value: &'a Option<String>, at: &KeyPath, name: &str) -> Result<&'a str, Failure> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err((at.clone().key(name), "must not be empty".into())),
        None => Err((at.clone(), format!("missing `{name}`"))),
    }
}

/// The API accepts `^[a-zA-Z0-9_-]{1,64}$`; a built-in's name would make two tools answer
/// to one name.
fn check_name(name: &str) -> Result<(), String> {
    let valid = name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(format!(
            "tool name {name:?} must be 1 to {MAX_NAME_LEN} letters, digits, '_' or '-'"
        ));
    }
    if builtin::NAMES.contains(&name) {
        return Err(format!(
            "tool name {name:?} is already a built-in tool (built-ins: {})",
            builtin::NAMES.join(", ")
        ));
    }
    Ok(())
}

/// A schema as written: a table is the schema itself; a string starting with `{` is JSON
/// text; any other string is the path of a JSON file, returned too for messages.
fn load_schema(written: &Value, origin: &Path) -> Result<(Value, Option<PathBuf>), String> {
    match written {
        Value::Object(_) => Ok((written.clone(), None)),
        Value::String(text) if text.trim_start().starts_with('{') => serde_json::from_str(text)
            .map(|v| (v, None))
            .map_err(|e| format!("inline JSON schema does not parse: {e}")),
        Value::String(file) => {
            let path = config_relative(file.trim(), origin);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read schema file {}: {e}", path.display()))?;
            let schema = serde_json::from_str(&text)
                .map_err(|e| format!("schema file {} is not valid JSON: {e}", path.display()))?;
            Ok((schema, Some(path)))
        }
        _ => Err("must be a table, a JSON object as a string, or the path of a JSON file".into()),
    }
}

/// A command with a directory part (`./bin/tool`, `tools/x.sh`) is a path relative to the
/// config file; a bare name (`python3`) is left for `PATH` to find.
fn command_path(command: &str, origin: &Path) -> PathBuf {
    if command.contains(['/', '\\']) {
        config_relative(command, origin)
    } else {
        PathBuf::from(command)
    }
}

/// `~/` is the home directory; a relative path is relative to the config file's directory.
pub(crate) fn config_relative(path: &str, origin: &Path) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(dirs) = directories::BaseDirs::new()
    {
        return dirs.home_dir().join(rest);
    }
    let p = Path::new(path);
    match origin.parent() {
        Some(dir) if p.is_relative() && !dir.as_os_str().is_empty() => dir.join(p),
        _ => p.to_path_buf(),
    }
}

fn key(name: &str) -> KeyPath {
    KeyPath::keys(&["tools", name])
}
