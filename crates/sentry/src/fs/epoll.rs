//! epoll instances: an interest list over other open files, built on the same
//! readiness and wait queues as poll(2).
//!
//! Events are reported level-triggered; EPOLLET is accepted and behaves as level
//! (a program that drains to EAGAIN, as edge-triggered programs must, sees the same
//! results). EPOLLONESHOT disables an entry once reported, until EPOLL_CTL_MOD.
//! An epoll instance cannot be added to another one (EINVAL), which rules out loops.

use crate::kernel::waiter::events;
use crate::vfs::{File, FileOps, FileType, Stat, Timespec};
use abi::Errno;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;

struct Entry {
    file: Weak<File>,
    events: u32,
    data: u64,
    /// A one-shot entry already reported.
    disabled: bool,
}

/// One epoll instance.
pub struct Epoll {
    /// Keyed by (fd, file identity), as Linux keys by (file, fd).
    interest: Mutex<BTreeMap<(i32, usize), Entry>>,
    ino: u64,
    created: Timespec,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// A ready event: (events, user data).
pub type Ready = (u32, u64);

impl Epoll {
    /// A new epoll file (flags: O_CLOEXEC is the caller's business).
    pub fn new_file() -> Arc<File> {
        let ep = Epoll {
            interest: Mutex::new(BTreeMap::new()),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            created: Timespec::now(),
        };
        File::new(
            Box::new(ep),
            None,
            libc::O_RDWR as u32,
            "anon_inode:[eventpoll]".to_string(),
        )
    }

    /// The epoll behind an open file, if it is one.
    pub fn of(file: &File) -> Option<&Epoll> {
        file.ops().as_epoll()
    }

    fn key(fd: i32, file: &Arc<File>) -> (i32, usize) {
        (fd, Arc::as_ptr(file) as usize)
    }

    /// EPOLL_CTL_ADD.
    pub fn add(&self, fd: i32, file: &Arc<File>, ev: u32, data: u64) -> Result<(), Errno> {
        if Epoll::of(file).is_some() {
            return Err(Errno::EINVAL);
        }
        let mut i = self.interest.lock().map_err(|_| Errno::EIO)?;
        i.retain(|_, e| e.file.strong_count() > 0);
        let k = Epoll::key(fd, file);
        if i.contains_key(&k) {
            return Err(Errno::EEXIST);
        }
        i.insert(
            k,
            Entry {
                file: Arc::downgrade(file),
                events: ev,
                data,
                disabled: false,
            },
        );
        Ok(())
    }

    /// EPOLL_CTL_MOD.
    pub fn modify(&self, fd: i32, file: &Arc<File>, ev: u32, data: u64) -> Result<(), Errno> {
        let mut i = self.interest.lock().map_err(|_| Errno::EIO)?;
        let e = i.get_mut(&Epoll::key(fd, file)).ok_or(Errno::ENOENT)?;
        if e.events & EPOLLEXCLUSIVE != 0 {
            return Err(Errno::EINVAL);
        }
        e.events = ev;
        e.data = data;
        e.disabled = false;
        Ok(())
    }

    /// EPOLL_CTL_DEL.
    pub fn remove(&self, fd: i32, file: &Arc<File>) -> Result<(), Errno> {
        let mut i = self.interest.lock().map_err(|_| Errno::EIO)?;
        i.remove(&Epoll::key(fd, file))
            .map(|_| ())
            .ok_or(Errno::ENOENT)
    }

    /// The live files of the interest list with the events each waits for.
    pub fn watched(&self) -> Vec<(Arc<File>, u32)> {
        let Ok(i) = self.interest.lock() else {
            return Vec::new();
        };
        i.values()
            .filter(|e| !e.disabled)
            .filter_map(|e| e.file.upgrade().map(|f| (f, e.events)))
            .collect()
    }

    /// Collects up to `max` ready events (disabling reported one-shot entries).
    pub fn collect(&self, max: usize) -> Vec<Ready> {
        let Ok(mut i) = self.interest.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in i.values_mut() {
            if out.len() >= max {
                break;
            }
            if e.disabled {
                continue;
            }
            let Some(f) = e.file.upgrade() else { continue };
            let want = (e.events & 0xffff) | events::HUP | events::ERR;
            let got = f.ops().readiness(want) & want;
            if got != 0 {
                out.push((got, e.data));
                if e.events & EPOLLONESHOT != 0 {
                    e.disabled = true;
                }
            }
        }
        out
    }
}

impl FileOps for Epoll {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn stat(&self) -> Option<Result<Stat, Errno>> {
        Some(Ok(Stat {
            dev: anon_dev(),
            ino: self.ino,
            mode: 0o600,
            nlink: 1,
            blksize: 4096,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Stat::default()
        }))
    }
    fn readiness(&self, mask: u32) -> u32 {
        // Ready for reading when any watched file has an event (no nested epolls).
        let Ok(i) = self.interest.lock() else {
            return 0;
        };
        let any = i.values().any(|e| {
            !e.disabled
                && e.file.upgrade().is_some_and(|f| {
                    let want = (e.events & 0xffff) | events::HUP | events::ERR;
                    f.ops().readiness(want) & want != 0
                })
        });
        if any {
            mask & events::IN
        } else {
            0
        }
    }
    fn as_epoll(&self) -> Option<&Epoll> {
        Some(self)
    }
}

fn anon_dev() -> u64 {
    static DEV: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *DEV.get_or_init(super::mem::alloc_dev)
}

/// Whether a file type can be watched (Linux: not regular files or directories).
pub fn pollable(f: &File) -> bool {
    !matches!(f.file_type(), Some(FileType::Regular | FileType::Directory))
}
