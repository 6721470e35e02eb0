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
    release_records(file, ofd_owner(file));
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

// ---------------------------------------------------------------------------------
// fcntl record locks (POSIX, owned by a process; OFD, owned by an open description)

/// Who owns a record lock.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Owner {
    /// F_SETLK: the process; released when it closes any descriptor of the file.
    Process(i32),
    /// F_OFD_SETLK: the open file description.
    Ofd(usize),
}

#[derive(Clone, Copy, Debug)]
struct Range {
    owner: Owner,
    start: u64,
    /// Exclusive end; u64::MAX for "to the end of the file, whatever it becomes".
    end: u64,
    write: bool,
}

/// A lock that blocks a request: (write, start, end, pid or -1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub write: bool,
    pub start: u64,
    pub end: u64,
    pub pid: i32,
}

/// Record locks per file identity (st_dev, st_ino).
type Records = Mutex<HashMap<(u64, u64), Vec<Range>>>;

fn records() -> &'static Records {
    static R: OnceLock<Records> = OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The owner for `file` (OFD locks) or `pid` (classic).
pub fn ofd_owner(file: &File) -> Owner {
    Owner::Ofd(owner(file))
}

fn alive(o: Owner) -> bool {
    match o {
        Owner::Ofd(_) => true,
        Owner::Process(pid) => super::proc::process_alive(pid),
    }
}

fn conflicts(list: &[Range], me: Owner, start: u64, end: u64, write: bool) -> Option<Conflict> {
    list.iter()
        .find(|r| {
            r.owner != me && r.start < end && start < r.end && (r.write || write) && alive(r.owner)
        })
        .map(|r| Conflict {
            write: r.write,
            start: r.start,
            end: r.end,
            pid: match r.owner {
                Owner::Process(p) => p,
                Owner::Ofd(_) => -1,
            },
        })
}

/// F_GETLK: the first lock that would block `[start, end)`.
pub fn test_record(
    file: &File,
    me: Owner,
    start: u64,
    end: u64,
    write: bool,
) -> Result<Option<Conflict>, Errno> {
    let st = file.stat()?;
    let recs = records().lock().map_err(|_| Errno::EIO)?;
    Ok(recs
        .get(&(st.dev, st.ino))
        .and_then(|l| conflicts(l, me, start, end, write)))
}

/// F_SETLK: one attempt (EAGAIN on conflict). `kind`: None unlocks the range.
pub fn set_record(
    file: &File,
    me: Owner,
    start: u64,
    end: u64,
    kind: Option<bool>,
) -> Result<(), Errno> {
    let st = file.stat()?;
    let key = (st.dev, st.ino);
    let mut recs = records().lock().map_err(|_| Errno::EIO)?;
    let list = recs.entry(key).or_default();
    list.retain(|r| alive(r.owner));
    if let Some(write) = kind {
        if conflicts(list, me, start, end, write).is_some() {
            return Err(Errno::EAGAIN);
        }
    }
    // Cut our own locks out of the range, keeping the parts outside it.
    let mut kept = Vec::with_capacity(list.len() + 2);
    for r in list.drain(..) {
        if r.owner != me || r.end <= start || end <= r.start {
            kept.push(r);
            continue;
        }
        if r.start < start {
            kept.push(Range { end: start, ..r });
        }
        if end < r.end {
            kept.push(Range { start: end, ..r });
        }
    }
    if let Some(write) = kind {
        kept.push(Range {
            owner: me,
            start,
            end,
            write,
        });
    }
    *list = kept;
    if list.is_empty() {
        recs.remove(&key);
    }
    drop(recs);
    file.mark_flocked();
    table().queue.notify(events::ALL);
    Ok(())
}

/// Drops the record locks `owner` holds on `file` (a close by the owning process,
/// or the description going away).
pub fn release_records(file: &File, who: Owner) {
    if records().lock().map(|r| r.is_empty()).unwrap_or(true) {
        return;
    }
    let Ok(st) = file.stat() else { return };
    if let Ok(mut recs) = records().lock() {
        if let Some(list) = recs.get_mut(&(st.dev, st.ino)) {
            list.retain(|r| r.owner != who);
            if list.is_empty() {
                recs.remove(&(st.dev, st.ino));
            }
        }
    }
    table().queue.notify(events::ALL);
}
