//! procfs, minimal for now: /proc/self and a few fixed files. Per-process directories
//! come with the kernel's process table.

use super::mem::{MemDir, MemFile, MemFs};
use crate::vfs::inode::NewAttr;
use crate::vfs::{Creds, FileOps, FileType, Inode, Stat, Timespec};
use abi::Errno;
use std::any::Any;
use std::sync::Arc;

/// /proc/self: a symlink to the caller's pid.
pub struct SelfLink {
    dev: u64,
    ino: u64,
    created: Timespec,
}

impl Inode for SelfLink {
    fn stat(&self) -> Result<Stat, Errno> {
        let t = self.created;
        Ok(Stat {
            dev: self.dev,
            ino: self.ino,
            mode: FileType::Symlink.mode_bits() | 0o777,
            nlink: 1,
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
            ..Stat::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }
    fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
    fn readlink(&self, creds: &Creds) -> Result<Vec<u8>, Errno> {
        Ok(creds.pid.to_string().into_bytes())
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Builds a procfs instance.
pub fn new_procfs() -> Arc<MemDir> {
    let fs = MemFs::new(0x9fa0);
    let root = MemDir::new(
        &fs,
        NewAttr {
            mode: 0o555,
            uid: 0,
            gid: 0,
        },
    );
    root.insert(
        b"self",
        Arc::new(SelfLink {
            dev: fs.dev,
            ino: fs.alloc_ino(),
            created: Timespec::now(),
        }),
    );
    let ro = NewAttr {
        mode: 0o444,
        uid: 0,
        gid: 0,
    };
    root.insert(
        b"filesystems",
        MemFile::with_content(&fs, ro, b"nodev\ttmpfs\nnodev\tproc\nnodev\toverlay\n"),
    );
    root
}
