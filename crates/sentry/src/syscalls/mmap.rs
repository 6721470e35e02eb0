//! Memory syscalls: mmap, munmap, mprotect, brk, madvise, mremap.

use super::{Args, SysResult};
use crate::kernel::Task;
use crate::mm::{round_up, Placement, VmaName, PAGE_SIZE};
use abi::Errno;
use platform::Prot;

const PROT_KNOWN: u64 = 0x7 | 0x0100_0000 | 0x0200_0000; // RWX + GROWSDOWN/GROWSUP
const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
const MAP_HUGETLB: u64 = 0x40000;
/// MAP_HUGE_* page-size encoding, bits 26..31.
const MAP_HUGE_MASK: u64 = 0x3f << 26;
/// Flags MAP_SHARED_VALIDATE accepts.
const MAP_KNOWN: u64 = 0x3 | MAP_FIXED | MAP_ANONYMOUS | 0x100 /* GROWSDOWN */ | 0x800 /* DENYWRITE */
    | 0x1000 /* EXECUTABLE */ | 0x2000 /* LOCKED */ | 0x4000 /* NORESERVE */ | 0x8000 /* POPULATE */
    | 0x10000 /* NONBLOCK */ | 0x20000 /* STACK */ | MAP_HUGETLB | 0x80000 /* SYNC */ | MAP_FIXED_NOREPLACE;
/// Largest single mapping accepted (the x86-64 user address space).
const MAX_MAP: u64 = 1 << 47;
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

/// mprotect's protection argument. PROT_GROWSDOWN/UP need a stack-like VMA, which
/// Moat does not have, so they are EINVAL like any unknown bit.
fn prot(bits: u64) -> Result<Prot, Errno> {
    if bits & !PROT_KNOWN != 0 || bits & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Prot::from_bits(bits & 7))
}

pub fn sys_mmap(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len, prot_bits, flags, fd, off) =
        (a.addr(0), a.u64(1), a.u64(2), a.u64(3), a.fd(4), a.u64(5));
    // Linux's order of checks: offset alignment, the file, the length, the type.
    if off % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    let anonymous = flags & MAP_ANONYMOUS != 0;
    let file = if anonymous {
        None
    } else {
        Some(t.fds.get(fd)?)
    };
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    // Then the size (before the type is looked at).
    let len = round_up(len)
        .filter(|&l| l <= MAX_MAP)
        .ok_or(Errno::ENOMEM)?;
    // mmap ignores protection bits it does not know (mprotect does not).
    let p = Prot::from_bits(prot_bits & 7);
    let kind = flags & 0x3;
    let shared = match (kind, anonymous) {
        (MAP_SHARED, _) => true,
        (MAP_PRIVATE, _) => false,
        (MAP_SHARED_VALIDATE, false) => {
            if flags & !MAP_KNOWN & !MAP_HUGE_MASK != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            true
        }
        _ => return Err(Errno::EINVAL),
    };
    let len = round_up(len)
        .filter(|&l| l <= MAX_MAP)
        .ok_or(Errno::ENOMEM)?;
    let place = if flags & MAP_FIXED_NOREPLACE != 0 {
        Placement::FixedNoReplace(addr)
    } else if flags & MAP_FIXED != 0 {
        Placement::Fixed(addr)
    } else {
        Placement::Hint(addr & !(PAGE_SIZE - 1))
    };
    let Some(file) = file else {
        let (mm, space) = t.mm_mut();
        return mm.map_anon(space, place, len, p, shared, VmaName::Anon);
    };
    if off > i64::MAX as u64 - len {
        return Err(Errno::EOVERFLOW);
    }
    if !file.readable() {
        return Err(Errno::EACCES);
    }
    if shared && p.write && !file.writable() {
        return Err(Errno::EACCES);
    }
    if shared && p.write {
        // Writes would have to reach the file: not supported by copying.
        t.k.log_unimplemented_feature("mmap(MAP_SHARED|PROT_WRITE) of a file");
        return Err(Errno::ENODEV);
    }
    if !file.is_regular() {
        return Err(Errno::ENODEV);
    }
    // Private (or read-only shared) file mapping: fill fresh memory with the contents.
    let name = VmaName::File(file.name().to_string());
    let start = {
        let (mm, space) = t.mm_mut();
        mm.map_anon(space, place, len, Prot::RW, shared, name)?
    };
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        let got = file.pread(&mut buf[..n], off + done)?;
        if got == 0 {
            break;
        }
        t.mm().poke(start + done, &buf[..got])?;
        done += got as u64;
        if got < n {
            break;
        }
    }
    if p != Prot::RW {
        let (mm, space) = t.mm_mut();
        mm.protect(space, start, len, p)?;
    }
    // Whole pages past the end of the file raise SIGBUS when touched.
    let eof = round_up(done).unwrap_or(len);
    if eof < len {
        let (mm, space) = t.mm_mut();
        mm.mark_past_eof(space, start + eof, len - eof)?;
    }
    Ok(start)
}

pub fn sys_munmap(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len) = (a.addr(0), a.u64(1));
    if addr % PAGE_SIZE != 0 || len == 0 || len > TASK_SIZE || addr > TASK_SIZE - len {
        return Err(Errno::EINVAL);
    }
    let (mm, space) = t.mm_mut();
    mm.unmap(space, addr, len).map(|_| 0)
}

pub fn sys_mprotect(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len) = (a.addr(0), a.u64(1));
    // The protection is an int: bits above 32 are not the caller's.
    let p = prot(a.u32(2) as u64)?;
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    if len > MAX_MAP || addr.checked_add(len).is_none() {
        return Err(Errno::ENOMEM);
    }
    let (mm, space) = t.mm_mut();
    mm.protect(space, addr, len, p).map(|_| 0)
}

pub fn sys_brk(t: &mut Task, a: &Args) -> SysResult {
    let (mm, space) = t.mm_mut();
    Ok(mm.set_brk(space, a.addr(0)))
}

pub fn sys_madvise(t: &mut Task, a: &Args) -> SysResult {
    let (addr, len, advice) = (a.addr(0), a.u64(1), a.i32(2));
    if addr % PAGE_SIZE != 0 {
        return Err(Errno::EINVAL);
    }
    if !matches!(advice, 0..=4 | 8..=25 | 100 | 101) {
        return Err(Errno::EINVAL);
    }
    let len = round_up(len).ok_or(Errno::EINVAL)?;
    if addr.checked_add(len).is_none() {
        return Err(Errno::EINVAL);
    }
    // MADV_DONTNEED (4) on private anonymous memory must read back as zeros.
    if advice == 4 && len > 0 {
        t.mm().discard(addr, len)?;
    }
    Ok(0)
}

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;
const MREMAP_DONTUNMAP: u64 = 4;

/// mremap: shrinking in place, or growing by moving to a fresh mapping (copying).
pub fn sys_mremap(t: &mut Task, a: &Args) -> SysResult {
    let (old, old_len, new_len, flags, target) =
        (a.addr(0), a.u64(1), a.u64(2), a.u64(3), a.addr(4));
    let may_move = flags & MREMAP_MAYMOVE != 0;
    let fixed = flags & MREMAP_FIXED != 0;
    let dont_unmap = flags & MREMAP_DONTUNMAP != 0;
    if !old.is_multiple_of(PAGE_SIZE)
        || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || new_len == 0
        || ((fixed || dont_unmap) && !may_move)
        || (dont_unmap && old_len != new_len)
    {
        return Err(Errno::EINVAL);
    }
    let old_len = round_up(old_len).filter(|&l| l > 0).ok_or(Errno::EINVAL)?;
    let new_len = round_up(new_len)
        .filter(|&l| l <= MAX_MAP)
        .ok_or(Errno::ENOMEM)?;
    let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
    let v = t.mm().vma_at(old).ok_or(Errno::EFAULT)?;
    if !t.mm().is_mapped(old, old_len) {
        return Err(Errno::EFAULT);
    }
    if fixed {
        if !target.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let target_end = target.checked_add(new_len).ok_or(Errno::EINVAL)?;
        if target < old_end && old < target_end {
            return Err(Errno::EINVAL);
        }
    }
    if !fixed && !dont_unmap {
        if new_len <= old_len {
            if new_len < old_len {
                let (mm, space) = t.mm_mut();
                mm.unmap(space, old + new_len, old_len - new_len)?;
            }
            return Ok(old);
        }
        // Grow in place when the pages after the mapping are free.
        if t.mm().is_free(old_end, new_len - old_len) {
            let (mm, space) = t.mm_mut();
            mm.map_anon(
                space,
                Placement::Fixed(old_end),
                new_len - old_len,
                v.prot,
                v.shared,
                v.name.clone(),
            )?;
            return Ok(old);
        }
        if !may_move {
            return Err(Errno::ENOMEM);
        }
    }
    let new = if fixed {
        let (mm, space) = t.mm_mut();
        mm.unmap(space, target, new_len)?;
        target
    } else {
        t.mm().find_free(new_len)?
    };
    let kept = old_len.min(new_len);
    let (mm, space) = t.mm_mut();
    mm.move_range(space, old, kept, new)?;
    if old_len > kept {
        mm.unmap(space, old + kept, old_len - kept)?;
    }
    if new_len > kept {
        mm.map_anon(
            space,
            Placement::Fixed(new + kept),
            new_len - kept,
            v.prot,
            v.shared,
            v.name.clone(),
        )?;
    }
    if dont_unmap {
        // The source stays mapped, empty.
        mm.map_anon(
            space,
            Placement::Fixed(old),
            old_len,
            v.prot,
            v.shared,
            v.name.clone(),
        )?;
    }
    Ok(new)
}
