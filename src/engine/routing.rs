//! Routing: which tier answers a prompt when the tier choice is `auto`. Pure.
//!
//! [`route`] tries the `[[routing.rule]]` entries in order; the first whose conditions all
//! hold decides the tier (and optionally the answer budget), else `routing.default`
//! applies. The conditions (see [`RouteRule`]):
//!
//! - `command`: the prompt's first word is `/NAME` for one of the names (the TUI sends a
//!   `//name` input as `/name`, and print mode passes the prompt as written);
//! - `min_chars` / `max_chars`: the trimmed prompt's length in characters;
//! - `code`: whether [`has_code`] finds code in the prompt;
//! - `keywords`: any of them appears as a whole word or phrase, ignoring case.
//!
//! Only the newest user prompt is looked at: the tier is a per-request choice, and the
//! cost of a wrong guess is one answer from a smaller or bigger model than needed.

use crate::config::{RouteRule, RoutingConfig, Tier};

/// The routing decision for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub tier: Tier,
    /// The rule's answer budget, when it sets one.
    pub max_tokens: Option<u32>,
    /// The matching rule's name; `None` when the default applied.
    pub rule: Option<String>,
}

impl Route {
    /// Why this tier: "rule long code" or "default".
    pub fn reason(&self) -> String {
        match &self.rule {
            Some(name) => format!("rule {name}"),
            None => "default".to_owned(),
        }
    }
}

/// The tier for `prompt` under `config`.
pub fn route(config: &RoutingConfig, prompt: &str) -> Route {
    let facts = Facts::of(prompt);
    config
        .rules
        .iter()
        .find(|rule| matches(rule, &facts))
        .map_or(
            Route {
                tier: config.default,
                max_tokens: None,
                rule: None,
            },
            |rule| Route {
                tier: rule.tier,
                max_tokens: rule.max_tokens,
                rule: Some(rule.name.clone()),
            },
        )
}

/// What the rules look at, computed once per prompt.
struct Facts {
    lower: String,
    chars: usize,
    command: Option<String>,
    code: bool,
}

impl Facts {
    fn of(prompt: &str) -> Self {
        let trimmed = prompt.trim();
        let command = trimmed
            .strip_prefix('/')
            .and_then(|rest| rest.split_whitespace().next())
            .filter(|name| !name.is_empty())
            .map(str::to_lowercase);
        Self {
            lower: trimmed.to_lowercase(),
            chars: trimmed.chars().count(),
            command,
            code: has_code(trimmed),
        }
    }
}

fn matches(rule: &RouteRule, facts: &Facts) -> bool {
    let command = rule.commands.is_empty()
        || facts
            .command
            .as_ref()
            .is_some_and(|c| rule.commands.contains(c));
    let min = rule.min_chars.is_none_or(|n| facts.chars >= n);
    let max = rule.max_chars.is_none_or(|n| facts.chars <= n);
    let code = rule.code.is_none_or(|want| facts.code == want);
    let keywords = rule.keywords.is_empty()
        || rule
            .keywords
            .iter()
            .any(|k| contains_phrase(&facts.lower, k));
    command && min && max && code && keywords
}

/// Whether `phrase` (lowercase) occurs in `text` (lowercase) with no letter or digit
/// directly before or after it, so "tag" does not match "stage".
fn contains_phrase(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(word_char) && !after.is_some_and(word_char)
    })
}

/// Whether a prompt contains code: a fenced block (```` ``` ```` or `~~~`), or at least two
/// lines that look like code (see [`code_like`]).
pub fn has_code(prompt: &str) -> bool {
    let mut code_lines = 0;
    for line in prompt.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            return true;
        }
        if code_like(line) {
            code_lines += 1;
            if code_lines >= 2 {
                return true;
            }
        }
    }
    false
}

/// A line that looks like code rather than prose: it ends like a statement or block
/// (`;`, `{`, `}`), carries operators that prose rarely uses (`=>`, `->`, `::`, `==`,
/// `!=`, `&&`, `||`, tags), or starts with a common keyword and reads like code rather than
/// a sentence ("import os", but not "From the start, ...").
fn code_like(line: &str) -> bool {
    const STARTS: &[&str] = &[
        "fn ",
        "pub ",
        "let ",
        "const ",
        "var ",
        "def ",
        "class ",
        "import ",
        "from ",
        "#include",
        "func ",
        "function ",
        "return ",
        "use ",
        "impl ",
        "struct ",
        "enum ",
        "package ",
        "select ",
        "if (",
        "for (",
        "while (",
        "} else",
        "#!/",
    ];
    const OPERATORS: &[&str] = &["=>", "->", "::", "==", "!=", "&&", "||", "</", "/>"];
    let t = line.trim();
    if t.is_empty() {
        return false;
    }
    let lower = t.to_lowercase();
    let keyword = STARTS.iter().any(|s| lower.starts_with(s));
    let symbols = t.contains(['(', ')', '{', '}', '[', ']', '=', ':', ';', '<', '>', '"']);
    let terse = t.split_whitespace().count() <= 6 && !t.ends_with(['.', '?', '!', ',']);
    t.ends_with(';')
        || t.ends_with('{')
        || t == "}"
        || t.ends_with("};")
        || (keyword && (symbols || terse))
        || OPERATORS.iter().any(|op| t.contains(op))
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
