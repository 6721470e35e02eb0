//! urpc
