//! Thread groups (processes), their threads' shared state, and the process tree.
//!
//! The tree (`KernelShared::tree`) records parent/child links, process groups, sessions,
//! zombies and every live thread id. A [`ThreadGroup`] is the shared part of a process
//! (signal actions, process-directed signals, its list of threads); a [`TaskShared`] is
//! the part of one thread that other threads touch (its mask, thread-directed signals,
//! how to wake it). Everything else about a task lives in `Task`, owned by its host
//! thread.
//!
//! Lock order: `tree` → `ThreadGroup::sig` → `ThreadGroup::tasks` → `TaskShared::sig`
//! → waiter/queue locks.

use super::signal::{self, ProcessSignals, SigInfo, ThreadSignals};
use super::waiter::{events, WaitQueue, Waiter};
use super::ExitStatus;
use platform::Interrupter;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Condvar, Mutex};

/// CPU time in nanoseconds: user (application code) and system (the sentry serving
/// it). User time is the wall time spent switched into the application.
#[derive(Default)]
pub struct CpuTimes {
    user: std::sync::atomic::AtomicU64,
    sys: std::sync::atomic::AtomicU64,
}

impl CpuTimes {
    pub fn add(&self, user: u64, sys: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.user.fetch_add(user, Relaxed);
        self.sys.fetch_add(sys, Relaxed);
    }

    pub fn get(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.user.load(Relaxed), self.sys.load(Relaxed))
    }
}

/// The part of a task that other threads use to signal and wake it.
pub struct TaskShared {
    pub tid: i32,
    pub times: CpuTimes,
    /// The task sleeps here in every blocking call.
    pub waiter: Arc<Waiter>,
    pub sig: Mutex<ThreadSignals>,
    pub interrupter: Mutex<Option<Arc<dyn Interrupter>>>,
}

impl TaskShared {
    pub fn new(tid: i32, sig: ThreadSignals) -> Arc<TaskShared> {
        Arc::new(TaskShared {
            tid,
            times: CpuTimes::default(),
            waiter: Waiter::new(),
            sig: Mutex::new(sig),
            interrupter: Mutex::new(None),
        })
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

    pub fn blocks(&self, signo: i32) -> bool {
        self.sig
            .lock()
            .map(|s| s.blocked & signal::bit(signo) != 0)
            .unwrap_or(false)
    }
}

/// Why every thread of a group is being told to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupExit {
    /// exit_group or a fatal signal: the process ends with this status.
    Exit(ExitStatus),
    /// Thread `tid` is in execve; every other thread ends quietly.
    Exec(i32),
}

pub struct ThreadGroup {
    pub pid: i32,
    /// Notified when a child exits, stops or continues.
    pub child_events: WaitQueue,
    /// Notified when a thread of this group exits.
    pub thread_exits: WaitQueue,
    pub sig: Mutex<ProcessSignals>,
    pub tasks: Mutex<Vec<Arc<TaskShared>>>,
    pub group_exit: Mutex<Option<GroupExit>>,
    exit: Mutex<Option<ExitStatus>>,
    exit_cv: Condvar,
    pub comm: Mutex<String>,
    /// Set while the group is stopped by a stop signal.
    pub stopped: Mutex<bool>,
    /// What /proc shows of this process; published by its task threads.
    pub info: Mutex<ProcInfo>,
    pub prctl: Mutex<PrctlState>,
    /// The kernel timers this process owns: ITIMER_REAL and its POSIX timers by id.
    pub timers: Mutex<ProcessTimers>,
    /// CPU time of threads that have exited.
    pub dead_times: CpuTimes,
    /// CPU time of reaped children (and what they had reaped), for RUSAGE_CHILDREN.
    pub child_times: CpuTimes,
}

/// Ids (in `KernelShared::timers`) of a process's timers.
#[derive(Default)]
pub struct ProcessTimers {
    pub real: Option<u64>,
    pub posix: std::collections::BTreeMap<i32, u64>,
}

/// prctl settings of a process.
#[derive(Clone, Copy, Debug)]
pub struct PrctlState {
    pub dumpable: bool,
    /// Once set, stays set, and is inherited across fork and execve.
    pub no_new_privs: bool,
    /// The signal this process gets when its parent exits (0: none).
    pub pdeathsig: i32,
}

impl Default for PrctlState {
    fn default() -> Self {
        PrctlState {
            dumpable: true,
            no_new_privs: false,
            pdeathsig: 0,
        }
    }
}

/// The parts of a process that /proc shows and only its task threads know.
#[derive(Default, Clone)]
pub struct ProcInfo {
    pub view: Option<Arc<crate::fs::proc::ProcessView>>,
    /// argv, NUL-separated, as /proc/PID/cmdline shows it.
    pub cmdline: Vec<u8>,
    pub environ: Vec<u8>,
    pub mm: std::sync::Weak<crate::mm::MemoryManager>,
    pub uid: u32,
    /// Saved set-user-id, which kill(2) permission also accepts.
    pub suid: u32,
    pub gid: u32,
    /// When the process started, for /proc/PID/stat's starttime.
    pub started: Option<std::time::Instant>,
}

impl ThreadGroup {
    pub fn new(pid: i32, sig: ProcessSignals) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            pid,
            child_events: WaitQueue::new(),
            thread_exits: WaitQueue::new(),
            sig: Mutex::new(sig),
            tasks: Mutex::new(Vec::new()),
            group_exit: Mutex::new(None),
            exit: Mutex::new(None),
            exit_cv: Condvar::new(),
            comm: Mutex::new(String::new()),
            stopped: Mutex::new(false),
            info: Mutex::new(ProcInfo {
                started: Some(std::time::Instant::now()),
                ..Default::default()
            }),
            timers: Mutex::new(ProcessTimers::default()),
            prctl: Mutex::new(PrctlState::default()),
            dead_times: CpuTimes::default(),
            child_times: CpuTimes::default(),
        })
    }

    /// Records what a new program image shows: its name (the file's base name, 15
    /// bytes at most, as Linux's comm) and its arguments and environment for /proc.
    pub fn set_program(&self, path: &str, argv: &[Vec<u8>], envp: &[Vec<u8>]) {
        if let Ok(mut c) = self.comm.lock() {
            *c = path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .chars()
                .take(15)
                .collect();
        }
        if let Ok(mut info) = self.info.lock() {
            info.cmdline = nul_joined(argv);
            info.environ = nul_joined(envp);
        }
    }

    /// CPU time of the whole process: live threads and exited ones.
    pub fn own_times(&self) -> (u64, u64) {
        let (mut u, mut s) = self.dead_times.get();
        for t in self.threads() {
            let (tu, ts) = t.times.get();
            u += tu;
            s += ts;
        }
        (u, s)
    }

    pub fn threads(&self) -> Vec<Arc<TaskShared>> {
        self.tasks.lock().map(|t| t.clone()).unwrap_or_default()
    }

    pub fn kick_all(&self) {
        for t in self.threads() {
            t.kick();
        }
    }

    /// Posts a process-directed signal and wakes a thread that can take it. Returns
    /// false if it was discarded because the signal is ignored.
    pub fn post_signal(&self, info: SigInfo) -> bool {
        let signo = info.signo;
        {
            let Ok(mut s) = self.sig.lock() else {
                return false;
            };
            let all_block = self.threads().iter().all(|t| t.blocks(signo));
            let keep = signo == abi::signal::SIGKILL
                || signo == abi::signal::SIGCONT
                || all_block
                || !s.is_ignored(signo);
            if !keep {
                return false;
            }
            s.pending.post(info);
        }
        if signo == abi::signal::SIGKILL || signo == abi::signal::SIGCONT {
            self.kick_all();
        } else if let Some(t) = self.threads().into_iter().find(|t| !t.blocks(signo)) {
            t.kick();
        }
        true
    }

    /// Posts a signal to one thread (tkill, faults, SIGPIPE).
    pub fn post_thread_signal(&self, task: &TaskShared, info: SigInfo) -> bool {
        let ignored = self
            .sig
            .lock()
            .map(|s| s.is_ignored(info.signo))
            .unwrap_or(false);
        if ignored && !task.blocks(info.signo) && info.signo != abi::signal::SIGKILL {
            return false;
        }
        if let Ok(mut s) = task.sig.lock() {
            s.pending.post(info);
        }
        task.kick();
        true
    }

    /// Starts a group exit (first one wins) and tells every thread.
    pub fn begin_group_exit(&self, why: GroupExit) -> GroupExit {
        let settled = match self.group_exit.lock() {
            Ok(mut g) => *g.get_or_insert(why),
            Err(_) => why,
        };
        self.kick_all();
        settled
    }

    pub fn group_exit(&self) -> Option<GroupExit> {
        self.group_exit.lock().ok().and_then(|g| *g)
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
        let Ok(mut e) = self.exit.lock() else {
            return ExitStatus::Signaled(9);
        };
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

/// Strings as /proc/PID/cmdline shows them: each followed by a NUL.
fn nul_joined(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for i in items {
        out.extend_from_slice(i);
        out.push(0);
    }
    out
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
    /// The signal its parent gets when it exits (SIGCHLD, another, or 0 for none).
    /// Children with anything but SIGCHLD are "clone" children for wait's __WCLONE.
    pub exit_signal: i32,
}

impl Node {
    pub fn new(tg: Arc<ThreadGroup>, ppid: i32, pgid: i32, sid: i32, init: i32) -> Node {
        let exit_signal = abi::signal::SIGCHLD;
        Node {
            tg,
            ppid,
            pgid,
            sid,
            init,
            children: BTreeSet::new(),
            zombie: None,
            report: None,
            execed: false,
            exit_signal,
        }
    }
}

#[derive(Default)]
pub struct Tree {
    pub nodes: BTreeMap<i32, Node>,
    /// Every live thread, by tid (leaders included).
    pub threads: BTreeMap<i32, (Arc<ThreadGroup>, Arc<TaskShared>)>,
    next_pid: i32,
}

impl Tree {
    /// A fresh id for a process or thread: unused by either.
    pub fn alloc_pid(&mut self) -> i32 {
        loop {
            self.next_pid = if self.next_pid >= 4_194_303 {
                1
            } else {
                self.next_pid + 1
            };
            if !self.nodes.contains_key(&self.next_pid)
                && !self.threads.contains_key(&self.next_pid)
            {
                return self.next_pid;
            }
        }
    }

    pub fn get(&self, pid: i32) -> Option<&Node> {
        self.nodes.get(&pid)
    }

    /// Live (non-zombie) members of process group `pgid`.
    pub fn group_members(&self, pgid: i32) -> Vec<Arc<ThreadGroup>> {
        self.nodes
            .values()
            .filter(|n| n.pgid == pgid && n.zombie.is_none())
            .map(|n| n.tg.clone())
            .collect()
    }

    /// Live processes of the container whose first process is `init`.
    pub fn container_members(&self, init: i32) -> Vec<Arc<ThreadGroup>> {
        self.nodes
            .values()
            .filter(|n| n.init == init && n.zombie.is_none())
            .map(|n| n.tg.clone())
            .collect()
    }
}
