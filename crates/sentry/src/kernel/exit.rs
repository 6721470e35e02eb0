//! Process exit, reaping, and job-control stops.

use super::process::{ChildReport, ThreadGroup, Tree};
use super::signal::{self, SigInfo, CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED};
use super::task::Task;
use super::waiter::events;
use super::{ExitStatus, KernelShared};
use abi::signal as sig;
use std::sync::Arc;

/// Ends a task whose process is exiting: releases its memory, stub and files, then
/// makes the process a zombie for its parent.
pub fn exit_task(task: Task, status: ExitStatus) {
    let k = task.k.clone();
    let tg = task.tg.clone();
    let (mm, ctx, fds, fs, vfork, _clear_tid) = task.take_parts();
    if let Ok(mut i) = tg.interrupter.lock() {
        *i = None;
    }
    // Files first: a pipe's readers must see EOF before the parent learns of the exit.
    drop(fds);
    drop(fs);
    drop(ctx);
    drop(mm);
    if let Some(v) = vfork {
        v.complete();
    }
    exit_without_task(&k, &tg, status);
}

fn child_info(pid: i32, status: ExitStatus) -> SigInfo {
    let (code, st) = match status {
        ExitStatus::Exited(c) => (CLD_EXITED, c),
        ExitStatus::Signaled(s) if is_core(s) => (CLD_DUMPED, s),
        ExitStatus::Signaled(s) => (CLD_KILLED, s),
    };
    SigInfo { signo: sig::SIGCHLD, code, pid, status: st, ..Default::default() }
}

fn is_core(s: i32) -> bool {
    abi::signal::default_action(s) == abi::signal::DefaultAction::CoreDump
}

/// The tree half of exit: reparenting, zombie state, SIGCHLD, waking waiters.
pub fn exit_without_task(k: &Arc<KernelShared>, tg: &Arc<ThreadGroup>, status: ExitStatus) {
    let pid = tg.pid;
    if let Ok(mut tree) = k.tree.lock() {
        let Some(node) = tree.nodes.get(&pid) else {
            drop(tree);
            tg.set_exit(status);
            return;
        };
        let init = node.init;
        let ppid = node.ppid;
        let children: Vec<i32> = node.children.iter().copied().collect();
        if pid == init {
            // The container's init is gone: like a PID namespace, everything else dies.
            for m in tree.container_members(init) {
                if m.pid != pid {
                    m.post_signal(SigInfo { signo: sig::SIGKILL, code: signal::SI_KERNEL, ..Default::default() });
                }
            }
        }
        let new_parent = if pid != init && tree.nodes.get(&init).is_some_and(|n| n.zombie.is_none()) { init } else { 0 };
        for c in children {
            reparent(&mut tree, c, new_parent);
        }
        if let Some(n) = tree.nodes.get_mut(&pid) {
            n.zombie = Some(status);
            n.children.clear();
        }
        notify_parent_of_exit(&mut tree, pid, ppid, status);
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

fn notify_parent_of_exit(tree: &mut Tree, pid: i32, ppid: i32, status: ExitStatus) {
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
    if auto_reap {
        tree.nodes.remove(&pid);
        if let Some(p) = tree.nodes.get_mut(&ppid) {
            p.children.remove(&pid);
        }
    } else {
        parent.post_signal(child_info(pid, status));
    }
    parent.child_events.notify(events::ALL);
}

/// Stops the process for `signo` until SIGCONT or SIGKILL. Returns an exit status only
/// if the process must die.
pub fn stop(task: &mut Task, signo: i32) -> Option<ExitStatus> {
    let tg = task.tg.clone();
    report_to_parent(task, ChildReport::Stopped(signo), CLD_STOPPED, signo);
    if let Ok(mut s) = tg.stopped.lock() {
        *s = true;
    }
    loop {
        let pending = tg.sig.lock().map(|s| s.pending).unwrap_or(signal::bit(sig::SIGKILL));
        if pending & signal::bit(sig::SIGKILL) != 0 {
            break;
        }
        if pending & signal::bit(sig::SIGCONT) != 0 {
            if let Ok(mut s) = tg.sig.lock() {
                // A handler still gets SIGCONT delivered; otherwise it is used up here.
                let handled = matches!(s.disposition(sig::SIGCONT), super::signal::Disposition::Handler(_));
                if !handled && s.blocked & signal::bit(sig::SIGCONT) == 0 {
                    s.pending &= !signal::bit(sig::SIGCONT);
                }
            }
            report_to_parent(task, ChildReport::Continued, CLD_CONTINUED, sig::SIGCONT);
            break;
        }
        tg.waiter.sleep(None);
    }
    if let Ok(mut s) = tg.stopped.lock() {
        *s = false;
    }
    None
}

fn report_to_parent(task: &Task, report: ChildReport, code: i32, status: i32) {
    let pid = task.pid();
    let Ok(mut tree) = task.k.tree.lock() else { return };
    let Some(ppid) = tree.nodes.get(&pid).map(|n| n.ppid) else { return };
    if let Some(n) = tree.nodes.get_mut(&pid) {
        n.report = Some(report);
    }
    if let Some(p) = tree.nodes.get(&ppid) {
        let nocldstop = p.tg.sig.lock().map(|s| s.action(sig::SIGCHLD).flags & signal::SA_NOCLDSTOP != 0).unwrap_or(true);
        if !nocldstop {
            p.tg.post_signal(SigInfo { signo: sig::SIGCHLD, code, pid, status, ..Default::default() });
        }
        p.tg.child_events.notify(events::ALL);
    }
}
