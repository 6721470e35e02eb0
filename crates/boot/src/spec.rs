//! The part of an OCI spec the sandbox uses.
//!
//! The CLI validates the full `config.json`; what crosses into the sandbox (as JSON on
//! the donated spec descriptor) is read here into plain, lenient serde types: unknown
//! fields are ignored, missing ones default.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The fields of `config.json` the sandbox acts on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Spec {
    pub process: Option<Process>,
    pub root: Option<Root>,
    pub hostname: Option<String>,
    pub mounts: Vec<Mount>,
    pub linux: Option<Linux>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Process {
    pub terminal: bool,
    pub user: User,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Root {
    pub path: PathBuf,
    pub readonly: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Mount {
    pub destination: PathBuf,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub source: Option<PathBuf>,
    pub options: Vec<String>,
}

impl Mount {
    /// True for mounts backed by a host directory (bind mounts); every other type
    /// (proc, tmpfs, devpts, sysfs, ...) is provided by the sentry itself.
    pub fn is_host_mount(&self) -> bool {
        self.kind.as_deref() == Some("bind")
            || self.options.iter().any(|o| o == "bind" || o == "rbind")
    }

    /// True when the mount is read-only (`ro` in its options).
    pub fn is_readonly(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Linux {
    pub namespaces: Vec<Namespace>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Namespace {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: Option<PathBuf>,
}

impl Spec {
    /// The host mounts in order; the CLI donates one descriptor for each, in this same
    /// order, and the sandbox pairs them up the same way.
    pub fn host_mounts(&self) -> impl Iterator<Item = &Mount> {
        self.mounts.iter().filter(|m| m.is_host_mount())
    }

    /// The path of a namespace to join, e.g. `network`.
    pub fn namespace_path(&self, kind: &str) -> Option<&PathBuf> {
        self.linux
            .as_ref()?
            .namespaces
            .iter()
            .find(|n| n.kind == kind)?
            .path
            .as_ref()
    }

    /// True when `process.terminal` is set.
    pub fn terminal(&self) -> bool {
        self.process.as_ref().is_some_and(|p| p.terminal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_runc_style_config_and_finds_bind_mounts() {
        let json = r#"{
            "ociVersion": "1.0.2",
            "process": {"terminal": true, "user": {"uid": 1, "gid": 2},
                        "args": ["sh"], "cwd": "/", "capabilities": {"bounding": []}},
            "root": {"path": "rootfs", "readonly": true},
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/data", "type": "none", "source": "/srv", "options": ["rbind", "ro"]},
                {"destination": "/etc/hosts", "type": "bind", "source": "/etc/hosts"}
            ],
            "linux": {"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}]}
        }"#;
        let spec: Spec = serde_json::from_str(json).expect("parse");
        assert!(spec.terminal());
        let dests: Vec<_> = spec.host_mounts().map(|m| m.destination.clone()).collect();
        assert_eq!(
            dests,
            vec![PathBuf::from("/data"), PathBuf::from("/etc/hosts")]
        );
        assert!(spec.mounts[1].is_readonly());
        assert_eq!(
            spec.namespace_path("network"),
            Some(&PathBuf::from("/proc/1/ns/net"))
        );
        assert_eq!(spec.namespace_path("pid"), None);
    }
}
