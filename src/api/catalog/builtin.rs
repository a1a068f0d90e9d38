//! What chatterm knows about models without asking: the confirmed entries of reference
//! §6.1 and a context-window rule per model family for ids nobody listed.
//!
//! Only confirmed figures go in the entries; an unconfirmed maximum answer length is left
//! out (`None`) rather than guessed. The family rule errs small: an unknown family gets the
//! smallest current window (200K), so chatterm folds early rather than overflows.

use std::sync::OnceLock;

use super::ModelEntry;

/// The smallest window of any current model; the rule's answer when nothing else is known.
pub const SMALLEST_WINDOW: u64 = 200_000;
const MILLION: u64 = 1_000_000;

/// `(id, display name, line, window, max output)`.
type Row = (&'static str, &'static str, &'static str, u64, Option<u64>);

const ROWS: &[Row] = &[
    ("claude-opus-5-5", "Claude Opus 5.5", "opus", MILLION, None),
    (
        "claude-fable-5-1",
        "Claude Fable 5.1",
        "fable",
        MILLION,
        None,
    ),
    (
        "claude-mythos-5-1",
        "Claude Mythos 5.1",
        "mythos",
        MILLION,
        None,
    ),
    (
        "claude-fable-5",
        "Claude Fable 5",
        "fable",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-mythos-5",
        "Claude Mythos 5",
        "mythos",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-opus-5",
        "Claude Opus 5",
        "opus",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-sonnet-5",
        "Claude Sonnet 5",
        "sonnet",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-opus-4-8",
        "Claude Opus 4.8",
        "opus",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-opus-4-7",
        "Claude Opus 4.7",
        "opus",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-opus-4-6",
        "Claude Opus 4.6",
        "opus",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "sonnet",
        MILLION,
        Some(128_000),
    ),
    (
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "haiku",
        200_000,
        Some(64_000),
    ),
    ("claude-opus-4-5", "Claude Opus 4.5", "opus", 200_000, None),
    (
        "claude-sonnet-4-5",
        "Claude Sonnet 4.5",
        "sonnet",
        200_000,
        None,
    ),
];

/// The built-in entries, built once.
pub fn entries() -> &'static [ModelEntry] {
    static ENTRIES: OnceLock<Vec<ModelEntry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        ROWS.iter()
            .map(|&(id, name, line, window, max_out)| ModelEntry {
                id: id.to_owned(),
                display_name: name.to_owned(),
                created_at: None,
                max_input_tokens: Some(window),
                max_output_tokens: max_out,
                line: Some(line.to_owned()),
                lifecycle: None,
                capabilities: None,
            })
            .collect()
    })
}

/// The window of an id no entry knows, by family: Haiku 200K; Fable and Mythos 1M; Opus
/// and Sonnet 1M from the 4.6 generation on (standard price, reference §6.1) and 200K
/// before; anything else [`SMALLEST_WINDOW`].
pub fn family_window(id: &str) -> u64 {
    match super::line_of(id) {
        Some("fable" | "mythos") => MILLION,
        Some("opus" | "sonnet") if version_of(id).is_some_and(|v| v >= (4, 6)) => MILLION,
        _ => SMALLEST_WINDOW,
    }
}

/// `(major, minor)` from `claude-opus-4-6`, `claude-sonnet-5`, `claude-opus-4-5-20251101`;
/// `None` for old-style ids (`claude-3-5-haiku-...`) and ids without numbers after the line.
fn version_of(id: &str) -> Option<(u32, u32)> {
    let mut parts = id.split('-').skip_while(|p| super::line_of(p).is_none());
    parts.next()?;
    let number = |p: Option<&str>| p.filter(|p| p.len() <= 2)?.parse::<u32>().ok();
    let major = number(parts.next())?;
    Some((major, number(parts.next()).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_rule_follows_the_generations() {
        assert_eq!(family_window("claude-haiku-5-5"), SMALLEST_WINDOW);
        assert_eq!(family_window("claude-sonnet-4-7"), MILLION);
        assert_eq!(family_window("claude-sonnet-6"), MILLION);
        assert_eq!(family_window("claude-opus-4-1-20250805"), SMALLEST_WINDOW);
        assert_eq!(family_window("claude-sonnet-4-5-20250929"), SMALLEST_WINDOW);
        assert_eq!(family_window("claude-3-7-sonnet-20250219"), SMALLEST_WINDOW);
        assert_eq!(family_window("claude-fable-6"), MILLION);
        assert_eq!(family_window("my-local-model"), SMALLEST_WINDOW);
        assert_eq!(version_of("claude-opus-4-5-20251101"), Some((4, 5)));
        assert_eq!(version_of("claude-opus-5"), Some((5, 0)));
    }

    #[test]
    fn entries_are_unique_and_carry_a_window() {
        let all = entries();
        for (i, e) in all.iter().enumerate() {
            assert!(all[..i].iter().all(|o| o.id != e.id), "{} twice", e.id);
            assert!(e.max_input_tokens.is_some());
            assert_eq!(e.line.as_deref(), super::super::line_of(&e.id));
        }
    }
}
