//! Argument parsing: one file per verb, with the names and flags runc and runsc callers
//! (containerd, Docker, Podman) already use.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod boot;
mod create;
mod delete;
mod do_cmd;
mod forward;
mod kill;
mod list;
mod run;
mod spec;
mod start;
mod state;
mod syscalls;
mod wait;

/// The whole command line.
#[derive(Parser, Debug)]
#[command(
    name = "moat",
    version,
    about = "Moat: containers on a user-space kernel"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted before (or after) any verb.
#[derive(Args, Debug, Clone)]
pub struct GlobalOpts {
    /// Directory holding container state, one JSON file per container.
    #[arg(long, global = true, default_value = "/var/run/moat")]
    pub root: PathBuf,
    /// File for moat's own log lines (stderr when absent).
    #[arg(long, global = true)]
    pub log: Option<PathBuf>,
    /// Format of log lines.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log at debug level.
    #[arg(long, global = true)]
    pub debug: bool,
    /// File for debug logs; takes precedence over --log.
    #[arg(long, global = true)]
    pub debug_log: Option<PathBuf>,
    /// Print every application system call with its arguments and result.
    #[arg(long, global = true)]
    pub strace: bool,
    /// How the sentry intercepts application system calls.
    #[arg(long, global = true, value_enum, default_value_t = Platform::Ptrace)]
    pub platform: Platform,
    /// Networking for the sandbox: `none` (loopback only) or `host`.
    #[arg(long, global = true, default_value = "none")]
    pub network: String,
    /// Run without root privileges: the sandbox's user namespace maps the caller.
    #[arg(long, global = true)]
    pub rootless: bool,
    /// File for user-visible messages from the sandbox.
    #[arg(long, global = true)]
    pub user_log: Option<PathBuf>,
    /// Accepted for runc compatibility; moat does not manage cgroups through systemd.
    #[arg(long, global = true, hide = true)]
    pub systemd_cgroup: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Ptrace,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a default config.json for a bundle.
    Spec(spec::SpecArgs),
    /// Create a container: its sandbox starts, its process does not.
    Create(create::CreateArgs),
    /// Start a created container's process.
    Start(start::StartArgs),
    /// Create and start a container; wait for it unless detached.
    Run(run::RunArgs),
    /// Print a container's OCI state as JSON.
    State(state::StateArgs),
    /// List containers.
    List(list::ListArgs),
    /// Send a signal to a container.
    Kill(kill::KillArgs),
    /// Wait for a container's process to exit and print its status.
    Wait(wait::WaitArgs),
    /// Delete a container and everything it left.
    Delete(delete::DeleteArgs),
    /// Run one command in a fresh sandbox, with the host's root seen through a memory overlay.
    Do(do_cmd::DoArgs),
    /// Print which system calls the sentry supports.
    Syscalls(syscalls::SyscallsArgs),
    /// The sandbox process itself (started by moat, not by users).
    #[command(hide = true)]
    Boot(boot::BootArgs),
}

/// Executes the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let g = &cli.global;
    match cli.command {
        Command::Spec(a) => spec::run(g, a),
        Command::Create(a) => create::run(g, a),
        Command::Start(a) => start::run(g, a),
        Command::Run(a) => run::run(g, a),
        Command::State(a) => state::run(g, a),
        Command::List(a) => list::run(g, a),
        Command::Kill(a) => kill::run(g, a),
        Command::Wait(a) => wait::run(g, a),
        Command::Delete(a) => delete::run(g, a),
        Command::Do(a) => do_cmd::run(g, a),
        Command::Syscalls(a) => syscalls::run(g, a),
        Command::Boot(a) => boot::run(g, a),
    }
}

/// The sandbox settings the global flags describe.
fn sandbox_config(g: &GlobalOpts) -> anyhow::Result<sandbox::Config> {
    let network = g.network.parse().map_err(anyhow::Error::msg)?;
    Ok(sandbox::Config {
        root_dir: g.root.clone(),
        log_file: g.debug_log.clone().or_else(|| g.log.clone()),
        log_format: g.log_format.as_str().to_owned(),
        debug: g.debug,
        strace: g.strace,
        network,
        rootless: g.rootless,
    })
}

/// The container runtime over `--root`.
fn runtime(g: &GlobalOpts) -> anyhow::Result<container::lifecycle::Runtime> {
    let conf = sandbox_config(g)?;
    Ok(container::lifecycle::Runtime::new(conf)?)
}

/// The prefix of an error from `operation` on container `id`, e.g.
/// `creating container "web"`.
fn what(operation: &str, id: &str) -> String {
    format!("{operation} container {id:?}")
}
