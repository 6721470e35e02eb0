//! Descriptors handed to the sandbox process, each named by a command-line flag.
//!
//! The sandbox learns what every inherited descriptor is from flags such as
//! `--spec-fd=5` or `--stdio-fds=6,7,8`; numbers are assigned in donation order from 3.
//! Nothing that is not donated reaches the sandbox: the spawner marks every other
//! descriptor close-on-exec.

use std::fs::OpenOptions;
use std::os::fd::{OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::SandboxError;

/// Descriptors collected for one sandbox, in donation order.
#[derive(Default)]
pub struct Donations {
    entries: Vec<(String, Vec<OwnedFd>)>,
}

impl Donations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Donates one descriptor under `flag`.
    pub fn donate(&mut self, flag: &str, fd: OwnedFd) {
        self.donate_all(flag, vec![fd]);
    }

    /// Donates a list under one flag (e.g. `--stdio-fds`); an empty list adds nothing.
    pub fn donate_all(&mut self, flag: &str, fds: Vec<OwnedFd>) {
        if !fds.is_empty() {
            self.entries.push((flag.to_owned(), fds));
        }
    }

    /// Opens `path` for appending (creating it) and donates it; nothing when `None`.
    pub fn open_log(&mut self, flag: &str, path: Option<&Path>) -> Result<(), SandboxError> {
        let Some(path) = path else { return Ok(()) };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| SandboxError::os(format!("opening log file {}", path.display()), e))?;
        self.donate(flag, OwnedFd::from(file));
        Ok(())
    }

    /// Assigns numbers from `first`; returns the flags naming them and the descriptors
    /// with their numbers in the child.
    pub fn transfer(self, first: RawFd) -> (Vec<String>, Vec<(OwnedFd, RawFd)>) {
        let mut next = first;
        let mut flags = Vec::new();
        let mut fds = Vec::new();
        for (flag, list) in self.entries {
            let numbers: Vec<String> = list
                .into_iter()
                .map(|fd| {
                    let n = next;
                    next += 1;
                    fds.push((fd, n));
                    n.to_string()
                })
                .collect();
            flags.push(format!("--{flag}={}", numbers.join(",")));
        }
        (flags, fds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devnull() -> OwnedFd {
        OwnedFd::from(std::fs::File::open("/dev/null").expect("open /dev/null"))
    }

    #[test]
    fn numbers_follow_donation_order_from_three() {
        let mut d = Donations::new();
        d.donate("spec-fd", devnull());
        d.donate_all("stdio-fds", vec![devnull(), devnull(), devnull()]);
        d.donate_all("mount-fds", Vec::new());
        d.donate("controller-fd", devnull());
        let (flags, fds) = d.transfer(3);
        assert_eq!(
            flags,
            vec!["--spec-fd=3", "--stdio-fds=4,5,6", "--controller-fd=7"]
        );
        let targets: Vec<RawFd> = fds.iter().map(|(_, n)| *n).collect();
        assert_eq!(targets, vec![3, 4, 5, 6, 7]);
    }
}
