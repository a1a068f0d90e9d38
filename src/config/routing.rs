//! The `[routing]` table: rules that pick a tier per request when the tier is `auto`.
//!
//! Only the data lives here; matching a prompt against the rules is the engine's job
//! (`engine::routing`). A rule matches when every condition it states holds (a rule with
//! no condition matches everything); the first matching rule wins and `default` applies
//! when none does.
//!
//! The built-in rules follow the product brief's task table: classification-like prompts
//! go to the fast tier, long code reviews and analyses to max, everything else to the
//! default (balanced). They are written twice, here and in `assets/default-config.toml`;
//! a config test checks the two agree. A config file that lists any `[[routing.rule]]`
//! replaces the whole built-in list (lists are replaced, not merged, like
//! `models.fallback`), so the order a user wrote is the order that applies.

use super::Tier;

/// One routing rule: conditions (all must hold) and what to use when they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    /// Shown with the routed answer; defaults to "rule N".
    pub name: String,
    /// Slash commands (without the `/`, lowercase) that match when the prompt's first word
    /// is one of them, e.g. `review` for a prompt starting with `/review`.
    pub commands: Vec<String>,
    /// The prompt has at least this many characters.
    pub min_chars: Option<usize>,
    /// The prompt has at most this many characters.
    pub max_chars: Option<usize>,
    /// `Some(true)`: the prompt contains code (a fenced block or code-like lines);
    /// `Some(false)`: it does not.
    pub code: Option<bool>,
    /// Any of these appears in the prompt as a word or phrase, ignoring case (stored
    /// lowercase).
    pub keywords: Vec<String>,
    pub tier: Tier,
    /// The answer budget for a routed request; `None` keeps the tier's `models.max_tokens`.
    pub max_tokens: Option<u32>,
}

impl RouteRule {
    /// A rule named `name` that sends to `tier` and has no conditions yet (so it matches
    /// every prompt): the base that the built-in rules and tests fill in.
    pub fn new(name: &str, tier: Tier) -> RouteRule {
        RouteRule {
            name: name.to_owned(),
            commands: Vec::new(),
            min_chars: None,
            max_chars: None,
            code: None,
            keywords: Vec::new(),
            tier,
            max_tokens: None,
        }
    }
}

/// The routing rules and the tier used when none matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingConfig {
    pub default: Tier,
    pub rules: Vec<RouteRule>,
}

impl Default for RoutingConfig {
    fn default() -> Self {
        Self {
            default: Tier::Balanced,
            rules: default_rules(),
        }
    }
}

/// Words that mark a request for review or analysis.
const ANALYSIS_WORDS: &[&str] = &[
    "review",
    "analyse",
    "analyze",
    "analysis",
    "audit",
    "architecture",
    "in depth",
    "trade-offs",
    "prove",
];

/// Words that mark a classification-like request.
const CLASSIFICATION_WORDS: &[&str] = &[
    "classify",
    "categorise",
    "categorize",
    "category",
    "label",
    "sentiment",
    "extract",
    "yes or no",
    "true or false",
    "which language",
];

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

/// The built-in rules; must match the `[[routing.rule]]` entries of the embedded file.
fn default_rules() -> Vec<RouteRule> {
    let rule = RouteRule::new;
    vec![
        RouteRule {
            commands: words(&["review", "analyse", "analyze", "audit"]),
            ..rule("review command", Tier::Max)
        },
        RouteRule {
            commands: words(&["classify", "extract", "tag"]),
            max_tokens: Some(512),
            ..rule("classify command", Tier::Fast)
        },
        RouteRule {
            commands: words(&["summarise", "summarize"]),
            ..rule("summary command", Tier::Balanced)
        },
        RouteRule {
            code: Some(true),
            min_chars: Some(1500),
            ..rule("long code", Tier::Max)
        },
        RouteRule {
            keywords: words(ANALYSIS_WORDS),
            min_chars: Some(1500),
            ..rule("long analysis", Tier::Max)
        },
        RouteRule {
            keywords: words(CLASSIFICATION_WORDS),
            max_chars: Some(600),
            code: Some(false),
            max_tokens: Some(512),
            ..rule("classification", Tier::Fast)
        },
    ]
}
