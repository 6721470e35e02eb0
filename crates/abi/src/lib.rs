//! Linux x86-64 ABI definitions shared by the sentry and the platform: errno values,
//! signal numbers, and the small fixed-layout structures the sentry encodes for the
//! application. Nothing here talks to the host.

#![forbid(unsafe_code)]

mod errno;
pub mod signal;

pub use errno::Errno;
