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
