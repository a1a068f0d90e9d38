//! What a call that asks for approval would change, shown before the user decides: for
//! `write_file`, "new file, N lines" or a unified diff against the file as it is now.
//!
//! The diff is line-based: the longest common subsequence of the two line lists (dynamic
//! programming, so it is only computed when the product of the line counts is at most
//! [`MAX_CELLS`]; larger files are shown as every old line removed and every new one added,
//! which is still true, only less helpful), then hunks with [`CONTEXT`] unchanged lines
//! around each change. Front ends clip it and say how many lines they left out.
//!
//! Everything here is file or model text: front ends sanitise it like any other.

/// Unchanged lines shown around each change.
pub const CONTEXT: usize = 3;
/// The largest old x new line product the line matching is computed for.
const MAX_CELLS: usize = 4_000_000;

/// One line of a unified diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// `@@ -a,b +c,d @@`.
    Hunk(String),
    Context(String),
    Removed(String),
    Added(String),
}

/// What approving the call would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalPreview {
    /// The file does not exist yet.
    NewFile { lines: usize },
    /// The file exists and would be replaced; its content would stay the same.
    Unchanged,
    /// The file exists: this is how it would change.
    Diff(Vec<DiffLine>),
}

/// The preview of writing `new` where `old` is (`None`: no file there yet).
pub fn write_preview(old: Option<&str>, new: &str) -> ApprovalPreview {
    match old {
        None => ApprovalPreview::NewFile {
            lines: new.lines().count(),
        },
        Some(old) if old == new => ApprovalPreview::Unchanged,
        Some(old) => ApprovalPreview::Diff(unified_diff(old, new)),
    }
}

/// A unified diff of `old` to `new`, by lines.
pub fn unified_diff(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = edit_script(&a, &b);
    hunks(&ops, &a, &b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same(usize, usize),
    Del(usize),
    Ins(usize),
}

/// The edits from `a` to `b`, in order.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        let dels = (0..a.len()).map(Op::Del);
        return dels.chain((0..b.len()).map(Op::Ins)).collect();
    }
    // lcs[i][j]: the common subsequence length of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push(Op::Same(i, j));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len()
            && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])
        {
            // Removals before additions, as diff prints a changed line.
            ops.push(Op::Del(i));
            i += 1;
        } else {
            ops.push(Op::Ins(j));
            j += 1;
        }
    }
    ops
}

/// Groups the edits into hunks with [`CONTEXT`] lines of context.
fn hunks(ops: &[Op], a: &[&str], b: &[&str]) -> Vec<DiffLine> {
    let changed: Vec<usize> = (0..ops.len())
        .filter(|&k| !matches!(ops[k], Op::Same(..)))
        .collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        // Changes closer than twice the context share a hunk.
        while k + 1 < changed.len() && changed[k + 1] <= end + 2 * CONTEXT + 1 {
            k += 1;
            end = changed[k];
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        out.push(DiffLine::Hunk(header(&ops[start..end])));
        for op in &ops[start..end] {
            out.push(match *op {
                Op::Same(i, _) => DiffLine::Context(a[i].to_owned()),
                Op::Del(i) => DiffLine::Removed(a[i].to_owned()),
                Op::Ins(j) => DiffLine::Added(b[j].to_owned()),
            });
        }
        k += 1;
    }
    out
}

/// `@@ -a,b +c,d @@` for a hunk's edits (1-based line numbers, as diff prints them).
fn header(ops: &[Op]) -> String {
    let first_old = ops.iter().find_map(|op| match *op {
        Op::Same(i, _) | Op::Del(i) => Some(i),
        Op::Ins(_) => None,
    });
    let first_new = ops.iter().find_map(|op| match *op {
        Op::Same(_, j) | Op::Ins(j) => Some(j),
        Op::Del(_) => None,
    });
    let old_len = ops.iter().filter(|op| !matches!(op, Op::Ins(_))).count();
    let new_len = ops.iter().filter(|op| !matches!(op, Op::Del(_))).count();
    format!(
        "@@ -{},{old_len} +{},{new_len} @@",
        first_old.map_or(0, |i| i + 1),
        first_new.map_or(0, |j| j + 1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn a_new_file_counts_its_lines_and_the_same_content_is_unchanged() {
        assert_eq!(
            write_preview(None, "a\nb\n"),
            ApprovalPreview::NewFile { lines: 2 }
        );
        assert_eq!(
            write_preview(Some("a\n"), "a\n"),
            ApprovalPreview::Unchanged
        );
    }

    #[test]
    fn one_changed_line_is_a_hunk_with_context() {
        let old = lines(10);
        let new = old.replace("line 5\n", "line five\n");
        let diff = unified_diff(&old, &new);
        assert_eq!(diff[0], DiffLine::Hunk("@@ -2,7 +2,7 @@".into()));
        assert_eq!(diff[1], DiffLine::Context("line 2".into()));
        assert!(diff.contains(&DiffLine::Removed("line 5".into())));
        assert!(diff.contains(&DiffLine::Added("line five".into())));
        assert_eq!(diff.len(), 1 + 7 + 1);
    }

    #[test]
    fn distant_changes_are_separate_hunks_and_additions_at_the_end_count() {
        let old = lines(30);
        let new = old.replace("line 2\n", "two\n") + "line 31\n";
        let diff = unified_diff(&old, &new);
        let hunks: Vec<&DiffLine> = diff
            .iter()
            .filter(|l| matches!(l, DiffLine::Hunk(_)))
            .collect();
        assert_eq!(hunks.len(), 2, "{diff:?}");
        assert_eq!(diff.last(), Some(&DiffLine::Added("line 31".into())));
    }
}
