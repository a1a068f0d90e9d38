//! The unsent draft: the input box's text, kept across a hang-up or a kill.
//!
//! When the terminal goes away or a signal ends chatterm, what is in the input box is
//! written to [`FILE`] in the data directory (beside the database). The next start takes
//! it back: the text goes into the input box with a notice, and the file is removed, so a
//! draft is offered once. A quit by the user (Ctrl+D, `/quit`) saves nothing: that draft
//! was left on purpose.
//!
//! The file is the user's words, so it is private (0600) and written without following a
//! symlink planted at its name; it is written to a temporary name and renamed, so a kill
//! half-way leaves the old draft or the new one, never half of one. A temporary store
//! (`--temp-store`, or the in-memory fallback) has no data directory and keeps no draft.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The draft's file name in the data directory.
pub const FILE: &str = "draft.txt";

/// Where the draft of a store at `store_path` lives: beside the database. `None` for a
/// temporary store (`:memory:`).
pub fn path_for_store(store_path: &str, temporary: bool) -> Option<PathBuf> {
    if temporary {
        return None;
    }
    let dir = Path::new(store_path).parent()?;
    Some(dir.join(FILE))
}

/// Writes `text` as the draft at `path`; an empty (or blank) text removes any old one.
pub fn save(path: &Path, text: &str) -> io::Result<()> {
    if text.trim().is_empty() {
        return remove(path);
    }
    let partial = path.with_extension("txt.partial");
    let _ = std::fs::remove_file(&partial);
    let mut file = open_private(&partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

/// Takes the draft at `path`: its text, and the file removed. `None` when there is none,
/// it is blank, or it is not a regular file (a symlink is left alone and not read).
pub fn take(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    let text = std::fs::read(path).ok()?;
    let _ = remove(path);
    let text = String::from_utf8_lossy(&text).into_owned();
    (!text.trim().is_empty()).then_some(text)
}

fn remove(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Creates `path` new, readable by the owner only, refusing to follow a symlink.
#[cfg(unix)]
fn open_private(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_draft_is_taken_back_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let text = format!("{}\nsecond line", "long ".repeat(2_000));
        save(&path, &text).unwrap();
        assert_eq!(take(&path).as_deref(), Some(text.as_str()));
        assert_eq!(take(&path), None);
        assert!(!path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_draft_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        save(&path, "secret plans").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_blank_draft_removes_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        save(&path, "old").unwrap();
        save(&path, "  \n").unwrap();
        assert!(!path.exists());
        assert_eq!(take(&path), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_name_is_neither_read_nor_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "not a draft").unwrap();
        let path = dir.path().join(FILE);
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert_eq!(take(&path), None);
        // Saving replaces the link itself (rename), leaving its target untouched.
        save(&path, "mine").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "not a draft");
        assert_eq!(take(&path).as_deref(), Some("mine"));
    }

    #[test]
    fn a_temporary_store_keeps_no_draft() {
        assert_eq!(path_for_store(":memory:", true), None);
        assert_eq!(
            path_for_store("/data/chatterm/chatterm.db", false),
            Some(PathBuf::from("/data/chatterm").join(FILE))
        );
    }
}
