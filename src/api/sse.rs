//! Server-sent events: bytes in, frames out.
//!
//! [`SseDecoder`] turns the body of a `text/event-stream` response into [`SseFrame`]s,
//! following the WHATWG event-stream parsing rules, for *any* split of the byte stream into
//! chunks: an event, a line, a `CRLF` pair or a multi-byte UTF-8 character may straddle
//! two pushes and the output is the same as for the unsplit stream.
//!
//! The model:
//! - Lines end with LF, CRLF or a lone CR. A CR that ends one chunk and an LF that starts
//!   the next are one line end (`pending_cr`).
//! - `event:` sets the frame's name, `data:` lines are joined with `\n`, one space after the
//!   colon is stripped, lines starting with `:` are comments, `id:`, `retry:` and unknown
//!   fields are ignored. A blank line dispatches the event; an event without any `data:`
//!   line is not dispatched. At end of input an unterminated event is discarded.
//! - Complete lines are parsed in place from the pushed chunk. Only the unterminated tail
//!   of a chunk is copied, into `line`; so the common case costs one `memchr` scan and the
//!   copy of the payload into the frame, with no per-line allocation.
//!
//! Invariants:
//! - Memory is bounded by the event cap: an event's text (all its lines since the last
//!   blank line, line ends excluded, the partial line included) may not exceed the limit;
//!   crossing it is [`SseError::TooLarge`] *before* the bytes are copied.
//! - Errors are sticky: after one, every later call returns the same error, because the
//!   decoder cannot know where the next event boundary is.
//! - The `data` and `event` fields are validated as UTF-8 per complete line, so a character
//!   split across chunks is checked once it is whole; invalid UTF-8 is
//!   [`SseError::InvalidUtf8`] (the Messages API only sends UTF-8 JSON, so replacing bytes
//!   silently would just move the failure somewhere less clear).

use memchr::memchr2;

/// The default cap on one event's size.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event: the `event:` name (empty when absent) and the joined `data:` lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseFrame {
    pub event: String,
    pub data: String,
}

/// Why a byte stream is not a usable event stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event exceeded the {limit}-byte limit")]
    TooLarge { limit: usize },
    #[error("invalid UTF-8 in the event stream")]
    InvalidUtf8,
}

/// An incremental event-stream decoder; see the module docs.
#[derive(Debug)]
pub struct SseDecoder {
    limit: usize,
    /// The unterminated tail of the input: a line that has not seen its line end yet.
    line: Vec<u8>,
    /// The last byte consumed was a CR: an LF at the start of the next push is its pair.
    pending_cr: bool,
    /// No line has been completed yet: a UTF-8 byte-order mark may still need stripping.
    at_start: bool,
    /// Bytes of the complete lines of the current event (line ends excluded).
    held: usize,
    event: String,
    /// `data:` values, each followed by `\n` (the spec's "data buffer").
    data: String,
    failed: Option<SseError>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A decoder that fails with [`SseError::TooLarge`] once one event's lines (partial
    /// line included, line ends excluded) hold more than `limit` bytes.
    pub fn with_max_event_bytes(limit: usize) -> Self {
        Self {
            limit,
            line: Vec::new(),
            pending_cr: false,
            at_start: true,
            held: 0,
            event: String::new(),
            data: String::new(),
            failed: None,
        }
    }

    /// Consumes `chunk` and appends every event it completes to `out`.
    ///
    /// Frames completed before an error in the same chunk are still appended.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseFrame>) -> Result<(), SseError> {
        self.push_each(chunk, |event, data| {
            out.push(SseFrame {
                event: event.to_owned(),
                data: data.to_owned(),
            });
        })
    }

    /// Consumes `chunk` and calls `on_event(name, data)` for every event it completes.
    ///
    /// The hot path: the event's name and data are lent from buffers the decoder reuses, so
    /// a stream of small events costs no allocation per event here.
    pub fn push_each<F: FnMut(&str, &str)>(
        &mut self,
        chunk: &[u8],
        mut on_event: F,
    ) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.push_inner(chunk, &mut on_event);
        if let Err(e) = &result {
            self.fail(e.clone());
        }
        result
    }

    /// Ends the stream. Per the spec, an event without its closing blank line is
    /// discarded, so this never dispatches; it reports an earlier error, if any, and
    /// resets the decoder for reuse otherwise.
    pub fn finish(&mut self, _out: &mut Vec<SseFrame>) -> Result<(), SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        *self = Self::with_max_event_bytes(self.limit);
        Ok(())
    }

    fn fail(&mut self, e: SseError) {
        // Free what the broken event was holding; nothing can be decoded after this.
        self.line = Vec::new();
        self.event = String::new();
        self.data = String::new();
        self.failed = Some(e);
    }

    fn push_inner<F: FnMut(&str, &str)>(
        &mut self,
        chunk: &[u8],
        out: &mut F,
    ) -> Result<(), SseError> {
        let mut rest = chunk;
        if rest.is_empty() {
            // An empty push must not consume a pending CR's chance to pair with an LF.
            return Ok(());
        }
        if std::mem::take(&mut self.pending_cr) && rest[0] == b'\n' {
            rest = &rest[1..];
        }
        if !self.line.is_empty() {
            // Finish the line carried over from the previous push first.
            let Some(end) = memchr2(b'\n', b'\r', rest) else {
                return self.keep_tail(rest);
            };
            self.check_size(self.line.len() + end)?;
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&rest[..end]);
            let processed = self.process_line(&line, out);
            // Hand the buffer back so its capacity is reused for the next tail.
            line.clear();
            self.line = line;
            processed?;
            rest = self.skip_line_end(rest, end);
        }
        while let Some(end) = memchr2(b'\n', b'\r', rest) {
            self.check_size(end)?;
            self.process_line(&rest[..end], out)?;
            rest = self.skip_line_end(rest, end);
        }
        self.keep_tail(rest)
    }

    /// Returns what follows the line end at `rest[end]`, treating CRLF as one line end
    /// and remembering a CR that ends the chunk.
    fn skip_line_end<'a>(&mut self, rest: &'a [u8], end: usize) -> &'a [u8] {
        if rest[end] == b'\r' {
            match rest.get(end + 1) {
                Some(b'\n') => return &rest[end + 2..],
                None => self.pending_cr = true,
                Some(_) => {}
            }
        }
        &rest[end + 1..]
    }

    fn keep_tail(&mut self, tail: &[u8]) -> Result<(), SseError> {
        self.check_size(self.line.len() + tail.len())?;
        self.line.extend_from_slice(tail);
        Ok(())
    }

    /// Fails if the current event plus `pending` more bytes would exceed the cap.
    fn check_size(&self, pending: usize) -> Result<(), SseError> {
        if self.held.saturating_add(pending) > self.limit {
            return Err(SseError::TooLarge { limit: self.limit });
        }
        Ok(())
    }

    fn process_line<F: FnMut(&str, &str)>(
        &mut self,
        mut line: &[u8],
        out: &mut F,
    ) -> Result<(), SseError> {
        if std::mem::take(&mut self.at_start) {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            self.held = 0;
            self.dispatch(out);
            return Ok(());
        }
        self.held += line.len();
        let (field, value) = match memchr::memchr(b':', line) {
            Some(0) => return Ok(()), // a comment
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                let value = utf8(value)?;
                // Room for the separator too, so the usual one-line event allocates once.
                self.data.reserve(value.len() + 1);
                self.data.push_str(value);
                self.data.push('\n');
            }
            b"event" => {
                self.event.clear();
                self.event.push_str(utf8(value)?);
            }
            // `id`, `retry` and unknown fields carry nothing the Messages API uses.
            _ => {}
        }
        Ok(())
    }

    fn dispatch<F: FnMut(&str, &str)>(&mut self, out: &mut F) {
        if !self.data.is_empty() {
            // Without the `\n` after the last data line.
            out(&self.event, &self.data[..self.data.len() - 1]);
        }
        // No data line: the spec resets the name and dispatches nothing. Either way the
        // buffers are cleared, not dropped, so their capacity serves the next event.
        self.event.clear();
        self.data.clear();
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, SseError> {
    std::str::from_utf8(bytes).map_err(|_| SseError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(event: &str, data: &str) -> SseFrame {
        SseFrame {
            event: event.into(),
            data: data.into(),
        }
    }

    fn decode_all(chunks: &[&[u8]]) -> Result<Vec<SseFrame>, SseError> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut out)?;
        }
        d.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn decodes_named_events_with_all_line_ends() {
        let input = b"event: a\ndata: 1\n\nevent: b\r\ndata: 2\r\n\r\nevent: c\rdata: 3\r\r";
        assert_eq!(
            decode_all(&[input]).unwrap(),
            vec![frame("a", "1"), frame("b", "2"), frame("c", "3")]
        );
    }

    #[test]
    fn joins_data_lines_and_strips_only_one_space() {
        let out = decode_all(&[b"data:x\ndata:  y\ndata\ndata: \n\n"]).unwrap();
        assert_eq!(out, vec![frame("", "x\n y\n\n")]);
    }

    #[test]
    fn ignores_comments_ids_retries_and_unknown_fields() {
        let out = decode_all(&[b": ping\nid: 7\nretry: 100\nfoo: bar\nevent: e\ndata: d\n\n"]);
        assert_eq!(out.unwrap(), vec![frame("e", "d")]);
    }

    #[test]
    fn events_without_data_are_not_dispatched_and_do_not_leak_their_name() {
        let out = decode_all(&[b"event: lonely\n\ndata: x\n\n"]).unwrap();
        assert_eq!(out, vec![frame("", "x")]);
    }

    #[test]
    fn empty_data_line_is_still_an_event() {
        assert_eq!(decode_all(&[b"data:\n\n"]).unwrap(), vec![frame("", "")]);
    }

    #[test]
    fn incomplete_trailing_event_is_discarded() {
        let out = decode_all(&[b"data: a\n\ndata: b\n", b"data: c"]).unwrap();
        assert_eq!(out, vec![frame("", "a")]);
    }

    #[test]
    fn cr_at_chunk_end_and_lf_at_next_start_is_one_line_end() {
        // Were the LF a second line end, the blank line would dispatch `data: 1` early.
        let out = decode_all(&[b"data: 1\r", b"", b"\ndata: 2\r", b"\n\r", b"\n"]).unwrap();
        assert_eq!(out, vec![frame("", "1\n2")]);
    }

    #[test]
    fn leading_byte_order_mark_is_stripped_once() {
        let out = decode_all(&[b"\xEF\xBB", b"\xBFdata: x\n\n"]).unwrap();
        assert_eq!(out, vec![frame("", "x")]);
    }

    #[test]
    fn multibyte_characters_split_across_pushes_survive() {
        let text = "data: é日本😀\n\n".as_bytes();
        for cut in 0..text.len() {
            let out = decode_all(&[&text[..cut], &text[cut..]]).unwrap();
            assert_eq!(out, vec![frame("", "é日本😀")], "cut at {cut}");
        }
    }

    #[test]
    fn invalid_utf8_is_a_typed_error_and_sticky() {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        assert_eq!(
            d.push(b"data: \xFF\n", &mut out),
            Err(SseError::InvalidUtf8)
        );
        assert_eq!(
            d.push(b"data: ok\n\n", &mut out),
            Err(SseError::InvalidUtf8)
        );
        assert_eq!(d.finish(&mut out), Err(SseError::InvalidUtf8));
        assert!(out.is_empty());
    }

    #[test]
    fn oversized_event_is_rejected_without_buffering_it() {
        let mut d = SseDecoder::with_max_event_bytes(10);
        let mut out = Vec::new();
        d.push(b"data: 0123", &mut out).unwrap();
        // The partial line counts: 10 held + 1 more is over the cap.
        assert_eq!(
            d.push(b"4", &mut out),
            Err(SseError::TooLarge { limit: 10 })
        );
        assert!(d.line.capacity() <= 16, "the tail must not keep growing");

        let mut d = SseDecoder::with_max_event_bytes(10);
        let err = d.push(b"data: 01234\ndata: 56789\n\n", &mut out);
        assert_eq!(err, Err(SseError::TooLarge { limit: 10 }));
    }

    #[test]
    fn events_under_the_cap_pass_and_the_count_resets_per_event() {
        let mut d = SseDecoder::with_max_event_bytes(16);
        let mut out = Vec::new();
        for _ in 0..100 {
            d.push(b"data: 0123456789\n\n", &mut out).unwrap();
        }
        assert_eq!(out.len(), 100);
    }

    #[test]
    fn finish_resets_for_a_new_stream() {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        d.push(b"event: x\ndata: half", &mut out).unwrap();
        d.finish(&mut out).unwrap();
        d.push(b"data: new\n\n", &mut out).unwrap();
        assert_eq!(out, vec![frame("", "new")]);
    }

    const SAMPLE: &str = "event: message_start\r\ndata: {\"a\":\"é\"}\r\n\r\n: keepalive\n\
        event: ping\rdata: {}\r\revent: delta\ndata: 日本\ndata: 😀\n\nid: 3\n\ndata: tail\n\n";

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_frames(
            cuts in proptest::collection::vec(0..SAMPLE.len(), 0..12)
        ) {
            let bytes = SAMPLE.as_bytes();
            let whole = decode_all(&[bytes]).unwrap();
            let mut cuts = cuts;
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for c in cuts {
                chunks.push(&bytes[prev..c]);
                prev = c;
            }
            chunks.push(&bytes[prev..]);
            prop_assert_eq!(decode_all(&chunks).unwrap(), whole.clone());
            prop_assert_eq!(whole.len(), 4);
        }

        #[test]
        fn arbitrary_bytes_never_panic(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8)
        ) {
            let mut d = SseDecoder::with_max_event_bytes(100);
            let mut out = Vec::new();
            for c in &chunks {
                if d.push(c, &mut out).is_err() {
                    break;
                }
            }
            let _ = d.finish(&mut out);
            for f in &out {
                prop_assert!(f.data.len() <= 100);
            }
        }
    }
}
