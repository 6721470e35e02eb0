//! Dentries (an inode seen at a place in the tree) and mounts.
//!
//! A `Dentry` is made by each path walk and is immutable: it records the inode, the
//! mount it was reached through and its parent dentry (for "..", getcwd and
//! /proc/PID/maps names). Nothing caches dentries, so a rename never has to fix any up;
//! a directory renamed under a process's cwd keeps the old name in getcwd.
//!
//! A mount is attached to a *name in a directory*: the key is the parent directory's
//! identity (mount id, st_dev, st_ino) and the child's name. The walk consults the
//! table before asking the filesystem, so the mount point need not exist below.

use super::inode::Inode;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

/// One mounted filesystem.
pub struct Mount {
    pub id: u32,
    pub readonly: bool,
    pub root: Arc<dyn Inode>,
}

/// An inode at a place in the tree.
pub struct Dentry {
    pub inode: Arc<dyn Inode>,
    pub mount: Arc<Mount>,
    /// None only for the root of the whole tree.
    pub parent: Option<Arc<Dentry>>,
    pub name: Vec<u8>,
}

impl Dentry {
    /// The root dentry of a tree whose top mount is `mount`.
    pub fn root_of(mount: Arc<Mount>) -> Arc<Dentry> {
        Arc::new(Dentry {
            inode: mount.root.clone(),
            mount,
            parent: None,
            name: Vec::new(),
        })
    }

    /// Whether two dentries name the same object through the same mount.
    pub fn same(&self, other: &Dentry) -> bool {
        self.mount.id == other.mount.id && self.inode.id() == other.inode.id()
    }

    /// The absolute path from the tree's root (or from `stop`, if met on the way up).
    pub fn path_from(&self, stop: Option<&Dentry>) -> Vec<u8> {
        let mut names: Vec<&[u8]> = Vec::new();
        let mut cur = self;
        loop {
            if stop.is_some_and(|s| s.same(cur)) {
                break;
            }
            match &cur.parent {
                Some(p) => {
                    names.push(&cur.name);
                    cur = p;
                }
                None => break,
            }
        }
        let mut out = Vec::new();
        for n in names.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(n);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        out
    }

    /// `path_from(None)` as a lossy string, for names shown to the application.
    pub fn path_string(&self) -> String {
        String::from_utf8_lossy(&self.path_from(None)).into_owned()
    }
}

/// A directory's identity: (mount id, st_dev, st_ino).
type DirKey = (u32, u64, u64);
/// A mount attached under a name.
type Named = (Vec<u8>, Arc<Mount>);

/// The mounts of one container's tree (shared by all its processes).
#[derive(Default)]
pub struct MountTable {
    mounts: RwLock<HashMap<DirKey, Vec<Named>>>,
    next_id: AtomicU32,
}

impl MountTable {
    pub fn new() -> MountTable {
        MountTable {
            mounts: RwLock::new(HashMap::new()),
            next_id: AtomicU32::new(1),
        }
    }

    /// A fresh mount of `root`, not yet attached anywhere.
    pub fn new_mount(&self, root: Arc<dyn Inode>, readonly: bool) -> Arc<Mount> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Mount { id, readonly, root })
    }

    /// Attaches `m` as `name` inside directory `parent`, replacing any earlier mount.
    pub fn attach(&self, parent: &Dentry, name: &[u8], m: Arc<Mount>) {
        let (dev, ino) = parent.inode.id();
        if let Ok(mut t) = self.mounts.write() {
            let list = t.entry((parent.mount.id, dev, ino)).or_default();
            list.retain(|(n, _)| n != name);
            list.push((name.to_vec(), m));
        }
    }

    /// The mount attached as `name` in `parent`, if any.
    pub fn lookup(&self, parent: &Dentry, name: &[u8]) -> Option<Arc<Mount>> {
        let t = self.mounts.read().ok()?;
        if t.is_empty() {
            return None;
        }
        let (dev, ino) = parent.inode.id();
        let list = t.get(&(parent.mount.id, dev, ino))?;
        list.iter().find(|(n, _)| n == name).map(|(_, m)| m.clone())
    }

    /// Names mounted directly inside `parent` (so getdents can list them).
    pub fn names_in(&self, parent: &Dentry) -> Vec<Vec<u8>> {
        let (dev, ino) = parent.inode.id();
        let Ok(t) = self.mounts.read() else {
            return Vec::new();
        };
        t.get(&(parent.mount.id, dev, ino))
            .map(|l| l.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default()
    }
}
