//! Print mode's tool lines: one stderr line per call and one per outcome.
//!
//! ```text
//! tool lookup_order [q917lq] {"order_id":"ORD-2024-1234"}
//! tool lookup_order [q917lq] done in 0.2 s: {"id":"ORD-2024-1234","status":"shipped"}
//! tool run_command [a81x0c] not run: needs approval, and print mode has no one to ask ...
//! ```
//!
//! Inputs are compact JSON and results their first line, both sanitised (tool output is
//! untrusted) and cut to a readable length.

use crate::api::ToolUseBlock;
use crate::engine::{ToolStatus, short_id};
use crate::sanitize::sanitize_line;

/// Longest input or result excerpt on a line, in characters.
const EXCERPT: usize = 120;

/// What print mode says when a tool asks for approval (it refuses: there is no one to ask).
pub const REFUSED: &str = "needs approval, and print mode has no one to ask: refused \
                           (--approve-all runs such tools)";

/// The line announcing a call, once its input is complete.
pub fn call_line(call: &ToolUseBlock) -> String {
    format!(
        "{} {}",
        head(&call.name, &call.id),
        excerpt(&call.input.to_string())
    )
}

/// The line for a status worth a line of its own: how the call ended (and the approval
/// print mode refused). `None` for the steps in between.
pub fn status_line(name: &str, id: &str, status: &ToolStatus) -> Option<String> {
    let tail = match status {
        ToolStatus::Validating | ToolStatus::Running => return None,
        ToolStatus::AwaitingApproval => REFUSED.to_owned(),
        ToolStatus::Invalid(e) => format!("invalid input: {}", excerpt(&e.to_string())),
        ToolStatus::Finished { output, duration } => format!(
            "{} in {:.1} s: {}",
            if output.is_error { "failed" } else { "done" },
            duration.as_secs_f64(),
            first_line(&output.content)
        ),
        ToolStatus::NotRun { output } => {
            let why = output.content.strip_prefix("not run: ");
            format!("not run: {}", first_line(why.unwrap_or(&output.content)))
        }
    };
    Some(format!("{} {tail}", head(name, id)))
}

fn head(name: &str, id: &str) -> String {
    format!(
        "tool {} [{}]",
        sanitize_line(name),
        sanitize_line(short_id(id))
    )
}

/// A result in one line: JSON (tools often answer with it, pretty-printed) compacted,
/// anything else its first non-empty line, marked when more follows.
fn first_line(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && (value.is_object() || value.is_array())
    {
        return excerpt(&value.to_string());
    }
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let more = text.trim_end().lines().count() > 1;
    let mut shown = excerpt(line);
    if more && !shown.ends_with('…') {
        shown.push_str(" …");
    }
    if shown.is_empty() {
        shown.push_str("(no output)");
    }
    shown
}

/// Sanitised, on one line, at most [`EXCERPT`] characters.
fn excerpt(text: &str) -> String {
    let clean = sanitize_line(text);
    let clean = clean.trim();
    if clean.chars().count() <= EXCERPT {
        return clean.to_owned();
    }
    let cut: String = clean.chars().take(EXCERPT).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::tools::{InvalidInput, ToolOutput};

    fn call(input: serde_json::Value) -> ToolUseBlock {
        ToolUseBlock {
            id: "toolu_01A09q90qw90lq917835lq9".into(),
            name: "lookup_order".into(),
            input,
            cache_control: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn a_call_line_shows_name_short_id_and_compact_input() {
        assert_eq!(
            call_line(&call(json!({"order_id": "ORD-1"}))),
            r#"tool lookup_order [835lq9] {"order_id":"ORD-1"}"#
        );
        let long = call_line(&call(json!({"text": "x".repeat(500)})));
        assert!(long.ends_with('…') && long.chars().count() < 160, "{long}");
    }

    #[test]
    fn outcome_lines() {
        let line = |s: ToolStatus| status_line("f", "toolu_abcdef", &s);
        assert_eq!(line(ToolStatus::Running), None);
        assert_eq!(
            line(ToolStatus::Finished {
                output: ToolOutput::ok("line one\nline two"),
                duration: Duration::from_millis(300),
            })
            .unwrap(),
            "tool f [abcdef] done in 0.3 s: line one …"
        );
        assert_eq!(
            line(ToolStatus::Finished {
                output: ToolOutput::ok("{\n  \"status\": \"shipped\"\n}"),
                duration: Duration::from_millis(50),
            })
            .unwrap(),
            r#"tool f [abcdef] done in 0.1 s: {"status":"shipped"}"#
        );
        assert_eq!(
            line(ToolStatus::Finished {
                output: ToolOutput::error("timed out after 2 s"),
                duration: Duration::from_secs(2),
            })
            .unwrap(),
            "tool f [abcdef] failed in 2.0 s: timed out after 2 s"
        );
        let invalid = InvalidInput {
            pointer: "/order_id".into(),
            message: "required".into(),
        };
        assert_eq!(
            line(ToolStatus::Invalid(invalid)).unwrap(),
            "tool f [abcdef] invalid input: /order_id: required"
        );
        assert!(
            line(ToolStatus::AwaitingApproval)
                .unwrap()
                .contains("--approve-all")
        );
    }

    #[test]
    fn tool_output_cannot_drive_the_terminal() {
        let line = status_line(
            "f\u{1b}[2J",
            "t",
            &ToolStatus::NotRun {
                output: ToolOutput::error("bad\u{1b}]52;c;SGVsbG8=\u{7} news\r"),
            },
        )
        .unwrap();
        assert!(!line.contains('\u{1b}') && !line.contains('\r'), "{line:?}");
    }
}
