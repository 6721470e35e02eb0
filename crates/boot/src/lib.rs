//! The sandbox process (`moat boot`): takes its donated descriptors, confines itself,
//! serves the control socket and runs containers on the sentry.
//!
//! Start-up order matters: everything that needs the host (reading the spec, checking
//! descriptors) happens before confinement; the control server starts after it; the
//! CLI is told "ready" over the start-sync pipe only once the server accepts calls.
//! A failure before that is written to the start-sync pipe as one line, so the CLI can
//! show it.

pub mod api;
mod confine;
mod manager;
pub mod runtime;
mod server;
pub mod spec;

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::Arc;

use manager::{Manager, Pending};

/// Largest spec accepted on the spec descriptor.
const MAX_SPEC_SIZE: u64 = 16 << 20;

/// What the CLI handed to the sandbox.
pub struct BootConfig {
    /// Id of the root container.
    pub id: String,
    pub spec: OwnedFd,
    pub controller: OwnedFd,
    pub stdio: [OwnedFd; 3],
    pub rootfs: OwnedFd,
    pub mounts: Vec<OwnedFd>,
    pub user_log: Option<OwnedFd>,
    pub cpus: usize,
    pub total_memory: u64,
    pub strace: bool,
    /// Build an empty root and drop capabilities (off only for debugging).
    pub confine: bool,
}

/// Why the sandbox could not come up.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    #[error("reading the spec: {0}")]
    Spec(String),
    #[error("confining the sandbox: {0}")]
    Confine(#[from] confine::ConfineError),
    #[error("starting the sentry: {0}")]
    Sentry(String),
    #[error("serving the control socket: {0}")]
    Control(#[from] urpc::Error),
}

/// Runs the sandbox until it is killed. Returns only on a start-up failure, which has
/// then also been reported on `start_sync`.
pub fn run(cfg: BootConfig, start_sync: OwnedFd) -> Result<(), BootError> {
    // Name the process (and the threads it starts) for ps and top, instead of "exe".
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"moat-sandbox".as_ptr(), 0, 0, 0) };
    let mut sync = Some(std::fs::File::from(start_sync));
    let result = boot(cfg, &mut sync);
    if let (Err(e), Some(sync)) = (&result, sync.as_mut()) {
        // The CLI reads this as the reason create failed.
        let _ = writeln!(sync, "{e}");
    }
    result
}

/// Brings the sandbox up; `sync` is taken (and closed) once readiness is reported.
fn boot(cfg: BootConfig, sync: &mut Option<std::fs::File>) -> Result<(), BootError> {
    let BootConfig {
        id,
        spec,
        controller,
        stdio,
        rootfs,
        mounts,
        user_log,
        cpus,
        total_memory,
        strace,
        confine,
    } = cfg;
    let _span = tracing::info_span!("sandbox", id = %id).entered();
    let spec = read_spec(spec)?;
    let process = spec
        .process
        .clone()
        .ok_or_else(|| BootError::Spec("the spec has no process".into()))?;
    let mounts = pair_mounts(&spec, mounts)?;
    if confine {
        confine::setup_empty_root()?;
        confine::drop_capabilities()?;
    }
    let kernel = runtime::new_kernel(runtime::KernelConfig {
        strace,
        hostname: spec.hostname.clone().unwrap_or_else(|| id.clone()),
        cpus,
        total_memory,
    })
    .map_err(BootError::Sentry)?;
    // From here on the sandbox makes only the host calls the sentry lists.
    install_host_call_filter()?;
    let mgr = Arc::new(Manager::new(kernel));
    mgr.add(
        &id,
        Pending {
            argv: process.args,
            env: process.env,
            cwd: if process.cwd.is_empty() {
                "/".into()
            } else {
                process.cwd
            },
            uid: process.user.uid,
            gid: process.user.gid,
            root: rootfs,
            mounts,
            stdio,
        },
    );
    let server = urpc::Server::from_fd(controller)?;
    let handler_mgr = Arc::clone(&mgr);
    let (thread, _closer) = server.spawn(move |req| server::handle(&handler_mgr, req))?;
    if let Some(mut ready) = sync.take() {
        ready
            .write_all(&[1])
            .map_err(|e| BootError::Spec(format!("signaling readiness: {e}")))?;
    }
    if let Some(log) = user_log {
        let mut log = std::fs::File::from(log);
        let _ = writeln!(log, "sandbox for container {id:?} is ready");
    }
    tracing::info!(container = %id, "sandbox ready");
    match thread.join() {
        Ok(r) => r.map_err(BootError::from),
        Err(_) => Err(BootError::Sentry(
            "the control server thread panicked".into(),
        )),
    }
}

/// Installs the sentry's seccomp filter on the whole sandbox process. With
/// `MOAT_HOST_CALLS=log` in the sandbox's environment, calls off the list are allowed and
/// logged by the host kernel instead (for finding missing entries).
fn install_host_call_filter() -> Result<(), BootError> {
    use sentry::hostcalls::{install, Enforcement};
    let enforcement = match std::env::var("MOAT_HOST_CALLS").as_deref() {
        Ok("log") => Enforcement::Log,
        _ => Enforcement::Kill,
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integers only; it is required for the filter.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(BootError::Sentry(format!(
            "setting no_new_privs: {}",
            std::io::Error::last_os_error()
        )));
    }
    install(enforcement).map_err(|e| BootError::Sentry(e.to_string()))
}

fn read_spec(fd: OwnedFd) -> Result<spec::Spec, BootError> {
    let mut text = Vec::new();
    std::fs::File::from(fd)
        .take(MAX_SPEC_SIZE + 1)
        .read_to_end(&mut text)
        .map_err(|e| BootError::Spec(e.to_string()))?;
    if text.len() as u64 > MAX_SPEC_SIZE {
        return Err(BootError::Spec("spec larger than 16 MiB".into()));
    }
    serde_json::from_slice(&text).map_err(|e| BootError::Spec(e.to_string()))
}

/// Pairs each host mount of the spec with its donated descriptor. Directories become
/// sentry mounts; other sources (single files) are not supported yet and are skipped.
fn pair_mounts(spec: &spec::Spec, fds: Vec<OwnedFd>) -> Result<Vec<runtime::HostMount>, BootError> {
    let wanted: Vec<&spec::Mount> = spec.host_mounts().collect();
    if wanted.len() != fds.len() {
        return Err(BootError::Spec(format!(
            "{} host mounts in the spec but {} mount descriptors",
            wanted.len(),
            fds.len()
        )));
    }
    let mut mounts = Vec::new();
    for (m, fd) in wanted.into_iter().zip(fds) {
        let is_dir = rustix::fs::fstat(&fd)
            .map(|st| {
                rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
            })
            .unwrap_or(false);
        if !is_dir {
            tracing::warn!(dest = %m.destination.display(), "file bind mounts are not supported yet; skipped");
            continue;
        }
        mounts.push(runtime::HostMount {
            dest: m.destination.to_string_lossy().into_owned(),
            dir: fd,
            readonly: m.is_readonly(),
        });
    }
    Ok(mounts)
}
