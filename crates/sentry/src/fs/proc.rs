//! procfs: /proc/self, /proc/PID/{fd/, exe, cwd, root} and the text files the kernel
//! provides (cmdline, comm, stat, status, maps...).
//!
//! The calling process is known through a per-thread "caller" record that the syscall
//! layer refreshes on every path call (one host thread runs one task, so the record
//! always describes the current task). Other processes are reached through a
//! [`ProcSource`] the kernel registers with [`register_source`]; without one, /proc
//! shows only the caller.
//!
//! /proc/PID/fd/N, cwd, root and exe are "magic links": the walk jumps straight to the
//! object (`Inode::magic_link`), as Linux does, so opening /proc/self/fd/N (or /dev/fd/N)
//! reaches the open file even when it has no name, such as a pipe.

use super::mem::MemFs;
use crate::vfs::inode::NewAttr;
use crate::vfs::{
    Creds, Dentry, DirEntry, FdTable, File, FileOps, FileType, Inode, Mount, Stat, Timespec,
};
use abi::Errno;
use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, OnceLock, RwLock, Weak};

/// What /proc shows of one process's files.
pub struct ProcessView {
    pub pid: i32,
    /// Weak: /proc must never keep a process's files open.
    pub fds: Weak<FdTable>,
    pub cwd: Arc<Dentry>,
    pub root: Arc<Dentry>,
    /// The executable's path.
    pub exe: String,
}

/// The kernel's side of /proc: other processes and the per-process text files.
pub trait ProcSource: Send + Sync {
    /// Live process (thread group) ids.
    fn pids(&self) -> Vec<i32>;
    /// The files of process `pid`, if it lives.
    fn view(&self, pid: i32) -> Option<Arc<ProcessView>>;
    /// Content of /proc/PID/`name` ("cmdline", "comm", "stat", "status", "maps",
    /// "environ"...), or None if the kernel does not provide it.
    fn text(&self, pid: i32, name: &str) -> Option<Vec<u8>>;
    /// Content of a top-level file (/proc/`name`: "meminfo", "cpuinfo", "uptime"...).
    fn global_text(&self, _name: &str) -> Option<Vec<u8>> {
        None
    }
}

static SOURCE: RwLock<Option<Weak<dyn ProcSource>>> = RwLock::new(None);

/// Registers the kernel's process table for /proc.
pub fn register_source(src: Weak<dyn ProcSource>) {
    if let Ok(mut s) = SOURCE.write() {
        *s = Some(src);
    }
}

fn source() -> Option<Arc<dyn ProcSource>> {
    SOURCE
        .read()
        .ok()
        .and_then(|s| s.as_ref().and_then(|w| w.upgrade()))
}

thread_local! {
    static CALLER: RefCell<Option<Arc<ProcessView>>> = const { RefCell::new(None) };
}

/// Records the task running on this thread (called by the syscall layer); cheap when
/// nothing changed since the last call.
pub fn set_caller(pid: i32, fds: &Arc<FdTable>, cwd: &Arc<Dentry>, root: &Arc<Dentry>, exe: &str) {
    CALLER.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(v) = c.as_ref() {
            if v.pid == pid
                && std::ptr::eq(v.fds.as_ptr(), Arc::as_ptr(fds))
                && Arc::ptr_eq(&v.cwd, cwd)
                && Arc::ptr_eq(&v.root, root)
                && v.exe == exe
            {
                return;
            }
        }
        *c = Some(Arc::new(ProcessView {
            pid,
            fds: Arc::downgrade(fds),
            cwd: cwd.clone(),
            root: root.clone(),
            exe: exe.to_string(),
        }));
    });
}

fn caller() -> Option<Arc<ProcessView>> {
    CALLER.with(|c| c.borrow().clone())
}

/// The view of `pid`: the caller's own, or the kernel's.
fn view_of(pid: i32) -> Option<Arc<ProcessView>> {
    if let Some(c) = caller() {
        if c.pid == pid {
            return Some(c);
        }
    }
    source().and_then(|s| s.view(pid))
}

/// Whether process `pid` still exists (for locks owned by processes). Without a
/// registered kernel, every process is assumed alive.
pub fn process_alive(pid: i32) -> bool {
    if caller().is_some_and(|c| c.pid == pid) {
        return true;
    }
    match source() {
        Some(s) => s.view(pid).is_some(),
        None => true,
    }
}

fn pids() -> Vec<i32> {
    let mut v = source().map(|s| s.pids()).unwrap_or_default();
    if let Some(c) = caller() {
        v.push(c.pid);
    }
    v.sort_unstable();
    v.dedup();
    v
}

struct Meta {
    dev: u64,
    created: Timespec,
}

impl Meta {
    fn stat(&self, ino: u64, kind: FileType, perm: u32, size: u64) -> Stat {
        Stat {
            dev: self.dev,
            ino,
            mode: kind.mode_bits() | perm,
            nlink: if kind == FileType::Directory { 2 } else { 1 },
            size,
            blksize: 4096,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Stat::default()
        }
    }
}

/// Synthetic inode numbers: a kind tag, the pid and an index.
fn ino(tag: u64, pid: i32, idx: u64) -> u64 {
    (tag << 56) | ((pid as u32 as u64) << 24) | (idx & 0xff_ffff)
}

/// /proc itself.
pub struct ProcRoot {
    meta: Arc<Meta>,
    fs: Arc<MemFs>,
}

/// The files /proc/PID holds.
const PID_TEXT: &[&str] = &[
    "cmdline", "comm", "environ", "limits", "maps", "mounts", "stat", "statm", "status",
];
const PID_LINKS: &[&str] = &["cwd", "exe", "root"];
const GLOBAL_TEXT: &[&str] = &[
    "cpuinfo", "loadavg", "meminfo", "mounts", "stat", "uptime", "version",
];

impl Inode for ProcRoot {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.meta.stat(1, FileType::Directory, 0o555, 0))
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, 1)
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if name == b"self" || name == b"thread-self" {
            return Ok(Arc::new(SelfLink {
                meta: self.meta.clone(),
                thread: name == b"thread-self",
            }));
        }
        if name == b"filesystems" {
            let attr = NewAttr {
                mode: 0o444,
                uid: 0,
                gid: 0,
            };
            return Ok(super::mem::MemFile::with_content(
                &self.fs,
                attr,
                b"nodev\ttmpfs\nnodev\tproc\nnodev\toverlay\n",
            ));
        }
        if let Ok(s) = std::str::from_utf8(name) {
            if let Ok(pid) = s.parse::<i32>() {
                if pid > 0 && !s.starts_with('0') && !s.starts_with('+') && view_of(pid).is_some() {
                    return Ok(Arc::new(PidDir {
                        meta: self.meta.clone(),
                        pid,
                    }));
                }
            }
            if s == "mounts" {
                if let Some(text) = caller().and_then(|c| mounts_of(&c)) {
                    return Ok(Arc::new(TextFile {
                        meta: self.meta.clone(),
                        ino: ino(1, 0, hash(s)),
                        text,
                    }));
                }
            }
            if GLOBAL_TEXT.contains(&s) {
                if let Some(text) = source().and_then(|src| src.global_text(s)) {
                    return Ok(Arc::new(TextFile {
                        meta: self.meta.clone(),
                        ino: ino(1, 0, hash(s)),
                        text,
                    }));
                }
            }
        }
        Err(Errno::ENOENT)
    }
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut v = vec![
            DirEntry {
                name: b"self".to_vec(),
                ino: 2,
                kind: FileType::Symlink,
            },
            DirEntry {
                name: b"thread-self".to_vec(),
                ino: 3,
                kind: FileType::Symlink,
            },
            DirEntry {
                name: b"filesystems".to_vec(),
                ino: 4,
                kind: FileType::Regular,
            },
        ];
        if let Some(src) = source() {
            for name in GLOBAL_TEXT {
                if *name == "mounts" || src.global_text(name).is_some() {
                    v.push(DirEntry {
                        name: name.as_bytes().to_vec(),
                        ino: ino(1, 0, hash(name)),
                        kind: FileType::Regular,
                    });
                }
            }
        }
        for pid in pids() {
            v.push(DirEntry {
                name: pid.to_string().into_bytes(),
                ino: ino(2, pid, 0),
                kind: FileType::Directory,
            });
        }
        Ok(v)
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(super::host::DirOps))
    }
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        Ok([0x9fa0, 4096, 0, 0, 0, 0])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /proc/PID/mounts from the VFS's own mount table.
fn mounts_of(v: &ProcessView) -> Option<Vec<u8>> {
    crate::vfs::MountTable::find(v.root.mount.id).map(|t| t.mounts_text())
}

fn hash(s: &str) -> u64 {
    s.bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        & 0xff_ffff
}

/// /proc/self and /proc/thread-self.
pub struct SelfLink {
    meta: Arc<Meta>,
    thread: bool,
}

impl Inode for SelfLink {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self
            .meta
            .stat(2 + u64::from(self.thread), FileType::Symlink, 0o777, 0))
    }
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, 2 + u64::from(self.thread))
    }
    fn readlink(&self, creds: &Creds) -> Result<Vec<u8>, Errno> {
        // The per-thread caller record is authoritative; without one only a real pid in
        // the creds will do (never guess: a wrong /proc/self/exe runs the wrong program).
        let pid = caller().map_or(creds.pid, |c| c.pid);
        if pid <= 0 {
            return Err(Errno::ENOENT);
        }
        Ok(pid.to_string().into_bytes())
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /proc/PID.
pub struct PidDir {
    meta: Arc<Meta>,
    pid: i32,
}

impl Inode for PidDir {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self
            .meta
            .stat(ino(2, self.pid, 0), FileType::Directory, 0o555, 0))
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, ino(2, self.pid, 0))
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let s = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        if s == "fd" {
            return Ok(Arc::new(FdDir {
                meta: self.meta.clone(),
                pid: self.pid,
            }));
        }
        if let Some(i) = PID_LINKS.iter().position(|l| *l == s) {
            return Ok(Arc::new(PidLink {
                meta: self.meta.clone(),
                pid: self.pid,
                which: i,
            }));
        }
        if s == "mounts" {
            if let Some(text) = view_of(self.pid).and_then(|v| mounts_of(&v)) {
                return Ok(Arc::new(TextFile {
                    meta: self.meta.clone(),
                    ino: ino(3, self.pid, hash(s)),
                    text,
                }));
            }
        }
        if PID_TEXT.contains(&s) {
            if let Some(text) = source().and_then(|src| src.text(self.pid, s)) {
                return Ok(Arc::new(TextFile {
                    meta: self.meta.clone(),
                    ino: ino(3, self.pid, hash(s)),
                    text,
                }));
            }
        }
        Err(Errno::ENOENT)
    }
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let mut v = vec![DirEntry {
            name: b"fd".to_vec(),
            ino: ino(4, self.pid, 0),
            kind: FileType::Directory,
        }];
        for (i, l) in PID_LINKS.iter().enumerate() {
            v.push(DirEntry {
                name: l.as_bytes().to_vec(),
                ino: ino(5, self.pid, i as u64),
                kind: FileType::Symlink,
            });
        }
        if let Some(src) = source() {
            for name in PID_TEXT {
                if *name == "mounts" || src.text(self.pid, name).is_some() {
                    v.push(DirEntry {
                        name: name.as_bytes().to_vec(),
                        ino: ino(3, self.pid, hash(name)),
                        kind: FileType::Regular,
                    });
                }
            }
        }
        Ok(v)
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(super::host::DirOps))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /proc/PID/{cwd,exe,root}.
pub struct PidLink {
    meta: Arc<Meta>,
    pid: i32,
    which: usize,
}

impl PidLink {
    fn target(&self) -> Result<(Vec<u8>, Option<Arc<Dentry>>), Errno> {
        let v = view_of(self.pid).ok_or(Errno::ENOENT)?;
        Ok(match PID_LINKS[self.which] {
            "cwd" => (v.cwd.path_from(Some(&v.root)), Some(v.cwd.clone())),
            "root" => (b"/".to_vec(), Some(v.root.clone())),
            _ => (v.exe.clone().into_bytes(), None),
        })
    }
}

impl Inode for PidLink {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.meta.stat(
            ino(5, self.pid, self.which as u64),
            FileType::Symlink,
            0o777,
            0,
        ))
    }
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, ino(5, self.pid, self.which as u64))
    }
    fn readlink(&self, _creds: &Creds) -> Result<Vec<u8>, Errno> {
        Ok(self.target()?.0)
    }
    fn magic_link(&self) -> Option<Arc<Dentry>> {
        self.target().ok().and_then(|t| t.1)
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /proc/PID/fd.
pub struct FdDir {
    meta: Arc<Meta>,
    pid: i32,
}

impl Inode for FdDir {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self
            .meta
            .stat(ino(4, self.pid, 0), FileType::Directory, 0o500, 0))
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, ino(4, self.pid, 0))
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let s = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        let fd: i32 = s.parse().map_err(|_| Errno::ENOENT)?;
        if fd < 0 || s.starts_with('+') || (s.len() > 1 && s.starts_with('0')) {
            return Err(Errno::ENOENT);
        }
        let v = view_of(self.pid).ok_or(Errno::ENOENT)?;
        let fds = v.fds.upgrade().ok_or(Errno::ENOENT)?;
        let file = fds.get(fd).map_err(|_| Errno::ENOENT)?;
        Ok(Arc::new(FdLink {
            meta: self.meta.clone(),
            pid: self.pid,
            fd,
            file,
        }))
    }
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let v = view_of(self.pid).ok_or(Errno::ENOENT)?;
        let fds = v.fds.upgrade().ok_or(Errno::ENOENT)?;
        Ok(fds
            .fds()
            .into_iter()
            .map(|fd| DirEntry {
                name: fd.to_string().into_bytes(),
                ino: ino(6, self.pid, fd as u64),
                kind: FileType::Symlink,
            })
            .collect())
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(super::host::DirOps))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /proc/PID/fd/N: names the open file; opening it reaches the same object.
pub struct FdLink {
    meta: Arc<Meta>,
    pid: i32,
    fd: i32,
    file: Arc<File>,
}

impl Inode for FdLink {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.meta.stat(
            ino(6, self.pid, self.fd as u64),
            FileType::Symlink,
            0o700,
            64,
        ))
    }
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, ino(6, self.pid, self.fd as u64))
    }
    fn readlink(&self, _creds: &Creds) -> Result<Vec<u8>, Errno> {
        Ok(self.file.name().as_bytes().to_vec())
    }
    fn magic_link(&self) -> Option<Arc<Dentry>> {
        if let Some(d) = self.file.dentry() {
            return Some(d.clone());
        }
        // A file without a name (pipe, inherited host fd): a detached dentry whose
        // inode re-opens the same object.
        let inode: Arc<dyn Inode> = Arc::new(OpenFileInode {
            file: self.file.clone(),
            dev: self.meta.dev,
        });
        let mount = Arc::new(Mount {
            id: u32::MAX - 1,
            readonly: false,
            root: inode.clone(),
        });
        Some(Dentry::new(
            inode,
            mount,
            None,
            self.file.name().as_bytes().to_vec(),
        ))
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open file reached through /proc/PID/fd/N that has no dentry of its own.
struct OpenFileInode {
    file: Arc<File>,
    dev: u64,
}

impl Inode for OpenFileInode {
    fn stat(&self) -> Result<Stat, Errno> {
        self.file.stat()
    }
    fn file_type(&self) -> FileType {
        self.file
            .stat()
            .ok()
            .and_then(|s| s.file_type())
            .unwrap_or(FileType::Regular)
    }
    fn id(&self) -> (u64, u64) {
        self.file
            .stat()
            .map(|s| (s.dev, s.ino))
            .unwrap_or((self.dev, 0))
    }
    fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        self.file.ops().reopen(flags).unwrap_or(Err(Errno::ENXIO))
    }
    fn setattr(&self, attr: &crate::vfs::SetAttr) -> Result<(), Errno> {
        self.file.setattr(attr)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A read-only file whose content was produced at lookup.
pub struct TextFile {
    meta: Arc<Meta>,
    ino: u64,
    text: Vec<u8>,
}

impl Inode for TextFile {
    fn stat(&self) -> Result<Stat, Errno> {
        Ok(self.meta.stat(self.ino, FileType::Regular, 0o444, 0))
    }
    fn file_type(&self) -> FileType {
        FileType::Regular
    }
    fn id(&self) -> (u64, u64) {
        (self.meta.dev, self.ino)
    }
    fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        if flags & libc::O_ACCMODE as u32 != libc::O_RDONLY as u32 {
            return Err(Errno::EACCES);
        }
        Ok(Box::new(TextOps(self.text.clone())))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct TextOps(Vec<u8>);

impl FileOps for TextOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = usize::try_from(off).unwrap_or(usize::MAX);
        if off >= self.0.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.0.len() - off);
        buf[..n].copy_from_slice(&self.0[off..off + n]);
        Ok(n)
    }
    fn seekable(&self) -> bool {
        true
    }
}

/// Builds a procfs instance.
pub fn new_procfs() -> Arc<dyn Inode> {
    static FS: OnceLock<Arc<MemFs>> = OnceLock::new();
    let fs = FS.get_or_init(|| MemFs::new(0x9fa0)).clone();
    Arc::new(ProcRoot {
        meta: Arc::new(Meta {
            dev: fs.dev,
            created: Timespec::now(),
        }),
        fs,
    })
}
