//! In-memory filesystem objects: tmpfs, and the upper layer of the root overlay.
//!
//! A [`MemDir`] optionally has a *lower* host directory. Without one it is a plain tmpfs
//! directory; with one it is a merged overlay directory: its own map holds what was
//! created, changed or looked up (directories are cached so their identity and
//! metadata stay stable), a `Whiteout` hides a deleted lower entry, and everything else
//! is read from the host on demand. Lower regular files are wrapped in [`LowerFile`],
//! which copies the data up into a [`MemFile`] the first time it is opened for writing
//! or its metadata changes. Nothing ever writes to the lower host directory.
//!
//! Lock order: a directory's `state` → its children's `state` (rename of two
//! directories never waits while holding one: it backs off) → `MemFile::data`/`meta`,
//! `LowerFile::upper` and `LowerFile::home`, which are leaves (copy-up releases
//! `upper` before registering the node in its directory).

use super::host::{DirOps, HostChild, HostDir, HostFileOps, HostNode};
use crate::kernel::waiter::events;
use crate::vfs::inode::NewAttr;
use crate::vfs::{Creds, DirEntry, FileOps, FileType, Inode, SetAttr, Stat, Timespec};
use abi::Errno;
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

const PAGE: usize = 4096;
/// Largest file size (Linux's MAX_LFS_FILESIZE).
const MAX_FILE_SIZE: u64 = i64::MAX as u64;

static NEXT_DEV: AtomicU64 = AtomicU64::new(0x10);

/// A fresh anonymous device number (major 0), like Linux's for virtual filesystems.
pub fn alloc_dev() -> u64 {
    NEXT_DEV.fetch_add(1, Ordering::Relaxed)
}

/// One in-memory filesystem instance: its device number and inode numbers.
pub struct MemFs {
    pub dev: u64,
    next_ino: AtomicU64,
    /// statfs f_type (TMPFS_MAGIC, OVERLAYFS_SUPER_MAGIC...).
    magic: u64,
}

impl MemFs {
    pub fn new(magic: u64) -> Arc<MemFs> {
        // Synthetic inode numbers start high so they do not meet host ones in overlays.
        Arc::new(MemFs {
            dev: alloc_dev(),
            next_ino: AtomicU64::new(1 << 40),
            magic,
        })
    }

    /// A tmpfs instance.
    pub fn tmpfs() -> Arc<MemFs> {
        MemFs::new(0x0102_1994)
    }

    pub fn alloc_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }
}

/// Metadata kept by memory objects.
#[derive(Clone, Copy, Debug)]
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
}

impl Meta {
    fn new(kind: FileType, attr: NewAttr) -> Meta {
        let now = Timespec::now();
        Meta {
            mode: kind.mode_bits() | (attr.mode & 0o7777),
            uid: attr.uid,
            gid: attr.gid,
            nlink: if kind == FileType::Directory { 2 } else { 1 },
            atime: now,
            mtime: now,
            ctime: now,
        }
    }

    fn from_stat(st: &Stat) -> Meta {
        Meta {
            mode: st.mode,
            uid: st.uid,
            gid: st.gid,
            nlink: st.nlink,
            atime: st.atime,
            mtime: st.mtime,
            ctime: st.ctime,
        }
    }

    fn stat(&self, dev: u64, ino: u64, size: u64) -> Stat {
        Stat {
            dev,
            ino,
            mode: self.mode,
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            size,
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            ..Stat::default()
        }
        .with_mem_blocks()
    }

    fn apply(&mut self, a: &SetAttr) {
        if let Some(m) = a.mode {
            self.mode = (self.mode & !0o7777) | (m & 0o7777);
        }
        if let Some(u) = a.uid {
            self.uid = u;
        }
        if let Some(g) = a.gid {
            self.gid = g;
        }
        if let Some(t) = a.atime {
            self.atime = t;
        }
        if let Some(t) = a.mtime {
            self.mtime = t;
        }
        self.ctime = Timespec::now();
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, Errno> {
    m.lock().map_err(|_| Errno::EIO)
}

// ---------------------------------------------------------------------------------
// Regular files

/// Pages held by all memory files together, and the most they may hold (half of the
/// host's RAM, like tmpfs's default size): beyond it writes get ENOSPC rather than
/// taking the sandbox down.
static PAGES_USED: AtomicU64 = AtomicU64::new(0);

fn page_limit() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        let si = rustix::system::sysinfo();
        let ram = (si.totalram as u64).saturating_mul(u64::from(si.mem_unit).max(1));
        (ram / 2 / PAGE as u64).max(1 << 16)
    })
}

fn charge_pages(n: u64) -> bool {
    let limit = page_limit();
    PAGES_USED
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
            if u + n <= limit {
                Some(u + n)
            } else {
                None
            }
        })
        .is_ok()
}

fn uncharge_pages(n: u64) {
    let _ = PAGES_USED.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
        Some(u.saturating_sub(n))
    });
}

/// statfs for memory filesystems: the shared page budget is their size.
fn mem_statfs(magic: u64) -> [u64; 6] {
    let limit = page_limit();
    let used = PAGES_USED.load(Ordering::Relaxed).min(limit);
    [
        magic,
        PAGE as u64,
        limit,
        limit - used,
        1 << 20,
        (1 << 20) - 1,
    ]
}

/// Sparse page-granular file content.
#[derive(Default)]
struct Data {
    size: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
}

impl Drop for Data {
    fn drop(&mut self) {
        uncharge_pages(self.pages.len() as u64);
    }
}

impl Data {
    fn read(&self, buf: &mut [u8], off: u64) -> usize {
        if off >= self.size {
            return 0;
        }
        let n = (self.size - off).min(buf.len() as u64) as usize;
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let idx = pos / PAGE as u64;
            let in_page = (pos % PAGE as u64) as usize;
            let len = (PAGE - in_page).min(n - done);
            match self.pages.get(&idx) {
                Some(p) => buf[done..done + len].copy_from_slice(&p[in_page..in_page + len]),
                None => buf[done..done + len].fill(0),
            }
            done += len;
        }
        n
    }

    fn write(&mut self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        if end > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut done = 0;
        while done < buf.len() {
            let pos = off + done as u64;
            let idx = pos / PAGE as u64;
            let in_page = (pos % PAGE as u64) as usize;
            let len = (PAGE - in_page).min(buf.len() - done);
            let page = match self.pages.entry(idx) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    if !charge_pages(1) {
                        // Out of room: a partial write, or ENOSPC if nothing fit.
                        self.size = self.size.max(pos);
                        return if done == 0 {
                            Err(Errno::ENOSPC)
                        } else {
                            Ok(done)
                        };
                    }
                    e.insert(vec![0u8; PAGE].into_boxed_slice())
                }
            };
            page[in_page..in_page + len].copy_from_slice(&buf[done..done + len]);
            done += len;
        }
        self.size = self.size.max(end);
        Ok(buf.len())
    }

    fn truncate(&mut self, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        if size < self.size {
            let first_gone = size.div_ceil(PAGE as u64);
            let before = self.pages.len();
            self.pages.retain(|&i, _| i < first_gone);
            uncharge_pages((before - self.pages.len()) as u64);
            let tail = (size % PAGE as u64) as usize;
            if tail != 0 {
                if let Some(p) = self.pages.get_mut(&(size / PAGE as u64)) {
                    p[tail..].fill(0);
                }
            }
        }
        self.size = size;
        Ok(())
    }
}

/// A regular file in memory.
pub struct MemFile {
    me: Weak<MemFile>,
    fs: Arc<MemFs>,
    ino: u64,
    meta: Mutex<Meta>,
    data: RwLock<Data>,
}

impl MemFile {
    pub fn new(fs: &Arc<MemFs>, attr: NewAttr) -> Arc<MemFile> {
        let ino = fs.alloc_ino();
        MemFile::build(fs, ino, Meta::new(FileType::Regular, attr), Data::default())
    }

    fn build(fs: &Arc<MemFs>, ino: u64, meta: Meta, data: Data) -> Arc<MemFile> {
        Arc::new_cyclic(|me| MemFile {
            me: me.clone(),
            fs: fs.clone(),
            ino,
            meta: Mutex::new(meta),
            data: RwLock::new(data),
        })
    }

    /// A file holding `content` (devfs/procfs fixed files, copy-up).
    pub fn with_content(fs: &Arc<MemFs>, attr: NewAttr, content: &[u8]) -> Arc<MemFile> {
        let f = MemFile::new(fs, attr);
        if let Ok(mut d) = f.data.write() {
            let _ = d.write(content, 0);
        }
        f
    }

    fn size(&self) -> u64 {
        self.data.read().map(|d| d.size).unwrap_or(0)
    }

    fn adjust_nlink(&self, delta: i64) {
        if let Ok(mut m) = self.meta.lock() {
            m.nlink = m.nlink.saturating_add_signed(delta);
            m.ctime = Timespec::now();
        }
    }
}

impl Inode for MemFile {
    fn stat(&self) -> Result<Stat, Errno> {
        let m = *lock(&self.meta)?;
        Ok(m.stat(self.fs.dev, self.ino, self.size()))
    }
    fn file_type(&self) -> FileType {
        FileType::Regular
    }
    fn id(&self) -> (u64, u64) {
        (self.fs.dev, self.ino)
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let me = self.me.upgrade().ok_or(Errno::ENOENT)?;
        Ok(Box::new(MemFileOps { file: me }))
    }
    fn setattr(&self, a: &SetAttr) -> Result<(), Errno> {
        if let Some(s) = a.size {
            self.data.write().map_err(|_| Errno::EIO)?.truncate(s)?;
            let mut m = lock(&self.meta)?;
            m.mtime = Timespec::now();
        }
        lock(&self.meta)?.apply(a);
        Ok(())
    }
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        Ok(mem_statfs(self.fs.magic))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open memory file.
pub struct MemFileOps {
    file: Arc<MemFile>,
}

impl FileOps for MemFileOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        Ok(self
            .file
            .data
            .read()
            .map_err(|_| Errno::EIO)?
            .read(buf, off))
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let n = self
            .file
            .data
            .write()
            .map_err(|_| Errno::EIO)?
            .write(buf, off)?;
        if let Ok(mut m) = self.file.meta.lock() {
            let now = Timespec::now();
            m.mtime = now;
            m.ctime = now;
        }
        Ok(n)
    }
    fn seekable(&self) -> bool {
        true
    }
    fn truncate(&self, size: u64) -> Result<(), Errno> {
        self.file.setattr(&SetAttr {
            size: Some(size),
            ..SetAttr::default()
        })
    }
    fn readiness(&self, mask: u32) -> u32 {
        mask & (events::IN | events::OUT)
    }
}

// ---------------------------------------------------------------------------------
// Symlinks and special nodes

/// A symlink in memory.
pub struct MemSymlink {
    fs: Arc<MemFs>,
    ino: u64,
    target: Vec<u8>,
    meta: Mutex<Meta>,
}

impl MemSymlink {
    pub fn new(fs: &Arc<MemFs>, target: &[u8], attr: NewAttr) -> Arc<MemSymlink> {
        let attr = NewAttr {
            mode: 0o777,
            ..attr
        };
        Arc::new(MemSymlink {
            fs: fs.clone(),
            ino: fs.alloc_ino(),
            target: target.to_vec(),
            meta: Mutex::new(Meta::new(FileType::Symlink, attr)),
        })
    }
}

impl MemSymlink {
    fn adjust_nlink(&self, delta: i64) {
        if let Ok(mut m) = self.meta.lock() {
            m.nlink = m.nlink.saturating_add_signed(delta);
            m.ctime = Timespec::now();
        }
    }
}

impl MemSpecial {
    fn adjust_nlink(&self, delta: i64) {
        if let Ok(mut m) = self.meta.lock() {
            m.nlink = m.nlink.saturating_add_signed(delta);
            m.ctime = Timespec::now();
        }
    }
}

impl Inode for MemSymlink {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(lock(&self.meta)?.stat(self.fs.dev, self.ino, self.target.len() as u64))
    }
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }
    fn id(&self) -> (u64, u64) {
        (self.fs.dev, self.ino)
    }
    fn readlink(&self, _creds: &Creds) -> Result<Vec<u8>, Errno> {
        Ok(self.target.clone())
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn setattr(&self, a: &SetAttr) -> Result<(), Errno> {
        let a = SetAttr { mode: None, ..*a };
        lock(&self.meta)?.apply(&a);
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A FIFO, socket or device node made by mknod in memory. FIFOs open as named pipes;
/// sockets and devices give ENXIO.
pub struct MemSpecial {
    fs: Arc<MemFs>,
    ino: u64,
    kind: FileType,
    rdev: u64,
    meta: Mutex<Meta>,
    /// A FIFO's pipe, made at the first open.
    fifo: std::sync::OnceLock<Arc<super::pipe::Pipe>>,
}

impl Inode for MemSpecial {
    fn stat(&self) -> Result<Stat, Errno> {
        let mut s = lock(&self.meta)?.stat(self.fs.dev, self.ino, 0);
        s.rdev = self.rdev;
        Ok(s)
    }
    fn file_type(&self) -> FileType {
        self.kind
    }
    fn id(&self) -> (u64, u64) {
        (self.fs.dev, self.ino)
    }
    fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        if self.kind != FileType::Fifo {
            return Err(Errno::ENXIO);
        }
        let (uid, gid) = lock(&self.meta).map(|m| (m.uid, m.gid))?;
        let pipe = self.fifo.get_or_init(|| super::pipe::Pipe::new(uid, gid));
        Ok(Box::new(super::pipe::FifoEnd::open(pipe, flags)?))
    }
    fn setattr(&self, a: &SetAttr) -> Result<(), Errno> {
        lock(&self.meta)?.apply(a);
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ---------------------------------------------------------------------------------
// Lower (host) files seen through the overlay

/// A host file or symlink of the overlay's lower layer.
pub struct LowerFile {
    me: Weak<LowerFile>,
    fs: Arc<MemFs>,
    ino: u64,
    host: Arc<HostNode>,
    /// The directory and name to register in at copy-up, until the node is pinned in
    /// a directory's map.
    home: Mutex<Option<(Weak<MemDir>, Vec<u8>)>>,
    upper: Mutex<Option<Arc<MemFile>>>,
}

impl LowerFile {
    fn upper(&self) -> Option<Arc<MemFile>> {
        self.upper.lock().ok().and_then(|u| u.clone())
    }

    /// The in-memory copy, made on first need.
    fn copy_up(&self) -> Result<Arc<MemFile>, Errno> {
        let mut up = lock(&self.upper)?;
        if let Some(u) = up.as_ref() {
            return Ok(u.clone());
        }
        if self.host.kind() != FileType::Regular {
            return Err(Errno::EPERM);
        }
        let st = self.host.seen_stat();
        let mut data = Data::default();
        self.host
            .read_all(|chunk, off| data.write(chunk, off).map(|_| ()))?;
        let mf = MemFile::build(&self.fs, self.ino, Meta::from_stat(&st), data);
        *up = Some(mf.clone());
        drop(up);
        self.pin();
        Ok(mf)
    }

    /// Registers this node in its directory's map so later lookups find it.
    fn pin(&self) {
        let home = self.home.lock().ok().and_then(|mut h| h.take());
        let (Some((dir, name)), Some(me)) = (home, self.me.upgrade()) else {
            return;
        };
        if let Some(dir) = dir.upgrade() {
            if let Ok(mut st) = dir.state.lock() {
                st.entries.entry(name).or_insert(Slot::Node(me));
            }
        }
    }

    fn unpin_home(&self) {
        if let Ok(mut h) = self.home.lock() {
            *h = None;
        }
    }
}

impl Inode for LowerFile {
    fn stat(&self) -> Result<Stat, Errno> {
        if let Some(u) = self.upper() {
            return u.stat();
        }
        let mut s = self.host.seen_stat();
        s.dev = self.fs.dev;
        s.ino = self.ino;
        Ok(s)
    }
    fn file_type(&self) -> FileType {
        self.host.kind()
    }
    fn id(&self) -> (u64, u64) {
        (self.fs.dev, self.ino)
    }
    fn readlink(&self, creds: &Creds) -> Result<Vec<u8>, Errno> {
        self.host.readlink(creds)
    }
    fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let acc = flags & libc::O_ACCMODE as u32;
        if acc != libc::O_RDONLY as u32 || flags & libc::O_TRUNC as u32 != 0 {
            return self.copy_up()?.open(flags);
        }
        if let Some(u) = self.upper() {
            return u.open(flags);
        }
        if self.host.kind() == FileType::Symlink {
            return Err(Errno::ELOOP);
        }
        Ok(Box::new(HostFileOps::from_fd(
            self.host.open_host(libc::O_RDONLY as u32)?,
        )))
    }
    fn setattr(&self, a: &SetAttr) -> Result<(), Errno> {
        if self.host.kind() == FileType::Symlink {
            return Ok(());
        }
        self.copy_up()?.setattr(a)
    }
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        Ok(mem_statfs(self.fs.magic))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ---------------------------------------------------------------------------------
// Directories

enum Slot {
    Whiteout,
    Node(Arc<dyn Inode>),
}

struct DirState {
    entries: BTreeMap<Vec<u8>, Slot>,
    meta: Meta,
    /// Set once rmdir'ed: nothing may be created in it any more.
    removed: bool,
}

/// A tmpfs directory, or a merged overlay directory when `lower` is set.
pub struct MemDir {
    me: Weak<MemDir>,
    fs: Arc<MemFs>,
    ino: u64,
    lower: Option<Arc<HostDir>>,
    state: Mutex<DirState>,
}

impl MemDir {
    /// An empty directory.
    pub fn new(fs: &Arc<MemFs>, attr: NewAttr) -> Arc<MemDir> {
        let meta = Meta::new(FileType::Directory, attr);
        MemDir::build(fs, fs.alloc_ino(), None, meta)
    }

    /// A merged directory over the host directory `lower`.
    pub fn over(fs: &Arc<MemFs>, lower: Arc<HostDir>) -> Result<Arc<MemDir>, Errno> {
        let st = lower.stat()?;
        Ok(MemDir::build(
            fs,
            lower_ino(&st),
            Some(lower),
            Meta::from_stat(&st),
        ))
    }

    fn build(fs: &Arc<MemFs>, ino: u64, lower: Option<Arc<HostDir>>, meta: Meta) -> Arc<MemDir> {
        Arc::new_cyclic(|me| MemDir {
            me: me.clone(),
            fs: fs.clone(),
            ino,
            lower,
            state: Mutex::new(DirState {
                entries: BTreeMap::new(),
                meta,
                removed: false,
            }),
        })
    }

    /// Adds a ready-made node (devfs devices, procfs files). Replaces any old entry.
    pub fn insert(&self, name: &[u8], node: Arc<dyn Inode>) {
        if let Ok(mut st) = self.state.lock() {
            if node.file_type() == FileType::Directory {
                st.meta.nlink += 1;
            }
            st.entries.insert(name.to_vec(), Slot::Node(node));
        }
    }

    pub fn fs(&self) -> &Arc<MemFs> {
        &self.fs
    }

    /// The entry `name`, reading the lower layer if needed. Lower directories are
    /// cached in the map; lower files are not (until pinned).
    fn find(&self, st: &mut DirState, name: &[u8]) -> Result<Option<Arc<dyn Inode>>, Errno> {
        match st.entries.get(name) {
            Some(Slot::Whiteout) => return Ok(None),
            Some(Slot::Node(n)) => return Ok(Some(n.clone())),
            None => {}
        }
        let Some(lower) = &self.lower else {
            return Ok(None);
        };
        match lower.host_lookup(name) {
            // EACCES: the sandbox's unprivileged host user may not search this host
            // directory; its lower content is invisible, the upper layer still works.
            Err(e) if e == Errno::ENOENT || e == Errno::EACCES => Ok(None),
            Err(e) => Err(e),
            Ok(HostChild::Dir(hd)) => {
                let d: Arc<dyn Inode> = MemDir::over(&self.fs, hd)?;
                st.entries.insert(name.to_vec(), Slot::Node(d.clone()));
                Ok(Some(d))
            }
            Ok(HostChild::Node(hn)) => {
                let ino = lower_ino(&hn.seen_stat());
                let home = Some((self.me.clone(), name.to_vec()));
                let f: Arc<dyn Inode> = Arc::new_cyclic(|me| LowerFile {
                    me: me.clone(),
                    fs: self.fs.clone(),
                    ino,
                    host: hn,
                    home: Mutex::new(home),
                    upper: Mutex::new(None),
                });
                Ok(Some(f))
            }
        }
    }

    /// Whether the lower layer has `name` (so removing it needs a whiteout).
    fn lower_has(&self, name: &[u8]) -> bool {
        self.lower
            .as_ref()
            .is_some_and(|l| l.host_lookup(name).is_ok())
    }

    fn is_empty(&self) -> Result<bool, Errno> {
        match self.readdir() {
            Ok(v) => Ok(v.is_empty()),
            Err(e) if e == Errno::ENOENT => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Common part of create/mkdir/symlink/mknod: EEXIST, removed directories.
    fn add(
        &self,
        name: &[u8],
        make: impl FnOnce() -> Arc<dyn Inode>,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let mut st = lock(&self.state)?;
        if st.removed {
            return Err(Errno::ENOENT);
        }
        if self.find(&mut st, name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        let node = make();
        if node.file_type() == FileType::Directory {
            st.meta.nlink += 1;
        }
        let now = Timespec::now();
        st.meta.mtime = now;
        st.meta.ctime = now;
        st.entries.insert(name.to_vec(), Slot::Node(node.clone()));
        Ok(node)
    }

    /// Takes `name` out of the map (whiteout if the lower layer has it).
    fn remove_entry(&self, st: &mut DirState, name: &[u8]) {
        if self.lower_has(name) {
            st.entries.insert(name.to_vec(), Slot::Whiteout);
        } else {
            st.entries.remove(name);
        }
        let now = Timespec::now();
        st.meta.mtime = now;
        st.meta.ctime = now;
    }
}

/// Inode number of a lower object inside the overlay: the host's, which keeps hard
/// links and `ls -i` meaningful.
fn lower_ino(st: &Stat) -> u64 {
    st.ino
}

fn drop_link(node: &Arc<dyn Inode>) {
    if let Some(f) = node.as_any().downcast_ref::<MemFile>() {
        f.adjust_nlink(-1);
    } else if let Some(l) = node.as_any().downcast_ref::<LowerFile>() {
        if let Some(u) = l.upper() {
            u.adjust_nlink(-1);
        }
    } else if let Some(l) = node.as_any().downcast_ref::<MemSymlink>() {
        l.adjust_nlink(-1);
    } else if let Some(n) = node.as_any().downcast_ref::<MemSpecial>() {
        n.adjust_nlink(-1);
    } else if let Some(d) = node.as_any().downcast_ref::<MemDir>() {
        if let Ok(mut s) = d.state.lock() {
            s.removed = true;
            s.meta.nlink = 0;
        }
    }
}

impl Inode for MemDir {
    fn stat(&self) -> Result<Stat, Errno> {
        let st = lock(&self.state)?;
        Ok(st.meta.stat(self.fs.dev, self.ino, 4096))
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn id(&self) -> (u64, u64) {
        (self.fs.dev, self.ino)
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let mut st = lock(&self.state)?;
        self.find(&mut st, name)?.ok_or(Errno::ENOENT)
    }
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let st = lock(&self.state)?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        if st.removed {
            return Err(Errno::ENOENT);
        }
        let lower_list = match &self.lower {
            Some(l) => match l.host_readdir() {
                Err(e) if e == Errno::EACCES => Vec::new(),
                r => r?,
            },
            None => Vec::new(),
        };
        {
            for e in lower_list {
                match st.entries.get(&e.name) {
                    Some(Slot::Whiteout) => {}
                    Some(Slot::Node(n)) => {
                        seen.insert(e.name.clone());
                        out.push(DirEntry {
                            ino: n.id().1,
                            kind: n.file_type(),
                            name: e.name,
                        });
                    }
                    None => out.push(e),
                }
            }
        }
        for (name, slot) in st.entries.iter() {
            if let Slot::Node(n) = slot {
                if !seen.contains(name) {
                    out.push(DirEntry {
                        name: name.clone(),
                        ino: n.id().1,
                        kind: n.file_type(),
                    });
                }
            }
        }
        Ok(out)
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(DirOps))
    }
    fn create(&self, name: &[u8], attr: NewAttr) -> Result<Arc<dyn Inode>, Errno> {
        self.add(name, || MemFile::new(&self.fs, attr))
    }
    fn mkdir(&self, name: &[u8], attr: NewAttr) -> Result<(), Errno> {
        self.add(name, || MemDir::new(&self.fs, attr)).map(|_| ())
    }
    fn mknod(&self, name: &[u8], attr: NewAttr, rdev: u64) -> Result<(), Errno> {
        let kind = FileType::from_mode(attr.mode).unwrap_or(FileType::Regular);
        match kind {
            FileType::Regular => self.create(name, attr).map(|_| ()),
            FileType::Fifo | FileType::Socket | FileType::CharDev | FileType::BlockDev => self
                .add(name, || {
                    Arc::new(MemSpecial {
                        fs: self.fs.clone(),
                        ino: self.fs.alloc_ino(),
                        kind,
                        rdev,
                        meta: Mutex::new(Meta::new(kind, attr)),
                        fifo: std::sync::OnceLock::new(),
                    })
                })
                .map(|_| ()),
            _ => Err(Errno::EINVAL),
        }
    }
    fn symlink(&self, name: &[u8], target: &[u8], attr: NewAttr) -> Result<(), Errno> {
        self.add(name, || MemSymlink::new(&self.fs, target, attr))
            .map(|_| ())
    }
    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        if let Some(l) = target.as_any().downcast_ref::<LowerFile>() {
            if l.host.kind() == FileType::Regular {
                l.copy_up()?.adjust_nlink(1);
            }
            l.unpin_home();
        } else if let Some(f) = target.as_any().downcast_ref::<MemFile>() {
            if f.fs.dev != self.fs.dev {
                return Err(Errno::EXDEV);
            }
            f.adjust_nlink(1);
        } else if let Some(l) = target.as_any().downcast_ref::<MemSymlink>() {
            l.adjust_nlink(1);
        } else if let Some(n) = target.as_any().downcast_ref::<MemSpecial>() {
            n.adjust_nlink(1);
        } else {
            return Err(Errno::EXDEV);
        }
        self.add(name, || target.clone()).map(|_| ())
    }
    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        let mut st = lock(&self.state)?;
        let node = self.find(&mut st, name)?.ok_or(Errno::ENOENT)?;
        let is_dir = node.file_type() == FileType::Directory;
        if dir && !is_dir {
            return Err(Errno::ENOTDIR);
        }
        if !dir && is_dir {
            return Err(Errno::EISDIR);
        }
        if is_dir {
            let d = node.as_any().downcast_ref::<MemDir>().ok_or(Errno::EBUSY)?;
            if !d.is_empty()? {
                return Err(Errno::ENOTEMPTY);
            }
            st.meta.nlink = st.meta.nlink.saturating_sub(1);
        }
        self.remove_entry(&mut st, name);
        drop(st);
        drop_link(&node);
        Ok(())
    }
    fn rename(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        noreplace: bool,
    ) -> Result<(), Errno> {
        let nd = new_dir
            .as_any()
            .downcast_ref::<MemDir>()
            .ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&self.fs, &nd.fs) {
            return Err(Errno::EXDEV);
        }
        if std::ptr::eq(self, nd) {
            let mut st = lock(&self.state)?;
            return rename_same(self, &mut st, old, new, noreplace);
        }
        // Two directories: take both locks without ever waiting while holding one
        // (unlink holds a parent and then locks a child, so no fixed order is safe).
        let (mut a, mut b) = loop {
            let a = lock(&self.state)?;
            match nd.state.try_lock() {
                Ok(b) => break (a, b),
                Err(std::sync::TryLockError::WouldBlock) => {
                    drop(a);
                    std::thread::yield_now();
                }
                Err(std::sync::TryLockError::Poisoned(_)) => return Err(Errno::EIO),
            }
        };
        let (src_st, dst_st) = (&mut *a, &mut *b);
        if dst_st.removed {
            return Err(Errno::ENOENT);
        }
        let src = self.find(src_st, old)?.ok_or(Errno::ENOENT)?;
        let dst = nd.find(dst_st, new)?;
        let src_dir = src.file_type() == FileType::Directory;
        if let Some(d) = &dst {
            if crate::vfs::inode::same_inode(&src, d) {
                return Ok(());
            }
            check_replace(&src, d, noreplace)?;
        }
        self.remove_entry(src_st, old);
        if let Some(l) = src.as_any().downcast_ref::<LowerFile>() {
            l.unpin_home();
        }
        if src_dir {
            src_st.meta.nlink = src_st.meta.nlink.saturating_sub(1);
            if dst.is_none() {
                dst_st.meta.nlink += 1;
            }
        }
        let now = Timespec::now();
        dst_st.meta.mtime = now;
        dst_st.meta.ctime = now;
        dst_st.entries.insert(new.to_vec(), Slot::Node(src));
        drop(a);
        drop(b);
        if let Some(d) = dst {
            drop_link(&d);
        }
        Ok(())
    }
    fn is_removed(&self) -> bool {
        self.state.lock().map(|s| s.removed).unwrap_or(false)
    }
    fn exchange(&self, a: &[u8], other: &Arc<dyn Inode>, b: &[u8]) -> Result<(), Errno> {
        let od = other
            .as_any()
            .downcast_ref::<MemDir>()
            .ok_or(Errno::EXDEV)?;
        self.exchange_with(a, od, b)
    }
    fn setattr(&self, a: &SetAttr) -> Result<(), Errno> {
        if a.size.is_some() {
            return Err(Errno::EISDIR);
        }
        lock(&self.state)?.meta.apply(a);
        Ok(())
    }
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        Ok(mem_statfs(self.fs.magic))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl MemDir {
    /// RENAME_EXCHANGE between `a` here and `b` in `other`.
    fn exchange_with(&self, a: &[u8], other: &MemDir, b: &[u8]) -> Result<(), Errno> {
        if !Arc::ptr_eq(&self.fs, &other.fs) {
            return Err(Errno::EXDEV);
        }
        if std::ptr::eq(self, other) {
            let mut st = lock(&self.state)?;
            let x = self.find(&mut st, a)?.ok_or(Errno::ENOENT)?;
            let y = self.find(&mut st, b)?.ok_or(Errno::ENOENT)?;
            unpin(&x);
            unpin(&y);
            st.entries.insert(a.to_vec(), Slot::Node(y));
            st.entries.insert(b.to_vec(), Slot::Node(x));
            st.meta.ctime = Timespec::now();
            return Ok(());
        }
        let (mut sa, mut sb) = loop {
            let sa = lock(&self.state)?;
            match other.state.try_lock() {
                Ok(sb) => break (sa, sb),
                Err(std::sync::TryLockError::WouldBlock) => {
                    drop(sa);
                    std::thread::yield_now();
                }
                Err(std::sync::TryLockError::Poisoned(_)) => return Err(Errno::EIO),
            }
        };
        let x = self.find(&mut sa, a)?.ok_or(Errno::ENOENT)?;
        let y = other.find(&mut sb, b)?.ok_or(Errno::ENOENT)?;
        let (xd, yd) = (
            x.file_type() == FileType::Directory,
            y.file_type() == FileType::Directory,
        );
        if xd != yd {
            // A directory changes parents: move its ".." link count along.
            if xd {
                sa.meta.nlink = sa.meta.nlink.saturating_sub(1);
                sb.meta.nlink += 1;
            } else {
                sb.meta.nlink = sb.meta.nlink.saturating_sub(1);
                sa.meta.nlink += 1;
            }
        }
        unpin(&x);
        unpin(&y);
        let now = Timespec::now();
        sa.entries.insert(a.to_vec(), Slot::Node(y));
        sb.entries.insert(b.to_vec(), Slot::Node(x));
        sa.meta.mtime = now;
        sa.meta.ctime = now;
        sb.meta.mtime = now;
        sb.meta.ctime = now;
        Ok(())
    }
}

fn unpin(node: &Arc<dyn Inode>) {
    if let Some(l) = node.as_any().downcast_ref::<LowerFile>() {
        l.unpin_home();
    }
}

/// Whether `src` may replace `dst` in a rename.
fn check_replace(src: &Arc<dyn Inode>, dst: &Arc<dyn Inode>, noreplace: bool) -> Result<(), Errno> {
    if noreplace {
        return Err(Errno::EEXIST);
    }
    let src_dir = src.file_type() == FileType::Directory;
    let dst_dir = dst.file_type() == FileType::Directory;
    match (src_dir, dst_dir) {
        (true, false) => Err(Errno::ENOTDIR),
        (false, true) => Err(Errno::EISDIR),
        (true, true) => {
            let d = dst.as_any().downcast_ref::<MemDir>().ok_or(Errno::EBUSY)?;
            if d.is_empty()? {
                Ok(())
            } else {
                Err(Errno::ENOTEMPTY)
            }
        }
        (false, false) => Ok(()),
    }
}

fn rename_same(
    dir: &MemDir,
    st: &mut DirState,
    old: &[u8],
    new: &[u8],
    noreplace: bool,
) -> Result<(), Errno> {
    let src = dir.find(st, old)?.ok_or(Errno::ENOENT)?;
    if old == new {
        return Ok(());
    }
    let dst = dir.find(st, new)?;
    if let Some(d) = &dst {
        if crate::vfs::inode::same_inode(&src, d) {
            return Ok(());
        }
        check_replace(&src, d, noreplace)?;
        if d.file_type() == FileType::Directory {
            st.meta.nlink = st.meta.nlink.saturating_sub(1);
        }
    }
    dir.remove_entry(st, old);
    if let Some(l) = src.as_any().downcast_ref::<LowerFile>() {
        l.unpin_home();
    }
    st.entries.insert(new.to_vec(), Slot::Node(src));
    if let Some(d) = dst {
        drop_link(&d);
    }
    Ok(())
}

/// An anonymous memory file (memfd_create): a `MemFile` no directory holds.
pub fn memfd(name: &[u8], uid: u32, gid: u32) -> Result<Arc<crate::vfs::File>, Errno> {
    use crate::vfs::{Dentry, File, Mount};
    static FS: std::sync::OnceLock<Arc<MemFs>> = std::sync::OnceLock::new();
    let fs = FS.get_or_init(MemFs::tmpfs);
    let inode: Arc<dyn Inode> = MemFile::new(
        fs,
        NewAttr {
            mode: 0o777,
            uid,
            gid,
        },
    );
    let mut label = b"memfd:".to_vec();
    label.extend_from_slice(name);
    let mount = Arc::new(Mount {
        id: u32::MAX,
        readonly: false,
        root: inode.clone(),
    });
    let ops = inode.open(libc::O_RDWR as u32)?;
    let d = Dentry::new(inode, mount, None, label.clone());
    let shown = format!("/{} (deleted)", String::from_utf8_lossy(&label));
    Ok(File::new(
        ops,
        Some(d),
        libc::O_RDWR as u32 | crate::vfs::oflags::LARGEFILE,
        shown,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_data_reads_zeros_and_truncates() {
        let mut d = Data::default();
        assert_eq!(d.write(b"abc", 10_000), Ok(3));
        assert_eq!(d.size, 10_003);
        assert_eq!(d.pages.len(), 1, "holes take no pages");
        let mut buf = [9u8; 8];
        assert_eq!(d.read(&mut buf, 9_998), 5);
        assert_eq!(&buf[..5], &[0, 0, b'a', b'b', b'c']);
        assert_eq!(d.read(&mut buf, 20_000), 0);
        d.truncate(10_001).unwrap();
        assert_eq!(d.read(&mut buf, 9_999), 2);
        assert_eq!(&buf[..2], &[0, b'a']);
        // Growing again must not resurrect the cut bytes.
        d.truncate(10_003).unwrap();
        assert_eq!(d.read(&mut buf, 10_000), 3);
        assert_eq!(&buf[..3], &[b'a', 0, 0]);
        assert_eq!(d.write(b"x", MAX_FILE_SIZE), Err(Errno::EFBIG));
        assert_eq!(d.truncate(u64::MAX), Err(Errno::EFBIG));
    }
}
