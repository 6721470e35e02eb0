//! The serving side: used by `moat-sandbox` to answer the CLI.
//!
//! One thread accepts connections; each connection gets its own thread that reads
//! requests and answers them in order, so a blocking method (a container wait) only
//! blocks its own connection. [`Closer::close`] stops the accept loop: it shuts the
//! listening socket down, which wakes a blocked `accept` on Linux. Connections already
//! accepted run until their client hangs up.
//!
//! Requests are bounded like replies are: a frame larger than the server's limit, a
//! malformed request or a wrong FD count ends that connection (after an error reply
//! when the stream is still in step). A handler that panics produces an `Internal`
//! error reply instead of killing the connection thread silently.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{kinds, Error, RemoteError, Result};
use crate::frame::{recv_frame, send_frame, DEFAULT_MAX_MESSAGE_SIZE};
use crate::{addr, wire};

/// One request as a handler sees it.
#[derive(Debug)]
pub struct Request {
    /// The method name (compare with [`crate::methods`]).
    pub method: String,
    /// The params, undecoded.
    pub params: Value,
    /// FDs that came with the request (close-on-exec); take what you keep, the rest
    /// are closed when the request is dropped.
    pub fds: Vec<OwnedFd>,
}

impl Request {
    /// Decodes the params into the method's param type; a mismatch becomes an
    /// `InvalidParams` error suitable for returning from the handler.
    pub fn params<T: DeserializeOwned>(&self) -> std::result::Result<T, RemoteError> {
        T::deserialize(&self.params).map_err(|e| {
            RemoteError::invalid_params(format!("bad params for {}: {e}", self.method))
        })
    }

    /// Checks that exactly `n` FDs came with the request.
    pub fn expect_fds(&self, n: usize) -> std::result::Result<(), RemoteError> {
        if self.fds.len() == n {
            Ok(())
        } else {
            Err(RemoteError::invalid_params(format!(
                "{} takes {n} file descriptors, got {}",
                self.method,
                self.fds.len()
            )))
        }
    }
}

/// What a handler returns: a JSON result and the FDs to send with it, or an error.
pub type Response = std::result::Result<(Value, Vec<OwnedFd>), RemoteError>;

/// Builds a successful reply without FDs from any serializable value.
pub fn reply<T: serde::Serialize>(value: &T) -> Response {
    serde_json::to_value(value)
        .map(|v| (v, Vec::new()))
        .map_err(|e| RemoteError::internal(format!("encoding reply: {e}")))
}

/// A listening control server.
#[derive(Debug)]
pub struct Server {
    listener: Arc<UnixListener>,
    closed: Arc<AtomicBool>,
    max_message_size: usize,
}

/// Stops a [`Server`]'s accept loop from any thread.
#[derive(Debug, Clone)]
pub struct Closer {
    listener: Arc<UnixListener>,
    closed: Arc<AtomicBool>,
}

impl Closer {
    /// Stops accepting new connections; [`Server::serve`] then returns `Ok(())`.
    /// Idempotent.
    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            // Waking a blocked accept: shutdown on a listening Unix socket makes accept
            // fail with EINVAL. An error here means it is already shut down.
            let _ = rustix::net::shutdown(self.listener.as_fd(), rustix::net::Shutdown::ReadWrite);
        }
    }
}

impl Server {
    /// Binds and listens at `path` (which must not exist), long paths included.
    pub fn bind(path: &Path) -> Result<Server> {
        Ok(Server::from_listener(addr::bind(path)?))
    }

    /// Serves an already listening socket.
    pub fn from_listener(listener: UnixListener) -> Server {
        Server {
            listener: Arc::new(listener),
            closed: Arc::new(AtomicBool::new(false)),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }

    /// Serves a donated FD that must be a bound, listening Unix stream socket (the
    /// sandbox gets its control socket this way).
    pub fn from_fd(fd: OwnedFd) -> Result<Server> {
        let listening = rustix::net::sockopt::get_socket_acceptconn(&fd)
            .map_err(|e| Error::io("checking the donated control socket", e.into()))?;
        if !listening {
            return Err(Error::Protocol(
                "the donated control socket FD is not a listening socket".into(),
            ));
        }
        Ok(Server::from_listener(UnixListener::from(fd)))
    }

    /// Sets the largest request body accepted and reply body sent (default 1 MiB).
    pub fn with_max_message_size(mut self, bytes: usize) -> Server {
        self.max_message_size = bytes;
        self
    }

    /// A handle that stops [`Server::serve`].
    pub fn closer(&self) -> Closer {
        Closer {
            listener: Arc::clone(&self.listener),
            closed: Arc::clone(&self.closed),
        }
    }

    /// Accepts and serves connections until closed; each connection is served on its
    /// own thread.
    pub fn serve<H>(&self, handler: H) -> Result<()>
    where
        H: Fn(Request) -> Response + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        loop {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(_) if self.closed.load(Ordering::SeqCst) => return Ok(()),
                Err(e) => match e.raw_os_error() {
                    Some(libc::EINTR) | Some(libc::ECONNABORTED) => continue,
                    // Out of FDs or memory: back off instead of spinning.
                    Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS)
                    | Some(libc::ENOMEM) => {
                        tracing::warn!("control server accept: {e}");
                        thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                    _ => return Err(Error::io("accepting a control connection", e)),
                },
            };
            if self.closed.load(Ordering::SeqCst) {
                return Ok(());
            }
            let handler = Arc::clone(&handler);
            let max = self.max_message_size;
            let spawned = thread::Builder::new()
                .name("urpc-conn".into())
                .spawn(move || serve_connection(stream, &*handler, max));
            if let Err(e) = spawned {
                tracing::warn!("control server: cannot start a connection thread: {e}");
            }
        }
    }

    /// Runs [`Server::serve`] on a new thread; returns the thread and a closer.
    pub fn spawn<H>(self, handler: H) -> Result<(thread::JoinHandle<Result<()>>, Closer)>
    where
        H: Fn(Request) -> Response + Send + Sync + 'static,
    {
        let closer = self.closer();
        let handle = thread::Builder::new()
            .name("urpc-accept".into())
            .spawn(move || self.serve(handler))
            .map_err(|e| Error::io("starting the control server thread", e))?;
        Ok((handle, closer))
    }
}

/// Serves requests on one connected stream until the peer hangs up or breaks the
/// protocol. Public so a caller with a ready connection (a socketpair) can serve it.
pub fn serve_connection<H>(stream: UnixStream, handler: &H, max_message_size: usize)
where
    H: Fn(Request) -> Response + ?Sized,
{
    loop {
        match serve_one(stream.as_fd(), handler, max_message_size) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::debug!("control connection ended: {e}");
                return;
            }
        }
    }
}

/// Handles one request; `Ok(false)` on a clean hang-up.
fn serve_one<H>(sock: BorrowedFd<'_>, handler: &H, max: usize) -> Result<bool>
where
    H: Fn(Request) -> Response + ?Sized,
{
    let Some((body, fds)) = recv_frame(sock, max)? else {
        return Ok(false);
    };
    let req = match wire::decode_request(&body) {
        Ok(req) => req,
        Err(e) => {
            // The frame boundary is intact, so the client can still read why.
            let msg = RemoteError::new(kinds::PROTOCOL, e.to_string());
            send_frame(sock, &wire::encode_response(&Err(msg), 0), &[])?;
            return Err(e);
        }
    };
    if req.fds != fds.len() {
        let e = RemoteError::new(
            kinds::PROTOCOL,
            format!(
                "{} request announced {} file descriptors but carried {}",
                req.method,
                req.fds,
                fds.len()
            ),
        );
        send_frame(sock, &wire::encode_response(&Err(e.clone()), 0), &[])?;
        return Err(Error::Protocol(e.message));
    }
    let method = req.method.clone();
    let request = Request {
        method: req.method,
        params: req.params,
        fds,
    };
    let response = catch_unwind(AssertUnwindSafe(|| handler(request))).unwrap_or_else(|_| {
        tracing::error!("control handler for {method} panicked");
        Err(RemoteError::internal(format!(
            "handler for {method} panicked"
        )))
    });
    let (result, out_fds) = match response {
        Ok((value, fds)) => (Ok(value), fds),
        Err(e) => (Err(e), Vec::new()),
    };
    let mut body = wire::encode_response(&result, out_fds.len());
    let mut out_fds = out_fds;
    if body.len() > max {
        tracing::warn!("reply to {method} is {} bytes, over the limit", body.len());
        let e = RemoteError::internal(format!(
            "reply to {method} is {} bytes, over the {max}-byte limit",
            body.len()
        ));
        body = wire::encode_response(&Err(e), 0);
        out_fds.clear();
    }
    let borrowed: Vec<BorrowedFd<'_>> = out_fds.iter().map(|fd| fd.as_fd()).collect();
    send_frame(sock, &body, &borrowed)?;
    Ok(true)
}
