//! Unit tests of the attachment kinds, headers, limits and mentions.

use std::path::Path;

use super::*;
use crate::api::ContentBlock;
use crate::tools::guard::Guard;

fn workspace(dir: &Path) -> Workspace {
    Workspace::new(dir).unwrap()
}

fn options(dir: &Path) -> LoadOptions {
    LoadOptions {
        confinement: Confinement::Explicit,
        workspace: Some(workspace(dir)),
        capabilities: Capabilities::ALL,
        model: "claude-test".into(),
        cwd: dir.to_path_buf(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn sizes_and_counts_read_as_chips_show_them() {
    assert_eq!(human_size(900), "900 B");
    assert_eq!(human_size(412_000), "412 KB");
    assert_eq!(human_size(3_100_000), "3.1 MB");
    assert_eq!(grouped(1_600), "1,600");
    assert_eq!(grouped(1_234_567), "1,234,567");
    assert_eq!(grouped(12), "12");
}

#[test]
fn a_text_file_is_one_block_with_its_path_and_range_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (1..=100).map(|i| format!("line {i}\n")).collect();
    write(dir.path(), "src/notes.md", body.as_bytes());
    let a = load("src/notes.md:10-12", &options(dir.path())).unwrap();
    assert_eq!(a.name, "src/notes.md");
    let range = Some(LineRange {
        start: 10,
        end: Some(12),
    });
    assert_eq!(a.kind, AttachmentKind::Text { range, lines: 3 });
    let blocks = a.to_blocks();
    assert_eq!(
        blocks,
        [ContentBlock::text(
            "<file path=\"src/notes.md\" lines=\"10-12\">\nline 10\nline 11\nline 12\n</file>"
        )]
    );
    let message = user_message("what is this?", std::slice::from_ref(&a));
    assert_eq!(message.content.len(), 2);
    assert_eq!(typed_text(&message.content), "what is this?");
    let info = in_message(&message.content);
    assert_eq!(info.len(), 1);
    assert_eq!(
        (info[0].name.as_str(), &info[0].kind),
        ("src/notes.md", &a.kind)
    );
    assert!(
        a.chip().starts_with("▣ src/notes.md · 23 B · ≈ "),
        "{}",
        a.chip()
    );
}

#[test]
fn a_range_past_the_end_is_refused_with_the_line_count() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", b"one\ntwo\n");
    let e = load("a.txt:5-9", &options(dir.path())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a.txt: lines 5-9 are not in the file (2 lines)"
    );
}

#[test]
fn a_png_is_a_caption_and_a_base64_image_counted_by_its_dimensions() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "shot.png", &test_files::png(1200, 800));
    let a = load("shot.png", &options(dir.path())).unwrap();
    assert_eq!(a.tokens, 1200 * 800 / 750);
    let blocks = a.to_blocks();
    assert_eq!(
        blocks[0],
        ContentBlock::text("<file path=\"shot.png\" type=\"image/png\"/>")
    );
    let json = serde_json::to_value(&blocks[1]).unwrap();
    assert_eq!(json["type"], "image");
    assert_eq!(json["source"]["type"], "base64");
    assert_eq!(json["source"]["media_type"], "image/png");
    assert_eq!(hash_block(&blocks[1]), a.hash);
    let info = in_message(&blocks);
    assert_eq!(info[0].name, "shot.png");
    assert_eq!(info[0].tokens, a.tokens);
    assert_eq!(estimate_block(&blocks[1]), Some(a.tokens));
}

#[test]
fn a_large_image_is_downscaled_to_the_recommended_size() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "big.jpg", &test_files::jpeg(3000, 2000));
    let a = load("big.jpg", &options(dir.path())).unwrap();
    let AttachmentKind::Image {
        media_type,
        width,
        height,
        downscaled_from,
    } = &a.kind
    else {
        panic!("{:?}", a.kind)
    };
    assert_eq!(media_type, "image/jpeg");
    assert_eq!(*downscaled_from, Some((3000, 2000)));
    assert!(*width <= limits::RECOMMENDED_IMAGE_SIDE, "{width}");
    assert!(u64::from(*width) * u64::from(*height) <= limits::RECOMMENDED_IMAGE_PIXELS);
    // The aspect ratio is kept (to the pixel).
    assert!((f64::from(*width) / f64::from(*height) - 1.5).abs() < 0.01);
}

#[test]
fn a_pdf_is_counted_by_pages_and_limits_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "spec.pdf", &test_files::pdf(3));
    let a = load("spec.pdf", &options(dir.path())).unwrap();
    assert_eq!(a.kind, AttachmentKind::Pdf { pages: 3 });
    assert_eq!(a.tokens, 3 * limits::TOKENS_PER_PDF_PAGE);
    let json = serde_json::to_value(a.to_blocks()).unwrap();
    assert_eq!(json[1]["type"], "document");
    assert_eq!(json[1]["source"]["media_type"], "application/pdf");

    write(dir.path(), "huge.pdf", &test_files::pdf(101));
    let e = load("huge.pdf", &options(dir.path())).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("huge.pdf: 101 pages is over the API's limit of 100 pages"),
        "{e}"
    );

    let mut locked = test_files::pdf(1);
    locked.extend_from_slice(b"trailer << /Encrypt 9 0 R >>\n");
    write(dir.path(), "locked.pdf", &locked);
    let e = load("locked.pdf", &options(dir.path())).unwrap_err();
    assert!(e.to_string().contains("encrypted"), "{e}");
}

#[test]
fn other_binaries_are_refused_by_name_and_kinds_by_capability() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tool", b"\x7fELF\x02\x01\x01\0\0\0");
    let e = load("tool", &options(dir.path())).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tool: a binary file (an ELF executable) cannot be attached; only text, PNG, JPEG, GIF, WebP and PDF can"
    );
    write(dir.path(), "a.gif", &test_files::gif(10, 10));
    let mut no_images = options(dir.path());
    no_images.capabilities.images = false;
    let e = load("a.gif", &no_images).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a.gif: the model claude-test does not take image input"
    );
    assert!(matches!(
        load("missing.txt", &options(dir.path())),
        Err(AttachError::NotFound { .. })
    ));
    assert!(matches!(
        load(".", &options(dir.path())),
        Err(AttachError::Directory { .. })
    ));
}

#[test]
fn stdin_bytes_are_an_attachment_named_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let a = load_bytes("stdin", b"piped text\n".to_vec(), &options(dir.path())).unwrap();
    assert_eq!(a.name, "stdin");
    assert_eq!(
        a.to_blocks(),
        [ContentBlock::text(
            "<file path=\"stdin\">\npiped text\n</file>"
        )]
    );
}

#[test]
fn mentions_are_found_where_a_person_would_see_them() {
    let specs = |t: &str| mentions(t).into_iter().map(|m| m.spec).collect::<Vec<_>>();
    assert_eq!(specs("look at @src/main.rs, please"), ["src/main.rs"]);
    assert_eq!(specs("@a.md:10-80 and (@b.txt)"), ["a.md:10-80", "b.txt"]);
    assert_eq!(
        specs("mail me@example.com or @ alone"),
        Vec::<String>::new()
    );
    assert_eq!(specs("see @\"my notes.txt\"!"), ["my notes.txt"]);
    let m = &mentions("x @f.rs")[0];
    assert_eq!((m.start, m.end), (2, 7));
}

#[test]
fn mentions_obey_the_workspace_and_unknown_ones_stay_text() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    write(&root, "ok.txt", b"fine");
    write(&root, "secrets/key.txt", b"hidden");
    write(outer.path(), "outside.txt", b"out");
    let ws = workspace(&root).with_guard(Guard::new([root.join("secrets")]));
    let opts = LoadOptions {
        workspace: Some(ws),
        ..options(&root)
    };
    let found = resolve_mentions("read @ok.txt and @nobody and @ok.txt", &opts).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "ok.txt");
    let e = resolve_mentions("@../outside.txt", &opts).unwrap_err();
    assert!(matches!(e, AttachError::Confined { .. }), "{e}");
    let e = resolve_mentions("@secrets/key.txt", &opts).unwrap_err();
    assert!(matches!(e, AttachError::Confined { .. }), "{e}");
    // Explicitly, the same file outside is fine.
    assert!(load("../outside.txt", &opts).is_ok());
}

#[test]
fn a_request_over_the_limits_is_refused_before_sending() {
    let mut request = crate::api::MessagesRequest::new("m", 10, vec![]);
    request.messages.push(crate::api::Message::user_text(
        "x".repeat(limits::MAX_REQUEST_BYTES as usize + 1),
    ));
    let e = limits::check_request(&request).unwrap_err();
    assert!(matches!(e, AttachError::RequestTooLarge { .. }), "{e}");
}

#[test]
fn the_page_counter_falls_back_to_the_page_tree_count() {
    let compressed = b"%PDF-1.5\n2 0 obj << /Type /Pages /Count 7 /Kids [] >> endobj\n";
    assert_eq!(pdf::pages(compressed), 7);
    assert_eq!(pdf::pages(b"%PDF-1.7\nnothing readable"), 1);
}
