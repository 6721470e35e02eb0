//! CPU count and memory size the sandbox advertises to the application, derived from
//! the cgroup the sandbox runs in (cgroup v1 or v2).
//!
//! * CPUs: the host CPUs this process may use, lowered to `ceil(quota / period)` when the
//!   cgroup has a CPU quota, but never below 2 (fewer makes some runtimes switch to
//!   single-threaded code paths that hide bugs).
//! * Memory: the smaller of host memory and the cgroup's memory limit.
//!
//! Limits are hierarchical, so each cgroup from ours up to its hierarchy's root is
//! checked and the tightest limit wins. Reading goes through [`CgroupFs`] so the logic is
//! tested against fake trees.

use std::path::{Path, PathBuf};

/// Fewest CPUs the sandbox advertises when a quota applies.
pub const MIN_CPUS: usize = 2;

/// What the sandbox is told about its resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    pub cpus: usize,
    pub memory: u64,
    pub host_memory: u64,
}

/// The host files this module reads.
pub trait CgroupFs {
    fn read(&self, path: &Path) -> Option<String>;
}

/// The real filesystem.
pub struct HostFs;

impl CgroupFs for HostFs {
    fn read(&self, path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }
}

/// Resources for a sandbox started by this process.
pub fn current() -> Resources {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let host_memory = rustix::system::sysinfo()
        .totalram
        .saturating_mul(u64::from(rustix::system::sysinfo().mem_unit));
    compute(&HostFs, cpus, host_memory)
}

/// Combines host figures with the limits found through `fs`.
pub fn compute(fs: &dyn CgroupFs, host_cpus: usize, host_memory: u64) -> Resources {
    let dirs = |controller: &str| -> Vec<PathBuf> {
        let (Some(cgroup), Some(mountinfo)) = (
            fs.read(Path::new("/proc/self/cgroup")),
            fs.read(Path::new("/proc/self/mountinfo")),
        ) else {
            return Vec::new();
        };
        controller_dirs(&cgroup, &mountinfo, controller)
    };
    let mut cpus = host_cpus;
    let cpu_dirs = dirs("cpu");
    let quota = cpu_dirs
        .iter()
        .filter_map(|d| cpu_quota(fs, d))
        .fold(None, |acc: Option<f64>, q| {
            Some(acc.map_or(q, |a| a.min(q)))
        });
    if let Some(q) = quota {
        let n = q.ceil();
        if n >= 1.0 {
            let n = (n as usize).max(MIN_CPUS);
            cpus = cpus.min(n);
        }
    }
    let mut memory = host_memory;
    for d in dirs("memory") {
        if let Some(limit) = memory_limit(fs, &d) {
            memory = memory.min(limit);
        }
    }
    Resources {
        cpus,
        memory,
        host_memory,
    }
}

/// The quota in CPUs (e.g. 1.5) set in one cgroup directory, if any.
fn cpu_quota(fs: &dyn CgroupFs, dir: &Path) -> Option<f64> {
    if let Some(max) = fs.read(&dir.join("cpu.max")) {
        let mut parts = max.split_whitespace();
        let quota = parts.next()?.parse::<f64>().ok()?;
        let period = parts
            .next()
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or(100_000.0);
        return (quota > 0.0 && period > 0.0).then(|| quota / period);
    }
    let quota: f64 = fs
        .read(&dir.join("cpu.cfs_quota_us"))?
        .trim()
        .parse()
        .ok()?;
    let period: f64 = fs
        .read(&dir.join("cpu.cfs_period_us"))?
        .trim()
        .parse()
        .ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// The memory limit in bytes set in one cgroup directory, if any.
fn memory_limit(fs: &dyn CgroupFs, dir: &Path) -> Option<u64> {
    let text = fs
        .read(&dir.join("memory.max"))
        .or_else(|| fs.read(&dir.join("memory.limit_in_bytes")))?;
    // "max" (v2) and the page-rounded i64::MAX (v1) both mean unlimited.
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&v| v < (1u64 << 62))
}

/// Directories of our cgroup and its ancestors for `controller`, innermost first.
fn controller_dirs(cgroup: &str, mountinfo: &str, controller: &str) -> Vec<PathBuf> {
    // A v1 hierarchy that has the controller wins over the unified one.
    let v1 = cgroup.lines().find_map(|line| {
        let mut f = line.splitn(3, ':');
        let (_, ctrls, path) = (f.next()?, f.next()?, f.next()?);
        ctrls.split(',').any(|c| c == controller).then_some(path)
    });
    let (path, mount) = match v1 {
        Some(path) => (
            path,
            find_mount(mountinfo, |fstype, opts| {
                fstype == "cgroup" && opts.split(',').any(|o| o == controller)
            }),
        ),
        None => {
            let Some(path) = cgroup.lines().find_map(|l| l.strip_prefix("0::")) else {
                return Vec::new();
            };
            (path, find_mount(mountinfo, |fstype, _| fstype == "cgroup2"))
        }
    };
    let Some((mount_root, mount_point)) = mount else {
        return Vec::new();
    };
    // Our path is relative to the hierarchy's root; the mount shows `mount_root` of it.
    let rel = Path::new(path)
        .strip_prefix(&mount_root)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut dirs = Vec::new();
    let mut cur = Some(rel.as_path());
    while let Some(p) = cur {
        dirs.push(mount_point.join(p));
        cur = p.parent();
    }
    dirs
}

/// (root inside the hierarchy, mount point) of the first cgroup mount matching `want`.
fn find_mount(mountinfo: &str, want: impl Fn(&str, &str) -> bool) -> Option<(PathBuf, PathBuf)> {
    mountinfo.lines().find_map(|line| {
        let (pre, post) = line.split_once(" - ")?;
        let pre: Vec<&str> = pre.split_whitespace().collect();
        let mut post = post.split_whitespace();
        let fstype = post.next()?;
        let _source = post.next()?;
        let opts = post.next().unwrap_or("");
        let (root, point) = (pre.get(3)?, pre.get(4)?);
        want(fstype, opts).then(|| (PathBuf::from(root), PathBuf::from(point)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeFs(HashMap<PathBuf, String>);

    impl FakeFs {
        fn new(files: &[(&str, &str)]) -> Self {
            FakeFs(
                files
                    .iter()
                    .map(|(p, c)| (PathBuf::from(p), c.to_string()))
                    .collect(),
            )
        }
    }

    impl CgroupFs for FakeFs {
        fn read(&self, path: &Path) -> Option<String> {
            self.0.get(path).cloned()
        }
    }

    const V2_MOUNTS: &str =
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
    const V1_MOUNTS: &str =
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
        35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
        41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";

    #[test]
    fn v2_quota_and_memory_limit() {
        let fs = FakeFs::new(&[
            ("/proc/self/cgroup", "0::/pod/box\n"),
            ("/proc/self/mountinfo", V2_MOUNTS),
            ("/sys/fs/cgroup/pod/box/cpu.max", "max 100000\n"),
            ("/sys/fs/cgroup/pod/cpu.max", "250000 100000\n"),
            ("/sys/fs/cgroup/pod/box/memory.max", "max\n"),
            ("/sys/fs/cgroup/pod/memory.max", "1073741824\n"),
        ]);
        let r = compute(&fs, 16, 8 << 30);
        assert_eq!(r.cpus, 3, "2.5 CPUs round up to 3");
        assert_eq!(r.memory, 1 << 30);
        assert_eq!(r.host_memory, 8 << 30);
    }

    #[test]
    fn small_quota_never_goes_below_two_nor_above_host() {
        let fs = FakeFs::new(&[
            ("/proc/self/cgroup", "0::/a\n"),
            ("/proc/self/mountinfo", V2_MOUNTS),
            ("/sys/fs/cgroup/a/cpu.max", "10000 100000\n"),
        ]);
        assert_eq!(compute(&fs, 16, 1 << 30).cpus, 2);
        assert_eq!(
            compute(&fs, 1, 1 << 30).cpus,
            1,
            "never more than the host has"
        );
    }

    #[test]
    fn v1_quota_and_memory_limit() {
        let fs = FakeFs::new(&[
            (
                "/proc/self/cgroup",
                "4:memory:/docker/x\n2:cpu,cpuacct:/docker/x\n0::/\n",
            ),
            ("/proc/self/mountinfo", V1_MOUNTS),
            (
                "/sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_quota_us",
                "400000\n",
            ),
            (
                "/sys/fs/cgroup/cpu,cpuacct/docker/x/cpu.cfs_period_us",
                "100000\n",
            ),
            (
                "/sys/fs/cgroup/memory/docker/x/memory.limit_in_bytes",
                "536870912\n",
            ),
            (
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        let r = compute(&fs, 8, 4 << 30);
        assert_eq!(r.cpus, 4);
        assert_eq!(r.memory, 512 << 20);
    }

    #[test]
    fn no_limits_means_host_figures() {
        let fs = FakeFs::new(&[
            ("/proc/self/cgroup", "2:cpu,cpuacct:/\n4:memory:/\n"),
            ("/proc/self/mountinfo", V1_MOUNTS),
            ("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n"),
            ("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"),
            (
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "9223372036854771712\n",
            ),
        ]);
        let r = compute(&fs, 6, 3 << 30);
        assert_eq!((r.cpus, r.memory), (6, 3 << 30));
    }

    #[test]
    fn mount_root_is_stripped_from_the_cgroup_path() {
        // A container whose cgroupfs shows /docker/x at the mount point.
        let mounts = "30 23 0:26 /docker/x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        let fs = FakeFs::new(&[
            ("/proc/self/cgroup", "0::/docker/x\n"),
            ("/proc/self/mountinfo", mounts),
            ("/sys/fs/cgroup/memory.max", "2147483648\n"),
        ]);
        assert_eq!(compute(&fs, 4, 8 << 30).memory, 2 << 30);
    }
}
