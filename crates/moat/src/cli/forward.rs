//! Attached runs (`run` without `-d`, `do`) pass the signals their user sends to moat
//! (Ctrl-C, `kill PID`) on to the container's init process, as runc does.
//!
//! The signals are blocked in every thread of moat and collected by one thread with
//! `sigwait`. This must start after the sandbox process exists: a blocked mask would
//! otherwise be inherited by it across exec.

use std::thread;

/// Signals a user commonly sends to a foreground command.
const FORWARDED: [i32; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// Starts forwarding to container `cid` of `sandbox`. Errors only if the signal mask
/// cannot be changed, in which case signals keep their default effect on moat (and the
/// attached sandbox dies with it).
pub fn start(sandbox: sandbox::Sandbox, cid: String) -> std::io::Result<()> {
    // SAFETY: sigset_t is plain data; sigemptyset initializes it before use.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: the set is a valid, exclusively borrowed sigset_t.
    unsafe {
        libc::sigemptyset(&mut set);
        for sig in FORWARDED {
            libc::sigaddset(&mut set, sig);
        }
    }
    // SAFETY: blocks signals for this thread; threads started later inherit the mask.
    let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if r != 0 {
        return Err(std::io::Error::from_raw_os_error(r));
    }
    thread::Builder::new()
        .name("signal-forwarder".into())
        .spawn(move || loop {
            let mut sig = 0;
            // SAFETY: waits on our initialized set and writes one int.
            if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                continue;
            }
            tracing::debug!(sig, container = %cid, "forwarding signal");
            if let Err(e) = sandbox.signal(&cid, sig, false) {
                tracing::debug!("forwarding signal {sig} to {cid:?}: {e}");
            }
        })?;
    Ok(())
}
