//! Usage to money, and how money is shown.
//!
//! The API reports four kinds of prompt tokens that are priced differently, and the sum
//! must not count any of them twice: `input_tokens` is only the uncached part after the
//! last cache breakpoint; cache writes (split into 5 min and 1 h TTLs in
//! `usage.cache_creation`) and cache reads come on top.
//!
//! What the cache saved ([`savings_usd`]) is defined as the request's price had nothing
//! been cached (every prompt token, read or written, at the input price) minus its actual
//! price. That is the reads' discount *minus* the writes' premium, so it is negative on a
//! request that only writes (a first turn) and pays off from the reads that follow.

use crate::api::Usage;

use super::ModelPrice;

const PER_MILLION: f64 = 1_000_000.0;

/// uncached input x input + 5m writes x 5m price + 1h writes x 1h price (from
/// usage.cache_creation; when absent, all of cache_creation_input_tokens at the 5m price) +
/// cache reads x read + output x output; per million.
///
/// If the split accounts for fewer tokens than `cache_creation_input_tokens`, the rest is
/// charged at the 5 min price (the API's default TTL), so no written token goes unpriced.
pub fn cost_usd(price: &ModelPrice, usage: &Usage) -> f64 {
    let (write_5m, write_1h) = write_split(usage);
    let parts = [
        (usage.input_tokens, price.input),
        (write_5m, price.cache_write_5m),
        (write_1h, price.cache_write_1h),
        (usage.cache_read_input_tokens, price.cache_read),
        (usage.output_tokens, price.output),
    ];
    parts
        .iter()
        .map(|&(tokens, per_million)| tokens as f64 * per_million)
        .sum::<f64>()
        / PER_MILLION
}

/// The cache writes of `usage` as (5 min, 1 h) tokens: from `usage.cache_creation`, with
/// any tokens the split does not account for (or all of them, without a split) at 5 min.
pub fn write_split(usage: &Usage) -> (u64, u64) {
    match &usage.cache_creation {
        Some(split) => {
            let listed = split.ephemeral_5m_input_tokens + split.ephemeral_1h_input_tokens;
            let rest = usage.cache_creation_input_tokens.saturating_sub(listed);
            (
                split.ephemeral_5m_input_tokens + rest,
                split.ephemeral_1h_input_tokens,
            )
        }
        None => (usage.cache_creation_input_tokens, 0),
    }
}

/// What `usage` would have cost with no prompt caching: every prompt token (uncached,
/// written or read) at the input price, plus the output.
pub fn uncached_cost_usd(price: &ModelPrice, usage: &Usage) -> f64 {
    (usage.prompt_tokens() as f64 * price.input + usage.output_tokens as f64 * price.output)
        / PER_MILLION
}

/// Net money the cache saved on this request: [`uncached_cost_usd`] minus [`cost_usd`]
/// (negative when the write premium outweighs the reads' discount). See the module docs.
pub fn savings_usd(price: &ModelPrice, usage: &Usage) -> f64 {
    uncached_cost_usd(price, usage) - cost_usd(price, usage)
}

/// "$0.0189" for amounts under $1 (4 decimals), "$12.34" otherwise (2 decimals); "$0.0000"
/// for 0. Negative amounts (refunds, corrections) get a leading minus; a non-finite amount,
/// which only a broken price table can produce, shows as "$?".
pub fn format_usd(amount: f64) -> String {
    if !amount.is_finite() {
        return "$?".to_owned();
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    let abs = amount.abs();
    // Decide on the rounded value, so 0.99999 shows as "$1.00", not "$1.0000".
    if abs < 0.99995 {
        let text = format!("{abs:.4}");
        // "-$0.0000" would be noise for a tiny negative rounding error.
        let sign = if text == "0.0000" { "" } else { sign };
        format!("{sign}${text}")
    } else {
        format!("{sign}${abs:.2}")
    }
}

/// 1234567 -> "1,234,567": how token counts are shown.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[path = "money_tests.rs"]
mod model_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CacheCreation;

    fn usage(input: u64, output: u64, write: u64, read: u64, split: Option<(u64, u64)>) -> Usage {
        Usage {
            input_tokens: input,
            output_tokens: output,
            cache_creation_input_tokens: write,
            cache_read_input_tokens: read,
            cache_creation: split.map(|(m5, h1)| CacheCreation {
                ephemeral_5m_input_tokens: m5,
                ephemeral_1h_input_tokens: h1,
            }),
            ..Usage::default()
        }
    }

    /// Sonnet 4.6 prices: 3 / 15, writes 3.75 (5m) and 6 (1h), read 0.30.
    fn sonnet() -> ModelPrice {
        ModelPrice {
            input: 3.0,
            output: 15.0,
            cache_write_5m: 3.75,
            cache_write_1h: 6.0,
            cache_read: 0.30,
        }
    }

    #[test]
    fn cost_table() {
        // (usage, expected USD, computed by hand)
        let cases = [
            // Nothing used costs nothing.
            (usage(0, 0, 0, 0, None), 0.0),
            // 1000 in x 3 + 500 out x 15 = 3000 + 7500 = 10500 / 1e6.
            (usage(1000, 500, 0, 0, None), 0.0105),
            // No split: all 2000 writes at 5m: 2000 x 3.75 = 7500; 10000 reads x 0.3 = 3000;
            // 14 in x 3 = 42; 100 out x 15 = 1500. Total 12042 / 1e6.
            (usage(14, 100, 2000, 10_000, None), 0.012042),
            // Split 500 at 5m and 1500 at 1h: 500 x 3.75 + 1500 x 6 = 1875 + 9000 = 10875;
            // + 42 + 3000 + 1500 = 15417 / 1e6.
            (usage(14, 100, 2000, 10_000, Some((500, 1500))), 0.015417),
            // Split all 1h: 2000 x 6 = 12000; + 42 + 3000 + 1500 = 16542 / 1e6.
            (usage(14, 100, 2000, 10_000, Some((0, 2000))), 0.016542),
            // Split short of the total: the 1000 unlisted are 5m: (1000 + 1000) x 3.75
            // = 7500, 0 x 6; total as the no-split case.
            (usage(14, 100, 2000, 10_000, Some((1000, 0))), 0.012042),
            // A million output tokens cost the output price.
            (usage(0, 1_000_000, 0, 0, None), 15.0),
        ];
        for (u, expected) in cases {
            let got = cost_usd(&sonnet(), &u);
            assert!(
                (got - expected).abs() < 1e-12,
                "{u:?}: got {got}, expected {expected}"
            );
        }
    }

    #[test]
    fn format_table() {
        let cases = [
            (0.0, "$0.0000"),
            (0.0189, "$0.0189"),
            (0.01894, "$0.0189"),
            (0.00005, "$0.0001"),
            (0.9999, "$0.9999"),
            (0.99996, "$1.00"),
            (1.0, "$1.00"),
            (12.345, "$12.35"),
            (12.344, "$12.34"),
            (1234.5, "$1234.50"),
            (-0.5, "-$0.5000"),
            (-2.0, "-$2.00"),
            (-0.00001, "$0.0000"),
            (f64::NAN, "$?"),
            (f64::INFINITY, "$?"),
        ];
        for (amount, expected) in cases {
            assert_eq!(format_usd(amount), expected, "{amount}");
        }
    }
}
