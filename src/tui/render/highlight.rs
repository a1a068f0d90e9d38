//! Syntax highlighting of fenced code with syntect.
//!
//! syntect's syntax and theme sets are deserialised from embedded dumps on first use, not at
//! start-up (it takes tens of milliseconds and the first frame must not wait). The app may
//! call [`warm`] from a blocking task right after the first frame so the first code block
//! does not pay either. Both sets live in `OnceLock`s for the life of the process.
//!
//! Only foreground colours and font styles come from syntect; the background is the
//! theme's `code_block` role, so code blocks look the same in every syntect theme.
//! An unknown language or syntect theme returns `None`: the caller shows plain code.
//!
//! The name [`ANSI16`] is not a syntect theme: it highlights with `base16-ocean.dark` and
//! turns each colour into the nearest of the terminal's own 16 by hue (greys become the
//! default colour, dark greys such as comments bright black), so the `ansi16` UI theme
//! colours code while the user's palette still decides every actual colour.

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;

/// The pseudo syntect theme that maps highlighting to the 16 ANSI colours.
pub const ANSI16: &str = "ansi16";

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn themes() -> &'static ThemeSet {
    static SET: OnceLock<ThemeSet> = OnceLock::new();
    SET.get_or_init(ThemeSet::load_defaults)
}

/// Loads the syntax and theme sets now (call from a blocking task).
pub fn warm() {
    syntaxes();
    themes();
}

/// One code block's highlighter: lines go in one at a time, in order, and syntect's parse
/// state carries from each to the next, so a block streamed line by line is highlighted
/// once per line and ends exactly as the whole block highlighted at once.
pub struct LineHighlighter {
    lines: HighlightLines<'static>,
    ansi: bool,
    base: Style,
}

impl std::fmt::Debug for LineHighlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineHighlighter")
            .field("ansi", &self.ansi)
            .finish_non_exhaustive()
    }
}

impl LineHighlighter {
    /// A highlighter for `lang` (a fence's info word: `rust`, `rs`, `py`, ...) with the
    /// syntect theme `theme`, each span patched onto `base`; `None` for an unknown
    /// language or theme.
    pub fn new(lang: &str, theme: &str, base: Style) -> Option<Self> {
        if lang.is_empty() {
            return None;
        }
        let syntax = syntaxes().find_syntax_by_token(lang)?;
        let ansi = theme == ANSI16;
        let theme = themes()
            .themes
            .get(if ansi { "base16-ocean.dark" } else { theme })?;
        Some(LineHighlighter {
            lines: HighlightLines::new(syntax, theme),
            ansi,
            base,
        })
    }

    /// The next line (without its newline) as spans; `None` if syntect fails on it.
    pub fn line(&mut self, line: &str) -> Option<Vec<Span<'static>>> {
        // The syntaxes are the newline variants: every line is fed with its newline, the
        // last one of a block too, so a line highlights the same wherever it ends up.
        let with_newline = format!("{line}\n");
        let ranges = self.lines.highlight_line(&with_newline, syntaxes()).ok()?;
        let (base, ansi) = (self.base, self.ansi);
        Some(
            ranges
                .into_iter()
                .filter_map(|(style, text)| {
                    let text = text.trim_end_matches(['\n', '\r']);
                    (!text.is_empty())
                        .then(|| Span::styled(text.to_owned(), base.patch(convert(style, ansi))))
                })
                .collect(),
        )
    }
}

/// `code`'s lines (a trailing newline ends the last, it starts none) highlighted as
/// [`LineHighlighter`] does them one by one.
pub fn highlight(
    code: &str,
    lang: &str,
    theme: &str,
    base: Style,
) -> Option<Vec<Vec<Span<'static>>>> {
    let mut lines = LineHighlighter::new(lang, theme, base)?;
    let code = code.strip_suffix('\n').unwrap_or(code);
    code.split('\n').map(|line| lines.line(line)).collect()
}

fn convert(s: syntect::highlighting::Style, ansi: bool) -> Style {
    let (r, g, b) = (s.foreground.r, s.foreground.g, s.foreground.b);
    let fg = if ansi {
        nearest_ansi(r, g, b)
    } else {
        Color::Rgb(r, g, b)
    };
    let mut style = Style::new().fg(fg);
    if s.font_style.contains(FontStyle::BOLD) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        style = style.add_modifier(Modifier::ITALIC);
    }
    style
}

/// The ANSI colour of an RGB one by hue: six hues, and greys by lightness.
fn nearest_ansi(r: u8, g: u8, b: u8) -> Color {
    let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max - min < 26.0 {
        return if max < 128.0 {
            Color::DarkGray
        } else {
            Color::Reset
        };
    }
    let d = max - min;
    let hue = if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    match hue {
        h if !(30.0..330.0).contains(&h) => Color::Red,
        h if h < 90.0 => Color::Yellow,
        h if h < 150.0 => Color::Green,
        h if h < 200.0 => Color::Cyan,
        h if h < 270.0 => Color::Blue,
        _ => Color::Magenta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi16_highlighting_uses_only_the_terminal_palette() {
        let lines = highlight(
            "// a comment\nfn main() { let s = \"text\"; }\n",
            "rust",
            ANSI16,
            Style::new(),
        )
        .unwrap();
        let colours: Vec<Color> = lines.iter().flatten().filter_map(|s| s.style.fg).collect();
        assert!(
            colours
                .iter()
                .all(|c| !matches!(c, Color::Rgb(..) | Color::Indexed(_))),
            "{colours:?}"
        );
        // Highlighted, not plain: several colours.
        let mut distinct = colours.clone();
        distinct.dedup();
        assert!(distinct.len() >= 3, "{colours:?}");
        assert_eq!(nearest_ansi(0xbf, 0x61, 0x6a), Color::Red);
        assert_eq!(nearest_ansi(0xa3, 0xbe, 0x8c), Color::Green);
        assert_eq!(nearest_ansi(0x65, 0x73, 0x7e), Color::DarkGray);
    }

    #[test]
    fn rust_is_coloured_and_unknown_languages_are_not() {
        let lines = highlight(
            "fn main() {}\nlet x = 1;\n",
            "rust",
            "base16-ocean.dark",
            Style::new(),
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        let text: String = lines[0].iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "fn main() {}");
        let colours: std::collections::HashSet<_> = lines[0].iter().map(|s| s.style.fg).collect();
        assert!(colours.len() > 1, "one colour only: {colours:?}");
        assert!(highlight("x", "no-such-language", "base16-ocean.dark", Style::new()).is_none());
        assert!(highlight("x", "rust", "no-such-theme", Style::new()).is_none());
        assert!(highlight("x", "", "base16-ocean.dark", Style::new()).is_none());
    }
}
