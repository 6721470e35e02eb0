//! `--strace`: one line per syscall with decoded arguments.

use super::{entry, Args};
use crate::kernel::Task;

/// How to print one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    Int,
    Hex,
    Fd,
    Ptr,
    Size,
    /// A NUL-terminated path read from application memory.
    Path,
    Signal,
}

const MAX_SHOWN: usize = 64;

/// Formats `name(arg, ...)` for syscall `nr`.
pub fn format_call(t: &Task, nr: u64, a: &Args) -> String {
    let Some(e) = entry(nr) else {
        return format!("syscall_{nr}({:#x}, {:#x}, {:#x})", a.0[0], a.0[1], a.0[2]);
    };
    let kinds: &[Arg] = if e.args.is_empty() && e.handler.is_none() {
        &[Arg::Hex, Arg::Hex, Arg::Hex]
    } else {
        e.args
    };
    let shown: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, k)| match k {
            Arg::Int => a.i64(i).to_string(),
            Arg::Fd => a.fd(i).to_string(),
            Arg::Hex | Arg::Ptr => format!("{:#x}", a.u64(i)),
            Arg::Size => a.u64(i).to_string(),
            Arg::Signal => abi::signal::signal_name(a.i32(i))
                .map_or_else(|| a.i32(i).to_string(), |n| format!("SIG{n}")),
            Arg::Path => match t.mm().copy_in_cstr(a.addr(i), 4096) {
                Ok(p) => {
                    let s = String::from_utf8_lossy(&p[..p.len().min(MAX_SHOWN)]).into_owned();
                    format!("{s:?}{}", if p.len() > MAX_SHOWN { "..." } else { "" })
                }
                Err(_) => format!("{:#x}", a.u64(i)),
            },
        })
        .collect();
    format!("{}({})", e.name, shown.join(", "))
}
