//! `moat boot` (hidden): the sandbox process. Started by `moat create`/`run`/`do` with
//! its descriptors donated under the flags below; never run by hand.

use std::collections::HashSet;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use anyhow::bail;
use clap::Args;

use super::GlobalOpts;

#[derive(Args, Debug)]
pub struct BootArgs {
    /// Descriptor for moat's own log (set up in main).
    #[arg(long)]
    pub log_fd: Option<RawFd>,
    #[arg(long)]
    pub user_log_fd: Option<RawFd>,
    #[arg(long)]
    pub spec_fd: RawFd,
    #[arg(long)]
    pub controller_fd: RawFd,
    #[arg(long)]
    pub start_sync_fd: RawFd,
    #[arg(long, value_delimiter = ',', required = true)]
    pub stdio_fds: Vec<RawFd>,
    #[arg(long)]
    pub rootfs_fd: RawFd,
    #[arg(long, value_delimiter = ',')]
    pub mount_fds: Vec<RawFd>,
    #[arg(long, default_value = "none")]
    pub network: String,
    #[arg(long, default_value_t = 1)]
    pub cpu_num: usize,
    #[arg(long, default_value_t = 0)]
    pub total_memory: u64,
    #[arg(long, default_value_t = 0)]
    pub total_host_memory: u64,
    /// The sandbox dies with its creator (set up before exec).
    #[arg(long)]
    pub attached: bool,
    /// Skip the empty root and capability drop (debugging only).
    #[arg(long, hide = true)]
    pub no_confine: bool,
    /// Id of the root container.
    pub id: String,
}

/// Takes ownership of the donated descriptors, each named by exactly one flag.
struct Fds(HashSet<RawFd>);

impl Fds {
    fn take(&mut self, fd: RawFd, flag: &str) -> anyhow::Result<OwnedFd> {
        if fd < 3 {
            bail!("--{flag}={fd}: donated descriptors start at 3");
        }
        if !self.0.insert(fd) {
            bail!("--{flag}={fd}: descriptor named twice");
        }
        // SAFETY: F_GETFD only queries the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            bail!("--{flag}={fd}: {}", std::io::Error::last_os_error());
        }
        // SAFETY: the descriptor is open (checked above), was donated to this process
        // for this flag only, and the set guarantees it is wrapped once.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

pub fn run(g: &GlobalOpts, a: BootArgs) -> anyhow::Result<i32> {
    let mut fds = Fds(HashSet::new());
    if let Some(fd) = a.log_fd {
        // Owned by the logger since main; only reserve the number.
        fds.0.insert(fd);
    }
    let start_sync = fds.take(a.start_sync_fd, "start-sync-fd")?;
    let cfg = match config(g, &a, &mut fds) {
        Ok(cfg) => cfg,
        Err(e) => {
            // The creating CLI shows this as the reason the sandbox did not start.
            let mut sync = std::fs::File::from(start_sync);
            let _ = writeln!(sync, "{e:#}");
            return Err(e);
        }
    };
    tracing::debug!(id = %a.id, network = %a.network, host_memory = a.total_host_memory, "sandbox booting");
    boot::run(cfg, start_sync).map_err(|e| anyhow::anyhow!("sandbox: {e}"))?;
    Ok(0)
}

fn config(g: &GlobalOpts, a: &BootArgs, fds: &mut Fds) -> anyhow::Result<boot::BootConfig> {
    let [i, o, e] = a.stdio_fds[..] else {
        bail!("--stdio-fds needs three descriptors");
    };
    Ok(boot::BootConfig {
        id: a.id.clone(),
        spec: fds.take(a.spec_fd, "spec-fd")?,
        controller: fds.take(a.controller_fd, "controller-fd")?,
        stdio: [
            fds.take(i, "stdio-fds")?,
            fds.take(o, "stdio-fds")?,
            fds.take(e, "stdio-fds")?,
        ],
        rootfs: fds.take(a.rootfs_fd, "rootfs-fd")?,
        mounts: a
            .mount_fds
            .iter()
            .map(|&fd| fds.take(fd, "mount-fds"))
            .collect::<anyhow::Result<_>>()?,
        user_log: a
            .user_log_fd
            .map(|fd| fds.take(fd, "user-log-fd"))
            .transpose()?,
        cpus: a.cpu_num.max(1),
        total_memory: a.total_memory,
        strace: g.strace,
        confine: !a.no_confine,
    })
}
