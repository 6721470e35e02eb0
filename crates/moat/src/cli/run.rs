//! `moat run`: create + start; unless detached, wait and exit with the container's
//! status, and clean up after it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Bundle directory (holding config.json).
    #[arg(long, short = 'b', default_value = ".")]
    pub bundle: PathBuf,
    /// Return once the container runs instead of waiting for it.
    #[arg(long, short = 'd')]
    pub detach: bool,
    /// File to write the sandbox process's pid to.
    #[arg(long)]
    pub pid_file: Option<PathBuf>,
    /// Unix socket that receives the terminal master when process.terminal is set.
    #[arg(long)]
    pub console_socket: Option<PathBuf>,
    /// Accepted for runc compatibility (the sandbox always builds its own root).
    #[arg(long, hide = true)]
    pub no_pivot: bool,
    /// Accepted for runc compatibility (there is no session keyring in the sandbox).
    #[arg(long, hide = true)]
    pub no_new_keyring: bool,
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: RunArgs) -> anyhow::Result<i32> {
    let id = args.id.as_str();
    let rt = runtime(g).with_context(|| what("running", id))?;
    let opts = container::lifecycle::CreateOpts {
        bundle: args.bundle.clone(),
        console_socket: args.console_socket.clone(),
        pid_file: args.pid_file.clone(),
        attached: !args.detach,
        user_log: g.user_log.clone(),
    };
    let mut created = rt.create(id, &opts).with_context(|| what("creating", id))?;
    if let Err(e) = rt.start(id) {
        let _ = created.destroy(&rt);
        return Err(e).with_context(|| what("starting", id));
    }
    if args.detach {
        return Ok(0);
    }
    if let Err(e) = super::forward::start(created.sandbox().clone(), id.to_owned()) {
        tracing::warn!("signals will not reach the container: {e}");
    }
    let status = created.wait(&rt).with_context(|| what("waiting for", id));
    let cleanup = created.destroy(&rt).with_context(|| what("deleting", id));
    let status = status?;
    cleanup?;
    Ok(status.shell_code())
}
