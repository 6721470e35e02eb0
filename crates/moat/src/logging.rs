//! Where moat's own diagnostics go: stderr by default, `--log` or `--debug-log` files
//! when given, as text or JSON. Never stdout, which belongs to the application.

use std::fs::{File, OpenOptions};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::Mutex;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalOpts, LogFormat};

/// Installs the global subscriber described by the global flags. `boot_log` is set
/// for the sandbox process: `Some(fd)` is its donated log, `Some(None)` means it has
/// none and stays silent.
pub fn init(opts: &GlobalOpts, boot_log: Option<Option<RawFd>>) -> anyhow::Result<()> {
    let level = if opts.debug {
        "debug"
    } else if opts.strace {
        "info"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_env("MOAT_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let file = match boot_log {
        Some(None) => return Ok(()),
        // SAFETY: the CLI donated this descriptor to us as our log and nothing else
        // takes ownership of it (boot's descriptor table skips it).
        Some(Some(fd)) => Some(unsafe { File::from_raw_fd(fd) }),
        None => match opts.debug_log.as_ref().or(opts.log.as_ref()) {
            Some(p) if !p.as_os_str().is_empty() => Some(open_log(p)?),
            _ => None,
        },
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match (file, opts.log_format) {
        (Some(f), LogFormat::Json) => builder.json().with_writer(Mutex::new(f)).try_init(),
        (Some(f), LogFormat::Text) => builder
            .with_ansi(false)
            .with_writer(Mutex::new(f))
            .try_init(),
        (None, LogFormat::Json) => builder.json().with_writer(std::io::stderr).try_init(),
        (None, LogFormat::Text) => builder.with_writer(std::io::stderr).try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

fn open_log(path: &std::path::Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log file {}", path.display()))
}
