//! Per-process filesystem state and the path-based operations of the VFS (open,
//! mkdir, unlink, rename...), with Linux's checks in Linux's order.

use super::dentry::{Dentry, MountTable};
use super::file::{File, FileOps};
use super::inode::{FileType, NewAttr, SetAttr, Stat};
use super::path::{Creds, Lookup, Resolve, Walker};
use super::perm::{self, MAY_EXEC, MAY_READ, MAY_WRITE};
use crate::fs::{dev, host::HostDir, mem::MemDir, mem::MemFs, proc};
use abi::Errno;
use std::os::fd::OwnedFd;
use std::sync::Arc;

/// Largest executable execve reads into memory.
const MAX_EXECUTABLE: u64 = 1 << 30;
/// statfs f_type of the root overlay.
const OVERLAYFS_MAGIC: u64 = 0x794c_7630;

/// Per-process filesystem state: root, working directory, umask.
pub struct FsContext {
    pub root: Arc<Dentry>,
    pub cwd: Arc<Dentry>,
    pub umask: u32,
    pub mounts: Arc<MountTable>,
}

/// Operations open(2) accepts flags for.
pub mod oflags {
    pub const ACCMODE: u32 = libc::O_ACCMODE as u32;
    pub const RDONLY: u32 = libc::O_RDONLY as u32;
    pub const WRONLY: u32 = libc::O_WRONLY as u32;
    pub const RDWR: u32 = libc::O_RDWR as u32;
    pub const CREAT: u32 = libc::O_CREAT as u32;
    pub const EXCL: u32 = libc::O_EXCL as u32;
    pub const NOCTTY: u32 = libc::O_NOCTTY as u32;
    pub const TRUNC: u32 = libc::O_TRUNC as u32;
    pub const APPEND: u32 = libc::O_APPEND as u32;
    pub const NONBLOCK: u32 = libc::O_NONBLOCK as u32;
    pub const DIRECTORY: u32 = libc::O_DIRECTORY as u32;
    pub const NOFOLLOW: u32 = libc::O_NOFOLLOW as u32;
    pub const CLOEXEC: u32 = libc::O_CLOEXEC as u32;
    pub const PATH: u32 = libc::O_PATH as u32;
    pub const TMPFILE: u32 = libc::O_TMPFILE as u32;
    /// Always set by open on 64-bit (the libc crate defines O_LARGEFILE as 0 there).
    pub const LARGEFILE: u32 = 0o100000;
}
use oflags as O;

/// An O_PATH file: it names an object and does nothing else.
struct PathOps;
impl FileOps for PathOps {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
}

impl FsContext {
    /// The child's copy at fork: same root, cwd and umask; the mount table is shared.
    pub fn fork(&self) -> FsContext {
        FsContext {
            root: self.root.clone(),
            cwd: self.cwd.clone(),
            umask: self.umask,
            mounts: self.mounts.clone(),
        }
    }

    pub fn walker<'a>(&'a self, creds: &'a Creds) -> Walker<'a> {
        Walker::new(&self.root, &self.mounts, creds)
    }

    /// Resolves `path` from `start` (the cwd when None).
    pub fn lookup(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        follow: bool,
    ) -> Result<Arc<Dentry>, Errno> {
        let start = start.unwrap_or(&self.cwd);
        self.walker(creds).walk(start, path, follow)
    }

    fn parent(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
    ) -> Result<Lookup, Errno> {
        let start = start.unwrap_or(&self.cwd);
        self.walker(creds).walk_parent(start, path)
    }

    fn new_attr(&self, creds: &Creds, mode: u32) -> NewAttr {
        NewAttr {
            mode: mode & !self.umask & 0o7777,
            uid: creds.uid,
            gid: creds.gid,
        }
    }

    /// getcwd(2)'s answer.
    /// A cwd outside the root (after chroot) reads "(unreachable)/..." as on Linux.
    pub fn cwd_path(&self) -> Vec<u8> {
        let mut depth = 0;
        let mut cur = Some(self.cwd.clone());
        while let Some(c) = cur.take().filter(|_| {
            depth += 1;
            depth < 2048
        }) {
            if c.same(&self.root) {
                return self.cwd.path_from(Some(&self.root));
            }
            cur = c.parent();
        }
        let mut p = b"(unreachable)".to_vec();
        p.extend_from_slice(&self.cwd.path_from(None));
        p
    }

    /// open(2)/openat(2). `start` is the dirfd's directory (None: the cwd).
    pub fn open(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<Arc<File>, Errno> {
        let mut w = self.walker(creds);
        let start = start.unwrap_or(&self.cwd).clone();
        self.open_with(&mut w, &start, path, flags, mode)
    }

    /// openat2(2): open with RESOLVE_* restrictions; `in_root` treats the start
    /// directory as the root (RESOLVE_IN_ROOT).
    #[allow(clippy::too_many_arguments)]
    pub fn open_resolve(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        flags: u32,
        mode: u32,
        mut resolve: Resolve,
        in_root: bool,
    ) -> Result<Arc<File>, Errno> {
        let start = start.unwrap_or(&self.cwd).clone();
        let root = if in_root {
            start.clone()
        } else {
            self.root.clone()
        };
        if resolve.beneath.is_some() {
            resolve.beneath = Some(start.clone());
        }
        let mut w = Walker::new(&root, &self.mounts, creds);
        w.resolve = resolve;
        self.open_with(&mut w, &start, path, flags, mode)
    }

    fn open_with(
        &self,
        w: &mut Walker<'_>,
        start: &Arc<Dentry>,
        path: &[u8],
        mut flags: u32,
        mode: u32,
    ) -> Result<Arc<File>, Errno> {
        if flags & O::CREAT != 0 && flags & O::DIRECTORY != 0 {
            return Err(Errno::EINVAL);
        }
        if flags & O::TMPFILE == O::TMPFILE {
            let acc = flags & O::ACCMODE;
            if acc != O::WRONLY && acc != O::RDWR {
                return Err(Errno::EINVAL);
            }
            let d = w.walk(start, path, true)?;
            if d.inode.file_type() != FileType::Directory {
                return Err(Errno::ENOTDIR);
            }
            return Err(Errno::EOPNOTSUPP);
        }
        if flags & O::PATH != 0 {
            flags &= O::PATH | O::DIRECTORY | O::NOFOLLOW | O::CLOEXEC;
        }
        let d = if flags & O::CREAT != 0 {
            let lk = w.walk_parent(start, path)?;
            if lk.is_special() || lk.trailing_slash {
                return Err(Errno::EISDIR);
            }
            match w.child(&lk.parent, &lk.name) {
                Ok(d) => {
                    if flags & O::EXCL != 0 {
                        return Err(Errno::EEXIST);
                    }
                    if d.inode.file_type() == FileType::Symlink {
                        if flags & O::NOFOLLOW != 0 {
                            return Err(Errno::ELOOP);
                        }
                        w.follow_budget()?;
                        match d.inode.magic_link() {
                            Some(target) => target,
                            None => {
                                let target = d.inode.readlink(w.creds)?;
                                return self.open_with(w, &lk.parent, &target, flags, mode);
                            }
                        }
                    } else {
                        d
                    }
                }
                Err(e) if e == Errno::ENOENT => {
                    if lk.parent.mount.readonly {
                        return Err(Errno::EROFS);
                    }
                    perm::check(&lk.parent.inode.stat()?, w.creds, MAY_WRITE | MAY_EXEC)?;
                    let inode = lk
                        .parent
                        .inode
                        .create(&lk.name, self.new_attr(w.creds, mode))?;
                    let d = Dentry::new(
                        inode,
                        lk.parent.mount.clone(),
                        Some(lk.parent.clone()),
                        lk.name.clone(),
                    );
                    lk.parent.cache_child(&lk.name, &d);
                    // A file just created opens whatever its mode says.
                    return self.finish_open(d, flags & !O::TRUNC);
                }
                Err(e) => return Err(e),
            }
        } else {
            w.walk(start, path, flags & O::NOFOLLOW == 0)?
        };
        let kind = d.inode.file_type();
        if kind == FileType::Symlink && flags & O::PATH == 0 {
            return Err(Errno::ELOOP);
        }
        if flags & O::DIRECTORY != 0 && kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if flags & O::PATH == 0 {
            let acc = flags & O::ACCMODE;
            let wants_write = acc == O::WRONLY || acc == O::RDWR;
            if kind == FileType::Directory && (wants_write || flags & (O::CREAT | O::TRUNC) != 0) {
                return Err(Errno::EISDIR);
            }
            let mut mask = 0;
            if acc == O::RDONLY || acc == O::RDWR {
                mask |= MAY_READ;
            }
            if wants_write || flags & O::TRUNC != 0 {
                mask |= MAY_WRITE;
            }
            if w.creds.uid != 0 {
                perm::check(&d.inode.stat()?, w.creds, mask)?;
            }
            if mask & MAY_WRITE != 0
                && d.mount.readonly
                && matches!(kind, FileType::Regular | FileType::Directory)
            {
                return Err(Errno::EROFS);
            }
        }
        self.finish_open(d, flags)
    }

    fn finish_open(&self, d: Arc<Dentry>, flags: u32) -> Result<Arc<File>, Errno> {
        let name = d.path_string();
        if flags & O::PATH != 0 {
            return Ok(File::new(Box::new(PathOps), Some(d), flags, name));
        }
        let ops = d.inode.open(flags)?;
        // Linux truncates on O_TRUNC whatever the access mode (it asked for write
        // permission already).
        if flags & O::TRUNC != 0 && d.inode.file_type() == FileType::Regular {
            d.inode.setattr(&SetAttr {
                size: Some(0),
                ..SetAttr::default()
            })?;
        }
        let keep = O::ACCMODE
            | O::APPEND
            | O::NONBLOCK
            | O::DIRECTORY
            | O::NOFOLLOW
            | O::PATH
            | libc::O_DIRECT as u32
            | libc::O_NOATIME as u32
            | libc::O_SYNC as u32
            | libc::O_DSYNC as u32
            | O::LARGEFILE;
        Ok(File::new(ops, Some(d), flags & keep, name))
    }

    /// stat/lstat/newfstatat on a path.
    pub fn stat(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        follow: bool,
    ) -> Result<Stat, Errno> {
        self.lookup(creds, start, path, follow)?.inode.stat()
    }

    /// mkdir(2)/mkdirat(2).
    pub fn mkdir(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        mode: u32,
    ) -> Result<(), Errno> {
        let lk = self.parent(creds, start, path)?;
        if lk.is_special() {
            return Err(Errno::EEXIST);
        }
        self.check_create(creds, &lk)?;
        lk.parent
            .inode
            .mkdir(&lk.name, self.new_attr(creds, mode & 0o1777))
    }

    /// mknod(2) for regular files, FIFOs and sockets.
    pub fn mknod(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        mode: u32,
        rdev: u64,
    ) -> Result<(), Errno> {
        let lk = self.parent(creds, start, path)?;
        if lk.is_special() || lk.trailing_slash {
            return Err(Errno::EEXIST);
        }
        let kind = match mode & 0o170000 {
            0 => FileType::Regular,
            m => FileType::from_mode(m).ok_or(Errno::EINVAL)?,
        };
        if kind == FileType::Directory {
            return Err(Errno::EPERM);
        }
        if matches!(kind, FileType::CharDev | FileType::BlockDev) && creds.uid != 0 {
            return Err(Errno::EPERM);
        }
        self.check_create(creds, &lk)?;
        let attr = NewAttr {
            mode: kind.mode_bits() | (mode & !self.umask & 0o7777),
            uid: creds.uid,
            gid: creds.gid,
        };
        lk.parent.inode.mknod(&lk.name, attr, rdev)?;
        lk.parent.forget_child(&lk.name);
        Ok(())
    }

    /// EEXIST before EROFS before EACCES, as Linux orders them for creation.
    fn check_create(&self, creds: &Creds, lk: &Lookup) -> Result<(), Errno> {
        match self.walker(creds).child(&lk.parent, &lk.name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(e) if e == Errno::ENOENT => {}
            Err(e) => return Err(e),
        }
        if lk.parent.mount.readonly {
            return Err(Errno::EROFS);
        }
        perm::check(&lk.parent.inode.stat()?, creds, MAY_WRITE | MAY_EXEC)
    }

    /// symlink(2)/symlinkat(2).
    pub fn symlink(
        &self,
        creds: &Creds,
        target: &[u8],
        start: Option<&Arc<Dentry>>,
        path: &[u8],
    ) -> Result<(), Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let lk = self.parent(creds, start, path)?;
        if lk.is_special() || lk.trailing_slash {
            return Err(Errno::EEXIST);
        }
        self.check_create(creds, &lk)?;
        lk.parent.inode.symlink(
            &lk.name,
            target,
            NewAttr {
                mode: 0o777,
                uid: creds.uid,
                gid: creds.gid,
            },
        )
    }

    /// link(2)/linkat(2).
    #[allow(clippy::too_many_arguments)]
    pub fn link(
        &self,
        creds: &Creds,
        old_start: Option<&Arc<Dentry>>,
        old: &[u8],
        new_start: Option<&Arc<Dentry>>,
        new: &[u8],
        follow: bool,
    ) -> Result<(), Errno> {
        let src = self.lookup(creds, old_start, old, follow)?;
        let lk = self.parent(creds, new_start, new)?;
        if lk.is_special() || lk.trailing_slash {
            return Err(Errno::EEXIST);
        }
        self.check_create(creds, &lk)?;
        if src.mount.id != lk.parent.mount.id {
            return Err(Errno::EXDEV);
        }
        if src.inode.file_type() == FileType::Directory {
            return Err(Errno::EPERM);
        }
        lk.parent.inode.link(&lk.name, &src.inode)?;
        lk.parent.forget_child(&lk.name);
        Ok(())
    }

    /// unlink(2) (`dir` false) and rmdir(2) (`dir` true).
    pub fn unlink(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        dir: bool,
    ) -> Result<(), Errno> {
        let lk = self.parent(creds, start, path)?;
        if lk.is_special() {
            return Err(if !dir {
                Errno::EISDIR
            } else if lk.name == b"." {
                Errno::EINVAL
            } else if lk.name == b".." {
                Errno::ENOTEMPTY
            } else {
                Errno::EBUSY
            });
        }
        let w = self.walker(creds);
        let child = w.child(&lk.parent, &lk.name)?;
        let is_dir = child.inode.file_type() == FileType::Directory;
        if !dir && lk.trailing_slash {
            return Err(if is_dir {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
        if dir && !is_dir {
            return Err(Errno::ENOTDIR);
        }
        if !dir && is_dir {
            return Err(Errno::EISDIR);
        }
        if child.mount.id != lk.parent.mount.id {
            return Err(Errno::EBUSY);
        }
        if lk.parent.mount.readonly {
            return Err(Errno::EROFS);
        }
        let dir_st = lk.parent.inode.stat()?;
        perm::check(&dir_st, creds, MAY_WRITE | MAY_EXEC)?;
        perm::sticky(&dir_st, &child.inode.stat()?, creds)?;
        lk.parent.inode.unlink(&lk.name, dir)?;
        lk.parent.forget_child(&lk.name);
        Ok(())
    }

    /// rename(2)/renameat2(2). `flags`: RENAME_NOREPLACE only (others EINVAL).
    #[allow(clippy::too_many_arguments)]
    pub fn rename(
        &self,
        creds: &Creds,
        old_start: Option<&Arc<Dentry>>,
        old: &[u8],
        new_start: Option<&Arc<Dentry>>,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        const NOREPLACE: u32 = 1;
        const EXCHANGE: u32 = 2;
        if flags & !(NOREPLACE | EXCHANGE) != 0 || flags == NOREPLACE | EXCHANGE {
            return Err(Errno::EINVAL);
        }
        let src_lk = self.parent(creds, old_start, old)?;
        let dst_lk = self.parent(creds, new_start, new)?;
        if src_lk.is_special() {
            return Err(Errno::EBUSY);
        }
        if dst_lk.is_special() {
            return Err(if flags & NOREPLACE != 0 {
                Errno::EEXIST
            } else {
                Errno::EBUSY
            });
        }
        if src_lk.parent.mount.id != dst_lk.parent.mount.id {
            return Err(Errno::EXDEV);
        }
        let w = self.walker(creds);
        let src = w.child(&src_lk.parent, &src_lk.name)?;
        let src_dir = src.inode.file_type() == FileType::Directory;
        if !src_dir && (src_lk.trailing_slash || dst_lk.trailing_slash) {
            return Err(Errno::ENOTDIR);
        }
        if src.mount.id != src_lk.parent.mount.id {
            return Err(Errno::EBUSY);
        }
        let dst = match w.child(&dst_lk.parent, &dst_lk.name) {
            Ok(d) => Some(d),
            Err(e) if e == Errno::ENOENT && flags & EXCHANGE == 0 => None,
            Err(e) => return Err(e),
        };
        if flags & EXCHANGE != 0 {
            return self.exchange(creds, &src_lk, &src, &dst_lk, dst.as_ref());
        }
        if let Some(d) = &dst {
            if d.mount.id != dst_lk.parent.mount.id {
                return Err(Errno::EBUSY);
            }
            if d.same(&src) {
                return Ok(());
            }
        }
        // A directory cannot move below itself.
        if src_dir {
            let mut depth = 0;
            let mut cur = Some(dst_lk.parent.clone());
            while let Some(c) = cur.take().filter(|_| {
                depth += 1;
                depth < 2048
            }) {
                if c.same(&src) {
                    return Err(Errno::EINVAL);
                }
                cur = c.parent();
            }
        }
        if let Some(d) = &dst {
            // ... and its destination cannot be one of its ancestors.
            if has_ancestor(&src_lk.parent, d) {
                return Err(Errno::ENOTEMPTY);
            }
        }
        if src_lk.parent.mount.readonly {
            return Err(Errno::EROFS);
        }
        let (src_dir_st, dst_dir_st) = (src_lk.parent.inode.stat()?, dst_lk.parent.inode.stat()?);
        perm::check(&src_dir_st, creds, MAY_WRITE | MAY_EXEC)?;
        perm::check(&dst_dir_st, creds, MAY_WRITE | MAY_EXEC)?;
        perm::sticky(&src_dir_st, &src.inode.stat()?, creds)?;
        if let Some(d) = &dst {
            perm::sticky(&dst_dir_st, &d.inode.stat()?, creds)?;
        }
        src_lk.parent.inode.rename(
            &src_lk.name,
            &dst_lk.parent.inode,
            &dst_lk.name,
            flags & NOREPLACE != 0,
        )?;
        Dentry::moved(&src_lk.parent, &src_lk.name, &dst_lk.parent, &dst_lk.name);
        Ok(())
    }

    /// The RENAME_EXCHANGE half of rename: both names exist and swap.
    fn exchange(
        &self,
        creds: &Creds,
        a_lk: &Lookup,
        a: &Arc<Dentry>,
        b_lk: &Lookup,
        b: Option<&Arc<Dentry>>,
    ) -> Result<(), Errno> {
        let b = b.ok_or(Errno::ENOENT)?;
        let b_dir = b.inode.file_type() == FileType::Directory;
        if !b_dir && (a_lk.trailing_slash || b_lk.trailing_slash) {
            return Err(Errno::ENOTDIR);
        }
        if b.mount.id != b_lk.parent.mount.id {
            return Err(Errno::EBUSY);
        }
        if a.same(b) {
            return Ok(());
        }
        // Neither may be an ancestor of the other's new place.
        for (moving, into) in [(a, &b_lk.parent), (b, &a_lk.parent)] {
            if has_ancestor(into, moving) {
                return Err(Errno::EINVAL);
            }
        }
        if a_lk.parent.mount.readonly {
            return Err(Errno::EROFS);
        }
        perm::check(&a_lk.parent.inode.stat()?, creds, MAY_WRITE | MAY_EXEC)?;
        perm::check(&b_lk.parent.inode.stat()?, creds, MAY_WRITE | MAY_EXEC)?;
        a_lk.parent
            .inode
            .exchange(&a_lk.name, &b_lk.parent.inode, &b_lk.name)?;
        Dentry::exchanged(&a_lk.parent, &a_lk.name, &b_lk.parent, &b_lk.name);
        Ok(())
    }

    /// readlink(2)/readlinkat(2).
    pub fn readlink(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
    ) -> Result<Vec<u8>, Errno> {
        let d = self.lookup(creds, start, path, false)?;
        if d.inode.file_type() != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        d.inode.readlink(creds)
    }

    /// access(2)/faccessat2(2): `mode` is F_OK or R_OK|W_OK|X_OK.
    pub fn access(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        mode: u32,
        follow: bool,
    ) -> Result<(), Errno> {
        if mode & !7 != 0 {
            return Err(Errno::EINVAL);
        }
        let d = self.lookup(creds, start, path, follow)?;
        if mode == 0 {
            return Ok(());
        }
        let st = d.inode.stat()?;
        if mode & 2 != 0
            && d.mount.readonly
            && matches!(
                st.file_type(),
                Some(FileType::Regular | FileType::Directory | FileType::Symlink)
            )
        {
            return Err(Errno::EROFS);
        }
        perm::check(&st, creds, mode)
    }

    /// chdir(2).
    pub fn chdir(&mut self, creds: &Creds, path: &[u8]) -> Result<(), Errno> {
        let d = self.lookup(creds, None, path, true)?;
        self.chdir_to(creds, d)
    }

    /// fchdir(2), and the end of chdir(2).
    pub fn chdir_to(&mut self, creds: &Creds, d: Arc<Dentry>) -> Result<(), Errno> {
        if d.inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        perm::check(&d.inode.stat()?, creds, MAY_EXEC)?;
        self.cwd = d;
        Ok(())
    }

    /// chmod/chown/truncate/utimensat on a path.
    pub fn setattr(
        &self,
        creds: &Creds,
        start: Option<&Arc<Dentry>>,
        path: &[u8],
        follow: bool,
        attr: &SetAttr,
    ) -> Result<(), Errno> {
        let d = self.lookup(creds, start, path, follow)?;
        setattr_checked(&d, creds, attr)
    }
}

/// Applies `attr` to `d` after Linux's checks (read-only mount, ownership, type).
pub fn setattr_checked(d: &Dentry, creds: &Creds, attr: &SetAttr) -> Result<(), Errno> {
    let st = d.inode.stat()?;
    if attr.size.is_some() {
        match st.file_type() {
            Some(FileType::Directory) => return Err(Errno::EISDIR),
            Some(FileType::Regular) => {}
            _ => return Err(Errno::EINVAL),
        }
    }
    if d.mount.readonly {
        return Err(Errno::EROFS);
    }
    if attr.size.is_some() {
        perm::check(&st, creds, MAY_WRITE)?;
    }
    if creds.uid != 0 {
        let owner = creds.uid == st.uid;
        // Only the owner changes the mode or group (to one of its groups); nobody but
        // root gives a file away.
        if attr.mode.is_some() && !owner {
            return Err(Errno::EPERM);
        }
        if attr.uid.is_some_and(|u| u != st.uid || !owner) {
            return Err(Errno::EPERM);
        }
        if attr.gid.is_some_and(|g| {
            !owner || (g != st.gid && g != creds.gid && !creds.groups.contains(&g))
        }) {
            return Err(Errno::EPERM);
        }
    }
    if attr.kill_suid && st.file_type() != Some(FileType::Directory) && attr.mode.is_none() {
        let mut kill = 0o4000;
        if st.mode & 0o010 != 0 {
            kill |= 0o2000;
        }
        if st.mode & kill != 0 {
            let a = SetAttr {
                mode: Some(st.mode & 0o7777 & !kill),
                ..*attr
            };
            return d.inode.setattr(&a);
        }
    }
    d.inode.setattr(attr)
}

/// A container's filesystem tree built from its spec.
pub fn new_container_fs(
    root: OwnedFd,
    overlay: bool,
    mounts: Vec<crate::HostMount>,
) -> Result<FsContext, Errno> {
    raise_nofile();
    let host_root = HostDir::new(root)?;
    let root_inode: Arc<dyn super::Inode> = if overlay {
        MemDir::over(&MemFs::new(OVERLAYFS_MAGIC), host_root)?
    } else {
        host_root
    };
    // The sentry's /dev, /tmp and /proc go on the rootfs's own directories of those
    // names; a rootfs without one gets none there, as a chroot into it would.
    let has_dir = |name: &[u8]| {
        root_inode
            .lookup(name)
            .is_ok_and(|i| i.file_type() == FileType::Directory)
    };
    let (has_dev, has_tmp, has_proc) = (has_dir(b"dev"), has_dir(b"tmp"), has_dir(b"proc"));
    let table = Arc::new(MountTable::new());
    MountTable::register(&table);
    let root_mount = table.new_mount(root_inode, false);
    let root_type = if overlay { "overlay" } else { "hostfs" };
    table.describe(&root_mount, "/", root_type, "rootfs");
    let root = Dentry::root_of(root_mount);
    if has_dev {
        let devfs: Arc<dyn super::Inode> = dev::new_devfs();
        let m = table.new_mount(devfs, false);
        table.describe(&m, "/dev", "devtmpfs", "devtmpfs");
        table.attach(&root, b"dev", m);
    }
    if has_tmp {
        let attr = NewAttr {
            mode: 0o1777,
            uid: 0,
            gid: 0,
        };
        let tmp: Arc<dyn super::Inode> = MemDir::new(&MemFs::tmpfs(), attr);
        let m = table.new_mount(tmp, false);
        table.describe(&m, "/tmp", "tmpfs", "tmpfs");
        table.attach(&root, b"tmp", m);
    }
    if has_proc {
        let procfs: Arc<dyn super::Inode> = proc::new_procfs();
        let m = table.new_mount(procfs, false);
        table.describe(&m, "/proc", "proc", "proc");
        table.attach(&root, b"proc", m);
    }
    let mut ctx = FsContext {
        root: root.clone(),
        cwd: root,
        umask: 0o022,
        mounts: table,
    };
    for m in mounts {
        ctx.add_host_mount(m)?;
    }
    Ok(ctx)
}

impl FsContext {
    /// Mounts a host directory at `m.dest` (its parent directories are made in the
    /// overlay when missing).
    fn add_host_mount(&mut self, m: crate::HostMount) -> Result<(), Errno> {
        let creds = Creds::root();
        let dest = m.dest.as_bytes();
        let lk = self.parent(&creds, Some(&self.root), dest)?;
        if lk.is_special() {
            return Err(Errno::EINVAL);
        }
        let inode: Arc<dyn super::Inode> = HostDir::new(m.dir)?;
        let mount = self.mounts.new_mount(inode, m.readonly);
        self.mounts.describe(&mount, &m.dest, "hostfs", "none");
        self.mounts.attach(&lk.parent, &lk.name, mount);
        Ok(())
    }
}

/// Whether `target` is `start` or one of its ancestors (bounded, in case of a cycle).
fn has_ancestor(start: &Arc<Dentry>, target: &Arc<Dentry>) -> bool {
    let mut cur = Some(start.clone());
    for _ in 0..2048 {
        match cur {
            Some(c) if c.same(target) => return true,
            Some(c) => cur = c.parent(),
            None => return false,
        }
    }
    false
}

/// Raises this process's RLIMIT_NOFILE soft limit to the hard one: the overlay keeps
/// an O_PATH descriptor per host directory it has seen.
fn raise_nofile() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut l = getrlimit(Resource::Nofile);
    if l.current != l.maximum {
        l.current = l.maximum;
        let _ = setrlimit(Resource::Nofile, l);
    }
}

/// Identifies an executable's contents: the same key means the same bytes (a write
/// through the overlay changes the inode or the mtime). Used to cache loaded images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExecKey {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
}

/// A file opened for execve. Its bytes are read only when needed: a cached image
/// needs none.
pub struct Executable {
    pub path: String,
    pub key: ExecKey,
    pub size: u64,
    ops: Box<dyn FileOps>,
}

impl Executable {
    /// Up to `n` bytes from the start (for `#!` and the ELF header).
    pub fn read_head(&self, n: usize) -> Result<Vec<u8>, Errno> {
        self.read_range(n.min(self.size as usize))
    }

    /// The whole file.
    pub fn read_all(&self) -> Result<Vec<u8>, Errno> {
        self.read_range(self.size as usize)
    }

    fn read_range(&self, len: usize) -> Result<Vec<u8>, Errno> {
        let mut data = vec![0u8; len];
        let mut done = 0;
        while done < data.len() {
            let n = self.ops.read(&mut data[done..], done as u64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        data.truncate(done);
        Ok(data)
    }
}

/// Opens `path` (relative to cwd) for execution: ENOENT, EACCES (not a regular file or
/// no exec permission), ENOTDIR, ELOOP...
pub fn open_executable(fs: &FsContext, path: &[u8]) -> Result<Executable, Errno> {
    open_executable_as(fs, &Creds::root(), path)
}

/// `open_executable` with the caller's identity: search and exec permission are
/// checked for `creds` (execve of a mode-0700 root binary by a user is EACCES), and
/// /proc/self means the caller.
pub fn open_executable_as(fs: &FsContext, creds: &Creds, path: &[u8]) -> Result<Executable, Errno> {
    let creds = creds.clone();
    let d = fs.lookup(&creds, None, path, true)?;
    if d.inode.file_type() != FileType::Regular {
        return Err(Errno::EACCES);
    }
    let st = d.inode.stat()?;
    perm::check(&st, &creds, MAY_EXEC)?;
    if st.size > MAX_EXECUTABLE {
        return Err(Errno::ENOMEM);
    }
    let ops = d.inode.open(O::RDONLY)?;
    let key = ExecKey {
        dev: st.dev,
        ino: st.ino,
        size: st.size,
        mtime: (st.mtime.sec, st.mtime.nsec),
    };
    Ok(Executable {
        path: d.path_string(),
        key,
        size: st.size,
        ops,
    })
}
