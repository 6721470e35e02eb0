//! `moat start`: starts a created container's process.

use anyhow::Context;
use clap::Args;

use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct StartArgs {
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: StartArgs) -> anyhow::Result<i32> {
    let ctx = || what("starting", &args.id);
    runtime(g)
        .with_context(ctx)?
        .start(&args.id)
        .with_context(ctx)?;
    Ok(0)
}
