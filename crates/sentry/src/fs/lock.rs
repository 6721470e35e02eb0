//! flock(2) locks: whole-file shared/exclusive locks owned by open file descriptions
//! (so dup'ed and inherited descriptors share them), released when the description
//! closes. Waiters sleep on one queue notified at every unlock.

use crate::kernel::waiter::{events, WaitQueue};
use crate::vfs::File;
use abi::Errno;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[derive(Default)]
struct Held {
    shared: Vec<usize>,
    exclusive: Option<usize>,
}

struct Table {
    locks: Mutex<HashMap<(u64, u64), Held>>,
    queue: WaitQueue,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table {
        locks: Mutex::new(HashMap::new()),
        queue: WaitQueue::new(),
    })
}

/// What flock asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Shared,
    Exclusive,
    Unlock,
}

/// The queue to sleep on while a lock is contended.
pub fn queue() -> &'static WaitQueue {
    &table().queue
}

fn owner(file: &File) -> usize {
    file as *const File as usize
}

/// One attempt: Ok, or EAGAIN if another description holds a conflicting lock.
pub fn try_flock(file: &File, op: Op) -> Result<(), Errno> {
    let st = file.stat()?;
    let key = (st.dev, st.ino);
    let me = owner(file);
    let t = table();
    let mut locks = t.locks.lock().map_err(|_| Errno::EIO)?;
    let held = locks.entry(key).or_default();
    match op {
        Op::Shared => {
            if held.exclusive.is_some_and(|o| o != me) {
                return Err(Errno::EAGAIN);
            }
            if held.exclusive == Some(me) {
                held.exclusive = None;
            }
            if !held.shared.contains(&me) {
                held.shared.push(me);
            }
        }
        Op::Exclusive => {
            if held.exclusive.is_some_and(|o| o != me) || held.shared.iter().any(|&o| o != me) {
                return Err(Errno::EAGAIN);
            }
            held.shared.clear();
            held.exclusive = Some(me);
        }
        Op::Unlock => {
            held.shared.retain(|&o| o != me);
            if held.exclusive == Some(me) {
                held.exclusive = None;
            }
        }
    }
    if held.shared.is_empty() && held.exclusive.is_none() {
        locks.remove(&key);
    }
    drop(locks);
    file.mark_flocked();
    t.queue.notify(events::ALL);
    Ok(())
}

/// Drops every lock `file` holds (its last descriptor closed).
pub fn release(file: &File) {
    let me = owner(file);
    let t = table();
    if let Ok(mut locks) = t.locks.lock() {
        locks.retain(|_, h| {
            h.shared.retain(|&o| o != me);
            if h.exclusive == Some(me) {
                h.exclusive = None;
            }
            !h.shared.is_empty() || h.exclusive.is_some()
        });
    }
    t.queue.notify(events::ALL);
}
