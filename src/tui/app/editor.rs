//! The external editor (Ctrl+G): the draft in a private temp file, `$VISUAL` / `$EDITOR`
//! (else `vi`) run on it with the terminal handed over, the file read back.
//!
//! The model: the event loop suspends the terminal session (raw mode, alternate screen
//! and the rest off, its input reader stopped) before calling [`edit`], and resumes it
//! after, with a full redraw. The file is created afresh in the temp directory with mode
//! 0600 and removed when this returns. The editor command is run by `sh -c` so an
//! `$EDITOR` with arguments (`code --wait`) works; the file's path is passed as an
//! argument, never spliced into the command. The child gets the environment without
//! credentials, by the tools' own rule (`tools::env`).

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Command;

/// The editor command: `$VISUAL`, then `$EDITOR`, then `vi`.
pub fn editor_command(env: &dyn Fn(&str) -> Option<String>) -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| env(name))
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned())
}

/// The draft's file, removed when dropped (on every way out of [`edit`]).
struct DraftFile(PathBuf);

impl DraftFile {
    /// A new file only this user can read (0600), created afresh (never an existing path).
    fn create(draft: &str) -> std::io::Result<DraftFile> {
        let name = format!(
            "chatterm-draft-{}-{:016x}.md",
            std::process::id(),
            rand::random::<u64>()
        );
        let path = std::env::temp_dir().join(name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        let file_guard = DraftFile(path);
        file.write_all(draft.as_bytes())?;
        file.flush()?;
        Ok(file_guard)
    }
}

impl Drop for DraftFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the editor on `draft` and returns the file's text afterwards. Blocks until the
/// editor exits; the caller must have handed the terminal over.
pub fn edit(draft: &str) -> Result<String, String> {
    let file = DraftFile::create(draft).map_err(|e| format!("cannot write the draft: {e}"))?;
    let command = editor_command(&|name| std::env::var(name).ok());
    let mut child = Command::new("sh");
    child
        .arg("-c")
        .arg(format!("{command} \"$1\""))
        .arg("chatterm-editor")
        .arg(&file.0);
    // The editor is a child like any tool: no credentials (`tools::env`, the one rule).
    crate::tools::env::scrub(&[], |name| {
        child.env_remove(name);
    });
    let status = child
        .status()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{command}` exited with {status}"));
    }
    let mut text = String::new();
    std::fs::File::open(&file.0)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| format!("cannot read the edited draft: {e}"))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draft_file_is_private_and_goes_away() {
        use std::os::unix::fs::PermissionsExt;
        let file = DraftFile::create("secret plans").unwrap();
        let mode = std::fs::metadata(&file.0).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&file.0).unwrap(), "secret plans");
        let path = file.0.clone();
        drop(file);
        assert!(!path.exists());
    }

    #[test]
    fn visual_wins_over_editor_and_vi_is_the_fallback() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both = env(&[("VISUAL", "code --wait"), ("EDITOR", "nano")]);
        assert_eq!(editor_command(&both), "code --wait");
        assert_eq!(editor_command(&env(&[("EDITOR", "nano")])), "nano");
        assert_eq!(editor_command(&env(&[("VISUAL", " ")])), "vi");
        assert_eq!(editor_command(&env(&[])), "vi");
    }
}
