//! Checks `tools.server` and `tools.web` of one layer and writes them into
//! [`ServerTools`]: which of the API's own tools a request offers (web search, web fetch)
//! and their limits.
//!
//! Off by default, because every search is billed (`assets/pricing.toml`). A layer that
//! lists `server` replaces the list; `/search on|off` switches them for one conversation.
//! The API takes allowed or blocked domains, not both, so a layer setting both is an
//! error here rather than a 400 at the first request.

use super::apply::Failure;
use super::locate::KeyPath;
use super::raw::RawTools;
use crate::api::server_tools::ServerTools;

/// The names `tools.server` accepts.
pub const SERVER_TOOL_NAMES: [&str; 2] = ["web_search", "web_fetch"];
/// More uses than this in one request is a runaway, and each search is billed.
const MAX_USES: u32 = 100;

pub(crate) fn apply(raw: &RawTools, server: &mut ServerTools) -> Result<(), Failure> {
    if let Some(names) = &raw.server {
        let (mut search, mut fetch) = (false, false);
        for (i, name) in names.iter().enumerate() {
            match name.as_str() {
                "web_search" => search = true,
                "web_fetch" => fetch = true,
                other => {
                    let message = format!(
                        "unknown server tool {other:?} (expected {})",
                        SERVER_TOOL_NAMES.map(|n| format!("\"{n}\"")).join(" or ")
                    );
                    return Err((key(&["server"]).index(i), message));
                }
            }
        }
        server.web_search = search;
        server.web_fetch = fetch;
    }
    let Some(web) = &raw.web else {
        return Ok(());
    };
    if let Some(n) = web.max_uses {
        if n == 0 || n > MAX_USES {
            let message = format!("must be 1 to {MAX_USES}, got {n}");
            return Err((key(&["web", "max_uses"]), message));
        }
        server.max_uses = Some(n);
    }
    for (list, name) in [
        (&web.allowed_domains, "allowed_domains"),
        (&web.blocked_domains, "blocked_domains"),
    ] {
        if let Some(domains) = list {
            for (i, d) in domains.iter().enumerate() {
                check_domain(d).map_err(|m| (key(&["web", name]).index(i), m))?;
            }
        }
    }
    if let Some(d) = &web.allowed_domains {
        server.allowed_domains = d.clone();
    }
    if let Some(d) = &web.blocked_domains {
        server.blocked_domains = d.clone();
    }
    if !server.allowed_domains.is_empty() && !server.blocked_domains.is_empty() {
        let message = "the API takes allowed_domains or blocked_domains, not both".to_owned();
        return Err((key(&["web", "blocked_domains"]), message));
    }
    Ok(())
}

/// A domain as the API takes it: a host name, optionally with a path, no scheme.
fn check_domain(d: &str) -> Result<(), String> {
    if d.contains("://") {
        return Err(format!(
            "{d:?}: write the domain without a scheme, e.g. \"example.com\""
        ));
    }
    let ok = !d.is_empty()
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._/*".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("{d:?} is not a domain such as \"example.com\""))
    }
}

fn key(rest: &[&str]) -> KeyPath {
    let mut path = KeyPath::keys(&["tools"]);
    for k in rest {
        path = path.key(k);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::super::raw::RawWebTools;
    use super::*;

    fn raw(server: &[&str], web: Option<RawWebTools>) -> RawTools {
        RawTools {
            server: Some(server.iter().map(|s| s.to_string()).collect()),
            web,
            ..RawTools::default()
        }
    }

    #[test]
    fn lists_and_limits_are_taken() {
        let mut s = ServerTools::default();
        let web = RawWebTools {
            max_uses: Some(3),
            blocked_domains: Some(vec!["spam.example".into()]),
            ..RawWebTools::default()
        };
        apply(&raw(&["web_search"], Some(web)), &mut s).unwrap();
        assert!(s.web_search && !s.web_fetch);
        assert_eq!(s.max_uses, Some(3));
        assert_eq!(s.blocked_domains, ["spam.example"]);
    }

    #[test]
    fn bad_values_are_located_errors() {
        let mut s = ServerTools::default();
        let (at, message) = apply(&raw(&["web_surf"], None), &mut s).unwrap_err();
        assert_eq!(at.to_string(), "tools.server[0]");
        assert!(
            message.contains("\"web_search\" or \"web_fetch\""),
            "{message}"
        );
        let both = RawWebTools {
            allowed_domains: Some(vec!["a.example".into()]),
            blocked_domains: Some(vec!["b.example".into()]),
            ..RawWebTools::default()
        };
        let (_, message) = apply(&raw(&[], Some(both)), &mut s).unwrap_err();
        assert!(message.contains("not both"), "{message}");
        let scheme = RawWebTools {
            allowed_domains: Some(vec!["https://a.example".into()]),
            ..RawWebTools::default()
        };
        assert!(apply(&raw(&[], Some(scheme)), &mut s).is_err());
        let zero = RawWebTools {
            max_uses: Some(0),
            ..RawWebTools::default()
        };
        assert!(apply(&raw(&[], Some(zero)), &mut s).is_err());
    }
}
