//! Config tests for the engine's keys: per-tier budgets, `auto`, pinned tiers, `[cache]`,
//! `[context]` and `[routing]`, with the located errors of bad values.

use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<Loaded, String> {
    parse_str(text, Path::new("c.toml")).map_err(|e| e.to_string())
}

fn config(text: &str) -> Config {
    match parse(text) {
        Ok(loaded) => loaded.config,
        Err(e) => panic!("{e}"),
    }
}

/// The error for `text`, which must start with `c.toml:LINE:COL: KEY` and contain `part`.
fn assert_error(text: &str, place: &str, part: &str) {
    let Err(message) = parse(text) else {
        panic!("{text:?} loaded without error");
    };
    assert!(message.starts_with(&format!("c.toml:{place}")), "{message}");
    assert!(message.contains(part), "{message}");
}

#[test]
fn max_tokens_is_one_number_or_a_table_per_tier() {
    let c = config("[models]\nmax_tokens = 1000\n");
    assert_eq!(c.models.max_tokens, PerTier::all(1000));
    let c = config("[models]\nmax_tokens = { fast = 1024, max = 32000 }\n");
    assert_eq!(
        c.models.max_tokens,
        PerTier {
            fast: 1024,
            balanced: 8192,
            max: 32000
        }
    );
    let c = config("[models.max_tokens]\nBalanced = 7\n");
    assert_eq!(c.models.max_tokens.get(Tier::Balanced), 7);
    assert_error(
        "[models]\nmax_tokens = { fast = 0 }\n",
        "2:23: models.max_tokens.fast",
        "at least 1, got 0",
    );
    assert_error(
        "[models]\nmax_tokens = -5\n",
        "2:14: models.max_tokens",
        "at least 1",
    );
    assert_error(
        "[models]\nmax_tokens = 5000000000\n",
        "2:14: models.max_tokens",
        "at most 4294967295",
    );
    assert_error(
        "[models]\nmax_tokens = { huge = 1 }\n",
        "2:",
        r#"unknown tier "huge""#,
    );
    assert_error(
        "[models]\nmax_tokens = \"lots\"\n",
        "2:14: models.max_tokens",
        "a number of tokens, or a table",
    );
}

#[test]
fn auto_tier_and_pinned_ids() {
    let c = config("[models]\ntier = \"Auto\"\nbalanced = \"my-sonnet\"\n");
    assert_eq!(c.models.tier, TierChoice::Auto);
    assert_eq!(
        c.models.pinned,
        PerTier {
            fast: false,
            balanced: true,
            max: false
        }
    );
    assert_eq!(c.models.balanced, "my-sonnet");
    assert_eq!(c.models.fast, Config::default().models.fast);
    assert!(!config("[models]\ndiscover = false\n").models.discover);
    assert_error(
        "[models]\ntier = \"turbo\"\n",
        "2:8: models.tier",
        "expected auto, fast, balanced or max",
    );
    // "auto" is a choice, not a tier: a fallback list cannot name it.
    assert_error(
        "[models]\nfallback = [\"auto\"]\n",
        "2:13: models.fallback[0]",
        "unknown tier",
    );
}

#[test]
fn cache_keys() {
    let c = config("[cache]\nenabled = false\nttl = \"1h\"\n");
    assert_eq!(
        c.cache,
        CacheConfig {
            enabled: false,
            ttl: CacheTtl::OneHour
        }
    );
    assert_eq!(CacheTtl::OneHour.duration().as_secs(), 3600);
    assert_error(
        "[cache]\nttl = \"10m\"\n",
        "2:7: cache.ttl",
        "\"5m\" or \"1h\"",
    );
}

#[test]
fn context_keys() {
    let c = config("[context]\nmax_fraction = 1\nstrategy = \"Summarize\"\nkeep_turns = 4\n");
    assert_eq!(
        c.context,
        ContextConfig {
            max_fraction: 1.0,
            strategy: ContextStrategy::Summarise,
            keep_turns: 4
        }
    );
    let c = config("[context]\nstrategy = \"truncate\"\n");
    assert_eq!(c.context.strategy, ContextStrategy::Truncate);
    assert_error(
        "[context]\nmax_fraction = 0\n",
        "2:16: context.max_fraction",
        "greater than 0 and at most 1",
    );
    assert_error(
        "[context]\nmax_fraction = 1.5\n",
        "2:16: context.max_fraction",
        "got 1.5",
    );
    assert_error(
        "[context]\nstrategy = \"forget\"\n",
        "2:12: context.strategy",
        "\"summarise\" or \"truncate\"",
    );
    assert_error(
        "[context]\nkeep_turns = 0\n",
        "2:14: context.keep_turns",
        "at least 1",
    );
}

#[test]
fn routing_rules_replace_the_builtin_list_and_are_normalised() {
    let text = r#"
[routing]
default = "fast"

[[routing.rule]]
command = ["/Review", "audit"]
tier = "max"
max_tokens = 4096

[[routing.rule]]
name = "sql"
keywords = ["SQL", "Join"]
code = false
min_chars = 10
max_chars = 10
tier = "balanced"
"#;
    let c = config(text);
    assert_eq!(c.routing.default, Tier::Fast);
    assert_eq!(
        c.routing.rules,
        vec![
            RouteRule {
                name: "rule 1".into(),
                commands: vec!["review".into(), "audit".into()],
                min_chars: None,
                max_chars: None,
                code: None,
                keywords: Vec::new(),
                tier: Tier::Max,
                max_tokens: Some(4096),
            },
            RouteRule {
                name: "sql".into(),
                commands: Vec::new(),
                min_chars: Some(10),
                max_chars: Some(10),
                code: Some(false),
                keywords: vec!["sql".into(), "join".into()],
                tier: Tier::Balanced,
                max_tokens: None,
            },
        ]
    );
    // A file that only changes the default keeps the built-in rules.
    let c = config("[routing]\ndefault = \"max\"\n");
    assert_eq!(c.routing.rules, RoutingConfig::default().rules);
    let loaded = parse("[[routing.rule]]\ntier = \"fast\"\nwords = [\"x\"]\n").unwrap();
    assert_eq!(
        loaded.warnings,
        ["c.toml:3: unknown key `routing.rule[0].words` (ignored)"]
    );
}

#[test]
fn bad_routing_rules_are_located() {
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\n\n[[routing.rule]]\nname = \"no tier\"\n",
        "",
        "routing.rule[1]: every rule needs a tier",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\nmin_chars = 9\nmax_chars = 3\n",
        "4:13: routing.rule[0].max_chars",
        "must not be below min_chars (9), got 3",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\nkeywords = [\"ok\", \" \"]\n",
        "3:19: routing.rule[0].keywords[1]",
        "must not be empty",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\ncommand = \"/\"\n",
        "3:11: routing.rule[0].command:",
        "must not be empty",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\ncommand = [\"a\", \"\"]\n",
        "3:17: routing.rule[0].command[1]",
        "must not be empty",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\nmax_tokens = 0\n",
        "3:14: routing.rule[0].max_tokens",
        "at least 1",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"auto\"\n",
        "2:8: routing.rule[0].tier",
        "unknown tier",
    );
    assert_error(
        "[[routing.rule]]\ntier = \"max\"\ncommand = 3\n",
        "3:11: routing.rule[0].command",
        "a string or a list of strings",
    );
}

#[test]
fn chatterm_tier_accepts_auto() {
    let env = |k: &str| (k == ENV_TIER).then(|| "auto".to_owned());
    let opts = LoadOptions {
        explicit_path: None,
        env: &env,
    };
    let loaded = load::load_with_default_path(&opts, None).map_err(|e| e.to_string());
    assert_eq!(loaded.map(|l| l.config.models.tier), Ok(TierChoice::Auto));
}
