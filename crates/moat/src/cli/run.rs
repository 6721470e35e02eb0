//! `moat run`: create + start; unless detached, wait and exit with the container's
//! status, and clean up after it.

use anyhow::Context;
use clap::Args;

use super::create::SetupArgs;
use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    /// Return once the container runs instead of waiting for it.
    #[arg(long, short = 'd')]
    pub detach: bool,
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: RunArgs) -> anyhow::Result<i32> {
    let id = args.id.as_str();
    let rt = runtime(g).with_context(|| what("running", id))?;
    let opts = args.setup.create_opts(g, !args.detach);
    let mut created = rt.create(id, &opts).with_context(|| what("creating", id))?;
    // Forward before the process starts, so that no signal sent once it runs can reach
    // moat unforwarded (and kill it, with the attached sandbox).
    if !args.detach {
        if let Err(e) = super::forward::start(created.sandbox().clone(), id.to_owned()) {
            tracing::warn!("signals will not reach the container: {e}");
        }
    }
    if let Err(e) = rt.start(id) {
        let _ = created.destroy(&rt);
        return Err(e).with_context(|| what("starting", id));
    }
    if args.detach {
        return Ok(0);
    }
    let status = created.wait(&rt).with_context(|| what("waiting for", id));
    let cleanup = created.destroy(&rt).with_context(|| what("deleting", id));
    let status = status?;
    cleanup?;
    Ok(status.shell_code())
}
