//! The values the command popup offers after a command's name: tier names, model ids,
//! export formats, bundled schemas, and after `/mcp restart ` the servers' names. Part of
//! [`super`] (its `Item` rows); the values come from the app through [`Offers`].

use std::borrow::Cow;

use super::{Item, Offers};
use crate::config::Tier;
use crate::sanitize::sanitize_line;

/// Values offered after `/name `: tier names by prefix, model ids containing what was
/// typed (they all start alike, so a prefix would not narrow much).
pub(super) fn argument_items(name: &str, arg: &str, models: &[String]) -> Vec<Item> {
    let arg = arg.to_ascii_lowercase();
    let item = |value: &str, description: &'static str| Item {
        completion: format!("/{name} {value}"),
        label: value.to_owned(),
        description: Cow::Borrowed(description),
    };
    match name {
        "tier" => Tier::ALL
            .iter()
            .map(|t| (t.as_str(), tier_note(*t)))
            .chain([("auto", "the routing rules pick per request")])
            .filter(|(t, _)| t.starts_with(&arg))
            .map(|(t, note)| item(t, note))
            .collect(),
        // Tab leaves a space after it: the servers' names are offered next.
        "mcp" => ["restart"]
            .into_iter()
            .filter(|w| w.starts_with(&arg))
            .map(|w| Item {
                completion: format!("/mcp {w} "),
                ..item(w, "then a server's name")
            })
            .collect(),
        "export" => ["md", "json"]
            .into_iter()
            .filter(|f| f.starts_with(&arg))
            .map(|f| item(f, "then a path, or none for a new file here"))
            .collect(),
        "extract" => crate::tui::run::extract_task::BUNDLED
            .iter()
            .filter(|(n, _)| n.starts_with(&arg))
            .map(|(n, _)| item(n, "bundled schema"))
            .collect(),
        "model" => models
            .iter()
            .map(|m| sanitize_line(m))
            // An id with a space could not be typed back as one argument.
            .filter(|m| !m.is_empty() && !m.contains(char::is_whitespace))
            .filter(|m| m.to_ascii_lowercase().contains(&arg))
            .map(|m| item(&m, ""))
            .collect(),
        _ => Vec::new(),
    }
}

/// The servers `/mcp restart` may name, by prefix: names as configured (a name that would
/// not type back as one clean word is left out).
pub(super) fn server_items(typed: &str, offers: &Offers<'_>) -> Vec<Item> {
    let typed = typed.trim_start();
    if typed.contains(char::is_whitespace) {
        return Vec::new();
    }
    offers
        .servers
        .iter()
        .filter(|(name, _)| {
            !name.is_empty()
                && !name.contains(char::is_whitespace)
                && sanitize_line(name) == name.as_str()
                && name.starts_with(typed)
        })
        .map(|(name, state)| Item {
            completion: format!("/mcp restart {name}"),
            label: name.clone(),
            description: Cow::Owned(sanitize_line(state).into_owned()),
        })
        .collect()
}

fn tier_note(tier: Tier) -> &'static str {
    match tier {
        Tier::Fast => "quickest and cheapest",
        Tier::Balanced => "capable and affordable",
        Tier::Max => "most capable, priciest",
    }
}
