//! Admission to the blocking pool: a gateway half whose requests may block a thread (RSA key
//! generation) bounds how many of them hold a thread at once. The rest wait without a thread
//! (as tasks), in a bounded queue and for a bounded time, then get the half's "busy" answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The answer for a request that found no slot.
pub(crate) type BusyAnswer = Box<dyn Fn() -> Response<Bytes> + Send + Sync>;

pub(crate) struct BlockingAdmission {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
    busy: BusyAnswer,
}

/// Decrements the waiting count however the wait ends (a dropped request included).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl BlockingAdmission {
    /// At most `slots` requests at once; at most `max_waiting` more wait, each at most `wait`.
    pub(crate) fn new(slots: usize, max_waiting: usize, wait: Duration, busy: BusyAnswer) -> Self {
        BlockingAdmission {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
            wait,
            busy,
        }
    }

    /// A slot to hold while the request runs on the blocking pool, or the busy answer.
    pub(crate) async fn enter(&self) -> Result<OwnedSemaphorePermit, Response<Bytes>> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(slot);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err((self.busy)());
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err((self.busy)()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_then_a_bounded_queue_then_busy() {
        let admission = BlockingAdmission::new(
            1,
            1,
            Duration::from_millis(50),
            Box::new(|| Response::new(Bytes::from_static(b"busy"))),
        );
        let held = admission.enter().await.unwrap();
        let (queued, full) = tokio::join!(admission.enter(), async {
            tokio::task::yield_now().await;
            admission.enter().await
        });
        // The queued one waited its 50 ms and gave up; the next found the queue full.
        assert_eq!(queued.unwrap_err().body().as_ref(), b"busy");
        assert_eq!(full.unwrap_err().body().as_ref(), b"busy");
        assert_eq!(admission.waiting.load(Ordering::Acquire), 0);
        // A slot freed while a request waits goes to that request.
        let (next, ()) = tokio::join!(admission.enter(), async move {
            tokio::task::yield_now().await;
            drop(held);
        });
        assert!(next.is_ok());
        assert_eq!(admission.waiting.load(Ordering::Acquire), 0);
    }
}
