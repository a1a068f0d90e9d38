//! The log of panics on background threads while the full screen is up.
//!
//! The screen cannot show such a panic without wrecking it, so its message is appended to
//! `chatterm-panics.log` in chatterm's data directory (private to the user: created 0700
//! if missing, the file 0600). The file is opened without following a symbolic link
//! (`O_NOFOLLOW`), so a link planted at that name cannot make chatterm append to
//! another file; with a link there, the message is dropped.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The log's file name in the data directory.
pub const FILE_NAME: &str = "chatterm-panics.log";

/// `chatterm-panics.log` in the data directory (`$CHATTERM_DATA_DIR`, else the
/// platform's), or `None` when there is no data directory.
pub fn path() -> Option<PathBuf> {
    crate::store::data_dir(&|k| std::env::var(k).ok()).map(|d| d.join(FILE_NAME))
}

/// Appends one line, `time: message`, to the log at `path`, creating it (and its
/// directory) private to the user. Fails on a symbolic link at `path`.
pub fn append(path: &Path, message: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(nix::libc::O_NOFOLLOW);
    }
    let line = format!("{:?}: {message}\n", std::time::SystemTime::now());
    options.open(path)?.write_all(line.as_bytes())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn appends_to_a_private_file_in_a_private_dir() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("data").join(FILE_NAME);
        append(&log, "first").unwrap();
        append(&log, "second").unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            text.contains(": first\n") && text.ends_with(": second\n"),
            "{text}"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&log), 0o600);
        assert_eq!(mode(log.parent().unwrap()), 0o700);
    }

    #[test]
    fn a_symlink_at_the_log_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        std::fs::write(&target, "untouched").unwrap();
        let log = dir.path().join(FILE_NAME);
        std::os::unix::fs::symlink(&target, &log).unwrap();
        assert!(append(&log, "planted").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
    }
}
