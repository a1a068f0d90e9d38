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

use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

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

/// `code` highlighted as `lang` (a fence's info word: `rust`, `rs`, `py`, ...) with the
/// syntect theme `theme`, one span list per line, each span patched onto `base`.
pub fn highlight(
    code: &str,
    lang: &str,
    theme: &str,
    base: Style,
) -> Option<Vec<Vec<Span<'static>>>> {
    if lang.is_empty() {
        return None;
    }
    let set = syntaxes();
    let syntax = set.find_syntax_by_token(lang)?;
    let theme = themes().themes.get(theme)?;
    let mut lines = HighlightLines::new(syntax, theme);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(code) {
        let ranges = lines.highlight_line(line, set).ok()?;
        let spans = ranges
            .into_iter()
            .filter_map(|(style, text)| {
                let text = text.trim_end_matches(['\n', '\r']);
                (!text.is_empty())
                    .then(|| Span::styled(text.to_owned(), base.patch(convert(style))))
            })
            .collect();
        out.push(spans);
    }
    Some(out)
}

fn convert(s: syntect::highlighting::Style) -> Style {
    let mut style = Style::new().fg(Color::Rgb(s.foreground.r, s.foreground.g, s.foreground.b));
    if s.font_style.contains(FontStyle::BOLD) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if s.font_style.contains(FontStyle::ITALIC) {
        style = style.add_modifier(Modifier::ITALIC);
    }
    style
}

#[cfg(test)]
mod tests {
    use super::*;

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
