//! Citations: footnote numbers for cited text and the numbered source list of an answer.
//!
//! The model: a text block may carry `citations` (pushed by `citations_delta`, reference
//! §2.4), each naming what it cites: a web search result (`url`, `title`), a document
//! (`document_title`), a search result (`source`, `title`). [`Footnotes`] numbers the
//! distinct sources of one answer in order of first citation (one URL is one source,
//! whichever block cites it) and gives each cited block its markers, `[1][3]`, placed
//! after the block's text. The answer then ends with the numbered sources.
//!
//! [`annotated_markdown`] is the whole answer as Markdown, markers and sources included,
//! the sources as Markdown links: what `/copy`, exports and print mode write. Titles and
//! URLs are untrusted: a link is written only for an `http(s)` URL made of URL characters,
//! with the title's brackets escaped, so neither can break out of the link; callers still
//! sanitise the result for their output like any model text.

use serde_json::Value;

use crate::api::{ContentBlock, TextBlock};

/// One cited source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedSource {
    pub title: String,
    /// Absent for documents, which have a title but no address.
    pub url: Option<String>,
}

/// The numbered sources of one answer. See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footnotes {
    sources: Vec<CitedSource>,
}

impl Footnotes {
    pub fn new() -> Footnotes {
        Footnotes::default()
    }

    /// The footnote numbers (from 1, ascending, distinct) of `citations`, numbering any
    /// source not seen before.
    pub fn cite(&mut self, citations: &[Value]) -> Vec<usize> {
        let mut numbers: Vec<usize> = citations
            .iter()
            .filter_map(cited_source)
            .map(|s| self.number(s))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    /// The markers of a text block, `[1][2]`; empty when it cites nothing.
    pub fn markers_for(&mut self, block: &TextBlock) -> String {
        markers(&self.cite(block.citations.as_deref().unwrap_or(&[])))
    }

    fn number(&mut self, source: CitedSource) -> usize {
        let same = |s: &CitedSource| match (&s.url, &source.url) {
            (Some(a), Some(b)) => a == b,
            (None, None) => s.title == source.title,
            _ => false,
        };
        if let Some(i) = self.sources.iter().position(same) {
            return i + 1;
        }
        self.sources.push(source);
        self.sources.len()
    }

    /// The sources in footnote order (number = position + 1).
    pub fn sources(&self) -> &[CitedSource] {
        &self.sources
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The numbered list as Markdown: `Sources:` then `1. [title](url)` per source.
    pub fn markdown(&self) -> String {
        let mut out = String::from("Sources:\n");
        for (i, s) in self.sources.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", i + 1, markdown_link(s)));
        }
        out
    }
}

/// `[1][2]` for these numbers.
pub fn markers(numbers: &[usize]) -> String {
    numbers.iter().map(|n| format!("[{n}]")).collect()
}

/// The source a citation object names, if it names one.
pub fn cited_source(citation: &Value) -> Option<CitedSource> {
    let text = |key: &str| {
        citation
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let url = text("url").or_else(|| text("source").filter(|s| s.contains("://")));
    let title = text("title").or_else(|| text("document_title"));
    match (title, url) {
        (None, None) => None,
        (title, url) => Some(CitedSource {
            title: title.or_else(|| url.clone()).unwrap_or_default(),
            url,
        }),
    }
}

/// Whether `url` may be written as a link: `http(s)://` and only URL characters (no
/// spaces, quotes, brackets, angle brackets or controls that could end the link early).
pub fn linkable(url: &str) -> bool {
    let scheme = url.starts_with("https://") || url.starts_with("http://");
    scheme
        && url.len() <= 2048
        && url
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'*+,;=%".contains(&b))
}

/// `[title](url)` with the title's Markdown brackets escaped; the bare title (and the URL
/// as text, if any) when the URL cannot be a link.
pub fn markdown_link(source: &CitedSource) -> String {
    let title = escape_markdown(&source.title);
    match &source.url {
        Some(url) if linkable(url) => format!("[{title}]({url})"),
        Some(url) => format!("{title} ({})", escape_markdown(url)),
        None => title,
    }
}

/// `s` on one line with the characters Markdown reads as link or emphasis syntax escaped.
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '[' | ']' | '\\' | '`' | '*' | '_' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The answer's text blocks as Markdown, each cited block followed by its markers, and
/// the numbered sources at the end when anything was cited.
pub fn annotated_markdown(content: &[ContentBlock]) -> String {
    let mut notes = Footnotes::new();
    let mut out = String::new();
    for block in content {
        if let ContentBlock::Text(t) = block {
            out.push_str(&t.text);
            out.push_str(&notes.markers_for(t));
        }
    }
    if !notes.is_empty() {
        out.push_str("\n\n");
        out.push_str(notes.markdown().trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cited(text: &str, citations: Value) -> ContentBlock {
        serde_json::from_value(json!({"type": "text", "text": text, "citations": citations}))
            .unwrap()
    }

    fn web(url: &str, title: &str) -> Value {
        json!({"type": "web_search_result_location", "url": url, "title": title,
               "cited_text": "c", "encrypted_index": "e"})
    }

    #[test]
    fn one_source_keeps_its_number_across_blocks() {
        let content = vec![
            ContentBlock::text("Intro. "),
            cited(
                "Rates rose",
                json!([
                    web("https://a.example/1", "A"),
                    web("https://b.example/2", "B")
                ]),
            ),
            ContentBlock::text(" and "),
            cited("fell again", json!([web("https://b.example/2", "B")])),
            ContentBlock::text("."),
        ];
        assert_eq!(
            annotated_markdown(&content),
            "Intro. Rates rose[1][2] and fell again[2].\n\nSources:\n\
             1. [A](https://a.example/1)\n2. [B](https://b.example/2)"
        );
    }

    #[test]
    fn no_citations_no_sources() {
        let content = vec![ContentBlock::text("plain")];
        assert_eq!(annotated_markdown(&content), "plain");
    }

    #[test]
    fn hostile_titles_and_urls_cannot_break_out_of_the_link() {
        let evil = CitedSource {
            title: "x](javascript:alert(1)) [y".into(),
            url: Some("https://e.example/a) [z](https://evil".into()),
        };
        assert_eq!(
            markdown_link(&evil),
            r"x\](javascript:alert(1)) \[y (https://e.example/a) \[z\](https://evil)"
        );
        assert!(!linkable("javascript:alert(1)"));
        assert!(!linkable("https://a.example/\u{1b}]8;;x\u{7}"));
        assert!(linkable("https://a.example/p?q=1&r=%20#f"));
    }

    #[test]
    fn document_citations_use_the_document_title() {
        let c = json!({"type": "char_location", "document_title": "Spec", "cited_text": "x",
                       "document_index": 0, "start_char_index": 0, "end_char_index": 1});
        assert_eq!(
            cited_source(&c),
            Some(CitedSource {
                title: "Spec".into(),
                url: None
            })
        );
        assert_eq!(cited_source(&json!({"type": "char_location"})), None);
    }
}
