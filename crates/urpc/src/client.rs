//! The calling side: used by the `moat` CLI to talk to a sandbox.
//!
//! The client treats every reply as untrusted input: sizes are bounded before
//! allocation, the JSON shape is checked, the FD count must match, and no reply can make
//! it panic. After a transport or protocol failure the connection may be out of step
//! with the server, so the client refuses further calls on it (reconnect instead).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::frame::{recv_frame, send_frame, DEFAULT_MAX_MESSAGE_SIZE};
use crate::{addr, wire};

/// A connection to a urpc server.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
    max_message_size: usize,
    broken: bool,
}

impl Client {
    /// Connects to the server listening at `path`. Paths longer than `sockaddr_un`
    /// allows are reached through `/proc/self/fd` (see [`crate::addr`]).
    pub fn connect(path: &Path) -> Result<Client> {
        match addr::connect(path) {
            Ok(stream) => Ok(Client::from_stream(stream)),
            Err(Error::Io { cause, .. }) => Err(Error::io(
                format!("connecting to control socket {}", path.display()),
                cause,
            )),
            Err(e) => Err(e),
        }
    }

    /// Wraps an already connected stream (e.g. one end of a socketpair).
    pub fn from_stream(stream: UnixStream) -> Client {
        Client {
            stream,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            broken: false,
        }
    }

    /// Sets the largest reply body accepted (default 1 MiB). Requests larger than this
    /// are refused too.
    pub fn set_max_message_size(&mut self, bytes: usize) {
        self.max_message_size = bytes;
    }

    /// The current message size limit.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Bounds how long a call waits for its reply (`None`: forever, the default).
    /// Methods such as [`crate::methods::CONTAINER_WAIT`] legitimately block, so set
    /// this per call site rather than globally.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.stream
            .set_read_timeout(timeout)
            .map_err(|e| Error::io("setting the control socket read timeout", e))
    }

    /// Calls `method` with `params`, passing `fds` along; returns the decoded result and
    /// the FDs that came with the reply (close-on-exec, owned by the caller).
    ///
    /// A server-side failure is `Err(Error::Remote { .. })`, after which the connection
    /// stays usable. Any other error leaves the connection unusable.
    pub fn call<P, R>(
        &mut self,
        method: &str,
        params: &P,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(R, Vec<OwnedFd>)>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        if self.broken {
            return Err(Error::Protocol(
                "control connection is unusable after an earlier failure".into(),
            ));
        }
        let result = self.call_inner(method, params, fds);
        if let Err(e) = &result {
            if !e.is_remote() {
                self.broken = true;
            }
        }
        result
    }

    /// [`Client::call`] without FDs either way; a reply carrying FDs is a protocol error.
    pub fn call_simple<P, R>(&mut self, method: &str, params: &P) -> Result<R>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let (result, fds) = self.call(method, params, &[])?;
        if !fds.is_empty() {
            self.broken = true;
            return Err(Error::Protocol(format!(
                "reply to {method} carried {} unexpected file descriptors",
                fds.len()
            )));
        }
        Ok(result)
    }

    fn call_inner<P, R>(
        &mut self,
        method: &str,
        params: &P,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(R, Vec<OwnedFd>)>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let params = serde_json::to_value(params)
            .map_err(|e| Error::Protocol(format!("encoding params of {method}: {e}")))?;
        let body = wire::encode_request(method, params, fds.len())?;
        if body.len() > self.max_message_size {
            return Err(Error::TooLarge(body.len()));
        }
        send_frame(self.stream.as_fd(), &body, fds)?;

        let (body, received) =
            recv_frame(self.stream.as_fd(), self.max_message_size)?.ok_or(Error::Closed)?;
        let resp = wire::decode_response(method, &body)?;
        if resp.fds != received.len() {
            // `received` is dropped here, closing every FD.
            return Err(Error::Protocol(format!(
                "reply to {method} announced {} file descriptors but carried {}",
                resp.fds,
                received.len()
            )));
        }
        match resp.result {
            Ok(value) => {
                let decoded = serde_json::from_value(value)
                    .map_err(|e| Error::Protocol(format!("unexpected reply to {method}: {e}")))?;
                Ok((decoded, received))
            }
            Err(remote) => {
                if !received.is_empty() {
                    return Err(Error::Protocol(format!(
                        "error reply to {method} carried file descriptors"
                    )));
                }
                Err(Error::Remote {
                    method: method.to_owned(),
                    kind: remote.kind,
                    message: remote.message,
                })
            }
        }
    }
}
