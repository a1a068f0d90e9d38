//! The secret-directory guard: places the read-only tools never look, even inside the root.
//!
//! `read_file`, `list_directory` and `search_files` run without approval, so a workspace
//! root at the home directory (or `/`) would let a model read `~/.ssh` or `~/.aws` without
//! anyone being asked. The guard refuses every path inside [`Guard::for_user`]'s list
//! (to every built-in that takes a path, `write_file` included, as it is checked in
//! [`super::workspace::Workspace`]):
//! `~/.ssh`, `~/.aws`, `~/.gnupg`, `~/.config/gcloud`, and chatterm's own config and data
//! directories (the conversation store, the config that may name tools). `search_files`
//! skips them while walking. `tools.allow_secret_dirs = true` turns the guard off.
//!
//! Directories are compared in canonical form, as the workspace resolves paths: a
//! symlinked `~/.ssh` is guarded where it really is. A directory that does not exist is
//! kept as written, so one created later is still covered.

use std::path::{Path, PathBuf};

/// Under the home directory: where credentials usually live.
const HOME_SECRETS: &[&str] = &[".ssh", ".aws", ".gnupg", ".config/gcloud"];

/// The directories the read-only tools refuse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guard {
    dirs: Vec<PathBuf>,
}

impl Guard {
    /// No guard (`tools.allow_secret_dirs = true`).
    pub fn none() -> Guard {
        Guard::default()
    }

    /// Guards exactly `dirs`.
    pub fn new(dirs: impl IntoIterator<Item = PathBuf>) -> Guard {
        let dirs = dirs
            .into_iter()
            .map(|d| std::fs::canonicalize(&d).unwrap_or(d))
            .collect();
        Guard { dirs }
    }

    /// The credential directories under `home` and chatterm's `own` directories (config
    /// and data).
    pub fn for_user(home: Option<&Path>, own: impl IntoIterator<Item = PathBuf>) -> Guard {
        let under_home = home
            .into_iter()
            .flat_map(|h| HOME_SECRETS.iter().map(move |s| h.join(s)));
        Guard::new(under_home.chain(own))
    }

    /// [`Guard::for_user`] for the user running chatterm: `$HOME`, the default config
    /// directory and the data directory (`$CHATTERM_DATA_DIR` included).
    pub fn for_this_user() -> Guard {
        let own = [
            crate::domain::config_dir(),
            crate::store::data_dir(&|k| std::env::var(k).ok()),
        ];
        Guard::for_user(home_dir().as_deref(), own.into_iter().flatten())
    }

    /// The guarded directory that holds `real` (a canonical path), if any.
    pub fn covering(&self, real: &Path) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|d| real.starts_with(d))
            .map(PathBuf::as_path)
    }
}

/// The user's home directory, as the platform reports it (`$HOME` on Unix).
pub fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
}

/// The one-line warning for a workspace root that exposes a whole home directory or the
/// whole file system, or `None` for an ordinary root.
pub fn root_warning(root: &Path, home: Option<&Path>) -> Option<String> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let root = canonical(root);
    let what = if root.parent().is_none() {
        "the whole file system (/)"
    } else if home.is_some_and(|h| canonical(h) == root) {
        "your home directory"
    } else {
        return None;
    };
    Some(format!(
        "the tools' workspace root is {what}: the model can read any file under it \
         (credential and chatterm directories excepted); set tools.root or start chatterm \
         in a project directory"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_covers_credential_dirs_and_chatterm_own() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        std::fs::create_dir_all(h.join(".ssh")).unwrap();
        std::fs::create_dir_all(h.join("project")).unwrap();
        let guard = Guard::for_user(Some(h), [h.join(".local/share/chatterm")]);
        let real = std::fs::canonicalize(h).unwrap();
        assert!(guard.covering(&real.join(".ssh/id_ed25519")).is_some());
        assert!(guard.covering(&real.join(".ssh")).is_some());
        assert!(guard.covering(&h.join(".aws/credentials")).is_some());
        assert!(guard.covering(&h.join(".config/gcloud/x")).is_some());
        assert!(
            guard
                .covering(&h.join(".local/share/chatterm/chatterm.db"))
                .is_some()
        );
        assert!(guard.covering(&real.join("project/a.rs")).is_none());
        assert!(guard.covering(&real.join(".sshd")).is_none());
        assert!(Guard::none().covering(&real.join(".ssh")).is_none());
    }

    #[test]
    fn a_root_at_home_or_slash_is_named() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let at_home = root_warning(h, Some(h)).unwrap();
        assert!(at_home.contains("your home directory"), "{at_home}");
        let at_slash = root_warning(Path::new("/"), Some(h)).unwrap();
        assert!(at_slash.contains("whole file system"), "{at_slash}");
        std::fs::create_dir_all(h.join("p")).unwrap();
        assert_eq!(root_warning(&h.join("p"), Some(h)), None);
    }
}
