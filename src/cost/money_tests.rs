//! The cost formula against every model of the embedded price table, with expected values
//! worked out by hand (not by calling the formula), and the unknown-model case.
//!
//! Two usages per model:
//! - SPLIT: 1,000 uncached input, 2,000 written at 5 min and 4,000 at 1 h (6,000 writes in
//!   all, split given), 3,000 cache reads, 500 output;
//! - NO_SPLIT: the same counts without the TTL split, so all 6,000 writes are priced at 5 min.
//!
//! In millionths of a dollar ("µ$"), SPLIT = 1000 in + 2000 w5 + 4000 w1 + 3000 r + 500 out
//! and NO_SPLIT = 1000 in + 6000 w5 + 3000 r + 500 out, with the model's per-million prices.

use super::*;
use crate::api::CacheCreation;
use crate::cost::Pricing;

fn split() -> Usage {
    Usage {
        input_tokens: 1000,
        output_tokens: 500,
        cache_creation_input_tokens: 6000,
        cache_read_input_tokens: 3000,
        cache_creation: Some(CacheCreation {
            ephemeral_5m_input_tokens: 2000,
            ephemeral_1h_input_tokens: 4000,
        }),
        ..Usage::default()
    }
}

fn no_split() -> Usage {
    Usage {
        cache_creation: None,
        ..split()
    }
}

/// (model ids sharing one price, SPLIT in USD, NO_SPLIT in USD), worked out by hand.
const EXPECTED: &[(&[&str], f64, f64)] = &[
    // 4 / 20, writes 5 / 8, read 0.20:
    // SPLIT 4000 + 10000 + 32000 + 600 + 10000 = 56600 µ$; NO_SPLIT 4000 + 30000 + 600 +
    // 10000 = 44600 µ$.
    (&["claude-opus-5-5"], 0.0566, 0.0446),
    // 10 / 50, writes 12.50 / 20, read 0.25:
    // SPLIT 10000 + 25000 + 80000 + 750 + 25000 = 140750; NO_SPLIT 10000 + 75000 + 750 +
    // 25000 = 110750.
    (&["claude-fable-5-1", "claude-mythos-5-1"], 0.14075, 0.11075),
    // 10 / 50, writes 12.50 / 20, read 1.00:
    // SPLIT 10000 + 25000 + 80000 + 3000 + 25000 = 143000; NO_SPLIT 10000 + 75000 + 3000 +
    // 25000 = 113000.
    (&["claude-fable-5", "claude-mythos-5"], 0.143, 0.113),
    // 5 / 25, writes 6.25 / 10, read 0.50:
    // SPLIT 5000 + 12500 + 40000 + 1500 + 12500 = 71500; NO_SPLIT 5000 + 37500 + 1500 +
    // 12500 = 56500.
    (
        &[
            "claude-opus-5",
            "claude-opus-4-8",
            "claude-opus-4-7",
            "claude-opus-4-6",
            "claude-opus-4-5",
        ],
        0.0715,
        0.0565,
    ),
    // 3 / 15, writes 3.75 / 6, read 0.30:
    // SPLIT 3000 + 7500 + 24000 + 900 + 7500 = 42900; NO_SPLIT 3000 + 22500 + 900 + 7500
    // = 33900.
    (
        &[
            "claude-sonnet-4-6",
            "claude-sonnet-4-5",
            "claude-sonnet-4-20250514",
            "claude-sonnet-4-0",
            "claude-3-7-sonnet-20250219",
            "claude-3-7-sonnet-latest",
        ],
        0.0429,
        0.0339,
    ),
    // 1 / 5, writes 1.25 / 2, read 0.10:
    // SPLIT 1000 + 2500 + 8000 + 300 + 2500 = 14300; NO_SPLIT 1000 + 7500 + 300 + 2500
    // = 11300.
    (&["claude-haiku-4-5"], 0.0143, 0.0113),
    // 15 / 75, writes 18.75 / 30, read 1.50:
    // SPLIT 15000 + 37500 + 120000 + 4500 + 37500 = 214500; NO_SPLIT 15000 + 112500 + 4500
    // + 37500 = 169500.
    (
        &[
            "claude-opus-4-1-20250805",
            "claude-opus-4-1",
            "claude-opus-4-20250514",
            "claude-opus-4-0",
        ],
        0.2145,
        0.1695,
    ),
    // 0.80 / 4, writes 1 / 1.60, read 0.08:
    // SPLIT 800 + 2000 + 6400 + 240 + 2000 = 11440; NO_SPLIT 800 + 6000 + 240 + 2000 = 9040.
    (
        &["claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"],
        0.01144,
        0.00904,
    ),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn every_priced_model_costs_what_was_worked_out_by_hand() {
    let pricing = Pricing::embedded();
    let mut covered = Vec::new();
    for (ids, with_split, without_split) in EXPECTED {
        for id in *ids {
            let got = pricing.cost(id, &split());
            assert!(
                got.is_some_and(|c| close(c, *with_split)),
                "{id} with the 5m/1h split: got {got:?}, expected {with_split}"
            );
            let got = pricing.cost(id, &no_split());
            assert!(
                got.is_some_and(|c| close(c, *without_split)),
                "{id} without a split (all writes at 5m): got {got:?}, expected {without_split}"
            );
            covered.push(*id);
        }
    }
    // A model added to the table needs its own hand-worked line above.
    let mut priced: Vec<&str> = pricing.models().collect();
    priced.sort_unstable();
    covered.sort_unstable();
    assert_eq!(priced, covered);
}

#[test]
fn dated_ids_cost_like_their_undated_entry() {
    let pricing = Pricing::embedded();
    for (dated, expected) in [
        ("claude-haiku-4-5-20251001", 0.0143),
        ("claude-sonnet-4-5-20250929", 0.0429),
        ("claude-opus-4-5-20251101", 0.0715),
    ] {
        let got = pricing.cost(dated, &split());
        assert!(got.is_some_and(|c| close(c, expected)), "{dated}: {got:?}");
    }
}

#[test]
fn unknown_and_unconfirmed_models_have_no_cost_rather_than_a_guess() {
    let pricing = Pricing::embedded();
    for id in [
        "claude-sonnet-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "claude-3-haiku-20240307",
        "gpt-4o",
        "",
    ] {
        assert_eq!(pricing.cost(id, &split()), None, "{id}");
    }
}

#[test]
fn savings_are_the_uncached_price_minus_the_real_one() {
    let pricing = Pricing::embedded();
    let Some(sonnet) = pricing.price("claude-sonnet-4-6") else {
        panic!("sonnet 4.6 has a price");
    };
    // Uncached: 10,000 prompt tokens x 3 + 500 x 15 = 37500 µ$; real SPLIT price 42900 µ$:
    // the writes' premium (2000 x 0.75 + 4000 x 3 = 13500) outweighs the reads' discount
    // (3000 x 2.70 = 8100), so the cache cost 5400 µ$ net on this request.
    assert!(close(uncached_cost_usd(sonnet, &split()), 0.0375));
    assert!(close(savings_usd(sonnet, &split()), -0.0054));
    // A pure read of 10,000 tokens: 10000 x (3 - 0.30) = 27000 µ$ saved.
    let read = Usage {
        input_tokens: 0,
        cache_read_input_tokens: 10_000,
        ..Usage::default()
    };
    assert!(close(savings_usd(sonnet, &read), 0.027));
    // Nothing cached, nothing saved.
    let plain = Usage {
        input_tokens: 1000,
        output_tokens: 100,
        ..Usage::default()
    };
    assert!(close(savings_usd(sonnet, &plain), 0.0));
}
