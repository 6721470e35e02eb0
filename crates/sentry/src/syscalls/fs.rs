//! Path-based filesystem calls: open, stat, directories, links, renames, attributes.
//!
//! Handlers: sys_open, sys_openat, sys_openat2, sys_creat, sys_stat, sys_fstat,
//! sys_lstat, sys_newfstatat, sys_statx, sys_readlink, sys_readlinkat, sys_access,
//! sys_faccessat, sys_faccessat2, sys_getcwd, sys_chdir, sys_fchdir, sys_mkdir,
//! sys_mkdirat, sys_mknod, sys_mknodat, sys_unlink, sys_unlinkat, sys_rmdir,
//! sys_rename, sys_renameat, sys_renameat2, sys_symlink, sys_symlinkat, sys_link,
//! sys_linkat, sys_chmod, sys_fchmod, sys_fchmodat, sys_chown, sys_fchown, sys_lchown,
//! sys_fchownat, sys_truncate, sys_ftruncate, sys_utimensat, sys_umask, sys_statfs,
//! sys_fstatfs, and the xattr family (sys_{,l,f}{get,set,list,remove}xattr), kept in
//! sandbox memory (`fs::xattr`).

use super::file::install;
use super::strace::Arg::{self, *};
use super::table::Support::{self, *};
use super::{Args, Handler, SysResult};
use crate::kernel::Task;
use crate::vfs::{Creds, Dentry, FileType, SetAttr, Stat, Timespec};
use abi::Errno;
use std::sync::Arc;

use Handler::Plain as P;

#[rustfmt::skip]
pub const HANDLERS: &[(u64, Handler, Support, &[Arg])] = &[
    (2, P(sys_open), Full, &[Path, Hex, Hex]),
    (4, P(sys_stat), Full, &[Path, Ptr]),
    (5, P(sys_fstat), Full, &[Fd, Ptr]),
    (6, P(sys_lstat), Full, &[Path, Ptr]),
    (21, P(sys_access), Full, &[Path, Int]),
    (76, P(sys_truncate), Full, &[Path, Int]),
    (77, P(sys_ftruncate), Full, &[Fd, Int]),
    (79, P(sys_getcwd), Full, &[Ptr, Size]),
    (80, P(sys_chdir), Full, &[Path]),
    (81, P(sys_fchdir), Full, &[Fd]),
    (82, P(sys_rename), Full, &[Path, Path]),
    (83, P(sys_mkdir), Full, &[Path, Hex]),
    (84, P(sys_rmdir), Full, &[Path]),
    (85, P(sys_creat), Full, &[Path, Hex]),
    (86, P(sys_link), Full, &[Path, Path]),
    (87, P(sys_unlink), Full, &[Path]),
    (88, P(sys_symlink), Full, &[Path, Path]),
    (89, P(sys_readlink), Full, &[Path, Ptr, Size]),
    (90, P(sys_chmod), Full, &[Path, Hex]),
    (91, P(sys_fchmod), Full, &[Fd, Hex]),
    (92, P(sys_chown), Partial("ownership kept in memory only"), &[Path, Int, Int]),
    (93, P(sys_fchown), Partial("ownership kept in memory only"), &[Fd, Int, Int]),
    (94, P(sys_lchown), Partial("ownership kept in memory only"), &[Path, Int, Int]),
    (95, P(sys_umask), Full, &[Hex]),
    (133, P(sys_mknod), Partial("socket nodes cannot be opened"), &[Path, Hex, Hex]),
    (137, P(sys_statfs), Full, &[Path, Ptr]),
    (138, P(sys_fstatfs), Full, &[Fd, Ptr]),
    (257, P(sys_openat), Full, &[Fd, Path, Hex, Hex]),
    (258, P(sys_mkdirat), Full, &[Fd, Path, Hex]),
    (259, P(sys_mknodat), Partial("socket nodes cannot be opened"), &[Fd, Path, Hex, Hex]),
    (260, P(sys_fchownat), Partial("ownership kept in memory only"), &[Fd, Path, Int, Int, Hex]),
    (262, P(sys_newfstatat), Full, &[Fd, Path, Ptr, Hex]),
    (263, P(sys_unlinkat), Full, &[Fd, Path, Hex]),
    (264, P(sys_renameat), Full, &[Fd, Path, Fd, Path]),
    (265, P(sys_linkat), Full, &[Fd, Path, Fd, Path, Hex]),
    (266, P(sys_symlinkat), Full, &[Path, Fd, Path]),
    (267, P(sys_readlinkat), Full, &[Fd, Path, Ptr, Size]),
    (268, P(sys_fchmodat), Full, &[Fd, Path, Hex]),
    (269, P(sys_faccessat), Full, &[Fd, Path, Int]),
    (280, P(sys_utimensat), Full, &[Fd, Path, Ptr, Hex]),
    (132, P(sys_utime), Full, &[Path, Ptr]),
    (235, P(sys_utimes), Full, &[Path, Ptr]),
    (261, P(sys_futimesat), Full, &[Fd, Path, Ptr]),
    (316, P(sys_renameat2), Partial("RENAME_EXCHANGE and RENAME_WHITEOUT unsupported"), &[Fd, Path, Fd, Path, Hex]),
    (332, P(sys_statx), Full, &[Fd, Path, Hex, Hex, Ptr]),
    (437, P(sys_openat2), Partial("RESOLVE_CACHED is ignored"), &[Fd, Path, Ptr, Size]),
    (439, P(sys_faccessat2), Full, &[Fd, Path, Int, Hex]),
    (161, P(sys_chroot), Full, &[Path]),
    (188, P(sys_setxattr), Partial("kept in sandbox memory"), &[Path, Ptr, Ptr, Size, Hex]),
    (189, P(sys_lsetxattr), Partial("kept in sandbox memory"), &[Path, Ptr, Ptr, Size, Hex]),
    (190, P(sys_fsetxattr), Partial("kept in sandbox memory"), &[Fd, Ptr, Ptr, Size, Hex]),
    (191, P(sys_getxattr), Partial("kept in sandbox memory"), &[Path, Ptr, Ptr, Size]),
    (192, P(sys_lgetxattr), Partial("kept in sandbox memory"), &[Path, Ptr, Ptr, Size]),
    (193, P(sys_fgetxattr), Partial("kept in sandbox memory"), &[Fd, Ptr, Ptr, Size]),
    (194, P(sys_listxattr), Partial("kept in sandbox memory"), &[Path, Ptr, Size]),
    (195, P(sys_llistxattr), Partial("kept in sandbox memory"), &[Path, Ptr, Size]),
    (196, P(sys_flistxattr), Partial("kept in sandbox memory"), &[Fd, Ptr, Size]),
    (197, P(sys_removexattr), Partial("kept in sandbox memory"), &[Path, Ptr]),
    (198, P(sys_lremovexattr), Partial("kept in sandbox memory"), &[Path, Ptr]),
    (199, P(sys_fremovexattr), Partial("kept in sandbox memory"), &[Fd, Ptr]),
];

const AT_FDCWD: i32 = -100;
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_REMOVEDIR: u32 = 0x200;
const AT_SYMLINK_FOLLOW: u32 = 0x400;
const AT_NO_AUTOMOUNT: u32 = 0x800;
const AT_EMPTY_PATH: u32 = 0x1000;
const AT_EACCESS: u32 = 0x200;
const AT_STATX_SYNC_TYPE: u32 = 0x6000;

/// The identity path operations run as (the filesystem ids are the effective ones).
pub(crate) fn creds(t: &Task) -> Creds {
    crate::fs::proc::set_caller(t.pid(), &t.fds, &t.fs.cwd, &t.fs.root, &t.exe);
    Creds {
        uid: t.cred.euid,
        gid: t.cred.egid,
        groups: t.groups.to_vec(),
        pid: t.pid(),
    }
}

/// A path argument: EFAULT, ENAMETOOLONG, and ENOENT for "" unless `empty_ok`.
fn path_arg(t: &Task, addr: u64, empty_ok: bool) -> Result<Vec<u8>, Errno> {
    let p = t.copy_in_path(addr)?;
    if p.is_empty() && !empty_ok {
        return Err(Errno::ENOENT);
    }
    Ok(p)
}

/// Where a relative path starts: the cwd for AT_FDCWD, else the directory `dirfd`.
fn start_dir(t: &Task, dirfd: i32, path: &[u8]) -> Result<Option<Arc<Dentry>>, Errno> {
    if path.first() == Some(&b'/') || dirfd == AT_FDCWD {
        return Ok(None);
    }
    let f = t.fds.get(dirfd)?;
    let d = f.dentry().ok_or(Errno::ENOTDIR)?;
    if d.inode.file_type() != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok(Some(d.clone()))
}

// ---------------------------------------------------------------------------------
// open

fn do_open(t: &mut Task, dirfd: i32, path_addr: u64, flags: u32, mode: u32) -> SysResult {
    let path = path_arg(t, path_addr, false)?;
    let start = start_dir(t, dirfd, &path)?;
    let c = creds(t);
    let file = t.fs.open(
        &c,
        start.as_ref(),
        &path,
        flags | crate::vfs::oflags::LARGEFILE,
        mode,
    )?;
    install_opened(t, file, flags)
}

pub fn sys_open(t: &mut Task, a: &Args) -> SysResult {
    do_open(t, AT_FDCWD, a.addr(0), a.u32(1), a.u32(2))
}

pub fn sys_openat(t: &mut Task, a: &Args) -> SysResult {
    do_open(t, a.fd(0), a.addr(1), a.u32(2), a.u32(3))
}

pub fn sys_creat(t: &mut Task, a: &Args) -> SysResult {
    let flags = (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u32;
    do_open(t, AT_FDCWD, a.addr(0), flags, a.u32(1))
}

pub fn sys_openat2(t: &mut Task, a: &Args) -> SysResult {
    const OPEN_HOW_SIZE_VER0: usize = 24;
    let (how_addr, size) = (a.addr(2), a.usize(3));
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let how = t.mm().copy_in_vec(how_addr, size)?;
    if how[OPEN_HOW_SIZE_VER0..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let word = |i: usize| u64::from_ne_bytes(how[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let (flags, mode, resolve) = (word(0), word(1), word(2));
    let known = (libc::O_ACCMODE
        | libc::O_CREAT
        | libc::O_EXCL
        | libc::O_NOCTTY
        | libc::O_TRUNC
        | libc::O_APPEND
        | libc::O_NONBLOCK
        | libc::O_DSYNC
        | libc::O_ASYNC
        | libc::O_DIRECT
        | 0o100000
        | libc::O_DIRECTORY
        | libc::O_NOFOLLOW
        | libc::O_NOATIME
        | libc::O_CLOEXEC
        | libc::O_PATH
        | libc::O_SYNC
        | libc::O_TMPFILE) as u64;
    if flags & !known != 0 || mode & !0o7777 != 0 || resolve & !0x3f != 0 {
        return Err(Errno::EINVAL);
    }
    if mode != 0
        && flags & (libc::O_CREAT as u64) == 0
        && flags & (libc::O_TMPFILE as u64) != libc::O_TMPFILE as u64
    {
        return Err(Errno::EINVAL);
    }
    const NO_XDEV: u64 = 0x01;
    const NO_MAGICLINKS: u64 = 0x02;
    const NO_SYMLINKS: u64 = 0x04;
    const BENEATH: u64 = 0x08;
    const IN_ROOT: u64 = 0x10;
    const CACHED: u64 = 0x20;
    if resolve & BENEATH != 0 && resolve & IN_ROOT != 0 {
        return Err(Errno::EINVAL);
    }
    let flags = flags as u32;
    if resolve & CACHED != 0 && flags & (libc::O_CREAT | libc::O_TRUNC) as u32 != 0 {
        return Err(Errno::EAGAIN);
    }
    let path = path_arg(t, a.addr(1), false)?;
    let dirfd = a.fd(0);
    // BENEATH and IN_ROOT are relative to the dirfd even for absolute paths.
    let start = if resolve & (BENEATH | IN_ROOT) != 0 && dirfd != AT_FDCWD {
        let f = t.fds.get(dirfd)?;
        let d = f.dentry().ok_or(Errno::ENOTDIR)?.clone();
        if d.inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        Some(d)
    } else {
        start_dir(t, dirfd, &path)?
    };
    let r = crate::vfs::Resolve {
        beneath: (resolve & BENEATH != 0).then(|| t.fs.cwd.clone()),
        no_symlinks: resolve & NO_SYMLINKS != 0,
        no_magiclinks: resolve & NO_MAGICLINKS != 0,
        no_xdev: resolve & NO_XDEV != 0,
    };
    let c = creds(t);
    let file = t.fs.open_resolve(
        &c,
        start.as_ref(),
        &path,
        flags | crate::vfs::oflags::LARGEFILE,
        mode as u32,
        r,
        resolve & IN_ROOT != 0,
    )?;
    install_opened(t, file, flags)
}

/// Installs a newly opened file; a FIFO opened without O_NONBLOCK first waits for
/// the other side to open.
fn install_opened(t: &mut Task, file: Arc<crate::vfs::File>, flags: u32) -> SysResult {
    if file.ops().wait_partner() == Some(false) && flags & libc::O_NONBLOCK as u32 == 0 {
        if let Some(q) = file.ops().wait_queue() {
            let f = file.clone();
            t.block_on(q, crate::kernel::waiter::events::ALL, None, |_| {
                match f.ops().wait_partner() {
                    Some(false) => Err(Errno::EAGAIN),
                    _ => Ok(()),
                }
            })?;
        }
    }
    Ok(install(t, file, flags & libc::O_CLOEXEC as u32 != 0)? as u64)
}

// ---------------------------------------------------------------------------------
// stat

/// Encodes the x86-64 `struct stat` (144 bytes).
pub fn encode_stat(s: &Stat) -> [u8; 144] {
    let mut b = [0u8; 144];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(0, &s.dev.to_ne_bytes());
    put(8, &s.ino.to_ne_bytes());
    put(16, &s.nlink.to_ne_bytes());
    put(24, &s.mode.to_ne_bytes());
    put(28, &s.uid.to_ne_bytes());
    put(32, &s.gid.to_ne_bytes());
    put(40, &s.rdev.to_ne_bytes());
    put(48, &s.size.to_ne_bytes());
    put(56, &s.blksize.to_ne_bytes());
    put(64, &s.blocks.to_ne_bytes());
    put(72, &s.atime.sec.to_ne_bytes());
    put(80, &s.atime.nsec.to_ne_bytes());
    put(88, &s.mtime.sec.to_ne_bytes());
    put(96, &s.mtime.nsec.to_ne_bytes());
    put(104, &s.ctime.sec.to_ne_bytes());
    put(112, &s.ctime.nsec.to_ne_bytes());
    b
}

fn dev_major(d: u64) -> u32 {
    (((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)) as u32
}

fn dev_minor(d: u64) -> u32 {
    ((d & 0xff) | ((d >> 12) & !0xff)) as u32
}

/// Encodes `struct statx` (256 bytes) with the basic fields.
pub fn encode_statx(s: &Stat) -> [u8; 256] {
    const STATX_BASIC_STATS: u32 = 0x7ff;
    let mut b = [0u8; 256];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(0, &STATX_BASIC_STATS.to_ne_bytes());
    put(4, &(s.blksize as u32).to_ne_bytes());
    put(16, &(s.nlink.min(u32::MAX as u64) as u32).to_ne_bytes());
    put(20, &s.uid.to_ne_bytes());
    put(24, &s.gid.to_ne_bytes());
    put(28, &(s.mode as u16).to_ne_bytes());
    put(32, &s.ino.to_ne_bytes());
    put(40, &s.size.to_ne_bytes());
    put(48, &s.blocks.to_ne_bytes());
    for (off, ts) in [(64, s.atime), (96, s.ctime), (112, s.mtime)] {
        put(off, &ts.sec.to_ne_bytes());
        put(off + 8, &(ts.nsec as u32).to_ne_bytes());
    }
    put(128, &dev_major(s.rdev).to_ne_bytes());
    put(132, &dev_minor(s.rdev).to_ne_bytes());
    put(136, &dev_major(s.dev).to_ne_bytes());
    put(140, &dev_minor(s.dev).to_ne_bytes());
    b
}

/// stat of `path` relative to `dirfd`, or of `dirfd` itself with AT_EMPTY_PATH.
fn stat_at(t: &Task, dirfd: i32, path_addr: u64, flags: u32) -> Result<Stat, Errno> {
    let path = path_arg(t, path_addr, flags & AT_EMPTY_PATH != 0)?;
    if path.is_empty() {
        if dirfd == AT_FDCWD {
            return t.fs.cwd.inode.stat();
        }
        return t.fds.get(dirfd)?.stat();
    }
    let start = start_dir(t, dirfd, &path)?;
    t.fs.stat(
        &creds(t),
        start.as_ref(),
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
    )
}

pub fn sys_stat(t: &mut Task, a: &Args) -> SysResult {
    let st = stat_at(t, AT_FDCWD, a.addr(0), 0)?;
    t.mm().copy_out(a.addr(1), &encode_stat(&st))?;
    Ok(0)
}

pub fn sys_lstat(t: &mut Task, a: &Args) -> SysResult {
    let st = stat_at(t, AT_FDCWD, a.addr(0), AT_SYMLINK_NOFOLLOW)?;
    t.mm().copy_out(a.addr(1), &encode_stat(&st))?;
    Ok(0)
}

pub fn sys_fstat(t: &mut Task, a: &Args) -> SysResult {
    let st = t.fds.get(a.fd(0))?.stat()?;
    t.mm().copy_out(a.addr(1), &encode_stat(&st))?;
    Ok(0)
}

pub fn sys_newfstatat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(3);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let st = stat_at(t, a.fd(0), a.addr(1), flags)?;
    t.mm().copy_out(a.addr(2), &encode_stat(&st))?;
    Ok(0)
}

pub fn sys_statx(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(2);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
    {
        return Err(Errno::EINVAL);
    }
    const STATX_RESERVED: u32 = 0x8000_0000;
    if a.u32(3) & STATX_RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    let st = stat_at(t, a.fd(0), a.addr(1), flags)?;
    t.mm().copy_out(a.addr(4), &encode_statx(&st))?;
    Ok(0)
}

fn encode_statfs(v: [u64; 6]) -> [u8; 120] {
    let [ftype, bsize, blocks, bfree, files, ffree] = v;
    let mut b = [0u8; 120];
    let words = [
        ftype, bsize, blocks, bfree, bfree, files, ffree, 0, 255, bsize, 0x20,
    ];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
    }
    b
}

pub fn sys_statfs(t: &mut Task, a: &Args) -> SysResult {
    let path = path_arg(t, a.addr(0), false)?;
    let d = t.fs.lookup(&creds(t), None, &path, true)?;
    let v = d.inode.statfs()?;
    t.mm().copy_out(a.addr(1), &encode_statfs(v))?;
    Ok(0)
}

pub fn sys_fstatfs(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    let v = match f.dentry() {
        Some(d) => d.inode.statfs()?,
        None => [0x5049_5045, 4096, 0, 0, 0, 0],
    };
    t.mm().copy_out(a.addr(1), &encode_statfs(v))?;
    Ok(0)
}

// ---------------------------------------------------------------------------------
// links and names

fn do_readlink(t: &mut Task, dirfd: i32, path_addr: u64, buf: u64, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(t, path_addr, true)?;
    let target = if path.is_empty() {
        // readlinkat(fd, "") reads the symlink an O_PATH|O_NOFOLLOW fd names.
        let d = if dirfd == AT_FDCWD {
            Some(t.fs.cwd.clone())
        } else {
            t.fds.get(dirfd)?.dentry().cloned()
        };
        match d {
            Some(d) if d.inode.file_type() == FileType::Symlink => {
                if size <= 0 {
                    return Err(Errno::EINVAL);
                }
                d.inode.readlink(&creds(t))?
            }
            _ => return Err(Errno::ENOENT),
        }
    } else {
        if size <= 0 {
            return Err(Errno::EINVAL);
        }
        let start = start_dir(t, dirfd, &path)?;
        t.fs.readlink(&creds(t), start.as_ref(), &path)?
    };
    let n = target.len().min(size as usize);
    t.mm().copy_out(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_readlink(t: &mut Task, a: &Args) -> SysResult {
    do_readlink(t, AT_FDCWD, a.addr(0), a.addr(1), a.i32(2))
}

pub fn sys_readlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_readlink(t, a.fd(0), a.addr(1), a.addr(2), a.i32(3))
}

fn do_access(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path_arg(t, path_addr, flags & AT_EMPTY_PATH != 0)?;
    // access(2) checks with the real ids unless AT_EACCESS.
    let mut c = creds(t);
    if flags & AT_EACCESS == 0 {
        c.uid = t.cred.uid;
        c.gid = t.cred.gid;
    }
    if path.is_empty() {
        let f = t.fds.get(dirfd)?;
        let d = f.dentry().ok_or(Errno::EBADF)?.clone();
        let st = d.inode.stat()?;
        return crate::vfs::perm::check(&st, &c, mode).map(|_| 0);
    }
    let start = start_dir(t, dirfd, &path)?;
    t.fs.access(
        &c,
        start.as_ref(),
        &path,
        mode,
        flags & AT_SYMLINK_NOFOLLOW == 0,
    )?;
    Ok(0)
}

pub fn sys_access(t: &mut Task, a: &Args) -> SysResult {
    do_access(t, AT_FDCWD, a.addr(0), a.u32(1), 0)
}

pub fn sys_faccessat(t: &mut Task, a: &Args) -> SysResult {
    do_access(t, a.fd(0), a.addr(1), a.u32(2), 0)
}

pub fn sys_faccessat2(t: &mut Task, a: &Args) -> SysResult {
    do_access(t, a.fd(0), a.addr(1), a.u32(2), a.u32(3))
}

pub fn sys_getcwd(t: &mut Task, a: &Args) -> SysResult {
    let (buf, size) = (a.addr(0), a.usize(1));
    if t.fs.cwd.inode.is_removed() {
        return Err(Errno::ENOENT);
    }
    let mut p = t.fs.cwd_path();
    p.push(0);
    if p.len() > size {
        return Err(Errno::ERANGE);
    }
    t.mm().copy_out(buf, &p)?;
    Ok(p.len() as u64)
}

pub fn sys_chdir(t: &mut Task, a: &Args) -> SysResult {
    let path = path_arg(t, a.addr(0), false)?;
    let c = creds(t);
    t.fs.chdir(&c, &path)?;
    Ok(0)
}

pub fn sys_fchdir(t: &mut Task, a: &Args) -> SysResult {
    let f = t.fds.get(a.fd(0))?;
    let d = f.dentry().ok_or(Errno::ENOTDIR)?.clone();
    let c = creds(t);
    t.fs.chdir_to(&c, d)?;
    Ok(0)
}

fn do_mkdir(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32) -> SysResult {
    let path = path_arg(t, path_addr, false)?;
    let start = start_dir(t, dirfd, &path)?;
    t.fs.mkdir(&creds(t), start.as_ref(), &path, mode)?;
    Ok(0)
}

pub fn sys_mkdir(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, AT_FDCWD, a.addr(0), a.u32(1))
}

pub fn sys_mkdirat(t: &mut Task, a: &Args) -> SysResult {
    do_mkdir(t, a.fd(0), a.addr(1), a.u32(2))
}

fn do_mknod(t: &mut Task, dirfd: i32, path_addr: u64, mode: u32, dev: u64) -> SysResult {
    // The type is checked before the path is read (may_mknod).
    match mode & 0o170000 {
        0 | 0o100000 | 0o020000 | 0o060000 | 0o010000 | 0o140000 => {}
        0o040000 => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    }
    let path = path_arg(t, path_addr, false)?;
    let start = start_dir(t, dirfd, &path)?;
    t.fs.mknod(&creds(t), start.as_ref(), &path, mode, dev)?;
    Ok(0)
}

pub fn sys_mknod(t: &mut Task, a: &Args) -> SysResult {
    do_mknod(t, AT_FDCWD, a.addr(0), a.u32(1), a.u64(2))
}

pub fn sys_mknodat(t: &mut Task, a: &Args) -> SysResult {
    do_mknod(t, a.fd(0), a.addr(1), a.u32(2), a.u64(3))
}

fn do_unlink(t: &mut Task, dirfd: i32, path_addr: u64, dir: bool) -> SysResult {
    let path = path_arg(t, path_addr, false)?;
    let start = start_dir(t, dirfd, &path)?;
    t.fs.unlink(&creds(t), start.as_ref(), &path, dir)?;
    Ok(0)
}

pub fn sys_unlink(t: &mut Task, a: &Args) -> SysResult {
    do_unlink(t, AT_FDCWD, a.addr(0), false)
}

pub fn sys_rmdir(t: &mut Task, a: &Args) -> SysResult {
    do_unlink(t, AT_FDCWD, a.addr(0), true)
}

pub fn sys_unlinkat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(2);
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    do_unlink(t, a.fd(0), a.addr(1), flags & AT_REMOVEDIR != 0)
}

fn do_rename(
    t: &mut Task,
    olddir: i32,
    old_addr: u64,
    newdir: i32,
    new_addr: u64,
    flags: u32,
) -> SysResult {
    let old = path_arg(t, old_addr, false)?;
    let new = path_arg(t, new_addr, false)?;
    let os = start_dir(t, olddir, &old)?;
    let ns = start_dir(t, newdir, &new)?;
    t.fs.rename(&creds(t), os.as_ref(), &old, ns.as_ref(), &new, flags)?;
    Ok(0)
}

pub fn sys_rename(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, AT_FDCWD, a.addr(0), AT_FDCWD, a.addr(1), 0)
}

pub fn sys_renameat(t: &mut Task, a: &Args) -> SysResult {
    do_rename(t, a.fd(0), a.addr(1), a.fd(2), a.addr(3), 0)
}

pub fn sys_renameat2(t: &mut Task, a: &Args) -> SysResult {
    const RENAME_NOREPLACE: u32 = 1;
    const RENAME_EXCHANGE: u32 = 2;
    const RENAME_WHITEOUT: u32 = 4;
    let flags = a.u32(4);
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_NOREPLACE != 0 && flags & (RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_EXCHANGE != 0 && flags & RENAME_WHITEOUT != 0 {
        return Err(Errno::EINVAL);
    }
    do_rename(t, a.fd(0), a.addr(1), a.fd(2), a.addr(3), flags)
}

fn do_symlink(t: &mut Task, target_addr: u64, dirfd: i32, path_addr: u64) -> SysResult {
    let target = path_arg(t, target_addr, false)?;
    let path = path_arg(t, path_addr, false)?;
    let start = start_dir(t, dirfd, &path)?;
    t.fs.symlink(&creds(t), &target, start.as_ref(), &path)?;
    Ok(0)
}

pub fn sys_symlink(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a.addr(0), AT_FDCWD, a.addr(1))
}

pub fn sys_symlinkat(t: &mut Task, a: &Args) -> SysResult {
    do_symlink(t, a.addr(0), a.fd(1), a.addr(2))
}

fn do_link(
    t: &mut Task,
    olddir: i32,
    old_addr: u64,
    newdir: i32,
    new_addr: u64,
    flags: u32,
) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = path_arg(t, old_addr, flags & AT_EMPTY_PATH != 0)?;
    let new = path_arg(t, new_addr, false)?;
    if old.is_empty() {
        // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which container processes lack.
        return Err(Errno::ENOENT);
    }
    let os = start_dir(t, olddir, &old)?;
    let ns = start_dir(t, newdir, &new)?;
    t.fs.link(
        &creds(t),
        os.as_ref(),
        &old,
        ns.as_ref(),
        &new,
        flags & AT_SYMLINK_FOLLOW != 0,
    )?;
    Ok(0)
}

pub fn sys_link(t: &mut Task, a: &Args) -> SysResult {
    do_link(t, AT_FDCWD, a.addr(0), AT_FDCWD, a.addr(1), 0)
}

pub fn sys_linkat(t: &mut Task, a: &Args) -> SysResult {
    do_link(t, a.fd(0), a.addr(1), a.fd(2), a.addr(3), a.u32(4))
}

// ---------------------------------------------------------------------------------
// attributes

fn setattr_path(t: &mut Task, dirfd: i32, path_addr: u64, flags: u32, attr: &SetAttr) -> SysResult {
    let path = path_arg(t, path_addr, flags & AT_EMPTY_PATH != 0)?;
    let c = creds(t);
    if path.is_empty() {
        let f = t.fds.get(dirfd)?;
        let d = f.dentry().ok_or(Errno::EBADF)?.clone();
        crate::vfs::inode_setattr(&d, &c, attr)?;
        return Ok(0);
    }
    let start = start_dir(t, dirfd, &path)?;
    t.fs.setattr(
        &c,
        start.as_ref(),
        &path,
        flags & AT_SYMLINK_NOFOLLOW == 0,
        attr,
    )?;
    Ok(0)
}

fn setattr_fd(t: &mut Task, fd: i32, attr: &SetAttr) -> SysResult {
    let f = t.fds.get(fd)?;
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    match f.dentry() {
        Some(d) => {
            let d = d.clone();
            crate::vfs::inode_setattr(&d, &creds(t), attr)?
        }
        None => f.setattr(attr)?,
    }
    Ok(0)
}

fn mode_attr(mode: u32) -> SetAttr {
    SetAttr {
        mode: Some(mode & 0o7777),
        ..SetAttr::default()
    }
}

pub fn sys_chmod(t: &mut Task, a: &Args) -> SysResult {
    setattr_path(t, AT_FDCWD, a.addr(0), 0, &mode_attr(a.u32(1)))
}

pub fn sys_fchmod(t: &mut Task, a: &Args) -> SysResult {
    setattr_fd(t, a.fd(0), &mode_attr(a.u32(1)))
}

pub fn sys_fchmodat(t: &mut Task, a: &Args) -> SysResult {
    setattr_path(t, a.fd(0), a.addr(1), 0, &mode_attr(a.u32(2)))
}

fn owner_attr(uid: u32, gid: u32) -> SetAttr {
    let id = |v: u32| if v == u32::MAX { None } else { Some(v) };
    SetAttr {
        uid: id(uid),
        gid: id(gid),
        kill_suid: true,
        ..SetAttr::default()
    }
}

pub fn sys_chown(t: &mut Task, a: &Args) -> SysResult {
    setattr_path(t, AT_FDCWD, a.addr(0), 0, &owner_attr(a.u32(1), a.u32(2)))
}

pub fn sys_lchown(t: &mut Task, a: &Args) -> SysResult {
    setattr_path(
        t,
        AT_FDCWD,
        a.addr(0),
        AT_SYMLINK_NOFOLLOW,
        &owner_attr(a.u32(1), a.u32(2)),
    )
}

pub fn sys_fchown(t: &mut Task, a: &Args) -> SysResult {
    setattr_fd(t, a.fd(0), &owner_attr(a.u32(1), a.u32(2)))
}

pub fn sys_fchownat(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u32(4);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    setattr_path(
        t,
        a.fd(0),
        a.addr(1),
        flags,
        &owner_attr(a.u32(2), a.u32(3)),
    )
}

pub fn sys_truncate(t: &mut Task, a: &Args) -> SysResult {
    let len = u64::try_from(a.i64(1)).map_err(|_| Errno::EINVAL)?;
    setattr_path(
        t,
        AT_FDCWD,
        a.addr(0),
        0,
        &SetAttr {
            size: Some(len),
            ..SetAttr::default()
        },
    )
}

pub fn sys_ftruncate(t: &mut Task, a: &Args) -> SysResult {
    let len = u64::try_from(a.i64(1)).map_err(|_| Errno::EINVAL)?;
    let f = t.fds.get(a.fd(0))?;
    if !f.writable() {
        return Err(Errno::EINVAL);
    }
    if !f.is_regular() {
        return Err(Errno::EINVAL);
    }
    let attr = SetAttr {
        size: Some(len),
        ..SetAttr::default()
    };
    match f.dentry() {
        Some(d) => {
            if d.mount.readonly {
                return Err(Errno::EROFS);
            }
            d.inode.setattr(&attr)?
        }
        None => f.setattr(&attr)?,
    }
    Ok(0)
}

/// utime(2): `struct utimbuf { time_t actime, modtime; }`, NULL for now.
pub fn sys_utime(t: &mut Task, a: &Args) -> SysResult {
    let buf = a.addr(1);
    let (atime, mtime) = if buf == 0 {
        let now = Timespec::now();
        (now, now)
    } else {
        let at = t.mm().read_u64(buf)? as i64;
        let mt = t.mm().read_u64(buf + 8)? as i64;
        (Timespec { sec: at, nsec: 0 }, Timespec { sec: mt, nsec: 0 })
    };
    let attr = SetAttr {
        atime: Some(atime),
        mtime: Some(mtime),
        ..SetAttr::default()
    };
    setattr_path(t, AT_FDCWD, a.addr(0), 0, &attr)
}

/// utimes/futimesat: `struct timeval[2]`, NULL for now; EINVAL for bad microseconds.
fn do_futimesat(t: &mut Task, dirfd: i32, path: u64, tv: u64) -> SysResult {
    let (atime, mtime) = if tv == 0 {
        let now = Timespec::now();
        (now, now)
    } else {
        let mut ts = [Timespec::default(); 2];
        for (i, slot) in ts.iter_mut().enumerate() {
            let sec = t.mm().read_u64(tv + i as u64 * 16)? as i64;
            let usec = t.mm().read_u64(tv + i as u64 * 16 + 8)? as i64;
            if !(0..1_000_000).contains(&usec) {
                return Err(Errno::EINVAL);
            }
            *slot = Timespec {
                sec,
                nsec: usec * 1000,
            };
        }
        (ts[0], ts[1])
    };
    let attr = SetAttr {
        atime: Some(atime),
        mtime: Some(mtime),
        ..SetAttr::default()
    };
    setattr_path(t, dirfd, path, 0, &attr)
}

pub fn sys_utimes(t: &mut Task, a: &Args) -> SysResult {
    do_futimesat(t, AT_FDCWD, a.addr(0), a.addr(1))
}

pub fn sys_futimesat(t: &mut Task, a: &Args) -> SysResult {
    do_futimesat(t, a.fd(0), a.addr(1), a.addr(2))
}

pub fn sys_utimensat(t: &mut Task, a: &Args) -> SysResult {
    const UTIME_NOW: i64 = (1 << 30) - 1;
    const UTIME_OMIT: i64 = (1 << 30) - 2;
    let (dirfd, path_addr, times, flags) = (a.fd(0), a.addr(1), a.addr(2), a.u32(3));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let now = Timespec::now();
    let (atime, mtime) = if times == 0 {
        (Some(now), Some(now))
    } else {
        let mut ts = [None, None];
        for (i, slot) in ts.iter_mut().enumerate() {
            let sec = t.mm().read_u64(times + i as u64 * 16)? as i64;
            let nsec = t.mm().read_u64(times + i as u64 * 16 + 8)? as i64;
            *slot = match nsec {
                UTIME_NOW => Some(now),
                UTIME_OMIT => None,
                n if (0..1_000_000_000).contains(&n) => Some(Timespec { sec, nsec: n }),
                _ => return Err(Errno::EINVAL),
            };
        }
        (ts[0], ts[1])
    };
    let attr = SetAttr {
        atime,
        mtime,
        ..SetAttr::default()
    };
    if path_addr == 0 {
        // utimensat(fd, NULL, ...): futimens.
        if dirfd == AT_FDCWD {
            return Err(Errno::EFAULT);
        }
        return setattr_fd(t, dirfd, &attr);
    }
    setattr_path(t, dirfd, path_addr, flags, &attr)
}

pub fn sys_chroot(t: &mut Task, a: &Args) -> SysResult {
    let path = path_arg(t, a.addr(0), false)?;
    let c = creds(t);
    let d = t.fs.lookup(&c, None, &path, true)?;
    if d.inode.file_type() != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    crate::vfs::perm::check(&d.inode.stat()?, &c, crate::vfs::perm::MAY_EXEC)?;
    if t.cred.euid != 0 {
        return Err(Errno::EPERM);
    }
    t.fs.root = d;
    Ok(0)
}

pub fn sys_umask(t: &mut Task, a: &Args) -> SysResult {
    let old = t.fs.umask;
    t.fs.umask = a.u32(0) & 0o777;
    Ok(u64::from(old))
}

// ---------------------------------------------------------------------------------
// extended attributes (kept in memory, never on the host)

/// The object an xattr call names: a path (following or not) or a descriptor.
fn xattr_target(t: &Task, a: &Args, by_fd: bool, follow: bool) -> Result<Arc<Dentry>, Errno> {
    if by_fd {
        let f = t.fds.get(a.fd(0))?;
        if f.is_path() {
            return Err(Errno::EBADF);
        }
        return f.dentry().cloned().ok_or(Errno::EOPNOTSUPP);
    }
    let path = path_arg(t, a.addr(0), false)?;
    t.fs.lookup(&creds(t), None, &path, follow)
}

/// An attribute name: EFAULT, ERANGE for "" or more than XATTR_NAME_MAX (255).
fn xattr_name(t: &Task, addr: u64) -> Result<Vec<u8>, Errno> {
    let n = t.mm().copy_in_cstr(addr, 256).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::ERANGE
        } else {
            e
        }
    })?;
    if n.is_empty() {
        return Err(Errno::ERANGE);
    }
    Ok(n)
}

/// Copies `data` out for get/listxattr: size 0 asks for the length, ERANGE if short.
fn xattr_out(t: &Task, addr: u64, size: usize, data: &[u8]) -> SysResult {
    if size == 0 {
        return Ok(data.len() as u64);
    }
    if size < data.len() {
        return Err(Errno::ERANGE);
    }
    t.mm().copy_out(addr, data)?;
    Ok(data.len() as u64)
}

fn getxattr(t: &mut Task, a: &Args, by_fd: bool, follow: bool) -> SysResult {
    use crate::fs::xattr;
    let name = xattr_name(t, a.addr(1))?;
    let d = xattr_target(t, a, by_fd, follow)?;
    xattr::check_name(&name, d.inode.file_type(), t.cred.euid, false)?;
    let v = xattr::get(d.inode.id(), &name).ok_or(Errno::ENODATA)?;
    xattr_out(t, a.addr(2), a.usize(3), &v)
}

fn setxattr(t: &mut Task, a: &Args, by_fd: bool, follow: bool) -> SysResult {
    use crate::fs::xattr;
    if a.u32(4) & !(xattr::CREATE | xattr::REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = xattr_name(t, a.addr(1))?;
    let size = a.usize(3);
    if size > xattr::SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let value = t.mm().copy_in_vec(a.addr(2), size)?;
    let d = xattr_target(t, a, by_fd, follow)?;
    xattr::check_name(&name, d.inode.file_type(), t.cred.euid, true)?;
    if d.mount.readonly {
        return Err(Errno::EROFS);
    }
    let c = creds(t);
    let st = d.inode.stat()?;
    if c.uid != 0 && c.uid != st.uid {
        crate::vfs::perm::check(&st, &c, crate::vfs::perm::MAY_WRITE)?;
    }
    xattr::set(d.inode.id(), &name, &value, a.u32(4))?;
    Ok(0)
}

fn listxattr(t: &mut Task, a: &Args, by_fd: bool, follow: bool) -> SysResult {
    let d = xattr_target(t, a, by_fd, follow)?;
    let names = crate::fs::xattr::list(d.inode.id());
    xattr_out(t, a.addr(1), a.usize(2), &names)
}

fn removexattr(t: &mut Task, a: &Args, by_fd: bool, follow: bool) -> SysResult {
    use crate::fs::xattr;
    let name = xattr_name(t, a.addr(1))?;
    let d = xattr_target(t, a, by_fd, follow)?;
    xattr::check_name(&name, d.inode.file_type(), t.cred.euid, true)?;
    if d.mount.readonly {
        return Err(Errno::EROFS);
    }
    xattr::remove(d.inode.id(), &name)?;
    Ok(0)
}

pub fn sys_getxattr(t: &mut Task, a: &Args) -> SysResult {
    getxattr(t, a, false, true)
}
pub fn sys_lgetxattr(t: &mut Task, a: &Args) -> SysResult {
    getxattr(t, a, false, false)
}
pub fn sys_fgetxattr(t: &mut Task, a: &Args) -> SysResult {
    getxattr(t, a, true, true)
}
pub fn sys_setxattr(t: &mut Task, a: &Args) -> SysResult {
    setxattr(t, a, false, true)
}
pub fn sys_lsetxattr(t: &mut Task, a: &Args) -> SysResult {
    setxattr(t, a, false, false)
}
pub fn sys_fsetxattr(t: &mut Task, a: &Args) -> SysResult {
    setxattr(t, a, true, true)
}
pub fn sys_listxattr(t: &mut Task, a: &Args) -> SysResult {
    listxattr(t, a, false, true)
}
pub fn sys_llistxattr(t: &mut Task, a: &Args) -> SysResult {
    listxattr(t, a, false, false)
}
pub fn sys_flistxattr(t: &mut Task, a: &Args) -> SysResult {
    listxattr(t, a, true, true)
}
pub fn sys_removexattr(t: &mut Task, a: &Args) -> SysResult {
    removexattr(t, a, false, true)
}
pub fn sys_lremovexattr(t: &mut Task, a: &Args) -> SysResult {
    removexattr(t, a, false, false)
}
pub fn sys_fremovexattr(t: &mut Task, a: &Args) -> SysResult {
    removexattr(t, a, true, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_layout() {
        let s = Stat {
            dev: 0x803,
            ino: 42,
            mode: 0o100644,
            nlink: 1,
            uid: 7,
            size: 1234,
            ..Stat::default()
        };
        let b = encode_stat(&s);
        assert_eq!(u64::from_ne_bytes(b[8..16].try_into().unwrap()), 42);
        assert_eq!(u32::from_ne_bytes(b[24..28].try_into().unwrap()), 0o100644);
        assert_eq!(u32::from_ne_bytes(b[28..32].try_into().unwrap()), 7);
        assert_eq!(i64::from_ne_bytes(b[48..56].try_into().unwrap()), 1234);
        let x = encode_statx(&s);
        assert_eq!(u16::from_ne_bytes(x[28..30].try_into().unwrap()), 0o100644);
        assert_eq!(u32::from_ne_bytes(x[136..140].try_into().unwrap()), 8);
        assert_eq!(u32::from_ne_bytes(x[140..144].try_into().unwrap()), 3);
    }
}
