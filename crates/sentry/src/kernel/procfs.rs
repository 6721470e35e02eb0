//! The kernel's side of /proc: the process list and the per-process text files
//! (`stat`, `status`, `cmdline`, `maps`...) that `fs::proc` serves.

use super::process::{Node, ProcInfo, ThreadGroup};
use super::KernelShared;
use crate::fs::proc::{ProcSource, ProcessView};
use crate::mm::VmaName;
use std::fmt::Write;
use std::sync::Arc;

/// Clock ticks per second, as AT_CLKTCK tells the application.
const HZ: u64 = 100;

impl KernelShared {
    fn node_info(&self, pid: i32) -> Option<(Arc<ThreadGroup>, NodeFacts)> {
        let tree = self.tree.lock().ok()?;
        let n = tree.get(pid)?;
        Some((n.tg.clone(), NodeFacts::of(n)))
    }
}

/// What the tree knows of a process, copied out so no lock is held while formatting.
struct NodeFacts {
    ppid: i32,
    pgid: i32,
    sid: i32,
    zombie: bool,
}

impl NodeFacts {
    fn of(n: &Node) -> NodeFacts {
        NodeFacts {
            ppid: n.ppid,
            pgid: n.pgid,
            sid: n.sid,
            zombie: n.zombie.is_some(),
        }
    }
}

fn state(tg: &ThreadGroup, f: &NodeFacts) -> (char, &'static str) {
    if f.zombie {
        ('Z', "Z (zombie)")
    } else if tg.stopped.lock().map(|s| *s).unwrap_or(false) {
        ('T', "T (stopped)")
    } else {
        ('S', "S (sleeping)")
    }
}

fn memory(info: &ProcInfo) -> (u64, u64) {
    let Some(mm) = info.mm.upgrade() else {
        return (0, 0);
    };
    let vmas = mm.vmas();
    let vsize: u64 = vmas.iter().map(|v| v.end - v.start).sum();
    // Resident size is not tracked per page; writable memory stands in for it.
    let rss: u64 = vmas
        .iter()
        .filter(|v| v.prot.write)
        .map(|v| v.end - v.start)
        .sum();
    (vsize, rss)
}

impl KernelShared {
    fn stat_text(&self, pid: i32) -> Option<Vec<u8>> {
        let (tg, f) = self.node_info(pid)?;
        let info = tg.info.lock().ok()?.clone();
        let comm = tg.comm.lock().map(|c| c.clone()).unwrap_or_default();
        let (st, _) = state(&tg, &f);
        let threads = tg.threads().len().max(1);
        let start = info.started.map_or(0, |s| {
            s.saturating_duration_since(self.boot).as_millis() as u64 * HZ / 1000
        });
        let (vsize, rss) = memory(&info);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{pid} ({comm}) {st} {} {} {} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 {threads} 0 {start} {vsize} {} \
             18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
            f.ppid,
            f.pgid,
            f.sid,
            rss / 4096
        );
        Some(s.into_bytes())
    }

    fn status_text(&self, pid: i32) -> Option<Vec<u8>> {
        let (tg, f) = self.node_info(pid)?;
        let info = tg.info.lock().ok()?.clone();
        let comm = tg.comm.lock().map(|c| c.clone()).unwrap_or_default();
        let (_, state) = state(&tg, &f);
        let (vsize, rss) = memory(&info);
        let threads = tg.threads().len().max(1);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Name:\t{comm}\nState:\t{state}\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t{}",
            f.ppid
        );
        let (u, g) = (info.uid, info.gid);
        let _ = writeln!(s, "Uid:\t{u}\t{u}\t{u}\t{u}\nGid:\t{g}\t{g}\t{g}\t{g}");
        let _ = writeln!(
            s,
            "VmSize:\t{} kB\nVmRSS:\t{} kB\nThreads:\t{threads}",
            vsize / 1024,
            rss / 1024
        );
        let blocked = tg
            .threads()
            .first()
            .and_then(|t| t.sig.lock().ok().map(|x| x.blocked))
            .unwrap_or(0);
        let _ = writeln!(s, "SigBlk:\t{blocked:016x}");
        Some(s.into_bytes())
    }

    fn maps_text(&self, pid: i32) -> Option<Vec<u8>> {
        let (tg, _) = self.node_info(pid)?;
        let mm = tg.info.lock().ok()?.mm.upgrade()?;
        let mut s = String::new();
        for v in mm.vmas() {
            let p = v.prot;
            let perms = format!(
                "{}{}{}{}",
                if p.read { 'r' } else { '-' },
                if p.write { 'w' } else { '-' },
                if p.exec { 'x' } else { '-' },
                if v.shared { 's' } else { 'p' }
            );
            let name = match &v.name {
                VmaName::Anon => String::new(),
                VmaName::Heap => "[heap]".into(),
                VmaName::Stack => "[stack]".into(),
                VmaName::File(f) => f.clone(),
            };
            let _ = writeln!(
                s,
                "{:08x}-{:08x} {perms} 00000000 00:00 0 {name}",
                v.start, v.end
            );
        }
        Some(s.into_bytes())
    }

    fn statm_text(&self, pid: i32) -> Option<Vec<u8>> {
        let (tg, _) = self.node_info(pid)?;
        let info = tg.info.lock().ok()?.clone();
        let (vsize, rss) = memory(&info);
        Some(format!("{} {} 0 0 0 0 0\n", vsize / 4096, rss / 4096).into_bytes())
    }
}

impl ProcSource for KernelShared {
    fn pids(&self) -> Vec<i32> {
        self.tree
            .lock()
            .map(|t| t.nodes.keys().copied().collect())
            .unwrap_or_default()
    }

    fn view(&self, pid: i32) -> Option<Arc<ProcessView>> {
        let (tg, _) = self.node_info(pid)?;
        let view = tg.info.lock().ok()?.view.clone();
        view
    }

    fn text(&self, pid: i32, name: &str) -> Option<Vec<u8>> {
        match name {
            "stat" => self.stat_text(pid),
            "status" => self.status_text(pid),
            "maps" => self.maps_text(pid),
            "statm" => self.statm_text(pid),
            "cmdline" => Some(self.node_info(pid)?.0.info.lock().ok()?.cmdline.clone()),
            "environ" => Some(self.node_info(pid)?.0.info.lock().ok()?.environ.clone()),
            "comm" => Some(format!("{}\n", self.node_info(pid)?.0.comm.lock().ok()?).into_bytes()),
            _ => None,
        }
    }

    fn global_text(&self, name: &str) -> Option<Vec<u8>> {
        let total = if self.config.total_memory > 0 {
            self.config.total_memory
        } else {
            1 << 30
        };
        let uptime = self.boot.elapsed().as_secs_f64();
        let cpus = self.config.cpus.max(1);
        let text = match name {
            "uptime" => format!("{uptime:.2} {:.2}\n", uptime * cpus as f64),
            "loadavg" => {
                let n = self.tree.lock().map(|t| t.threads.len()).unwrap_or(1);
                format!("0.00 0.00 0.00 1/{n} {}\n", self.tree.lock().map(|t| t.nodes.keys().max().copied().unwrap_or(1)).unwrap_or(1))
            }
            "meminfo" => format!(
                "MemTotal:       {} kB\nMemFree:        {} kB\nMemAvailable:   {} kB\nBuffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
                total / 1024,
                total / 2048,
                total / 2048
            ),
            "version" => format!("Linux version {} (moat) {}\n", crate::syscalls::sys::RELEASE, crate::syscalls::sys::VERSION),
            "stat" => {
                let mut s = String::from("cpu  0 0 0 0 0 0 0 0 0 0\n");
                for c in 0..cpus {
                    let _ = writeln!(s, "cpu{c} 0 0 0 0 0 0 0 0 0 0");
                }
                let btime = rustix::time::clock_gettime(rustix::time::ClockId::Realtime).tv_sec as u64
                    - self.boot.elapsed().as_secs();
                let _ = write!(s, "ctxt 0\nbtime {btime}\nprocesses {}\nprocs_running 1\nprocs_blocked 0\n", self.tree.lock().map(|t| t.nodes.len()).unwrap_or(0));
                s
            }
            "cpuinfo" => {
                let mut s = String::new();
                for c in 0..cpus {
                    let _ = write!(s, "processor\t: {c}\nvendor_id\t: Moat\nmodel name\t: Moat virtual CPU\nflags\t\t: fpu sse sse2\n\n");
                }
                s
            }
            _ => return None,
        };
        Some(text.into_bytes())
    }
}

impl super::Task {
    /// Publishes what /proc shows of this process (after exec, chdir, chroot, start).
    pub fn publish_proc_view(&self) {
        // /proc/self on this host thread means this task.
        crate::fs::proc::set_caller(
            self.pid(),
            &self.fds,
            &self.fs.cwd,
            &self.fs.root,
            &self.exe,
        );
        let view = ProcessView {
            pid: self.pid(),
            fds: Arc::downgrade(&self.fds),
            cwd: self.fs.cwd.clone(),
            root: self.fs.root.clone(),
            exe: self.exe.clone(),
        };
        if let Ok(mut info) = self.tg.info.lock() {
            info.view = Some(Arc::new(view));
            info.mm = Arc::downgrade(self.mm_arc());
            info.uid = self.cred.uid;
            info.suid = self.cred.suid;
            info.gid = self.cred.gid;
        }
    }
}
