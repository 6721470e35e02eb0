//! Path walk: the sentry resolves every path itself, one component at a time, so that
//! symlinks (read from the filesystem, never followed by the host) and ".." stay inside
//! the container's tree.

use super::dentry::{Dentry, MountTable};
use super::inode::FileType;
use super::perm;
use super::{MAX_SYMLINKS, NAME_MAX};
use abi::Errno;
use std::sync::Arc;

/// The identity a walk runs as (permission checks, /proc/self).
#[derive(Clone, Debug)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    /// The calling thread group, for /proc/self (0: not known, e.g. inside execve
    /// before the task's first path call; /proc/self is then absent).
    pub pid: i32,
}

impl Creds {
    pub fn root() -> Creds {
        Creds {
            uid: 0,
            gid: 0,
            groups: Vec::new(),
            pid: 0,
        }
    }
}

/// The parent directory of a path and its last component.
pub struct Lookup {
    pub parent: Arc<Dentry>,
    /// The last component: empty for "/", may be "." or "..".
    pub name: Vec<u8>,
    /// The path ended in '/'.
    pub trailing_slash: bool,
}

impl Lookup {
    /// Whether the last component is "/", "." or "..", which name no entry that can be
    /// created, removed or renamed.
    pub fn is_special(&self) -> bool {
        self.name.is_empty() || self.name == b"." || self.name == b".."
    }
}

/// openat2's RESOLVE_* restrictions on a walk.
#[derive(Clone, Default)]
pub struct Resolve {
    /// RESOLVE_BENEATH: never leave this directory (absolute paths, "..", absolute
    /// symlinks give EXDEV).
    pub beneath: Option<Arc<Dentry>>,
    /// RESOLVE_NO_SYMLINKS: any symlink gives ELOOP.
    pub no_symlinks: bool,
    /// RESOLVE_NO_MAGICLINKS: /proc magic links give ELOOP.
    pub no_magiclinks: bool,
    /// RESOLVE_NO_XDEV: crossing a mount gives EXDEV.
    pub no_xdev: bool,
}

/// One path resolution (the symlink budget is per walk).
pub struct Walker<'a> {
    pub root: &'a Arc<Dentry>,
    pub mounts: &'a MountTable,
    pub creds: &'a Creds,
    pub resolve: Resolve,
    links: u32,
}

impl<'a> Walker<'a> {
    pub fn new(root: &'a Arc<Dentry>, mounts: &'a MountTable, creds: &'a Creds) -> Walker<'a> {
        Walker {
            root,
            mounts,
            creds,
            resolve: Resolve::default(),
            links: 0,
        }
    }

    /// Resolves `path` from `start` (used when it is relative). `follow` says whether a
    /// symlink as the last component is followed (a trailing slash always follows).
    pub fn walk(
        &mut self,
        start: &Arc<Dentry>,
        path: &[u8],
        follow: bool,
    ) -> Result<Arc<Dentry>, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path[0] == b'/' && self.resolve.beneath.is_some() {
            return Err(Errno::EXDEV);
        }
        let mut cur = if path[0] == b'/' {
            self.root.clone()
        } else {
            start.clone()
        };
        let trailing = path.ends_with(b"/");
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let n = comps.len();
        for (i, comp) in comps.into_iter().enumerate() {
            let last = i + 1 == n;
            cur = self.step(cur, comp, !last || follow || trailing)?;
        }
        if trailing && cur.inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }

    /// Resolves all but the last component of `path`.
    pub fn walk_parent(&mut self, start: &Arc<Dentry>, path: &[u8]) -> Result<Lookup, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let end = path.iter().rposition(|&c| c != b'/').map_or(0, |p| p + 1);
        let trailing_slash = end < path.len();
        let trimmed = &path[..end];
        let (dir, name): (&[u8], &[u8]) = match trimmed.iter().rposition(|&c| c == b'/') {
            Some(p) => (&trimmed[..p + 1], &trimmed[p + 1..]),
            None => (b"", trimmed),
        };
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let parent = if dir.is_empty() {
            if trimmed.is_empty() {
                self.root.clone()
            } else {
                start.clone()
            }
        } else {
            self.walk(start, dir, true)?
        };
        if parent.inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        self.may_search(&parent)?;
        Ok(Lookup {
            parent,
            name: name.to_vec(),
            trailing_slash,
        })
    }

    /// Looks `name` up in the directory `parent` (mounts first), without following.
    pub fn child(&self, parent: &Arc<Dentry>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        if let Some(d) = parent.cached_child(name) {
            return Ok(d);
        }
        let d = if let Some(m) = self.mounts.lookup(parent, name) {
            Dentry::new(m.root.clone(), m, Some(parent.clone()), name.to_vec())
        } else {
            let inode = parent.inode.lookup(name)?;
            Dentry::new(
                inode,
                parent.mount.clone(),
                Some(parent.clone()),
                name.to_vec(),
            )
        };
        parent.cache_child(name, &d);
        Ok(d)
    }

    /// Counts one symlink traversal done by the caller; ELOOP past the limit.
    pub fn follow_budget(&mut self) -> Result<(), Errno> {
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            return Err(Errno::ELOOP);
        }
        Ok(())
    }

    /// Follows `d` if it is a symlink (counting toward ELOOP); returns it otherwise.
    pub fn follow(&mut self, d: Arc<Dentry>) -> Result<Arc<Dentry>, Errno> {
        if d.inode.file_type() != FileType::Symlink {
            return Ok(d);
        }
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            return Err(Errno::ELOOP);
        }
        if self.resolve.no_symlinks {
            return Err(Errno::ELOOP);
        }
        if let Some(target) = d.inode.magic_link() {
            if self.resolve.no_magiclinks || self.resolve.beneath.is_some() {
                return Err(if self.resolve.beneath.is_some() {
                    Errno::EXDEV
                } else {
                    Errno::ELOOP
                });
            }
            return Ok(target);
        }
        let target = d.inode.readlink(self.creds)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let base = d.parent().unwrap_or_else(|| self.root.clone());
        self.walk(&base, &target, true)
    }

    fn step(&mut self, cur: Arc<Dentry>, comp: &[u8], follow: bool) -> Result<Arc<Dentry>, Errno> {
        if cur.inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if comp.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        self.may_search(&cur)?;
        if comp == b"." {
            return Ok(cur);
        }
        if comp == b".." {
            if self.resolve.beneath.as_ref().is_some_and(|b| b.same(&cur)) {
                return Err(Errno::EXDEV);
            }
            let up = self.parent_of(&cur);
            if self.resolve.no_xdev && up.mount.id != cur.mount.id {
                return Err(Errno::EXDEV);
            }
            return Ok(up);
        }
        let next = self.child(&cur, comp)?;
        if self.resolve.no_xdev && next.mount.id != cur.mount.id {
            return Err(Errno::EXDEV);
        }
        if follow {
            self.follow(next)
        } else {
            Ok(next)
        }
    }

    /// ".." of `d`, which stays at the process's root.
    pub fn parent_of(&self, d: &Arc<Dentry>) -> Arc<Dentry> {
        if d.same(self.root) {
            return d.clone();
        }
        d.parent().unwrap_or_else(|| d.clone())
    }

    fn may_search(&self, dir: &Dentry) -> Result<(), Errno> {
        if self.creds.uid == 0 {
            return Ok(());
        }
        perm::check(&dir.inode.stat()?, self.creds, perm::MAY_EXEC)
    }
}
