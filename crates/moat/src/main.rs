//! `moat`: a runc/runsc-compatible OCI runtime whose containers run on the sentry.
//!
//! One multi-call binary: the verbs a user (or containerd) calls, plus the hidden `boot`
//! that the CLI re-executes from `/proc/self/exe` to become a sandbox process.

mod cli;
mod logging;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    // The sandbox process logs to its donated descriptor, everyone else to --log.
    let boot_log = match &cli.command {
        cli::Command::Boot(b) => Some(b.log_fd),
        _ => None,
    };
    if let Err(err) = logging::init(&cli.global, boot_log) {
        eprintln!("moat: setting up logging: {err:#}");
        std::process::exit(1);
    }
    let logs_to_file = cli.global.log.is_some() || cli.global.debug_log.is_some();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // One line on stderr, and the same in the log for callers (containerd) that
            // only read --log.
            if logs_to_file {
                tracing::error!("{err:#}");
            }
            eprintln!("moat: {err:#}");
            1
        }
    };
    std::process::exit(code);
}
