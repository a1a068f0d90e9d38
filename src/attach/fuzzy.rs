//! The fuzzy filter for `@`-completion: which paths match what was typed, best first.
//!
//! Scoring is nucleo's (the matcher helix uses), configured for paths: a match at the
//! start of a path component or of a word scores more, a gap less; the query is
//! case-insensitive unless it has a capital. Only the top `limit` matches get their
//! positions computed (the popup highlights them). Ties go to the shorter path, then to
//! the order the walk found them.
//!
//! Before any scoring, a path is rejected in one instruction when it lacks a character of
//! the query: each path has a [`char_mask`] (a bit per ASCII letter, digit and a few
//! punctuation marks, case folded) made once when it is indexed, and a path whose mask
//! does not cover the query's cannot match. Most paths of a large tree fail that test for
//! any query of two or more letters, so nucleo only scores the plausible ones. Many
//! plausible paths are scored on two threads.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// One path that matched, with its score and the char positions the query matched at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub path: String,
    /// Char (not byte) indices into `path`, ascending.
    pub positions: Vec<usize>,
    pub score: u32,
}

/// A reusable filter (the matcher keeps its scratch memory between calls).
pub struct Filter {
    matcher: Matcher,
    buf: Vec<char>,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            matcher: Matcher::new(Config::DEFAULT.match_paths()),
            buf: Vec::new(),
        }
    }
}

/// What [`Filter::run`] found: every matching candidate (for narrowing the next
/// keystroke's search) and the best `limit` of them.
pub struct Filtered {
    pub matching: Vec<u32>,
    pub top: Vec<Match>,
}

impl Filter {
    /// Scores `candidates` (indices into `paths`, whose masks are `masks`) against
    /// `query`. An empty query matches everything, in the given order.
    pub fn run(
        &mut self,
        paths: &[String],
        masks: &[u64],
        candidates: impl Iterator<Item = u32>,
        query: &str,
        limit: usize,
    ) -> Filtered {
        if query.is_empty() {
            let matching: Vec<u32> = candidates.collect();
            let top = matching
                .iter()
                .take(limit)
                .map(|&i| Match {
                    path: paths[i as usize].clone(),
                    positions: Vec::new(),
                    score: 0,
                })
                .collect();
            return Filtered { matching, top };
        }
        let atom = Atom::new(
            query,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
            false,
        );
        let needed = query_mask(query);
        let plausible: Vec<u32> = candidates
            .filter(|&i| masks[i as usize] & needed == needed)
            .collect();
        let mut scored = self.score_all(&atom, paths, &plausible);
        let matching: Vec<u32> = scored.iter().map(|&(_, i)| i).collect();
        let rank = |a: &(u16, u32), b: &(u16, u32)| {
            b.0.cmp(&a.0)
                .then_with(|| paths[a.1 as usize].len().cmp(&paths[b.1 as usize].len()))
                .then_with(|| a.1.cmp(&b.1))
        };
        if scored.len() > limit && limit > 0 {
            scored.select_nth_unstable_by(limit - 1, rank);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(rank);
        scored.truncate(limit);
        let top = scored
            .iter()
            .map(|&(score, i)| self.positions(&atom, &paths[i as usize], score))
            .collect();
        Filtered { matching, top }
    }

    /// Scores `plausible` in order; a large set is split between two threads (each with a
    /// matcher of its own), which halves a keystroke's worst case on a 2-core machine.
    fn score_all(&mut self, atom: &Atom, paths: &[String], plausible: &[u32]) -> Vec<(u16, u32)> {
        if plausible.len() < PARALLEL_FROM {
            return score(atom, paths, plausible, &mut self.matcher, &mut self.buf);
        }
        let (front, back) = plausible.split_at(plausible.len() / 2);
        let (matcher, buf) = (&mut self.matcher, &mut self.buf);
        std::thread::scope(|s| {
            let other = s.spawn(|| {
                let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
                score(atom, paths, back, &mut matcher, &mut Vec::new())
            });
            let mut scored = score(atom, paths, front, matcher, buf);
            match other.join() {
                Ok(rest) => scored.extend(rest),
                // The helper panicked (it cannot, short of a bug in the matcher): score
                // its half here.
                Err(_) => scored.extend(score(atom, paths, back, matcher, buf)),
            }
            scored
        })
    }

    fn positions(&mut self, atom: &Atom, path: &str, score: u16) -> Match {
        let mut indices = Vec::new();
        let hay = Utf32Str::new(path, &mut self.buf);
        atom.indices(hay, &mut self.matcher, &mut indices);
        indices.sort_unstable();
        indices.dedup();
        Match {
            path: path.to_owned(),
            positions: indices.into_iter().map(|i| i as usize).collect(),
            score: u32::from(score),
        }
    }
}

/// Below this many plausible paths one thread scores them all (a thread costs more).
const PARALLEL_FROM: usize = 16_384;

/// The scores of `indices` that match, in order.
fn score(
    atom: &Atom,
    paths: &[String],
    indices: &[u32],
    matcher: &mut Matcher,
    buf: &mut Vec<char>,
) -> Vec<(u16, u32)> {
    let mut scored = Vec::new();
    for &i in indices {
        let hay = Utf32Str::new(&paths[i as usize], buf);
        if let Some(s) = atom.score(hay, matcher) {
            scored.push((s, i));
        }
    }
    scored
}

/// Filters `paths` once (tests and one-off callers; the index keeps a [`Filter`]).
pub fn filter(paths: &[String], query: &str, limit: usize) -> Vec<Match> {
    let masks: Vec<u64> = paths.iter().map(|p| char_mask(p)).collect();
    let all = 0..u32::try_from(paths.len()).unwrap_or(u32::MAX);
    Filter::default().run(paths, &masks, all, query, limit).top
}

/// The bit of an ASCII character, case folded; `None` for the rest.
fn bit(c: char) -> Option<u32> {
    match c.to_ascii_lowercase() {
        c @ 'a'..='z' => Some(c as u32 - 'a' as u32),
        c @ '0'..='9' => Some(26 + c as u32 - '0' as u32),
        '/' => Some(36),
        '.' => Some(37),
        '_' => Some(38),
        '-' => Some(39),
        ' ' => Some(40),
        _ => None,
    }
}

/// The characters a path has, as bits. A path with any other character gets every bit: it
/// is never rejected (nucleo folds accents, so `é` may match a typed `e`).
pub fn char_mask(path: &str) -> u64 {
    let mut mask = 0u64;
    for c in path.chars() {
        match bit(c) {
            Some(b) => mask |= 1 << b,
            None => return u64::MAX,
        }
    }
    mask
}

/// The bits a path must have to match `query`: those of its ASCII characters (others
/// demand nothing).
fn query_mask(query: &str) -> u64 {
    query.chars().filter_map(bit).fold(0, |m, b| m | 1 << b)
}
