//! `moat syscalls`: the sentry's system call compatibility list (one line per x86-64
//! syscall with its support level), as gVisor publishes one.

use clap::Args;

use super::GlobalOpts;

#[derive(Args, Debug)]
pub struct SyscallsArgs {}

pub fn run(_g: &GlobalOpts, _args: SyscallsArgs) -> anyhow::Result<i32> {
    print!("{}", sentry::syscalls::compatibility_report());
    Ok(0)
}
