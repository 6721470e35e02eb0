//! Dentries (an inode seen at a place in the tree) and mounts.
//!
//! A `Dentry` records an inode, the mount it was reached through, and its parent and
//! name (for "..", getcwd and /proc/PID/maps names). Each dentry caches its live
//! children weakly, so while anything uses a dentry (a cwd, an open file, a walk in
//! progress) every walk to that place finds the same one; renames and unlinks done
//! through the VFS update the cache, so a renamed cwd reports its new path.
//!
//! A mount is attached to a *name in a directory*: the key is the parent directory's
//! identity (mount id, st_dev, st_ino) and the child's name. The walk consults the
//! table before asking the filesystem, so the mount point need not exist below.

use super::inode::Inode;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

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
    /// Parent and name: change when a rename moves this dentry.
    loc: Mutex<Loc>,
    /// Live children by name (weak: a dentry lives only while something uses it).
    children: Mutex<HashMap<Vec<u8>, Weak<Dentry>>>,
}

struct Loc {
    /// None only for the root of the whole tree (and detached dentries).
    parent: Option<Arc<Dentry>>,
    name: Vec<u8>,
}

impl Dentry {
    pub fn new(
        inode: Arc<dyn Inode>,
        mount: Arc<Mount>,
        parent: Option<Arc<Dentry>>,
        name: Vec<u8>,
    ) -> Arc<Dentry> {
        Arc::new(Dentry {
            inode,
            mount,
            loc: Mutex::new(Loc { parent, name }),
            children: Mutex::new(HashMap::new()),
        })
    }

    /// The root dentry of a tree whose top mount is `mount`.
    pub fn root_of(mount: Arc<Mount>) -> Arc<Dentry> {
        Dentry::new(mount.root.clone(), mount, None, Vec::new())
    }

    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.loc.lock().ok().and_then(|l| l.parent.clone())
    }

    pub fn name(&self) -> Vec<u8> {
        self.loc.lock().map(|l| l.name.clone()).unwrap_or_default()
    }

    /// Whether two dentries name the same object through the same mount.
    pub fn same(&self, other: &Dentry) -> bool {
        self.mount.id == other.mount.id && self.inode.id() == other.inode.id()
    }

    /// The live child dentry called `name`, if one is cached.
    pub fn cached_child(&self, name: &[u8]) -> Option<Arc<Dentry>> {
        self.children.lock().ok()?.get(name)?.upgrade()
    }

    /// Caches `child` as `name` (dead entries are swept as the map grows).
    pub fn cache_child(&self, name: &[u8], child: &Arc<Dentry>) {
        if let Ok(mut c) = self.children.lock() {
            if c.len() >= 64 && c.len().is_power_of_two() {
                c.retain(|_, w| w.strong_count() > 0);
            }
            c.insert(name.to_vec(), Arc::downgrade(child));
        }
    }

    /// Forgets the child `name` (it was removed or replaced).
    pub fn forget_child(&self, name: &[u8]) {
        if let Ok(mut c) = self.children.lock() {
            c.remove(name);
        }
    }

    /// Records a rename: the child `old` of `from` is now `new` in `to`.
    pub fn moved(from: &Arc<Dentry>, old: &[u8], to: &Arc<Dentry>, new: &[u8]) {
        let child = from
            .children
            .lock()
            .ok()
            .and_then(|mut c| c.remove(old))
            .and_then(|w| w.upgrade());
        to.forget_child(new);
        if let Some(d) = child {
            if let Ok(mut l) = d.loc.lock() {
                l.parent = Some(to.clone());
                l.name = new.to_vec();
            }
            to.cache_child(new, &d);
        }
    }

    /// Records an exchange: `a` in `da` and `b` in `db` swapped places.
    pub fn exchanged(da: &Arc<Dentry>, a: &[u8], db: &Arc<Dentry>, b: &[u8]) {
        let take = |d: &Arc<Dentry>, n: &[u8]| {
            d.children
                .lock()
                .ok()
                .and_then(|mut c| c.remove(n))
                .and_then(|w| w.upgrade())
        };
        let (x, y) = (take(da, a), take(db, b));
        for (d, parent, name) in [(x, db, b), (y, da, a)] {
            if let Some(d) = d {
                if let Ok(mut l) = d.loc.lock() {
                    l.parent = Some(parent.clone());
                    l.name = name.to_vec();
                }
                parent.cache_child(name, &d);
            }
        }
    }

    /// The absolute path from the tree's root (or from `stop`, if met on the way up).
    pub fn path_from(&self, stop: Option<&Dentry>) -> Vec<u8> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut cur: Option<Arc<Dentry>> = None;
        // Bounded: the VFS never makes a dentry its own ancestor, but a bug must not hang
        // a task (PATH_MAX/2 levels is more than any real path has).
        for _ in 0..2048 {
            let d: &Dentry = cur.as_deref().unwrap_or(self);
            if stop.is_some_and(|s| s.same(d)) {
                break;
            }
            let (parent, name) = match d.loc.lock() {
                Ok(l) => (l.parent.clone(), l.name.clone()),
                Err(_) => break,
            };
            match parent {
                Some(p) => {
                    names.push(name);
                    cur = Some(p);
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

/// A line of /proc/mounts.
#[derive(Clone, Debug)]
pub struct MountDesc {
    pub source: String,
    pub path: String,
    pub fstype: String,
    pub readonly: bool,
    pub mount_id: u32,
}

/// The mounts of one container's tree (shared by all its processes).
#[derive(Default)]
pub struct MountTable {
    mounts: RwLock<HashMap<DirKey, Vec<Named>>>,
    next_id: AtomicU32,
    described: std::sync::Mutex<Vec<MountDesc>>,
}

static TABLES: std::sync::Mutex<Vec<Weak<MountTable>>> = std::sync::Mutex::new(Vec::new());

impl MountTable {
    pub fn new() -> MountTable {
        MountTable {
            mounts: RwLock::new(HashMap::new()),
            next_id: AtomicU32::new(1),
            described: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Makes `table` findable by /proc/mounts.
    pub fn register(table: &Arc<MountTable>) {
        if let Ok(mut t) = TABLES.lock() {
            t.retain(|w| w.strong_count() > 0);
            t.push(Arc::downgrade(table));
        }
    }

    /// The registered table that holds mount `id`.
    pub fn find(id: u32) -> Option<Arc<MountTable>> {
        let t = TABLES.lock().ok()?;
        t.iter().filter_map(|w| w.upgrade()).find(|m| {
            m.described
                .lock()
                .is_ok_and(|d| d.iter().any(|x| x.mount_id == id))
        })
    }

    /// Records how a mount shows in /proc/mounts.
    pub fn describe(&self, m: &Mount, path: &str, fstype: &str, source: &str) {
        if let Ok(mut d) = self.described.lock() {
            d.push(MountDesc {
                source: source.to_string(),
                path: path.to_string(),
                fstype: fstype.to_string(),
                readonly: m.readonly,
                mount_id: m.id,
            });
        }
    }

    /// /proc/mounts' content.
    pub fn mounts_text(&self) -> Vec<u8> {
        let mut out = String::new();
        if let Ok(d) = self.described.lock() {
            for m in d.iter() {
                let opts = if m.readonly { "ro" } else { "rw" };
                out.push_str(&format!(
                    "{} {} {} {},relatime 0 0\n",
                    m.source, m.path, m.fstype, opts
                ));
            }
        }
        out.into_bytes()
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
