//! eventfd: a 64-bit counter file for wake-ups between threads and processes.

use crate::kernel::waiter::{events, WaitQueue};
use crate::vfs::{File, FileOps, Stat, Timespec};
use abi::Errno;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const MAX: u64 = u64::MAX - 1;

/// One eventfd.
pub struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    queue: WaitQueue,
    ino: u64,
    created: Timespec,
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

impl EventFd {
    /// A new eventfd file; `flags` may hold O_NONBLOCK for the description.
    pub fn new_file(init: u32, semaphore: bool, nonblock: bool) -> std::sync::Arc<File> {
        let e = EventFd {
            count: Mutex::new(u64::from(init)),
            semaphore,
            queue: WaitQueue::new(),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            created: Timespec::now(),
        };
        let fl = libc::O_RDWR as u32 | if nonblock { libc::O_NONBLOCK as u32 } else { 0 };
        File::new(Box::new(e), None, fl, "anon_inode:[eventfd]".to_string())
    }
}

impl FileOps for EventFd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut c = self.count.lock().map_err(|_| Errno::EIO)?;
        if *c == 0 {
            return Err(Errno::EAGAIN);
        }
        let v = if self.semaphore { 1 } else { *c };
        *c -= v;
        drop(c);
        buf[..8].copy_from_slice(&v.to_ne_bytes());
        self.queue.notify(events::OUT);
        Ok(8)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        // Linux (since 6.9) takes exactly 8 bytes.
        if buf.len() != 8 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[..8]);
        let v = u64::from_ne_bytes(b);
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut c = self.count.lock().map_err(|_| Errno::EIO)?;
        if MAX - *c < v {
            return Err(Errno::EAGAIN);
        }
        *c += v;
        drop(c);
        if v > 0 {
            self.queue.notify(events::IN);
        }
        Ok(8)
    }
    fn stat(&self) -> Option<Result<Stat, Errno>> {
        Some(Ok(Stat {
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
        let Ok(c) = self.count.lock() else {
            return events::ERR;
        };
        let mut ev = 0;
        if *c > 0 {
            ev |= events::IN;
        }
        if *c < MAX {
            ev |= events::OUT;
        }
        ev & mask
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_and_semaphore() {
        let f = EventFd::new_file(2, false, true);
        let mut b = [0u8; 8];
        assert_eq!(f.read(&mut b[..4]), Err(Errno::EINVAL));
        assert_eq!(f.read(&mut b), Ok(8));
        assert_eq!(u64::from_ne_bytes(b), 2);
        assert_eq!(f.read(&mut b), Err(Errno::EAGAIN));
        assert_eq!(f.write(&u64::MAX.to_ne_bytes()), Err(Errno::EINVAL));
        assert_eq!(f.write(&(MAX).to_ne_bytes()), Ok(8));
        assert_eq!(f.write(&1u64.to_ne_bytes()), Err(Errno::EAGAIN));
        assert_eq!(f.ops().readiness(events::IN | events::OUT), events::IN);
        let s = EventFd::new_file(3, true, true);
        assert_eq!(s.read(&mut b), Ok(8));
        assert_eq!(u64::from_ne_bytes(b), 1);
        assert_eq!(s.read(&mut b), Ok(8));
        assert_eq!(s.read(&mut b), Ok(8));
        assert_eq!(s.read(&mut b), Err(Errno::EAGAIN));
    }
}
