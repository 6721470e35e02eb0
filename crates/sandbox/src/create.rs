//! Creating a sandbox: what is donated, which namespaces and identity the sandbox gets,
//! and the start-sync handshake that makes `create` return only once the sandbox is up.

use std::ffi::CString;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use boot::spec::Spec;
use rustix::fs::{open, Mode, OFlags};

use crate::donation::Donations;
use crate::error::SandboxError;
use crate::spawn::{self, SpawnSpec, UserNamespace};
use crate::{cgroup, console, process, socket, Sandbox};

/// The uid and gid the sandbox runs as inside its user namespace.
pub const NOBODY: u32 = 65534;

/// Capabilities the sandbox keeps until it has built its empty root and dropped them:
/// to mount (CAP_SYS_ADMIN), pivot/chroot (CAP_SYS_CHROOT) and clear its bounding set
/// (CAP_SETPCAP).
const SANDBOX_CAPS: [u32; 3] = [21, 18, 8];

/// Networking modes the sentry supports today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// A new, empty network namespace: loopback only.
    None,
    /// The host's network namespace.
    Host,
}

impl std::str::FromStr for Network {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Network::None),
            "host" => Ok(Network::Host),
            "sandbox" => Err(
                "network \"sandbox\" is not supported yet; use --network=none or --network=host"
                    .into(),
            ),
            other => Err(format!(
                "unknown network {other:?}; use --network=none or --network=host"
            )),
        }
    }
}

impl Network {
    pub fn as_str(self) -> &'static str {
        match self {
            Network::None => "none",
            Network::Host => "host",
        }
    }
}

/// Runtime-wide settings (from the global flags).
#[derive(Debug, Clone)]
pub struct Config {
    pub root_dir: PathBuf,
    pub log_file: Option<PathBuf>,
    pub log_format: String,
    pub debug: bool,
    pub strace: bool,
    pub network: Network,
    pub rootless: bool,
}

/// What one sandbox is created for.
pub struct CreateArgs<'a> {
    pub id: &'a str,
    /// The validated spec; sent to the sandbox as JSON.
    pub spec: &'a Spec,
    /// Bundle directory: relative rootfs and mount sources are resolved against it.
    pub bundle: &'a Path,
    pub console_socket: Option<&'a Path>,
    /// The sandbox dies with this process (`run` without `-d`, `do`).
    pub attached: bool,
    pub user_log: Option<&'a Path>,
    /// Called once the sandbox process exists, before waiting for it to be ready, so
    /// the caller can record it: if the caller dies during start-up, the record lets a
    /// later `delete` find and kill the sandbox.
    pub on_spawn: Option<&'a dyn Fn(&Sandbox)>,
}

impl Sandbox {
    /// Starts the sandbox process and waits until it is ready. On failure nothing is
    /// left behind: no process, no socket.
    pub fn create(conf: &Config, args: &CreateArgs<'_>) -> Result<Sandbox, SandboxError> {
        let mut sb = Sandbox {
            id: args.id.to_owned(),
            pid: 0,
            start_time: 0,
            uid: NOBODY,
            gid: NOBODY,
            control_socket: PathBuf::new(),
            child: true,
            exit: None,
        };
        match sb.create_process(conf, args) {
            Ok(()) => Ok(sb),
            Err(e) => {
                if let Err(d) = sb.destroy() {
                    tracing::warn!("cleaning up sandbox {:?}: {d}", sb.id);
                }
                Err(e)
            }
        }
    }

    fn create_process(&mut self, conf: &Config, args: &CreateArgs<'_>) -> Result<(), SandboxError> {
        raise_memlock();
        let mut d = Donations::new();
        match (&conf.log_file, conf.debug || conf.strace) {
            (Some(path), _) => d.open_log("log-fd", Some(path))?,
            (None, true) => d.donate("log-fd", dup_own(2)?),
            (None, false) => {}
        }
        d.open_log("user-log-fd", args.user_log)?;
        d.donate("spec-fd", spec_memfd(args.spec)?);
        let (path, listener) = socket::create(&conf.root_dir, args.id)?;
        self.control_socket = path;
        d.donate("controller-fd", listener);
        let (sync_r, sync_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| SandboxError::os("creating the start-sync pipe", e.into()))?;
        d.donate("start-sync-fd", sync_w);
        // Filesystems first: the terminal is sent to the console socket only when
        // everything else the sandbox needs could be opened.
        let (rootfs, mounts) = open_filesystems(args.spec, args.bundle)?;
        d.donate_all("stdio-fds", container_stdio(args)?);
        d.donate("rootfs-fd", rootfs);
        d.donate_all("mount-fds", mounts);

        let mut namespaces = libc::CLONE_NEWIPC
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWUSER;
        let mut netns = None;
        match (conf.network, args.spec.namespace_path("network")) {
            (Network::None, _) => namespaces |= libc::CLONE_NEWNET,
            (Network::Host, Some(path)) => netns = Some(open_ns(path)?),
            (Network::Host, None) => {}
        }
        let user = user_namespace(conf.rootless);
        self.uid = user.host_uid;
        self.gid = user.host_gid;
        let (fd_flags, fds) = d.transfer(3);
        let argv = boot_argv(conf, args, fd_flags)?;

        let spawned = spawn::spawn(SpawnSpec {
            exe: c"/proc/self/exe".to_owned(),
            argv,
            env: sandbox_env(),
            fds,
            null: spawn::open_null()?,
            namespaces,
            user: Some(user.ns),
            ambient_caps: SANDBOX_CAPS.to_vec(),
            pdeathsig: args.attached.then_some(libc::SIGKILL),
            netns,
        })
        .map_err(|e| with_permission_hint(e, "starting the sandbox"))?;
        self.pid = spawned.pid;
        self.start_time = process::stat(spawned.pid).map_or(0, |(t, _)| t);
        tracing::debug!(pid = self.pid, "sandbox process started");
        if let Some(hook) = args.on_spawn {
            hook(self);
        }
        self.await_ready(sync_r)
    }

    /// Reads the start-sync pipe: one byte 1 means ready; anything else is the
    /// sandbox's own description of why it failed; EOF means it died.
    fn await_ready(&mut self, sync: OwnedFd) -> Result<(), SandboxError> {
        let mut f = std::fs::File::from(sync);
        let mut first = [0u8; 1];
        let n = loop {
            match f.read(&mut first) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => {
                    break r.map_err(|e| SandboxError::os("waiting for the sandbox to start", e))?
                }
            }
        };
        if n == 1 && first[0] == 1 {
            return Ok(());
        }
        let mut buf = first[..n].to_vec();
        // A failure description follows until the sandbox exits; it is short.
        let _ = f.by_ref().take(4096).read_to_end(&mut buf);
        if !buf.is_empty() {
            let msg = String::from_utf8_lossy(&buf).trim().to_owned();
            return Err(SandboxError::DiedEarly(msg));
        }
        self.wait_stopped()?;
        let how = match self.exit {
            Some(crate::WaitStatus::Signaled(n)) => format!("killed by signal {n}"),
            Some(crate::WaitStatus::Exited(c)) => format!("exited with status {c}"),
            None => "exited".to_owned(),
        };
        let err = SandboxError::DiedEarly(format!("the sandbox process {how} without a word"));
        Err(with_permission_hint(
            err,
            "waiting for the sandbox to start",
        ))
    }
}

/// The sandbox's user namespace: `nobody` inside, mapped to host `nobody`, or to the
/// caller when rootless (an unprivileged caller can map only itself).
struct Identity {
    ns: UserNamespace,
    host_uid: u32,
    host_gid: u32,
}

fn user_namespace(rootless: bool) -> Identity {
    let rootless = rootless || rustix::process::geteuid().as_raw() != 0;
    let (host_uid, host_gid) = if rootless {
        (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        )
    } else {
        (NOBODY, NOBODY)
    };
    Identity {
        ns: UserNamespace {
            uid_map: format!("{NOBODY} {host_uid} 1\n"),
            gid_map: format!("{NOBODY} {host_gid} 1\n"),
            deny_setgroups: rootless,
            uid: NOBODY,
            gid: NOBODY,
        },
        host_uid,
        host_gid,
    }
}

/// `moat-sandbox [global flags] boot [descriptor flags] [settings] -- ID`.
fn boot_argv(
    conf: &Config,
    args: &CreateArgs<'_>,
    fd_flags: Vec<String>,
) -> Result<Vec<CString>, SandboxError> {
    let res = cgroup::current();
    let mut argv = vec!["moat-sandbox".to_owned()];
    argv.push(format!("--log-format={}", conf.log_format));
    if conf.debug {
        argv.push("--debug".into());
    }
    if conf.strace {
        argv.push("--strace".into());
    }
    argv.push("boot".into());
    argv.extend(fd_flags);
    argv.push(format!("--network={}", conf.network.as_str()));
    argv.push(format!("--cpu-num={}", res.cpus));
    argv.push(format!("--total-memory={}", res.memory));
    argv.push(format!("--total-host-memory={}", res.host_memory));
    if args.attached {
        argv.push("--attached".into());
    }
    argv.push("--".into());
    argv.push(args.id.to_owned());
    tracing::debug!(?argv, "starting sandbox");
    argv.into_iter()
        .map(|a| {
            CString::new(a).map_err(|_| SandboxError::Config("argument with a NUL byte".into()))
        })
        .collect()
}

/// Environment variables that reach the sandbox; everything else is dropped so the
/// caller's environment cannot steer it. These only tune moat's own diagnostics.
const PASSED_ENV: [&str; 3] = ["MOAT_LOG", "MOAT_HOST_CALLS", "RUST_BACKTRACE"];

fn sandbox_env() -> Vec<CString> {
    PASSED_ENV
        .iter()
        .filter_map(|name| {
            let value = std::env::var(name).ok()?;
            CString::new(format!("{name}={value}")).ok()
        })
        .collect()
}

/// Adds the usual cause when moat's binary is not executable and readable by others:
/// the sandbox runs as nobody and the ptrace platform needs to read its own image.
fn with_permission_hint(err: SandboxError, what: &str) -> SandboxError {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return err;
    };
    let Ok(meta) = std::fs::metadata(&exe) else {
        return err;
    };
    if meta.permissions().mode() & 0o005 != 0o005 {
        return SandboxError::Config(format!(
            "{what}: {err}: {} must be readable and executable by others (chmod o+rx), \
             because the sandbox runs as an unprivileged user",
            exe.display()
        ));
    }
    err
}

fn raise_memlock() {
    let unlimited = rustix::process::Rlimit {
        current: None,
        maximum: None,
    };
    let cur = rustix::process::getrlimit(rustix::process::Resource::Memlock);
    if cur.current.is_some() || cur.maximum.is_some() {
        if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::Memlock, unlimited) {
            tracing::debug!("cannot raise RLIMIT_MEMLOCK: {e}");
        }
    }
}

fn dup_own(fd: i32) -> Result<OwnedFd, SandboxError> {
    // SAFETY: 0, 1 and 2 stay open for the life of this process; borrowed only to dup.
    let b = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    match rustix::io::fcntl_dupfd_cloexec(b, 3) {
        Ok(fd) => Ok(fd),
        // A closed stdio descriptor reads as /dev/null rather than failing the create.
        Err(rustix::io::Errno::BADF) => spawn::open_null(),
        Err(e) => Err(SandboxError::os(
            format!("duplicating descriptor {fd}"),
            e.into(),
        )),
    }
}

/// The container's stdio: the pty replica three times, or this process's own stdio.
fn container_stdio(args: &CreateArgs<'_>) -> Result<Vec<OwnedFd>, SandboxError> {
    match (args.spec.terminal(), args.console_socket) {
        (true, Some(sock)) => {
            let tty = console::new_with_socket(sock)?;
            let dup = |fd: &OwnedFd| {
                fd.try_clone()
                    .map_err(|e| SandboxError::os("duplicating the terminal", e))
            };
            Ok(vec![dup(&tty)?, dup(&tty)?, tty])
        }
        // An attached container shares the caller's terminal, when there is one.
        (true, None) if args.attached => {
            if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                tracing::warn!(
                    "process.terminal is set but stdin is not a terminal; running without one"
                );
            }
            Ok(vec![dup_own(0)?, dup_own(1)?, dup_own(2)?])
        }
        (true, None) => Err(SandboxError::Config(
            "process.terminal is set but no --console-socket was given \
             (a detached container cannot use moat's terminal)"
                .into(),
        )),
        (false, _) => Ok(vec![dup_own(0)?, dup_own(1)?, dup_own(2)?]),
    }
}

/// The spec as the sandbox reads it: a sealed-size memfd, immune to later edits of the
/// bundle.
fn spec_memfd(spec: &Spec) -> Result<OwnedFd, SandboxError> {
    let json = serde_json::to_vec(spec)
        .map_err(|e| SandboxError::Config(format!("encoding the spec: {e}")))?;
    let fd = rustix::fs::memfd_create("moat-spec", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|e| SandboxError::os("creating the spec memfd", e.into()))?;
    let mut f = std::fs::File::from(fd);
    std::io::Write::write_all(&mut f, &json)
        .map_err(|e| SandboxError::os("writing the spec memfd", e))?;
    rustix::fs::seek(&f, rustix::fs::SeekFrom::Start(0))
        .map_err(|e| SandboxError::os("rewinding the spec memfd", e.into()))?;
    Ok(OwnedFd::from(f))
}

fn resolve(bundle: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        bundle.join(p)
    }
}

/// O_PATH descriptors of the rootfs and of every host mount source, in spec order.
fn open_filesystems(spec: &Spec, bundle: &Path) -> Result<(OwnedFd, Vec<OwnedFd>), SandboxError> {
    let root = spec
        .root
        .as_ref()
        .ok_or_else(|| SandboxError::Config("the spec has no root".into()))?;
    let rootfs = resolve(bundle, &root.path);
    let open_dir = |p: &Path, flags: OFlags, what: &str| {
        open(p, flags | OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| SandboxError::os(format!("opening {what} {}", p.display()), e.into()))
    };
    let root_fd = open_dir(&rootfs, OFlags::DIRECTORY, "root filesystem")?;
    let mut mounts = Vec::new();
    for m in spec.host_mounts() {
        let Some(src) = &m.source else {
            return Err(SandboxError::Config(format!(
                "bind mount {} has no source",
                m.destination.display()
            )));
        };
        mounts.push(open_dir(
            &resolve(bundle, src),
            OFlags::empty(),
            "mount source",
        )?);
    }
    Ok((root_fd, mounts))
}

fn open_ns(path: &Path) -> Result<OwnedFd, SandboxError> {
    open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).map_err(|e| {
        SandboxError::os(
            format!("opening network namespace {}", path.display()),
            e.into(),
        )
    })
}
