use super::*;
use std::io::Write;

#[test]
fn all_embedded_themes_parse_and_name_every_role() {
    for (name, _, _) in EMBEDDED {
        let theme = Theme::load(name).unwrap();
        assert_eq!(theme.name(), name);
    }
    assert_eq!(
        Theme::load("dark").unwrap().syntect_theme(),
        Some("base16-ocean.dark")
    );
    assert_eq!(
        Theme::load("light").unwrap().syntect_theme(),
        Some("InspiredGitHub")
    );
    assert_eq!(
        Theme::load("ansi16").unwrap().syntect_theme(),
        Some(crate::tui::render::highlight::ANSI16)
    );
    assert_eq!(Theme::default_theme().name(), "dark");
}

#[test]
fn ansi16_uses_only_the_terminal_palette() {
    let theme = Theme::load("ansi16").unwrap();
    for role in Role::ALL {
        let style = theme.style(role);
        for colour in [style.fg, style.bg].into_iter().flatten() {
            assert!(
                !matches!(colour, Color::Rgb(..) | Color::Indexed(_)),
                "{}: {colour:?}",
                role.name()
            );
        }
    }
}

#[test]
fn styles_parse() {
    assert_eq!(
        parse_style("bold #e5c07b on black").unwrap(),
        Style::new()
            .fg(Color::Rgb(0xe5, 0xc0, 0x7b))
            .bg(Color::Black)
            .add_modifier(Modifier::BOLD)
    );
    assert_eq!(
        parse_style("bright-blue italic").unwrap(),
        Style::new()
            .fg(Color::LightBlue)
            .add_modifier(Modifier::ITALIC)
    );
    assert_eq!(parse_style("reset").unwrap(), Style::new().fg(Color::Reset));
    assert_eq!(parse_style("").unwrap(), Style::new());
    assert_eq!(parse_colour("white").unwrap(), Color::Gray);
    assert_eq!(parse_colour("bright-white").unwrap(), Color::White);
    assert!(parse_style("#12345").is_err());
    assert!(parse_style("#gggggg").is_err());
    assert!(parse_style("red blue").is_err());
    assert!(parse_style("on").is_err());
    assert!(parse_style("purpel").is_err());
}

#[test]
fn no_color_strips_colours_and_keeps_modifiers() {
    let theme = Theme::no_color();
    for role in Role::ALL {
        let style = theme.style(role);
        assert_eq!((style.fg, style.bg), (None, None), "{}", role.name());
    }
    assert!(
        theme
            .style(Role::Selection)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        theme
            .style(Role::Heading)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert_eq!(theme.syntect_theme(), None);
    let dark = Theme::load("dark").unwrap().without_colour();
    assert_eq!(dark.style(Role::CodeBlock), Style::new());
}

#[test]
fn no_color_env_convention() {
    use std::ffi::OsStr;
    assert!(no_color_requested(Some(OsStr::new("1"))));
    assert!(!no_color_requested(Some(OsStr::new(""))));
    assert!(!no_color_requested(None));
}

fn theme_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

fn load_err(text: &str) -> (String, String) {
    let f = theme_file(text);
    let path = f.path().display().to_string();
    let err = Theme::load(&path).unwrap_err().to_string();
    (path, err)
}

#[test]
fn a_user_theme_overrides_what_it_names_and_inherits_the_rest() {
    let f = theme_file("inherits = \"dark\"\n[roles]\nheading = \"bold red\"\n");
    let theme = Theme::load(f.path().to_str().unwrap()).unwrap();
    let dark = Theme::load("dark").unwrap();
    assert_eq!(
        theme.style(Role::Heading),
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    );
    assert_eq!(theme.style(Role::Cost), dark.style(Role::Cost));
    assert_eq!(theme.syntect_theme(), dark.syntect_theme());
    // Without `inherits`, the base is the terminal-palette theme.
    let f = theme_file("[roles]\ncost = \"green\"\n");
    let theme = Theme::load(f.path().to_str().unwrap()).unwrap();
    assert_eq!(
        theme.style(Role::Error),
        Theme::load("ansi16").unwrap().style(Role::Error)
    );
}

#[test]
fn a_bad_colour_names_the_file_line_and_key() {
    let (path, err) = load_err("[roles]\ncost = \"green\"\nheading = \"bold purpel\"\n");
    assert_eq!(
        err,
        format!("{path}:3:11: roles.heading: unknown colour or modifier `purpel`")
    );
}

#[test]
fn an_unknown_role_or_base_names_the_key() {
    let (path, err) = load_err("[roles]\nheadline = \"bold\"\n");
    assert_eq!(err, format!("{path}:2:12: roles.headline: unknown role"));
    let (path, err) = load_err("inherits = \"solarized\"\n");
    assert_eq!(
        err,
        format!("{path}:1:12: inherits: unknown theme `solarized` (dark, light, ansi16)")
    );
}

#[test]
fn a_syntax_error_or_unknown_key_names_the_file_and_line() {
    let (path, err) = load_err("[roles\n");
    assert!(err.starts_with(&format!("{path}:1:")), "{err}");
    let (path, err) = load_err("colour = 1\n");
    assert!(
        err.starts_with(&format!("{path}:1:1: TOML error: unknown field `colour`")),
        "{err}"
    );
}

#[test]
fn unknown_names_and_missing_files_fail_clearly() {
    assert_eq!(
        Theme::load("solarized").unwrap_err().to_string(),
        "unknown theme `solarized` (built in: dark, light, ansi16; or a path to a .toml file)"
    );
    let err = Theme::load("/nonexistent/x.toml").unwrap_err().to_string();
    assert!(
        err.starts_with("/nonexistent/x.toml: cannot read theme file"),
        "{err}"
    );
}

#[test]
fn embedded_themes_must_name_every_role() {
    let err = Theme::parse(
        "t",
        "[roles]\ntext = \"reset\"\n",
        Path::new("themes/t.toml"),
        false,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "themes/t.toml: roles.user_label: missing (embedded themes name every role)"
    );
}
