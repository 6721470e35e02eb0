//! Thread and process exit, reaping, and job-control stops.

use super::process::{ChildReport, GroupExit, TaskShared, ThreadGroup, Tree};
use super::signal::{
    self, SigInfo, CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED,
};
use super::task::Task;
use super::waiter::events;
use super::{futex, ExitStatus, KernelShared};
use abi::signal as sig;
use std::sync::Arc;

/// Ends a task: releases its context, memory and files; if it was the last thread of
/// its process, the process exits with `status` (or the group-exit status).
pub fn exit_task(task: Task, status: ExitStatus) {
    let p = task.into_parts();
    if p.clear_child_tid != 0 && p.mm.write_u32(p.clear_child_tid, 0).is_ok() {
        futex::wake_address(&p.k, &p.mm, p.clear_child_tid, 1);
    }
    if let Ok(mut i) = p.shared.interrupter.lock() {
        *i = None;
    }
    let (u, s) = p.shared.times.get();
    p.tg.dead_times.add(u, s);
    let last = remove_thread(&p.k, &p.tg, &p.shared);
    // Files first: a pipe's readers must see EOF before the parent learns of the exit.
    drop(p.fds);
    drop(p.fs);
    drop(p.ctx);
    drop(p.mm);
    if let Some(v) = p.vfork {
        v.complete();
    }
    if last {
        exit_process(&p.k, &p.tg, final_status(&p.tg, status));
    }
}

/// For a task that never ran (its context could not be made).
pub fn thread_gone(
    k: &Arc<KernelShared>,
    tg: &Arc<ThreadGroup>,
    shared: &Arc<TaskShared>,
    status: ExitStatus,
) {
    if remove_thread(k, tg, shared) {
        exit_process(k, tg, final_status(tg, status));
    }
}

fn final_status(tg: &ThreadGroup, status: ExitStatus) -> ExitStatus {
    match tg.group_exit() {
        Some(GroupExit::Exit(st)) => st,
        _ => status,
    }
}

/// Unlists a thread; returns whether it was the last of its group.
fn remove_thread(k: &KernelShared, tg: &ThreadGroup, shared: &Arc<TaskShared>) -> bool {
    if let Ok(mut tree) = k.tree.lock() {
        tree.threads.remove(&shared.tid);
    }
    let last = match tg.tasks.lock() {
        Ok(mut t) => {
            t.retain(|x| !Arc::ptr_eq(x, shared));
            t.is_empty()
        }
        Err(_) => true,
    };
    tg.thread_exits.notify(events::ALL);
    last
}

fn child_info(pid: i32, status: ExitStatus) -> SigInfo {
    let (code, st) = match status {
        ExitStatus::Exited(c) => (CLD_EXITED, c),
        ExitStatus::Signaled(s) if is_core(s) => (CLD_DUMPED, s),
        ExitStatus::Signaled(s) => (CLD_KILLED, s),
    };
    SigInfo {
        signo: sig::SIGCHLD,
        code,
        pid,
        status: st,
        ..Default::default()
    }
}

fn is_core(s: i32) -> bool {
    abi::signal::default_action(s) == abi::signal::DefaultAction::CoreDump
}

/// The tree half of a process exit: reparenting, zombie state, SIGCHLD, waking waiters.
pub fn exit_process(k: &Arc<KernelShared>, tg: &Arc<ThreadGroup>, status: ExitStatus) {
    let pid = tg.pid;
    if let Ok(mut timers) = tg.timers.lock() {
        for id in timers
            .real
            .take()
            .into_iter()
            .chain(std::mem::take(&mut timers.posix).into_values())
        {
            k.timers.delete(id);
        }
    }
    if let Ok(mut tree) = k.tree.lock() {
        if let Some(node) = tree.nodes.get(&pid) {
            let init = node.init;
            let ppid = node.ppid;
            let children: Vec<i32> = node.children.iter().copied().collect();
            if pid == init {
                // The container's init is gone: like a PID namespace, everything else dies.
                for m in tree.container_members(init) {
                    if m.pid != pid {
                        m.post_signal(SigInfo {
                            signo: sig::SIGKILL,
                            code: signal::SI_KERNEL,
                            ..Default::default()
                        });
                    }
                }
            }
            let init_alive = tree.nodes.get(&init).is_some_and(|n| n.zombie.is_none());
            let new_parent = if pid != init && init_alive { init } else { 0 };
            for c in children {
                // PR_SET_PDEATHSIG: the child learns that its parent died.
                if let Some(n) = tree.nodes.get(&c).filter(|n| n.zombie.is_none()) {
                    let sig = n.tg.prctl.lock().map(|p| p.pdeathsig).unwrap_or(0);
                    if sig != 0 {
                        n.tg.post_signal(SigInfo {
                            signo: sig,
                            code: signal::SI_USER,
                            pid,
                            ..Default::default()
                        });
                    }
                }
                reparent(&mut tree, c, new_parent);
            }
            if let Some(n) = tree.nodes.get_mut(&pid) {
                n.zombie = Some(status);
                n.children.clear();
            }
            let exit_signal = tree.nodes.get(&pid).map_or(sig::SIGCHLD, |n| n.exit_signal);
            notify_parent_of_exit(&mut tree, pid, ppid, status, exit_signal);
        }
    }
    tg.set_exit(status);
}

fn reparent(tree: &mut Tree, child: i32, new_parent: i32) {
    let zombie = match tree.nodes.get_mut(&child) {
        Some(n) => {
            n.ppid = new_parent;
            n.zombie
        }
        None => return,
    };
    if new_parent == 0 {
        if zombie.is_some() {
            tree.nodes.remove(&child);
        }
        return;
    }
    if let Some(p) = tree.nodes.get_mut(&new_parent) {
        p.children.insert(child);
        if zombie.is_some() {
            p.tg.child_events.notify(events::ALL);
        }
    }
}

fn notify_parent_of_exit(
    tree: &mut Tree,
    pid: i32,
    ppid: i32,
    status: ExitStatus,
    exit_signal: i32,
) {
    let parent = tree.nodes.get(&ppid).map(|p| p.tg.clone());
    let Some(parent) = parent else {
        // Nobody can wait for it: a container's first process is waited on through its
        // ThreadGroup, so the node can go.
        tree.nodes.remove(&pid);
        return;
    };
    let auto_reap = parent
        .sig
        .lock()
        .map(|s| {
            let a = s.action(sig::SIGCHLD);
            a.handler == signal::SIG_IGN || a.flags & signal::SA_NOCLDWAIT != 0
        })
        .unwrap_or(false);
    if auto_reap && exit_signal == sig::SIGCHLD {
        tree.nodes.remove(&pid);
        if let Some(p) = tree.nodes.get_mut(&ppid) {
            p.children.remove(&pid);
        }
    } else if exit_signal != 0 {
        parent.post_signal(SigInfo {
            signo: exit_signal,
            ..child_info(pid, status)
        });
    }
    parent.child_events.notify(events::ALL);
}

/// Stops the whole process for `signo` and waits for SIGCONT (or SIGKILL).
pub fn stop(task: &mut Task, signo: i32) {
    let tg = task.tg.clone();
    if let Ok(mut s) = tg.stopped.lock() {
        *s = true;
    }
    report_to_parent(task, ChildReport::Stopped(signo), CLD_STOPPED, signo);
    tg.kick_all();
    wait_while_stopped(task);
}

/// Sleeps while the group is stopped; the thread that sees SIGCONT first resumes it.
pub fn wait_while_stopped(task: &mut Task) {
    let tg = task.tg.clone();
    loop {
        if tg.group_exit().is_some() || !tg.stopped.lock().map(|s| *s).unwrap_or(false) {
            return;
        }
        let pending = tg.sig.lock().map(|s| s.pending.bits).unwrap_or(0)
            | task.shared.sig.lock().map(|s| s.pending.bits).unwrap_or(0);
        if pending & signal::bit(sig::SIGKILL) != 0 {
            return;
        }
        if pending & signal::bit(sig::SIGCONT) != 0 {
            let resumed = tg
                .stopped
                .lock()
                .map(|mut s| std::mem::replace(&mut *s, false))
                .unwrap_or(false);
            if let Ok(mut s) = tg.sig.lock() {
                // A handler still gets SIGCONT delivered; otherwise it is used up here.
                if !matches!(
                    s.disposition(sig::SIGCONT),
                    super::signal::Disposition::Handler(_)
                ) {
                    s.pending.discard(sig::SIGCONT);
                }
            }
            if resumed {
                report_to_parent(task, ChildReport::Continued, CLD_CONTINUED, sig::SIGCONT);
                tg.kick_all();
            }
            return;
        }
        task.shared.waiter.sleep(None);
    }
}

fn report_to_parent(task: &Task, report: ChildReport, code: i32, status: i32) {
    let pid = task.pid();
    let Ok(mut tree) = task.k.tree.lock() else {
        return;
    };
    let Some(ppid) = tree.nodes.get(&pid).map(|n| n.ppid) else {
        return;
    };
    if let Some(n) = tree.nodes.get_mut(&pid) {
        n.report = Some(report);
    }
    if let Some(p) = tree.nodes.get(&ppid) {
        let nocldstop =
            p.tg.sig
                .lock()
                .map(|s| s.action(sig::SIGCHLD).flags & signal::SA_NOCLDSTOP != 0)
                .unwrap_or(true);
        if !nocldstop {
            p.tg.post_signal(SigInfo {
                signo: sig::SIGCHLD,
                code,
                pid,
                status,
                ..Default::default()
            });
        }
        p.tg.child_events.notify(events::ALL);
    }
}
