use super::*;
use crate::config::Tier;
use ratatui::style::Modifier;

use crate::tui::test_support::{dark, rows};

fn ok(input: &str) -> SlashCommand {
    match parse(input) {
        Some(Ok(command)) => command,
        other => panic!("{input:?}: {other:?}"),
    }
}

fn err(input: &str) -> String {
    match parse(input) {
        Some(Err(message)) => message,
        other => panic!("{input:?}: {other:?}"),
    }
}

fn models() -> Vec<String> {
    ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"]
        .map(String::from)
        .to_vec()
}

fn popup(input: &str) -> CommandPopup {
    let mut p = CommandPopup::new();
    p.update(input, &models());
    p
}

/// Every completion the popup offers, in order.
fn completions(p: &CommandPopup) -> Vec<String> {
    p.items.iter().map(|i| i.completion.clone()).collect()
}

#[test]
fn not_a_command() {
    for input in ["", "hello", " /help", "what is /help?"] {
        assert_eq!(parse(input), None, "{input:?}");
    }
}

#[test]
fn parses_every_command() {
    let cases = [
        (
            "/model claude-opus-4-1",
            SlashCommand::Model("claude-opus-4-1".into()),
        ),
        (
            "/model   spaced-id  ",
            SlashCommand::Model("spaced-id".into()),
        ),
        (
            "/tier fast",
            SlashCommand::Tier(TierChoice::Fixed(Tier::Fast)),
        ),
        (
            "/tier balanced",
            SlashCommand::Tier(TierChoice::Fixed(Tier::Balanced)),
        ),
        (
            "/tier MAX",
            SlashCommand::Tier(TierChoice::Fixed(Tier::Max)),
        ),
        ("/tier auto", SlashCommand::Tier(TierChoice::Auto)),
        ("/cost", SlashCommand::Cost),
        ("/resume", SlashCommand::Resume),
        ("/compact", SlashCommand::Compact),
        (
            "/export",
            SlashCommand::Export {
                format: ExportFormat::Markdown,
                path: None,
            },
        ),
        (
            "/export json",
            SlashCommand::Export {
                format: ExportFormat::Json,
                path: None,
            },
        ),
        (
            "/export md notes/chat.md",
            SlashCommand::Export {
                format: ExportFormat::Markdown,
                path: Some("notes/chat.md".into()),
            },
        ),
        (
            "/export out.json",
            SlashCommand::Export {
                format: ExportFormat::Markdown,
                path: Some("out.json".into()),
            },
        ),
        ("/system", SlashCommand::System(None)),
        ("/system   ", SlashCommand::System(None)),
        (
            "/system Be brief.",
            SlashCommand::System(Some("Be brief.".into())),
        ),
        (
            "/system\nLine one.\n\nLine two.\n",
            SlashCommand::System(Some("Line one.\n\nLine two.".into())),
        ),
        ("/clear", SlashCommand::Clear),
        ("/retry", SlashCommand::Retry),
        ("/copy", SlashCommand::Copy(None)),
        ("/copy 2", SlashCommand::Copy(Some(2))),
        ("/help", SlashCommand::Help),
        ("/quit", SlashCommand::Quit),
        ("/QUIT ", SlashCommand::Quit),
        ("/Help\n", SlashCommand::Help),
        (
            "/attach shot.png \"my notes.pdf\"",
            SlashCommand::Attach(vec!["shot.png".into(), "my notes.pdf".into()]),
        ),
        ("/instructions", SlashCommand::Instructions),
    ];
    for (input, expected) in cases {
        assert_eq!(ok(input), expected, "{input:?}");
    }
}

#[test]
fn every_listed_command_parses() {
    for spec in COMMANDS {
        let arg = match spec.args {
            "ID" => " some-model",
            "NAME" => " fast",
            "TEXT" => " text",
            "TITLE" => " A title",
            "SCHEMA" => " support-email",
            "PATH..." => " notes.md",
            _ => "",
        };
        assert!(
            matches!(parse(&format!("/{}{arg}", spec.name)), Some(Ok(_))),
            "/{} has no parse arm",
            spec.name
        );
    }
}

#[test]
fn errors_say_what_is_wrong() {
    let cases = [
        ("/foo", "/foo is not a command: //foo sends it as text"),
        (
            "/classify this email",
            "/classify is not a command: //classify sends it as text",
        ),
        ("/", "type a command name after / — /help lists them"),
        ("/ help", "type a command name after / — /help lists them"),
        ("/model", "/model takes one model id"),
        ("/model two words", "/model takes one model id"),
        ("/tier", "/tier takes fast, balanced, max or auto"),
        ("/tier turbo", "/tier takes fast, balanced, max or auto"),
        ("/cost now", "/cost takes no arguments"),
        ("/clear now", "/clear takes no arguments"),
        ("/retry 2", "/retry takes no arguments"),
        ("/help me", "/help takes no arguments"),
        ("/quit now", "/quit takes no arguments"),
        (
            "/copy 0",
            "/copy takes a code block number: /copy 2 copies the second",
        ),
        (
            "/copy two",
            "/copy takes a code block number: /copy 2 copies the second",
        ),
        (
            "/copy -1",
            "/copy takes a code block number: /copy 2 copies the second",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(err(input), expected, "{input:?}");
    }
    let long = format!("/{}", "z".repeat(500));
    assert_eq!(
        err(&long),
        format!(
            "/{z}… is not a command: //{z}… sends it as text",
            z = "z".repeat(20)
        )
    );
}

#[test]
fn popup_lists_commands_by_prefix() {
    let p = popup("/");
    assert!(p.is_visible());
    assert_eq!(p.items.len(), COMMANDS.len());
    assert_eq!(p.height(), 8 + 2);

    let p = popup("/c");
    assert_eq!(completions(&p), ["/clear", "/copy ", "/cost", "/compact"]);
    assert_eq!(p.height(), 6);
    assert_eq!(popup("/T").completion().as_deref(), Some("/tier "));
    assert_eq!(popup("/sys").completion().as_deref(), Some("/system "));
    assert_eq!(popup("/qu").completion().as_deref(), Some("/quit"));
}

#[test]
fn popup_hides_when_nothing_matches_or_nothing_is_left() {
    for input in [
        "",
        "hello",
        "/x",
        "/tier max ",
        "/help me",
        "/foo ",
        "/system be brief",
    ] {
        let p = popup(input);
        assert!(!p.is_visible(), "{input:?}");
        assert_eq!(p.height(), 0, "{input:?}");
    }
    // Typed in full: nothing left to complete.
    assert!(!popup("/clear").is_visible());
    assert!(!popup("/tier max").is_visible());
    // Typed in full but taking an argument: Tab still adds the space.
    assert!(popup("/tier").is_visible());
    assert!(popup("/copy").is_visible());
}

#[test]
fn popup_offers_tiers() {
    let p = popup("/tier ");
    assert!(p.is_visible());
    assert_eq!(
        completions(&p),
        ["/tier fast", "/tier balanced", "/tier max", "/tier auto"]
    );
    assert_eq!(completions(&popup("/tier b")), ["/tier balanced"]);
    assert_eq!(completions(&popup("/TIER  M")), ["/tier max"]);
    assert!(completions(&popup("/tier z")).is_empty());
}

#[test]
fn popup_offers_models() {
    let p = popup("/model ");
    assert_eq!(
        completions(&p),
        [
            "/model claude-haiku-4-5",
            "/model claude-sonnet-4-5",
            "/model claude-opus-4-1"
        ]
    );
    // Ids share a prefix, so any part of the id narrows the list.
    assert_eq!(
        completions(&popup("/model sonn")),
        ["/model claude-sonnet-4-5"]
    );
    assert_eq!(completions(&popup("/model 4-5")).len(), 2);

    let mut p = CommandPopup::new();
    p.update("/model ", &[]);
    assert!(!p.is_visible(), "no models known");
    let odd = vec!["has space".to_owned(), "evil\x1b[2J".to_owned()];
    p.update("/model ", &odd);
    assert_eq!(completions(&p), ["/model evil"]);
}

#[test]
fn selection_wraps_both_ways() {
    let mut p = popup("/");
    let n = COMMANDS.len();
    assert_eq!(p.completion().as_deref(), Some("/model "));
    p.select_prev();
    assert_eq!(p.completion().as_deref(), Some("/quit"));
    p.select_next();
    assert_eq!(p.completion().as_deref(), Some("/model "));
    for _ in 0..n {
        p.select_next();
    }
    assert_eq!(p.completion().as_deref(), Some("/model "));

    let mut empty = popup("/x");
    empty.select_next();
    empty.select_prev();
    assert_eq!(empty.completion(), None);
}

#[test]
fn selection_follows_its_item_as_the_list_narrows() {
    let mut p = popup("/c");
    p.select_next();
    assert_eq!(p.completion().as_deref(), Some("/copy "));
    p.update("/co", &models());
    assert_eq!(p.completion().as_deref(), Some("/copy "));
    // Gone from the list: back to the first item.
    p.update("/cl", &models());
    assert_eq!(p.completion().as_deref(), Some("/clear"));
    p.update("/", &models());
    assert_eq!(p.completion().as_deref(), Some("/clear"));
}

#[test]
fn long_lists_scroll_to_the_selection() {
    let many: Vec<String> = (1..=12).map(|i| format!("model-{i:02}")).collect();
    let mut p = CommandPopup::new();
    p.update("/model ", &many);
    assert_eq!(p.height(), 10);
    for _ in 0..9 {
        p.select_next();
    }
    assert_eq!(p.offset, 2, "selection on the last visible row");
    let rows = draw(&p, 40, p.height());
    assert!(rows[1].contains("model-03"), "{rows:?}");
    assert!(rows[8].contains("model-10"), "{rows:?}");
    p.select_next();
    p.select_next();
    p.select_next();
    assert_eq!(p.completion().as_deref(), Some("/model model-01"));
    assert_eq!(p.offset, 0);
    // Less room than asked for: the selection is still drawn.
    p.select_prev();
    let rows = draw(&p, 40, 5);
    assert!(rows[3].contains("model-12"), "{rows:?}");
}

fn draw(p: &CommandPopup, width: u16, height: u16) -> Vec<String> {
    let area = Rect::new(0, 0, width, height);
    let mut buf = Buffer::empty(area);
    p.render(area, &mut buf, &dark());
    rows(&buf)
}

#[test]
fn selected_row_and_descriptions_are_styled() {
    let theme = dark();
    let mut p = popup("/");
    p.select_next();
    let area = Rect::new(0, 0, 60, p.height());
    let mut buf = Buffer::empty(area);
    p.render(area, &mut buf, &theme);
    // The dark theme selects with `reverse`.
    let styled_as_selection = |y: u16| {
        buf[(5, y)]
            .style()
            .add_modifier
            .contains(Modifier::REVERSED)
    };
    assert!(styled_as_selection(2), "row of /tier");
    assert!(!styled_as_selection(1), "row of /model");
    // "use this model id..." starts after the label column.
    let desc_x = (0..60).find(|&x| buf[(x, 1)].symbol() == "u").unwrap();
    assert_eq!(buf[(desc_x, 1)].style().fg, theme.style(Role::Dim).fg);
    assert_eq!(buf[(0, 0)].style().fg, theme.style(Role::Border).fg);
}

fn snap(name: &str, p: &CommandPopup) {
    for width in [80, 40] {
        let rows = draw(p, width, p.height());
        insta::assert_snapshot!(format!("{name}_{width}"), rows.join("\n"));
    }
}

#[test]
fn snapshot_all_commands() {
    let mut p = popup("/");
    p.select_next();
    snap("all_commands", &p);
}

#[test]
fn snapshot_tiers() {
    snap("tiers", &popup("/tier "));
}

#[test]
fn mcp_restart_completes_the_servers_names() {
    let servers = [
        ("tester".to_owned(), "ready · 9 tools".to_owned()),
        ("notes".to_owned(), "failed: the server exited".to_owned()),
        ("two words".to_owned(), "starting".to_owned()),
        ("bad\u{1b}[2Jname".to_owned(), "stopped".to_owned()),
    ];
    let offers = Offers {
        servers: &servers,
        ..Offers::default()
    };
    let offered = |input: &str| {
        let mut p = CommandPopup::new();
        p.update_with(input, &offers);
        completions(&p)
    };
    assert_eq!(offered("/mcp re"), ["/mcp restart "], "Tab leaves a space");
    // Names that would not type back as one clean word are left out.
    assert_eq!(
        offered("/mcp restart "),
        ["/mcp restart tester", "/mcp restart notes"]
    );
    assert_eq!(offered("/mcp restart te"), ["/mcp restart tester"]);
    assert!(offered("/mcp restart tester now").is_empty());
    let mut p = CommandPopup::new();
    p.update_with("/mcp restart n", &offers);
    let shown = draw(&p, 60, 4);
    assert!(
        shown
            .iter()
            .any(|r| r.contains("notes") && r.contains("failed")),
        "{shown:?}"
    );
}
