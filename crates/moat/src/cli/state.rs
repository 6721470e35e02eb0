//! `moat state`: the OCI state document of one container.

use anyhow::Context;
use clap::Args;

use super::{runtime, what, GlobalOpts};

#[derive(Args, Debug)]
pub struct StateArgs {
    /// Container id.
    pub id: String,
}

pub fn run(g: &GlobalOpts, args: StateArgs) -> anyhow::Result<i32> {
    let ctx = || what("reading the state of", &args.id);
    let rec = runtime(g)
        .with_context(ctx)?
        .state(&args.id)
        .with_context(ctx)?;
    print!("{}", rec.oci_state().to_pretty_json());
    Ok(0)
}
