//! The names the model sees for MCP tools: `mcp__{server}__{tool}`, made to fit the API's
//! tool name pattern (`^[a-zA-Z0-9_-]{1,64}$`).
//!
//! Every character outside the pattern becomes `_`; a name over 64 characters keeps its
//! start and ends with a short hash of the full name, so two long names that share a
//! start still differ. Sanitising can make two tools collide (`a.b` and `a_b`), and so can
//! a built-in of the same name: [`assign`] resolves that deterministically, in the order
//! the tools come (built-ins first, then servers in config order, tools in the server's
//! order): the first keeps the name, each later one gets `_2`, `_3`, ... (shortened to
//! fit). The same configuration and lists give the same names on every start.

use std::collections::HashSet;

/// The API's limit on a tool name's length.
pub const MAX_LEN: usize = 64;

/// `mcp__{server}__{tool}`, sanitised (collisions aside).
pub fn api_name(server: &str, tool: &str) -> String {
    let raw = format!("mcp__{server}__{tool}");
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() <= MAX_LEN {
        return clean;
    }
    let hash = format!("_{:08x}", fnv1a(raw.as_bytes()));
    format!("{}{hash}", &clean[..MAX_LEN - hash.len()])
}

/// A stable 32-bit FNV-1a hash (std's hasher is not stable across releases).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Names for `wanted` (each already sanitised) that differ from each other and from
/// `taken`, in order (module docs).
pub fn assign(taken: &[&str], wanted: &[String]) -> Vec<String> {
    let mut used: HashSet<String> = taken.iter().map(|s| (*s).to_owned()).collect();
    wanted
        .iter()
        .map(|name| {
            let mut candidate = name.clone();
            let mut n = 2;
            while used.contains(&candidate) {
                let suffix = format!("_{n}");
                let keep = name.len().min(MAX_LEN - suffix.len());
                candidate = format!("{}{suffix}", &name[..keep]);
                n += 1;
            }
            used.insert(candidate.clone());
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(name: &str) -> bool {
        (1..=MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    #[test]
    fn names_are_sanitised_to_the_pattern() {
        assert_eq!(api_name("files", "read_file"), "mcp__files__read_file");
        assert_eq!(
            api_name("my server", "get.thing/é"),
            "mcp__my_server__get_thing__"
        );
        let long = api_name(&"s".repeat(40), &"t".repeat(40));
        assert!(fits(&long), "{long}");
        let other = api_name(&"s".repeat(40), &"t".repeat(41));
        assert_ne!(long, other);
        assert_eq!(long, api_name(&"s".repeat(40), &"t".repeat(40)));
    }

    #[test]
    fn collisions_get_numbered_in_order() {
        let wanted = vec![
            api_name("a", "x.y"),
            api_name("a", "x_y"),
            api_name("a", "x-y"),
            api_name("a", "x/y"),
        ];
        let names = assign(&["read_file"], &wanted);
        assert_eq!(
            names,
            [
                "mcp__a__x_y",
                "mcp__a__x_y_2",
                "mcp__a__x-y",
                "mcp__a__x_y_3"
            ]
        );
        let full = "m".repeat(MAX_LEN);
        let names = assign(&[full.as_str()], std::slice::from_ref(&full));
        assert!(fits(&names[0]) && names[0].ends_with("_2"), "{}", names[0]);
        assert_eq!(assign(&["x"], &["x".to_owned()]), ["x_2"]);
    }
}
