//! `moat wait`: blocks until a container's process exits; prints its status as
//! `{"id": ..., "exitStatus": N}` (N is 128+S after signal S), as runsc does.

use anyhow::Context;
use clap::Args;

use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct WaitArgs {
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: WaitArgs) -> anyhow::Result<i32> {
    let ctx = || what("waiting for", &args.id);
    let status = runtime(g)
        .with_context(ctx)?
        .wait(&args.id)
        .with_context(ctx)?;
    let out = serde_json::json!({ "id": args.id, "exitStatus": status.shell_code() });
    println!("{out}");
    Ok(0)
}
