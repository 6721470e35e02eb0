//! `moat do`: run one command in a fresh sandbox without a bundle. The root is a host
//! directory (default `/`) seen through a memory overlay; stdio is moat's own; moat
//! exits with the command's status (128+N after signal N).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{sandbox_config, GlobalOpts};

#[derive(Args, Debug)]
pub struct DoArgs {
    /// Host directory to use as the root filesystem (seen through a memory overlay).
    #[arg(long, default_value = "/")]
    pub rootfs: PathBuf,
    /// Working directory inside the sandbox.
    #[arg(long, default_value = "/")]
    pub cwd: String,
    /// The program and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub argv: Vec<String>,
}

pub fn run(g: &GlobalOpts, args: DoArgs) -> anyhow::Result<i32> {
    let ctx = || format!("running {:?}", args.argv[0]);
    let mut conf = sandbox_config(g).with_context(ctx)?;
    // The control socket goes under --root when it can; the sandbox layer falls back
    // to the usual runtime directories otherwise.
    let _ = std::fs::create_dir_all(&conf.root_dir);
    if !conf.root_dir.is_absolute() {
        conf.root_dir = std::path::absolute(&conf.root_dir).with_context(ctx)?;
    }
    let rootfs = std::path::absolute(&args.rootfs).with_context(ctx)?;
    let spec = boot::spec::Spec {
        process: Some(boot::spec::Process {
            terminal: false,
            user: boot::spec::User { uid: 0, gid: 0 },
            args: args.argv.clone(),
            env: std::env::vars().map(|(k, v)| format!("{k}={v}")).collect(),
            cwd: args.cwd.clone(),
        }),
        root: Some(boot::spec::Root {
            path: rootfs.clone(),
            readonly: false,
        }),
        hostname: Some("moat".into()),
        ..Default::default()
    };
    let id = format!("do-{}", std::process::id());
    let create = sandbox::CreateArgs {
        id: &id,
        spec: &spec,
        bundle: &rootfs,
        console_socket: None,
        attached: true,
        user_log: g.user_log.as_deref(),
        on_spawn: None,
    };
    let mut sb = sandbox::Sandbox::create(&conf, &create).with_context(ctx)?;
    if let Err(e) = super::forward::start(sb.clone(), id.clone()) {
        tracing::warn!("signals will not reach the program: {e}");
    }
    let result = sb.start_root(&id).and_then(|()| sb.wait(&id));
    let cleanup = sb.destroy();
    let status = result.with_context(ctx)?;
    cleanup.with_context(ctx)?;
    Ok(status.shell_code())
}
