//! What a child process inherits: the parent's environment without its credentials.
//!
//! chatterm runs with the API key in its environment, and a tool's child would inherit it
//! and could print it into a result that goes to the API and the database. So every
//! child (`run_command`, command tools, and any future child such as an MCP server) starts
//! without the variables [`is_credential`] names: `ANTHROPIC_*`, and any whose name ends
//! in `_API_KEY`, `_TOKEN` or `_SECRET`, compared without regard to case. A name the user
//! lists in `tools.env_passthrough` is kept (exact name): a tool that needs `GITHUB_TOKEN`
//! can have it, on purpose.
//!
//! The rule is a deny list because a child needs the rest (`PATH`, `HOME`, locale, proxy
//! settings); the suffixes cover the common conventions for secrets.

use std::ffi::{OsStr, OsString};

/// Name endings that mark a credential, compared in upper case.
const CREDENTIAL_SUFFIXES: &[&str] = &["_API_KEY", "_TOKEN", "_SECRET"];

/// Whether a variable of this name is withheld from children (before passthrough).
pub fn is_credential(name: &OsStr) -> bool {
    // A name that is not UTF-8 is compared on what is readable of it.
    let upper = name.to_string_lossy().to_ascii_uppercase();
    upper.starts_with("ANTHROPIC_") || CREDENTIAL_SUFFIXES.iter().any(|s| upper.ends_with(s))
}

/// The names among `vars` a child must not inherit: credentials not in `passthrough`.
pub fn withheld<I>(vars: I, passthrough: &[String]) -> Vec<OsString>
where
    I: IntoIterator<Item = OsString>,
{
    vars.into_iter()
        .filter(|name| is_credential(name))
        .filter(|name| {
            !passthrough
                .iter()
                .any(|p| OsStr::new(p) == name.as_os_str())
        })
        .collect()
}

/// Removes from `command`'s environment every credential of this process's environment
/// that `passthrough` does not list. Works on both std's and tokio's `Command` through
/// the closure, so any child can be started the same way.
pub fn scrub(passthrough: &[String], mut remove: impl FnMut(&OsStr)) {
    let names = std::env::vars_os().map(|(name, _)| name);
    for name in withheld(names, passthrough) {
        remove(&name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_known_by_prefix_and_suffix_in_any_case() {
        for name in [
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "ANTHROPIC_BASE_URL",
            "anthropic_whatever",
            "OPENAI_API_KEY",
            "GITHUB_TOKEN",
            "gh_token",
            "AWS_SECRET",
            "My_Api_Key",
        ] {
            assert!(is_credential(OsStr::new(name)), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "TOKEN",
            "API_KEY_FILE",
            "SECRETS_DIR",
            "LANG",
        ] {
            assert!(!is_credential(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn passthrough_keeps_exactly_the_names_listed() {
        let vars = ["PATH", "GITHUB_TOKEN", "NPM_TOKEN", "ANTHROPIC_API_KEY"].map(OsString::from);
        let keep = vec!["GITHUB_TOKEN".to_owned()];
        assert_eq!(
            withheld(vars.clone(), &keep),
            ["NPM_TOKEN", "ANTHROPIC_API_KEY"]
        );
        assert_eq!(
            withheld(vars, &[]),
            ["GITHUB_TOKEN", "NPM_TOKEN", "ANTHROPIC_API_KEY"]
        );
    }
}
