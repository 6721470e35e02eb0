//! OCI bundles: a directory holding `config.json` and (usually) the rootfs.
//!
//! [`Bundle::load`] reads and checks a bundle the way `create` needs it, so that every
//! mistake in it becomes one clear error naming the file, the field and the cause before
//! any sandbox is started:
//!
//! ```text
//! opening bundle config /b/config.json: No such file or directory
//! parsing bundle config /b/config.json: expected `,` or `}` at line 4 column 7
//! bundle rootfs /b/rootfs: No such file or directory
//! bundle config /b/config.json: process.args must not be empty
//! ```

mod spec;

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub use spec::*;

/// Name of the config file inside a bundle.
pub const CONFIG_FILE: &str = "config.json";

/// Largest `config.json` read (64 MiB); anything bigger is certainly not a config.
const MAX_CONFIG_SIZE: u64 = 64 << 20;

/// What is wrong with a bundle.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The bundle directory itself cannot be used.
    #[error("bundle directory {}: {}", path.display(), os_message(cause))]
    Dir {
        /// The bundle path as given.
        path: PathBuf,
        /// The OS error.
        cause: io::Error,
    },
    /// `config.json` cannot be read.
    #[error("opening bundle config {}: {}", path.display(), os_message(cause))]
    ReadConfig {
        /// Path of `config.json`.
        path: PathBuf,
        /// The OS error.
        cause: io::Error,
    },
    /// `config.json` is not valid JSON or does not fit the spec's types.
    #[error("parsing bundle config {}: {cause}", path.display())]
    ParseConfig {
        /// Path of `config.json`.
        path: PathBuf,
        /// The parse error, with line and column.
        cause: serde_json::Error,
    },
    /// `config.json` parses but a field is unusable.
    #[error("bundle config {}: {reason}", path.display())]
    Invalid {
        /// Path of `config.json`.
        path: PathBuf,
        /// Which field and why.
        reason: String,
    },
    /// The rootfs directory is missing or not a directory.
    #[error("bundle rootfs {}: {}", path.display(), os_message(cause))]
    Rootfs {
        /// The resolved rootfs path.
        path: PathBuf,
        /// The OS error.
        cause: io::Error,
    },
}

/// An OS error's text without Rust's ` (os error N)` suffix, for one-line messages such
/// as `--root /x: Permission denied`.
pub(crate) fn os_message(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map(str::to_owned)
            .unwrap_or(text),
        None => text,
    }
}

/// A loaded, checked bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// Absolute, canonical bundle directory.
    pub dir: PathBuf,
    /// Path of `config.json`.
    pub config_path: PathBuf,
    /// The parsed config.
    pub spec: Spec,
    /// `root.path` resolved against the bundle directory.
    pub rootfs: PathBuf,
}

impl Bundle {
    /// Loads the bundle at `dir` (relative paths are taken from the current directory).
    pub fn load(dir: &Path) -> Result<Bundle, BundleError> {
        let abs = fs::canonicalize(dir).map_err(|cause| BundleError::Dir {
            path: dir.to_owned(),
            cause,
        })?;
        if !abs.is_dir() {
            return Err(BundleError::Dir {
                path: dir.to_owned(),
                cause: io::Error::from_raw_os_error(libc::ENOTDIR),
            });
        }
        let config_path = abs.join(CONFIG_FILE);
        let spec = read_spec(&config_path)?;
        let rootfs = validate(&spec, &abs, &config_path)?;
        Ok(Bundle {
            dir: abs,
            config_path,
            spec,
            rootfs,
        })
    }

    /// The init process (present after a successful [`Bundle::load`]).
    pub fn process(&self) -> Option<&Process> {
        self.spec.process.as_ref()
    }
}

/// Reads and parses a `config.json` without checking it.
pub fn read_spec(config_path: &Path) -> Result<Spec, BundleError> {
    use io::Read;
    let read_err = |cause| BundleError::ReadConfig {
        path: config_path.to_owned(),
        cause,
    };
    let file = fs::File::open(config_path).map_err(read_err)?;
    let mut text = String::new();
    file.take(MAX_CONFIG_SIZE + 1)
        .read_to_string(&mut text)
        .map_err(read_err)?;
    if text.len() as u64 > MAX_CONFIG_SIZE {
        return Err(BundleError::Invalid {
            path: config_path.to_owned(),
            reason: format!("file is larger than {MAX_CONFIG_SIZE} bytes"),
        });
    }
    Spec::from_json(&text).map_err(|cause| BundleError::ParseConfig {
        path: config_path.to_owned(),
        cause,
    })
}

/// Checks the fields `create` depends on; returns the resolved rootfs path.
fn validate(spec: &Spec, bundle_dir: &Path, config_path: &Path) -> Result<PathBuf, BundleError> {
    let invalid = |reason: String| BundleError::Invalid {
        path: config_path.to_owned(),
        reason,
    };
    let process = spec
        .process
        .as_ref()
        .ok_or_else(|| invalid("process is missing".into()))?;
    if process.args.is_empty() {
        return Err(invalid("process.args must not be empty".into()));
    }
    if process.args[0].is_empty() {
        return Err(invalid("process.args[0] must not be empty".into()));
    }
    if !process.cwd.starts_with('/') {
        return Err(invalid(format!(
            "process.cwd {:?} must be an absolute path",
            process.cwd
        )));
    }
    if let Some(env) = process.env.iter().find(|e| !e.contains('=')) {
        return Err(invalid(format!(
            "process.env entry {env:?} is not NAME=value"
        )));
    }
    for (i, m) in spec.mounts.iter().enumerate() {
        if !m.destination.is_absolute() {
            return Err(invalid(format!(
                "mounts[{i}].destination {:?} must be an absolute path",
                m.destination
            )));
        }
    }
    if let Some(linux) = &spec.linux {
        let mut seen = HashSet::new();
        for ns in &linux.namespaces {
            if !seen.insert(ns.kind) {
                return Err(invalid(format!(
                    "linux.namespaces lists {:?} more than once",
                    ns.kind
                )));
            }
        }
    }
    let root = spec
        .root
        .as_ref()
        .ok_or_else(|| invalid("root is missing".into()))?;
    if root.path.as_os_str().is_empty() {
        return Err(invalid("root.path must not be empty".into()));
    }
    let rootfs = bundle_dir.join(&root.path);
    let meta = fs::metadata(&rootfs).map_err(|cause| BundleError::Rootfs {
        path: rootfs.clone(),
        cause,
    })?;
    if !meta.is_dir() {
        return Err(BundleError::Rootfs {
            path: rootfs,
            cause: io::Error::from_raw_os_error(libc::ENOTDIR),
        });
    }
    Ok(rootfs)
}

#[cfg(test)]
pub(crate) mod tests;
