//! User and group ids. Inside the sandbox the application is root of its own world;
//! these ids never map to host privileges.

use super::{Args, SysResult};
use crate::kernel::Task;
use abi::Errno;

pub fn sys_getuid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.cred.uid as u64)
}

pub fn sys_geteuid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.cred.euid as u64)
}

pub fn sys_getgid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.cred.gid as u64)
}

pub fn sys_getegid(t: &mut Task, _: &Args) -> SysResult {
    Ok(t.cred.egid as u64)
}

fn put_three(t: &Task, addrs: [u64; 3], vals: [u32; 3]) -> SysResult {
    for (a, v) in addrs.iter().zip(vals) {
        t.mm().write_u32(*a, v)?;
    }
    Ok(0)
}

pub fn sys_getresuid(t: &mut Task, a: &Args) -> SysResult {
    let c = t.cred;
    put_three(
        t,
        [a.addr(0), a.addr(1), a.addr(2)],
        [c.uid, c.euid, c.suid],
    )
}

pub fn sys_getresgid(t: &mut Task, a: &Args) -> SysResult {
    let c = t.cred;
    put_three(
        t,
        [a.addr(0), a.addr(1), a.addr(2)],
        [c.gid, c.egid, c.sgid],
    )
}

pub fn sys_getgroups(t: &mut Task, a: &Args) -> SysResult {
    let size = a.i32(0);
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    let n = t.groups.len();
    if size == 0 {
        return Ok(n as u64);
    }
    if (size as usize) < n {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = t.groups.iter().flat_map(|g| g.to_le_bytes()).collect();
    t.mm().copy_out(a.addr(1), &bytes)?;
    Ok(n as u64)
}

/// NGROUPS_MAX.
const MAX_GROUPS: usize = 65536;

pub fn sys_setgroups(t: &mut Task, a: &Args) -> SysResult {
    let n = usize::try_from(a.i32(0))
        .ok()
        .filter(|&n| n <= MAX_GROUPS)
        .ok_or(Errno::EINVAL)?;
    if t.cred.euid != 0 {
        return Err(Errno::EPERM);
    }
    let bytes = t.mm().copy_in_vec(a.addr(1), n * 4)?;
    let mut groups: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    groups.sort_unstable();
    t.groups = std::sync::Arc::new(groups);
    Ok(0)
}

pub fn sys_setuid(t: &mut Task, a: &Args) -> SysResult {
    let uid = a.u32(0);
    if uid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    if t.cred.euid == 0 {
        t.cred.uid = uid;
        t.cred.euid = uid;
        t.cred.suid = uid;
    } else if uid == t.cred.uid || uid == t.cred.suid {
        t.cred.euid = uid;
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

pub fn sys_setgid(t: &mut Task, a: &Args) -> SysResult {
    let gid = a.u32(0);
    if gid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    if t.cred.euid == 0 {
        t.cred.gid = gid;
        t.cred.egid = gid;
        t.cred.sgid = gid;
    } else if gid == t.cred.gid || gid == t.cred.sgid {
        t.cred.egid = gid;
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}
