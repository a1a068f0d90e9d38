use super::*;

use crate::tui::test_support::{dark, rows};

fn labels(n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| format!("▣ file{i}.png · 4 KB · ≈ 100 tokens"))
        .collect()
}

fn draw(labels: &[String], width: u16) -> Vec<String> {
    let area = Rect::new(0, 0, width, chip_rows(labels, width));
    let mut buf = Buffer::empty(area);
    render_chips(labels, area, &mut buf, &dark());
    rows(&buf)
}

#[test]
fn chips_flow_and_wrap_and_a_click_finds_the_chip_drawn_there() {
    let chips = labels(3);
    let w = str_width(&chips[0]) as u16;
    // Two fit on a row of 80; the third wraps.
    assert_eq!(chip_rows(&chips, 80), 2);
    assert_eq!(chip_at(&chips, 80, 0, 0), Some(0));
    assert_eq!(chip_at(&chips, 80, w + GAP, 0), Some(1));
    assert_eq!(chip_at(&chips, 80, w, 0), None, "the gap is no chip");
    assert_eq!(chip_at(&chips, 80, 3, 1), Some(2));
    assert_eq!(chip_at(&chips, 80, 3, 2), None);
    assert_eq!(chip_rows(&[], 80), 0);
}

#[test]
fn too_many_chips_end_in_a_count() {
    let chips = labels(9);
    assert_eq!(chip_rows(&chips, 80), MAX_CHIP_ROWS);
    let places = chip_places(&chips, 80);
    let more = places.last().unwrap();
    assert_eq!(more.index, None);
    let shown = places.iter().filter(|p| p.index.is_some()).count();
    let drawn = draw(&chips, 80).join("\n");
    assert!(drawn.contains(&format!("+{} more", 9 - shown)), "{drawn}");
    // A chip wider than the screen is cut, never drawn past the edge.
    let drawn = draw(&chips, 20);
    assert!(drawn.iter().all(|r| str_width(r) <= 20));
}

#[test]
fn snapshot_chips() {
    let chips = vec![
        "▣ screenshot.png · 412 KB · ≈ 1,600 tokens".to_owned(),
        "▣ design.pdf · 2.1 MB · ≈ 4,500 tokens".to_owned(),
        "▣ src/main.rs · 9 KB · ≈ 2,300 tokens".to_owned(),
    ];
    for width in [100, 50] {
        insta::assert_snapshot!(format!("chips_{width}"), draw(&chips, width).join("\n"));
    }
}

/// The whole screen while composing: two chips and a paste offer above the input, and
/// the mention popup over the conversation.
#[test]
fn snapshot_composing_with_attachments() {
    use crate::attach::{LoadOptions, load_bytes};
    use crate::tui::app::attach::AttachOptions;
    use crate::tui::test_support::{options, screen, type_text};

    let dir = tempfile::tempdir().unwrap();
    for path in ["src/main.rs", "src/lib.rs", "Makefile"] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x\n").unwrap();
    }
    let workspace = crate::tools::workspace::Workspace::new(dir.path()).unwrap();
    let attach = AttachOptions::for_workspace(Some(workspace), None, Default::default());
    assert!(
        attach
            .index
            .as_ref()
            .unwrap()
            .wait(std::time::Duration::from_secs(20))
    );
    let mut app = crate::tui::app::App::new(crate::tui::app::AppOptions {
        attach: Some(attach),
        sidebar: false,
        ..options()
    });
    let load = |name: &str, text: &str| {
        load_bytes(name, text.as_bytes().to_vec(), &LoadOptions::explicit(None)).unwrap()
    };
    app.add_pending(load("notes.md", &"note\n".repeat(300)));
    app.add_pending(load("trace.log", "panicked at main.rs:3\n"));
    app.paste("/tmp/report.txt");
    app.paste_loaded(
        "/tmp/report.txt".into(),
        Ok(load("/tmp/report.txt", "r")),
        crate::tui::test_support::now(),
    );
    type_text(&mut app, " about @ma");
    insta::assert_snapshot!("composing_80", screen(&mut app, 80, 16));
}
