//! `moat spec`: writes a default `config.json` to start a bundle from.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::GlobalOpts;

#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Bundle directory to write config.json into.
    #[arg(long, short = 'b', default_value = ".")]
    pub bundle: PathBuf,
}

pub fn run(_g: &GlobalOpts, args: SpecArgs) -> anyhow::Result<i32> {
    let path = args.bundle.join(container::bundle::CONFIG_FILE);
    let text = container::bundle::Spec::default_for_moat().to_pretty_json();
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            anyhow::bail!(
                "writing spec: {} already exists; remove it first",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("writing spec {}", path.display())),
    };
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing spec {}", path.display()))?;
    Ok(0)
}
