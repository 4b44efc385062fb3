//! At most one WARN line per interval for events a client can cause at will (a refused
//! request), with the count of the lines left out; each event is still logged at DEBUG.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default interval between two WARN lines of one kind.
pub(crate) const WARN_INTERVAL: Duration = Duration::from_secs(1);

/// Decides which events get a WARN line. The clock is the caller's, so tests can drive it.
#[derive(Debug)]
pub(crate) struct WarnLimiter {
    interval: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    last: Option<Instant>,
    suppressed: u64,
}

impl WarnLimiter {
    pub(crate) fn new(interval: Duration) -> Self {
        WarnLimiter {
            interval,
            state: Mutex::new(State::default()),
        }
    }

    /// For an event at `now`: `Some(n)` when it gets a WARN line, `n` being how many events
    /// since the previous WARN line did not get one; `None` when it does not.
    pub(crate) fn admit(&self, now: Instant) -> Option<u64> {
        let mut state = crate::lock(&self.state);
        let due = state
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.interval);
        if due {
            state.last = Some(now);
            Some(std::mem::take(&mut state.suppressed))
        } else {
            state.suppressed += 1;
            None
        }
    }
}

impl Default for WarnLimiter {
    fn default() -> Self {
        WarnLimiter::new(WARN_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warn_per_interval_with_the_count_left_out() {
        let limiter = WarnLimiter::new(Duration::from_secs(1));
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(limiter.admit(at(0)), Some(0));
        for ms in [1, 100, 500, 999] {
            assert_eq!(limiter.admit(at(ms)), None, "{ms} ms");
        }
        assert_eq!(limiter.admit(at(1000)), Some(4));
        assert_eq!(limiter.admit(at(1200)), None);
        assert_eq!(limiter.admit(at(5000)), Some(1));
        assert_eq!(limiter.admit(at(6000)), Some(0));
        // A clock that goes back never panics and never floods.
        assert_eq!(limiter.admit(at(10)), None);
        // 10,000 refusals inside one interval: one WARN line.
        let limiter = WarnLimiter::default();
        let warned = (0..10_000)
            .filter(|i| limiter.admit(t0 + Duration::from_micros(*i)).is_some())
            .count();
        assert_eq!(warned, 1);
    }
}
