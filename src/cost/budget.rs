//! The daily budget: how today's spend stands against `budget.daily_usd`.
//!
//! Levels: below [`WARNING_FRACTION`] of the budget is normal; from there the gauge turns to
//! the warning colour; at 100% (spend >= budget) sending needs a confirmation in the TUI
//! and `--over-budget` in print mode. A budget of 0 is allowed and means every request
//! needs that confirmation. No budget means no level at all: the spend is shown, nothing is
//! gated.

/// The share of the budget at which the gauge turns to the warning colour.
pub const WARNING_FRACTION: f64 = 0.8;

/// How today's spend stands against the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetLevel {
    Normal,
    /// At or above [`WARNING_FRACTION`] of the budget.
    Warning,
    /// At or above the budget: sending asks first.
    Over,
}

/// `spent` against `daily_usd`; `None` without a budget.
pub fn level(spent: f64, daily_usd: Option<f64>) -> Option<BudgetLevel> {
    let limit = daily_usd?;
    Some(if spent >= limit {
        BudgetLevel::Over
    } else if spent >= limit * WARNING_FRACTION {
        BudgetLevel::Warning
    } else {
        BudgetLevel::Normal
    })
}

/// The gauge's fill, 0 to 1 (a zero budget is full).
pub fn fraction(spent: f64, limit: f64) -> f64 {
    if limit <= 0.0 {
        return 1.0;
    }
    (spent / limit).clamp(0.0, 1.0)
}

/// One line saying the budget is used up, for the confirmation prompt and print mode.
pub fn over_budget_message(spent: f64, limit: f64) -> String {
    format!(
        "today's spend {} has reached the daily budget of {} (budget.daily_usd)",
        super::format_usd(spent),
        super::format_usd(limit)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_at_the_thresholds() {
        let cases = [
            (0.0, None, None),
            (100.0, None, None),
            (0.0, Some(5.0), Some(BudgetLevel::Normal)),
            (3.99, Some(5.0), Some(BudgetLevel::Normal)),
            (4.0, Some(5.0), Some(BudgetLevel::Warning)),
            (4.99, Some(5.0), Some(BudgetLevel::Warning)),
            (5.0, Some(5.0), Some(BudgetLevel::Over)),
            (7.0, Some(5.0), Some(BudgetLevel::Over)),
            // A zero budget: every request needs a confirmation.
            (0.0, Some(0.0), Some(BudgetLevel::Over)),
        ];
        for (spent, limit, expected) in cases {
            assert_eq!(level(spent, limit), expected, "{spent} of {limit:?}");
        }
    }

    #[test]
    fn fraction_is_clamped() {
        assert_eq!(fraction(2.5, 5.0), 0.5);
        assert_eq!(fraction(9.0, 5.0), 1.0);
        assert_eq!(fraction(0.0, 0.0), 1.0);
        assert_eq!(fraction(-1.0, 5.0), 0.0);
    }

    #[test]
    fn the_message_names_both_amounts_and_the_key() {
        assert_eq!(
            over_budget_message(5.0234, 5.0),
            "today's spend $5.02 has reached the daily budget of $5.00 (budget.daily_usd)"
        );
    }
}
