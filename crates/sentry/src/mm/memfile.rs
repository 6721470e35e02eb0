//! The memory file: one memfd that backs every page of application memory.
//!
//! The sentry maps the whole file once (sparse, `MAP_NORESERVE`), so copying to and from
//! application memory is a `memcpy` at `base + offset`. Stubs map ranges of the same file
//! into application address spaces. Ranges are handed out by a first-fit allocator and
//! returned with `FALLOC_FL_PUNCH_HOLE`, which gives the pages back to the host.
//!
//! This module holds the sentry's only raw-pointer access to application memory.

#![allow(unsafe_code)]

use abi::Errno;
use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::Mutex;

pub const PAGE_SIZE: u64 = 4096;

/// Virtual size of the file. Sparse: only touched pages cost memory.
const FILE_SIZE: u64 = 256 << 30;

pub struct MemoryFile {
    fd: OwnedFd,
    base: *mut u8,
    size: u64,
    alloc: Mutex<Allocator>,
}

// SAFETY: `base` points to a shared mapping that lives as long as the MemoryFile; all
// access goes through methods that bound-check offsets. Application memory is shared
// with the stubs by design, so concurrent access is expected and done with plain copies.
unsafe impl Send for MemoryFile {}
// SAFETY: as above; the allocator is behind a Mutex.
unsafe impl Sync for MemoryFile {}

#[derive(Debug, thiserror::Error)]
#[error("creating the memory file: {0}")]
pub struct MemoryFileError(#[from] std::io::Error);

impl MemoryFile {
    pub fn new() -> Result<MemoryFile, MemoryFileError> {
        // SAFETY: memfd_create with a valid NUL-terminated name.
        let raw = unsafe { libc::memfd_create(c"moat-memory".as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: `raw` is a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: plain syscall on our descriptor.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), FILE_SIZE as i64) } != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        // SAFETY: maps our own memfd; the mapping is owned by the MemoryFile and unmapped
        // in Drop.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                FILE_SIZE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error().into());
        }
        // Stubs are forked from sentry threads: keep this huge mapping out of them.
        // SAFETY: advice on our own mapping.
        unsafe { libc::madvise(base, FILE_SIZE as usize, libc::MADV_DONTFORK) };
        Ok(MemoryFile {
            fd,
            base: base as *mut u8,
            size: FILE_SIZE,
            alloc: Mutex::new(Allocator::new(FILE_SIZE)),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Allocates `len` bytes (rounded up to pages) of zeroed memory.
    pub fn allocate(&self, len: u64) -> Result<u64, Errno> {
        let len = round_up(len).ok_or(Errno::ENOMEM)?;
        self.alloc
            .lock()
            .map_err(|_| Errno::ENOMEM)?
            .allocate(len)
            .ok_or(Errno::ENOMEM)
    }

    /// Returns a range to the allocator and its pages to the host.
    pub fn release(&self, off: u64, len: u64) {
        let Some(len) = round_up(len) else { return };
        self.zero_range(off, len);
        if let Ok(mut a) = self.alloc.lock() {
            a.free(off, len);
        }
    }

    /// Makes a page-aligned range read back as zeros and returns its pages to the host,
    /// keeping the range allocated.
    pub fn zero_range(&self, off: u64, len: u64) {
        // SAFETY: punching a hole in our own file; no memory is touched.
        unsafe {
            libc::fallocate(
                self.fd.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                off as i64,
                len as i64,
            )
        };
    }

    fn check(&self, off: u64, len: usize) -> bool {
        off.checked_add(len as u64)
            .is_some_and(|end| end <= self.size)
    }

    pub fn read(&self, off: u64, dst: &mut [u8]) {
        if !self.check(off, dst.len()) {
            dst.fill(0);
            return;
        }
        // SAFETY: the range is inside the live mapping (checked above); the source may
        // be modified concurrently by the application, which only affects the bytes read.
        unsafe {
            std::ptr::copy_nonoverlapping(self.base.add(off as usize), dst.as_mut_ptr(), dst.len())
        };
    }

    pub fn write(&self, off: u64, src: &[u8]) {
        if !self.check(off, src.len()) {
            return;
        }
        // SAFETY: the range is inside the live mapping (checked above).
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.base.add(off as usize), src.len())
        };
    }

    /// Copies `len` bytes between two ranges of the file (they must not overlap).
    pub fn copy(&self, from: u64, to: u64, len: u64) {
        if !self.check(from, len as usize) || !self.check(to, len as usize) {
            return;
        }
        // SAFETY: both ranges are inside the mapping; allocations never overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.add(from as usize),
                self.base.add(to as usize),
                len as usize,
            )
        };
    }

    /// Copies `len` bytes between two ranges like [`MemoryFile::copy`], but only the
    /// parts of the source that hold data: holes (never-touched pages) stay holes in the
    /// destination, which is what makes fork of a mostly empty stack cheap.
    pub fn copy_populated(&self, from: u64, to: u64, len: u64) {
        let end = from.saturating_add(len);
        let mut cur = from;
        while cur < end {
            let Some(data) = self.seek(cur, libc::SEEK_DATA) else {
                return;
            };
            if data >= end {
                return;
            }
            let hole = self.seek(data, libc::SEEK_HOLE).unwrap_or(end).min(end);
            self.copy(data, to + (data - from), hole - data);
            cur = hole;
        }
    }

    fn seek(&self, off: u64, whence: i32) -> Option<u64> {
        // SAFETY: lseek on our own descriptor; no memory is involved. The shared file
        // offset it moves is never used for I/O.
        let r = unsafe { libc::lseek(self.fd.as_raw_fd(), off as i64, whence) };
        u64::try_from(r).ok()
    }

    /// Finds the first NUL in `[off, off+len)`.
    pub fn find_nul(&self, off: u64, len: usize) -> Option<usize> {
        if !self.check(off, len) {
            return None;
        }
        // SAFETY: the range is inside the mapping; read as a byte slice for the scan only.
        let s = unsafe { std::slice::from_raw_parts(self.base.add(off as usize), len) };
        s.iter().position(|&b| b == 0)
    }
}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping created in new(); no references outlive self.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.size as usize) };
    }
}

pub fn round_up(len: u64) -> Option<u64> {
    len.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

/// First-fit allocator over page-aligned ranges of the file.
struct Allocator {
    /// Free ranges: start → length, coalesced.
    free: BTreeMap<u64, u64>,
}

impl Allocator {
    fn new(size: u64) -> Allocator {
        let mut free = BTreeMap::new();
        free.insert(0, size);
        Allocator { free }
    }

    fn allocate(&mut self, len: u64) -> Option<u64> {
        let (&start, &flen) = self.free.iter().find(|(_, &l)| l >= len)?;
        self.free.remove(&start);
        if flen > len {
            self.free.insert(start + len, flen - len);
        }
        Some(start)
    }

    fn free(&mut self, mut start: u64, mut len: u64) {
        if let Some((&ps, &pl)) = self.free.range(..start).next_back() {
            if ps + pl == start {
                self.free.remove(&ps);
                start = ps;
                len += pl;
            }
        }
        if let Some(&nl) = self.free.get(&(start + len)) {
            self.free.remove(&(start + len));
            len += nl;
        }
        self.free.insert(start, len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_reuses_and_coalesces() {
        let mut a = Allocator::new(16 * PAGE_SIZE);
        let x = a.allocate(4 * PAGE_SIZE).unwrap();
        let y = a.allocate(4 * PAGE_SIZE).unwrap();
        assert_ne!(x, y);
        a.free(x, 4 * PAGE_SIZE);
        a.free(y, 4 * PAGE_SIZE);
        assert_eq!(a.free.len(), 1);
        assert!(a.allocate(17 * PAGE_SIZE).is_none());
        assert_eq!(a.allocate(16 * PAGE_SIZE), Some(0));
    }

    #[test]
    fn copy_populated_skips_holes() {
        let mf = MemoryFile::new().unwrap();
        let src = mf.allocate(64 * PAGE_SIZE).unwrap();
        let dst = mf.allocate(64 * PAGE_SIZE).unwrap();
        mf.write(src + 5, b"head");
        mf.write(src + 40 * PAGE_SIZE + 7, b"tail");
        mf.copy_populated(src, dst, 64 * PAGE_SIZE);
        let mut b = [0u8; 4];
        mf.read(dst + 5, &mut b);
        assert_eq!(&b, b"head");
        mf.read(dst + 40 * PAGE_SIZE + 7, &mut b);
        assert_eq!(&b, b"tail");
        // The untouched middle of the destination is still a hole.
        let data = mf.seek(dst + PAGE_SIZE, libc::SEEK_DATA).unwrap();
        assert!(
            data >= dst + 40 * PAGE_SIZE,
            "page {} was written",
            (data - dst) / PAGE_SIZE
        );
    }

    #[test]
    fn memory_round_trip() {
        let mf = MemoryFile::new().unwrap();
        let off = mf.allocate(100).unwrap();
        mf.write(off + 10, b"hello\0");
        let mut buf = [0u8; 5];
        mf.read(off + 10, &mut buf);
        assert_eq!(&buf, b"hello");
        assert_eq!(mf.find_nul(off + 10, 10), Some(5));
    }
}
