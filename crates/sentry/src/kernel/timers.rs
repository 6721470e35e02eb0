//! Interval and POSIX timers: one kernel thread sleeps until the earliest deadline and
//! posts each expired timer's signal to its process (or thread).
//!
//! Lock order: the timer table lock is a leaf except for posting signals, which is
//! done after it is released.

use super::process::{TaskShared, ThreadGroup};
use super::signal::SigInfo;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// si_code of a POSIX timer's signal.
pub const SI_TIMER: i32 = -2;

/// Where an expired timer's signal goes and what it says.
#[derive(Clone)]
pub struct Target {
    pub tg: Weak<ThreadGroup>,
    /// A specific thread (SIGEV_THREAD_ID), else the process.
    pub thread: Option<Weak<TaskShared>>,
    /// 0 for SIGEV_NONE: the timer runs but signals nobody.
    pub signo: i32,
    pub code: i32,
    /// For POSIX timers: the timer id and the sigval.
    pub timer_id: i32,
    pub value: u64,
}

struct Timer {
    target: Target,
    deadline: Option<Instant>,
    interval: Duration,
    /// Expirations missed while the previous signal was still pending.
    overrun: u64,
    /// Bumped on every re-arm, so stale heap entries are recognized.
    generation: u64,
}

#[derive(Default)]
struct Table {
    timers: HashMap<u64, Timer>,
    heap: BinaryHeap<Reverse<(Instant, u64, u64)>>,
    next_id: u64,
    thread_started: bool,
}

#[derive(Default)]
pub struct Timers {
    table: Mutex<Table>,
    cv: Condvar,
}

impl Timers {
    pub fn create(self: &Arc<Self>, target: Target) -> u64 {
        let Ok(mut t) = self.table.lock() else {
            return 0;
        };
        t.next_id += 1;
        let id = t.next_id;
        t.timers.insert(
            id,
            Timer {
                target,
                deadline: None,
                interval: Duration::ZERO,
                overrun: 0,
                generation: 0,
            },
        );
        id
    }

    pub fn delete(&self, id: u64) {
        if let Ok(mut t) = self.table.lock() {
            t.timers.remove(&id);
        }
    }

    /// Arms (`value` Some) or disarms the timer; returns the previous (remaining,
    /// interval).
    pub fn set(
        self: &Arc<Self>,
        id: u64,
        value: Option<Duration>,
        interval: Duration,
    ) -> (Duration, Duration) {
        let Ok(mut t) = self.table.lock() else {
            return (Duration::ZERO, Duration::ZERO);
        };
        let now = Instant::now();
        let start_thread = !t.thread_started && value.is_some();
        let Some(timer) = t.timers.get_mut(&id) else {
            return (Duration::ZERO, Duration::ZERO);
        };
        let old = (
            timer
                .deadline
                .map_or(Duration::ZERO, |d| d.saturating_duration_since(now)),
            timer.interval,
        );
        timer.generation += 1;
        timer.overrun = 0;
        timer.interval = interval;
        timer.deadline = value.map(|v| now + v.max(Duration::from_nanos(1)));
        let entry = timer.deadline.map(|d| Reverse((d, id, timer.generation)));
        if let Some(e) = entry {
            t.heap.push(e);
        }
        if start_thread {
            t.thread_started = true;
            let me = Arc::downgrade(self);
            let _ = std::thread::Builder::new()
                .name("timers".into())
                .stack_size(128 << 10)
                .spawn(move || run(me));
        }
        drop(t);
        self.cv.notify_all();
        old
    }

    /// (remaining, interval) of the timer.
    pub fn get(&self, id: u64) -> (Duration, Duration) {
        let Ok(t) = self.table.lock() else {
            return (Duration::ZERO, Duration::ZERO);
        };
        let now = Instant::now();
        t.timers
            .get(&id)
            .map_or((Duration::ZERO, Duration::ZERO), |x| {
                (
                    x.deadline
                        .map_or(Duration::ZERO, |d| d.saturating_duration_since(now)),
                    x.interval,
                )
            })
    }

    pub fn overrun(&self, id: u64) -> u64 {
        self.table
            .lock()
            .ok()
            .and_then(|t| t.timers.get(&id).map(|x| x.overrun))
            .unwrap_or(0)
    }
}

/// The timer thread: sleeps until the earliest deadline and fires what is due. Ends
/// when the kernel is gone.
fn run(timers: Weak<Timers>) {
    loop {
        let Some(me) = timers.upgrade() else { return };
        let mut due: Vec<(Target, u64)> = Vec::new();
        {
            let Ok(mut t) = me.table.lock() else { return };
            let now = Instant::now();
            while let Some(Reverse((when, id, generation))) = t.heap.peek().copied() {
                if when > now {
                    break;
                }
                t.heap.pop();
                let Some(timer) = t.timers.get_mut(&id) else {
                    continue;
                };
                if timer.generation != generation {
                    continue;
                }
                due.push((timer.target.clone(), timer.overrun));
                if timer.interval.is_zero() {
                    timer.deadline = None;
                } else {
                    let next = when + timer.interval;
                    timer.deadline = Some(next);
                    t.heap.push(Reverse((next, id, generation)));
                }
            }
            if due.is_empty() {
                let wait = t
                    .heap
                    .peek()
                    .map(|Reverse((when, _, _))| when.saturating_duration_since(now));
                // Wake at least every second to notice the kernel going away.
                let wait = wait
                    .unwrap_or(Duration::from_secs(1))
                    .min(Duration::from_secs(1));
                drop(me.cv.wait_timeout(t, wait));
                continue;
            }
        }
        for (target, overrun) in due {
            fire(&target, overrun);
        }
    }
}

fn fire(target: &Target, overrun: u64) {
    if target.signo == 0 {
        return;
    }
    let Some(tg) = target.tg.upgrade() else {
        return;
    };
    let info = SigInfo {
        signo: target.signo,
        code: target.code,
        pid: target.timer_id,
        status: overrun.min(i32::MAX as u64) as i32,
        addr: target.value,
        ..Default::default()
    };
    match target.thread.as_ref().and_then(|t| t.upgrade()) {
        Some(thread) => tg.post_thread_signal(&thread, info),
        None => tg.post_signal(info),
    };
}
