//! Routing as tables: prompts against the built-in rules, custom rules, code detection.

use super::*;
use crate::config::Config;

fn builtin() -> RoutingConfig {
    Config::default().routing
}

fn long_code() -> String {
    let body = "    let total: u64 = items.iter().map(|i| i.price).sum();\n".repeat(40);
    format!("Why is this slow?\n```rust\nfn total(items: &[Item]) -> u64 {{\n{body}}}\n```")
}

fn long_prose(topic: &str) -> String {
    format!(
        "{topic} {}",
        "The service handles orders and payments for many shops. ".repeat(30)
    )
}

#[test]
fn builtin_rules_follow_the_task_table() {
    let cases: Vec<(String, Tier, Option<u32>, Option<&str>)> = vec![
        (
            "What is the capital of France?".into(),
            Tier::Balanced,
            None,
            None,
        ),
        ("hi".into(), Tier::Balanced, None, None),
        (
            "/review src/main.rs".into(),
            Tier::Max,
            None,
            Some("review command"),
        ),
        (
            "/AUDIT the login flow".into(),
            Tier::Max,
            None,
            Some("review command"),
        ),
        (
            "/classify my card was charged twice".into(),
            Tier::Fast,
            Some(512),
            Some("classify command"),
        ),
        (
            "/summarise the thread".into(),
            Tier::Balanced,
            None,
            Some("summary command"),
        ),
        (
            "Classify the sentiment of: I love this keyboard".into(),
            Tier::Fast,
            Some(512),
            Some("classification"),
        ),
        (
            "Extract the dates from: we met on 3 May and again on 9 June.".into(),
            Tier::Fast,
            Some(512),
            Some("classification"),
        ),
        (
            "Is this true or false: the sun is a star".into(),
            Tier::Fast,
            Some(512),
            Some("classification"),
        ),
        (long_code(), Tier::Max, None, Some("long code")),
        (
            long_prose("Please review the architecture below in depth."),
            Tier::Max,
            None,
            Some("long analysis"),
        ),
        // Long prose without analysis words, and short code: general chat.
        (
            long_prose("Tell me a story about this."),
            Tier::Balanced,
            None,
            None,
        ),
        (
            "Review this:\n```\nfn main() {}\n```".into(),
            Tier::Balanced,
            None,
            None,
        ),
        // Classification words next to code are not a classification.
        (
            "Classify this:\n```\nlet x = 1;\n```".into(),
            Tier::Balanced,
            None,
            None,
        ),
    ];
    let config = builtin();
    for (prompt, tier, max_tokens, rule) in cases {
        let got = route(&config, &prompt);
        let head: String = prompt.chars().take(40).collect();
        assert_eq!(
            (got.tier, got.max_tokens, got.rule.as_deref()),
            (tier, max_tokens, rule),
            "{head:?}"
        );
    }
}

#[test]
fn first_match_wins_bounds_are_inclusive_and_every_condition_must_hold() {
    let config = RoutingConfig {
        default: Tier::Max,
        rules: vec![
            RouteRule {
                min_chars: Some(3),
                max_chars: Some(5),
                ..RouteRule::new("three to five", Tier::Fast)
            },
            RouteRule {
                keywords: vec!["sql".into()],
                code: Some(false),
                max_tokens: Some(99),
                ..RouteRule::new("sql prose", Tier::Balanced)
            },
            RouteRule::new("catch-all", Tier::Fast),
        ],
    };
    let cases = [
        ("abc", "three to five"),
        ("abcde", "three to five"),
        ("  abcde  ", "three to five"),
        ("ab", "catch-all"),
        ("Explain SQL joins", "sql prose"),
        (
            "Explain sql:\nSELECT a FROM t;\nSELECT b FROM t;",
            "catch-all",
        ),
    ];
    for (prompt, want) in cases {
        assert_eq!(
            route(&config, prompt).rule.as_deref(),
            Some(want),
            "{prompt:?}"
        );
    }
    assert_eq!(route(&config, "Explain SQL joins").max_tokens, Some(99));
    let none = RoutingConfig {
        default: Tier::Max,
        rules: Vec::new(),
    };
    let r = route(&none, "anything");
    assert_eq!(r.reason(), "default");
    assert_eq!((r.tier, r.rule), (Tier::Max, None));
}

#[test]
fn keywords_match_whole_words_and_phrases_ignoring_case() {
    assert!(contains_phrase("label this", "label"));
    assert!(contains_phrase("please, label!", "label"));
    assert!(contains_phrase("is it yes or no?", "yes or no"));
    assert!(!contains_phrase("relabel this", "label"));
    assert!(!contains_phrase("the stage is set", "tag"));
    assert!(!contains_phrase("labels", "label"));
    assert!(contains_phrase("trade-offs of x", "trade-offs"));
    let config = RoutingConfig {
        default: Tier::Balanced,
        rules: vec![RouteRule {
            keywords: vec!["label".into()],
            ..RouteRule::new("labels", Tier::Fast)
        }],
    };
    assert_eq!(route(&config, "LABEL these").tier, Tier::Fast);
}

#[test]
fn code_is_fenced_blocks_or_two_code_like_lines() {
    let cases = [
        ("```\nanything\n```", true),
        ("~~~py\nprint(1)\n~~~", true),
        ("let x = 1;\nlet y = 2;", true),
        ("import os\nimport sys", true),
        ("fn main() {\n}", true),
        ("if a == b then c", false),
        ("a single line;", false),
        (
            "From the start, it was clear.\nUse this when you must.",
            false,
        ),
        ("Return the form.\nClass starts at nine.", false),
        ("Plain prose, no code at all.", false),
    ];
    for (text, want) in cases {
        assert_eq!(has_code(text), want, "{text:?}");
    }
}

#[test]
fn commands_need_the_slash_and_the_first_word() {
    let config = RoutingConfig {
        default: Tier::Balanced,
        rules: vec![RouteRule {
            commands: vec!["review".into()],
            ..RouteRule::new("review", Tier::Max)
        }],
    };
    assert_eq!(route(&config, "/review").tier, Tier::Max);
    assert_eq!(route(&config, "  /Review this").tier, Tier::Max);
    assert_eq!(route(&config, "review this").tier, Tier::Balanced);
    assert_eq!(route(&config, "/reviewer this").tier, Tier::Balanced);
    assert_eq!(route(&config, "please /review").tier, Tier::Balanced);
    assert_eq!(route(&config, "/").tier, Tier::Balanced);
}
