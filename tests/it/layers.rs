//! The module layering the architecture promises, checked on the source: `config` builds
//! the settings of `cost` and `tools`, so neither of those may name `config` (that was a
//! cycle), and `domain`, the vocabulary below them all, names none of the three.

use std::path::Path;

/// Files under `src/<dir>` (or the file `src/<dir>`) whose text contains `needle`.
fn naming(dir: &str, needle: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .filter(|path| std::fs::read_to_string(path).unwrap().contains(needle))
        .map(|path| path.display().to_string())
        .collect()
}

#[test]
fn tools_and_cost_do_not_depend_on_config() {
    for dir in ["tools", "cost"] {
        let offenders = naming(dir, "crate::config");
        assert!(
            offenders.is_empty(),
            "src/{dir} names crate::config (a module cycle): {offenders:?}"
        );
    }
}

#[test]
fn domain_sits_below_config_tools_and_cost() {
    for module in ["config", "tools", "cost"] {
        let offenders = naming("domain.rs", &format!("crate::{module}"));
        assert!(offenders.is_empty(), "src/domain.rs names crate::{module}");
    }
}
