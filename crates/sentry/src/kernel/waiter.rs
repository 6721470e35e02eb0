//! The one waiting mechanism of the sentry.
//!
//! Every readiness-based wait (blocking read/write, poll, epoll, wait4, futex-free
//! sleeps) registers a task's [`Waiter`] on one or more [`WaitQueue`]s with an event
//! mask, re-checks its condition, then sleeps until a queue is notified with a matching
//! event, a signal arrives, or a deadline passes. File types only have to notify their
//! queue when readiness changes; poll and epoll come for free.
//!
//! Lock order: a WaitQueue's lock may be taken while holding a file's lock; a Waiter's
//! lock is a leaf.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Instant;

/// Readiness events, with poll(2)'s values.
pub mod events {
    pub const IN: u32 = 0x001;
    pub const PRI: u32 = 0x002;
    pub const OUT: u32 = 0x004;
    pub const ERR: u32 = 0x008;
    pub const HUP: u32 = 0x010;
    pub const NVAL: u32 = 0x020;
    pub const RDHUP: u32 = 0x2000;
    /// Not a poll event: set when the waiting task must look at its signals.
    pub const INTERRUPT: u32 = 1 << 31;
    /// Any event at all (for queues such as "a child changed state").
    pub const ALL: u32 = !INTERRUPT;
}

/// A sleeping task's wake-up flag.
#[derive(Default)]
pub struct Waiter {
    fired: Mutex<u32>,
    cv: Condvar,
}

impl Waiter {
    pub fn new() -> Arc<Waiter> {
        Arc::new(Waiter::default())
    }

    /// Records `events` and wakes the sleeper.
    pub fn wake(&self, events: u32) {
        if let Ok(mut f) = self.fired.lock() {
            *f |= events;
            self.cv.notify_all();
        }
    }

    /// Takes and clears the events recorded so far.
    pub fn take(&self) -> u32 {
        self.fired
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or(0)
    }

    /// Sleeps until some event is recorded or `deadline` passes; returns the events
    /// (0 on timeout) and clears them.
    pub fn sleep(&self, deadline: Option<Instant>) -> u32 {
        let Ok(mut f) = self.fired.lock() else {
            return 0;
        };
        while *f == 0 {
            match deadline {
                None => match self.cv.wait(f) {
                    Ok(g) => f = g,
                    Err(_) => return 0,
                },
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return 0;
                    }
                    match self.cv.wait_timeout(f, d - now) {
                        Ok((g, _)) => f = g,
                        Err(_) => return 0,
                    }
                }
            }
        }
        std::mem::take(&mut *f)
    }
}

/// A list of waiters interested in events of one object.
#[derive(Default)]
pub struct WaitQueue {
    entries: Mutex<Vec<(Weak<Waiter>, u32)>>,
}

impl WaitQueue {
    pub fn new() -> WaitQueue {
        WaitQueue::default()
    }

    pub fn register(&self, w: &Arc<Waiter>, mask: u32) {
        if let Ok(mut e) = self.entries.lock() {
            e.retain(|(x, _)| x.strong_count() > 0);
            e.push((Arc::downgrade(w), mask));
        }
    }

    pub fn unregister(&self, w: &Arc<Waiter>) {
        if let Ok(mut e) = self.entries.lock() {
            e.retain(|(x, _)| x.strong_count() > 0 && !std::ptr::eq(x.as_ptr(), Arc::as_ptr(w)));
        }
    }

    /// Wakes every waiter whose mask intersects `events`.
    pub fn notify(&self, events: u32) {
        let Ok(e) = self.entries.lock() else { return };
        for (w, mask) in e.iter() {
            if mask & events != 0 {
                if let Some(w) = w.upgrade() {
                    w.wake(events & mask);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn notify_wakes_only_matching_mask() {
        let q = WaitQueue::new();
        let w = Waiter::new();
        q.register(&w, events::IN);
        q.notify(events::OUT);
        assert_eq!(w.take(), 0);
        q.notify(events::IN | events::OUT);
        assert_eq!(w.take(), events::IN);
        q.unregister(&w);
        q.notify(events::IN);
        assert_eq!(w.take(), 0);
    }

    #[test]
    fn sleep_times_out_and_wakes() {
        let w = Waiter::new();
        assert_eq!(w.sleep(Some(Instant::now() + Duration::from_millis(5))), 0);
        let w2 = w.clone();
        let t = std::thread::spawn(move || w2.wake(events::HUP));
        assert_eq!(w.sleep(None), events::HUP);
        t.join().unwrap();
    }
}
