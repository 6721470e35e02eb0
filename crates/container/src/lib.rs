//! container — OCI bundles, container ids and the on-disk state store.
//!
//! This crate knows the OCI lifecycle and the `--root` layout; it knows nothing about
//! how a sandbox works inside.

pub mod bundle;
pub mod id;
pub mod lifecycle;
pub mod state;
