//! A process's file descriptor table: small integers naming open file descriptions,
//! each with its close-on-exec flag.

use super::file::File;
use crate::fs::hostfd::HostFd;
use abi::Errno;
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};

/// RLIMIT_NOFILE's default soft limit.
pub const DEFAULT_NOFILE: u64 = 1024;
/// The most descriptors a table may ever hold, whatever the rlimit says (Linux's
/// fs.nr_open default).
const NR_OPEN: u64 = 1 << 20;

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

struct Inner {
    slots: Vec<Option<Slot>>,
    /// RLIMIT_NOFILE: descriptors must be below it.
    limit: u64,
}

/// A process's file descriptor table. Methods take `&self`; one lock inside, a leaf
/// (no other lock is taken under it, and files are dropped after it is released).
pub struct FdTable {
    inner: Mutex<Inner>,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable {
            inner: Mutex::new(Inner {
                slots: Vec::new(),
                limit: DEFAULT_NOFILE,
            }),
        }
    }
}

impl FdTable {
    /// The table a container's first process starts with: 0, 1, 2 are the host
    /// descriptors given (moat's stdio, or a pty).
    pub fn with_stdio(stdio: [OwnedFd; 3]) -> Result<FdTable, Errno> {
        let t = FdTable::default();
        for (i, fd) in stdio.into_iter().enumerate() {
            let file = HostFd::file(fd, i)?;
            t.install_at(i as i32, file, false)?;
        }
        Ok(t)
    }

    /// The child's copy at fork (same open file descriptions, same flags).
    pub fn fork(&self) -> FdTable {
        let (slots, limit) = match self.inner.lock() {
            Ok(g) => (g.slots.clone(), g.limit),
            Err(_) => (Vec::new(), DEFAULT_NOFILE),
        };
        FdTable {
            inner: Mutex::new(Inner { slots, limit }),
        }
    }

    /// Closes every descriptor marked close-on-exec.
    pub fn close_on_exec(&mut self) {
        let mut dropped = Vec::new();
        if let Ok(mut g) = self.inner.lock() {
            for s in g.slots.iter_mut() {
                if s.as_ref().is_some_and(|s| s.cloexec) {
                    dropped.push(s.take());
                }
            }
            trim(&mut g.slots);
        }
        drop(dropped);
    }

    /// The open file description behind `fd`; EBADF if none.
    pub fn get(&self, fd: i32) -> Result<Arc<File>, Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let g = self.inner.lock().map_err(|_| Errno::EBADF)?;
        match g.slots.get(i) {
            Some(Some(s)) => Ok(s.file.clone()),
            _ => Err(Errno::EBADF),
        }
    }

    /// The close-on-exec flag of `fd`.
    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let g = self.inner.lock().map_err(|_| Errno::EBADF)?;
        match g.slots.get(i) {
            Some(Some(s)) => Ok(s.cloexec),
            _ => Err(Errno::EBADF),
        }
    }

    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let mut g = self.inner.lock().map_err(|_| Errno::EBADF)?;
        match g.slots.get_mut(i) {
            Some(Some(s)) => {
                s.cloexec = on;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Installs `file` at the lowest free descriptor; EMFILE at the limit.
    pub fn install(&self, file: Arc<File>, cloexec: bool) -> Result<i32, Errno> {
        self.install_from(0, file, cloexec)
    }

    /// Installs at the lowest free descriptor >= `min` (F_DUPFD); EMFILE when none is
    /// below the limit, EINVAL when `min` itself is beyond it.
    pub fn install_from(&self, min: i32, file: Arc<File>, cloexec: bool) -> Result<i32, Errno> {
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        let mut g = self.inner.lock().map_err(|_| Errno::EMFILE)?;
        let limit = usize::try_from(g.limit.min(NR_OPEN)).unwrap_or(usize::MAX);
        if min >= limit {
            return Err(Errno::EINVAL);
        }
        let free = (min..limit)
            .find(|&i| g.slots.get(i).is_none_or(|s| s.is_none()))
            .ok_or(Errno::EMFILE)?;
        if free >= g.slots.len() {
            g.slots.resize(free + 1, None);
        }
        g.slots[free] = Some(Slot { file, cloexec });
        Ok(free as i32)
    }

    /// Puts `file` at exactly `fd` (dup2/dup3), closing what was there. EBADF if `fd`
    /// is negative or not below the limit.
    pub fn install_at(&self, fd: i32, file: Arc<File>, cloexec: bool) -> Result<(), Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let old;
        {
            let mut g = self.inner.lock().map_err(|_| Errno::EBADF)?;
            if i as u64 >= g.limit.min(NR_OPEN) {
                return Err(Errno::EBADF);
            }
            if i >= g.slots.len() {
                g.slots.resize(i + 1, None);
            }
            old = g.slots[i].replace(Slot { file, cloexec });
        }
        drop(old);
        Ok(())
    }

    /// close(2): removes `fd`, returning its file (dropped by the caller, outside the
    /// table's lock).
    pub fn remove(&self, fd: i32) -> Result<Arc<File>, Errno> {
        let i = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let mut g = self.inner.lock().map_err(|_| Errno::EBADF)?;
        let s = g
            .slots
            .get_mut(i)
            .and_then(|s| s.take())
            .ok_or(Errno::EBADF)?;
        trim(&mut g.slots);
        Ok(s.file)
    }

    /// dup2/dup3 semantics without the `old == new` special cases (callers do those).
    pub fn dup_to(&self, old: i32, new: i32, cloexec: bool) -> Result<i32, Errno> {
        let f = self.get(old)?;
        self.install_at(new, f, cloexec)?;
        Ok(new)
    }

    /// Closes every descriptor in `[first, last]` (close_range), or marks them
    /// close-on-exec when `cloexec`.
    pub fn close_range(&self, first: u32, last: u32, cloexec: bool) {
        let mut dropped = Vec::new();
        if let Ok(mut g) = self.inner.lock() {
            let end = (last as usize).saturating_add(1).min(g.slots.len());
            for i in (first as usize)..end {
                if cloexec {
                    if let Some(s) = g.slots[i].as_mut() {
                        s.cloexec = true;
                    }
                } else {
                    dropped.push(g.slots[i].take());
                }
            }
            trim(&mut g.slots);
        }
        drop(dropped);
    }

    /// RLIMIT_NOFILE as set by setrlimit.
    pub fn set_limit(&self, limit: u64) {
        if let Ok(mut g) = self.inner.lock() {
            g.limit = limit;
        }
    }

    pub fn limit(&self) -> u64 {
        self.inner.lock().map(|g| g.limit).unwrap_or(DEFAULT_NOFILE)
    }

    /// Open descriptors in increasing order (for /proc/PID/fd and poll bookkeeping).
    pub fn fds(&self) -> Vec<i32> {
        let Ok(g) = self.inner.lock() else {
            return Vec::new();
        };
        g.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i as i32)
            .collect()
    }

    /// Closes everything (process exit).
    pub fn clear(&self) {
        let old = match self.inner.lock() {
            Ok(mut g) => std::mem::take(&mut g.slots),
            Err(_) => Vec::new(),
        };
        drop(old);
    }
}

fn trim(slots: &mut Vec<Option<Slot>>) {
    while slots.last().is_some_and(|s| s.is_none()) {
        slots.pop();
    }
}
