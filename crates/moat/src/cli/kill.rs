//! `moat kill`: sends a signal to a container's process (or all of them).

use anyhow::{anyhow, Context};
use clap::Args;

use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Signal every process of the container, not just its init.
    #[arg(long, short = 'a')]
    pub all: bool,
    /// Container id.
    pub id: String,
    /// Signal name or number (TERM, SIGKILL, 9, ...).
    #[arg(default_value = "TERM")]
    pub signal: String,
}

pub fn run(g: &GlobalOpts, args: KillArgs) -> anyhow::Result<i32> {
    let ctx = || what("signaling", &args.id);
    let sig = abi::signal::parse_signal(&args.signal)
        .ok_or_else(|| anyhow!("unknown signal {:?}", args.signal))
        .with_context(ctx)?;
    runtime(g)
        .with_context(ctx)?
        .kill(&args.id, sig, args.all)
        .with_context(ctx)?;
    Ok(0)
}
