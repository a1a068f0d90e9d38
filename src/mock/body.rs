//! Cutting a streaming plan into network writes and serving it as a response body.
//!
//! Each write is its own body frame, so with HTTP/1.1 chunked encoding it is its own chunk
//! on the wire: the client's decoder hands it over as a separate piece, never merged with
//! the next one, even when TCP coalesces the packets. That is what makes
//! [`Chunking::Fixed`]`(1)` really deliver one byte at a time.
//!
//! Chunking rules: `Events` writes each planned item as it is; `Fixed(n)` and `Random`
//! cut the concatenated bytes without regard to event or UTF-8 boundaries. Before a pause
//! or a cut the pending remainder is written (so it may be shorter than n): a stall means
//! "the server sent what it had, then went quiet". A cut ends the body with an error, so
//! hyper aborts the connection without the terminating chunk.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use axum::body::Body;
use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::render::Out;
use super::script::Chunking;

/// One action of the body writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Write(Bytes),
    Sleep(Duration),
    /// Wait until this long after the previous beat was due (the first is due at once).
    Beat(Duration),
    Fail,
}

/// How far a late metronome may fall behind before it stops catching up: after a long
/// stall (a loaded machine), the stream resumes its pace instead of bursting.
const MAX_BEAT_LAG: Duration = Duration::from_millis(100);

/// How write sizes are drawn for byte-level chunkings.
enum Sizer {
    Fixed(usize),
    Random(Box<StdRng>, usize),
}

impl Sizer {
    fn next(&mut self) -> usize {
        match self {
            Self::Fixed(n) => *n,
            Self::Random(rng, max) => rng.random_range(1..=*max),
        }
    }
}

/// Applies a chunking to a plan.
pub fn frames(plan: Vec<Out>, chunking: &Chunking) -> Vec<Frame> {
    let mut sizer = match chunking {
        Chunking::Events => None,
        Chunking::Fixed(n) => Some(Sizer::Fixed((*n).max(1))),
        Chunking::Random { seed, max } => Some(Sizer::Random(
            Box::new(StdRng::seed_from_u64(*seed)),
            (*max).max(1),
        )),
    };
    let mut frames = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut want = sizer.as_mut().map_or(0, Sizer::next);
    for item in plan {
        match (item, sizer.as_mut()) {
            (Out::Write(text), None) => frames.push(Frame::Write(Bytes::from(text))),
            (Out::Write(text), Some(sizer)) => {
                pending.extend_from_slice(text.as_bytes());
                while pending.len() >= want {
                    let rest = pending.split_off(want);
                    frames.push(Frame::Write(Bytes::from(std::mem::replace(
                        &mut pending,
                        rest,
                    ))));
                    want = sizer.next();
                }
            }
            (Out::Pause(d), _) => {
                flush(&mut pending, &mut frames);
                frames.push(Frame::Sleep(d));
            }
            (Out::Beat(d), _) => {
                flush(&mut pending, &mut frames);
                frames.push(Frame::Beat(d));
            }
            (Out::Cut, _) => {
                flush(&mut pending, &mut frames);
                frames.push(Frame::Fail);
                return frames;
            }
        }
    }
    flush(&mut pending, &mut frames);
    frames
}

fn flush(pending: &mut Vec<u8>, frames: &mut Vec<Frame>) {
    if !pending.is_empty() {
        frames.push(Frame::Write(Bytes::from(std::mem::take(pending))));
    }
}

/// A response body that performs the frames in order.
pub fn body(frames: Vec<Frame>) -> Body {
    let start = (VecDeque::from(frames), None);
    let stream = futures::stream::unfold(start, |(mut queue, mut due)| async move {
        loop {
            match queue.pop_front()? {
                Frame::Sleep(d) => tokio::time::sleep(d).await,
                Frame::Beat(d) => due = Some(beat(due, d).await),
                Frame::Write(bytes) => {
                    // Give the connection task a turn to flush this frame before the next.
                    tokio::task::yield_now().await;
                    return Some((Ok(bytes), (queue, due)));
                }
                Frame::Fail => {
                    queue.clear();
                    let err = std::io::Error::other("mock script: connection dropped");
                    return Some((Err(err), (queue, due)));
                }
            }
        }
    });
    Body::from_stream(stream)
}

/// Waits for the beat `gap` after the one that was `due` (now, for the first); returns
/// when this one was due. A beat already past is not waited for, up to [`MAX_BEAT_LAG`].
async fn beat(due: Option<Instant>, gap: Duration) -> Instant {
    let now = Instant::now();
    let next = due.map_or(now, |t| t + gap);
    if next > now {
        tokio::time::sleep_until(next).await;
        next
    } else {
        now.checked_sub(MAX_BEAT_LAG)
            .map_or(next, |floor| next.max(floor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(frames: &[Frame]) -> Vec<Vec<u8>> {
        frames
            .iter()
            .filter_map(|f| match f {
                Frame::Write(b) => Some(b.to_vec()),
                _ => None,
            })
            .collect()
    }

    fn plan() -> Vec<Out> {
        vec![
            Out::Write("event: a\ndata: {\"t\":\"é\"}\n\n".into()),
            Out::Pause(Duration::from_millis(1)),
            Out::Write("event: b\ndata: {}\n\n".into()),
        ]
    }

    #[test]
    fn events_chunking_writes_each_item() {
        let f = frames(plan(), &Chunking::Events);
        assert_eq!(f.len(), 3);
        assert_eq!(f[1], Frame::Sleep(Duration::from_millis(1)));
    }

    #[test]
    fn fixed_chunking_cuts_bytes_and_flushes_before_pauses() {
        let all: Vec<u8> = writes(&frames(plan(), &Chunking::Events)).concat();
        let f = frames(plan(), &Chunking::Fixed(4));
        let w = writes(&f);
        assert_eq!(w.concat(), all);
        let first_len = "event: a\ndata: {\"t\":\"é\"}\n\n".len();
        // Full 4-byte writes, except the remainders before the pause and at the end.
        let lens: Vec<usize> = w.iter().map(Vec::len).collect();
        assert!(lens[..first_len / 4].iter().all(|&l| l == 4), "{lens:?}");
        assert!(f.contains(&Frame::Sleep(Duration::from_millis(1))));
        // One byte writes split the two-byte 'é'.
        let ones = writes(&frames(plan(), &Chunking::Fixed(1)));
        assert!(ones.iter().all(|w| w.len() == 1));
        assert!(ones.iter().any(|w| std::str::from_utf8(w).is_err()));
    }

    #[test]
    fn random_chunking_is_reproducible_and_bounded() {
        let chunking = Chunking::Random { seed: 7, max: 5 };
        let a = writes(&frames(plan(), &chunking));
        assert_eq!(a, writes(&frames(plan(), &chunking)));
        assert!(a.iter().all(|w| (1..=5).contains(&w.len())));
        assert_eq!(
            a.concat(),
            writes(&frames(plan(), &Chunking::Events)).concat()
        );
        let other = writes(&frames(plan(), &Chunking::Random { seed: 8, max: 5 }));
        assert_ne!(a, other, "a different seed gives different sizes");
    }

    #[test]
    fn cut_ends_the_frames() {
        let mut p = plan();
        p.insert(1, Out::Cut);
        let f = frames(p, &Chunking::Fixed(3));
        assert_eq!(f.last(), Some(&Frame::Fail));
        assert!(!f.contains(&Frame::Sleep(Duration::from_millis(1))));
    }

    #[tokio::test(start_paused = true)]
    async fn beats_keep_the_pace_and_a_late_one_is_made_up_within_a_bound() {
        let gap = Duration::from_millis(1);
        let t0 = Instant::now();
        let first = beat(None, gap).await;
        assert_eq!(
            (first, Instant::now()),
            (t0, t0),
            "the first beat is due at once"
        );
        let second = beat(Some(first), gap).await;
        assert_eq!((second, Instant::now()), (t0 + gap, t0 + gap));
        // 5 ms late: the next beats are due at once, counted from when they were due.
        tokio::time::advance(Duration::from_millis(5)).await;
        let late = Instant::now();
        assert_eq!(beat(Some(second), gap).await, t0 + 2 * gap);
        assert_eq!(
            Instant::now(),
            late,
            "a beat already past is not waited for"
        );
        // A second behind: only MAX_BEAT_LAG of it is made up.
        tokio::time::advance(Duration::from_secs(1)).await;
        let now = Instant::now();
        assert_eq!(beat(Some(t0), gap).await, now - MAX_BEAT_LAG);
    }
}
