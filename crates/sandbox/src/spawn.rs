//! Starting the sandbox process: a `clone(2)` into new namespaces, identity and
//! capability setup in the child, then `execve` of moat itself.
//!
//! `std::process::Command` cannot do this: the parent must write the child's uid/gid
//! maps *between* clone and exec, and the child must be PID 1 of its new PID namespace.
//! So the child is made with a raw `clone` (fork semantics, namespace flags) and waits
//! on a pipe until the parent has written the maps.
//!
//! Between clone and exec the child runs only raw system calls on memory prepared by the
//! parent: no allocation, no locks, no glibc wrappers that keep per-thread state (glibc's
//! `setresuid` signals every thread it knows of, which do not exist in the child). A
//! failing step is reported to the parent as `(step, errno)` over a close-on-exec pipe;
//! end-of-file on that pipe means exec succeeded.

use std::ffi::CString;
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::error::SandboxError;

/// Identity of the sandbox inside its new user namespace.
#[derive(Debug, Clone)]
pub struct UserNamespace {
    /// Contents written to `/proc/PID/uid_map` and `gid_map`.
    pub uid_map: String,
    pub gid_map: String,
    /// Write `deny` to `/proc/PID/setgroups` first (required when unprivileged).
    pub deny_setgroups: bool,
    /// The ids the child switches to inside the namespace.
    pub uid: u32,
    pub gid: u32,
}

/// Everything needed to start the sandbox process.
pub struct SpawnSpec {
    pub exe: CString,
    pub argv: Vec<CString>,
    /// The child's whole environment (`NAME=value`).
    pub env: Vec<CString>,
    /// Donated descriptors and the number each gets in the child.
    pub fds: Vec<(OwnedFd, RawFd)>,
    /// Becomes the child's 0, 1 and 2 (normally /dev/null).
    pub null: OwnedFd,
    /// `CLONE_NEW*` flags.
    pub namespaces: libc::c_int,
    pub user: Option<UserNamespace>,
    /// Capabilities the child keeps across exec (as ambient capabilities).
    pub ambient_caps: Vec<u32>,
    /// Signal the child gets when this process dies (attached mode).
    pub pdeathsig: Option<libc::c_int>,
    /// A network namespace to start the child in (joined around the clone).
    pub netns: Option<OwnedFd>,
}

/// Steps of the child, reported back with the errno when one fails.
#[derive(Debug, Clone, Copy)]
#[repr(u32)]
enum Step {
    Sync = 1,
    SetGroups,
    SetGid,
    KeepCaps,
    SetUid,
    CapSet,
    Ambient,
    SetSid,
    DeathSig,
    Dup,
    CloseRange,
    Exec,
}

impl Step {
    fn describe(code: u32) -> &'static str {
        const NAMES: [&str; 12] = [
            "waiting for user mappings",
            "dropping supplementary groups",
            "setting the group id",
            "keeping capabilities",
            "setting the user id",
            "setting capabilities",
            "raising ambient capabilities",
            "creating a session",
            "setting the parent-death signal",
            "placing donated descriptors",
            "closing other descriptors",
            "executing moat",
        ];
        usize::try_from(code)
            .ok()
            .and_then(|c| c.checked_sub(1))
            .and_then(|i| NAMES.get(i))
            .copied()
            .unwrap_or("an unknown step")
    }
}

/// A started sandbox process, a child of this one.
#[derive(Debug)]
pub struct Spawned {
    pub pid: i32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Memory the child reads; built in the parent so the child never allocates.
struct ChildPlan<'a> {
    exe: *const libc::c_char,
    argv: &'a [*const libc::c_char],
    envp: &'a [*const libc::c_char],
    /// (source fd, target fd); sources are all above every target.
    moves: &'a [(RawFd, RawFd)],
    null: RawFd,
    first_free: RawFd,
    sync_r: RawFd,
    sync_w: RawFd,
    err_w: RawFd,
    user: Option<(u32, u32, bool)>,
    caps: [CapData; 2],
    ambient: &'a [u32],
    pdeathsig: libc::c_int,
}

/// Starts the sandbox; returns once `execve` succeeded in the child.
pub fn spawn(spec: SpawnSpec) -> Result<Spawned, SandboxError> {
    let max_target = spec.fds.iter().map(|(_, t)| *t).max().unwrap_or(2);
    // Sources must not collide with targets: move them all above the target range.
    let floor = (max_target + 1).max(64);
    let mut lifted = Vec::with_capacity(spec.fds.len());
    for (fd, target) in &spec.fds {
        let high = rustix::io::fcntl_dupfd_cloexec(fd, floor)
            .map_err(|e| SandboxError::os("duplicating a donated descriptor", e.into()))?;
        lifted.push((high, *target));
    }
    let null = rustix::io::fcntl_dupfd_cloexec(&spec.null, floor)
        .map_err(|e| SandboxError::os("duplicating /dev/null", e.into()))?;
    let (sync_r, sync_w) = cloexec_pipe(floor)?;
    let (err_r, err_w) = cloexec_pipe(floor)?;

    let moves: Vec<(RawFd, RawFd)> = lifted.iter().map(|(f, t)| (f.as_raw_fd(), *t)).collect();
    let mut argv: Vec<*const libc::c_char> = spec.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = spec.env.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    let mut caps = [CapData::default(); 2];
    for &c in &spec.ambient_caps {
        let (word, bit) = ((c / 32) as usize, 1u32 << (c % 32));
        if let Some(d) = caps.get_mut(word) {
            d.effective |= bit;
            d.permitted |= bit;
            d.inheritable |= bit;
        }
    }
    let plan = ChildPlan {
        exe: spec.exe.as_ptr(),
        argv: &argv,
        envp: &envp,
        moves: &moves,
        null: null.as_raw_fd(),
        first_free: max_target + 1,
        sync_r: sync_r.as_raw_fd(),
        sync_w: sync_w.as_raw_fd(),
        err_w: err_w.as_raw_fd(),
        user: spec
            .user
            .as_ref()
            .map(|u| (u.uid, u.gid, !u.deny_setgroups)),
        caps,
        ambient: &spec.ambient_caps,
        pdeathsig: spec.pdeathsig.unwrap_or(0),
    };

    let pid = clone_in_netns(spec.namespaces, spec.netns.as_ref(), &plan)?;
    drop(sync_r);
    drop(err_w);
    drop(lifted);
    drop(null);

    let fail = |err: SandboxError| {
        kill_and_reap(pid);
        Err(err)
    };
    if let Some(user) = &spec.user {
        if let Err(e) = write_id_maps(pid, user) {
            return fail(e);
        }
    }
    let mut sync_w = fs::File::from(sync_w);
    if let Err(e) = sync_w.write_all(&[1]) {
        return fail(SandboxError::os("releasing the sandbox process", e));
    }
    drop(sync_w);

    let mut report = Vec::new();
    let mut err_r = fs::File::from(err_r);
    if let Err(e) = err_r.read_to_end(&mut report) {
        return fail(SandboxError::os("reading the sandbox start report", e));
    }
    if report.len() >= 8 {
        let step = u32::from_ne_bytes([report[0], report[1], report[2], report[3]]);
        let errno = i32::from_ne_bytes([report[4], report[5], report[6], report[7]]);
        kill_and_reap(pid);
        return Err(SandboxError::ChildSetup {
            step: Step::describe(step),
            cause: std::io::Error::from_raw_os_error(errno),
        });
    }
    Ok(Spawned { pid })
}

fn cloexec_pipe(floor: RawFd) -> Result<(OwnedFd, OwnedFd), SandboxError> {
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| SandboxError::os("creating a pipe", e.into()))?;
    let r2 = rustix::io::fcntl_dupfd_cloexec(&r, floor)
        .map_err(|e| SandboxError::os("duplicating a pipe", e.into()))?;
    let w2 = rustix::io::fcntl_dupfd_cloexec(&w, floor)
        .map_err(|e| SandboxError::os("duplicating a pipe", e.into()))?;
    Ok((r2, w2))
}

/// Joins `netns` (if any) for the duration of the clone, so the child starts in it.
fn clone_in_netns(
    flags: libc::c_int,
    netns: Option<&OwnedFd>,
    plan: &ChildPlan<'_>,
) -> Result<i32, SandboxError> {
    let Some(target) = netns else {
        return clone_child(flags, plan);
    };
    let original = fs::File::open("/proc/thread-self/ns/net")
        .map_err(|e| SandboxError::os("opening the current network namespace", e))?;
    setns(target.as_raw_fd(), libc::CLONE_NEWNET)
        .map_err(|e| SandboxError::os("joining the container's network namespace", e))?;
    let result = clone_child(flags & !libc::CLONE_NEWNET, plan);
    if let Err(e) = setns(original.as_raw_fd(), libc::CLONE_NEWNET) {
        // Continuing in the wrong namespace would affect every later network call.
        if let Ok(pid) = &result {
            kill_and_reap(*pid);
        }
        return Err(SandboxError::os(
            "returning to the original network namespace",
            e,
        ));
    }
    result
}

fn setns(fd: RawFd, nstype: libc::c_int) -> std::io::Result<()> {
    // SAFETY: setns only reads its integer arguments.
    let r = unsafe { libc::setns(fd, nstype) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn clone_child(flags: libc::c_int, plan: &ChildPlan<'_>) -> Result<i32, SandboxError> {
    let flags = libc::c_ulong::try_from(flags | libc::SIGCHLD).unwrap_or(libc::SIGCHLD as _);
    // SAFETY: a clone without CLONE_VM and with a null stack behaves as fork: the child
    // gets a copy-on-write copy of this address space and runs on its own copy of this
    // stack. The child only calls `child_main`, which never returns.
    let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
    if pid < 0 {
        return Err(SandboxError::os(
            "creating the sandbox process (clone)",
            std::io::Error::last_os_error(),
        ));
    }
    if pid == 0 {
        child_main(plan);
    }
    i32::try_from(pid).map_err(|_| SandboxError::Protocol(format!("clone returned pid {pid}")))
}

/// Runs in the child between clone and exec. Only raw system calls; never returns.
fn child_main(p: &ChildPlan<'_>) -> ! {
    let fail = |step: Step| -> ! {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&(step as u32).to_ne_bytes());
        msg[4..].copy_from_slice(&errno.to_ne_bytes());
        // SAFETY: raw write of a stack buffer to our own pipe, then exit without running
        // any destructor or atexit handler of the parent's copy.
        unsafe {
            libc::syscall(libc::SYS_write, p.err_w, msg.as_ptr(), msg.len());
            libc::syscall(libc::SYS_exit_group, 127);
        }
        unreachable_exit()
    };
    // SAFETY: each call below is a raw system call whose pointer arguments point into
    // `p` or this stack frame, which stay valid in our copy-on-write copy of the
    // parent's memory; no call allocates or takes a lock.
    unsafe {
        libc::syscall(libc::SYS_close, p.sync_w);
        let mut b = 0u8;
        if libc::syscall(libc::SYS_read, p.sync_r, &mut b as *mut u8, 1usize) != 1 {
            fail(Step::Sync);
        }
        if let Some((uid, gid, may_setgroups)) = p.user {
            if may_setgroups && libc::syscall(libc::SYS_setgroups, 0usize, 0usize) != 0 {
                fail(Step::SetGroups);
            }
            if libc::syscall(libc::SYS_setresgid, gid, gid, gid) != 0 {
                fail(Step::SetGid);
            }
            if libc::syscall(
                libc::SYS_prctl,
                libc::PR_SET_KEEPCAPS,
                1usize,
                0usize,
                0usize,
                0usize,
            ) != 0
            {
                fail(Step::KeepCaps);
            }
            if libc::syscall(libc::SYS_setresuid, uid, uid, uid) != 0 {
                fail(Step::SetUid);
            }
            let header = CapHeader {
                version: CAP_VERSION_3,
                pid: 0,
            };
            if libc::syscall(
                libc::SYS_capset,
                &header as *const CapHeader,
                p.caps.as_ptr(),
            ) != 0
            {
                fail(Step::CapSet);
            }
            for &cap in p.ambient {
                let raise = libc::PR_CAP_AMBIENT_RAISE as usize;
                if libc::syscall(
                    libc::SYS_prctl,
                    libc::PR_CAP_AMBIENT,
                    raise,
                    cap as usize,
                    0usize,
                    0usize,
                ) != 0
                {
                    fail(Step::Ambient);
                }
            }
        }
        if libc::syscall(libc::SYS_setsid) < 0 {
            fail(Step::SetSid);
        }
        if p.pdeathsig != 0
            && libc::syscall(
                libc::SYS_prctl,
                libc::PR_SET_PDEATHSIG,
                p.pdeathsig as usize,
                0usize,
                0usize,
                0usize,
            ) != 0
        {
            fail(Step::DeathSig);
        }
        for fd in 0..3 {
            if libc::syscall(libc::SYS_dup3, p.null, fd, 0) < 0 {
                fail(Step::Dup);
            }
        }
        for &(src, dst) in p.moves {
            if libc::syscall(libc::SYS_dup3, src, dst, 0) < 0 {
                fail(Step::Dup);
            }
        }
        // Everything else becomes close-on-exec (the error pipe must survive until the
        // exec itself, and is close-on-exec already).
        let cloexec = libc::CLOSE_RANGE_CLOEXEC as usize;
        if libc::syscall(
            libc::SYS_close_range,
            p.first_free as usize,
            usize::MAX,
            cloexec,
        ) != 0
        {
            fail(Step::CloseRange);
        }
        libc::syscall(libc::SYS_execve, p.exe, p.argv.as_ptr(), p.envp.as_ptr());
    }
    fail(Step::Exec)
}

fn unreachable_exit() -> ! {
    loop {
        // SAFETY: exit_group ends the process; the loop only satisfies the type.
        unsafe { libc::syscall(libc::SYS_exit_group, 127) };
    }
}

fn write_id_maps(pid: i32, user: &UserNamespace) -> Result<(), SandboxError> {
    let write = |file: &str, text: &str| {
        fs::write(format!("/proc/{pid}/{file}"), text)
            .map_err(|e| SandboxError::os(format!("writing the sandbox's {file}"), e))
    };
    write("uid_map", &user.uid_map)?;
    if user.deny_setgroups {
        write("setgroups", "deny")?;
    }
    write("gid_map", &user.gid_map)
}

/// SIGKILLs and reaps a child that failed to start properly.
pub(crate) fn kill_and_reap(pid: i32) {
    // SAFETY: kill and waitpid on a pid we created and have not reaped.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

/// Opens /dev/null for the sandbox's own stdio.
pub fn open_null() -> Result<OwnedFd, SandboxError> {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| SandboxError::os("opening /dev/null", e))?;
    Ok(OwnedFd::from(f))
}
