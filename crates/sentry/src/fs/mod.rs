//! The sentry's filesystems. Each implements `vfs::Inode` (and `vfs::FileOps` for its
//! open files):
//!
//! * `host`: host directories reached only through donated directory descriptors;
//! * `mem`: tmpfs, and the root overlay (memory upper layer over a host lower layer);
//! * `dev`: /dev's character devices; `proc`: /proc;
//! * `pipe`: anonymous pipes; `hostfd`: inherited host stdio descriptors.

pub mod dev;
pub mod epoll;
pub mod eventfd;
pub mod host;
pub mod hostfd;
pub mod lock;
pub mod mem;
pub mod pipe;
pub mod proc;
pub mod xattr;
