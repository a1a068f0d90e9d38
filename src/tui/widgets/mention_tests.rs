use super::*;

use crate::tui::test_support::{dark, rows};

fn ready(paths: &[&str]) -> Vec<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

fn popup(query: &str, paths: Vec<String>) -> MentionPopup {
    let mut p = MentionPopup::default();
    p.show(Some(query), paths, false);
    p
}

fn draw(p: &MentionPopup, width: u16) -> Vec<String> {
    let area = Rect::new(0, 0, width.min(p.width()), p.height());
    let mut buf = Buffer::empty(area);
    p.render(area, &mut buf, &dark());
    rows(&buf)
}

fn snap(name: &str, p: &MentionPopup) {
    for width in [80, 20] {
        insta::assert_snapshot!(format!("{name}_{width}"), draw(p, width).join("\n"));
    }
}

#[test]
fn the_selection_follows_its_path_and_wraps() {
    let mut p = popup("ma", ready(&["src/main.rs", "Makefile", "docs/manual.md"]));
    assert!(p.has_choice());
    p.select_next();
    assert_eq!(p.selected_path(), Some("Makefile"));
    // Narrowing keeps the same path selected, wherever it moved.
    p.show(Some("mak"), ready(&["Makefile", "src/make.rs"]), false);
    assert_eq!(p.selected_path(), Some("Makefile"));
    p.select_prev();
    assert_eq!(p.selected_path(), Some("src/make.rs"));
    p.select_next();
    assert_eq!(p.selected_path(), Some("Makefile"));
}

#[test]
fn esc_closes_until_the_query_changes_and_leaving_the_mention_closes() {
    let mut p = popup("ma", ready(&["src/main.rs"]));
    p.dismiss();
    assert!(!p.is_open());
    p.show(Some("ma"), ready(&["src/main.rs"]), false);
    assert!(!p.is_open(), "the same query stays closed");
    p.show(Some("mai"), ready(&["src/main.rs"]), false);
    assert!(p.is_open());
    p.show(None, ready(&["src/main.rs"]), false);
    assert!(!p.is_open());
    assert_eq!(p.height(), 0);
}

#[test]
fn an_exact_single_match_leaves_nothing_to_complete() {
    let p = popup("src/main.rs", ready(&["src/main.rs"]));
    assert!(!p.is_open());
    let p = popup("src/main", ready(&["src/main.rs"]));
    assert!(p.is_open());
}

#[test]
fn while_indexing_the_popup_says_so_and_takes_no_keys() {
    let mut p = MentionPopup::default();
    p.show(Some(""), Vec::new(), true);
    assert!(p.is_open());
    assert!(p.is_indexing());
    assert!(!p.has_choice(), "Enter still sends while the index walks");
    assert!(draw(&p, 80).join("\n").contains("indexing…"));
    let p = popup("zzz", ready(&[]));
    assert!(!p.has_choice());
    assert!(draw(&p, 80).join("\n").contains("no file matches"));
}

#[test]
fn long_paths_keep_their_file_name_and_escapes_are_not_drawn() {
    assert_eq!(fit_path("a/very/long/path/to/main.rs", 12), "…/to/main.rs");
    assert_eq!(fit_path("short.rs", 12), "short.rs");
    let p = popup("x", ready(&["evil\u{1b}[31mred.txt"]));
    let drawn = draw(&p, 80).join("\n");
    assert!(!drawn.contains('\u{1b}'));
    assert!(drawn.contains("red.txt"));
}

#[test]
fn snapshot_mention_matches() {
    let paths: Vec<String> = (1..=12)
        .map(|i| format!("src/module_{i:02}/main.rs"))
        .collect();
    let mut p = MentionPopup::default();
    p.show(Some("main"), paths, false);
    p.select_next();
    snap("mention_matches", &p);
}

#[test]
fn snapshot_mention_indexing() {
    let mut p = MentionPopup::default();
    p.show(Some("sr"), Vec::new(), true);
    snap("mention_indexing", &p);
    // Matches among the files found so far show while the walk goes on.
    p.show(Some("sr"), ready(&["src/lib.rs", "src/main.rs"]), true);
    snap("mention_partial", &p);
}
