//! The workspace root: the one directory the built-in tools may touch, and path checks.
//!
//! Every path a model gives a built-in tool goes through [`Workspace::resolve`] or
//! [`Workspace::resolve_for_write`] before anything is opened. The rules:
//!
//! - a `..` component is refused outright, even one that would stay inside: it is never
//!   needed (paths are relative to the root) and lexical `..` after a symlink means
//!   something else to the OS than it seems to, so refusing it is simpler than reasoning
//!   about it;
//! - relative paths are taken from the root; an absolute path is accepted only if it lies
//!   inside the root;
//! - the path is canonicalised (symlinks resolved) and must still lie inside the
//!   canonical root, so a symlink that points out is refused, named, with its target;
//! - for a path that does not exist yet (`write_file`), the deepest existing ancestor is
//!   canonicalised and checked, and the missing rest must be plain names; a dangling
//!   symlink is refused, since writing through it would create its target wherever it
//!   points.
//!
//! Inside the root, the [`Guard`]'s directories (credentials, chatterm's own data) are
//! refused by [`Workspace::resolve`] and [`Workspace::resolve_for_write`] too, and
//! [`Workspace::guarded`] lets a walk skip them. The workspace also carries the names a
//! child process may inherit despite looking like credentials (`tools.env_passthrough`).
//!
//! Every refusal is a [`PathError`] whose text names the path and says why, for the model
//! to act on. The checks are made before the operation, so a process racing to swap a
//! directory for a symlink in between is not defended against; the guard is against a
//! model wandering off, not against a hostile local user.

use std::io;
use std::path::{Component, Path, PathBuf};

use super::guard::Guard;

/// A refused or unusable path, worded for the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PathError(pub String);

/// The canonical workspace root and the policy the tools in it follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
    guard: Guard,
    env_passthrough: Vec<String>,
}

impl Workspace {
    /// The root `dir`, which must be an existing directory.
    pub fn new(dir: &Path) -> io::Result<Workspace> {
        let root = std::fs::canonicalize(dir)?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(Workspace {
            root,
            guard: Guard::none(),
            env_passthrough: Vec::new(),
        })
    }

    /// The same root with `guard`'s directories refused.
    pub fn with_guard(self, guard: Guard) -> Workspace {
        Workspace { guard, ..self }
    }

    /// The same root, letting children inherit these credential-like variables.
    pub fn with_env_passthrough(self, names: Vec<String>) -> Workspace {
        Workspace {
            env_passthrough: names,
            ..self
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `tools.env_passthrough`: see [`super::env`].
    pub fn env_passthrough(&self) -> &[String] {
        &self.env_passthrough
    }

    /// Whether `real` (canonical, inside the root) lies in a guarded directory.
    pub fn guarded(&self, real: &Path) -> bool {
        self.guard.covering(real).is_some()
    }

    /// An existing path inside the root, canonicalised.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, PathError> {
        let candidate = self.candidate(path)?;
        match std::fs::canonicalize(&candidate) {
            Ok(real) => self.inside(path, &candidate, real),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if is_symlink(&candidate) {
                    return Err(dangling(path));
                }
                Err(PathError(format!(
                    "{path:?} does not exist (paths are relative to the workspace root; \
                     list_directory shows what is there)"
                )))
            }
            Err(e) => Err(PathError(format!("cannot access {path:?}: {e}"))),
        }
    }

    /// A path to write inside the root: either an existing file, or a new one whose
    /// existing ancestors are all inside the root. The result's missing directories are
    /// for the caller to create.
    pub fn resolve_for_write(&self, path: &str) -> Result<PathBuf, PathError> {
        let candidate = self.candidate(path)?;
        let mut existing = candidate.as_path();
        let mut missing: Vec<&std::ffi::OsStr> = Vec::new();
        // symlink_metadata, not exists(): a dangling symlink is there and must stop the walk.
        while std::fs::symlink_metadata(existing).is_err() {
            let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                return Err(PathError(format!(
                    "{path:?} has no existing parent directory"
                )));
            };
            missing.push(name);
            existing = parent;
        }
        let real = match std::fs::canonicalize(existing) {
            Ok(real) => self.inside(path, existing, real)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(dangling(path)),
            Err(e) => return Err(PathError(format!("cannot access {path:?}: {e}"))),
        };
        if !missing.is_empty() && !real.is_dir() {
            let shown = self.display(&real);
            return Err(PathError(format!(
                "cannot create {path:?}: {shown:?} is a file, not a directory"
            )));
        }
        Ok(missing.iter().rev().fold(real, |p, name| p.join(name)))
    }

    /// `abs` as the model should see it: relative to the root, `/`-separated, `.` for the
    /// root itself.
    pub fn display(&self, abs: &Path) -> String {
        match abs.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => abs.display().to_string(),
        }
    }

    /// The path joined to the root, after the lexical checks.
    fn candidate(&self, path: &str) -> Result<PathBuf, PathError> {
        if path.trim().is_empty() {
            return Err(PathError(
                "the path is empty; give a path relative to the workspace root, or \".\" for \
                 the root itself"
                    .into(),
            ));
        }
        if path.contains('\0') {
            return Err(PathError(format!("{path:?} contains a NUL character")));
        }
        let p = Path::new(path);
        if p.components().any(|c| c == Component::ParentDir) {
            return Err(PathError(format!(
                "{path:?} is refused: paths may not contain \"..\"; tools can only reach \
                 files inside the workspace root, so give the path relative to it"
            )));
        }
        Ok(self.root.join(p))
    }

    /// `real` (the canonical form of `candidate`) if it is inside the root and not guarded.
    fn inside(&self, path: &str, candidate: &Path, real: PathBuf) -> Result<PathBuf, PathError> {
        if let Some(dir) = self.guard.covering(&real) {
            return Err(PathError(format!(
                "{path:?} is refused: it is inside {}, which holds credentials or chatterm's \
                 own data; the tools never go there unless the user sets \
                 tools.allow_secret_dirs = true",
                dir.display()
            )));
        }
        if real.starts_with(&self.root) {
            return Ok(real);
        }
        let root = self.root.display();
        let through_link = candidate
            .ancestors()
            .take_while(|a| a.starts_with(&self.root) && *a != self.root)
            .any(is_symlink);
        let why = if through_link {
            format!(
                "it leads through a symbolic link to {}, which is outside the workspace root {root}",
                real.display()
            )
        } else {
            format!("it is outside the workspace root {root}")
        };
        Err(PathError(format!(
            "{path:?} is refused: {why}; tools can only reach files inside the root"
        )))
    }
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

fn dangling(path: &str) -> PathError {
    PathError(format!(
        "{path:?} is refused: it is (or goes through) a symbolic link whose target does not exist"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/sub")).unwrap();
        std::fs::write(dir.path().join("root/sub/a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        let ws = Workspace::new(&dir.path().join("root")).unwrap();
        (dir, ws)
    }

    #[test]
    fn relative_and_inside_absolute_paths_resolve() {
        let (_dir, ws) = setup();
        let a = ws.resolve("sub/a.txt").unwrap();
        assert_eq!(a, ws.root().join("sub/a.txt"));
        assert_eq!(ws.resolve("./sub/./a.txt").unwrap(), a);
        let abs = a.to_string_lossy().into_owned();
        assert_eq!(ws.resolve(&abs).unwrap(), a);
        assert_eq!(ws.display(&a), "sub/a.txt");
        assert_eq!(ws.display(&ws.resolve(".").unwrap()), ".");
    }

    #[test]
    fn parent_components_are_refused_even_inside() {
        let (_dir, ws) = setup();
        for path in ["../secret.txt", "sub/../sub/a.txt", "sub/../../secret.txt"] {
            let err = ws.resolve(path).unwrap_err().to_string();
            assert!(err.contains(&format!("{path:?} is refused")), "{err}");
            assert!(err.contains("\"..\""), "{err}");
            assert!(ws.resolve_for_write(path).is_err());
        }
    }

    #[test]
    fn absolute_paths_outside_are_refused() {
        let (dir, ws) = setup();
        let outside = dir.path().join("secret.txt").to_string_lossy().into_owned();
        let err = ws.resolve(&outside).unwrap_err().to_string();
        assert!(err.contains("outside the workspace root"), "{err}");
        assert!(err.contains(&format!("{outside:?}")), "{err}");
        let new = dir.path().join("new.txt").to_string_lossy().into_owned();
        assert!(ws.resolve_for_write(&new).is_err());
    }

    #[test]
    fn missing_paths_and_empty_paths_say_so() {
        let (_dir, ws) = setup();
        let err = ws.resolve("nope.txt").unwrap_err().to_string();
        assert!(err.contains("\"nope.txt\" does not exist"), "{err}");
        let err = ws.resolve("  ").unwrap_err().to_string();
        assert!(err.contains("the path is empty"), "{err}");
    }

    #[test]
    fn new_paths_resolve_under_their_existing_ancestor() {
        let (_dir, ws) = setup();
        let p = ws.resolve_for_write("sub/new/deeper/f.txt").unwrap();
        assert_eq!(p, ws.root().join("sub/new/deeper/f.txt"));
        let existing = ws.resolve_for_write("sub/a.txt").unwrap();
        assert_eq!(existing, ws.root().join("sub/a.txt"));
        let err = ws.resolve_for_write("sub/a.txt/x").unwrap_err().to_string();
        assert!(err.contains("is a file, not a directory"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        use std::os::unix::fs::symlink;
        let (dir, ws) = setup();
        symlink(dir.path().join("secret.txt"), ws.root().join("leak")).unwrap();
        symlink(dir.path(), ws.root().join("up")).unwrap();
        symlink(ws.root().join("sub/a.txt"), ws.root().join("fine")).unwrap();
        symlink(dir.path().join("missing"), ws.root().join("dangling")).unwrap();

        let err = ws.resolve("leak").unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(err.contains("secret.txt"), "{err}");
        assert!(ws.resolve("up/secret.txt").is_err());
        assert!(ws.resolve_for_write("leak").is_err());
        assert!(ws.resolve_for_write("up/new.txt").is_err());
        // A link that stays inside is fine.
        assert_eq!(ws.resolve("fine").unwrap(), ws.root().join("sub/a.txt"));
        // Writing through a dangling link would create its target outside.
        let err = ws.resolve_for_write("dangling").unwrap_err().to_string();
        assert!(err.contains("target does not exist"), "{err}");
        assert!(ws.resolve_for_write("dangling/x").is_err());
        assert!(ws.resolve("dangling").is_err());
    }

    #[test]
    fn the_root_must_be_a_directory() {
        let (dir, _ws) = setup();
        assert!(Workspace::new(&dir.path().join("secret.txt")).is_err());
        assert!(Workspace::new(&dir.path().join("nope")).is_err());
    }
}
