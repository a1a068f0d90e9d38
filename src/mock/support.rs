//! What the simulated assistant reads out of an input text for structured answers.
//!
//! Deterministic keyword heuristics, tuned for support emails (the product brief's
//! example) but harmless on any text:
//! - enum values score by keyword hits in the text ([`Facts::pick`]): "refund", "charged"
//!   → `billing`; "urgent", "outage" → `urgent`; "unacceptable" → `angry`; a value named
//!   in the text scores too. No hit: `medium` / `neutral` / `normal` when offered, else the
//!   first value;
//! - summaries, suggested actions, names, e-mail addresses, order ids (`#48213`,
//!   `ORD-58213`) and product names (CamelCase words such as `CloudVault`, with a
//!   following edition word such as `Pro`) come from the text ([`Facts::text_for`],
//!   [`Facts::list`]).
//!
//! Matching is on whole words (case-insensitive), so "high" does not match "highlight".
//!
//! The tool-calling assistant (`assistant_tools.rs`) and the structured replies share two
//! readers from here: [`content_text`] and [`is_iso_date`].

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

/// Keywords that vote for an enum value (the value in lowercase).
#[rustfmt::skip]
const VOTES: &[(&str, &[&str])] = &[
    ("billing", &["refund", "charged", "charge", "invoice", "billing", "payment", "paid",
        "subscription", "receipt", "credit card", "overcharged", "price"]),
    ("technical", &["error", "crash", "crashes", "bug", "not working", "broken",
        "doesn't work", "does not work", "fails", "failing", "failed", "sync", "syncing",
        "install", "upload", "slow", "timeout", "freezes"]),
    ("account", &["password", "account", "log in", "login", "sign in", "locked out",
        "two-factor", "2fa", "username", "reset"]),
    ("feature_request", &["feature", "would be great", "would love", "suggestion",
        "could you add", "please add", "wish", "integration", "dark mode", "roadmap"]),
    ("complaint", &["complaint", "disappointed", "unacceptable", "rude", "terrible", "worst",
        "poor service", "manager", "ridiculous"]),
    ("urgent", &["urgent", "asap", "immediately", "right away", "outage", "production",
        "locked out", "entire team", "losing", "emergency"]),
    ("high", &["today", "deadline", "cannot", "can't", "blocked", "twice", "tomorrow"]),
    ("low", &["no rush", "whenever", "when you get a chance", "suggestion", "just wondering",
        "would be nice", "idea"]),
    ("angry", &["furious", "unacceptable", "ridiculous", "angry", "outraged", "third time",
        "worst", "fed up"]),
    ("negative", &["disappointed", "frustrat", "unfortunately", "annoyed", "not happy",
        "problem", "issue", "worried", "confused", "still"]),
    ("positive", &["love", "great", "amazing", "awesome", "appreciate", "fantastic",
        "happy with", "excellent", "thank you so much"]),
];

/// Values chosen when nothing in the text votes.
const NEUTRAL_DEFAULTS: &[&str] = &["medium", "neutral", "normal", "other"];

/// Words after a product name that belong to it ("CloudVault Pro").
const EDITIONS: &[&str] = &[
    "Pro",
    "Plus",
    "Max",
    "Mini",
    "Go",
    "Business",
    "Team",
    "Enterprise",
    "Basic",
];

/// Sign-off words that are not a name.
const CLOSINGS: &[&str] = &[
    "thanks",
    "thank you",
    "best",
    "regards",
    "cheers",
    "sincerely",
    "best regards",
    "kind regards",
    "many thanks",
    "thanks in advance",
];

/// The facts of one input text.
pub struct Facts {
    text: String,
    lower: String,
}

impl Facts {
    pub fn read(text: &str) -> Facts {
        Facts {
            text: text.to_owned(),
            lower: text.to_lowercase(),
        }
    }

    /// The enum value the text votes for (see the module docs).
    pub fn pick(&self, values: &[Value]) -> Value {
        let mut best: Option<(&Value, usize)> = None;
        for v in values {
            let Some(s) = v.as_str() else { continue };
            let score = self.score(s);
            if score > best.map_or(0, |(_, b)| b) {
                best = Some((v, score));
            }
        }
        if let Some((v, _)) = best {
            return v.clone();
        }
        let neutral = values
            .iter()
            .find(|v| v.as_str().is_some_and(|s| NEUTRAL_DEFAULTS.contains(&s)));
        neutral.or(values.first()).cloned().unwrap_or(Value::Null)
    }

    fn score(&self, value: &str) -> usize {
        let value = value.to_lowercase();
        let votes = VOTES
            .iter()
            .find(|(v, _)| *v == value)
            .map_or(0, |(_, words)| words.iter().filter(|w| self.has(w)).count());
        let named = self.has(&value.replace('_', " "));
        votes + if named { 3 } else { 0 }
    }

    /// Whether `phrase` occurs as whole words.
    fn has(&self, phrase: &str) -> bool {
        if phrase.is_empty() {
            return false;
        }
        let bytes = self.lower.as_bytes();
        self.lower.match_indices(phrase).any(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + phrase.len()).copied();
            let edge = |b: Option<u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
            edge(before) && edge(after)
        })
    }

    /// The category the text is about, by the same votes (`None` when nothing votes).
    fn category(&self) -> Option<&'static str> {
        let categories = [
            "billing",
            "technical",
            "account",
            "feature_request",
            "complaint",
        ];
        categories
            .into_iter()
            .map(|c| (c, self.score(c)))
            .filter(|(_, s)| *s > 0)
            .max_by_key(|(c, s)| {
                (
                    *s,
                    std::cmp::Reverse(categories.iter().position(|x| x == c)),
                )
            })
            .map(|(c, _)| c)
    }

    /// A string for a property named `key` (`None` at the root or in arrays).
    pub fn text_for(&self, key: Option<&str>) -> String {
        let key = key.unwrap_or("").to_lowercase();
        if key.contains("summary") {
            self.summary()
        } else if key.contains("action") || key.contains("next_step") || key.contains("recommend") {
            self.suggested_action()
        } else if key.contains("email") {
            self.formatted("email")
        } else if key.contains("name") {
            self.signature().unwrap_or_else(|| "Unknown".to_owned())
        } else if key.contains("subject") || key.contains("title") {
            self.subject().unwrap_or_else(|| self.excerpt(8))
        } else if key.contains("language") {
            "en".to_owned()
        } else {
            self.excerpt(12)
        }
    }

    /// A list for an array property named `key`, when the text has one.
    pub fn list(&self, key: Option<&str>) -> Option<Vec<String>> {
        let key = key.unwrap_or("").to_lowercase();
        let tokens = || self.text.split_whitespace().map(trim_token);
        if key.contains("order") || key.contains("invoice") {
            Some(unique(
                tokens().filter(|t| is_order_id(t)).map(str::to_owned),
            ))
        } else if key.contains("product") {
            Some(self.products())
        } else if key.contains("email") {
            Some(unique(tokens().filter(|t| is_email(t)).map(str::to_owned)))
        } else if key.contains("url") || key.contains("link") {
            Some(unique(
                tokens()
                    .filter(|t| t.starts_with("http"))
                    .map(str::to_owned),
            ))
        } else {
            None
        }
    }

    /// A valid string of a JSON Schema `format`, from the text where it has one.
    pub fn formatted(&self, format: &str) -> String {
        let mut tokens = self.text.split_whitespace().map(trim_token);
        match format {
            "email" => tokens
                .find(|t| is_email(t))
                .unwrap_or("customer@example.com")
                .to_owned(),
            "uri" => tokens
                .find(|t| t.starts_with("https://") || t.starts_with("http://"))
                .unwrap_or("https://example.com/")
                .to_owned(),
            "date" => tokens
                .find(|t| is_iso_date(t))
                .unwrap_or("2026-01-15")
                .to_owned(),
            "date-time" => "2026-01-15T09:30:00Z".to_owned(),
            "time" => "09:30:00".to_owned(),
            "duration" => "P1D".to_owned(),
            "hostname" => "example.com".to_owned(),
            "ipv4" => "192.0.2.10".to_owned(),
            "ipv6" => "2001:db8::10".to_owned(),
            "uuid" => self.uuid(),
            _ => self.excerpt(8),
        }
    }

    /// "Billing issue from Dana Whitfield: I was charged twice for order #48213."
    fn summary(&self) -> String {
        let label = match self.category() {
            Some("billing") => "Billing issue",
            Some("technical") => "Technical problem",
            Some("account") => "Account access issue",
            Some("feature_request") => "Feature request",
            Some("complaint") => "Complaint",
            _ => "Message",
        };
        let from = self
            .signature()
            .unwrap_or_else(|| "the customer".to_owned());
        format!(
            "{label} from {from}: {}",
            cut_words(&self.first_sentence(), 140)
        )
    }

    fn suggested_action(&self) -> String {
        let order = self
            .list(Some("order_ids"))
            .and_then(|l| l.into_iter().next());
        let product = self.products().into_iter().next();
        let action = match self.category() {
            Some("billing") => format!(
                "Check the billing history{}, correct any wrong or duplicate charge, and confirm with the customer.",
                order.map(|o| format!(" for {o}")).unwrap_or_default()
            ),
            Some("technical") => format!(
                "Reproduce the problem{}, ask for logs or screenshots, and escalate to engineering if it persists.",
                product.map(|p| format!(" in {p}")).unwrap_or_default()
            ),
            Some("account") => "Verify the customer's identity and restore access (password reset or two-factor recovery).".to_owned(),
            Some("feature_request") => "Thank the customer, log the request for the product team, and share any roadmap plans.".to_owned(),
            Some("complaint") => "Apologise, have a team lead review the case, and reply personally within one business day.".to_owned(),
            _ => "Reply to the customer and ask for any missing details.".to_owned(),
        };
        // The same choice as a `priority` enum of the usual scale gets.
        let scale: Vec<Value> = ["low", "medium", "high", "urgent"]
            .into_iter()
            .map(|p| Value::String(p.into()))
            .collect();
        match self.pick(&scale).as_str() {
            Some("urgent") => format!("Escalate now: {action}"),
            Some("high") => format!("Handle today: {action}"),
            _ => action,
        }
    }

    /// The body without header lines and the greeting.
    fn body_lines(&self) -> impl Iterator<Item = &str> {
        let headers = ["subject:", "from:", "to:", "date:", "cc:"];
        let greetings = [
            "hi",
            "hello",
            "hey",
            "dear",
            "good morning",
            "good afternoon",
            "to whom",
        ];
        self.text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .filter(move |l| {
                let lower = l.to_lowercase();
                let header = headers.iter().any(|h| lower.starts_with(h));
                let greeting = greetings.iter().any(|g| lower.starts_with(g))
                    && l.split_whitespace().count() <= 6;
                !header && !greeting
            })
    }

    fn first_sentence(&self) -> String {
        let mut body: Vec<&str> = self.body_lines().collect();
        if body.is_empty() {
            // Only a greeting or headers: that is the message.
            body = self
                .text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
        }
        let body = body.join(" ");
        let end = body
            .char_indices()
            .find(|(i, c)| {
                matches!(c, '.' | '!' | '?')
                    && body[i + c.len_utf8()..].starts_with(|n: char| n.is_whitespace())
            })
            .map_or(body.len(), |(i, c)| i + c.len_utf8());
        let sentence = body[..end].trim();
        if sentence.is_empty() {
            "(no text)".to_owned()
        } else {
            sentence.to_owned()
        }
    }

    fn subject(&self) -> Option<String> {
        self.text.lines().find_map(|l| {
            let l = l.trim();
            l.get(..8)
                .filter(|p| p.eq_ignore_ascii_case("subject:"))
                .map(|_| l[8..].trim().to_owned())
        })
    }

    /// The name under the closing: the last short line of capitalised words.
    fn signature(&self) -> Option<String> {
        let lines: Vec<&str> = self
            .text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        lines.iter().rev().take(3).find_map(|line| {
            let clean = line.trim_end_matches([',', '.', '!']);
            let words: Vec<&str> = clean.split_whitespace().collect();
            let name_like = (1..=4).contains(&words.len())
                && words.iter().all(|w| {
                    w.chars().next().is_some_and(char::is_uppercase)
                        && w.chars()
                            .all(|c| c.is_alphabetic() || c == '.' || c == '-' || c == '\'')
                });
            let closing = CLOSINGS.contains(&clean.to_lowercase().as_str());
            (name_like && !closing).then(|| clean.to_owned())
        })
    }

    fn products(&self) -> Vec<String> {
        let words: Vec<&str> = self.text.split_whitespace().map(trim_token).collect();
        let mut out = Vec::new();
        for (i, w) in words.iter().enumerate() {
            if is_camel_case(w) {
                let mut name = (*w).to_owned();
                if let Some(next) = words.get(i + 1).filter(|n| EDITIONS.contains(n)) {
                    name = format!("{name} {next}");
                }
                out.push(name);
            }
        }
        unique(out.into_iter())
    }

    fn excerpt(&self, words: usize) -> String {
        let body: Vec<&str> = self
            .body_lines()
            .flat_map(str::split_whitespace)
            .take(words)
            .collect();
        if body.is_empty() {
            "n/a".to_owned()
        } else {
            body.join(" ")
        }
    }

    fn uuid(&self) -> String {
        let mut h = DefaultHasher::new();
        self.text.hash(&mut h);
        let a = h.finish();
        let hex = format!("{a:016x}{:016x}", a.rotate_left(17) ^ 0x5bd1_e995);
        format!(
            "{}-{}-4{}-8{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }
}

fn trim_token(t: &str) -> &str {
    t.trim_matches(|c: char| ".,;:!?()[]{}\"'<>".contains(c))
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) && out.len() < 5 {
            out.push(i);
        }
    }
    out
}

/// `#48213`, `ORD-58213`, `INV-2291`: a `#` and digits, or capitals, a dash and digits.
fn is_order_id(t: &str) -> bool {
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if let Some(rest) = t.strip_prefix('#') {
        return rest.len() >= 3 && rest.chars().all(|c| c.is_ascii_digit());
    }
    let Some((prefix, rest)) = t.split_once('-') else {
        return false;
    };
    (2..=5).contains(&prefix.len())
        && prefix.chars().all(|c| c.is_ascii_uppercase())
        && digits >= 3
        && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
}

fn is_email(t: &str) -> bool {
    t.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty() && domain.contains('.') && !domain.ends_with('.')
    })
}

/// `YYYY-MM-DD` by shape (digits and two dashes), not by calendar.
pub(super) fn is_iso_date(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A message or tool_result `content` as text: the string, or the `text` of its blocks
/// joined by newlines ("" when absent).
pub(super) fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// "CloudVault": a capital, later a lowercase letter, then another capital.
fn is_camel_case(w: &str) -> bool {
    let chars: Vec<char> = w.chars().collect();
    chars.first().is_some_and(|c| c.is_uppercase())
        && chars.iter().all(|c| c.is_alphanumeric())
        && chars
            .windows(2)
            .any(|p| p[0].is_lowercase() && p[1].is_uppercase())
}

/// At most `max` characters, cut at a word boundary with "…".
fn cut_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EMAIL: &str = "Subject: Charged twice\n\nHi team,\n\nI was charged twice for order #48213 \
        on my CloudVault Pro subscription. Please refund the duplicate payment today.\n\n\
        Thanks,\nDana Whitfield\n";

    fn values(v: &[&str]) -> Vec<Value> {
        v.iter().map(|s| json!(s)).collect()
    }

    #[test]
    fn enums_follow_the_keywords() {
        let f = Facts::read(EMAIL);
        let cat = values(&[
            "billing",
            "technical",
            "account",
            "feature_request",
            "complaint",
        ]);
        assert_eq!(f.pick(&cat), "billing");
        assert_eq!(
            f.pick(&values(&["low", "medium", "high", "urgent"])),
            "high"
        );
        assert_eq!(
            f.pick(&values(&["positive", "neutral", "negative", "angry"])),
            "neutral"
        );
        let angry = Facts::read("This is the third time the app crashes. Unacceptable!");
        assert_eq!(
            angry.pick(&values(&["positive", "neutral", "negative", "angry"])),
            "angry"
        );
        assert_eq!(angry.pick(&cat), "technical");
        assert_eq!(Facts::read("").pick(&values(&["x", "y"])), "x");
        assert_eq!(Facts::read("hello").pick(&[json!(1), json!(2)]), json!(1));
    }

    #[test]
    fn whole_words_only() {
        let f = Facts::read("Please highlight this.");
        assert!(!f.has("high"));
        assert!(f.has("highlight"));
    }

    #[test]
    fn strings_and_lists_come_from_the_text() {
        let f = Facts::read(EMAIL);
        assert_eq!(
            f.text_for(Some("summary")),
            "Billing issue from Dana Whitfield: I was charged twice for order #48213 on my CloudVault Pro subscription."
        );
        let action = f.text_for(Some("suggested_action"));
        assert!(
            action.starts_with("Handle today: Check the billing history for #48213"),
            "{action}"
        );
        assert_eq!(f.list(Some("order_ids")), Some(vec!["#48213".to_owned()]));
        assert_eq!(
            f.list(Some("product_names")),
            Some(vec!["CloudVault Pro".to_owned()])
        );
        assert_eq!(f.list(Some("tags")), None);
        assert_eq!(f.text_for(Some("customer_name")), "Dana Whitfield");
        assert_eq!(f.text_for(Some("subject")), "Charged twice");
        assert_eq!(f.formatted("email"), "customer@example.com");
        let uuid = f.formatted("uuid");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'4');
    }

    #[test]
    fn token_shapes() {
        assert!(is_order_id("ORD-58213") && is_order_id("#4821") && is_order_id("INV-2026-0042"));
        assert!(!is_order_id("#12") && !is_order_id("e-mail") && !is_order_id("2026-01-15"));
        assert!(is_email("a.b@example.co.uk") && !is_email("@x") && !is_email("a@b"));
        assert!(is_camel_case("SyncBox") && !is_camel_case("Sync") && !is_camel_case("iPhone"));
        assert_eq!(cut_words("one two three four", 9), "one two…");
    }
}
