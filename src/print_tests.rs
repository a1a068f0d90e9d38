use super::*;

#[test]
fn groups_thousands() {
    assert_eq!(group(0), "0");
    assert_eq!(group(999), "999");
    assert_eq!(group(1000), "1,000");
    assert_eq!(group(1_234_567), "1,234,567");
}

#[test]
fn usage_line_says_price_unknown_rather_than_guessing() {
    let usage = Usage {
        input_tokens: 14,
        cache_read_input_tokens: 3120,
        output_tokens: 8,
        ..Usage::default()
    };
    assert_eq!(
        usage_line_parts("m", &usage, None),
        "m · input 14 · cache read 3,120 · cache write 0 · output 8 · price unknown"
    );
}

#[test]
fn answer_text_goes_through_one_gate_per_block() {
    let (mut tally, mut out, mut err) = (Tally::new(), Vec::new(), Vec::new());
    let deltas = [
        (0, "a \x1b[3"),
        (0, "1mred\x1b]52;c;SGVs"),
        (0, "bG8=\x07 b\u{9b}"),
        (0, "2J\r\n"),
        // A sequence left open at the end of a block does not swallow the next one.
        (0, "c\x1b]0;never closed"),
        (1, " d"),
    ];
    for (index, text) in deltas {
        let update = Update::TextDelta {
            turn: crate::engine::TurnId(1),
            index,
            text: text.into(),
        };
        show(
            update,
            PrintOptions::default(),
            &mut tally,
            &mut out,
            &mut err,
        );
    }
    assert_eq!(String::from_utf8(out).unwrap(), "a red b\nc d");
}

#[test]
fn over_budget_refuses_unless_told_to_go_on() {
    assert_eq!(budget_refusal(100.0, None, false), None);
    assert_eq!(budget_refusal(4.99, Some(5.0), false), None);
    assert_eq!(budget_refusal(5.0, Some(5.0), true), None);
    assert_eq!(
        budget_refusal(5.0, Some(5.0), false).as_deref(),
        Some(
            "today's spend $5.00 has reached the daily budget of $5.00 (budget.daily_usd); \
             nothing was sent. Add --over-budget to send anyway."
        )
    );
    assert!(budget_refusal(0.0, Some(0.0), false).is_some());
}
