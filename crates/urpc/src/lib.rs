//! urpc — Moat's control protocol between the `moat` CLI and a sandbox.
//!
//! Request/response over a connected Unix stream socket. Each message is one frame: a
//! `u32` little-endian body length, then a JSON body; file descriptors ride along as an
//! `SCM_RIGHTS` control message with the frame's first bytes (see [`frame`]).
//!
//! ```text
//! request:  {"method": "containerManager.Start", "params": {...}, "fds": 2}
//! response: {"ok": <json>, "fds": 0}   or   {"err": {"kind": "NotFound", "message": "..."}}
//! ```
//!
//! * [`Client`] calls methods; a remote failure is [`Error::Remote`], a value.
//! * [`Server`] accepts connections on a path or a donated listening FD and hands each
//!   [`Request`] to a handler closure.
//! * [`methods`] names the methods; [`addr`] reaches socket paths longer than
//!   `sockaddr_un` allows.
//!
//! Both sides bound message sizes (1 MiB by default) and treat what they receive as
//! untrusted: malformed or oversized input is an error, never a panic or an unbounded
//! allocation, and received FDs are always close-on-exec and never leaked.
//!
//! This crate knows nothing about containers; the meaning of params and results belongs
//! to the `sandbox` (caller) and `boot` (server) crates.

pub mod addr;
mod client;
mod error;
pub mod frame;
pub mod methods;
mod server;
mod wire;

pub use client::Client;
pub use error::{kinds, Error, RemoteError, Result};
pub use frame::{DEFAULT_MAX_MESSAGE_SIZE, MAX_FDS};
pub use server::{reply, serve_connection, Closer, Request, Response, Server};

#[cfg(test)]
mod tests;
