//! hostfs: a host directory tree reached only through donated directory descriptors.
//!
//! Security rule: every host path operation names ONE component relative to an O_PATH
//! descriptor of its directory, and opens go through `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS)` with O_NOFOLLOW. The host never follows
//! a symlink for us: the sentry's path walk reads links and resolves them inside the
//! container's tree. Operations that would follow a final symlink on the host
//! (chmod, truncate, utimes) open the object first and act on the descriptor.

use crate::vfs::inode::NewAttr;
use crate::vfs::{DirEntry, FileOps, FileType, Inode, SetAttr, Stat, Timespec};
use abi::Errno;
use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};
use std::any::Any;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Weak};

pub(crate) fn errno(e: rustix::io::Errno) -> Errno {
    Errno::from_raw(e.raw_os_error())
}

fn resolve() -> ResolveFlags {
    ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS | ResolveFlags::NO_SYMLINKS
}

/// Rejects anything that is not one plain component.
fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0)
    {
        return Err(Errno::ENOENT);
    }
    Ok(())
}

/// Opens the single component `name` under `dir`, never following a symlink.
pub(crate) fn open_beneath(
    dir: BorrowedFd<'_>,
    name: &[u8],
    flags: OFlags,
    mode: u32,
) -> Result<OwnedFd, Errno> {
    check_name(name)?;
    // openat2 rejects O_NOCTTY (and most flags) together with O_PATH.
    let extra = if flags.contains(OFlags::PATH) {
        OFlags::empty()
    } else {
        OFlags::NOCTTY
    };
    let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC | extra;
    rustix::fs::openat2(dir, name, flags, Mode::from_raw_mode(mode), resolve()).map_err(errno)
}

/// Host owner ids as the container sees them: the overflow id (files owned by users
/// the sandbox's user namespace does not map) and the sandbox's own id are root.
fn inner_id(id: u32, own: u32) -> u32 {
    if id == 65534 || id == own {
        0
    } else {
        id
    }
}

fn own_ids() -> (u32, u32) {
    static IDS: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();
    *IDS.get_or_init(|| {
        (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        )
    })
}

/// Converts a host stat.
pub(crate) fn from_host_stat(s: &rustix::fs::Stat) -> Stat {
    let (ou, og) = own_ids();
    Stat {
        dev: s.st_dev,
        ino: s.st_ino,
        mode: s.st_mode,
        nlink: s.st_nlink,
        uid: inner_id(s.st_uid, ou),
        gid: inner_id(s.st_gid, og),
        rdev: s.st_rdev,
        size: u64::try_from(s.st_size).unwrap_or(0),
        blksize: u64::try_from(s.st_blksize).unwrap_or(4096),
        blocks: u64::try_from(s.st_blocks).unwrap_or(0),
        atime: Timespec {
            sec: s.st_atime as i64,
            nsec: s.st_atime_nsec as i64,
        },
        mtime: Timespec {
            sec: s.st_mtime as i64,
            nsec: s.st_mtime_nsec as i64,
        },
        ctime: Timespec {
            sec: s.st_ctime as i64,
            nsec: s.st_ctime_nsec as i64,
        },
    }
}

fn fstat(fd: BorrowedFd<'_>) -> Result<Stat, Errno> {
    rustix::fs::fstat(fd)
        .map(|s| from_host_stat(&s))
        .map_err(errno)
}

fn host_statfs(fd: BorrowedFd<'_>) -> Result<[u64; 6], Errno> {
    let s = rustix::fs::fstatfs(fd).map_err(errno)?;
    Ok([
        s.f_type as u64,
        s.f_bsize as u64,
        s.f_blocks,
        s.f_bfree,
        s.f_files,
        s.f_ffree,
    ])
}

/// A host directory, held open with O_PATH.
pub struct HostDir {
    me: Weak<HostDir>,
    fd: OwnedFd,
    ids: (u64, u64),
}

/// Any other host object (file, symlink, device node...), held with O_PATH.
pub struct HostNode {
    parent: Arc<HostDir>,
    name: Vec<u8>,
    fd: OwnedFd,
    kind: FileType,
    ids: (u64, u64),
    /// The metadata seen at lookup (the overlay's lower layer is read-only, so it
    /// serves stat there without another host call).
    seen: Stat,
}

/// What a host lookup found.
pub enum HostChild {
    Dir(Arc<HostDir>),
    Node(Arc<HostNode>),
}

impl HostChild {
    pub fn into_inode(self) -> Arc<dyn Inode> {
        match self {
            HostChild::Dir(d) => d,
            HostChild::Node(n) => n,
        }
    }
}

impl HostDir {
    /// Wraps a donated directory descriptor (re-opened with O_PATH, so the original's
    /// flags do not matter).
    pub fn new(fd: OwnedFd) -> Result<Arc<HostDir>, Errno> {
        let st = fstat(fd.as_fd())?;
        if st.file_type() != Some(FileType::Directory) {
            return Err(Errno::ENOTDIR);
        }
        Ok(Arc::new_cyclic(|me| HostDir {
            me: me.clone(),
            fd,
            ids: (st.dev, st.ino),
        }))
    }

    fn from_path_fd(fd: OwnedFd, st: &Stat) -> Arc<HostDir> {
        Arc::new_cyclic(|me| HostDir {
            me: me.clone(),
            fd,
            ids: (st.dev, st.ino),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Looks `name` up on the host without following it.
    pub fn host_lookup(&self, name: &[u8]) -> Result<HostChild, Errno> {
        let fd = open_beneath(self.fd.as_fd(), name, OFlags::PATH, 0)?;
        let st = fstat(fd.as_fd())?;
        let kind = st.file_type().ok_or(Errno::EIO)?;
        if kind == FileType::Directory {
            return Ok(HostChild::Dir(HostDir::from_path_fd(fd, &st)));
        }
        let parent = self.me.upgrade().ok_or(Errno::ENOENT)?;
        Ok(HostChild::Node(Arc::new(HostNode {
            parent,
            name: name.to_vec(),
            fd,
            kind,
            ids: (st.dev, st.ino),
            seen: st,
        })))
    }

    /// Lists the host directory (without "." and "..").
    pub fn host_readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        let fd = rustix::fs::openat2(
            self.fd.as_fd(),
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            resolve(),
        )
        .map_err(errno)?;
        let mut dir = rustix::fs::Dir::new(fd).map_err(errno)?;
        let mut out = Vec::new();
        while let Some(e) = dir.read() {
            let e = e.map_err(errno)?;
            let name = e.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match e.file_type() {
                rustix::fs::FileType::Directory => FileType::Directory,
                rustix::fs::FileType::Symlink => FileType::Symlink,
                rustix::fs::FileType::CharacterDevice => FileType::CharDev,
                rustix::fs::FileType::BlockDevice => FileType::BlockDev,
                rustix::fs::FileType::Fifo => FileType::Fifo,
                rustix::fs::FileType::Socket => FileType::Socket,
                _ => FileType::Regular,
            };
            out.push(DirEntry {
                name: name.to_vec(),
                ino: e.ino(),
                kind,
            });
        }
        Ok(out)
    }
}

impl Inode for HostDir {
    fn stat(&self) -> Result<Stat, Errno> {
        fstat(self.fd.as_fd())
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn id(&self) -> (u64, u64) {
        self.ids
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Ok(self.host_lookup(name)?.into_inode())
    }
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        self.host_readdir()
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(DirOps))
    }
    fn create(&self, name: &[u8], attr: NewAttr) -> Result<Arc<dyn Inode>, Errno> {
        check_name(name)?;
        rustix::fs::mknodat(
            self.fd.as_fd(),
            name,
            rustix::fs::FileType::RegularFile,
            Mode::from_raw_mode(attr.mode & 0o7777),
            0,
        )
        .map_err(errno)?;
        self.lookup(name)
    }
    fn mkdir(&self, name: &[u8], attr: NewAttr) -> Result<(), Errno> {
        check_name(name)?;
        rustix::fs::mkdirat(
            self.fd.as_fd(),
            name,
            Mode::from_raw_mode(attr.mode & 0o7777),
        )
        .map_err(errno)
    }
    fn mknod(&self, name: &[u8], attr: NewAttr, _rdev: u64) -> Result<(), Errno> {
        check_name(name)?;
        let kind = match FileType::from_mode(attr.mode) {
            Some(FileType::Fifo) => rustix::fs::FileType::Fifo,
            Some(FileType::Socket) => rustix::fs::FileType::Socket,
            Some(FileType::Regular) | None => rustix::fs::FileType::RegularFile,
            _ => return Err(Errno::EPERM),
        };
        rustix::fs::mknodat(
            self.fd.as_fd(),
            name,
            kind,
            Mode::from_raw_mode(attr.mode & 0o7777),
            0,
        )
        .map_err(errno)
    }
    fn symlink(&self, name: &[u8], target: &[u8], _attr: NewAttr) -> Result<(), Errno> {
        check_name(name)?;
        rustix::fs::symlinkat(target, self.fd.as_fd(), name).map_err(errno)
    }
    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        check_name(name)?;
        let t = target
            .as_any()
            .downcast_ref::<HostNode>()
            .ok_or(Errno::EXDEV)?;
        rustix::fs::linkat(
            t.parent.fd.as_fd(),
            t.name.as_slice(),
            self.fd.as_fd(),
            name,
            AtFlags::empty(),
        )
        .map_err(errno)
    }
    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        check_name(name)?;
        let flags = if dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        rustix::fs::unlinkat(self.fd.as_fd(), name, flags).map_err(errno)
    }
    fn rename(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        noreplace: bool,
    ) -> Result<(), Errno> {
        check_name(old)?;
        check_name(new)?;
        let nd = new_dir
            .as_any()
            .downcast_ref::<HostDir>()
            .ok_or(Errno::EXDEV)?;
        let flags = if noreplace {
            rustix::fs::RenameFlags::NOREPLACE
        } else {
            rustix::fs::RenameFlags::empty()
        };
        rustix::fs::renameat_with(self.fd.as_fd(), old, nd.fd.as_fd(), new, flags).map_err(errno)
    }
    fn exchange(&self, a: &[u8], other: &Arc<dyn Inode>, b: &[u8]) -> Result<(), Errno> {
        check_name(a)?;
        check_name(b)?;
        let od = other
            .as_any()
            .downcast_ref::<HostDir>()
            .ok_or(Errno::EXDEV)?;
        rustix::fs::renameat_with(
            self.fd.as_fd(),
            a,
            od.fd.as_fd(),
            b,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .map_err(errno)
    }
    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        let fd = rustix::fs::openat2(
            self.fd.as_fd(),
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
            resolve(),
        )
        .map_err(errno)?;
        if attr.size.is_some() {
            return Err(Errno::EISDIR);
        }
        apply_attr(fd.as_fd(), attr)
    }
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        host_statfs(self.fd.as_fd())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl HostNode {
    pub fn kind(&self) -> FileType {
        self.kind
    }

    /// Metadata as of the lookup.
    pub fn seen_stat(&self) -> Stat {
        self.seen
    }

    /// Opens the host file for I/O (regular files only).
    pub fn open_host(&self, flags: u32) -> Result<OwnedFd, Errno> {
        if self.kind != FileType::Regular {
            return Err(Errno::ENXIO);
        }
        let keep = (libc::O_ACCMODE | libc::O_APPEND) as u32;
        let f = OFlags::from_bits_retain(flags & keep);
        open_beneath(self.parent.fd.as_fd(), &self.name, f, 0)
    }

    /// Streams the whole content to `sink` in 64 KiB pieces (overlay copy-up).
    pub fn read_all(
        &self,
        mut sink: impl FnMut(&[u8], u64) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let fd = self.open_host(libc::O_RDONLY as u32)?;
        let mut buf = vec![0u8; 1 << 16];
        let mut off = 0u64;
        loop {
            let n = rustix::io::read(fd.as_fd(), &mut buf).map_err(errno)?;
            if n == 0 {
                return Ok(());
            }
            sink(&buf[..n], off)?;
            off += n as u64;
        }
    }
}

impl Inode for HostNode {
    fn stat(&self) -> Result<Stat, Errno> {
        fstat(self.fd.as_fd())
    }
    fn file_type(&self) -> FileType {
        self.kind
    }
    fn id(&self) -> (u64, u64) {
        self.ids
    }
    fn readlink(&self, _creds: &crate::vfs::Creds) -> Result<Vec<u8>, Errno> {
        if self.kind != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        let t = rustix::fs::readlinkat(self.fd.as_fd(), "", Vec::new()).map_err(errno)?;
        Ok(t.into_bytes())
    }
    fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Ok(Box::new(HostFileOps {
            fd: self.open_host(flags)?,
        }))
    }
    fn setattr(&self, attr: &SetAttr) -> Result<(), Errno> {
        if self.kind != FileType::Regular {
            return Err(Errno::EPERM);
        }
        let acc = if attr.size.is_some() {
            libc::O_WRONLY
        } else {
            libc::O_RDONLY
        };
        let fd = self.open_host(acc as u32)?;
        apply_attr(fd.as_fd(), attr)
    }
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        host_statfs(self.fd.as_fd())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn apply_attr(fd: BorrowedFd<'_>, attr: &SetAttr) -> Result<(), Errno> {
    if let Some(m) = attr.mode {
        rustix::fs::fchmod(fd, Mode::from_raw_mode(m & 0o7777)).map_err(errno)?;
    }
    // Ownership changes are accepted and not applied: the sandbox runs as an
    // unprivileged host user that could not give files away anyway.
    if let Some(s) = attr.size {
        rustix::fs::ftruncate(fd, s).map_err(errno)?;
    }
    if attr.atime.is_some() || attr.mtime.is_some() {
        let omit = rustix::fs::Timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_OMIT,
        };
        let conv = |t: Option<Timespec>| {
            t.map_or(omit, |t| rustix::fs::Timespec {
                tv_sec: t.sec,
                tv_nsec: t.nsec,
            })
        };
        let ts = rustix::fs::Timestamps {
            last_access: conv(attr.atime),
            last_modification: conv(attr.mtime),
        };
        rustix::fs::futimens(fd, &ts).map_err(errno)?;
    }
    Ok(())
}

/// An open host regular file.
pub struct HostFileOps {
    fd: OwnedFd,
}

impl HostFileOps {
    pub fn from_fd(fd: OwnedFd) -> HostFileOps {
        HostFileOps { fd }
    }
}

impl FileOps for HostFileOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        rustix::io::pread(self.fd.as_fd(), buf, off).map_err(errno)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        rustix::io::pwrite(self.fd.as_fd(), buf, off).map_err(errno)
    }
    fn seekable(&self) -> bool {
        true
    }
    fn stat(&self) -> Option<Result<Stat, Errno>> {
        Some(fstat(self.fd.as_fd()))
    }
    fn truncate(&self, size: u64) -> Result<(), Errno> {
        rustix::fs::ftruncate(self.fd.as_fd(), size).map_err(errno)
    }
    fn sync(&self) -> Result<(), Errno> {
        rustix::fs::fsync(self.fd.as_fd()).map_err(errno)
    }
}

/// An open directory of any filesystem: reading it is getdents64's job (the VFS lists
/// entries through the inode), so read(2) gives EISDIR.
pub struct DirOps;

impl FileOps for DirOps {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
}
