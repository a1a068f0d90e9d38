//! When to draw: a coalescing, rate-capped frame scheduler.
//!
//! The app never draws on a timer. Code that changes something visible *requests* a frame
//! ([`FrameScheduler::request`]), or a frame some time from now for animations and
//! countdowns ([`FrameScheduler::request_in`]); the event loop awaits
//! [`FrameScheduler::next_frame`] as one branch of its `select!` and draws when it resolves.
//!
//! Invariants:
//! - Any number of requests made before a frame is drawn coalesce into that one frame: the
//!   scheduler keeps only the earliest due time.
//! - Two frames are never closer together than the minimum interval (1/60 s by default), so
//!   a stream of thousands of deltas per second costs at most 60 draws per second.
//! - With no pending request `next_frame` never resolves: an idle app does no work at all.
//! - `next_frame` is cancel-safe: state changes only after its sleep completes, so losing a
//!   `select!` race drops nothing.
//!
//! Tuning: [`FrameScheduler::with_min_interval`] changes the cap (tests, slow links).

use std::time::Duration;

use tokio::time::Instant;

/// 1/60 s, rounded up so 60 frames always fit in a second.
pub const MIN_FRAME_INTERVAL: Duration = Duration::from_micros(16_667);

/// Merges frame requests and hands out at most one frame per minimum interval.
#[derive(Debug)]
pub struct FrameScheduler {
    min_interval: Duration,
    /// When the last frame was handed out; `None` before the first.
    last_frame: Option<Instant>,
    /// The earliest time any pending request wants a frame; `None` when idle.
    due: Option<Instant>,
}

impl Default for FrameScheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameScheduler {
    /// A scheduler capped at 60 frames per second.
    pub fn new() -> Self {
        Self::with_min_interval(MIN_FRAME_INTERVAL)
    }

    /// A scheduler whose frames are at least `min_interval` apart.
    pub fn with_min_interval(min_interval: Duration) -> Self {
        FrameScheduler {
            min_interval,
            last_frame: None,
            due: None,
        }
    }

    /// Asks for a frame as soon as the rate cap allows.
    pub fn request(&mut self) {
        self.request_at(Instant::now());
    }

    /// Asks for a frame `delay` from now (a spinner tick, a retry countdown). An earlier
    /// pending request still wins: the frame it produces shows this state too.
    pub fn request_in(&mut self, delay: Duration) {
        self.request_at(Instant::now() + delay);
    }

    fn request_at(&mut self, at: Instant) {
        self.due = Some(self.due.map_or(at, |due| due.min(at)));
    }

    /// When the next frame will be handed out: the earliest request, pushed back to respect
    /// the rate cap. `None` while idle.
    pub fn deadline(&self) -> Option<Instant> {
        let due = self.due?;
        Some(match self.last_frame {
            Some(last) => due.max(last + self.min_interval),
            None => due,
        })
    }

    /// Whether a frame is pending within one minimum interval: what arrives meanwhile is
    /// shown by that frame at the earliest, so it may wait for it (the loop batches engine
    /// updates this way: one wake-up per frame, not one per delta).
    pub fn imminent(&self, now: Instant) -> bool {
        self.deadline()
            .is_some_and(|at| at <= now + self.min_interval)
    }

    /// Resolves when a frame is due and returns its time; the caller draws then. Pending
    /// requests are consumed. Never resolves while idle.
    pub async fn next_frame(&mut self) -> Instant {
        let Some(deadline) = self.deadline() else {
            return std::future::pending().await;
        };
        tokio::time::sleep_until(deadline).await;
        let now = Instant::now();
        self.last_frame = Some(now);
        self.due = None;
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Awaits the next frame, or `None` if none comes within an hour of (paused) time.
    async fn frame_within_an_hour(s: &mut FrameScheduler) -> Option<Instant> {
        tokio::time::timeout(Duration::from_secs(3600), s.next_frame())
            .await
            .ok()
    }

    #[tokio::test(start_paused = true)]
    async fn idle_scheduler_never_produces_a_frame() {
        let mut s = FrameScheduler::new();
        assert_eq!(s.deadline(), None);
        assert_eq!(frame_within_an_hour(&mut s).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn first_request_is_served_at_once() {
        let mut s = FrameScheduler::new();
        let start = Instant::now();
        s.request();
        let at = frame_within_an_hour(&mut s).await.unwrap();
        assert_eq!(at, start);
    }

    #[tokio::test(start_paused = true)]
    async fn many_requests_coalesce_into_one_frame() {
        let mut s = FrameScheduler::new();
        for _ in 0..1000 {
            s.request();
        }
        assert!(frame_within_an_hour(&mut s).await.is_some());
        assert_eq!(s.deadline(), None);
        // Everything was served by that one frame: nothing more comes.
        assert_eq!(frame_within_an_hour(&mut s).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn frames_are_capped_at_sixty_per_second() {
        let mut s = FrameScheduler::new();
        let start = Instant::now();
        let mut frames = 0;
        // Request a frame every millisecond for one second, as a fast stream would.
        while Instant::now() < start + Duration::from_secs(1) {
            s.request();
            tokio::select! {
                biased;
                _ = s.next_frame() => frames += 1,
                () = tokio::time::sleep(Duration::from_millis(1)) => {}
            }
        }
        assert!((59..=60).contains(&frames), "{frames} frames in one second");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_right_after_a_frame_waits_for_the_interval() {
        let mut s = FrameScheduler::new();
        s.request();
        let first = frame_within_an_hour(&mut s).await.unwrap();
        s.request();
        let second = frame_within_an_hour(&mut s).await.unwrap();
        // tokio's timer has millisecond resolution, so the wait may round up to 17 ms.
        let gap = second - first;
        assert!(
            gap >= MIN_FRAME_INTERVAL && gap <= Duration::from_millis(17),
            "{gap:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn only_a_frame_due_within_the_interval_is_imminent() {
        let mut s = FrameScheduler::new();
        assert!(!s.imminent(Instant::now()));
        s.request_in(Duration::from_secs(1));
        assert!(
            !s.imminent(Instant::now()),
            "a countdown's tick is not imminent"
        );
        s.request();
        assert!(s.imminent(Instant::now()));
        frame_within_an_hour(&mut s).await.unwrap();
        assert!(!s.imminent(Instant::now()));
        // Right after a frame the next is held back by the cap: still imminent.
        s.request();
        assert!(s.imminent(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn request_in_waits_for_its_delay() {
        let mut s = FrameScheduler::new();
        let start = Instant::now();
        s.request_in(Duration::from_millis(500));
        assert!(s.deadline().is_some());
        let at = frame_within_an_hour(&mut s).await.unwrap();
        assert_eq!(at - start, Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn an_earlier_request_wins_over_a_later_one() {
        let mut s = FrameScheduler::new();
        let start = Instant::now();
        s.request_in(Duration::from_secs(2));
        s.request_in(Duration::from_millis(100));
        let at = frame_within_an_hour(&mut s).await.unwrap();
        assert_eq!(at - start, Duration::from_millis(100));
        // The later request was served by the same frame.
        assert_eq!(frame_within_an_hour(&mut s).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn losing_a_select_race_keeps_the_request() {
        let mut s = FrameScheduler::new();
        s.request_in(Duration::from_millis(100));
        tokio::select! {
            _ = s.next_frame() => panic!("frame came too early"),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
        assert!(s.deadline().is_some());
        assert!(frame_within_an_hour(&mut s).await.is_some());
    }
}
