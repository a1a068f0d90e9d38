//! Print mode's web search and fetch: a stderr line per server call and per result,
//! footnote markers after cited text, and the numbered sources after the answer.
//!
//! ```text
//! web_search [1c8b2f] {"query":"latest rust news"}          (stderr)
//! web_search [1c8b2f] 3 sources: Latest on rust (news.example.com), ...
//! Rates rose[1][2] and fell again[2].                      (stdout)
//!
//! Sources:
//! 1. Latest on rust <https://news.example.com/rust>
//! ```
//!
//! The sources are part of the answer, so they go to stdout; titles and URLs are untrusted
//! and pass through the sanitiser, and a title becomes an OSC 8 link only when stdout is a
//! terminal that shows them ([`crate::sanitize::hyperlinks_supported`]) and the URL is a
//! plain web address ([`crate::sanitize::hyperlink`]).

use crate::api::server_tools::{self, ServerOutcome};
use crate::api::{ContentBlock, TextBlock};
use crate::engine::short_id;
use crate::sanitize::{hyperlink, sanitize_line};
use crate::stream::citations::Footnotes;

/// Longest list of sources on a result line, in characters.
const EXCERPT: usize = 160;

/// What print mode keeps about the turn's web use.
#[derive(Debug, Default)]
pub struct PrintWeb {
    footnotes: Footnotes,
    /// Names of the server calls seen, by id, for their result lines.
    calls: Vec<(String, String)>,
}

impl PrintWeb {
    /// The stderr line of a server call whose input is complete, if `block` is one.
    pub fn call_line(&mut self, block: &ContentBlock) -> Option<String> {
        let call = server_tools::server_call(block)?;
        let line = format!(
            "{} [{}] {}",
            sanitize_line(&call.name),
            sanitize_line(short_id(&call.id)),
            sanitize_line(&cut(&call.input.to_string()))
        );
        self.calls.push((call.id, call.name));
        Some(line)
    }

    /// The stderr line of a server result, if `block` is one.
    pub fn result_line(&self, block: &ContentBlock) -> Option<String> {
        let result = server_tools::server_result(block)?;
        let name = self
            .calls
            .iter()
            .find(|(id, _)| *id == result.tool_use_id)
            .map_or("server tool", |(_, name)| name.as_str());
        let head = format!(
            "{} [{}]",
            sanitize_line(name),
            sanitize_line(short_id(&result.tool_use_id))
        );
        Some(match result.outcome {
            ServerOutcome::Error(code) => format!("{head} error: {}", sanitize_line(&code)),
            ServerOutcome::Sources(sources) => {
                let list: Vec<String> = sources
                    .iter()
                    .map(|s| format!("{} ({})", s.title, s.domain()))
                    .collect();
                let n = sources.len();
                let noun = if n == 1 { "source" } else { "sources" };
                format!(
                    "{head} {n} {noun}: {}",
                    sanitize_line(&cut(&list.join(", ")))
                )
            }
        })
    }

    /// The footnote markers that follow a closed text block (empty when it cites nothing).
    pub fn markers(&mut self, block: &TextBlock) -> String {
        self.footnotes.markers_for(block)
    }

    /// The numbered sources, to follow the answer on stdout; `None` when nothing was cited.
    pub fn sources(&self, links: bool) -> Option<String> {
        if self.footnotes.is_empty() {
            return None;
        }
        let mut out = String::from("\nSources:\n");
        for (i, s) in self.footnotes.sources().iter().enumerate() {
            let title = sanitize_line(&s.title);
            let line = match &s.url {
                Some(url) => {
                    let shown = links.then(|| hyperlink(url, &title)).flatten();
                    let url = sanitize_line(url);
                    match shown {
                        Some(link) => format!("{link} <{url}>"),
                        None => format!("{title} <{url}>"),
                    }
                }
                None => title.into_owned(),
            };
            out.push_str(&format!("{}. {line}\n", i + 1));
        }
        Some(out)
    }
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(EXCERPT) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn block(v: serde_json::Value) -> ContentBlock {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn calls_results_and_sources_read_as_lines() {
        let mut web = PrintWeb::default();
        let call = block(
            json!({"type": "server_tool_use", "id": "srvtoolu_abcdef123456",
            "name": "web_search", "input": {"query": "rust news"}}),
        );
        assert_eq!(
            web.call_line(&call).unwrap(),
            r#"web_search [123456] {"query":"rust news"}"#
        );
        let result = block(json!({"type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_abcdef123456",
            "content": [{"type": "web_search_result", "url": "https://a.example/x",
                         "title": "A\u{1b}[31m", "encrypted_content": "e"}]}));
        assert_eq!(
            web.result_line(&result).unwrap(),
            "web_search [123456] 1 source: A (a.example)"
        );
        let text: TextBlock = serde_json::from_value(json!({"text": "t", "citations": [
            {"type": "web_search_result_location", "url": "https://a.example/x",
             "title": "A\u{1b}]0;pwned\u{7}", "cited_text": "t", "encrypted_index": "i"}]}))
        .unwrap();
        assert_eq!(web.markers(&text), "[1]");
        let plain = web.sources(false).unwrap();
        assert_eq!(plain, "\nSources:\n1. A <https://a.example/x>\n");
        let linked = web.sources(true).unwrap();
        assert!(linked.contains("\u{1b}]8;;https://a.example/x\u{1b}\\A\u{1b}]8;;\u{1b}\\"));
        assert!(!linked.contains("pwned\u{7}"), "{linked:?}");
    }

    #[test]
    fn hyperlinks_only_for_plain_addresses_and_capable_terminals() {
        assert!(hyperlink("https://a.example/\u{1b}\\x", "t").is_none());
        assert!(hyperlink("https://a.example/\u{7}", "t").is_none());
        assert!(hyperlink("file:///etc/passwd", "t").is_none());
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        use crate::sanitize::hyperlinks_supported as ok;
        assert!(ok(&env(&[("TERM_PROGRAM", "WezTerm")])));
        assert!(ok(&env(&[("VTE_VERSION", "7600")])));
        assert!(!ok(&env(&[("VTE_VERSION", "4200")])));
        assert!(!ok(&env(&[("TERM_PROGRAM", "WezTerm"), ("TMUX", "1")])));
        assert!(!ok(&env(&[("TERM", "xterm-256color")])));
        assert!(ok(&env(&[("CHATTERM_HYPERLINKS", "1"), ("TERM", "dumb")])));
    }
}
