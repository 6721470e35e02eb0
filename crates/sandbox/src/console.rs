//! Terminals for containers with `process.terminal`: a new pty whose master goes to the
//! caller's console socket (as runc does, over SCM_RIGHTS) and whose replica becomes the
//! container's stdin, stdout and stderr.

use std::ffi::CStr;
use std::io::IoSlice;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};

use crate::error::SandboxError;

/// Opens a pty pair, sends the master to `console_socket`; returns the replica.
pub fn new_with_socket(console_socket: &Path) -> Result<OwnedFd, SandboxError> {
    let (master, replica) = open_pty()?;
    let sock = urpc::addr::connect(console_socket).map_err(|e| {
        SandboxError::control(
            format!("connecting to console socket {}", console_socket.display()),
            e,
        )
    })?;
    send_fd(&sock, &master, b"/dev/ptmx")
        .map_err(|e| SandboxError::os("sending the terminal to the console socket", e))?;
    Ok(replica)
}

fn open_pty() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    let err = |what: &str| SandboxError::os(what.to_owned(), std::io::Error::last_os_error());
    // SAFETY: posix_openpt returns a new descriptor or -1; we own it from here on.
    let m = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    if m < 0 {
        return Err(err("opening a pseudo-terminal"));
    }
    // SAFETY: `m` is a fresh descriptor nobody else owns.
    let master = unsafe { OwnedFd::from_raw_fd(m) };
    // SAFETY: both calls only take the descriptor we own.
    if unsafe { libc::grantpt(m) } != 0 || unsafe { libc::unlockpt(m) } != 0 {
        return Err(err("unlocking the pseudo-terminal"));
    }
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: ptsname_r writes a NUL-terminated name into our buffer of the given size.
    if unsafe { libc::ptsname_r(m, name.as_mut_ptr(), name.len()) } != 0 {
        return Err(err("naming the pseudo-terminal"));
    }
    // SAFETY: ptsname_r succeeded, so `name` holds a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(name.as_ptr()) };
    // SAFETY: open of a NUL-terminated path; the result is checked below.
    let r = unsafe {
        libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if r < 0 {
        return Err(err("opening the terminal replica"));
    }
    // SAFETY: `r` is a fresh descriptor nobody else owns.
    let replica = unsafe { OwnedFd::from_raw_fd(r) };
    Ok((master, replica))
}

/// Sends one descriptor with `name` as the message body, the runc console protocol.
fn send_fd(sock: &UnixStream, fd: &OwnedFd, name: &[u8]) -> std::io::Result<()> {
    let fds = [fd.as_fd()];
    let mut space = [0u8; rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = SendAncillaryBuffer::new(&mut space);
    if !cmsg.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(std::io::Error::other("control message buffer too small"));
    }
    sendmsg(sock, &[IoSlice::new(name)], &mut cmsg, SendFlags::empty())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::IoSliceMut;
    use std::os::unix::net::UnixListener;

    use rustix::net::{recvmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};

    #[test]
    fn master_arrives_over_the_console_socket() {
        let dir = std::env::temp_dir().join(format!("moat-console-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("console.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("bind");
        let replica = new_with_socket(&path).expect("pty");
        let (conn, _) = listener.accept().expect("accept");
        let mut buf = [0u8; 64];
        let mut space = [0u8; rustix::cmsg_space!(ScmRights(1))];
        let mut cmsg = RecvAncillaryBuffer::new(&mut space);
        let got = recvmsg(
            &conn,
            &mut [IoSliceMut::new(&mut buf)],
            &mut cmsg,
            RecvFlags::empty(),
        )
        .expect("recvmsg");
        assert_eq!(&buf[..got.bytes], b"/dev/ptmx");
        let mut received = Vec::new();
        for msg in cmsg.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = msg {
                received.extend(fds);
            }
        }
        assert_eq!(received.len(), 1);
        // Bytes written on the replica come out of the received master.
        rustix::io::write(&replica, b"hi\n").expect("write replica");
        let mut out = [0u8; 16];
        let n = rustix::io::read(&received[0], &mut out).expect("read master");
        assert!(out[..n].starts_with(b"hi"), "got {:?}", &out[..n]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
