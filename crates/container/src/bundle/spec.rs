//! The subset of the OCI runtime spec (`config.json`) that Moat reads.
//!
//! These are plain serde structs rather than the `oci-spec` crate's builder types: every
//! field is public and defaulted (`#[serde(default)]`), unknown fields are ignored, and
//! parse errors from `serde_json` carry the line and column. Fields Moat does not use
//! yet are simply absent; add them here when a layer needs them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// OCI runtime spec version Moat writes.
pub const OCI_VERSION: &str = "1.0.2";

/// The root of `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Spec {
    /// Spec version the bundle was written for.
    pub oci_version: String,
    /// The container's init process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    /// The root filesystem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<Root>,
    /// Hostname inside the container's UTS namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Additional mounts, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<Mount>,
    /// Linux-specific configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux: Option<Linux>,
    /// Free-form metadata.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// `process`: what runs as the container's init.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Process {
    /// Attach a pseudo-terminal.
    pub terminal: bool,
    /// Initial terminal size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub console_size: Option<ConsoleSize>,
    /// Credentials.
    pub user: User,
    /// argv; `args[0]` is looked up in `PATH` from `env`.
    pub args: Vec<String>,
    /// `NAME=value` strings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Working directory, absolute inside the container.
    pub cwd: String,
    /// Capability sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// Resource limits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rlimits: Vec<Rlimit>,
    /// Set `PR_SET_NO_NEW_PRIVS`.
    pub no_new_privileges: bool,
}

/// `process.consoleSize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleSize {
    /// Rows.
    pub height: u32,
    /// Columns.
    pub width: u32,
}

/// `process.user`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    /// User id inside the container.
    pub uid: u32,
    /// Group id inside the container.
    pub gid: u32,
    /// File mode creation mask.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub umask: Option<u32>,
    /// Supplementary groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_gids: Vec<u32>,
}

/// `process.capabilities`: names like `CAP_KILL`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// Bounding set.
    pub bounding: Vec<String>,
    /// Effective set.
    pub effective: Vec<String>,
    /// Inheritable set.
    pub inheritable: Vec<String>,
    /// Permitted set.
    pub permitted: Vec<String>,
    /// Ambient set.
    pub ambient: Vec<String>,
}

/// One entry of `process.rlimits`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Rlimit {
    /// Resource name, e.g. `RLIMIT_NOFILE`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Hard limit.
    pub hard: u64,
    /// Soft limit.
    pub soft: u64,
}

/// `root`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Root {
    /// Rootfs directory, absolute or relative to the bundle.
    pub path: PathBuf,
    /// Mount the rootfs read-only.
    pub readonly: bool,
}

/// One entry of `mounts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mount {
    /// Absolute path inside the container.
    pub destination: PathBuf,
    /// Filesystem type (`proc`, `tmpfs`, `bind`, ...).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Source device or host path (for binds, relative to the bundle if relative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<PathBuf>,
    /// Mount options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// `linux`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Linux {
    /// Namespaces to create or join.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<Namespace>,
    /// Cgroup resource limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Cgroup path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroups_path: Option<String>,
    /// User namespace uid mappings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uid_mappings: Vec<IdMapping>,
    /// User namespace gid mappings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gid_mappings: Vec<IdMapping>,
    /// Paths made inaccessible inside the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub masked_paths: Vec<String>,
    /// Paths made read-only inside the container.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readonly_paths: Vec<String>,
}

/// Namespace kinds of `linux.namespaces[].type`. An unknown kind is a parse error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NamespaceType {
    /// PID namespace.
    Pid,
    /// Network namespace.
    Network,
    /// Mount namespace.
    Mount,
    /// IPC namespace.
    Ipc,
    /// UTS namespace.
    Uts,
    /// User namespace.
    User,
    /// Cgroup namespace.
    Cgroup,
    /// Time namespace.
    Time,
}

/// One entry of `linux.namespaces`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// Which namespace.
    #[serde(rename = "type")]
    pub kind: NamespaceType,
    /// Join the namespace at this path instead of creating one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
}

/// One entry of `linux.uidMappings` / `gidMappings`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IdMapping {
    /// First id inside the namespace.
    #[serde(rename = "containerID")]
    pub container_id: u32,
    /// First id outside.
    #[serde(rename = "hostID")]
    pub host_id: u32,
    /// Number of ids.
    pub size: u32,
}

/// `linux.resources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    /// Memory limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryResources>,
    /// CPU limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuResources>,
}

/// `linux.resources.memory`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryResources {
    /// Limit in bytes (-1: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `linux.resources.cpu`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuResources {
    /// CFS quota in microseconds per period (-1: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quota: Option<i64>,
    /// CFS period in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// Relative weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
    /// cpuset list, e.g. `0-3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn mount(destination: &str, kind: &str, source: &str, options: &[&str]) -> Mount {
    Mount {
        destination: PathBuf::from(destination),
        kind: Some(kind.to_owned()),
        source: Some(PathBuf::from(source)),
        options: strings(options),
    }
}

impl Spec {
    /// The template `moat spec` writes: an interactive `sh` on a read-only `rootfs`
    /// directory beside `config.json`, the usual kernel filesystems mounted, and new
    /// pid, network, ipc, uts and mount namespaces.
    pub fn default_for_moat() -> Spec {
        let caps = strings(&["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        let ns = |kind| Namespace { kind, path: None };
        Spec {
            oci_version: OCI_VERSION.to_owned(),
            process: Some(Process {
                terminal: true,
                console_size: None,
                user: User::default(),
                args: strings(&["sh"]),
                env: strings(&[
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm",
                ]),
                cwd: "/".to_owned(),
                capabilities: Some(Capabilities {
                    bounding: caps.clone(),
                    effective: caps.clone(),
                    inheritable: Vec::new(),
                    permitted: caps,
                    ambient: Vec::new(),
                }),
                rlimits: vec![Rlimit {
                    kind: "RLIMIT_NOFILE".to_owned(),
                    hard: 1024,
                    soft: 1024,
                }],
                no_new_privileges: true,
            }),
            root: Some(Root {
                path: PathBuf::from("rootfs"),
                readonly: true,
            }),
            hostname: Some("moat".to_owned()),
            mounts: vec![
                mount("/proc", "proc", "proc", &[]),
                mount(
                    "/dev",
                    "tmpfs",
                    "tmpfs",
                    &["nosuid", "strictatime", "mode=755", "size=65536k"],
                ),
                mount(
                    "/dev/pts",
                    "devpts",
                    "devpts",
                    &[
                        "nosuid",
                        "noexec",
                        "newinstance",
                        "ptmxmode=0666",
                        "mode=0620",
                    ],
                ),
                mount(
                    "/dev/shm",
                    "tmpfs",
                    "shm",
                    &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
                ),
                mount(
                    "/dev/mqueue",
                    "mqueue",
                    "mqueue",
                    &["nosuid", "noexec", "nodev"],
                ),
                mount(
                    "/sys",
                    "sysfs",
                    "sysfs",
                    &["nosuid", "noexec", "nodev", "ro"],
                ),
            ],
            linux: Some(Linux {
                namespaces: vec![
                    ns(NamespaceType::Pid),
                    ns(NamespaceType::Network),
                    ns(NamespaceType::Ipc),
                    ns(NamespaceType::Uts),
                    ns(NamespaceType::Mount),
                ],
                masked_paths: strings(&[
                    "/proc/acpi",
                    "/proc/asound",
                    "/proc/kcore",
                    "/proc/keys",
                    "/proc/latency_stats",
                    "/proc/timer_list",
                    "/proc/timer_stats",
                    "/proc/sched_debug",
                    "/proc/scsi",
                    "/sys/firmware",
                ]),
                readonly_paths: strings(&[
                    "/proc/bus",
                    "/proc/fs",
                    "/proc/irq",
                    "/proc/sys",
                    "/proc/sysrq-trigger",
                ]),
                ..Linux::default()
            }),
            annotations: BTreeMap::new(),
        }
    }

    /// Pretty JSON, as written to `config.json` (ends with a newline).
    pub fn to_pretty_json(&self) -> String {
        // Serializing these structs cannot fail: all map keys are strings.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parses a spec from JSON text; the error carries line and column.
    pub fn from_json(text: &str) -> Result<Spec, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// True when the spec asks for a new (or joined) namespace of `kind`.
    pub fn has_namespace(&self, kind: NamespaceType) -> bool {
        self.namespace(kind).is_some()
    }

    /// The `linux.namespaces` entry of `kind`, if any.
    pub fn namespace(&self, kind: NamespaceType) -> Option<&Namespace> {
        self.linux
            .as_ref()
            .and_then(|l| l.namespaces.iter().find(|n| n.kind == kind))
    }
}
