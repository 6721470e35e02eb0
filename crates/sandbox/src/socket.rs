//! The control socket: a Unix socket *file* the CLI creates and the sandbox serves.
//!
//! Abstract sockets are never used: any process in the network namespace could connect
//! to one, while a socket file is protected by its mode (0600 here). The file goes under
//! `--root`, falling back to the usual runtime directories when that fails.

use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::SandboxError;

/// Ids longer than this are replaced by a hash in the socket's file name, so the
/// name always fits in `sockaddr_un` (even behind a `/proc/self/fd/N/` alias).
const MAX_NAME_ID: usize = 64;

/// File name of a sandbox's control socket.
pub fn socket_name(id: &str) -> String {
    if id.len() <= MAX_NAME_ID {
        return format!("moat-{id}.sock");
    }
    // FNV-1a: stable, and collisions only matter among live sandboxes in one dir,
    // which bind would report as EADDRINUSE.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("moat-{}-{hash:016x}.sock", &id[..16])
}

/// Creates, binds and listens on the control socket for sandbox `id`; returns its path
/// and the listening descriptor to donate.
pub fn create(root_dir: &Path, id: &str) -> Result<(PathBuf, OwnedFd), SandboxError> {
    let name = socket_name(id);
    let mut failures = Vec::new();
    for dir in [
        root_dir,
        Path::new("/var/run"),
        Path::new("/run"),
        Path::new("/tmp"),
    ] {
        if !dir.is_absolute() {
            failures.push(format!("{}: not an absolute path", dir.display()));
            continue;
        }
        let path = dir.join(&name);
        match urpc::addr::bind(&path) {
            Ok(listener) => {
                if let Err(e) =
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                {
                    let _ = std::fs::remove_file(&path);
                    failures.push(format!("{}: {e}", path.display()));
                    continue;
                }
                tracing::debug!(path = %path.display(), "control socket created");
                return Ok((path, OwnedFd::from(listener)));
            }
            Err(e) => {
                tracing::debug!("cannot create control socket {}: {e}", path.display());
                failures.push(e.to_string());
            }
        }
    }
    Err(SandboxError::Config(format!(
        "no place for the control socket: {}",
        failures.join("; ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ids_get_short_distinct_names() {
        assert_eq!(socket_name("web"), "moat-web.sock");
        let a = socket_name(&"a".repeat(500));
        let b = socket_name(&format!("{}b", "a".repeat(499)));
        assert!(a.len() < 60 && b.len() < 60);
        assert_ne!(a, b);
    }

    #[test]
    fn long_root_dirs_still_get_a_socket_there() {
        let base = std::env::temp_dir().join(format!("moat-sock-{}", std::process::id()));
        let deep = base.join("d".repeat(60)).join("e".repeat(60));
        std::fs::create_dir_all(&deep).expect("mkdir");
        let (path, _fd) = create(&deep, "abc").expect("create socket");
        assert_eq!(path, deep.join("moat-abc.sock"));
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // And a client can reach it despite the length.
        urpc::addr::connect(&path).expect("connect through /proc/self/fd");
        let _ = std::fs::remove_dir_all(&base);
    }
}
