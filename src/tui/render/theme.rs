//! Styles by role: the rest of the TUI asks for "assistant label" or "cost", never a colour.
//!
//! A theme is a TOML file naming a style for each [`Role`] and the syntect theme used to
//! colour code:
//!
//! ```toml
//! syntect = "base16-ocean.dark"   # omit for plain code; "ansi16": the 16 terminal colours
//! inherits = "dark"               # user themes only: roles not named come from here
//! [roles]
//! heading = "bold #e5c07b"
//! code_block = "#abb2bf on #282c34"
//! selection = "reverse"
//! ```
//!
//! A style is a space-separated list of: a foreground colour, `on` and a background colour,
//! and modifiers (`bold`, `dim`, `italic`, `underline`, `reverse`, `strikethrough`).
//! Colours are `#rrggbb`, the sixteen ANSI names (`red`, `bright-blue`, ...; `white` is
//! ANSI 7 and `bright-white` ANSI 15) or `reset` (the terminal's own default).
//!
//! Three themes are embedded: `dark`, `light` and `ansi16` (only the terminal's palette, so
//! it follows whatever colours the user's terminal has). Embedded themes must name every
//! role; a user theme names what it changes and inherits the rest (from `ansi16` unless it
//! says otherwise). A broken theme fails with `file:line:col: key: message`.
//!
//! NO_COLOR: [`Theme::no_color`] strips every colour but keeps modifiers, so focus and
//! selection (bold, reverse) stay visible.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Location;
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

/// What a piece of the screen is, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Text that is not any of the below.
    Text,
    UserLabel,
    UserText,
    AssistantLabel,
    AssistantText,
    Thinking,
    /// Fenced code: its background, and its text when not highlighted.
    CodeBlock,
    InlineCode,
    Heading,
    Link,
    /// A link's URL, shown after its text.
    LinkUrl,
    Quote,
    ListMarker,
    /// Horizontal rules and table borders.
    Rule,
    TableHeader,
    ToolHeader,
    /// Tool-call JSON: object keys, string values, numbers and `true`/`false`/`null`,
    /// and the punctuation between them.
    JsonKey,
    JsonString,
    JsonNumber,
    JsonPunct,
    Notice,
    Warning,
    Error,
    Cost,
    /// The filled part of a sidebar gauge (budget, context) while below its warning level.
    Gauge,
    /// The empty part of a gauge.
    GaugeTrack,
    Border,
    BorderFocused,
    StatusBar,
    Selection,
    /// Secondary text: hints, timestamps, a collapsed thinking line.
    Dim,
}

impl Role {
    pub const ALL: [Role; 31] = [
        Role::Text,
        Role::UserLabel,
        Role::UserText,
        Role::AssistantLabel,
        Role::AssistantText,
        Role::Thinking,
        Role::CodeBlock,
        Role::InlineCode,
        Role::Heading,
        Role::Link,
        Role::LinkUrl,
        Role::Quote,
        Role::ListMarker,
        Role::Rule,
        Role::TableHeader,
        Role::ToolHeader,
        Role::JsonKey,
        Role::JsonString,
        Role::JsonNumber,
        Role::JsonPunct,
        Role::Notice,
        Role::Warning,
        Role::Error,
        Role::Cost,
        Role::Gauge,
        Role::GaugeTrack,
        Role::Border,
        Role::BorderFocused,
        Role::StatusBar,
        Role::Selection,
        Role::Dim,
    ];

    /// The key in a theme file's `[roles]` table.
    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::UserLabel => "user_label",
            Role::UserText => "user_text",
            Role::AssistantLabel => "assistant_label",
            Role::AssistantText => "assistant_text",
            Role::Thinking => "thinking",
            Role::CodeBlock => "code_block",
            Role::InlineCode => "inline_code",
            Role::Heading => "heading",
            Role::Link => "link",
            Role::LinkUrl => "link_url",
            Role::Quote => "quote",
            Role::ListMarker => "list_marker",
            Role::Rule => "rule",
            Role::TableHeader => "table_header",
            Role::ToolHeader => "tool_header",
            Role::JsonKey => "json_key",
            Role::JsonString => "json_string",
            Role::JsonNumber => "json_number",
            Role::JsonPunct => "json_punct",
            Role::Notice => "notice",
            Role::Warning => "warning",
            Role::Error => "error",
            Role::Cost => "cost",
            Role::Gauge => "gauge",
            Role::GaugeTrack => "gauge_track",
            Role::Border => "border",
            Role::BorderFocused => "border_focused",
            Role::StatusBar => "status_bar",
            Role::Selection => "selection",
            Role::Dim => "dim",
        }
    }

    fn index(self) -> usize {
        Role::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// The embedded themes: name, file name shown in errors, contents.
const EMBEDDED: [(&str, &str, &str); 3] = [
    (
        "dark",
        "themes/dark.toml",
        include_str!("../../../themes/dark.toml"),
    ),
    (
        "light",
        "themes/light.toml",
        include_str!("../../../themes/light.toml"),
    ),
    (
        "ansi16",
        "themes/ansi16.toml",
        include_str!("../../../themes/ansi16.toml"),
    ),
];

/// A theme that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThemeError {
    #[error("unknown theme `{name}` (built in: dark, light, ansi16; or a path to a .toml file)")]
    Unknown { name: String },
    #[error("{path}: cannot read theme file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: TOML error: {message}")]
    Syntax { location: Location, message: String },
    #[error("{location}: {key}: {message}")]
    Invalid {
        location: Location,
        key: String,
        message: String,
    },
}

/// Styles for every role, and the syntect theme for code.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    name: String,
    styles: [Style; Role::ALL.len()],
    syntect: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    inherits: Option<Spanned<String>>,
    syntect: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, Spanned<String>>,
}

impl Theme {
    /// An embedded theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some(theme) = Theme::embedded(name_or_path) {
            return theme;
        }
        let path = Path::new(name_or_path);
        if !name_or_path.ends_with(".toml") && !path.exists() {
            return Err(ThemeError::Unknown {
                name: name_or_path.to_owned(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path.file_stem().map_or_else(
            || name_or_path.to_owned(),
            |s| s.to_string_lossy().into_owned(),
        );
        Theme::parse(&name, &text, path, true)
    }

    /// One of the embedded themes; `None` for an unknown name.
    pub fn embedded(name: &str) -> Option<Result<Theme, ThemeError>> {
        let (name, file, text) = EMBEDDED.iter().find(|(n, _, _)| *n == name)?;
        Some(Theme::parse(name, text, Path::new(file), false))
    }

    /// The default theme, dark.
    pub fn default_theme() -> Theme {
        // The embedded themes are checked by tests; the fallback only guards a bad edit.
        match Theme::embedded("dark") {
            Some(Ok(theme)) => theme,
            _ => Theme::plain("dark"),
        }
    }

    /// The theme to use when NO_COLOR is set: no colours, modifiers kept. Snapshot tests
    /// draw with it so they do not depend on a palette.
    #[cfg(test)]
    pub fn no_color() -> Theme {
        match Theme::embedded("ansi16") {
            Some(Ok(theme)) => theme.without_colour(),
            _ => Theme::plain("no-color"),
        }
    }

    /// This theme with every colour removed; bold, reverse and the like stay.
    pub fn without_colour(mut self) -> Theme {
        for style in &mut self.styles {
            *style = Style {
                fg: None,
                bg: None,
                underline_color: None,
                ..*style
            };
        }
        self.syntect = None;
        self.name = format!("{} (no colour)", self.name);
        self
    }

    fn plain(name: &str) -> Theme {
        Theme {
            name: name.to_owned(),
            styles: [Style::new(); Role::ALL.len()],
            syntect: None,
        }
    }

    #[cfg(test)]
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles[role.index()]
    }

    /// The syntect theme for code blocks; `None` means plain [`Role::CodeBlock`] text.
    pub fn syntect_theme(&self) -> Option<&str> {
        self.syntect.as_deref()
    }

    /// Parses a theme file. `user` files may omit roles and inherit; embedded ones may not.
    fn parse(name: &str, text: &str, file: &Path, user: bool) -> Result<Theme, ThemeError> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| ThemeError::Syntax {
            location: e.span().map_or_else(
                || Location::file(file),
                |span| Location::at(file, text, span.start),
            ),
            message: e.message().replace('\n', " "),
        })?;
        let invalid =
            |span: std::ops::Range<usize>, key: String, message: String| ThemeError::Invalid {
                location: Location::at(file, text, span.start),
                key,
                message,
            };
        let mut theme = match (&raw.inherits, user) {
            (None, false) => Theme::plain(name),
            (Some(base), true) => match Theme::embedded(base.get_ref()) {
                Some(theme) => theme?,
                None => {
                    return Err(invalid(
                        base.span(),
                        "inherits".into(),
                        format!("unknown theme `{}` (dark, light, ansi16)", base.get_ref()),
                    ));
                }
            },
            (None, true) => Theme::embedded("ansi16").unwrap_or_else(|| Ok(Theme::plain(name)))?,
            (Some(base), false) => {
                return Err(invalid(
                    base.span(),
                    "inherits".into(),
                    "not allowed here".into(),
                ));
            }
        };
        theme.name = name.to_owned();
        if raw.syntect.is_some() || !user {
            theme.syntect = raw.syntect.filter(|s| !s.is_empty());
        }
        for (key, spec) in &raw.roles {
            let role = Role::ALL
                .into_iter()
                .find(|r| r.name() == key)
                .ok_or_else(|| {
                    invalid(spec.span(), format!("roles.{key}"), "unknown role".into())
                })?;
            theme.styles[role.index()] = parse_style(spec.get_ref())
                .map_err(|m| invalid(spec.span(), format!("roles.{key}"), m))?;
        }
        if !user && let Some(missing) = Role::ALL.iter().find(|r| !raw.roles.contains_key(r.name()))
        {
            return Err(ThemeError::Invalid {
                location: Location::file(file),
                key: format!("roles.{}", missing.name()),
                message: "missing (embedded themes name every role)".into(),
            });
        }
        Ok(theme)
    }
}

/// Whether the NO_COLOR convention asks for no colour: the variable is set and not empty.
pub fn no_color_requested(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

/// Parses a style spec such as `bold #e5c07b on black`. See the module docs.
pub fn parse_style(spec: &str) -> Result<Style, String> {
    let mut style = Style::new();
    let mut fg_set = false;
    let mut words = spec.split_whitespace();
    while let Some(word) = words.next() {
        let lower = word.to_ascii_lowercase();
        if lower == "on" {
            let bg = words
                .next()
                .ok_or("`on` needs a background colour after it")?;
            style = style.bg(parse_colour(bg)?);
        } else if let Some(m) = parse_modifier(&lower) {
            style = style.add_modifier(m);
        } else if fg_set {
            return Err(format!(
                "`{word}`: a second foreground colour (write `on` before a background)"
            ));
        } else {
            style = style.fg(parse_colour(word)?);
            fg_set = true;
        }
    }
    Ok(style)
}

fn parse_modifier(word: &str) -> Option<Modifier> {
    Some(match word {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underline" | "underlined" => Modifier::UNDERLINED,
        "reverse" | "reversed" => Modifier::REVERSED,
        "strikethrough" | "crossed-out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

/// A colour: `#rrggbb`, an ANSI name, or `reset`.
pub fn parse_colour(word: &str) -> Result<Color, String> {
    if let Some(hex) = word.strip_prefix('#') {
        let byte = |i: usize| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        };
        return match (hex.len(), byte(0), byte(2), byte(4)) {
            (6, Some(r), Some(g), Some(b)) => Ok(Color::Rgb(r, g, b)),
            _ => Err(format!("`{word}` is not a #rrggbb colour")),
        };
    }
    Ok(match word.to_ascii_lowercase().replace('_', "-").as_str() {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "white" | "gray" | "grey" => Color::Gray,
        "bright-black" | "dark-gray" | "dark-grey" => Color::DarkGray,
        "bright-red" => Color::LightRed,
        "bright-green" => Color::LightGreen,
        "bright-yellow" => Color::LightYellow,
        "bright-blue" => Color::LightBlue,
        "bright-magenta" => Color::LightMagenta,
        "bright-cyan" => Color::LightCyan,
        "bright-white" => Color::White,
        _ => return Err(format!("unknown colour or modifier `{word}`")),
    })
}

#[cfg(test)]
#[path = "theme_tests.rs"]
mod tests;
