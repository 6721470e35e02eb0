//! The inode: one filesystem object (file, directory, symlink, device...), as each
//! filesystem in `crate::fs` implements it.

use super::file::FileOps;
use abi::Errno;
use std::any::Any;
use std::sync::Arc;

/// The kind of a filesystem object (the `S_IFMT` bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDev,
    BlockDev,
    Fifo,
    Socket,
}

impl FileType {
    /// The `S_IFMT` bits of `st_mode`.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => 0o100000,
            FileType::Directory => 0o040000,
            FileType::Symlink => 0o120000,
            FileType::CharDev => 0o020000,
            FileType::BlockDev => 0o060000,
            FileType::Fifo => 0o010000,
            FileType::Socket => 0o140000,
        }
    }

    /// The `d_type` value getdents64 reports.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDev => 2,
            FileType::Directory => 4,
            FileType::BlockDev => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }

    /// The type encoded in a full `st_mode`, if any.
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o100000 => FileType::Regular,
            0o040000 => FileType::Directory,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::CharDev,
            0o060000 => FileType::BlockDev,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }
}

/// A point in time as Linux stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

impl Timespec {
    /// The current wall-clock time.
    pub fn now() -> Timespec {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timespec {
            sec: d.as_secs() as i64,
            nsec: i64::from(d.subsec_nanos()),
        }
    }
}

/// What stat(2) reports, before encoding into the application's `struct stat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    /// Type and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Stat {
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }

    /// Fills `blocks` (512-byte units) and `blksize` from `size`, as tmpfs does.
    pub fn with_mem_blocks(mut self) -> Stat {
        self.blksize = 4096;
        self.blocks = self.size.div_ceil(4096) * 8;
        self
    }
}

/// One directory entry as getdents64 lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub kind: FileType,
}

/// A metadata change (chmod, chown, truncate, utimensat). `None` leaves a field alone.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetAttr {
    /// Permission bits only (07777).
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<Timespec>,
    pub mtime: Option<Timespec>,
    /// chown: clear set-user-ID (and set-group-ID with group exec) on non-directories.
    pub kill_suid: bool,
}

/// Who creates a new object: its owner and initial permission bits (umask applied).
#[derive(Clone, Copy, Debug)]
pub struct NewAttr {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// A filesystem object. Methods a kind of object does not support keep their default,
/// which returns the errno Linux gives for that kind. Implementations hold their own
/// locks; no method is called with a VFS lock held.
pub trait Inode: Send + Sync + Any {
    /// Current metadata.
    fn stat(&self) -> Result<Stat, Errno>;

    /// The object's type, which never changes.
    fn file_type(&self) -> FileType;

    /// `(st_dev, st_ino)`: identifies the object while it lives (mount points use it).
    fn id(&self) -> (u64, u64);

    /// The child called `name` (never "." or ".."; the walk handles those).
    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Every entry but "." and "..".
    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// A symlink's target.
    fn readlink(&self, _creds: &super::Creds) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// An open file description's operations. `flags` are the open(2) flags; the VFS
    /// has checked permissions and the read-only mount already. O_TRUNC is applied by
    /// the VFS through `setattr`.
    fn open(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno>;

    /// Creates a regular file (O_CREAT). EEXIST if `name` exists.
    fn create(&self, _name: &[u8], _attr: NewAttr) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    fn mkdir(&self, _name: &[u8], _attr: NewAttr) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Creates a device, FIFO or socket node (type bits in `attr.mode`).
    fn mknod(&self, _name: &[u8], _attr: NewAttr, _rdev: u64) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn symlink(&self, _name: &[u8], _target: &[u8], _attr: NewAttr) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Adds `target` (same filesystem) under `name`.
    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// unlink(2) when `dir` is false, rmdir(2) when true.
    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Moves `old` in this directory to `new` in `new_dir` (same filesystem; the VFS
    /// checked that with `same_fs`). Replaces a compatible existing target.
    fn rename(
        &self,
        _old: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new: &[u8],
        _noreplace: bool,
    ) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// RENAME_EXCHANGE: swaps `a` in this directory with `b` in `other` (both exist).
    fn exchange(&self, _a: &[u8], _other: &Arc<dyn Inode>, _b: &[u8]) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    fn setattr(&self, _attr: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    /// statfs(2) `f_type` and friends: `(f_type, f_bsize, f_blocks, f_bfree, f_files, f_ffree)`.
    fn statfs(&self) -> Result<[u64; 6], Errno> {
        Ok([0x0102_1994, 4096, 0, 0, 0, 0])
    }

    /// For /proc's magic links (/proc/PID/fd/N, cwd, exe): the object itself, which
    /// the walk jumps to instead of resolving `readlink`'s text.
    fn magic_link(&self) -> Option<Arc<super::Dentry>> {
        None
    }

    /// Whether a directory has been removed (getcwd then fails with ENOENT).
    fn is_removed(&self) -> bool {
        false
    }

    /// For downcasts (rename between two directories of one filesystem).
    fn as_any(&self) -> &dyn Any;
}

/// Whether `a` and `b` are the same object.
pub fn same_inode(a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)) || a.id() == b.id()
}
