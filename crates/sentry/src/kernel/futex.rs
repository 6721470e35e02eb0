//! Futexes, keyed by the memory-file offset of the futex word.
//!
//! Every page of application memory is a page of the memory file, so the offset names
//! the physical word: private futexes of one address space and shared futexes across
//! processes use the same table without distinction.
//!
//! Lock order: the table lock is taken before the memory manager's (the value check
//! reads application memory under it), never after.

use super::task::Task;
use super::KernelShared;
use crate::mm::MemoryManager;
use abi::Errno;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Waiter event bit used for futex wake-ups.
const FUTEX_EVENT: u32 = 1 << 30;

struct Entry {
    id: u64,
    bitset: u32,
    task: Arc<super::process::TaskShared>,
    woken: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct Futexes {
    table: Mutex<HashMap<u64, Vec<Entry>>>,
    next_id: AtomicU64,
}

impl Futexes {
    fn remove(&self, id: u64) {
        if let Ok(mut t) = self.table.lock() {
            for q in t.values_mut() {
                q.retain(|e| e.id != id);
            }
            t.retain(|_, q| !q.is_empty());
        }
    }

    fn wake_key(&self, key: u64, n: u32, bitset: u32) -> u64 {
        let Ok(mut t) = self.table.lock() else {
            return 0;
        };
        wake_locked(&mut t, key, n, bitset)
    }
}

fn wake_locked(t: &mut HashMap<u64, Vec<Entry>>, key: u64, n: u32, bitset: u32) -> u64 {
    let Some(q) = t.get_mut(&key) else { return 0 };
    let mut woken = 0u64;
    q.retain(|e| {
        if woken < n as u64 && e.bitset & bitset != 0 {
            e.woken.store(true, Ordering::Release);
            e.task.waiter.wake(FUTEX_EVENT);
            woken += 1;
            false
        } else {
            true
        }
    });
    if q.is_empty() {
        t.remove(&key);
    }
    woken
}

fn check_addr(addr: u64) -> Result<(), Errno> {
    if !addr.is_multiple_of(4) {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// FUTEX_WAIT(_BITSET): sleeps while `*addr == val`, until woken, interrupted or the
/// deadline passes.
pub fn wait(
    t: &mut Task,
    addr: u64,
    val: u32,
    bitset: u32,
    deadline: Option<Instant>,
) -> Result<u64, Errno> {
    check_addr(addr)?;
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let k = t.k.clone();
    let key = t.mm().translate(addr)?;
    let woken = Arc::new(AtomicBool::new(false));
    let id = k.futexes.next_id.fetch_add(1, Ordering::Relaxed);
    {
        let mut table = k.futexes.table.lock().map_err(|_| Errno::EAGAIN)?;
        if t.mm().read_u32(addr)? != val {
            return Err(Errno::EAGAIN);
        }
        table.entry(key).or_default().push(Entry {
            id,
            bitset,
            task: t.shared.clone(),
            woken: woken.clone(),
        });
    }
    loop {
        if woken.load(Ordering::Acquire) {
            return Ok(0);
        }
        if t.interrupted() {
            k.futexes.remove(id);
            return if woken.load(Ordering::Acquire) {
                Ok(0)
            } else {
                Err(Errno::ERESTARTSYS)
            };
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            k.futexes.remove(id);
            return if woken.load(Ordering::Acquire) {
                Ok(0)
            } else {
                Err(Errno::ETIMEDOUT)
            };
        }
        t.shared.waiter.sleep(deadline);
    }
}

/// FUTEX_WAKE(_BITSET): wakes up to `n` waiters on `addr`.
pub fn wake(t: &Task, addr: u64, n: u32, bitset: u32) -> Result<u64, Errno> {
    check_addr(addr)?;
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let key = t.mm().translate(addr)?;
    Ok(t.k.futexes.wake_key(key, n, bitset))
}

/// Wakes waiters on `addr` from outside a syscall (thread exit's clear_child_tid).
pub fn wake_address(k: &KernelShared, mm: &MemoryManager, addr: u64, n: u32) {
    if let Ok(key) = mm.translate(addr) {
        k.futexes.wake_key(key, n, u32::MAX);
    }
}

/// FUTEX_(CMP_)REQUEUE: wakes `nwake` waiters on `addr`, moves up to `nmove` others to
/// `addr2`. With `cmp`, fails with EAGAIN unless `*addr == cmp`.
pub fn requeue(
    t: &Task,
    addr: u64,
    addr2: u64,
    nwake: u32,
    nmove: u32,
    cmp: Option<u32>,
) -> Result<u64, Errno> {
    check_addr(addr)?;
    check_addr(addr2)?;
    let key = t.mm().translate(addr)?;
    let key2 = t.mm().translate(addr2)?;
    let mut table = t.k.futexes.table.lock().map_err(|_| Errno::EAGAIN)?;
    if let Some(c) = cmp {
        if t.mm().read_u32(addr)? != c {
            return Err(Errno::EAGAIN);
        }
    }
    let mut done = wake_locked(&mut table, key, nwake, u32::MAX);
    if key != key2 && nmove > 0 {
        let moved: Vec<Entry> = match table.get_mut(&key) {
            Some(q) => {
                let n = (nmove as usize).min(q.len());
                q.drain(..n).collect()
            }
            None => Vec::new(),
        };
        done += moved.len() as u64;
        if table.get(&key).is_some_and(|q| q.is_empty()) {
            table.remove(&key);
        }
        if !moved.is_empty() {
            table.entry(key2).or_default().extend(moved);
        }
    }
    Ok(done)
}
