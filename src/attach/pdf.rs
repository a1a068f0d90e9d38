//! PDF attachments: the page count, read from the file without a PDF library.
//!
//! A PDF's page tree names each page object `/Type /Page` and each inner node
//! `/Type /Pages` with a `/Count`. Counting page objects is exact for ordinary files; a
//! file that keeps its objects in compressed object streams hides them, and then the
//! largest `/Count` seen is used, or 1 when neither can be read (the estimate only; the
//! API counts the pages itself and answers with its own error past its limit).

/// The file looks like a PDF.
pub(super) fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// Whether the PDF is encrypted (the API cannot read it).
pub(super) fn is_encrypted(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"/Encrypt").is_some()
}

/// The number of pages, at least 1.
pub(super) fn pages(bytes: &[u8]) -> u32 {
    let mut objects = 0u32;
    let mut max_count = 0u32;
    for at in memchr::memmem::find_iter(bytes, b"/Type") {
        let rest = skip_space(&bytes[at + 5..]);
        let Some(after) = rest.strip_prefix(b"/Page") else {
            continue;
        };
        match after.first() {
            Some(b's') => max_count = max_count.max(count_near(bytes, at)),
            Some(c) if c.is_ascii_alphanumeric() => {}
            _ => objects += 1,
        }
    }
    if objects > 0 {
        objects
    } else {
        max_count.max(1)
    }
}

fn skip_space(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

/// The `/Count N` of the dictionary around `at` (looked for within 512 bytes either side).
fn count_near(bytes: &[u8], at: usize) -> u32 {
    let from = at.saturating_sub(512);
    let to = (at + 512).min(bytes.len());
    let window = &bytes[from..to];
    memchr::memmem::find_iter(window, b"/Count")
        .filter_map(|i| {
            let digits: Vec<u8> = skip_space(&window[i + 6..])
                .iter()
                .copied()
                .take_while(u8::is_ascii_digit)
                .collect();
            std::str::from_utf8(&digits).ok()?.parse().ok()
        })
        .max()
        .unwrap_or(0)
}
