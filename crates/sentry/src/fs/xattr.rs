//! Extended attributes, kept in sandbox memory for every filesystem (they never reach
//! the host), keyed by the object's identity (st_dev, st_ino).

use crate::vfs::FileType;
use abi::Errno;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

/// Largest value (XATTR_SIZE_MAX).
pub const SIZE_MAX: usize = 65536;
/// Most bytes of names and values one object may hold.
const PER_OBJECT: usize = 1 << 20;

pub const CREATE: u32 = 1;
pub const REPLACE: u32 = 2;

type Attrs = BTreeMap<Vec<u8>, Vec<u8>>;

fn table() -> &'static Mutex<HashMap<(u64, u64), Attrs>> {
    static T: OnceLock<Mutex<HashMap<(u64, u64), Attrs>>> = OnceLock::new();
    T.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Linux's namespace rules for `name` on an object of `kind`, as `uid`.
pub fn check_name(name: &[u8], kind: FileType, uid: u32, writing: bool) -> Result<(), Errno> {
    const SPACES: [&[u8]; 4] = [b"user.", b"trusted.", b"security.", b"system."];
    let Some(prefix) = SPACES.iter().find(|p| name.starts_with(p)) else {
        return Err(Errno::EOPNOTSUPP);
    };
    if name.len() == prefix.len() {
        return Err(Errno::EINVAL);
    }
    if *prefix == b"system." {
        return Err(Errno::EOPNOTSUPP);
    }
    if *prefix == b"trusted." && uid != 0 {
        return if writing {
            Err(Errno::EPERM)
        } else {
            Err(Errno::ENODATA)
        };
    }
    if *prefix == b"user." && !matches!(kind, FileType::Regular | FileType::Directory) {
        return if writing {
            Err(Errno::EPERM)
        } else {
            Err(Errno::ENODATA)
        };
    }
    Ok(())
}

pub fn get(id: (u64, u64), name: &[u8]) -> Option<Vec<u8>> {
    table().lock().ok()?.get(&id)?.get(name).cloned()
}

pub fn set(id: (u64, u64), name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
    let mut t = table().lock().map_err(|_| Errno::EIO)?;
    let attrs = t.entry(id).or_default();
    let exists = attrs.contains_key(name);
    if flags & CREATE != 0 && exists {
        return Err(Errno::EEXIST);
    }
    if flags & REPLACE != 0 && !exists {
        return Err(Errno::ENODATA);
    }
    let used: usize = attrs
        .iter()
        .filter(|(k, _)| k.as_slice() != name)
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if used + name.len() + value.len() > PER_OBJECT {
        return Err(Errno::ENOSPC);
    }
    attrs.insert(name.to_vec(), value.to_vec());
    Ok(())
}

/// The names, each NUL-terminated, as listxattr returns them.
pub fn list(id: (u64, u64)) -> Vec<u8> {
    let Ok(t) = table().lock() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(attrs) = t.get(&id) {
        for k in attrs.keys() {
            out.extend_from_slice(k);
            out.push(0);
        }
    }
    out
}

pub fn remove(id: (u64, u64), name: &[u8]) -> Result<(), Errno> {
    let mut t = table().lock().map_err(|_| Errno::EIO)?;
    let attrs = t.get_mut(&id).ok_or(Errno::ENODATA)?;
    attrs.remove(name).ok_or(Errno::ENODATA)?;
    if attrs.is_empty() {
        t.remove(&id);
    }
    Ok(())
}
