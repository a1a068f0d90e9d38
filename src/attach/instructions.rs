//! Project instructions: `AGENTS.md` and `CLAUDE.md` joined to the system prompt.
//!
//! The files are looked for in the workspace root and each parent up to the repository
//! root (the nearest directory with a `.git`); without a repository, in the workspace root
//! only. Every file found is used, outermost first (a repository's general rules before a
//! subdirectory's), `AGENTS.md` before `CLAUDE.md` in one directory. Their text goes after
//! chatterm's own system prompt ([`join_system`]), so it is part of the cached prefix and
//! a conversation's requests stay byte-stable. `chat.project_instructions = false` turns
//! it off. A file over [`MAX_BYTES`] or not UTF-8 is skipped, with the reason kept for
//! the front end to show.

use std::path::{Path, PathBuf};

use super::limits::text_tokens;

/// The file names looked for, in order, in each directory.
pub const FILE_NAMES: [&str; 2] = ["AGENTS.md", "CLAUDE.md"];
/// The largest instructions file read.
pub const MAX_BYTES: u64 = 256 * 1024;

/// One instructions file that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstructionsFile {
    pub path: PathBuf,
    /// The path relative to the workspace root (`AGENTS.md`, `../CLAUDE.md`).
    pub name: String,
    pub text: String,
    pub tokens: u64,
}

/// What was loaded (possibly nothing), and what was skipped and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectInstructions {
    pub files: Vec<InstructionsFile>,
    pub skipped: Vec<(PathBuf, String)>,
}

impl ProjectInstructions {
    /// Looks for the files from `workspace_root` up to the repository root.
    pub fn find(workspace_root: &Path) -> ProjectInstructions {
        let mut found = ProjectInstructions::default();
        for dir in search_dirs(workspace_root).into_iter().rev() {
            for file in FILE_NAMES {
                let path = dir.join(file);
                if !path.is_file() {
                    continue;
                }
                match read(&path) {
                    Ok(text) => found.files.push(InstructionsFile {
                        name: display(workspace_root, &dir, file),
                        tokens: text_tokens(&text),
                        path,
                        text,
                    }),
                    Err(reason) => found.skipped.push((path, reason)),
                }
            }
        }
        found
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The sidebar's label: the file names, e.g. `AGENTS.md + ../CLAUDE.md`.
    pub fn label(&self) -> String {
        self.files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// Their size in tokens, as estimated locally.
    pub fn tokens(&self) -> u64 {
        self.files.iter().map(|f| f.tokens).sum()
    }

    /// The text that joins the system prompt (`/instructions` shows it): each file in a
    /// `<project_instructions path="…">` element.
    pub fn text(&self) -> String {
        self.files
            .iter()
            .map(|f| {
                format!(
                    "<project_instructions path=\"{}\">\n{}\n</project_instructions>",
                    f.name,
                    f.text.trim_end()
                )
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// chatterm's own system prompt followed by the project's instructions.
pub fn join_system(own: Option<&str>, project: &ProjectInstructions) -> Option<String> {
    let own = own.filter(|s| !s.trim().is_empty());
    match (own, project.is_empty()) {
        (own, true) => own.map(str::to_owned),
        (None, false) => Some(project.text()),
        (Some(own), false) => Some(format!("{own}\n\n{}", project.text())),
    }
}

/// The workspace root and its parents up to the repository root, innermost first.
fn search_dirs(workspace_root: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for dir in workspace_root.ancestors() {
        dirs.push(dir.to_path_buf());
        if dir.join(".git").exists() {
            return dirs;
        }
    }
    // No repository: the workspace root alone.
    dirs.truncate(1);
    dirs
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes is over the {MAX_BYTES}-byte limit for instructions",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_owned())
}

fn display(root: &Path, dir: &Path, file: &str) -> String {
    let ups = root.components().count() - dir.components().count();
    let mut name = "../".repeat(ups);
    name.push_str(file);
    name
}
