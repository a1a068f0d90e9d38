//! The approval prompt's preview of what a call would change (see
//! [`crate::tools::preview`]): "new file, N lines", "no change", or the unified diff,
//! removed lines in the error colour and added ones in the cost (green) colour, clipped to
//! [`MAX_ROWS`] with a count of the lines left out. Shown only while the call awaits
//! approval: once decided, the result says what happened.
//!
//! The diff is file and model text: every line goes through the sanitiser.

use ratatui::text::{Line, Span};

use crate::sanitize::sanitize_line;
use crate::tools::preview::{ApprovalPreview, DiffLine};

use crate::tui::render::theme::{Role, Theme};
use crate::tui::render::wrap::truncate;

/// Diff lines shown at most; the rest are counted.
pub const MAX_ROWS: usize = 12;

/// The preview's lines, each cut to `width` (a diff line is not wrapped: its columns
/// matter more than its end).
pub fn lines(preview: &ApprovalPreview, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let notice = theme.style(Role::Notice);
    let diff = match preview {
        ApprovalPreview::NewFile { lines } => {
            let s = if *lines == 1 { "" } else { "s" };
            return vec![Line::styled(
                truncate(&format!("new file, {lines} line{s}"), width),
                notice,
            )];
        }
        ApprovalPreview::Unchanged => {
            return vec![Line::styled(
                truncate("the file already has this content", width),
                notice,
            )];
        }
        ApprovalPreview::Diff(diff) => diff,
    };
    let mut out: Vec<Line<'static>> = diff
        .iter()
        .take(MAX_ROWS)
        .map(|line| {
            let (text, role) = match line {
                DiffLine::Hunk(h) => (h.clone(), Role::Dim),
                DiffLine::Context(t) => (format!(" {t}"), Role::Text),
                DiffLine::Removed(t) => (format!("-{t}"), Role::Error),
                DiffLine::Added(t) => (format!("+{t}"), Role::Cost),
            };
            let text = truncate(&sanitize_line(&text), width);
            Line::from(Span::styled(text, theme.style(role)))
        })
        .collect();
    let hidden = diff.len().saturating_sub(MAX_ROWS);
    if hidden > 0 {
        let more = format!(
            "… {hidden} more diff line{}",
            if hidden == 1 { "" } else { "s" }
        );
        out.push(Line::styled(truncate(&more, width), theme.style(Role::Dim)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::preview::unified_diff;

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn new_files_and_diffs_read_as_a_reviewer_expects() {
        let theme = crate::tui::test_support::dark();
        let new = lines(&ApprovalPreview::NewFile { lines: 3 }, 40, &theme);
        assert_eq!(text(&new), ["new file, 3 lines"]);
        let diff = unified_diff("a\nb\nc\n", "a\nB\nc\n");
        let shown = lines(&ApprovalPreview::Diff(diff), 40, &theme);
        assert_eq!(text(&shown), ["@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]);
        assert_eq!(shown[2].spans[0].style, theme.style(Role::Error));
        assert_eq!(shown[3].spans[0].style, theme.style(Role::Cost));
    }

    #[test]
    fn a_long_diff_is_clipped_with_a_count_and_hostile_text_sanitised() {
        let theme = crate::tui::test_support::dark();
        let old: String = (0..40).map(|i| format!("{i}\n")).collect();
        let new: String = (0..40).map(|i| format!("x{i}\x1b[2J\n")).collect();
        let diff = unified_diff(&old, &new);
        let total = diff.len();
        let shown = text(&lines(&ApprovalPreview::Diff(diff), 30, &theme));
        assert_eq!(shown.len(), MAX_ROWS + 1);
        assert_eq!(
            shown.last().unwrap(),
            &format!("… {} more diff lines", total - MAX_ROWS)
        );
        assert!(shown.iter().all(|l| !l.contains('\x1b')), "{shown:?}");
    }
}
