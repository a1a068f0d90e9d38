//! Tests of the file index, the fuzzy filter and the project instructions.

use std::path::Path;
use std::time::Duration;

use super::fuzzy::filter;
use super::instructions::{ProjectInstructions, join_system};
use super::*;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn paths(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_filter_ranks_path_boundaries_first_and_gives_positions() {
    let all = paths(&[
        "docs/readme.md",
        "src/main.rs",
        "src/mainframe/io.rs",
        "tests/it/main.rs",
    ]);
    let found = filter(&all, "main", 10);
    let names: Vec<&str> = found.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(names[0], "src/main.rs");
    assert!(!names.contains(&"docs/readme.md"));
    assert_eq!(found[0].positions, [4, 5, 6, 7]);
    assert_eq!(filter(&all, "", 2).len(), 2);
    assert!(filter(&all, "zzz", 10).is_empty());
}

#[test]
fn the_index_respects_gitignore_and_narrows_as_the_query_grows() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", "target/\n*.log\n");
    write(root, "src/lib.rs", "");
    write(root, "src/attach/index.rs", "");
    write(root, "target/debug/index.rs", "");
    write(root, "run.log", "");
    write(root, ".hidden/secret.rs", "");
    let index = FileIndex::spawn(&Workspace::new(root).unwrap());
    assert!(index.wait(Duration::from_secs(20)));
    let everything: Vec<String> = index.filter("", 100).into_iter().map(|m| m.path).collect();
    // Hidden files (.gitignore itself, .hidden/) and ignored ones are left out.
    assert_eq!(everything, ["src/attach/index.rs", "src/lib.rs"]);
    // Typing on: each query's answer equals a fresh full filter's.
    for query in ["i", "in", "ind", "inde", "index", "ind", "l"] {
        let narrowed: Vec<String> = index
            .filter(query, 10)
            .into_iter()
            .map(|m| m.path)
            .collect();
        let full: Vec<String> = filter(&everything, query, 10)
            .into_iter()
            .map(|m| m.path)
            .collect();
        assert_eq!(narrowed, full, "{query}");
    }
}

#[test]
fn instructions_come_from_the_root_up_to_the_repository_outermost_first() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    write(&repo, ".git/HEAD", "ref: refs/heads/main\n");
    write(&repo, "AGENTS.md", "Use tabs.\n");
    write(&repo, "app/CLAUDE.md", "Run make test.\n");
    write(
        dir.path(),
        "AGENTS.md",
        "outside the repository: never read\n",
    );
    let found = ProjectInstructions::find(&repo.join("app"));
    assert_eq!(found.label(), "../AGENTS.md + CLAUDE.md");
    assert_eq!(
        found.text(),
        "<project_instructions path=\"../AGENTS.md\">\nUse tabs.\n</project_instructions>\n\n\
         <project_instructions path=\"CLAUDE.md\">\nRun make test.\n</project_instructions>"
    );
    assert!(found.tokens() > 0);
    let joined = join_system(Some("Be brief."), &found).unwrap();
    assert!(
        joined.starts_with("Be brief.\n\n<project_instructions"),
        "{joined}"
    );
    assert_eq!(join_system(None, &ProjectInstructions::default()), None);
}

#[test]
fn without_a_repository_only_the_workspace_root_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "AGENTS.md", "parent\n");
    let root = dir.path().join("work");
    std::fs::create_dir_all(&root).unwrap();
    assert!(ProjectInstructions::find(&root).is_empty());
    write(&root, "CLAUDE.md", "here\n");
    assert_eq!(ProjectInstructions::find(&root).label(), "CLAUDE.md");
}

#[test]
fn a_large_scan_split_between_threads_finds_exactly_the_subsequence_matches() {
    let all: Vec<String> = (0..40_000)
        .map(|i| format!("dir{}/file{i}.rs", i % 100))
        .collect();
    let masks: Vec<u64> = all.iter().map(|p| fuzzy::char_mask(p)).collect();
    let subsequence = |q: &str, p: &str| {
        let mut q = q.chars().peekable();
        for c in p.chars() {
            if q.peek() == Some(&c) {
                q.next();
            }
        }
        q.peek().is_none()
    };
    for query in ["d9f1", "f", "r7/"] {
        let found = fuzzy::Filter::default().run(&all, &masks, 0..40_000, query, 5);
        let expected: Vec<u32> = (0..40_000u32)
            .filter(|&i| subsequence(query, &all[i as usize]))
            .collect();
        assert_eq!(found.matching, expected, "{query}");
        assert_eq!(found.top.len(), 5.min(expected.len()));
    }
}
