//! Method names understood by the sandbox's control server.
//!
//! The names are part of the wire protocol between the `moat` CLI and a running
//! `moat-sandbox`, so they are constants rather than strings scattered through callers.
//! A method lives in a namespace: `containerManager.*` acts on one container inside the
//! sandbox, `sandbox.*` on the sandbox process as a whole.

/// Creates a (sub)container inside the sandbox from its spec.
pub const CONTAINER_CREATE: &str = "containerManager.Create";
/// Starts the sandbox's root container (the one the sandbox was created for).
pub const CONTAINER_START_ROOT: &str = "containerManager.StartRoot";
/// Starts a container that was created earlier.
pub const CONTAINER_START: &str = "containerManager.Start";
/// Blocks until a container's init process exits; replies with its wait status.
pub const CONTAINER_WAIT: &str = "containerManager.Wait";
/// Blocks until one process (by sandbox-side pid) of a container exits.
pub const CONTAINER_WAIT_PID: &str = "containerManager.WaitPID";
/// Sends a signal to a container's init process or to all of its processes.
pub const CONTAINER_SIGNAL: &str = "containerManager.Signal";
/// Lists a container's processes (for `moat ps`).
pub const CONTAINER_PROCESSES: &str = "containerManager.Processes";
/// Reports a container's runtime state as the sandbox sees it.
pub const CONTAINER_STATE: &str = "containerManager.State";
/// Runs an extra process in a running container (for `moat exec`).
pub const CONTAINER_EXECUTE: &str = "containerManager.Execute";
/// Stops and forgets a container inside the sandbox.
pub const CONTAINER_DESTROY: &str = "containerManager.Destroy";
/// Reports resource usage statistics and events (for `moat events`).
pub const CONTAINER_EVENT: &str = "containerManager.Event";
/// Pauses every task of the sandbox.
pub const CONTAINER_PAUSE: &str = "containerManager.Pause";
/// Resumes a paused sandbox.
pub const CONTAINER_RESUME: &str = "containerManager.Resume";
/// Asks the sandbox process to tear everything down and exit.
pub const SANDBOX_DESTROY: &str = "sandbox.Destroy";
/// Liveness check: the sandbox answers as soon as its control server runs.
pub const SANDBOX_PING: &str = "sandbox.Ping";

/// Every method name above, for servers that want to reject unknown names early and
/// for tests that check the table.
pub const ALL: &[&str] = &[
    CONTAINER_CREATE,
    CONTAINER_START_ROOT,
    CONTAINER_START,
    CONTAINER_WAIT,
    CONTAINER_WAIT_PID,
    CONTAINER_SIGNAL,
    CONTAINER_PROCESSES,
    CONTAINER_STATE,
    CONTAINER_EXECUTE,
    CONTAINER_DESTROY,
    CONTAINER_EVENT,
    CONTAINER_PAUSE,
    CONTAINER_RESUME,
    SANDBOX_DESTROY,
    SANDBOX_PING,
];

#[cfg(test)]
mod tests {
    use super::ALL;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_namespaced() {
        let mut seen = HashSet::new();
        for name in ALL {
            assert!(seen.insert(*name), "duplicate method name {name}");
            let (ns, verb) = name.split_once('.').expect("method name has a namespace");
            assert!(!ns.is_empty() && !verb.is_empty(), "bad method name {name}");
        }
    }
}
