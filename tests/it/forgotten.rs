//! The forgotten-test guard (as jj's): every `.rs` file under `tests/it/` must be reached
//! from `main.rs` by a chain of `mod` lines. A file nobody declares compiles into nothing,
//! so its tests would silently never run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The files a module file declares with `mod name;` (not inline `mod name { .. }`), per
/// Rust's rules: `main.rs` and `mod.rs` look beside themselves, `foo.rs` looks in `foo/`.
fn declared_children(file: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("main.rs" | "mod.rs" | "lib.rs") => file.parent().unwrap().to_path_buf(),
        _ => file.with_extension(""),
    };
    let mut children = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        let Some(name) = line.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) else {
            continue;
        };
        let flat = dir.join(format!("{name}.rs"));
        let nested = dir.join(name).join("mod.rs");
        children.push(if flat.exists() { flat } else { nested });
    }
    children
}

#[test]
fn every_file_under_tests_it_is_part_of_the_test_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut reached = BTreeSet::new();
    let mut queue = vec![root.join("main.rs")];
    while let Some(file) = queue.pop() {
        if reached.insert(file.clone()) {
            queue.extend(declared_children(&file));
        }
    }
    let forgotten: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter(|path| !reached.contains(path))
        .collect();
    assert!(
        forgotten.is_empty(),
        "files under tests/it/ that no `mod` line reaches (their tests never run): {forgotten:?}"
    );
}

#[test]
fn the_guard_sees_a_declared_file_and_ignores_inline_modules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.rs"),
        "mod a;\nmod tests {\n}\npub mod b;\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.rs"), "").unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    std::fs::write(dir.path().join("b/mod.rs"), "").unwrap();
    let children = declared_children(&dir.path().join("main.rs"));
    assert_eq!(
        children,
        vec![dir.path().join("a.rs"), dir.path().join("b/mod.rs")]
    );
}
