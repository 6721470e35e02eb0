//! Unix socket paths longer than `sockaddr_un` allows.
//!
//! `sun_path` holds 108 bytes including the terminating NUL, and a `--root` deep in a
//! test tree or a containerd state dir easily exceeds that. The kernel resolves the
//! address like any other path, including the magic links under `/proc/self/fd`, so a
//! long path can be reached through a short alias:
//!
//! * **connect**: open the socket file itself with `O_PATH` (which needs no permission
//!   on the socket and does not connect) and connect to `/proc/self/fd/N`. This works
//!   however long the last component is.
//! * **bind**: the socket file does not exist yet, so open its parent directory with
//!   `O_PATH | O_DIRECTORY` and bind `/proc/self/fd/N/<name>`. The name itself must
//!   then fit in what is left of `sun_path`.
//!
//! The `O_PATH` descriptor is close-on-exec and is closed as soon as the call returns.
//! Short paths are used directly, so `/proc` is only needed for long ones.

use std::ffi::OsStr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use rustix::fs::{open, Mode, OFlags};

use crate::error::{Error, Result};

/// Bytes in `sockaddr_un.sun_path`, including the terminating NUL.
pub const SUN_PATH_LEN: usize = 108;

/// True when `path` can be used in a `sockaddr_un` as is.
pub fn fits_sockaddr(path: &Path) -> bool {
    path.as_os_str().len() < SUN_PATH_LEN
}

fn open_path(path: &Path, flags: OFlags) -> std::io::Result<OwnedFd> {
    Ok(open(
        path,
        flags | OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

fn proc_fd_path(fd: &OwnedFd, name: Option<&OsStr>) -> PathBuf {
    let mut p = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
    if let Some(name) = name {
        p.push(name);
    }
    p
}

/// Connects a stream socket to the Unix socket at `path`, whatever its length.
pub fn connect(path: &Path) -> Result<UnixStream> {
    let context = || format!("connecting to socket {}", path.display());
    if fits_sockaddr(path) {
        return UnixStream::connect(path).map_err(|e| Error::io(context(), e));
    }
    let fd = open_path(path, OFlags::empty()).map_err(|e| Error::io(context(), e))?;
    let alias = proc_fd_path(&fd, None);
    let stream = UnixStream::connect(&alias).map_err(|e| Error::io(context(), e))?;
    drop(fd);
    Ok(stream)
}

/// Creates a listening Unix socket bound at `path`, whatever the length of its directory
/// part. The file must not exist yet. The listener is close-on-exec (as std makes it);
/// clear `FD_CLOEXEC` or `dup` it when donating it to a child.
pub fn bind(path: &Path) -> Result<UnixListener> {
    let context = || format!("binding socket {}", path.display());
    if fits_sockaddr(path) {
        return UnixListener::bind(path).map_err(|e| Error::io(context(), e));
    }
    let name = path.file_name().ok_or_else(|| {
        Error::io(
            context(),
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = open_path(parent, OFlags::DIRECTORY)
        .map_err(|e| Error::io(format!("{}: opening {}", context(), parent.display()), e))?;
    let alias = proc_fd_path(&dir, Some(name));
    if !fits_sockaddr(&alias) {
        return Err(Error::io(
            context(),
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "socket file name is {} bytes, too long even through /proc/self/fd",
                    name.as_bytes().len()
                ),
            ),
        ));
    }
    let listener = UnixListener::bind(&alias).map_err(|e| Error::io(context(), e))?;
    drop(dir);
    Ok(listener)
}
