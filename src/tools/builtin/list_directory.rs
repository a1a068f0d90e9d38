//! `list_directory`: the entries of one directory under the root, sorted, with type and size.
//!
//! One line per entry, sorted by name (bytewise, so the order is the same everywhere):
//! `dir  name/`, `file name  (size)`, `link name -> target`. Symlinks are shown, not
//! followed, so listing never leaves the root. At most [`MAX_ENTRIES`] are listed, and a
//! note says how many more there are.

use serde::Deserialize;
use serde_json::json;

use super::text::human_size;
use crate::tools::workspace::Workspace;
use crate::tools::{Approval, ToolOutput, ToolSpec};

/// Entries listed by one call.
pub const MAX_ENTRIES: usize = 500;

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: "list_directory".into(),
        description: "List the entries of a directory in the workspace: each file with its \
            size, each subdirectory (shown with a trailing /) and each symbolic link with its \
            target, sorted by name. Use this to find out which files exist before reading \
            them. Not recursive; call it again on a subdirectory to go deeper. At most 500 \
            entries are listed."
            .into(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Directory path relative to the workspace root. Default: \".\", the root itself."
                }
            },
            "additionalProperties": false
        }),
        approval: Approval::Never,
    }
}

#[derive(Debug, Deserialize)]
pub struct Input {
    path: Option<String>,
}

pub fn run(ws: &Workspace, input: Input) -> ToolOutput {
    match list(ws, input.path.as_deref().unwrap_or(".")) {
        Ok(text) => ToolOutput::ok(text),
        Err(message) => ToolOutput::error(message),
    }
}

struct Entry {
    name: String,
    line: String,
}

fn list(ws: &Workspace, path: &str) -> Result<String, String> {
    let dir = ws.resolve(path).map_err(|e| e.to_string())?;
    let shown = ws.display(&dir);
    if !dir.is_dir() {
        return Err(format!(
            "{shown:?} is a file, not a directory; use read_file to read it"
        ));
    }
    let read = std::fs::read_dir(&dir).map_err(|e| format!("cannot list {shown:?}: {e}"))?;
    let mut entries: Vec<Entry> = Vec::new();
    for item in read {
        let item = item.map_err(|e| format!("cannot list {shown:?}: {e}"))?;
        let name = item.file_name().to_string_lossy().into_owned();
        entries.push(Entry {
            line: describe(&item, &name),
            name,
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let total = entries.len();
    let mut text = match total {
        0 => return Ok(format!("{shown}/ is empty")),
        1 => format!("{shown}/ (1 entry)\n"),
        n => format!("{shown}/ ({n} entries)\n"),
    };
    for entry in entries.iter().take(MAX_ENTRIES) {
        text.push_str(&entry.line);
        text.push('\n');
    }
    if total > MAX_ENTRIES {
        text.push_str(&format!(
            "[... {} more entries not shown; list a subdirectory or use search_files]\n",
            total - MAX_ENTRIES
        ));
    }
    Ok(text)
}

/// One entry's line. `DirEntry::metadata` does not follow symlinks, which is what keeps a
/// link to `/` from being described as a huge directory.
fn describe(item: &std::fs::DirEntry, name: &str) -> String {
    let Ok(meta) = item.metadata() else {
        return format!("?    {name}  (unreadable)");
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        let target = std::fs::read_link(item.path())
            .map_or_else(|_| "?".to_owned(), |t| t.to_string_lossy().into_owned());
        format!("link {name} -> {target}")
    } else if kind.is_dir() {
        format!("dir  {name}/")
    } else if kind.is_file() {
        format!("file {name}  ({})", human_size(meta.len()))
    } else {
        format!("other {name}")
    }
}
