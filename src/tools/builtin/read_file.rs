//! `read_file`: a text file under the root, as numbered lines, optionally a range of them.
//!
//! Output is capped at [`MAX_OUTPUT_BYTES`] of line text and each line at
//! [`MAX_LINE_BYTES`]; when the cap cuts the range, a note says which lines were shown and
//! which `start_line` continues, so a model pages through a big file instead of getting a
//! truncated blob. Binary files (see [`looks_binary`]) are refused. The total line count is
//! given when the file is small enough to count ([`COUNT_LIMIT`]).
//!
//! Memory is bounded whatever the line lengths: a line is read in buffer-sized pieces and
//! only its first [`MAX_LINE_BYTES`] are kept, so a 300 MB file without a newline costs
//! kilobytes, and when the last line wanted is the one being cut, nothing after its kept
//! prefix is read at all. A line longer than [`MAX_LINE_SCAN`] ends the call there with a
//! note, so one call never streams through hundreds of megabytes looking for a newline.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};

use serde::Deserialize;
use serde_json::json;

use super::text::{SNIFF_BYTES, clip_line, human_size, looks_binary};
use crate::tools::workspace::Workspace;
use crate::tools::{Approval, ToolOutput, ToolSpec};

/// Line text returned by one call, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 100_000;
/// One line longer than this (minified code, data) is cut.
pub const MAX_LINE_BYTES: usize = 2_000;
/// Files up to this size are read to the end to count their lines.
pub const COUNT_LIMIT: u64 = 64 * 1024 * 1024;
/// A line longer than this is not read past: the call stops at it.
pub const MAX_LINE_SCAN: u64 = 16 * 1024 * 1024;

pub fn spec() -> ToolSpec {
    ToolSpec {
        name: "read_file".into(),
        description: "Read a text file in the workspace and return its lines, numbered. Use this \
            when you need the contents of a file whose path you know (find paths with \
            list_directory or search_files first). For a long file, pass start_line and \
            end_line to read a part; the output is capped at about 100 KB and says where to \
            continue. Binary files are refused. Paths are relative to the workspace root."
            .into(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "path": {
                    "type": "string",
                    "minLength": 1,
                    "description": "File path relative to the workspace root, e.g. src/main.rs"
                },
                "start_line": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "First line to return (1-based, inclusive). Default 1."
                },
                "end_line": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Last line to return (1-based, inclusive). Default: the end of the file."
                }
            },
            "required": ["path"],
            "additionalProperties": false
        }),
        approval: Approval::Never,
    }
}

#[derive(Debug, Deserialize)]
pub struct Input {
    path: String,
    start_line: Option<u64>,
    end_line: Option<u64>,
}

pub fn run(ws: &Workspace, input: Input) -> ToolOutput {
    match read(ws, &input) {
        Ok(text) => ToolOutput::ok(text),
        Err(message) => ToolOutput::error(message),
    }
}

fn read(ws: &Workspace, input: &Input) -> Result<String, String> {
    let path = ws.resolve(&input.path).map_err(|e| e.to_string())?;
    let shown = ws.display(&path);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {shown:?}: {e}"))?;
    if meta.is_dir() {
        return Err(format!(
            "{shown:?} is a directory; use list_directory to see what is in it"
        ));
    }
    // A FIFO or a device would block the read forever, or never end.
    if !meta.is_file() {
        return Err(format!("{shown:?} is not a regular file"));
    }
    let start = input.start_line.unwrap_or(1);
    if let Some(end) = input.end_line
        && end < start
    {
        return Err(format!("end_line {end} is before start_line {start}"));
    }
    let mut file = File::open(&path).map_err(|e| format!("cannot read {shown:?}: {e}"))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read {shown:?}: {e}"))?;
    if looks_binary(&head) {
        return Err(format!(
            "{shown:?} looks like a binary file ({}); read_file only returns text",
            human_size(meta.len())
        ));
    }
    if meta.len() == 0 {
        return Ok(format!("{shown}: empty file (0 bytes)"));
    }
    let reader = BufReader::new(Cursor::new(head).chain(file));
    let lines = collect_lines(reader, start, input.end_line, meta.len() <= COUNT_LIMIT)
        .map_err(|e| format!("cannot read {shown:?}: {e}"))?;
    lines.render(&shown, start)
}

/// What a pass over the file gathered.
struct Lines {
    /// Numbered, already formatted lines.
    body: String,
    /// The last line shown, if any.
    last_shown: Option<u64>,
    /// Lines in the file, when it was read to the end.
    total: Option<u64>,
    /// Stopped by the byte cap before the requested end.
    capped: bool,
    /// Whether lines were cut at [`MAX_LINE_BYTES`].
    clipped_lines: bool,
    /// The line longer than [`MAX_LINE_SCAN`] at which reading stopped.
    stopped_at: Option<u64>,
}

fn collect_lines(
    mut reader: impl BufRead,
    start: u64,
    end: Option<u64>,
    count_all: bool,
) -> std::io::Result<Lines> {
    let mut out = Lines {
        body: String::new(),
        last_shown: None,
        total: None,
        capped: false,
        clipped_lines: false,
        stopped_at: None,
    };
    let mut buf = Vec::new();
    let mut number = 0u64;
    let mut budget = MAX_OUTPUT_BYTES;
    loop {
        let next = number + 1;
        let wanted = next >= start && end.is_none_or(|e| next <= e);
        // One byte over the limit tells `clip_line` that the line was longer.
        let keep = if wanted { MAX_LINE_BYTES + 1 } else { 0 };
        let last_needed = !count_all && end.is_some_and(|e| next >= e);
        let read = read_line_bounded(&mut reader, &mut buf, keep, last_needed)?;
        if read == Piece::Eof {
            out.total = Some(number);
            return Ok(out);
        }
        number = next;
        if wanted && !out.capped {
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim_end_matches('\n').trim_end_matches('\r');
            out.clipped_lines |= line.len() > MAX_LINE_BYTES;
            let line = clip_line(line, MAX_LINE_BYTES);
            if line.len() > budget && out.last_shown.is_some() {
                out.capped = true;
            } else {
                budget = budget.saturating_sub(line.len());
                out.body.push_str(&format!("{number:>6}\t{line}\n"));
                out.last_shown = Some(number);
            }
        }
        if read == Piece::TooLong {
            out.stopped_at = Some(number);
            return Ok(out);
        }
        let past_end = end.is_some_and(|e| number >= e) || out.capped;
        if past_end && !count_all {
            return Ok(out);
        }
    }
}

/// What [`read_line_bounded`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// A line (or the prefix asked for).
    Line,
    /// No more input.
    Eof,
    /// A line with no newline within [`MAX_LINE_SCAN`] bytes; its prefix is in `buf`.
    TooLong,
}

/// Reads the next line into `buf`, keeping at most `keep` bytes of it and dropping the
/// rest as it streams past; with `prefix_only`, stops once `keep` bytes are in (the caller
/// needs nothing after them).
fn read_line_bounded(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    keep: usize,
    prefix_only: bool,
) -> std::io::Result<Piece> {
    buf.clear();
    let mut seen = 0u64;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if seen == 0 { Piece::Eof } else { Piece::Line });
        }
        if seen >= MAX_LINE_SCAN {
            return Ok(Piece::TooLong);
        }
        let (piece, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = keep.saturating_sub(buf.len());
        buf.extend_from_slice(&piece[..piece.len().min(room)]);
        let used = piece.len();
        reader.consume(used);
        seen += used as u64;
        if done || (prefix_only && keep > 0 && buf.len() >= keep) {
            return Ok(Piece::Line);
        }
    }
}

impl Lines {
    fn render(&self, shown: &str, start: u64) -> Result<String, String> {
        let total = self.total.map_or_else(String::new, |t| format!(" of {t}"));
        let Some(last) = self.last_shown else {
            if let Some(line) = self.stopped_at {
                return Err(format!(
                    "line {line} of {shown:?} is longer than {} without a newline; read_file \
                     does not read past it",
                    human_size(MAX_LINE_SCAN)
                ));
            }
            return Err(format!(
                "start_line {start} is past the end of {shown:?}, which has {} lines",
                self.total.unwrap_or(0)
            ));
        };
        let mut text = format!("{shown}: lines {start}-{last}{total}\n{}", self.body);
        if self.capped {
            text.push_str(&format!(
                "[truncated: output is capped at {MAX_OUTPUT_BYTES} bytes; call read_file with \
                 start_line={} to continue]\n",
                last + 1
            ));
        }
        if self.clipped_lines {
            text.push_str(&format!(
                "[lines longer than {MAX_LINE_BYTES} bytes were cut, marked ...]\n"
            ));
        }
        if let Some(line) = self.stopped_at {
            text.push_str(&format!(
                "[line {line} is longer than {} without a newline; read_file read no further]\n",
                human_size(MAX_LINE_SCAN)
            ));
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Read};

    use super::*;

    /// A newline-free input of `len` bytes that counts what was read from it.
    struct Counted {
        left: u64,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl Read for Counted {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out
                .len()
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            out[..n].fill(b'a');
            self.left -= n as u64;
            self.read.set(self.read.get() + n as u64);
            Ok(n)
        }
    }

    fn counted(len: u64) -> (BufReader<Counted>, std::rc::Rc<std::cell::Cell<u64>>) {
        let read = std::rc::Rc::default();
        let reader = Counted {
            left: len,
            read: std::rc::Rc::clone(&read),
        };
        (BufReader::new(reader), read)
    }

    #[test]
    fn a_huge_line_keeps_only_its_prefix_in_memory() {
        let mut buf = Vec::new();
        let len = MAX_LINE_SCAN - 1;
        let (mut reader, read) = counted(len);
        assert_eq!(
            read_line_bounded(&mut reader, &mut buf, 10, false).unwrap(),
            Piece::Line
        );
        assert_eq!(buf, b"aaaaaaaaaa");
        assert!(buf.capacity() < 64 * 1024, "{}", buf.capacity());
        assert_eq!(read.get(), len, "streamed to the end of the line");
        assert_eq!(
            read_line_bounded(&mut reader, &mut buf, 10, false).unwrap(),
            Piece::Eof
        );
    }

    #[test]
    fn the_last_line_wanted_reads_only_a_bounded_prefix() {
        let (reader, read) = counted(300 * 1024 * 1024);
        let lines = collect_lines(reader, 1, Some(1), false).unwrap();
        assert!(lines.clipped_lines);
        assert_eq!(lines.last_shown, Some(1));
        assert!(
            lines.body.len() < MAX_LINE_BYTES + 20,
            "{}",
            lines.body.len()
        );
        assert!(read.get() <= 64 * 1024, "read {} bytes", read.get());
    }

    #[test]
    fn a_300_mb_line_stops_the_call_after_a_bounded_scan() {
        let (reader, read) = counted(300 * 1024 * 1024);
        let lines = collect_lines(reader, 1, None, false).unwrap();
        assert_eq!(lines.stopped_at, Some(1));
        assert_eq!(lines.last_shown, Some(1));
        assert!(
            read.get() <= MAX_LINE_SCAN + 64 * 1024,
            "read {} bytes",
            read.get()
        );
        let text = lines.render("big.txt", 1).unwrap();
        assert!(
            text.contains("[line 1 is longer than 16.0 MiB"),
            "{}",
            &text[text.len() - 200..]
        );
        let (reader, _) = counted(300 * 1024 * 1024);
        let err = collect_lines(reader, 5, None, false)
            .unwrap()
            .render("big.txt", 5);
        assert!(err.unwrap_err().contains("line 1 of \"big.txt\" is longer"));
    }

    #[test]
    fn lines_after_a_huge_one_are_still_found() {
        let mut text = vec![b'x'; 3 * MAX_OUTPUT_BYTES];
        text.extend_from_slice(b"\r\nsecond\nthird");
        let lines = collect_lines(&text[..], 2, None, true).unwrap();
        assert_eq!(lines.body, "     2\tsecond\n     3\tthird\n");
        assert_eq!(lines.total, Some(3));
        let first = collect_lines(&text[..], 1, Some(1), true).unwrap();
        assert!(first.body.ends_with("xxx...\n"), "{}", &first.body[..20]);
        assert_eq!(first.total, Some(3));
    }
}
