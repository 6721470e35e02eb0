//! Open file descriptions: what open(2), pipe(2) and friends return, shared by every fd
//! that dup or fork made from it.
//!
//! File operations never block: they return EAGAIN, and the syscall layer waits on
//! `wait_queue()` for `readiness()` (unless O_NONBLOCK). That is what lets one waiter
//! abstraction serve read, poll, select and epoll alike.

use super::dentry::Dentry;
use super::inode::{DirEntry, FileType, SetAttr, Stat};
use crate::kernel::waiter::{events, WaitQueue};
use abi::Errno;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Status flags F_SETFL may change.
const SETFL_MASK: u32 =
    (libc::O_APPEND | libc::O_NONBLOCK | libc::O_ASYNC | libc::O_DIRECT | libc::O_NOATIME) as u32;

/// What an ioctl may need from its caller.
pub struct IoctlCtx<'a> {
    /// The caller's memory, for argument structures.
    pub mm: &'a crate::mm::MemoryManager,
    /// The caller's process group (a terminal's foreground group until one is set).
    pub pgid: i32,
}

/// The kernel buffer size for one step of a read or write.
const IO_CHUNK: usize = 1 << 20;

thread_local! {
    /// Each task thread's reusable I/O buffer (allocating and faulting in a fresh
    /// megabyte per call would cost more than the copy).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The thread's scratch buffer, lent for one operation and returned on drop (a nested
/// use finds it empty and allocates its own).
struct ScratchBuf {
    buf: Vec<u8>,
    len: usize,
}

impl ScratchBuf {
    fn take(len: usize) -> ScratchBuf {
        let mut buf = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if buf.len() < len {
            buf.resize(len, 0);
        }
        ScratchBuf { buf, len }
    }

    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }
}

impl Drop for ScratchBuf {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            if buf.len() > s.len() {
                *s = buf;
            }
        });
    }
}

/// One kind of open file. Defaults give Linux's answers for an object that lacks the
/// operation.
pub trait FileOps: Send + Sync {
    /// Reads at `off` (streams ignore it). EAGAIN if nothing is available yet.
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// Writes at `off` (streams ignore it). EAGAIN if no room yet.
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// Whether the file has a position (lseek, pread); false gives ESPIPE.
    fn seekable(&self) -> bool {
        false
    }

    /// Metadata for files that have no inode (pipes, host fds); None: ask the inode.
    fn stat(&self) -> Option<Result<Stat, Errno>> {
        None
    }

    /// Current events among `mask` (events::IN, OUT, HUP...).
    fn readiness(&self, mask: u32) -> u32 {
        mask & (events::IN | events::OUT)
    }

    /// Where readiness changes are announced; None for files that are always ready.
    fn wait_queue(&self) -> Option<&WaitQueue> {
        None
    }

    /// A host descriptor whose readiness stands for this file's (host stdio), which the
    /// syscall layer polls since nothing notifies a queue for it.
    fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    /// ioctl(2).
    fn ioctl(&self, _ctx: &IoctlCtx<'_>, _req: u32, _arg: u64) -> Result<u64, Errno> {
        Err(Errno::ENOTTY)
    }

    /// ftruncate on a file without an inode.
    fn truncate(&self, _size: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// Bytes readable now (FIONREAD), if the file knows.
    fn nread(&self) -> Option<usize> {
        None
    }

    /// For devices that never look at written data (/dev/null, /dev/full): the result
    /// of writing `len` bytes, without reading the caller's buffer.
    fn write_discard(&self, _len: usize) -> Option<Result<usize, Errno>> {
        None
    }

    /// lseek for files whose position lives elsewhere (an inherited host descriptor).
    fn seek(&self, _off: i64, _whence: u32) -> Option<Result<u64, Errno>> {
        None
    }

    /// A new open of the same object, for /proc/PID/fd/N of a file without a name
    /// (a pipe's other end, a dup of a host descriptor). None: cannot be re-opened.
    fn reopen(&self, _flags: u32) -> Option<Result<Box<dyn FileOps>, Errno>> {
        None
    }

    /// pread on a file without a position of its own (an inherited host descriptor:
    /// the host says whether it can). None: ESPIPE.
    fn pread_at(&self, _buf: &mut [u8], _off: u64) -> Option<Result<usize, Errno>> {
        None
    }

    /// pwrite counterpart of `pread_at`.
    fn pwrite_at(&self, _buf: &[u8], _off: u64) -> Option<Result<usize, Errno>> {
        None
    }

    /// For a FIFO opened without O_NONBLOCK: Some(whether the other side has opened);
    /// open(2) waits until it has. None for everything else.
    fn wait_partner(&self) -> Option<bool> {
        None
    }

    /// Whether a blocking write(2) keeps going until all its bytes are in (pipes,
    /// terminals), rather than returning after one transfer (eventfd...).
    fn writes_whole(&self) -> bool {
        false
    }

    /// The epoll instance, for epoll files.
    fn as_epoll(&self) -> Option<&crate::fs::epoll::Epoll> {
        None
    }

    /// fsync: flush to the backing store.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

/// An open file description.
pub struct File {
    ops: Box<dyn FileOps>,
    /// The object opened through the tree; None for pipes and inherited host fds.
    dentry: Option<Arc<Dentry>>,
    /// Access mode and status flags (O_APPEND, O_NONBLOCK...).
    flags: AtomicU32,
    /// The file position (also serialises read/write of one description, as Linux's
    /// f_pos_lock does for regular files).
    pos: Mutex<u64>,
    /// getdents64's listing, taken at the first call and after rewinding.
    dir_cache: Mutex<Option<Vec<DirEntry>>>,
    name: String,
    /// Set once flock was used, so closing releases the locks.
    flocked: std::sync::atomic::AtomicBool,
}

impl Drop for File {
    fn drop(&mut self) {
        if *self.flocked.get_mut() {
            crate::fs::lock::release(self);
        }
    }
}

impl File {
    /// Records that flock or a record lock was used on this description.
    pub fn mark_flocked(&self) {
        self.flocked.store(true, Ordering::Relaxed);
    }

    /// Whether locks may be held through this description.
    pub fn has_locks(&self) -> bool {
        self.flocked.load(Ordering::Relaxed)
    }

    pub fn new(
        ops: Box<dyn FileOps>,
        dentry: Option<Arc<Dentry>>,
        flags: u32,
        name: String,
    ) -> Arc<File> {
        Arc::new(File {
            ops,
            dentry,
            flags: AtomicU32::new(flags & !(libc::O_CLOEXEC as u32)),
            pos: Mutex::new(0),
            dir_cache: Mutex::new(None),
            name,
            flocked: std::sync::atomic::AtomicBool::new(false),
        })
    }

    pub fn ops(&self) -> &dyn FileOps {
        &*self.ops
    }

    pub fn dentry(&self) -> Option<&Arc<Dentry>> {
        self.dentry.as_ref()
    }

    /// The name /proc/PID/maps and /proc/PID/fd show.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    /// F_SETFL: only the status flags Linux lets change.
    pub fn set_status_flags(&self, f: u32) {
        let old = self.flags();
        self.flags
            .store((old & !SETFL_MASK) | (f & SETFL_MASK), Ordering::Relaxed);
    }

    pub fn readable(&self) -> bool {
        let acc = self.flags() & libc::O_ACCMODE as u32;
        (acc == libc::O_RDONLY as u32 || acc == libc::O_RDWR as u32)
            && self.flags() & libc::O_PATH as u32 == 0
    }

    pub fn writable(&self) -> bool {
        let acc = self.flags() & libc::O_ACCMODE as u32;
        (acc == libc::O_WRONLY as u32 || acc == libc::O_RDWR as u32)
            && self.flags() & libc::O_PATH as u32 == 0
    }

    pub fn is_path(&self) -> bool {
        self.flags() & libc::O_PATH as u32 != 0
    }

    pub fn nonblocking(&self) -> bool {
        self.flags() & libc::O_NONBLOCK as u32 != 0
    }

    pub fn file_type(&self) -> Option<FileType> {
        match &self.dentry {
            Some(d) => Some(d.inode.file_type()),
            None => self.stat().ok().and_then(|s| s.file_type()),
        }
    }

    pub fn is_regular(&self) -> bool {
        self.file_type() == Some(FileType::Regular)
    }

    pub fn is_dir(&self) -> bool {
        self.file_type() == Some(FileType::Directory)
    }

    /// fstat: the inode's metadata when the file was opened by name (so fstat and
    /// stat agree on st_dev/st_ino, as `cp` checks), else the file's own.
    pub fn stat(&self) -> Result<Stat, Errno> {
        if let Some(d) = &self.dentry {
            return d.inode.stat();
        }
        self.ops.stat().unwrap_or(Err(Errno::EBADF))
    }

    /// Reads at `off` without touching the position (pread64; mmap's copies).
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if self.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        self.ops.read(buf, off)
    }

    pub fn pwrite(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        // Linux: pwrite on an O_APPEND file appends anyway.
        let off = if self.flags() & libc::O_APPEND as u32 != 0 {
            self.size()?
        } else {
            off
        };
        self.ops.write(buf, off)
    }

    /// read(2) at the file position, advancing it. EAGAIN if it would block.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if self
            .dentry
            .as_ref()
            .is_some_and(|d| d.inode.file_type() == FileType::Directory)
        {
            return Err(Errno::EISDIR);
        }
        if !self.ops.seekable() {
            return self.ops.read(buf, 0);
        }
        let mut pos = self.pos.lock().map_err(|_| Errno::EIO)?;
        let n = self.ops.read(buf, *pos)?;
        *pos += n as u64;
        Ok(n)
    }

    /// write(2) at the file position (or the end with O_APPEND), advancing it.
    pub fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.seekable() {
            return self.ops.write(buf, 0);
        }
        let mut pos = self.pos.lock().map_err(|_| Errno::EIO)?;
        if self.flags() & libc::O_APPEND as u32 != 0 {
            *pos = self.size()?;
        }
        let n = self.ops.write(buf, *pos)?;
        *pos += n as u64;
        Ok(n)
    }

    /// read(2) into the caller's memory: reads up to `len` bytes at the file position
    /// (or at `at`, for pread) in kernel-sized chunks and hands each to `sink(offset in
    /// the request, bytes)`, which returns how many it stored (fewer at a bad page).
    /// The position advances only by what `sink` accepted, so a bad buffer leaves the
    /// file where it was. EAGAIN if nothing is available yet.
    pub fn read_into(
        &self,
        len: usize,
        at: Option<u64>,
        mut sink: impl FnMut(usize, &[u8]) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if self
            .dentry
            .as_ref()
            .is_some_and(|d| d.inode.file_type() == FileType::Directory)
        {
            return Err(Errno::EISDIR);
        }
        let mut guard = ScratchBuf::take(len.min(IO_CHUNK));
        let buf = guard.as_mut();
        if let (Some(off), false) = (at, self.ops.seekable()) {
            let n = self.ops.pread_at(buf, off).unwrap_or(Err(Errno::ESPIPE))?;
            return if n == 0 { Ok(0) } else { sink(0, &buf[..n]) };
        }
        if !self.ops.seekable() {
            if len == 0 {
                return self.ops.read(buf, 0);
            }
            let n = self.ops.read(buf, 0)?;
            if n == 0 {
                return Ok(0);
            }
            return sink(0, &buf[..n]);
        }
        let mut pos_guard = match at {
            Some(_) => None,
            None => Some(self.pos.lock().map_err(|_| Errno::EIO)?),
        };
        let start = at.unwrap_or_else(|| pos_guard.as_deref().copied().unwrap_or(0));
        let mut done = 0usize;
        while done < len {
            let want = (len - done).min(buf.len());
            let n = match self.ops.read(&mut buf[..want], start + done as u64) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            match sink(done, &buf[..n]) {
                Ok(k) => {
                    done += k;
                    if k < n {
                        break;
                    }
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            if n < want {
                break;
            }
        }
        if let Some(p) = pos_guard.as_deref_mut() {
            *p = start + done as u64;
        }
        Ok(done)
    }

    /// write(2) from the caller's memory: `source(offset in the request, buf)` fills
    /// each chunk before it is written and returns how many bytes it could (fewer at a
    /// bad page). Streams take one chunk per call (the syscall layer loops and blocks);
    /// files take everything. EAGAIN if no room yet.
    pub fn write_from(
        &self,
        len: usize,
        at: Option<u64>,
        mut source: impl FnMut(usize, &mut [u8]) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if let Some(r) = self.ops.write_discard(len) {
            return r;
        }
        let mut guard = ScratchBuf::take(len.min(IO_CHUNK));
        let buf = guard.as_mut();
        if let (Some(off), false) = (at, self.ops.seekable()) {
            let k = if buf.is_empty() { 0 } else { source(0, buf)? };
            return self
                .ops
                .pwrite_at(&buf[..k], off)
                .unwrap_or(Err(Errno::ESPIPE));
        }
        if !self.ops.seekable() {
            let k = if buf.is_empty() { 0 } else { source(0, buf)? };
            return self.ops.write(&buf[..k], 0);
        }
        let append = self.flags() & libc::O_APPEND as u32 != 0;
        let mut pos_guard = match at {
            Some(_) => None,
            None => Some(self.pos.lock().map_err(|_| Errno::EIO)?),
        };
        let start = if append {
            self.size()?
        } else {
            at.unwrap_or_else(|| pos_guard.as_deref().copied().unwrap_or(0))
        };
        let mut done = 0usize;
        while done < len {
            let mut want = (len - done).min(buf.len());
            match source(done, &mut buf[..want]) {
                Ok(k) => want = k,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            if want == 0 {
                break;
            }
            let n = match self.ops.write(&buf[..want], start + done as u64) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            done += n;
            if n < want {
                break;
            }
        }
        if let Some(p) = pos_guard.as_deref_mut() {
            *p = start + done as u64;
        }
        if len == 0 {
            return self.ops.write(&[], start);
        }
        Ok(done)
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(self.stat()?.size)
    }

    /// lseek(2). `whence`: SEEK_SET, SEEK_CUR, SEEK_END (SEEK_DATA/HOLE treat the file
    /// as one data extent).
    pub fn seek(&self, off: i64, whence: u32) -> Result<u64, Errno> {
        if let Some(r) = self.ops.seek(off, whence) {
            return r;
        }
        if !self.ops.seekable() && !self.is_dir() {
            return Err(Errno::ESPIPE);
        }
        let mut pos = self.pos.lock().map_err(|_| Errno::EIO)?;
        let base: i64 = match whence {
            0 => 0,
            1 => i64::try_from(*pos).map_err(|_| Errno::EOVERFLOW)?,
            2 => i64::try_from(self.size()?).map_err(|_| Errno::EOVERFLOW)?,
            3 | 4 => {
                let size = i64::try_from(self.size()?).map_err(|_| Errno::EOVERFLOW)?;
                if off < 0 || off >= size {
                    return Err(Errno::ENXIO);
                }
                let new = if whence == 3 { off } else { size };
                *pos = new as u64;
                return Ok(*pos);
            }
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(off).ok_or(Errno::EOVERFLOW)?;
        if new < 0 {
            return Err(Errno::EINVAL);
        }
        if self.is_dir() {
            // Directory offsets index the listing; rewinding re-reads it.
            if let Ok(mut c) = self.dir_cache.lock() {
                if new == 0 {
                    *c = None;
                }
            }
        }
        *pos = new as u64;
        Ok(*pos)
    }

    /// Lists the directory's entries from the current position: calls `emit` with
    /// (entry, offset of the next entry) until it returns false (buffer full), then
    /// `finish` (the copy to the caller); the position moves only if `finish` succeeds.
    pub fn readdir(
        &self,
        mounts: &super::MountTable,
        mut emit: impl FnMut(&DirEntry, u64) -> bool,
        finish: impl FnOnce() -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let d = self.dentry.as_ref().ok_or(Errno::ENOTDIR)?;
        if d.inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut pos = self.pos.lock().map_err(|_| Errno::EIO)?;
        let mut cache = self.dir_cache.lock().map_err(|_| Errno::EIO)?;
        if cache.is_none() || *pos == 0 {
            if d.inode.is_removed() {
                return Err(Errno::ENOENT);
            }
            let mut list = Vec::new();
            let (_, ino) = d.inode.id();
            list.push(DirEntry {
                name: b".".to_vec(),
                ino,
                kind: FileType::Directory,
            });
            let pino = d.parent().map_or(ino, |p| p.inode.id().1);
            list.push(DirEntry {
                name: b"..".to_vec(),
                ino: pino,
                kind: FileType::Directory,
            });
            let mut entries = d.inode.readdir()?;
            for name in mounts.names_in(d) {
                if !entries.iter().any(|e| e.name == name) {
                    entries.push(DirEntry {
                        name,
                        ino: 1,
                        kind: FileType::Directory,
                    });
                }
            }
            list.extend(entries);
            *cache = Some(list);
        }
        let Some(list) = cache.as_ref() else {
            return Ok(());
        };
        let start = usize::try_from(*pos).unwrap_or(usize::MAX);
        let mut new_pos = *pos;
        for (i, e) in list.iter().enumerate().skip(start) {
            if !emit(e, i as u64 + 1) {
                break;
            }
            new_pos = i as u64 + 1;
        }
        finish()?;
        *pos = new_pos;
        Ok(())
    }

    /// Applies `attr` to the opened object (fchmod, ftruncate, futimens).
    pub fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        match &self.dentry {
            Some(d) => {
                if d.mount.readonly {
                    return Err(Errno::EROFS);
                }
                d.inode.setattr(attr)
            }
            None => match attr.size {
                Some(s) => self.ops.truncate(s),
                None => Ok(()),
            },
        }
    }
}
