//! `chatterm usage`: the ledger's entries as a table per local day and model, with totals.
//!
//! Pure formatting over [`LedgerEntry`]s, so it is tested with fixed entries. A group with
//! unpriced requests never gets a made-up cost: all unpriced shows "unknown", some unpriced
//! shows the known part with "+?" and a footnote says what that means.

use std::collections::BTreeMap;

use super::day::LocalTime;
use super::session::Tokens;
use super::{LedgerEntry, format_usd, group};
use crate::api::Usage;
use crate::sanitize::sanitize_line;

/// One row: a day and model, or the total.
#[derive(Debug, Default, Clone)]
struct Row {
    requests: u64,
    usage: Usage,
    cost_usd: f64,
    unpriced: u64,
}

impl Row {
    fn add(&mut self, entry: &LedgerEntry) {
        self.requests += 1;
        self.usage += &entry.usage;
        match entry.cost_usd {
            Some(c) => self.cost_usd += c,
            None => self.unpriced += 1,
        }
    }

    fn cost(&self) -> String {
        match (self.unpriced, self.requests) {
            (0, _) => format_usd(self.cost_usd),
            (u, n) if u == n => "unknown".into(),
            _ => format!("{}+?", format_usd(self.cost_usd)),
        }
    }

    fn cells(&self, day: &str, model: &str) -> [String; 8] {
        let t = Tokens::of(&self.usage);
        [
            day.to_owned(),
            model.to_owned(),
            group(self.requests),
            group(t.input),
            group(t.cache_read),
            group(t.cache_write),
            group(t.output),
            self.cost(),
        ]
    }
}

const HEADER: [&str; 8] = [
    "day",
    "model",
    "requests",
    "input",
    "cache read",
    "cache write",
    "output",
    "cost",
];

/// The report of the last `days` local days (today included) up to `now_ms`.
pub fn usage_report(entries: &[LedgerEntry], local: &LocalTime, days: u32, now_ms: i64) -> String {
    let since = local.days_back_ms(now_ms, days);
    let span = format!(
        "{} to {} ({})",
        local.date(since),
        local.date(now_ms),
        local.label()
    );
    let days_text = match days.max(1) {
        1 => "today".to_owned(),
        n => format!("the last {n} days"),
    };
    let mut groups: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut total = Row::default();
    for entry in entries
        .iter()
        .filter(|e| e.at_ms >= since && e.at_ms <= now_ms)
    {
        let key = (
            local.date(entry.at_ms),
            sanitize_line(&entry.model).into_owned(),
        );
        groups.entry(key).or_default().add(entry);
        total.add(entry);
    }
    if groups.is_empty() {
        return format!("No usage recorded for {days_text}, {span}.\n");
    }
    let mut rows: Vec<[String; 8]> = Vec::with_capacity(groups.len() + 2);
    rows.push(HEADER.map(str::to_owned));
    let mut previous_day = String::new();
    for ((day, model), row) in &groups {
        let shown_day = if *day == previous_day {
            ""
        } else {
            day.as_str()
        };
        rows.push(row.cells(shown_day, model));
        previous_day.clone_from(day);
    }
    rows.push(total.cells("total", ""));
    let mut out = format!("Usage for {days_text}, {span}\n\n");
    out.push_str(&table(&rows));
    if total.unpriced > 0 {
        out.push_str(
            "\nunknown / +?: requests on models without a price; their cost is not included \
             (add a [pricing.\"MODEL-ID\"] table to the config).\n",
        );
    }
    out
}

/// Rows laid out in columns: text columns (day, model) left-aligned, numbers right-aligned.
fn table(rows: &[[String; 8]]) -> String {
    let mut widths = [0usize; 8];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            if i < 2 {
                line.push_str(&format!("{cell:<w$}"));
            } else {
                line.push_str(&format!("{cell:>w$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Usage;
    use crate::domain::Tier;

    /// 2026-11-25T10:30:00Z.
    const NOW: i64 = 1_795_602_600_000;
    const HOUR: i64 = 3_600_000;

    fn entry(
        at_ms: i64,
        model: &str,
        tokens: (u64, u64, u64, u64),
        cost: Option<f64>,
    ) -> LedgerEntry {
        let (input, read, write, output) = tokens;
        LedgerEntry {
            at_ms,
            conversation: None,
            model: model.into(),
            tier: Some(Tier::Balanced),
            usage: Usage {
                input_tokens: input,
                cache_read_input_tokens: read,
                cache_creation_input_tokens: write,
                output_tokens: output,
                ..Usage::default()
            },
            cost_usd: cost,
            latency_ms: 1000,
            fell_back: false,
        }
    }

    #[test]
    fn groups_by_day_and_model_with_totals() {
        let entries = [
            // Eight days ago: outside a 7-day report.
            entry(
                NOW - 8 * 24 * HOUR,
                "claude-opus-5",
                (1, 0, 0, 1),
                Some(9.0),
            ),
            entry(
                NOW - 30 * HOUR,
                "claude-haiku-4-5",
                (12, 0, 0, 7),
                Some(0.000047),
            ),
            entry(
                NOW - 2 * HOUR,
                "claude-sonnet-4-6",
                (1000, 3000, 2000, 500),
                Some(0.0189),
            ),
            entry(
                NOW - HOUR,
                "claude-sonnet-4-6",
                (1000, 5000, 0, 500),
                Some(0.012),
            ),
            entry(NOW - HOUR, "claude-sonnet-5", (1000, 0, 0, 10), None),
        ];
        let report = usage_report(&entries, &LocalTime::utc(), 7, NOW);
        let expected = "\
Usage for the last 7 days, 2026-11-19 to 2026-11-25 (UTC)

day         model              requests  input  cache read  cache write  output       cost
2026-11-24  claude-haiku-4-5          1     12           0            0       7    $0.0000
2026-11-25  claude-sonnet-4-6         2  2,000       8,000        2,000   1,000    $0.0309
            claude-sonnet-5           1  1,000           0            0      10    unknown
total                                 4  3,012       8,000        2,000   1,017  $0.0309+?

unknown / +?: requests on models without a price; their cost is not included (add a [pricing.\"MODEL-ID\"] table to the config).
";
        assert_eq!(report, expected);
    }

    #[test]
    fn days_follow_the_local_offset() {
        // 23:30 UTC on the 24th is already the 25th at UTC+2.
        let late = NOW - 11 * HOUR;
        let entries = [entry(late, "m", (1, 0, 0, 1), Some(1.5))];
        let utc = usage_report(&entries, &LocalTime::utc(), 2, NOW);
        assert!(utc.contains("2026-11-24  m"), "{utc}");
        let east = usage_report(&entries, &LocalTime::from_offset_secs(7200), 1, NOW);
        assert!(east.starts_with("Usage for today, 2026-11-25 to 2026-11-25 (UTC+02:00)"));
        assert!(east.contains("2026-11-25  m"), "{east}");
        assert!(east.contains("$1.50"), "{east}");
        assert!(!east.contains("+?"), "{east}");
    }

    #[test]
    fn nothing_recorded_says_so() {
        assert_eq!(
            usage_report(&[], &LocalTime::utc(), 7, NOW),
            "No usage recorded for the last 7 days, 2026-11-19 to 2026-11-25 (UTC).\n"
        );
        let old = [entry(NOW - 30 * 24 * HOUR, "m", (1, 0, 0, 1), Some(1.0))];
        assert!(usage_report(&old, &LocalTime::utc(), 1, NOW).starts_with("No usage"));
    }

    #[test]
    fn model_names_are_sanitised() {
        let entries = [entry(NOW, "evil\u{1b}[2Jmodel", (1, 0, 0, 1), Some(0.1))];
        let report = usage_report(&entries, &LocalTime::utc(), 1, NOW);
        assert!(!report.contains('\u{1b}'), "{report:?}");
    }
}
