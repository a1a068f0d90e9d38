//! `run_command`: a shell command line in the workspace root. Asks for approval.
//!
//! Runs through `sh -c` (`cmd /C` on Windows) with the root as working directory and no
//! stdin, under a timeout (the input's `timeout_secs`, default [`DEFAULT_TIMEOUT_SECS`]).
//! A timeout or a cancel kills the command's whole process group (see `tools::process`).
//! Each of stdout and stderr keeps its first and last [`KEEP_BYTES`], as the start says
//! what ran and the end says how it finished. The exit code is reported; a non-zero code
//! makes the result an error. The command itself is not confined to the root: approval is
//! the guard.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::tools::process::{self, Capture, Finish, Keep, ProcessSpec};
use crate::tools::workspace::Workspace;
use crate::tools::{Approval, ToolOutput, ToolSpec};

pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
pub const MAX_TIMEOUT_SECS: u64 = 600;
/// Bytes kept at each end of each stream.
pub const KEEP_BYTES: usize = 16 * 1024;
const KEEP: Keep = Keep {
    head: KEEP_BYTES,
    tail: KEEP_BYTES,
};

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: "run_command".into(),
        description: "Run a shell command (sh -c) in the workspace root and return its exit \
            code, stdout and stderr. Use this to build, test, run scripts or inspect the \
            system when no other tool does the job. Non-interactive: there is no stdin, so \
            commands that prompt will fail or hang until the timeout. Long output keeps its \
            start and end. The user is asked to approve each command."
            .into(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "command": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The command line, e.g. \"cargo test 2>&1 | tail -20\"."
                },
                "timeout_secs": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_TIMEOUT_SECS,
                    "description": "Kill the command after this many seconds. Default 120."
                }
            },
            "required": ["command"],
            "additionalProperties": false
        }),
        approval: Approval::Ask,
    }
}

#[derive(Debug, Deserialize)]
pub struct Input {
    command: String,
    timeout_secs: Option<u64>,
}

pub async fn run(ws: &Workspace, input: Input, cancel: CancellationToken) -> ToolOutput {
    let secs = input
        .timeout_secs
        .unwrap_or(DEFAULT_TIMEOUT_SECS)
        .clamp(1, MAX_TIMEOUT_SECS);
    let (program, args) = process::shell(&input.command);
    let spec = ProcessSpec {
        program,
        args,
        cwd: ws.root().to_path_buf(),
        stdin: None,
        timeout: Duration::from_secs(secs),
        stdout: KEEP,
        stderr: KEEP,
        env_passthrough: ws.env_passthrough().to_vec(),
    };
    let outcome = match process::run(spec, cancel).await {
        Ok(outcome) => outcome,
        Err(e) => return ToolOutput::error(format!("cannot start the shell: {e}")),
    };
    let streams = streams(&outcome.stdout, &outcome.stderr);
    match outcome.finish {
        Finish::Exited(status) => {
            let head = describe_exit(status);
            let text = format!("{head}\n{streams}");
            if status.success() {
                ToolOutput::ok(text)
            } else {
                ToolOutput::error(text)
            }
        }
        Finish::TimedOut => ToolOutput::error(format!(
            "timed out after {secs} s; the command and the processes it started were killed\n{streams}"
        )),
        Finish::Cancelled => ToolOutput::error(format!(
            "cancelled by user; the command was killed\n{streams}"
        )),
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit code: {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    "exited without a code".to_owned()
}

fn streams(stdout: &Capture, stderr: &Capture) -> String {
    let mut text = String::new();
    for (name, capture) in [("stdout", stdout), ("stderr", stderr)] {
        if capture.total() == 0 {
            text.push_str(&format!("--- {name}: (empty) ---\n"));
            continue;
        }
        let note = if capture.is_truncated() {
            format!(" ({} bytes, middle omitted)", capture.total())
        } else {
            String::new()
        };
        text.push_str(&format!("--- {name}{note} ---\n"));
        let body = capture.text();
        text.push_str(&body);
        if !body.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}
