//! `moat delete`: removes a container, its sandbox and every file it left.

use anyhow::Context;
use clap::Args;
use container::lifecycle::LifecycleError;

use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Kill the container first if it still runs; succeed if it does not exist.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: DeleteArgs) -> anyhow::Result<i32> {
    let ctx = || what("deleting", &args.id);
    match runtime(g).with_context(ctx)?.delete(&args.id, args.force) {
        Err(LifecycleError::State(e)) if e.is_not_found() && args.force => Ok(0),
        r => {
            r.with_context(ctx)?;
            Ok(0)
        }
    }
}
