//! Reading a fast stream in batches: one network read (and one wake-up of the runtime)
//! per [`PACE`], not one per event.
//!
//! The API streams an answer as many small events; a fast one sends them a millisecond or
//! so apart, each its own network packet. Read as they come, every event wakes a runtime
//! thread, and each wake-up costs more than the event's work. Instead, a read that would
//! wait for the network (the next event is not already read, here or by the HTTP
//! connection) waits first until [`PACE`] has passed since the previous such read: by
//! then the packets of that interval are in the socket's buffer and one read takes them
//! all. Events already read are taken at once, and a stream slower than the pace (or the
//! first read, or one after a pause) is not delayed at all; the most an event waits is the
//! pace, under a frame at 60 per second, so what is on screen is not later for it.

use std::time::Duration;

use tokio::time::Instant;

/// The shortest time between two reads that wait for the network.
pub const PACE: Duration = Duration::from_millis(10);

/// When the last read that waited for the network started.
#[derive(Debug, Default)]
pub struct Pacer {
    last: Option<Instant>,
}

impl Pacer {
    /// Before a read that will wait for the network: how long to wait first (nothing when
    /// the last such read is a pace ago). The read is counted as starting after the wait.
    pub fn before_read(&mut self, now: Instant) -> Duration {
        let wait = self.last.map_or(Duration::ZERO, |last| {
            (last + PACE).saturating_duration_since(now)
        });
        self.last = Some(now + wait);
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_closer_than_the_pace_wait_for_the_rest_of_it() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        assert_eq!(pacer.before_read(start), Duration::ZERO, "the first read");
        let soon = start + Duration::from_millis(3);
        assert_eq!(pacer.before_read(soon), PACE - Duration::from_millis(3));
        // That read started a pace after the first; one long after it does not wait.
        let later = start + PACE + Duration::from_secs(1);
        assert_eq!(pacer.before_read(later), Duration::ZERO);
    }
}
