//! The control server: maps urpc methods onto the container manager.

use std::sync::Arc;

use urpc::{methods, reply, RemoteError, Request, Response};

use crate::api::{ContainerArgs, SignalArgs};
use crate::manager::Manager;

/// Answers one control request.
pub fn handle(mgr: &Arc<Manager>, req: Request) -> Response {
    req.expect_fds(0)?;
    match req.method.as_str() {
        methods::SANDBOX_PING => reply(&()),
        methods::CONTAINER_START_ROOT | methods::CONTAINER_START => {
            let args: ContainerArgs = req.params()?;
            mgr.start(&args.id)?;
            reply(&())
        }
        methods::CONTAINER_WAIT => {
            let args: ContainerArgs = req.params()?;
            reply(&mgr.wait(&args.id)?)
        }
        methods::CONTAINER_STATE => {
            let args: ContainerArgs = req.params()?;
            reply(&mgr.state(&args.id)?)
        }
        methods::CONTAINER_SIGNAL => {
            let args: SignalArgs = req.params()?;
            mgr.signal(&args.id, args.signal, args.all)?;
            reply(&())
        }
        other => Err(RemoteError::unknown_method(other)),
    }
}
