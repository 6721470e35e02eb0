//! Self-confinement of the sandbox process.
//!
//! The CLI started us in new user, mount, PID, IPC and UTS namespaces as `nobody`, with
//! exactly three capabilities (CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SETPCAP) that exist
//! only to do this:
//!
//! 1. stop mount events propagating between us and the host;
//! 2. mount an empty tmpfs, with a private `/proc` of our PID namespace inside, and
//!    make it our root with `pivot_root`, detaching the host's tree entirely;
//! 3. make that root read-only;
//! 4. drop every capability, bounding and ambient sets included, and set no_new_privs.
//!
//! After this the process reaches host files only through its donated descriptors.

use std::ffi::CStr;
use std::io;

/// A step of confinement that failed.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {cause}")]
pub struct ConfineError {
    step: &'static str,
    cause: io::Error,
}

fn check(step: &'static str, r: libc::c_int) -> Result<(), ConfineError> {
    if r == 0 {
        Ok(())
    } else {
        Err(ConfineError {
            step,
            cause: io::Error::last_os_error(),
        })
    }
}

fn mount(
    src: &CStr,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> libc::c_int {
    // SAFETY: every pointer is a NUL-terminated string that outlives the call, or null.
    unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            fstype.map_or(std::ptr::null(), CStr::as_ptr),
            flags,
            data.map_or(std::ptr::null(), |d| d.as_ptr().cast()),
        )
    }
}

/// Where the empty root is built; any directory `nobody` can search will do, since the
/// tmpfs hides it and pivot_root detaches it.
const STAGING: &CStr = c"/tmp";

/// Replaces our view of the filesystem with an empty, read-only tmpfs holding only
/// `/proc`.
pub fn setup_empty_root() -> Result<(), ConfineError> {
    check(
        "making mounts private",
        mount(c"", c"/", None, libc::MS_REC | libc::MS_PRIVATE, None),
    )?;
    let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    check(
        "mounting the empty root",
        mount(
            c"moat-root",
            STAGING,
            Some(c"tmpfs"),
            flags,
            Some(c"mode=0755,size=64k"),
        ),
    )?;
    // SAFETY: chdir to a NUL-terminated path.
    check("entering the empty root", unsafe {
        libc::chdir(STAGING.as_ptr())
    })?;
    // SAFETY: mkdir of a NUL-terminated relative path.
    let made = unsafe { libc::mkdir(c"proc".as_ptr(), 0o555) };
    if made == 0 {
        // A private procfs shows only the sandbox's own processes. Best effort: some
        // hosts hide parts of /proc, which forbids new proc mounts.
        let r = mount(c"proc", c"proc", Some(c"proc"), flags, None);
        if r != 0 {
            tracing::info!(
                "no /proc in the sandbox root: {}",
                io::Error::last_os_error()
            );
        }
    }
    // SAFETY: pivot_root with two NUL-terminated paths; "." on both stacks the old root
    // over the new one, so no directory for it is needed.
    let r = unsafe { libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) };
    check("pivoting into the empty root", if r == 0 { 0 } else { -1 })?;
    // SAFETY: umount2 of a NUL-terminated path.
    check("detaching the host's root", unsafe {
        libc::umount2(c".".as_ptr(), libc::MNT_DETACH)
    })?;
    // SAFETY: chdir to a NUL-terminated path.
    check("entering the new root", unsafe {
        libc::chdir(c"/".as_ptr())
    })?;
    let ro = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | flags;
    check(
        "making the root read-only",
        mount(c"", c"/", None, ro, None),
    )?;
    Ok(())
}

/// Drops every capability for good and forbids gaining new privileges.
pub fn drop_capabilities() -> Result<(), ConfineError> {
    // Capabilities past the kernel's last one fail with EINVAL, which is fine.
    for cap in 0..64 as libc::c_ulong {
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
        if r != 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
            return check("dropping the bounding set", r);
        }
    }
    // SAFETY: prctl with integer arguments only.
    check("clearing ambient capabilities", unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    })?;
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    let header = Header {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [0u32; 6];
    // SAFETY: capset reads a v3 header and two zeroed data records from our memory.
    let r = unsafe { libc::syscall(libc::SYS_capset, &header as *const Header, data.as_ptr()) };
    check("clearing capabilities", if r == 0 { 0 } else { -1 })?;
    // SAFETY: prctl with integer arguments only.
    check("setting no_new_privs", unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    })
}
