//! Thread groups (processes) and the process tree.
//!
//! The tree (`KernelShared::tree`) records parent/child links, process groups, sessions
//! and zombies. A [`ThreadGroup`] is the shared, thread-safe part of a process: signal
//! state and the queues others use to wake it. Its task's private state (memory, fds,
//! registers) lives in `Task`, owned by the task's host thread.
//!
//! Lock order: `tree` → `ThreadGroup::sig` → waiter/queue locks.

use super::signal::{self, SigInfo, SigState};
use super::waiter::{events, WaitQueue, Waiter};
use super::ExitStatus;
use platform::Interrupter;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex};

pub struct ThreadGroup {
    pub pid: i32,
    /// The task thread sleeps here in every blocking call.
    pub waiter: Arc<Waiter>,
    /// Notified when a child exits, stops or continues.
    pub child_events: WaitQueue,
    pub sig: Mutex<SigState>,
    pub interrupter: Mutex<Option<Arc<dyn Interrupter>>>,
    exit: Mutex<Option<ExitStatus>>,
    exit_cv: Condvar,
    pub comm: Mutex<String>,
    /// Set while the group is stopped by a stop signal.
    pub stopped: Mutex<bool>,
}

impl ThreadGroup {
    pub fn new(pid: i32, sig: SigState) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            pid,
            waiter: Waiter::new(),
            child_events: WaitQueue::new(),
            sig: Mutex::new(sig),
            interrupter: Mutex::new(None),
            exit: Mutex::new(None),
            exit_cv: Condvar::new(),
            comm: Mutex::new(String::new()),
            stopped: Mutex::new(false),
        })
    }

    /// Posts a signal and makes the task notice it. Returns false if it was discarded
    /// because the signal is ignored.
    pub fn post_signal(&self, info: SigInfo) -> bool {
        {
            let Ok(mut s) = self.sig.lock() else { return false };
            let blocked = s.blocked & signal::bit(info.signo) != 0;
            if info.signo != abi::signal::SIGKILL && !blocked && s.is_ignored(info.signo) {
                // SIGCONT still continues a stopped process even when ignored.
                if info.signo == abi::signal::SIGCONT {
                    s.post(info);
                } else {
                    return false;
                }
            } else {
                s.post(info);
            }
        }
        self.kick();
        true
    }

    /// Wakes the task from a blocking wait and from application code.
    pub fn kick(&self) {
        self.waiter.wake(events::INTERRUPT);
        if let Ok(i) = self.interrupter.lock() {
            if let Some(i) = i.as_ref() {
                i.interrupt();
            }
        }
    }

    pub fn set_exit(&self, st: ExitStatus) {
        if let Ok(mut e) = self.exit.lock() {
            *e = Some(st);
            self.exit_cv.notify_all();
        }
    }

    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.exit.lock().ok().and_then(|e| *e)
    }

    /// Blocks the calling (host) thread until the process has exited.
    pub fn wait_exit(&self) -> ExitStatus {
        let Ok(mut e) = self.exit.lock() else { return ExitStatus::Signaled(9) };
        loop {
            if let Some(st) = *e {
                return st;
            }
            match self.exit_cv.wait(e) {
                Ok(g) => e = g,
                Err(_) => return ExitStatus::Signaled(9),
            }
        }
    }
}

/// A state change of a child that wait4/waitid can report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildReport {
    Exited(ExitStatus),
    Stopped(i32),
    Continued,
}

pub struct Node {
    pub tg: Arc<ThreadGroup>,
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    /// The pid of the container's first process; orphans are reparented to it.
    pub init: i32,
    pub children: BTreeSet<i32>,
    pub zombie: Option<ExitStatus>,
    /// An unreported stop or continue.
    pub report: Option<ChildReport>,
    /// Whether the process has called execve (setpgid on such a child is EACCES).
    pub execed: bool,
}

#[derive(Default)]
pub struct Tree {
    pub nodes: BTreeMap<i32, Node>,
    next_pid: i32,
}

impl Tree {
    pub fn alloc_pid(&mut self) -> i32 {
        loop {
            self.next_pid = if self.next_pid >= 4_194_303 { 1 } else { self.next_pid + 1 };
            if !self.nodes.contains_key(&self.next_pid) {
                return self.next_pid;
            }
        }
    }

    pub fn get(&self, pid: i32) -> Option<&Node> {
        self.nodes.get(&pid)
    }

    /// Live (non-zombie) members of process group `pgid`.
    pub fn group_members(&self, pgid: i32) -> Vec<Arc<ThreadGroup>> {
        self.nodes.values().filter(|n| n.pgid == pgid && n.zombie.is_none()).map(|n| n.tg.clone()).collect()
    }

    /// Live processes of the container whose first process is `init`.
    pub fn container_members(&self, init: i32) -> Vec<Arc<ThreadGroup>> {
        self.nodes.values().filter(|n| n.init == init && n.zombie.is_none()).map(|n| n.tg.clone()).collect()
    }
}
