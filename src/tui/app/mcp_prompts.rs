//! MCP prompts as slash commands: `/{server}:{prompt}` in the `/` popup with its arguments,
//! and, when sent, the prompt rendered by its server and put in the input to edit and send.
//!
//! The model: a prompt command is a line `/{server}:{prompt}` (names as the server lists
//! them, matched exactly), then its arguments. Arguments are typed positionally, the last
//! one taking the rest of the line (`/fs:review src/main.rs error handling`), or by name
//! (`/fs:review file=src/main.rs focus=error handling`, a value running to the next
//! `name=`). A missing required argument is said at once and nothing is lost: the line
//! stays in the input. The rendering is the server's ([`Effect::McpPrompt`]); its text
//! replaces the input, where the person reads it before sending.
//!
//! Only prompts whose server and prompt names are plain (no whitespace, nothing the
//! sanitiser would change) are offered: a name that could not be typed back, or that
//! would draw differently from what it is, is not a command.

use tokio::time::Instant;

use crate::sanitize::sanitize_line;

use crate::tui::app::mcp::{PromptInfo, ServerState, ServerStatus, arg_label};
use crate::tui::app::{App, Effect};
use crate::tui::widgets::commands::ExtraCommand;

/// A prompt command, parsed against the servers' lists.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::tui) struct PromptCall {
    pub server: String,
    pub prompt: String,
    pub arguments: Vec<(String, String)>,
}

/// Whether a server or prompt name can be a command's part: typed back as it shows.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(char::is_whitespace)
        && !name.contains(':')
        && sanitize_line(name) == name
}

/// The ready servers' prompts that can be commands.
fn offered(servers: &[ServerStatus]) -> impl Iterator<Item = (&ServerStatus, &PromptInfo)> {
    servers
        .iter()
        .filter(|s| s.state == ServerState::Ready && plain(&s.name))
        .flat_map(|s| s.prompts.iter().map(move |p| (s, p)))
        .filter(|(_, p)| plain(&p.name))
}

impl App {
    /// The prompts the `/` popup lists besides the built-in commands.
    pub(in crate::tui) fn prompt_commands(&self) -> Vec<ExtraCommand> {
        offered(&self.mcp.servers)
            .map(|(server, prompt)| ExtraCommand {
                name: format!("{}:{}", server.name, prompt.name),
                args: prompt
                    .arguments
                    .iter()
                    .map(arg_label)
                    .collect::<Vec<_>>()
                    .join(" "),
                description: first_line(prompt.description.as_deref()),
            })
            .collect()
    }

    /// What a line means as a prompt command: `None` when it is not one (no known
    /// `/server:prompt` first word), else the call or what is wrong with it.
    pub(in crate::tui) fn parse_prompt_command(
        &self,
        text: &str,
    ) -> Option<Result<PromptCall, String>> {
        let body = text.strip_prefix('/')?.trim_end();
        let (name, rest) = match body.split_once(char::is_whitespace) {
            Some((name, rest)) => (name, rest.trim()),
            None => (body, ""),
        };
        let (server, prompt) = name.split_once(':')?;
        let (server, info) =
            offered(&self.mcp.servers).find(|(s, p)| s.name == server && p.name == prompt)?;
        Some(
            prompt_arguments(info, rest)
                .map(|arguments| PromptCall {
                    server: server.name.clone(),
                    prompt: info.name.clone(),
                    arguments,
                })
                .map_err(|e| format!("/{name}: {e}")),
        )
    }

    /// Sends a prompt command: the server renders it, the loop reports back.
    pub(in crate::tui) fn run_prompt_command(&mut self, call: PromptCall, now: Instant) {
        self.input.submit();
        self.sync_popup();
        self.flash(format!("asking {} for the prompt…", call.server), now);
        self.effect(Effect::McpPrompt {
            server: call.server,
            prompt: call.prompt,
            arguments: call.arguments,
        });
    }

    /// A prompt's rendered text fills the input (a failure is said, the input untouched).
    pub fn mcp_prompt_rendered(&mut self, result: Result<String, String>, now: Instant) {
        match result {
            Ok(text) => {
                // An input typed meanwhile is kept: the prompt goes after it.
                let typed = self.input.text();
                let text = if typed.trim().is_empty() {
                    text
                } else {
                    format!("{typed}\n{text}")
                };
                self.input.set_text(&text);
                self.sync_popup();
                self.flash("the prompt is in the input: edit it, Enter sends", now);
            }
            Err(e) => self.flash(sanitize_line(&format!("prompt failed: {e}")), now),
        }
    }
}

/// A description's first line, sanitised, for one row.
fn first_line(text: Option<&str>) -> String {
    let line = text.unwrap_or_default().lines().next().unwrap_or_default();
    sanitize_line(line.trim()).into_owned()
}

/// The arguments typed after a prompt's name, by name or in order. See the module docs.
fn prompt_arguments(prompt: &PromptInfo, rest: &str) -> Result<Vec<(String, String)>, String> {
    let named = rest
        .split_once('=')
        .is_some_and(|(k, _)| prompt.arguments.iter().any(|a| a.name == k));
    let given = if named {
        by_name(prompt, rest)
    } else {
        in_order(prompt, rest)?
    };
    let missing: Vec<String> = prompt
        .arguments
        .iter()
        .filter(|a| a.required && !given.iter().any(|(k, _)| *k == a.name))
        .map(arg_label)
        .collect();
    if !missing.is_empty() {
        return Err(format!("needs {}", missing.join(" ")));
    }
    Ok(given)
}

/// `k=v k2=v two`: each known `name=` starts a value that runs to the next.
fn by_name(prompt: &PromptInfo, rest: &str) -> Vec<(String, String)> {
    let mut given: Vec<(String, String)> = Vec::new();
    for word in rest.split_whitespace() {
        let starts = word
            .split_once('=')
            .filter(|(k, _)| prompt.arguments.iter().any(|a| a.name == *k));
        match (starts, given.last_mut()) {
            (Some((k, v)), _) => {
                given.retain(|(name, _)| name != k);
                given.push((k.to_owned(), v.to_owned()));
            }
            (None, Some((_, value))) => {
                value.push(' ');
                value.push_str(word);
            }
            (None, None) => {}
        }
    }
    given.retain(|(_, v)| !v.is_empty());
    given
}

/// One word per argument, the last taking the rest of the line.
fn in_order(prompt: &PromptInfo, rest: &str) -> Result<Vec<(String, String)>, String> {
    if prompt.arguments.is_empty() {
        return if rest.is_empty() {
            Ok(Vec::new())
        } else {
            Err("takes no arguments".to_owned())
        };
    }
    let mut given = Vec::new();
    let mut left = rest.trim();
    let last = prompt.arguments.len() - 1;
    for (i, arg) in prompt.arguments.iter().enumerate() {
        if left.is_empty() {
            break;
        }
        let (value, next) = match left.split_once(char::is_whitespace) {
            Some((word, next)) if i < last => (word, next.trim_start()),
            _ => (left, ""),
        };
        given.push((arg.name.clone(), value.to_owned()));
        left = next;
    }
    Ok(given)
}

#[cfg(test)]
#[path = "mcp_prompts_tests.rs"]
mod tests;
