//! `moat create`: sets a container up in a new sandbox without starting its process.

use std::path::PathBuf;

use clap::Args;

use anyhow::Context;

use super::{runtime, what, GlobalOpts};

/// The flags `create` and `run` share: where the bundle is and how the sandbox is set up.
#[derive(Args, Debug)]
pub struct SetupArgs {
    /// Bundle directory (holding config.json).
    #[arg(long, short = 'b', default_value = ".")]
    pub bundle: PathBuf,
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
}

impl SetupArgs {
    pub fn create_opts(&self, g: &GlobalOpts, attached: bool) -> container::lifecycle::CreateOpts {
        container::lifecycle::CreateOpts {
            bundle: self.bundle.clone(),
            console_socket: self.console_socket.clone(),
            pid_file: self.pid_file.clone(),
            attached,
            user_log: g.user_log.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: CreateArgs) -> anyhow::Result<i32> {
    let ctx = || what("creating", &args.id);
    let rt = runtime(g).with_context(ctx)?;
    let opts = args.setup.create_opts(g, false);
    rt.create(&args.id, &opts).with_context(ctx)?;
    Ok(0)
}
