//! One fetch at a time per key, within an isolate: when a hundred tool calls find the same
//! token expired, one of them asks the token endpoint and the others wait for its answer.
//!
//! Waiters poll on timers of their own ([`HttpClient::pause`]): the Workers runtime cancels a
//! request whose only pending work belongs to another request. A leader whose request is
//! cancelled gives up its turn when dropped, so nobody waits for a fetch that stopped.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;

use crate::ports::HttpClient;

const POLL_MS: u32 = 10;

pub struct Flights<V> {
    slots: RefCell<HashMap<String, Slot<V>>>,
}

struct Slot<V> {
    /// Counts finished fetches, so a waiter knows when the one it waited for is done.
    generation: u64,
    busy: bool,
    last: Option<Result<V, String>>,
}

impl<V> Default for Flights<V> {
    fn default() -> Self {
        Flights {
            slots: RefCell::default(),
        }
    }
}

/// Frees the key when the leader's future ends, however it ends.
struct Turn<'a, V> {
    flights: &'a Flights<V>,
    key: &'a str,
}

impl<V> Drop for Turn<'_, V> {
    fn drop(&mut self) {
        if let Some(slot) = self.flights.slots.borrow_mut().get_mut(self.key) {
            slot.busy = false;
        }
    }
}

/// More keys than this (grants of many people in one isolate) clears the finished ones.
const MAX_SLOTS: usize = 256;

impl<V: Clone> Flights<V> {
    /// Runs `work` unless another request is already running it for `key`, in which case this
    /// one waits up to `wait_ms` for that answer and returns it.
    pub async fn run<C, F, Fut>(
        &self,
        client: &C,
        key: &str,
        wait_ms: u32,
        work: F,
    ) -> Result<V, String>
    where
        C: HttpClient,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, String>>,
    {
        let waiting_for = {
            let mut slots = self.slots.borrow_mut();
            if slots.len() >= MAX_SLOTS {
                slots.retain(|_, s| s.busy);
            }
            let slot = slots.entry(key.to_owned()).or_insert(Slot {
                generation: 0,
                busy: false,
                last: None,
            });
            if slot.busy {
                Some(slot.generation)
            } else {
                slot.busy = true;
                None
            }
        };
        if let Some(generation) = waiting_for {
            for _ in 0..wait_ms.div_ceil(POLL_MS) {
                client.pause(POLL_MS).await;
                let slots = self.slots.borrow();
                match slots.get(key) {
                    Some(s) if s.generation > generation => {
                        return s.last.clone().unwrap_or_else(|| Err("no answer".into()))
                    }
                    Some(s) if s.busy => {}
                    // The leader was cancelled before it finished.
                    _ => return Err("the request fetching it was cancelled; retry".into()),
                }
            }
            return Err(format!(
                "no answer within {wait_ms} ms from another request's fetch"
            ));
        }
        let turn = Turn { flights: self, key };
        let result = work().await;
        if let Some(slot) = self.slots.borrow_mut().get_mut(key) {
            slot.generation += 1;
            slot.last = Some(result.clone());
        }
        drop(turn);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{FetchError, UpstreamRequest, UpstreamResponse};
    use std::cell::Cell;

    /// Pauses yield once, so that joined futures interleave.
    struct Yielding;

    impl HttpClient for Yielding {
        async fn send(&self, _req: UpstreamRequest) -> Result<UpstreamResponse, FetchError> {
            Err(FetchError::Unreachable("none".into()))
        }
        async fn pause(&self, _ms: u32) {
            let mut yielded = false;
            std::future::poll_fn(|cx| {
                if yielded {
                    std::task::Poll::Ready(())
                } else {
                    yielded = true;
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
            .await
        }
    }

    #[test]
    fn concurrent_callers_share_one_run() {
        let flights: Flights<u32> = Flights::default();
        let runs = Cell::new(0);
        let one = || {
            flights.run(&Yielding, "k", 1000, || async {
                runs.set(runs.get() + 1);
                for _ in 0..5 {
                    Yielding.pause(1).await;
                }
                Ok(7)
            })
        };
        let all = pollster::block_on(async {
            let (a, b, c) = futures_join3(one(), one(), one()).await;
            vec![a, b, c]
        });
        assert_eq!(all, vec![Ok(7), Ok(7), Ok(7)]);
        assert_eq!(runs.get(), 1);
        // Once finished, the next caller runs again (callers cache answers themselves).
        assert_eq!(pollster::block_on(one()), Ok(7));
        assert_eq!(runs.get(), 2);
    }

    /// A tiny join so that the core needs no futures crate.
    async fn futures_join3<A: Future, B: Future, C: Future>(
        a: A,
        b: B,
        c: C,
    ) -> (A::Output, B::Output, C::Output) {
        let (mut a, mut b, mut c) = (Box::pin(a), Box::pin(b), Box::pin(c));
        let (mut ra, mut rb, mut rc) = (None, None, None);
        std::future::poll_fn(|cx| {
            use std::task::Poll;
            if ra.is_none() {
                if let Poll::Ready(v) = a.as_mut().poll(cx) {
                    ra = Some(v);
                }
            }
            if rb.is_none() {
                if let Poll::Ready(v) = b.as_mut().poll(cx) {
                    rb = Some(v);
                }
            }
            if rc.is_none() {
                if let Poll::Ready(v) = c.as_mut().poll(cx) {
                    rc = Some(v);
                }
            }
            if ra.is_some() && rb.is_some() && rc.is_some() {
                Poll::Ready((ra.take().unwrap(), rb.take().unwrap(), rc.take().unwrap()))
            } else {
                Poll::Pending
            }
        })
        .await
    }
}
