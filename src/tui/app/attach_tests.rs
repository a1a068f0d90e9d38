use std::time::Duration;

use crossterm::event::{KeyCode, MouseButton, MouseEvent, MouseEventKind};

use super::*;
use crate::attach::{AttachError, LoadOptions, load_bytes};
use crate::engine::Command;
use crate::tools::workspace::Workspace;
use crate::tui::app::attach_send::AttachRequest;
use crate::tui::app::{AppOptions, Effect};
use crate::tui::render::cells::CellKind;
use crate::tui::test_support::*;

/// A workspace with a few files, its index walked to the end.
struct Fixture {
    dir: tempfile::TempDir,
    app: App,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("src/main.rs", "fn main() {}\n"),
        ("src/lib.rs", "pub mod x;\n"),
        ("docs/notes.md", "# Notes\n"),
        ("my file.txt", "spaced\n"),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let workspace = Workspace::new(dir.path()).unwrap();
    let options = AttachOptions::for_workspace(Some(workspace), None, Default::default());
    assert!(
        options
            .index
            .as_ref()
            .unwrap()
            .wait(Duration::from_secs(20))
    );
    let app = App::new(AppOptions {
        attach: Some(options),
        ..options_no_sidebar()
    });
    Fixture { dir, app }
}

fn options_no_sidebar() -> AppOptions {
    let mut o = options();
    o.sidebar = false;
    o
}

/// A text attachment made in memory, as the loop would load it.
fn text_attachment(name: &str, text: &str) -> Attachment {
    load_bytes(name, text.as_bytes().to_vec(), &LoadOptions::explicit(None)).unwrap()
}

fn attach_requests(app: &mut App) -> Vec<AttachRequest> {
    app.take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Attach(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn at_opens_the_popup_filters_and_tab_inserts_the_path() {
    let mut f = fixture();
    type_text(&mut f.app, "look at @");
    assert!(f.app.mention_open());
    type_text(&mut f.app, "main");
    assert_eq!(f.app.attach.popup.selected_path(), Some("src/main.rs"));
    press(&mut f.app, KeyCode::Tab);
    assert_eq!(f.app.input.text(), "look at @src/main.rs ");
    assert!(!f.app.mention_open(), "the cursor left the mention");
    // Esc closes the popup and leaves the text as typed.
    type_text(&mut f.app, "@notes");
    assert!(f.app.mention_open());
    press(&mut f.app, KeyCode::Esc);
    assert!(!f.app.mention_open());
    assert!(f.app.input.text().ends_with("@notes"));
    drop(f.dir);
}

#[test]
fn enter_accepts_a_match_then_sends_with_the_file_attached() {
    let mut f = fixture();
    type_text(&mut f.app, "explain @lib");
    press(&mut f.app, KeyCode::Down);
    press(&mut f.app, KeyCode::Up);
    press(&mut f.app, KeyCode::Enter);
    assert_eq!(f.app.input.text(), "explain @src/lib.rs ");
    assert!(
        attach_requests(&mut f.app).is_empty(),
        "Enter only completed"
    );
    press(&mut f.app, KeyCode::Enter);
    let requests = attach_requests(&mut f.app);
    let [AttachRequest::Send { text, attachments }] = &requests[..] else {
        panic!("{requests:?}")
    };
    let (text, attachments) = (text.clone(), attachments.clone());
    assert!(attachments.is_empty(), "no chips were pending");
    assert_eq!(&*text, "explain @src/lib.rs ");
    // The loop resolves the mention; the app sends it with its chip.
    let options = f.app.attach_load_options().unwrap().mention();
    let found = crate::attach::resolve_mentions(&text, &options);
    f.app.mentions_resolved(text, attachments, found);
    let sent = engine_commands(&mut f.app);
    let [Command::SendAttached { text, attachments }] = &sent[..] else {
        panic!("{sent:?}")
    };
    assert_eq!(text, "explain @src/lib.rs ");
    assert_eq!(attachments[0].name, "src/lib.rs");
    let shown = user_cells(&f.app);
    assert!(shown[0].starts_with("▣ src/lib.rs · "), "{shown:?}");
    assert!(
        shown[0].ends_with(" tokens\nexplain @src/lib.rs "),
        "{shown:?}"
    );
}

#[test]
fn a_path_with_spaces_is_quoted_and_attach_completes_paths() {
    let mut f = fixture();
    type_text(&mut f.app, "@my");
    press(&mut f.app, KeyCode::Tab);
    assert_eq!(f.app.input.text(), "@\"my file.txt\" ");
    f.app.input.clear();
    type_text(&mut f.app, "/attach notes");
    assert!(f.app.mention_open(), "/attach completes workspace paths");
    press(&mut f.app, KeyCode::Tab);
    assert_eq!(f.app.input.text(), "/attach docs/notes.md ");
}

fn user_cells(app: &App) -> Vec<String> {
    app.conversation
        .cells()
        .iter()
        .filter_map(|c| match &c.kind {
            CellKind::User(t) => Some(t.shown(false)),
            _ => None,
        })
        .collect()
}

#[test]
fn attach_adds_chips_and_backspace_at_the_start_removes_the_last() {
    let mut app = App::new(AppOptions {
        attach: Some(AttachOptions::for_workspace(None, None, Default::default())),
        ..options()
    });
    type_text(&mut app, "/attach a.md \"b c.md\"");
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        attach_requests(&mut app),
        [AttachRequest::Files(vec!["a.md".into(), "b c.md".into()])]
    );
    let missing = AttachError::NotFound {
        name: "b c.md".into(),
    };
    app.files_loaded(
        vec![Ok(text_attachment("a.md", "aaa")), Err(missing)],
        now(),
    );
    assert_eq!(app.chip_labels().len(), 1);
    assert!(screen(&mut app, 80, 20).contains("▣ a.md · 3 B"));
    assert!(screen(&mut app, 80, 20).contains("not attached: b c.md: no such file"));
    // Backspace with text before the cursor edits the text; at the start it takes a chip.
    type_text(&mut app, "x");
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.chip_labels().len(), 1);
    press(&mut app, KeyCode::Backspace);
    assert!(app.chip_labels().is_empty());
}

#[test]
fn a_click_on_a_chip_removes_it() {
    let mut app = App::new(AppOptions {
        attach: Some(AttachOptions::for_workspace(None, None, Default::default())),
        ..options_no_sidebar()
    });
    app.files_loaded(
        vec![
            Ok(text_attachment("one.md", "1")),
            Ok(text_attachment("two.md", "2")),
        ],
        now(),
    );
    draw(&mut app, 80, 20);
    let area = app.attach.chips_area.unwrap();
    let second = str_width_of(&app.chip_labels()[0]) + 3;
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: area.x + second,
        row: area.y,
        modifiers: crossterm::event::KeyModifiers::NONE,
    };
    app.on_mouse(&click);
    assert_eq!(app.attach.pending.len(), 1);
    assert_eq!(app.attach.pending[0].name, "one.md");
}

fn str_width_of(s: &str) -> u16 {
    crate::tui::render::wrap::str_width(s) as u16
}

#[test]
fn a_pasted_path_is_offered_and_tab_attaches_it() {
    let mut app = App::new(AppOptions {
        attach: Some(AttachOptions::for_workspace(None, None, Default::default())),
        ..options()
    });
    type_text(&mut app, "see ");
    app.on_paste("/tmp/notes.md\n");
    let [AttachRequest::Pasted { text, path }] = &attach_requests(&mut app)[..] else {
        panic!("no offer asked for")
    };
    assert_eq!(path, std::path::Path::new("/tmp/notes.md"));
    app.paste_loaded(
        text.clone(),
        Ok(text_attachment("/tmp/notes.md", "n")),
        now(),
    );
    assert!(screen(&mut app, 80, 20).contains("attach /tmp/notes.md · 1 B"));
    // Typed letters never attach: only Tab does.
    type_text(&mut app, " ok");
    assert!(app.attach.pending.is_empty());
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.attach.pending.len(), 1);
    assert_eq!(app.input.text(), "see \n ok");
    assert!(app.attach.offer.is_none());
    // Esc declines an offer; while an answer streams it interrupts instead.
    start_turn(&mut app, "q", "m");
    app.on_paste("/tmp/other.md");
    app.paste_loaded(
        "/tmp/other.md".into(),
        Ok(text_attachment("o.md", "o")),
        now(),
    );
    assert!(app.attach.offer.is_some());
    press(&mut app, KeyCode::Esc);
    assert!(app.attach.offer.is_some(), "Esc interrupted instead");
    assert!(!app.is_busy());
    press(&mut app, KeyCode::Esc);
    assert!(app.attach.offer.is_none());
    app.take_effects();
    // Prose is never offered; a path to nothing stays text without a word.
    app.on_paste("just words");
    assert!(attach_requests(&mut app).is_empty());
    let gone = AttachError::NotFound { name: "/x".into() };
    app.paste_loaded("/x".into(), Err(gone), now());
    assert!(app.attach.offer.is_none());
}

#[test]
fn a_refused_mention_sends_nothing_and_loses_nothing() {
    let mut f = fixture();
    f.app.add_pending(text_attachment("kept.md", "k"));
    type_text(&mut f.app, "read @src/main.rs");
    press(&mut f.app, KeyCode::Enter);
    let [AttachRequest::Send { text, attachments }] = &attach_requests(&mut f.app)[..] else {
        panic!("not held for its mentions")
    };
    assert_eq!(attachments.len(), 1, "the pending chip goes with it");
    let refused = AttachError::Binary {
        name: "src/main.rs".into(),
        what: "ELF".into(),
    };
    f.app
        .mentions_resolved(text.clone(), attachments.clone(), Err(refused));
    assert!(engine_commands(&mut f.app).is_empty());
    assert_eq!(f.app.input.text(), "read @src/main.rs");
    assert_eq!(f.app.attach.pending.len(), 1, "the chips stay");
    assert!(screen(&mut f.app, 80, 20).contains("not sent: src/main.rs: a binary file"));
}

#[test]
fn plain_messages_go_straight_to_the_engine() {
    let mut f = fixture();
    type_text(&mut f.app, "mail me@example.com");
    press(&mut f.app, KeyCode::Enter);
    assert_eq!(
        engine_commands(&mut f.app),
        [Command::Send("mail me@example.com".into())]
    );
}

#[test]
fn instructions_show_in_full_and_name_themselves_in_the_sidebar() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("AGENTS.md"),
        "Use tabs.\n\u{1b}[31mno escapes",
    )
    .unwrap();
    let found = crate::attach::ProjectInstructions::find(dir.path());
    let mut app = App::new(AppOptions {
        attach: Some(AttachOptions::for_workspace(None, None, found)),
        ..options()
    });
    assert!(
        app.instructions_line()
            .unwrap()
            .starts_with("AGENTS.md · ≈ ")
    );
    type_text(&mut app, "/instructions");
    press(&mut app, KeyCode::Enter);
    let shown = screen(&mut app, 100, 30);
    assert!(shown.contains("Use tabs."), "{shown}");
    assert!(
        shown.contains("+ AGENTS.md · ≈"),
        "the sidebar names it: {shown}"
    );
    assert!(!shown.contains('\u{1b}'));
}

#[test]
fn help_lists_the_attachment_keys_and_commands() {
    let mut app = app();
    press(&mut app, KeyCode::F(1));
    let mut seen = String::new();
    for _ in 0..20 {
        seen.push_str(&screen(&mut app, 100, 30));
        press(&mut app, KeyCode::PageDown);
    }
    for text in [
        "mention a workspace file",
        "at the start of the input: remove the last chip",
        "/attach PATH...",
        "/instructions",
    ] {
        assert!(seen.contains(text), "{text:?} not in the help");
    }
}

/// An app showing a stored conversation whose one message, "look at this", has the file
/// `notes.md` holding `body` attached; with that attachment's chip.
fn resumed_with_file(body: &str) -> (App, String) {
    let store = crate::store::Store::in_memory().unwrap();
    let id = store.create("m", "look").unwrap();
    let file = text_attachment("notes.md", body);
    let chip_text = chip(&file);
    store
        .append(id, &crate::attach::user_message("look at this", &[file]))
        .unwrap();
    let mut app = App::new(options_no_sidebar());
    app.show_conversation(&store.load(id).unwrap(), &[]);
    (app, chip_text)
}

#[test]
fn a_resumed_message_shows_its_attachments_as_chips_not_their_text() {
    let (mut app, chip_text) = resumed_with_file("SECRET BODY OF THE FILE\n");
    assert_eq!(user_cells(&app), [format!("{chip_text}\nlook at this")]);
    let shown = screen(&mut app, 80, 20);
    assert!(!shown.contains("SECRET BODY"), "{shown}");
}

#[test]
fn chips_over_a_requests_limits_send_nothing_and_stay() {
    let png = |shade: u8| {
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(2, 2, image::Rgb([shade, 0, 0]))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        png.into_inner()
    };
    let mut app = App::new(AppOptions {
        attach: Some(AttachOptions::for_workspace(None, None, Default::default())),
        ..options()
    });
    // Distinct pixels make distinct images (the same one twice is attached once).
    for i in 0..101u8 {
        let name = format!("shot{i}.png");
        let image = load_bytes(&name, png(i), &LoadOptions::explicit(None)).unwrap();
        app.add_pending(image);
    }
    assert_eq!(app.attach.pending.len(), 101);
    type_text(&mut app, "all of them");
    press(&mut app, KeyCode::Enter);
    let [AttachRequest::Send { text, attachments }] = &attach_requests(&mut app)[..] else {
        panic!("not held for its chips")
    };
    app.mentions_resolved(text.clone(), attachments.clone(), Ok(Vec::new()));
    assert!(engine_commands(&mut app).is_empty());
    assert_eq!(app.input.text(), "all of them");
    assert_eq!(app.attach.pending.len(), 101);
    assert!(screen(&mut app, 100, 30).contains("not sent: 101 images in one request"));
}

#[test]
fn an_edited_message_keeps_its_attachment_chips() {
    let (mut app, chip_text) = resumed_with_file("body\n");
    app.send_fork(0, "look again".into());
    assert_eq!(user_cells(&app), [format!("{chip_text}\nlook again")]);
}

#[test]
fn a_queued_message_takes_the_pending_chips_and_gives_them_back() {
    let mut app = App::new(options_no_sidebar());
    start_turn(&mut app, "first", "claude-sonnet-4-6");
    app.take_effects();
    let file = text_attachment("notes.md", "body\n");
    app.add_pending(file.clone());
    type_text(&mut app, "about the notes");
    press(&mut app, KeyCode::Enter);
    assert!(app.attach.pending.is_empty(), "queued with the message");
    assert_eq!(app.queue_lines(), ["» queued: about the notes (+1 file)"]);
    // Up takes it back, chips included; Enter queues both again.
    press(&mut app, KeyCode::Up);
    assert_eq!(app.input.text(), "about the notes");
    assert_eq!(app.attach.pending, std::slice::from_ref(&file));
    press(&mut app, KeyCode::Enter);
    // A chip added after it waits for the next message.
    let later = text_attachment("later.md", "later\n");
    app.add_pending(later.clone());
    finish(&mut app, vec![crate::api::ContentBlock::text("one")]);
    let [AttachRequest::Send { text, attachments }] = &attach_requests(&mut app)[..] else {
        panic!("not held for its chips")
    };
    assert_eq!(&**text, "about the notes");
    assert_eq!(attachments, &[file]);
    assert_eq!(app.attach.pending, [later]);
}
