//! `write_file`: create or replace a text file under the root. Asks for approval.
//!
//! The path is checked with [`Workspace::resolve_for_write`]: an existing file (or a link
//! to one inside the root) is replaced; a new file's missing parent directories are
//! created, and they can only be inside the root because the deepest existing ancestor
//! was checked and the rest are plain names. A directory is never replaced.

use serde::Deserialize;
use serde_json::json;

use super::text::human_size;
use crate::tools::preview::{ApprovalPreview, write_preview};
use crate::tools::workspace::Workspace;
use crate::tools::{Approval, ToolOutput, ToolSpec};

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: "write_file".into(),
        description: "Create a text file in the workspace, or replace an existing file's \
            whole content. Missing parent directories are created. Use this to save new \
            code, notes or edits; to change part of a file, read it with read_file first \
            and write back the complete new content. The user is asked to approve each write."
            .into(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "minLength": 1,
                    "description": "File path relative to the workspace root, e.g. notes/todo.md"
                },
                "content": {
                    "type": "string",
                    "description": "The complete new content of the file."
                }
            },
            "required": ["path", "content"],
            "additionalProperties": false
        }),
        approval: Approval::Ask,
    }
}

#[derive(Debug, Deserialize)]
pub struct Input {
    path: String,
    content: String,
}

/// What the write would change: the same confinement as the write itself; a path it would
/// refuse, or a file it cannot read as text, has no preview (the refusal comes when it runs).
pub fn preview(ws: &Workspace, input: &serde_json::Value) -> Option<ApprovalPreview> {
    let input: Input = serde_json::from_value(input.clone()).ok()?;
    let path = ws.resolve_for_write(&input.path).ok()?;
    if !path.exists() {
        return Some(write_preview(None, &input.content));
    }
    // Too big to read for a preview: the approval still shows the input.
    if std::fs::metadata(&path).ok()?.len() > MAX_PREVIEW_BYTES {
        return None;
    }
    let old = std::fs::read_to_string(&path).ok()?;
    Some(write_preview(Some(&old), &input.content))
}

/// The largest existing file read to show a diff.
const MAX_PREVIEW_BYTES: u64 = 1024 * 1024;

pub fn run(ws: &Workspace, input: Input) -> ToolOutput {
    match write(ws, &input) {
        Ok(text) => ToolOutput::ok(text),
        Err(message) => ToolOutput::error(message),
    }
}

fn write(ws: &Workspace, input: &Input) -> Result<String, String> {
    let path = ws
        .resolve_for_write(&input.path)
        .map_err(|e| e.to_string())?;
    let shown = ws.display(&path);
    if path.is_dir() {
        return Err(format!("{shown:?} is a directory; give the path of a file"));
    }
    let existed = path.exists();
    if existed && !path.is_file() {
        return Err(format!("{shown:?} exists and is not a regular file"));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create the directories for {shown:?}: {e}"))?;
    }
    std::fs::write(&path, &input.content).map_err(|e| format!("cannot write {shown:?}: {e}"))?;
    let lines = input.content.lines().count();
    Ok(format!(
        "{} {shown} ({}, {lines} line{})",
        if existed { "replaced" } else { "created" },
        human_size(input.content.len() as u64),
        if lines == 1 { "" } else { "s" }
    ))
}
