//! Virtual filesystem: inodes, dentries, mounts, path walk, open file descriptions and
//! the fd table. The filesystems themselves live in `crate::fs`. See README.md here for
//! the model, the reference counting and the lock order.

mod context;
mod dentry;
mod fd_table;
mod file;
pub mod inode;
mod path;
pub mod perm;

pub use context::{
    new_container_fs, oflags, open_executable, open_executable_as,
    setattr_checked as inode_setattr, ExecKey, Executable, FsContext,
};
pub use dentry::{Dentry, Mount, MountDesc, MountTable};
pub use fd_table::{FdTable, DEFAULT_NOFILE};
pub use file::{File, FileOps, IoctlCtx};
pub use inode::{DirEntry, FileType, Inode, NewAttr, SetAttr, Stat, Timespec};
pub use path::{Creds, Lookup, Resolve, Walker};

/// Longest path the application may pass (PATH_MAX, counting the NUL).
pub const PATH_MAX: usize = 4096;
/// Longest single path component.
pub const NAME_MAX: usize = 255;
/// Symlinks followed during one walk before ELOOP.
pub const MAX_SYMLINKS: u32 = 40;

#[cfg(test)]
mod tests;
