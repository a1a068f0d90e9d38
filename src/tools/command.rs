//! User command tools (`[[tools.command]]`): a program that reads the input JSON on stdin
//! and writes the result on stdout.
//!
//! The contract, as the config documents it for tool authors:
//! - stdin gets the validated input as one line of JSON, then EOF;
//! - exit code 0: stdout is the result; if it parses as JSON it is pretty-printed (models
//!   read indented JSON more reliably), otherwise it is passed on as text;
//! - any other exit, a signal, a timeout or a program that cannot be started is an error
//!   result naming the tool, with the last [`STDERR_TAIL_CHARS`] of stderr, which is
//!   where a script says what went wrong;
//! - the working directory is the workspace root; stdout is kept up to
//!   [`MAX_RESULT_BYTES`] (a note says when more was cut).
//!
//! Cancellation and timeouts kill the process group, as for `run_command`, and the child
//! starts without the parent's credentials, as for `run_command` (`tools::env`).

use std::path::PathBuf;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::process::{self, Finish, Keep, Outcome, ProcessSpec};
use super::registry::Tool;
use super::settings::CommandToolConfig;
use super::{ToolFuture, ToolOutput, ToolSpec};

/// Result text kept from stdout.
pub const MAX_RESULT_BYTES: usize = 100_000;
/// Stderr shown in an error result.
pub const STDERR_TAIL_CHARS: usize = 2_000;

/// A configured command tool, ready to run in `cwd`.
pub struct CommandTool {
    spec: ToolSpec,
    config: CommandToolConfig,
    cwd: PathBuf,
    env_passthrough: Vec<String>,
}

impl CommandTool {
    pub fn new(config: CommandToolConfig, cwd: PathBuf) -> CommandTool {
        let spec = ToolSpec {
            name: config.name.clone(),
            description: config.description.clone(),
            input_schema: config.input_schema.clone(),
            approval: config.approval,
        };
        CommandTool {
            spec,
            config,
            cwd,
            env_passthrough: Vec::new(),
        }
    }

    /// Lets the child inherit these credential-like variables (`tools.env_passthrough`);
    /// without it, it inherits none ([`super::env`]).
    pub fn with_env_passthrough(self, names: Vec<String>) -> CommandTool {
        CommandTool {
            env_passthrough: names,
            ..self
        }
    }
}

impl Tool for CommandTool {
    fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    fn run(&self, input: Value, cancel: CancellationToken) -> ToolFuture {
        let spec = ProcessSpec {
            program: self.config.command.clone(),
            args: self.config.args.clone(),
            cwd: self.cwd.clone(),
            stdin: Some(format!("{input}\n").into_bytes()),
            timeout: self.config.timeout,
            stdout: Keep {
                head: MAX_RESULT_BYTES,
                tail: 0,
            },
            // Bytes, a little over the characters shown, as UTF-8 may need several per char.
            stderr: Keep {
                head: 0,
                tail: STDERR_TAIL_CHARS * 4,
            },
            env_passthrough: self.env_passthrough.clone(),
        };
        let name = self.config.name.clone();
        let timeout = self.config.timeout;
        Box::pin(async move {
            let program = spec.program.display().to_string();
            match process::run(spec, cancel).await {
                Ok(outcome) => result(&name, outcome, timeout),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => ToolOutput::error(format!(
                    "tool {name:?} could not run: the command {program:?} was not found \
                     (the user needs to install it or fix `command` in the config)"
                )),
                Err(e) => ToolOutput::error(format!(
                    "tool {name:?} could not run the command {program:?}: {e}"
                )),
            }
        })
    }
}

fn result(name: &str, outcome: Outcome, timeout: std::time::Duration) -> ToolOutput {
    let stderr = outcome.stderr.last_chars(STDERR_TAIL_CHARS);
    let stderr = stderr.trim_end();
    let with_stderr = |head: String| {
        if stderr.is_empty() {
            head
        } else {
            format!("{head}\nstderr:\n{stderr}")
        }
    };
    match outcome.finish {
        Finish::Exited(status) if status.success() => ToolOutput::ok(stdout_result(&outcome)),
        Finish::Exited(status) => {
            let how = match status.code() {
                Some(code) => format!("exited with code {code}"),
                None => "was killed by a signal".to_owned(),
            };
            let mut text = with_stderr(format!("tool {name:?} failed: the command {how}"));
            // With nothing on stderr, the reason may be on stdout.
            if stderr.is_empty() && outcome.stdout.total() > 0 {
                text.push_str(&format!(
                    "\nstdout:\n{}",
                    outcome.stdout.last_chars(STDERR_TAIL_CHARS)
                ));
            }
            ToolOutput::error(text)
        }
        Finish::TimedOut => ToolOutput::error(with_stderr(format!(
            "tool {name:?} timed out after {} s and was killed",
            timeout.as_secs_f64()
        ))),
        Finish::Cancelled => ToolOutput::error("cancelled by user"),
    }
}

/// Stdout as the result: pretty JSON when it is JSON, else the text.
fn stdout_result(outcome: &Outcome) -> String {
    if outcome.stdout.is_truncated() {
        return format!(
            "{}\n[output truncated: kept the first {MAX_RESULT_BYTES} of {} bytes]",
            outcome.stdout.head_text(),
            outcome.stdout.total()
        );
    }
    let text = outcome.stdout.text();
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => serde_json::to_string_pretty(&value).unwrap_or(text),
        Err(_) if text.trim().is_empty() => "(the command printed nothing)".to_owned(),
        Err(_) => text,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::tools::Approval;

    fn tool(script: &str, timeout: Duration) -> CommandTool {
        let config = CommandToolConfig {
            name: "t".into(),
            description: "test".into(),
            input_schema: json!({"type": "object"}),
            command: "sh".into(),
            args: vec!["-c".into(), script.into()],
            timeout,
            approval: Approval::Never,
        };
        CommandTool::new(config, std::env::temp_dir())
    }

    const LONG: Duration = Duration::from_secs(60);

    async fn call(tool: &CommandTool, input: Value) -> ToolOutput {
        tool.run(input, CancellationToken::new()).await
    }

    #[tokio::test]
    async fn input_on_stdin_and_json_stdout_pretty_printed() {
        let t = tool("cat", LONG);
        let out = call(&t, json!({"order_id": "ORD-1", "n": [1, 2]})).await;
        assert!(!out.is_error, "{out:?}");
        assert_eq!(
            out.content,
            "{\n  \"n\": [\n    1,\n    2\n  ],\n  \"order_id\": \"ORD-1\"\n}"
        );
    }

    #[tokio::test]
    async fn text_stdout_is_passed_on() {
        let out = call(&tool("echo plain words", LONG), json!({})).await;
        assert_eq!(out, ToolOutput::ok("plain words\n"));
        let out = call(&tool("true", LONG), json!({})).await;
        assert_eq!(out, ToolOutput::ok("(the command printed nothing)"));
    }

    #[tokio::test]
    async fn non_zero_exit_is_an_error_with_stderr_tail() {
        let out = call(
            &tool("echo partial; echo 'no such order' >&2; exit 4", LONG),
            json!({}),
        )
        .await;
        assert!(out.is_error);
        assert!(
            out.content
                .contains("tool \"t\" failed: the command exited with code 4"),
            "{}",
            out.content
        );
        assert!(
            out.content.ends_with("stderr:\nno such order"),
            "{}",
            out.content
        );
        let out = call(&tool("echo only stdout; exit 1", LONG), json!({})).await;
        assert!(
            out.content.contains("stdout:\nonly stdout"),
            "{}",
            out.content
        );
    }

    #[tokio::test]
    async fn long_stdout_is_cut_with_a_note() {
        let out = call(
            &tool("head -c 250000 /dev/zero | tr '\\0' a", LONG),
            json!({}),
        )
        .await;
        assert!(!out.is_error);
        let (kept, note) = out.content.split_at(MAX_RESULT_BYTES);
        assert!(kept.bytes().all(|b| b == b'a'));
        assert_eq!(
            note,
            "\n[output truncated: kept the first 100000 of 250000 bytes]"
        );
    }

    #[tokio::test]
    async fn long_stderr_keeps_its_end() {
        let script = "i=0; while [ $i -lt 2000 ]; do echo line $i >&2; i=$((i+1)); done; exit 1";
        let out = call(&tool(script, LONG), json!({})).await;
        assert!(out.content.ends_with("line 1999"), "{}", out.content);
        assert!(out.content.len() < STDERR_TAIL_CHARS + 200);
    }

    #[tokio::test]
    async fn timeout_kills_and_says_so() {
        let out = call(
            &tool("echo starting >&2; sleep 100", Duration::from_millis(300)),
            json!({}),
        )
        .await;
        assert!(out.is_error);
        assert!(
            out.content.contains("timed out after 0.3 s and was killed"),
            "{}",
            out.content
        );
        assert!(out.content.contains("starting"), "{}", out.content);
    }

    #[tokio::test]
    async fn a_missing_binary_is_an_error_result() {
        let config = CommandToolConfig {
            command: "chatterm-test-no-such-program".into(),
            args: vec![],
            ..tool("", LONG).config
        };
        let t = CommandTool::new(config, std::env::temp_dir());
        let out = call(&t, json!({})).await;
        assert!(out.is_error);
        assert!(out.content.contains("was not found"), "{}", out.content);
    }

    #[tokio::test]
    async fn cancel_is_prompt() {
        let t = tool("sleep 100", LONG);
        let cancel = CancellationToken::new();
        let run = t.run(json!({}), cancel.clone());
        cancel.cancel();
        let out = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap();
        assert_eq!(out, ToolOutput::error("cancelled by user"));
    }
}
