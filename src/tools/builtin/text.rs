//! Helpers the file tools share: telling text from binary, and cutting text to a budget.

/// Bytes looked at to decide whether a file is text.
pub const SNIFF_BYTES: usize = 8192;

/// A file is treated as binary when its first [`SNIFF_BYTES`] hold a NUL byte or are not
/// UTF-8 (a multi-byte character cut by the sniff window is fine). This is the heuristic
/// grep and git use, close enough for deciding what to show a model.
pub fn looks_binary(start: &[u8]) -> bool {
    let start = &start[..start.len().min(SNIFF_BYTES)];
    if memchr::memchr(0, start).is_some() {
        return true;
    }
    match std::str::from_utf8(start) {
        Ok(_) => false,
        // `error_len() == None`: the input ends inside a character, i.e. the window cut it.
        Err(e) => e.error_len().is_some(),
    }
}

/// `s` cut to at most `max` bytes on a character boundary, with `...` when it was cut.
pub fn clip_line(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// A byte count for people and models: `999 B`, `1.5 KiB`, `3.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_nul_or_not_utf8() {
        assert!(!looks_binary(b"plain text\n"));
        assert!(!looks_binary("çé".as_bytes()));
        assert!(looks_binary(b"ab\0cd"));
        assert!(looks_binary(&[0xff, 0xfe, b'a']));
        // A character cut by the end of the window is not binary.
        let cut = &"é".as_bytes()[..1];
        assert!(!looks_binary(cut));
    }

    #[test]
    fn lines_are_clipped_on_character_boundaries() {
        assert_eq!(clip_line("hello", 10), "hello");
        assert_eq!(clip_line("héllo", 2), "h...");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
    }
}
