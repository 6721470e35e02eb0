//! Framing: a `u32` little-endian body length, then the JSON body.
//!
//! File descriptors travel as one `SCM_RIGHTS` control message attached to the first
//! `sendmsg` of a frame, so they arrive with the frame's first bytes. The receiver reads
//! exactly one frame's worth of bytes (header, then body) and never reads ahead into the
//! next frame, so FDs can never be attributed to the wrong message. Every read uses
//! `MSG_CMSG_CLOEXEC`, and received FDs are owned (`OwnedFd`) from the moment they are
//! taken out of the control buffer, so any error path closes them.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

use crate::error::{Error, Result};

/// Size of the length prefix.
pub const HEADER_LEN: usize = 4;

/// Most FDs one frame may carry: Linux's `SCM_MAX_FD`.
pub const MAX_FDS: usize = 253;

/// Default limit on a frame body (1 MiB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// Sends one frame carrying `body` and `fds` over a connected stream socket.
pub fn send_frame(sock: BorrowedFd<'_>, body: &[u8], fds: &[BorrowedFd<'_>]) -> Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| Error::TooLarge(body.len()))?;
    if fds.len() > MAX_FDS {
        return Err(Error::Protocol(format!(
            "cannot send {} file descriptors in one message (at most {MAX_FDS})",
            fds.len()
        )));
    }
    let header = len.to_le_bytes();
    let total = HEADER_LEN + body.len();
    let mut cmsg_space = vec![0u8; rustix::cmsg_space!(ScmRights(fds.len()))];
    let mut sent = 0usize;
    while sent < total {
        let iov: [IoSlice<'_>; 2] = if sent < HEADER_LEN {
            [IoSlice::new(&header[sent..]), IoSlice::new(body)]
        } else {
            [IoSlice::new(&body[sent - HEADER_LEN..]), IoSlice::new(&[])]
        };
        let mut control = SendAncillaryBuffer::new(&mut cmsg_space);
        if sent == 0 && !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(fds)) {
            // The buffer was sized for exactly these FDs; this cannot fail, but do not
            // silently drop them if it ever does.
            return Err(Error::Protocol(
                "no room for file descriptors in the control buffer".into(),
            ));
        }
        match sendmsg(sock, &iov, &mut control, SendFlags::NOSIGNAL) {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => sent += n,
            Err(Errno::INTR) => continue,
            Err(Errno::PIPE) | Err(Errno::CONNRESET) => return Err(Error::Closed),
            Err(Errno::AGAIN) => return Err(Error::Timeout),
            Err(e) => return Err(Error::io("sending a control message", e.into())),
        }
    }
    Ok(())
}

/// Receives one frame. Returns `Ok(None)` on a clean end of stream before the first byte
/// of a frame. A body longer than `max_size` is refused before anything is allocated for
/// it.
pub fn recv_frame(
    sock: BorrowedFd<'_>,
    max_size: usize,
) -> Result<Option<(Vec<u8>, Vec<OwnedFd>)>> {
    let mut fds = Vec::new();
    let mut cmsg_space = vec![0u8; rustix::cmsg_space!(ScmRights(MAX_FDS))];

    let mut header = [0u8; HEADER_LEN];
    let got = recv_exact(sock, &mut header, &mut fds, &mut cmsg_space)?;
    if got == 0 {
        if !fds.is_empty() {
            return Err(Error::Protocol(
                "file descriptors arrived without a message".into(),
            ));
        }
        return Ok(None);
    }
    if got < HEADER_LEN {
        return Err(Error::Protocol(format!(
            "connection closed inside a frame header ({got} of {HEADER_LEN} bytes)"
        )));
    }
    let len = u32::from_le_bytes(header) as usize;
    if len > max_size {
        return Err(Error::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    let got = recv_exact(sock, &mut body, &mut fds, &mut cmsg_space)?;
    if got < len {
        return Err(Error::Protocol(format!(
            "connection closed inside a frame ({got} of {len} body bytes)"
        )));
    }
    Ok(Some((body, fds)))
}

/// Fills `buf` unless the stream ends first; returns how many bytes were read. FDs that
/// arrive on the way are appended to `fds`.
fn recv_exact(
    sock: BorrowedFd<'_>,
    buf: &mut [u8],
    fds: &mut Vec<OwnedFd>,
    cmsg_space: &mut [u8],
) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let mut control = RecvAncillaryBuffer::new(cmsg_space);
        let mut iov = [IoSliceMut::new(&mut buf[filled..])];
        let ret = match recvmsg(sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Ok(ret) => ret,
            Err(Errno::INTR) => continue,
            Err(Errno::AGAIN) => return Err(Error::Timeout),
            Err(Errno::CONNRESET) => return Err(Error::Closed),
            Err(e) => return Err(Error::io("receiving a control message", io::Error::from(e))),
        };
        for msg in control.drain() {
            if let RecvAncillaryMessage::ScmRights(received) = msg {
                fds.extend(received);
            }
        }
        // MSG_CTRUNC: the kernel had more FDs than fit and closed the rest. What we did
        // get is dropped (closed) by the caller when it sees the error.
        if ret.flags.bits() & (libc::MSG_CTRUNC as u32) != 0 {
            return Err(Error::Protocol(format!(
                "too many file descriptors in one message (at most {MAX_FDS})"
            )));
        }
        if fds.len() > MAX_FDS {
            return Err(Error::Protocol(format!(
                "too many file descriptors in one message (at most {MAX_FDS})"
            )));
        }
        if ret.bytes == 0 {
            break;
        }
        filled += ret.bytes;
    }
    Ok(filled)
}
