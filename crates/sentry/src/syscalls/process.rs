//! Process lifecycle: fork/vfork/clone, execve, exit, wait4/waitid, process groups and
//! sessions, kill/tkill/tgkill.

use super::{Args, Flow, SysResult};
use crate::kernel::signal::{self as ksig, SigInfo};
use crate::kernel::waiter::events;
use crate::kernel::{ChildReport, ExitStatus, Node, Task, ThreadGroup, VforkDone};
use crate::loader::{self, elf::Elf, AuxIds};
use crate::mm::MemoryManager;
use crate::vfs;
use abi::Errno;
use std::collections::BTreeSet;
use std::sync::Arc;

pub fn sys_getpid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.pid() as u64)
}

pub fn sys_gettid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.pid() as u64)
}

pub fn sys_getppid(t: &mut Task, _: &Args) -> SysResult {
    let tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    Ok(t.node(&tree).map_or(0, |n| n.ppid) as u64)
}

const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;
/// Namespace flags: a sandboxed process cannot make new namespaces yet.
const CLONE_NEW_ANY: u64 = 0x7e02_0000;

struct ForkOptions {
    vfork: bool,
    stack: u64,
    tls: Option<u64>,
    parent_tid: Option<u64>,
    child_tid: Option<u64>,
    clear_tid: u64,
}

fn do_fork(t: &mut Task, opts: ForkOptions) -> SysResult {
    let k = t.k.clone();
    let parent = t.pid();
    let (pid, tg) = {
        let mut tree = k.tree.lock().map_err(|_| Errno::EAGAIN)?;
        let me = t.node(&tree).ok_or(Errno::ESRCH)?;
        let (pgid, sid, init) = (me.pgid, me.sid, me.init);
        let pid = tree.alloc_pid();
        let sig = {
            let s = t.tg.sig.lock().map_err(|_| Errno::EAGAIN)?;
            let mut c = crate::kernel::signal::SigState::default();
            c.actions = s.actions;
            c.blocked = s.blocked;
            c.altstack = s.altstack;
            c
        };
        let tg = ThreadGroup::new(pid, sig);
        if let (Ok(mut c), Ok(p)) = (tg.comm.lock(), t.tg.comm.lock()) {
            *c = p.clone();
        }
        tree.nodes.insert(
            pid,
            Node { tg: tg.clone(), ppid: parent, pgid, sid, init, children: BTreeSet::new(), zombie: None, report: None, execed: false },
        );
        if let Some(p) = tree.nodes.get_mut(&parent) {
            p.children.insert(pid);
        }
        (pid, tg)
    };
    let undo = |k: &crate::kernel::KernelShared| {
        if let Ok(mut tree) = k.tree.lock() {
            tree.nodes.remove(&pid);
            if let Some(p) = tree.nodes.get_mut(&parent) {
                p.children.remove(&pid);
            }
        }
    };
    let done = opts.vfork.then(|| Arc::new(VforkDone::default()));
    let mut seed = match t.fork_seed(tg, done.clone()) {
        Ok(s) => s,
        Err(e) => {
            undo(&k);
            return Err(e);
        }
    };
    if opts.stack != 0 {
        seed.regs.rsp = opts.stack;
    }
    if let Some(tls) = opts.tls {
        seed.regs.fs_base = tls;
    }
    if let Some(a) = opts.child_tid {
        let _ = seed.mm.write_u32(a, pid as u32);
    }
    seed.clear_child_tid = opts.clear_tid;
    if let Some(a) = opts.parent_tid {
        let _ = t.mm().write_u32(a, pid as u32);
    }
    if let Err(e) = seed.start() {
        tracing::warn!("starting task thread: {e}");
        undo(&k);
        return Err(Errno::EAGAIN);
    }
    if let Some(d) = done {
        d.wait();
    }
    Ok(pid as u64)
}

fn plain_fork(vfork: bool) -> ForkOptions {
    ForkOptions { vfork, stack: 0, tls: None, parent_tid: None, child_tid: None, clear_tid: 0 }
}

pub fn sys_fork(t: &mut Task, _: &Args) -> SysResult {
    do_fork(t, plain_fork(false))
}

pub fn sys_vfork(t: &mut Task, _: &Args) -> SysResult {
    do_fork(t, plain_fork(true))
}

/// clone(flags, stack, parent_tid, child_tid, tls) — the x86-64 argument order.
pub fn sys_clone(t: &mut Task, a: &Args) -> SysResult {
    let flags = a.u64(0);
    if flags & CLONE_THREAD != 0 {
        t.k.log_unimplemented_feature("clone(CLONE_THREAD): threads are not supported yet");
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEW_ANY != 0 {
        return Err(Errno::EPERM);
    }
    let exit_signal = (flags & 0xff) as i32;
    if exit_signal > abi::signal::SIGRTMAX {
        return Err(Errno::EINVAL);
    }
    do_fork(
        t,
        ForkOptions {
            vfork: flags & CLONE_VFORK != 0,
            stack: a.u64(1),
            tls: (flags & CLONE_SETTLS != 0).then(|| a.u64(4)),
            parent_tid: (flags & CLONE_PARENT_SETTID != 0).then(|| a.addr(2)),
            child_tid: (flags & CLONE_CHILD_SETTID != 0).then(|| a.addr(3)),
            clear_tid: if flags & CLONE_CHILD_CLEARTID != 0 { a.addr(3) } else { 0 },
        },
    )
    .inspect(|_| {
        if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
            t.k.log_unimplemented_feature("clone(CLONE_VM) without CLONE_VFORK: memory is copied");
        }
    })
}

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
        let s = t.mm().copy_in_cstr(p, loader::ARG_MAX).map_err(|e| if e == Errno::ENAMETOOLONG { Errno::E2BIG } else { e })?;
        total += s.len() + 1 + 8;
        if total > loader::ARG_MAX {
            return Err(Errno::E2BIG);
        }
        out.push(s);
        addr = addr.checked_add(8).ok_or(Errno::EFAULT)?;
    }
}

/// Follows `#!` lines: returns the executable to load and the final argv.
fn resolve_script(t: &Task, mut path: Vec<u8>, mut argv: Vec<Vec<u8>>) -> Result<(vfs::Executable, Vec<u8>, Vec<Vec<u8>>), Errno> {
    for _ in 0..5 {
        let exe = vfs::open_executable(&t.fs, &path)?;
        if !exe.data.starts_with(b"#!") {
            return Ok((exe, path, argv));
        }
        let line_end = exe.data.iter().take(256).position(|&b| b == b'\n').unwrap_or(exe.data.len().min(256));
        let line = &exe.data[2..line_end];
        let line: Vec<u8> = line.iter().copied().skip_while(|b| *b == b' ' || *b == b'\t').collect();
        let split = line.iter().position(|b| *b == b' ' || *b == b'\t');
        let (interp, arg) = match split {
            Some(i) => {
                let rest: Vec<u8> = line[i..].iter().copied().skip_while(|b| *b == b' ' || *b == b'\t').collect();
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
pub fn exec(t: &mut Task, path: Vec<u8>, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Result<Flow, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (exe, path, argv) = resolve_script(t, path, argv)?;
    let elf = Elf::parse(&exe.data)?;
    let interp = match elf.interp(&exe.data)? {
        Some(p) => Some(vfs::open_executable(&t.fs, p)?.data),
        None => None,
    };
    let k = t.k.clone();
    let mut mm = MemoryManager::new(k.mf.clone(), k.platform.user_range(), k.platform.reserved());
    let ids = AuxIds { uid: t.cred.uid, euid: t.cred.euid, gid: t.cred.gid, egid: t.cred.egid };
    let image = loader::load(&mut mm, &exe.data, interp.as_deref(), &argv, &envp, &path, ids)?;

    // Point of no return: the old image is gone after this.
    t.replace_mm(mm)?;
    t.fds.close_on_exec();
    if let Ok(mut s) = t.tg.sig.lock() {
        s.reset_for_exec();
    }
    if let Ok(mut tree) = k.tree.lock() {
        if let Some(n) = tree.nodes.get_mut(&t.pid()) {
            n.execed = true;
        }
    }
    let base = exe.path.rsplit('/').next().unwrap_or("").chars().take(15).collect::<String>();
    if let Ok(mut c) = t.tg.comm.lock() {
        *c = base;
    }
    t.exe = exe.path;
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
    Ok(Flow::Exit(ExitStatus::Exited(a.i32(0) & 0xff)))
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
const WALL_BITS: u32 = 0x2000_0000 | 0x4000_0000 | 0x8000_0000;

fn try_wait(t: &Task, target: Target, o: WaitOpts) -> Result<Option<(i32, ChildReport)>, Errno> {
    let mut tree = t.k.tree.lock().map_err(|_| Errno::EAGAIN)?;
    let me = t.pid();
    let kids: Vec<i32> = tree.get(me).map(|n| n.children.iter().copied().collect()).unwrap_or_default();
    let matching: Vec<i32> = kids
        .into_iter()
        .filter(|c| match target {
            Target::Any => true,
            Target::Pid(p) => *c == p,
            Target::Group(g) => tree.get(*c).is_some_and(|n| n.pgid == g),
        })
        .collect();
    if matching.is_empty() {
        return Err(Errno::ECHILD);
    }
    for c in matching {
        let Some(n) = tree.nodes.get_mut(&c) else { continue };
        if let (Some(st), true) = (n.zombie, o.exited) {
            if !o.nowait {
                tree.nodes.remove(&c);
                if let Some(p) = tree.nodes.get_mut(&me) {
                    p.children.remove(&c);
                }
            }
            return Ok(Some((c, ChildReport::Exited(st))));
        }
        match n.report {
            Some(r @ ChildReport::Stopped(_)) if o.stopped => {
                if !o.nowait {
                    n.report = None;
                }
                return Ok(Some((c, r)));
            }
            Some(r @ ChildReport::Continued) if o.continued => {
                if !o.nowait {
                    n.report = None;
                }
                return Ok(Some((c, r)));
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

fn wait_common(t: &mut Task, target: Target, o: WaitOpts) -> Result<Option<(i32, ChildReport)>, Errno> {
    let tg = t.tg.clone();
    t.block_on(&tg.child_events, events::ALL, None, |t| try_wait(t, target, o))
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
        exited: true,
        stopped: opts & WUNTRACED != 0,
        continued: opts & WCONTINUED != 0,
        nohang: opts & WNOHANG != 0,
        nowait: false,
    };
    let Some((child, report)) = wait_common(t, target, o)? else { return Ok(0) };
    let status = match report {
        ChildReport::Exited(st) => st.wait_status(),
        ChildReport::Stopped(s) => (s << 8) | 0x7f,
        ChildReport::Continued => 0xffff,
    };
    if a.addr(1) != 0 {
        t.mm().write_u32(a.addr(1), status as u32)?;
    }
    if a.addr(3) != 0 {
        t.mm().copy_out(a.addr(3), &[0u8; 144])?;
    }
    Ok(child as u64)
}

pub fn sys_waitid(t: &mut Task, a: &Args) -> SysResult {
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
        exited: opts & WEXITED != 0,
        stopped: opts & WUNTRACED != 0,
        continued: opts & WCONTINUED != 0,
        nohang: opts & WNOHANG != 0,
        nowait: opts & WNOWAIT != 0,
    };
    let found = wait_common(t, target, o)?;
    let infop = a.addr(2);
    if infop != 0 {
        let info = match found {
            None => [0u8; 128],
            Some((pid, r)) => {
                let (code, status) = match r {
                    ChildReport::Exited(ExitStatus::Exited(c)) => (ksig::CLD_EXITED, c),
                    ChildReport::Exited(ExitStatus::Signaled(s)) => {
                        let core = abi::signal::default_action(s) == abi::signal::DefaultAction::CoreDump;
                        (if core { ksig::CLD_DUMPED } else { ksig::CLD_KILLED }, s)
                    }
                    ChildReport::Stopped(s) => (ksig::CLD_STOPPED, s),
                    ChildReport::Continued => (ksig::CLD_CONTINUED, abi::signal::SIGCONT),
                };
                SigInfo { signo: abi::signal::SIGCHLD, code, pid, uid: 0, status, addr: 0 }.encode()
            }
        };
        t.mm().copy_out(infop, &info)?;
    }
    if a.addr(4) != 0 {
        t.mm().copy_out(a.addr(4), &[0u8; 144])?;
    }
    Ok(0)
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
    let target = tree.get(pid).filter(|n| n.zombie.is_none()).ok_or(Errno::ESRCH)?;
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
    if pgid != pid && !tree.nodes.values().any(|n| n.pgid == pgid && n.sid == my_sid) {
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
    SigInfo { signo, code, pid: t.pid(), uid: t.cred.uid, ..Default::default() }
}

/// Sends `signo` to every process in `targets`; signal 0 only checks they exist.
fn deliver(targets: Vec<Arc<ThreadGroup>>, info: SigInfo) -> SysResult {
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    if info.signo != 0 {
        for tg in targets {
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
            p if p > 0 => tree.get(p).filter(|n| n.zombie.is_none() || signo == 0).map(|n| n.tg.clone()).into_iter().collect(),
            0 => tree.group_members(me.pgid),
            -1 => {
                let init = me.init;
                let mine = t.pid();
                tree.container_members(init).into_iter().filter(|g| g.pid != init && g.pid != mine).collect()
            }
            i32::MIN => return Err(Errno::ESRCH),
            p => tree.group_members(-p),
        }
    };
    deliver(targets, info)
}

fn thread_target(t: &Task, tid: i32) -> Result<Arc<ThreadGroup>, Errno> {
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    t.k.thread_group(tid).ok_or(Errno::ESRCH)
}

pub fn sys_tkill(t: &mut Task, a: &Args) -> SysResult {
    let signo = a.i32(1);
    let tg = thread_target(t, a.i32(0))?;
    check_signal(signo)?;
    deliver(vec![tg], user_info(t, signo, ksig::SI_TKILL))
}

pub fn sys_tgkill(t: &mut Task, a: &Args) -> SysResult {
    let (tgid, tid, signo) = (a.i32(0), a.i32(1), a.i32(2));
    if tgid <= 0 {
        return Err(Errno::EINVAL);
    }
    let tg = thread_target(t, tid)?;
    check_signal(signo)?;
    if tg.pid != tgid {
        return Err(Errno::ESRCH);
    }
    deliver(vec![tg], user_info(t, signo, ksig::SI_TKILL))
}
