//! OWNED BY THE VFS ENGINEER — placeholder so the table compiles.
//!
//! Register this family's handlers in `HANDLERS` (number, handler, support, strace
//! argument kinds); `table.rs` merges them into the one syscall table.

use super::strace::Arg;
use super::table::Support;
use super::Handler;

pub const HANDLERS: &[(u64, Handler, Support, &[Arg])] = &[];
