//! Process lifecycle: fork/vfork/clone, execve, exit, wait4/waitid, process groups and
//! sessions, kill/tkill/tgkill.

use super::{Args, Flow, SysResult};
use crate::kernel::signal::{self as ksig, ProcessSignals, SigInfo, ThreadSignals};
use crate::kernel::waiter::events;
use crate::kernel::{
    ChildReport, ExitStatus, GroupExit, Node, Task, TaskShared, ThreadGroup, VforkDone,
};
use crate::loader::{self, AuxIds};
use crate::mm::MemoryManager;
use crate::vfs;
use abi::Errno;
use std::sync::Arc;

pub fn sys_getpid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.pid() as u64)
}

pub fn sys_gettid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.tid() as u64)
}

pub fn sys_getppid(t: &mut Task, _: &Args) -> SysResult {
    let tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    Ok(t.node(&tree).map_or(0, |n| n.ppid) as u64)
}

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_PTRACE: u64 = 0x2000;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_DETACHED: u64 = 0x400000;
const CLONE_UNTRACED: u64 = 0x800000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
const CLONE_IO: u64 = 0x8000_0000;
/// Namespace flags: a sandboxed process cannot make new namespaces yet.
const CLONE_NEW_ANY: u64 = 0x7e02_0000;
const CLONE_KNOWN: u64 = 0xff
    | CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_PIDFD
    | CLONE_PTRACE
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID
    | CLONE_IO
    | CLONE_NEW_ANY;

/// Most tasks (threads) one sandbox may have at once.
const MAX_TASKS: usize = 4096;

struct ForkOptions {
    flags: u64,
    stack: u64,
    tls: u64,
    parent_tid: u64,
    child_tid: u64,
}

/// Registers a new thread or process in the tree; returns its tid and shared parts.
fn register(
    t: &Task,
    thread: bool,
    exit_signal: i32,
) -> Result<(Arc<ThreadGroup>, Arc<TaskShared>), Errno> {
    let mut tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    let me = t.node(&tree).ok_or(Errno::ESRCH)?;
    let (pgid, sid, init) = (me.pgid, me.sid, me.init);
    // Every task costs host threads (a sentry thread and a stub thread): a sandbox
    // cannot have more than this many, whatever its rlimits say.
    if tree.threads.len() >= MAX_TASKS {
        t.k.log_unimplemented_feature("task limit reached: fork/clone returns EAGAIN");
        return Err(Errno::EAGAIN);
    }
    let tid = tree.alloc_pid();
    let mine = t
        .shared
        .sig
        .lock()
        .map(|s| s.clone())
        .map_err(|_| Errno::EAGAIN)?;
    let ts = ThreadSignals {
        blocked: mine.blocked,
        altstack: if thread { (0, 2, 0) } else { mine.altstack },
        ..Default::default()
    };
    let shared = TaskShared::new(tid, ts);
    let tg = if thread {
        t.tg.clone()
    } else {
        let ps = ProcessSignals {
            actions: t
                .tg
                .sig
                .lock()
                .map(|s| s.actions)
                .map_err(|_| Errno::EAGAIN)?,
            ..Default::default()
        };
        let tg = ThreadGroup::new(tid, ps);
        if let (Ok(mut c), Ok(p)) = (tg.comm.lock(), t.tg.comm.lock()) {
            *c = p.clone();
        }
        if let (Ok(mut c), Ok(p)) = (tg.prctl.lock(), t.tg.prctl.lock()) {
            *c = crate::kernel::PrctlState { pdeathsig: 0, ..*p };
        }
        if let (Ok(mut c), Ok(p)) = (tg.info.lock(), t.tg.info.lock()) {
            c.cmdline = p.cmdline.clone();
            c.environ = p.environ.clone();
        }
        let mut node = Node::new(tg.clone(), t.pid(), pgid, sid, init);
        node.exit_signal = exit_signal;
        tree.nodes.insert(tid, node);
        if let Some(p) = tree.nodes.get_mut(&t.pid()) {
            p.children.insert(tid);
        }
        tg
    };
    tree.threads.insert(tid, (tg.clone(), shared.clone()));
    if let Ok(mut ts) = tg.tasks.lock() {
        ts.push(shared.clone());
    }
    Ok((tg, shared))
}

fn unregister(t: &Task, tg: &Arc<ThreadGroup>, shared: &Arc<TaskShared>, thread: bool) {
    if let Ok(mut tree) = t.k.tree.lock() {
        tree.threads.remove(&shared.tid);
        if !thread {
            tree.nodes.remove(&tg.pid);
            if let Some(p) = tree.nodes.get_mut(&t.pid()) {
                p.children.remove(&tg.pid);
            }
        }
    }
    if let Ok(mut ts) = tg.tasks.lock() {
        ts.retain(|x| !Arc::ptr_eq(x, shared));
    }
}

fn do_fork(t: &mut Task, o: ForkOptions) -> SysResult {
    let f = o.flags;
    let thread = f & CLONE_THREAD != 0;
    let share_vm = f & CLONE_VM != 0;
    let vfork = f & CLONE_VFORK != 0;
    let (tg, shared) = register(t, thread, (f & 0xff) as i32)?;
    let tid = shared.tid;
    let done = vfork.then(|| Arc::new(VforkDone::default()));
    let mut seed = match t.child_seed(
        tg.clone(),
        shared.clone(),
        share_vm,
        f & CLONE_FILES != 0,
        done.clone(),
    ) {
        Ok(s) => s,
        Err(e) => {
            unregister(t, &tg, &shared, thread);
            return Err(e);
        }
    };
    if o.stack != 0 {
        seed.regs.rsp = o.stack;
    }
    if f & CLONE_SETTLS != 0 {
        seed.regs.fs_base = o.tls;
    }
    if f & CLONE_CHILD_SETTID != 0 {
        let _ = seed.mm.write_u32(o.child_tid, tid as u32);
    }
    if f & CLONE_CHILD_CLEARTID != 0 {
        seed.clear_child_tid = o.child_tid;
    }
    if f & CLONE_PARENT_SETTID != 0 {
        let _ = t.mm().write_u32(o.parent_tid, tid as u32);
    }
    if let Err(e) = seed.start() {
        tracing::warn!("starting task thread: {e}");
        unregister(t, &tg, &shared, thread);
        return Err(Errno::EAGAIN);
    }
    if let Some(d) = done {
        d.wait();
    }
    Ok(tid as u64)
}

fn plain(flags: u64) -> ForkOptions {
    ForkOptions {
        flags,
        stack: 0,
        tls: 0,
        parent_tid: 0,
        child_tid: 0,
    }
}

pub fn sys_fork(t: &mut Task, _: &Args) -> SysResult {
    do_fork(t, plain(abi::signal::SIGCHLD as u64))
}

pub fn sys_vfork(t: &mut Task, _: &Args) -> SysResult {
    do_fork(
        t,
        plain(CLONE_VM | CLONE_VFORK | abi::signal::SIGCHLD as u64),
    )
}

/// clone(flags, stack, parent_tid, child_tid, tls) — the x86-64 argument order.
pub fn sys_clone(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u64(0);
    if flags & !CLONE_KNOWN != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0
        || flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0
    {
        return Err(Errno::EINVAL);
    }
    const CLONE_NEWNS: u64 = 0x20000;
    const CLONE_NEWUSER: u64 = 0x1000_0000;
    if flags & (CLONE_NEWNS | CLONE_FS) == CLONE_NEWNS | CLONE_FS
        || flags & (CLONE_NEWUSER | CLONE_FS) == CLONE_NEWUSER | CLONE_FS
    {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEW_ANY != 0 {
        return Err(Errno::EPERM);
    }
    if flags & (CLONE_PIDFD | CLONE_PTRACE) != 0 {
        t.k.log_unimplemented_feature("clone with CLONE_PIDFD or CLONE_PTRACE");
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_VM != 0 && flags & (CLONE_THREAD | CLONE_VFORK) == 0 {
        t.k.log_unimplemented_feature("clone(CLONE_VM) without CLONE_THREAD or CLONE_VFORK");
    }
    do_fork(
        t,
        ForkOptions {
            flags,
            stack: a.u64(1),
            tls: a.u64(4),
            parent_tid: a.addr(2),
            child_tid: a.addr(3),
        },
    )
}

/// Longest single argument or environment string, NUL excluded (32 pages, as Linux).
const MAX_ARG_STRLEN: usize = 32 * 4096 - 1;

/// Reads a NULL-terminated array of string pointers (argv/envp). NULL means empty.
fn copy_in_strings(t: &Task, mut addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let mut total = 0usize;
    loop {
        let p = t.mm().read_u64(addr)?;
        if p == 0 {
            return Ok(out);
        }
        let s = t.mm().copy_in_cstr(p, MAX_ARG_STRLEN).map_err(|e| {
            if e == Errno::ENAMETOOLONG {
                Errno::E2BIG
            } else {
                e
            }
        })?;
        total += s.len() + 1 + 8;
        if total > loader::ARG_MAX {
            return Err(Errno::E2BIG);
        }
        out.push(s);
        addr = addr.checked_add(8).ok_or(Errno::EFAULT)?;
    }
}

/// An executable with the path and argv it is finally run with.
type Resolved = (vfs::Executable, Vec<u8>, Vec<Vec<u8>>);

/// Follows `#!` lines: returns the executable to load and the final argv.
fn resolve_script(t: &Task, mut path: Vec<u8>, mut argv: Vec<Vec<u8>>) -> Result<Resolved, Errno> {
    for _ in 0..5 {
        let exe = vfs::open_executable_as(&t.fs, &super::fs::creds(t), &path)?;
        let head = exe.read_head(256)?;
        if !head.starts_with(b"#!") {
            return Ok((exe, path, argv));
        }
        let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
        let line = &head[2..line_end];
        let line: Vec<u8> = line
            .iter()
            .copied()
            .skip_while(|b| *b == b' ' || *b == b'\t')
            .collect();
        let split = line.iter().position(|b| *b == b' ' || *b == b'\t');
        let (interp, arg) = match split {
            Some(i) => {
                let rest: Vec<u8> = line[i..]
                    .iter()
                    .copied()
                    .skip_while(|b| *b == b' ' || *b == b'\t')
                    .collect();
                let rest = rest.trim_ascii_end().to_vec();
                (line[..i].to_vec(), (!rest.is_empty()).then_some(rest))
            }
            None => (line.trim_ascii_end().to_vec(), None),
        };
        if interp.is_empty() {
            return Err(Errno::ENOEXEC);
        }
        let mut nargv = vec![interp.clone()];
        nargv.extend(arg);
        nargv.push(path.clone());
        nargv.extend(argv.into_iter().skip(1));
        argv = nargv;
        path = interp;
    }
    Err(Errno::ELOOP)
}

/// Everything execve does after the arguments are copied in.
pub fn exec(
    t: &mut Task,
    path: Vec<u8>,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<Flow, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (exe, path, argv) = resolve_script(t, path, argv)?;
    let ids = AuxIds {
        uid: t.cred.uid,
        euid: t.cred.euid,
        gid: t.cred.gid,
        egid: t.cred.egid,
    };
    let creds = super::fs::creds(t);
    let open_interp = |p: &[u8]| vfs::open_executable_as(&t.fs, &creds, p);
    let (mm, img) =
        t.k.clone()
            .load_program(&exe, open_interp, &argv, &envp, &path, ids)?;
    let tg = t.tg.clone();
    let flow = finish_exec(t, exe, mm, img)?;
    tg.set_program(&t.exe, &argv, &envp);
    Ok(flow)
}

/// The rest of execve once the new image is built: from here the old one is gone.
fn finish_exec(
    t: &mut Task,
    exe: vfs::Executable,
    mm: MemoryManager,
    image: loader::Image,
) -> Result<Flow, Errno> {
    let k = t.k.clone();
    // Point of no return: other threads go, then the old image.
    end_other_threads(t)?;
    t.replace_mm(mm)?;
    // A table shared with other processes (CLONE_FILES) is unshared first, as Linux does.
    if Arc::get_mut(&mut t.fds).is_none() {
        t.fds = Arc::new(t.fds.fork());
    }
    if let Some(fds) = Arc::get_mut(&mut t.fds) {
        fds.close_on_exec();
    }
    if let Ok(mut s) = t.tg.sig.lock() {
        s.reset_for_exec();
    }
    if let Ok(mut s) = t.shared.sig.lock() {
        s.altstack = (0, 2, 0);
    }
    if let Ok(mut tree) = k.tree.lock() {
        if let Some(n) = tree.nodes.get_mut(&t.pid()) {
            n.execed = true;
        }
    }
    t.exe = exe.path;
    super::timer::drop_posix_timers(t);
    if let Some(v) = t.vfork.take() {
        v.complete();
    }
    let old = t.regs;
    let mut r = platform::zeroed_regs();
    r.cs = old.cs;
    r.ss = old.ss;
    r.rip = image.entry;
    r.rsp = image.sp;
    r.eflags = 0x202;
    t.regs = r;
    t.set_fp_state(&platform::FpState::initial())?;
    Ok(Flow::RegsSet)
}

/// execve in a multithreaded process: every other thread exits first.
fn end_other_threads(t: &mut Task) -> Result<(), Errno> {
    if t.tg.threads().len() <= 1 {
        return Ok(());
    }
    if t.tg.begin_group_exit(GroupExit::Exec(t.tid())) != GroupExit::Exec(t.tid()) {
        // The process is already exiting; this thread will go with it.
        return Err(Errno::EINTR);
    }
    let waiter = t.shared.waiter.clone();
    t.tg.thread_exits.register(&waiter, events::ALL);
    while t.tg.threads().len() > 1 {
        waiter.sleep(Some(
            std::time::Instant::now() + std::time::Duration::from_millis(50),
        ));
    }
    t.tg.thread_exits.unregister(&waiter);
    if let Ok(mut g) = t.tg.group_exit.lock() {
        *g = None;
    }
    Ok(())
}

pub fn sys_execve(t: &mut Task, a: &Args) -> Result<Flow, Errno> {
    let path = t.copy_in_path(a.addr(0))?;
    let argv = copy_in_strings(t, a.addr(1))?;
    let envp = copy_in_strings(t, a.addr(2))?;
    exec(t, path, argv, envp)
}

const AT_FDCWD: i32 = -100;

pub fn sys_execveat(t: &mut Task, a: &Args) -> Result<Flow, Errno> {
    let path = t.copy_in_path(a.addr(1))?;
    if a.fd(0) != AT_FDCWD && !path.starts_with(b"/") {
        return Err(Errno::ENOSYS);
    }
    if a.i32(4) & !0x1100 != 0 {
        return Err(Errno::EINVAL);
    }
    let argv = copy_in_strings(t, a.addr(2))?;
    let envp = copy_in_strings(t, a.addr(3))?;
    exec(t, path, argv, envp)
}

pub fn sys_exit(_t: &mut Task, a: &Args) -> Result<Flow, Errno> {
    Ok(Flow::ExitThread(a.i32(0) & 0xff))
}

pub fn sys_exit_group(_t: &mut Task, a: &Args) -> Result<Flow, Errno> {
    Ok(Flow::Exit(ExitStatus::Exited(a.i32(0) & 0xff)))
}

/// Which children a wait call is about.
#[derive(Clone, Copy)]
enum Target {
    Any,
    Pid(i32),
    Group(i32),
}

#[derive(Clone, Copy)]
struct WaitOpts {
    /// __WCLONE: only children whose exit signal is not SIGCHLD; __WALL: any child.
    clone_only: bool,
    all: bool,
    exited: bool,
    stopped: bool,
    continued: bool,
    nohang: bool,
    nowait: bool,
}

const WNOHANG: u32 = 1;
const WUNTRACED: u32 = 2;
const WEXITED: u32 = 4;
const WCONTINUED: u32 = 8;
const WNOWAIT: u32 = 0x0100_0000;
const WALL_BITS: u32 = 0x2000_0000 | __WALL | __WCLONE;
const __WALL: u32 = 0x4000_0000;
const __WCLONE: u32 = 0x8000_0000;

/// A child's state change found by wait: its pid, what happened, and (for an exit)
/// its CPU time as (user, system) nanoseconds.
#[derive(Clone, Copy)]
struct Reaped {
    pid: i32,
    report: ChildReport,
    times: (u64, u64),
}

/// `struct rusage` with the given CPU times (nanoseconds) and maximum RSS (KiB).
pub(crate) fn rusage_bytes((user, sys): (u64, u64), maxrss_kb: u64) -> [u8; 144] {
    let mut b = [0u8; 144];
    let tv = |ns: u64| ((ns / 1_000_000_000), (ns % 1_000_000_000) / 1000);
    let (us, uu) = tv(user);
    let (ss, su) = tv(sys);
    b[0..8].copy_from_slice(&us.to_le_bytes());
    b[8..16].copy_from_slice(&uu.to_le_bytes());
    b[16..24].copy_from_slice(&ss.to_le_bytes());
    b[24..32].copy_from_slice(&su.to_le_bytes());
    b[32..40].copy_from_slice(&maxrss_kb.to_le_bytes());
    b
}

fn try_wait(t: &Task, target: Target, o: WaitOpts) -> Result<Option<Reaped>, Errno> {
    let mut tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    let me = t.pid();
    let kids: Vec<i32> = tree
        .get(me)
        .map(|n| n.children.iter().copied().collect())
        .unwrap_or_default();
    let matching: Vec<i32> = kids
        .into_iter()
        .filter(|c| match target {
            Target::Any => true,
            Target::Pid(p) => *c == p,
            Target::Group(g) => tree.get(*c).is_some_and(|n| n.pgid == g),
        })
        .filter(|c| {
            let is_clone = tree
                .get(*c)
                .is_some_and(|n| n.exit_signal != abi::signal::SIGCHLD);
            o.all || is_clone == o.clone_only
        })
        .collect();
    if matching.is_empty() {
        return Err(Errno::ECHILD);
    }
    for c in matching {
        let Some(n) = tree.nodes.get_mut(&c) else {
            continue;
        };
        if let (Some(st), true) = (n.zombie, o.exited) {
            // The child's CPU time, with what it had reaped itself.
            let (u, s) = n.tg.own_times();
            let (cu, cs) = n.tg.child_times.get();
            let times = (u + cu, s + cs);
            if !o.nowait {
                tree.nodes.remove(&c);
                t.tg.child_times.add(times.0, times.1);
                if let Some(p) = tree.nodes.get_mut(&me) {
                    p.children.remove(&c);
                }
            }
            return Ok(Some(Reaped {
                pid: c,
                report: ChildReport::Exited(st),
                times,
            }));
        }
        match n.report {
            Some(r @ ChildReport::Stopped(_)) if o.stopped => {
                if !o.nowait {
                    n.report = None;
                }
                return Ok(Some(Reaped {
                    pid: c,
                    report: r,
                    times: (0, 0),
                }));
            }
            Some(r @ ChildReport::Continued) if o.continued => {
                if !o.nowait {
                    n.report = None;
                }
                return Ok(Some(Reaped {
                    pid: c,
                    report: r,
                    times: (0, 0),
                }));
            }
            _ => {}
        }
    }
    if o.nohang {
        Ok(None)
    } else {
        Err(Errno::EAGAIN)
    }
}

fn wait_common(t: &mut Task, target: Target, o: WaitOpts) -> Result<Option<Reaped>, Errno> {
    let tg = t.tg.clone();
    t.block_on(&tg.child_events, events::ALL, None, |t| {
        try_wait(t, target, o)
    })
}

fn my_pgid(t: &Task) -> Result<i32, Errno> {
    let tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    t.node(&tree).map(|n| n.pgid).ok_or(Errno::ESRCH)
}

pub fn sys_wait4(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    let opts = a.u32(2);
    if opts & !(WNOHANG | WUNTRACED | WCONTINUED | WALL_BITS) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = match pid {
        i32::MIN => return Err(Errno::ESRCH),
        -1 => Target::Any,
        0 => Target::Group(my_pgid(t)?),
        p if p < 0 => Target::Group(-p),
        p => Target::Pid(p),
    };
    let o = WaitOpts {
        clone_only: opts & __WCLONE != 0,
        all: opts & __WALL != 0,
        exited: true,
        stopped: opts & WUNTRACED != 0,
        continued: opts & WCONTINUED != 0,
        nohang: opts & WNOHANG != 0,
        nowait: false,
    };
    let Some(Reaped {
        pid: child,
        report,
        times,
    }) = wait_common(t, target, o)?
    else {
        return Ok(0);
    };
    let status = match report {
        ChildReport::Exited(st) => st.wait_status(),
        ChildReport::Stopped(s) => (s << 8) | 0x7f,
        ChildReport::Continued => 0xffff,
    };
    if a.addr(1) != 0 {
        t.mm().write_u32(a.addr(1), status as u32)?;
    }
    if a.addr(3) != 0 {
        t.mm().copy_out(a.addr(3), &rusage_bytes(times, 0))?;
    }
    Ok(child as u64)
}

pub fn sys_waitid(t: &mut Task, a: &Args) -> SysResult {
    let found = waitid_find(t, a);
    // As on Linux, the siginfo is written whatever the outcome (zeros when there is
    // nothing to report), so a bad pointer gives EFAULT even after another error.
    let infop = a.addr(2);
    if infop != 0 {
        let info = match &found {
            Ok(Some(r)) => child_siginfo(r.pid, r.report).encode(),
            _ => [0u8; 128],
        };
        t.mm().copy_out(infop, &info)?;
    }
    found?;
    Ok(0)
}

fn waitid_find(t: &mut Task, a: &Args) -> Result<Option<Reaped>, Errno> {
    let id = a.i32(1);
    let target = match a.i32(0) {
        0 => Target::Any,
        1 if id > 0 => Target::Pid(id),
        2 if id > 0 => Target::Group(id),
        2 if id == 0 => Target::Group(my_pgid(t)?),
        _ => return Err(Errno::EINVAL),
    };
    let opts = a.u32(3);
    if opts & !(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WALL_BITS) != 0
        || opts & (WEXITED | WUNTRACED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let o = WaitOpts {
        clone_only: opts & __WCLONE != 0,
        all: opts & __WALL != 0,
        exited: opts & WEXITED != 0,
        stopped: opts & WUNTRACED != 0,
        continued: opts & WCONTINUED != 0,
        nohang: opts & WNOHANG != 0,
        nowait: opts & WNOWAIT != 0,
    };
    let found = wait_common(t, target, o)?;
    if a.addr(4) != 0 {
        let times = found.map_or((0, 0), |r| r.times);
        t.mm().copy_out(a.addr(4), &rusage_bytes(times, 0))?;
    }
    Ok(found)
}

/// The siginfo waitid reports for a child's state change.
fn child_siginfo(pid: i32, r: ChildReport) -> SigInfo {
    let (code, status) = match r {
        ChildReport::Exited(ExitStatus::Exited(c)) => (ksig::CLD_EXITED, c),
        ChildReport::Exited(ExitStatus::Signaled(s)) => {
            let core = abi::signal::default_action(s) == abi::signal::DefaultAction::CoreDump;
            (
                if core {
                    ksig::CLD_DUMPED
                } else {
                    ksig::CLD_KILLED
                },
                s,
            )
        }
        ChildReport::Stopped(s) => (ksig::CLD_STOPPED, s),
        ChildReport::Continued => (ksig::CLD_CONTINUED, abi::signal::SIGCONT),
    };
    SigInfo {
        signo: abi::signal::SIGCHLD,
        code,
        pid,
        uid: 0,
        status,
        addr: 0,
    }
}

pub fn sys_setpgid(t: &mut Task, a: &Args) -> SysResult {
    let me = t.pid();
    let pid = if a.i32(0) == 0 { me } else { a.i32(0) };
    let pgid = if a.i32(1) == 0 { pid } else { a.i32(1) };
    if pid < 0 || pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let mut tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    let my_sid = t.node(&tree).map(|n| n.sid).ok_or(Errno::ESRCH)?;
    let target = tree
        .get(pid)
        .filter(|n| n.zombie.is_none())
        .ok_or(Errno::ESRCH)?;
    if pid != me {
        if target.ppid != me {
            return Err(Errno::ESRCH);
        }
        if target.sid != my_sid {
            return Err(Errno::EPERM);
        }
        if target.execed {
            return Err(Errno::EACCES);
        }
    }
    if target.sid == pid {
        return Err(Errno::EPERM);
    }
    if pgid != pid
        && !tree
            .nodes
            .values()
            .any(|n| n.pgid == pgid && n.sid == my_sid)
    {
        return Err(Errno::EPERM);
    }
    if let Some(n) = tree.nodes.get_mut(&pid) {
        n.pgid = pgid;
    }
    Ok(0)
}

fn lookup_node<T>(t: &Task, pid: i32, f: impl Fn(&Node) -> T) -> Result<T, Errno> {
    let tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    let pid = if pid == 0 { t.pid() } else { pid };
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    tree.get(pid).map(f).ok_or(Errno::ESRCH)
}

pub fn sys_getpgid(t: &mut Task, a: &Args) -> SysResult {
    lookup_node(t, a.i32(0), |n| n.pgid as u64)
}

pub fn sys_getpgrp(t: &mut Task, _: &Args) -> SysResult {
    lookup_node(t, 0, |n| n.pgid as u64)
}

pub fn sys_getsid(t: &mut Task, a: &Args) -> SysResult {
    lookup_node(t, a.i32(0), |n| n.sid as u64)
}

pub fn sys_setsid(t: &mut Task, _: &Args) -> SysResult {
    let me = t.pid();
    let mut tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    if tree.nodes.values().any(|n| n.pgid == me) {
        return Err(Errno::EPERM);
    }
    let n = tree.nodes.get_mut(&me).ok_or(Errno::ESRCH)?;
    n.sid = me;
    n.pgid = me;
    Ok(me as u64)
}

pub fn sys_set_tid_address(t: &mut Task, a: &Args) -> SysResult {
    t.clear_child_tid = a.addr(0);
    Ok(t.pid() as u64)
}

fn user_info(t: &Task, signo: i32, code: i32) -> SigInfo {
    SigInfo {
        signo,
        code,
        pid: t.pid(),
        uid: t.cred.uid,
        ..Default::default()
    }
}

/// kill(2)'s permission rule: root may signal anyone; others need their real or
/// effective uid to match the target's real or saved uid.
fn may_signal(t: &Task, target: &ThreadGroup) -> bool {
    if t.cred.euid == 0 {
        return true;
    }
    let (uid, suid) = target
        .info
        .lock()
        .map(|i| (i.uid, i.suid))
        .unwrap_or((0, 0));
    [t.cred.uid, t.cred.euid]
        .iter()
        .any(|&me| me == uid || me == suid)
}

/// Sends `signo` to every process in `targets` the caller may signal; signal 0 only
/// checks. ESRCH if there is none, EPERM if there are some but none may be signalled.
fn deliver(t: &Task, targets: Vec<Arc<ThreadGroup>>, info: SigInfo) -> SysResult {
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let allowed: Vec<_> = targets.into_iter().filter(|tg| may_signal(t, tg)).collect();
    if allowed.is_empty() {
        return Err(Errno::EPERM);
    }
    if info.signo != 0 {
        for tg in allowed {
            tg.post_signal(info);
        }
    }
    Ok(0)
}

fn check_signal(signo: i32) -> Result<(), Errno> {
    if signo == 0 {
        Ok(())
    } else {
        ksig::valid(signo).map(drop)
    }
}

pub fn sys_kill(t: &mut Task, a: &Args) -> SysResult {
    let pid = a.i32(0);
    let signo = a.i32(1);
    check_signal(signo)?;
    let info = user_info(t, signo, ksig::SI_USER);
    let targets = {
        let tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
        let me = t.node(&tree).ok_or(Errno::ESRCH)?;
        match pid {
            // A zombie still exists: signalling it succeeds and does nothing.
            p if p > 0 => tree.get(p).map(|n| n.tg.clone()).into_iter().collect(),
            0 => tree.group_members(me.pgid),
            -1 => {
                let init = me.init;
                let mine = t.pid();
                tree.container_members(init)
                    .into_iter()
                    .filter(|g| g.pid != init && g.pid != mine)
                    .collect()
            }
            i32::MIN => return Err(Errno::ESRCH),
            p => tree.group_members(-p),
        }
    };
    deliver(t, targets, info)
}

fn thread_target(t: &Task, tid: i32) -> Result<(Arc<ThreadGroup>, Arc<TaskShared>), Errno> {
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    t.k.thread(tid).ok_or(Errno::ESRCH)
}

fn deliver_to_thread(
    t: &Task,
    target: (Arc<ThreadGroup>, Arc<TaskShared>),
    signo: i32,
) -> SysResult {
    check_signal(signo)?;
    if signo != 0 {
        target
            .0
            .post_thread_signal(&target.1, user_info(t, signo, ksig::SI_TKILL));
    }
    Ok(0)
}

pub fn sys_tkill(t: &mut Task, a: &Args) -> SysResult {
    let target = thread_target(t, a.i32(0))?;
    deliver_to_thread(t, target, a.i32(1))
}

pub fn sys_tgkill(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, signo) = (a.i32(0), a.i32(1), a.i32(2));
    if tgid <= 0 {
        return Err(Errno::EINVAL);
    }
    let target = thread_target(t, tid)?;
    if target.0.pid != tgid {
        return Err(Errno::ESRCH);
    }
    deliver_to_thread(t, target, signo)
}
