//! Errors of the host side of a sandbox.
//!
//! Each message carries its whole cause in one line (`what: why`); the underlying
//! errors are kept as fields, not as `source()`, so that printing the chain does not
//! repeat them.

use std::fmt;
use std::io;

/// A failure creating, controlling or destroying a sandbox.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A host call failed; `context` says what was being done.
    #[error("{context}: {}", os_message(cause))]
    Os { context: String, cause: io::Error },
    /// The sandbox process could not finish its own setup before exec.
    #[error("starting the sandbox process: {step}: {}", os_message(cause))]
    ChildSetup {
        step: &'static str,
        cause: io::Error,
    },
    /// The sandbox process exited (or reported an error) before it was ready.
    #[error("the sandbox failed to start: {0}")]
    DiedEarly(String),
    /// A configuration the sandbox cannot honour.
    #[error("{0}")]
    Config(String),
    /// A control socket call failed. When the sandbox itself answered with an error,
    /// its message says it all and stands alone.
    #[error("{}", ControlText(context, cause))]
    Control { context: String, cause: urpc::Error },
    /// The sandbox answered something that makes no sense.
    #[error("unexpected answer from the sandbox: {0}")]
    Protocol(String),
    /// The sandbox is gone and nothing more can be learned from it.
    #[error("{0}")]
    Gone(String),
}

impl SandboxError {
    pub(crate) fn os(context: impl Into<String>, cause: io::Error) -> Self {
        SandboxError::Os {
            context: context.into(),
            cause,
        }
    }

    pub(crate) fn control(context: impl Into<String>, cause: urpc::Error) -> Self {
        SandboxError::Control {
            context: context.into(),
            cause,
        }
    }

    /// True when the sandbox answered with an error (as opposed to being unreachable).
    pub fn is_remote(&self) -> bool {
        matches!(self, SandboxError::Control { cause, .. } if cause.is_remote())
    }
}

/// A remote error shows the sandbox's message alone (no method name, no context).
struct ControlText<'a>(&'a str, &'a urpc::Error);

impl fmt::Display for ControlText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            urpc::Error::Remote { message, .. } => f.write_str(message),
            other => write!(f, "{}: {other}", self.0),
        }
    }
}

/// An OS error's text without Rust's ` (os error N)` suffix.
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
