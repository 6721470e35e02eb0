//! devfs: /dev with the character devices every program expects.

use super::mem::{MemDir, MemFs, MemSymlink};
use crate::vfs::inode::NewAttr;
use crate::vfs::{FileOps, FileType, Inode, SetAttr, Stat, Timespec};
use abi::Errno;
use std::any::Any;
use std::sync::{Arc, Mutex};

/// Which device a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    Null,
    Zero,
    Full,
    Random,
    Urandom,
    /// /dev/tty: the controlling terminal; a container process has none (ENXIO).
    Tty,
}

impl Device {
    fn numbers(self) -> (u64, u64) {
        match self {
            Device::Null => (1, 3),
            Device::Zero => (1, 5),
            Device::Full => (1, 7),
            Device::Random => (1, 8),
            Device::Urandom => (1, 9),
            Device::Tty => (5, 0),
        }
    }
}

/// Linux's user-visible dev_t encoding (glibc `makedev`).
pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | ((major & !0xfff) << 32) | (minor & 0xff) | ((minor & !0xff) << 12)
}

/// A device node.
pub struct DevNode {
    dev: u64,
    ino: u64,
    device: Device,
    meta: Mutex<(u32, Timespec)>,
}

impl Inode for DevNode {
    fn stat(&self) -> Result<Stat, Errno> {
        let (mode, t) = *self.meta.lock().map_err(|_| Errno::EIO)?;
        let (ma, mi) = self.device.numbers();
        Ok(Stat {
            dev: self.dev,
            ino: self.ino,
            mode: FileType::CharDev.mode_bits() | mode,
            nlink: 1,
            rdev: makedev(ma, mi),
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
            ..Stat::default()
        })
    }
    fn file_type(&self) -> FileType {
        FileType::CharDev
    }
    fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
    fn open(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        if self.device == Device::Tty {
            return Err(Errno::ENXIO);
        }
        Ok(Box::new(DevOps(self.device)))
    }
    fn setattr(&self, a: &SetAttr) -> Result<(), Errno> {
        let mut m = self.meta.lock().map_err(|_| Errno::EIO)?;
        if let Some(mode) = a.mode {
            m.0 = mode & 0o7777;
        }
        Ok(())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open device.
pub struct DevOps(Device);

impl FileOps for DevOps {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        match self.0 {
            Device::Null => Ok(0),
            Device::Zero | Device::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            Device::Random | Device::Urandom => {
                rustix::rand::getrandom(buf, rustix::rand::GetRandomFlags::empty())
                    .map_err(super::host::errno)
            }
            Device::Tty => Err(Errno::ENXIO),
        }
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        match self.0 {
            Device::Full => Err(Errno::ENOSPC),
            Device::Tty => Err(Errno::ENXIO),
            _ => Ok(buf.len()),
        }
    }
    fn seekable(&self) -> bool {
        true
    }
    fn seek(&self, _off: i64, _whence: u32) -> Option<Result<u64, Errno>> {
        // Linux's null_lseek/noop_llseek: the position stays 0.
        Some(Ok(0))
    }
    fn write_discard(&self, len: usize) -> Option<Result<usize, Errno>> {
        match self.0 {
            Device::Null | Device::Zero => Some(Ok(len)),
            Device::Full => Some(Err(Errno::ENOSPC)),
            _ => None,
        }
    }
}

/// Builds a devfs instance.
pub fn new_devfs() -> Arc<MemDir> {
    let fs = MemFs::tmpfs();
    let root = MemDir::new(
        &fs,
        NewAttr {
            mode: 0o755,
            uid: 0,
            gid: 0,
        },
    );
    let now = Timespec::now();
    for (name, device) in [
        (&b"null"[..], Device::Null),
        (b"zero", Device::Zero),
        (b"full", Device::Full),
        (b"random", Device::Random),
        (b"urandom", Device::Urandom),
        (b"tty", Device::Tty),
    ] {
        let node = Arc::new(DevNode {
            dev: fs.dev,
            ino: fs.alloc_ino(),
            device,
            meta: Mutex::new((0o666, now)),
        });
        root.insert(name, node);
    }
    let link = NewAttr {
        mode: 0o777,
        uid: 0,
        gid: 0,
    };
    for (name, target) in [
        (&b"fd"[..], &b"/proc/self/fd"[..]),
        (b"stdin", b"/proc/self/fd/0"),
        (b"stdout", b"/proc/self/fd/1"),
        (b"stderr", b"/proc/self/fd/2"),
    ] {
        root.insert(name, MemSymlink::new(&fs, target, link));
    }
    root.insert(
        b"pts",
        MemDir::new(
            &fs,
            NewAttr {
                mode: 0o755,
                uid: 0,
                gid: 0,
            },
        ),
    );
    root.insert(
        b"shm",
        MemDir::new(
            &fs,
            NewAttr {
                mode: 0o1777,
                uid: 0,
                gid: 0,
            },
        ),
    );
    root
}
