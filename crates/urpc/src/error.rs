//! Error values of the control protocol.
//!
//! Two kinds of failure are kept apart on purpose: [`Error`] is what a *caller* sees
//! (the transport failed, the peer broke the protocol, or the peer answered with an
//! error), and [`RemoteError`] is what a *handler* returns to be sent back over the wire.
//! A remote error arrives at the client as [`Error::Remote`], a value the caller can
//! match on, never a string to be parsed.

use std::io;

use serde::{Deserialize, Serialize};

/// Result of a urpc operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure seen by a urpc client or server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A host I/O call failed; `context` says which one and on what. The OS error is
    /// part of the message (and deliberately not a `source()`, so that printing the
    /// error chain does not repeat it).
    #[error("{context}: {}", os_message(cause))]
    Io {
        /// What was being done, e.g. `connecting to control socket /run/moat/x.sock`.
        context: String,
        /// The underlying OS error.
        cause: io::Error,
    },
    /// The peer sent something that is not valid urpc: a truncated frame, bad JSON, a
    /// wrong number of file descriptors, an unexpected reply shape.
    #[error("control protocol error: {0}")]
    Protocol(String),
    /// A frame announced (or a caller tried to send) a body larger than the limit.
    #[error("control message of {0} bytes exceeds the size limit")]
    TooLarge(usize),
    /// The peer handled the call and answered with an error.
    #[error("{method}: {message}")]
    Remote {
        /// The method that failed.
        method: String,
        /// The error class the server chose (see [`kinds`]).
        kind: String,
        /// The server's human-readable explanation.
        message: String,
    },
    /// The peer closed the connection (cleanly, between frames, or while we were writing).
    #[error("control connection closed by the peer")]
    Closed,
    /// No reply arrived within the client's read timeout.
    #[error("timed out waiting for a reply on the control connection")]
    Timeout,
}

impl Error {
    /// Wraps an OS error with what was being done.
    pub fn io(context: impl Into<String>, cause: io::Error) -> Self {
        Error::Io {
            context: context.into(),
            cause,
        }
    }

    /// True when the failure was the remote side's answer rather than a transport or
    /// protocol problem (the connection is still usable after it).
    pub fn is_remote(&self) -> bool {
        matches!(self, Error::Remote { .. })
    }
}

/// An OS error's text without Rust's ` (os error N)` suffix, for one-line messages.
fn os_message(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map(str::to_owned)
            .unwrap_or(text),
        None => text,
    }
}

/// Well-known values of [`RemoteError::kind`]. Handlers may use others.
pub mod kinds {
    /// The method name is not known to the server.
    pub const UNKNOWN_METHOD: &str = "UnknownMethod";
    /// The params (or the number of FDs) do not fit the method.
    pub const INVALID_PARAMS: &str = "InvalidParams";
    /// The request itself was malformed.
    pub const PROTOCOL: &str = "Protocol";
    /// The object named by the request (a container, a process) does not exist.
    pub const NOT_FOUND: &str = "NotFound";
    /// The object exists but is in the wrong state for the request.
    pub const INVALID_STATE: &str = "InvalidState";
    /// Anything else went wrong inside the server.
    pub const INTERNAL: &str = "Internal";
}

/// An error a handler returns; sent to the client as `{"err": {"kind", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct RemoteError {
    /// Error class, one of [`kinds`] or a handler-specific name.
    pub kind: String,
    /// Human-readable explanation, shown to the user by the CLI.
    pub message: String,
}

impl RemoteError {
    /// An error of any kind.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        RemoteError {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// The method is not served here.
    pub fn unknown_method(method: &str) -> Self {
        Self::new(kinds::UNKNOWN_METHOD, format!("unknown method {method:?}"))
    }

    /// The params could not be used.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(kinds::INVALID_PARAMS, message)
    }

    /// The named object does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(kinds::NOT_FOUND, message)
    }

    /// The object is in the wrong state.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(kinds::INVALID_STATE, message)
    }

    /// An internal failure.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(kinds::INTERNAL, message)
    }
}
