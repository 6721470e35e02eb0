//! Application address spaces.
//!
//! A [`MemoryManager`] is the sentry's record of one address space: a tree of VMAs, each
//! backed by a range ("chunk") of the memory file. Every change is applied to the
//! platform address space at the same time, eagerly, so the application never faults
//! on memory the sentry considers mapped. Copy-in/out goes through the VMA tree and the
//! sentry's own mapping of the memory file; it checks protections and returns EFAULT, so
//! syscall code never dereferences an application pointer.
//!
//! Locking: one RwLock per MemoryManager (copies take it shared, layout changes
//! exclusive, platform updates happen under it); the memory file's allocator lock is a
//! leaf below it.

mod memfile;

pub use memfile::{round_up, MemoryFile, MemoryFileError, PAGE_SIZE};

use abi::Errno;
use platform::{AddressSpace, PlatformError, Prot};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A range of the memory file, returned to it when the last VMA using it goes away.
pub struct Chunk {
    mf: Arc<MemoryFile>,
    off: u64,
    len: u64,
}

impl Chunk {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes into the chunk (for filling a cached image before anyone maps it).
    pub fn write(&self, off: u64, data: &[u8]) -> Result<(), Errno> {
        match off.checked_add(data.len() as u64) {
            Some(end) if end <= self.len => {
                self.mf.write(self.off + off, data);
                Ok(())
            }
            _ => Err(Errno::EFAULT),
        }
    }

    /// A new zeroed range of the memory file.
    pub fn new(mf: &Arc<MemoryFile>, len: u64) -> Result<Arc<Chunk>, Errno> {
        let off = mf.allocate(len)?;
        Ok(Arc::new(Chunk {
            mf: mf.clone(),
            off,
            len,
        }))
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.mf.release(self.off, self.len);
    }
}

/// What a VMA shows as its name in /proc/PID/maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmaName {
    Anon,
    Heap,
    Stack,
    File(String),
}

#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub shared: bool,
    pub name: VmaName,
    /// Pages of a file mapping wholly past the end of the file: any access is SIGBUS.
    pub past_eof: bool,
    /// The chunk is shared read-only with other address spaces (a cached executable
    /// image): it must never be written. Making the VMA writable copies it first.
    pub cow_shared: bool,
    chunk: Arc<Chunk>,
    /// Offset of `start` within the chunk.
    chunk_off: u64,
}

impl Vma {
    /// Whether the kernel can read the page: on x86-64 any access implies read.
    pub fn readable(&self) -> bool {
        !self.past_eof && (self.prot.read || self.prot.write || self.prot.exec)
    }

    fn file_offset(&self, addr: u64) -> u64 {
        self.chunk.off + self.chunk_off + (addr - self.start)
    }
}

fn platform_err(e: PlatformError) -> Errno {
    tracing::warn!("platform address-space operation failed: {e}");
    Errno::ENOMEM
}

/// Where to place a new mapping.
#[derive(Clone, Copy, Debug)]
pub enum Placement {
    /// Anywhere; the address is a hint only.
    Hint(u64),
    /// Exactly here, replacing existing mappings (MAP_FIXED).
    Fixed(u64),
    /// Exactly here, failing with EEXIST if anything is mapped (MAP_FIXED_NOREPLACE).
    FixedNoReplace(u64),
}

/// The VMA tree and layout of one address space; guarded by [`MemoryManager`]'s lock.
struct Layout {
    mf: Arc<MemoryFile>,
    vmas: BTreeMap<u64, Vma>,
    user_lo: u64,
    user_hi: u64,
    /// Top of the region where mappings without a fixed address go, growing down.
    mmap_top: u64,
    reserved: Vec<(u64, u64)>,
    brk_start: u64,
    brk: u64,
}

/// Default top of the mmap area: below the stack area, leaving room for it to grow.
const STACK_TOP: u64 = 0x7fff_ff00_0000;
const STACK_GAP: u64 = 1 << 30;

impl Layout {
    fn new(mf: Arc<MemoryFile>, user: (u64, u64), reserved: Vec<(u64, u64)>) -> Layout {
        Layout {
            mf,
            vmas: BTreeMap::new(),
            user_lo: user.0,
            user_hi: user.1.min(STACK_TOP + PAGE_SIZE),
            mmap_top: STACK_TOP - STACK_GAP,
            reserved,
            brk_start: 0,
            brk: 0,
        }
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
            || self.reserved.iter().any(|&(s, e)| s < end && start < e)
    }

    fn valid_range(&self, start: u64, len: u64) -> Option<u64> {
        let end = start.checked_add(len)?;
        (start >= self.user_lo && end <= self.user_hi).then_some(end)
    }

    /// Finds a free range of `len` bytes, top-down from the mmap area.
    fn find_free(&self, len: u64, hint: u64) -> Result<u64, Errno> {
        if hint != 0 && hint.is_multiple_of(PAGE_SIZE) {
            if let Some(end) = self.valid_range(hint, len) {
                if !self.overlaps(hint, end) {
                    return Ok(hint);
                }
            }
        }
        let mut top = self.mmap_top;
        loop {
            let start = top
                .checked_sub(len)
                .filter(|&s| s >= self.user_lo)
                .ok_or(Errno::ENOMEM)?;
            // The highest mapping (VMA or reserved range) that intersects [start, top).
            let mut blocker = self
                .vmas
                .range(..top)
                .next_back()
                .filter(|(_, v)| v.end > start)
                .map(|(_, v)| v.start);
            for &(s, e) in &self.reserved {
                if s < top && start < e {
                    blocker = Some(blocker.map_or(s, |b: u64| b.min(s)));
                }
            }
            match blocker {
                None => return Ok(start),
                Some(b) => top = b,
            }
        }
    }

    /// Splits the VMA containing `addr` so that a VMA boundary falls at `addr`.
    fn split_at(&mut self, addr: u64) {
        let Some((&start, v)) = self.vmas.range(..addr).next_back() else {
            return;
        };
        if v.end <= addr {
            return;
        }
        let mut right = v.clone();
        right.start = addr;
        right.chunk_off += addr - start;
        if let Some(left) = self.vmas.get_mut(&start) {
            left.end = addr;
        }
        self.vmas.insert(addr, right);
    }

    /// Maps fresh zeroed memory. Returns its address.
    fn map_anon(
        &mut self,
        space: &mut dyn AddressSpace,
        place: Placement,
        len: u64,
        prot: Prot,
        shared: bool,
        name: VmaName,
    ) -> Result<u64, Errno> {
        let len = round_up(len).filter(|&l| l > 0).ok_or(Errno::ENOMEM)?;
        let start = match place {
            Placement::Hint(h) => self.find_free(len, h)?,
            Placement::Fixed(a) | Placement::FixedNoReplace(a) => {
                if a % PAGE_SIZE != 0 {
                    return Err(Errno::EINVAL);
                }
                let end = self.valid_range(a, len).ok_or(Errno::ENOMEM)?;
                if self.reserved.iter().any(|&(s, e)| s < end && a < e) {
                    return Err(Errno::ENOMEM);
                }
                if matches!(place, Placement::FixedNoReplace(_)) && self.overlaps(a, end) {
                    return Err(Errno::EEXIST);
                }
                self.unmap(space, a, len)?;
                a
            }
        };
        let chunk = Chunk::new(&self.mf, len)?;
        space
            .map(start, len, prot, chunk.off)
            .map_err(platform_err)?;
        self.vmas.insert(
            start,
            Vma {
                start,
                end: start + len,
                prot,
                shared,
                name,
                past_eof: false,
                cow_shared: false,
                chunk,
                chunk_off: 0,
            },
        );
        Ok(start)
    }

    /// Maps `len` bytes of `chunk` from `chunk_off` at `addr` (fixed), read-only and
    /// shared with whoever else maps that chunk (cached executable images).
    #[allow(clippy::too_many_arguments)]
    fn map_shared_image(
        &mut self,
        space: &mut dyn AddressSpace,
        addr: u64,
        len: u64,
        prot: Prot,
        chunk: &Arc<Chunk>,
        chunk_off: u64,
        name: VmaName,
    ) -> Result<(), Errno> {
        if prot.write || chunk_off.checked_add(len).is_none_or(|e| e > chunk.len) {
            return Err(Errno::EINVAL);
        }
        let end = self.valid_range(addr, len).ok_or(Errno::ENOMEM)?;
        if self.reserved.iter().any(|&(s, e)| s < end && addr < e) {
            return Err(Errno::ENOMEM);
        }
        self.unmap(space, addr, len)?;
        space
            .map(addr, len, prot, chunk.off + chunk_off)
            .map_err(platform_err)?;
        let vma = Vma {
            start: addr,
            end,
            prot,
            shared: false,
            name,
            past_eof: false,
            cow_shared: true,
            chunk: chunk.clone(),
            chunk_off,
        };
        self.vmas.insert(addr, vma);
        Ok(())
    }

    /// Maps a private copy of `len` bytes of `src` from `src_off` at `addr` (fixed).
    /// Only populated pages are copied.
    #[allow(clippy::too_many_arguments)]
    fn map_private_copy(
        &mut self,
        space: &mut dyn AddressSpace,
        addr: u64,
        len: u64,
        prot: Prot,
        src: &Arc<Chunk>,
        src_off: u64,
        name: VmaName,
    ) -> Result<(), Errno> {
        if src_off.checked_add(len).is_none_or(|e| e > src.len) {
            return Err(Errno::EINVAL);
        }
        let start = self.map_anon(space, Placement::Fixed(addr), len, prot, false, name)?;
        let dst = self
            .vma_at(start)
            .map(|v| v.file_offset(start))
            .ok_or(Errno::EFAULT)?;
        self.mf.copy_populated(src.off + src_off, dst, len);
        Ok(())
    }

    /// Moves the mappings of `[old, old+len)` to `new` (an unmapped range), keeping
    /// their memory: nothing is copied.
    fn move_range(
        &mut self,
        space: &mut dyn AddressSpace,
        old: u64,
        len: u64,
        new: u64,
    ) -> Result<(), Errno> {
        let old_end = old.checked_add(len).ok_or(Errno::EINVAL)?;
        self.valid_range(new, len).ok_or(Errno::ENOMEM)?;
        self.split_at(old);
        self.split_at(old_end);
        let moved: Vec<Vma> = self
            .vmas
            .range(old..old_end)
            .map(|(_, v)| v.clone())
            .collect();
        for v in &moved {
            self.vmas.remove(&v.start);
        }
        space.unmap(old, len).map_err(platform_err)?;
        for mut v in moved {
            let off = v.file_offset(v.start);
            let size = v.end - v.start;
            v.start = new + (v.start - old);
            v.end = v.start + size;
            let prot = if v.past_eof { Prot::NONE } else { v.prot };
            space.map(v.start, size, prot, off).map_err(platform_err)?;
            self.vmas.insert(v.start, v);
        }
        Ok(())
    }

    /// MADV_DONTNEED: private anonymous pages in `[start, end)` read back as zeros (and
    /// go back to the host). ENOMEM if part of the range is unmapped.
    fn discard(&self, start: u64, end: u64) -> Result<(), Errno> {
        let mut cur = start;
        while cur < end {
            let v = self.vma_at(cur).ok_or(Errno::ENOMEM)?;
            let stop = v.end.min(end);
            // File copies and shared images would have to be re-read from the file,
            // which gives the same bytes unless written: leave them.
            if !v.shared && !v.cow_shared && !matches!(v.name, VmaName::File(_)) {
                self.mf.zero_range(v.file_offset(cur), stop - cur);
            }
            cur = stop;
        }
        Ok(())
    }

    /// Gives the VMAs in `[start, end)` that share an image chunk their own copy, so
    /// that they can be made writable.
    fn privatize(
        &mut self,
        space: &mut dyn AddressSpace,
        start: u64,
        end: u64,
    ) -> Result<(), Errno> {
        let shared: Vec<u64> = self
            .vmas
            .range(start..end)
            .filter(|(_, v)| v.cow_shared)
            .map(|(&s, _)| s)
            .collect();
        for s in shared {
            let Some(v) = self.vmas.get(&s).cloned() else {
                continue;
            };
            let len = v.end - v.start;
            let chunk = Chunk::new(&self.mf, len)?;
            self.mf
                .copy_populated(v.file_offset(v.start), chunk.off, len);
            space
                .map(v.start, len, v.prot, chunk.off)
                .map_err(platform_err)?;
            self.vmas.insert(
                s,
                Vma {
                    cow_shared: false,
                    chunk,
                    chunk_off: 0,
                    ..v
                },
            );
        }
        Ok(())
    }

    fn unmap(&mut self, space: &mut dyn AddressSpace, start: u64, len: u64) -> Result<(), Errno> {
        if !start.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = round_up(len).ok_or(Errno::EINVAL)?;
        let end = start.checked_add(len).ok_or(Errno::EINVAL)?;
        if !self.overlaps_vma(start, end) {
            return Ok(());
        }
        self.split_at(start);
        self.split_at(end);
        let doomed: Vec<u64> = self.vmas.range(start..end).map(|(&s, _)| s).collect();
        for s in doomed {
            self.vmas.remove(&s);
        }
        space.unmap(start, len).map_err(platform_err)
    }

    fn overlaps_vma(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
    }

    fn protect(
        &mut self,
        space: &mut dyn AddressSpace,
        start: u64,
        len: u64,
        prot: Prot,
    ) -> Result<(), Errno> {
        if !start.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let len = round_up(len).ok_or(Errno::ENOMEM)?;
        if len == 0 {
            return Ok(());
        }
        let end = start.checked_add(len).ok_or(Errno::ENOMEM)?;
        // Like Linux, change the mapped run that starts at `start` and report ENOMEM
        // if a hole cuts it short (the pages before the hole keep their new protection).
        let mut cur = start;
        for v in self
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > start)
            .map(|(_, v)| v)
        {
            if v.start > cur {
                break;
            }
            cur = v.end.min(end);
        }
        if cur == start {
            return Err(Errno::ENOMEM);
        }
        self.split_at(start);
        self.split_at(cur);
        if prot.write {
            self.privatize(space, start, cur)?;
        }
        for (_, v) in self.vmas.range_mut(start..cur) {
            v.prot = prot;
        }
        space
            .protect(start, cur - start, prot)
            .map_err(platform_err)?;
        if cur < end {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// Moves the program break, as brk(2): returns the new break, or the old one if the
    /// request cannot be satisfied.
    fn set_brk(&mut self, space: &mut dyn AddressSpace, want: u64) -> u64 {
        if want < self.brk_start {
            return self.brk;
        }
        let old_top = round_up(self.brk).unwrap_or(self.brk);
        let new_top = match round_up(want) {
            Some(t) => t,
            None => return self.brk,
        };
        if new_top > old_top {
            let place = Placement::FixedNoReplace(old_top);
            if self
                .map_anon(
                    space,
                    place,
                    new_top - old_top,
                    Prot::RW,
                    false,
                    VmaName::Heap,
                )
                .is_err()
            {
                return self.brk;
            }
        } else if new_top < old_top && self.unmap(space, new_top, old_top - new_top).is_err() {
            return self.brk;
        }
        self.brk = want;
        self.brk
    }

    /// Walks `[addr, addr+len)` VMA by VMA, calling `f(file_offset, range_in_buffer)`;
    /// EFAULT if any byte is unmapped or lacks the needed permission.
    fn walk(
        &self,
        addr: u64,
        len: usize,
        write: bool,
        mut f: impl FnMut(u64, std::ops::Range<usize>),
    ) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        let mut cur = addr;
        while cur < end {
            let v = self
                .vmas
                .range(..=cur)
                .next_back()
                .map(|(_, v)| v)
                .filter(|v| v.end > cur)
                .ok_or(Errno::EFAULT)?;
            if (write && !v.prot.write) || (!write && !v.readable()) || v.past_eof {
                return Err(Errno::EFAULT);
            }
            let stop = v.end.min(end);
            let b = (cur - addr) as usize..(stop - addr) as usize;
            f(v.file_offset(cur), b);
            cur = stop;
        }
        Ok(())
    }

    /// Copies application memory at `addr` into `dst`.
    fn copy_in(&self, addr: u64, dst: &mut [u8]) -> Result<(), Errno> {
        let mf = &self.mf;
        self.walk(addr, dst.len(), false, |off, r| mf.read(off, &mut dst[r]))
    }

    /// Copies `src` to application memory at `addr`.
    fn copy_out(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        // Check the whole range first, so a fault leaves memory untouched.
        self.walk(addr, src.len(), true, |_, _| {})?;
        let mf = &self.mf;
        self.walk(addr, src.len(), true, |off, r| mf.write(off, &src[r]))
    }

    /// Copies as much of `src` as fits before the first inaccessible byte; EFAULT only
    /// if nothing could be copied (read(2) returns a short count at a fault).
    fn copy_out_partial(&self, addr: u64, src: &[u8]) -> Result<usize, Errno> {
        let n = self.accessible(addr, src.len(), true);
        if n == 0 && !src.is_empty() {
            return Err(Errno::EFAULT);
        }
        self.copy_out(addr, &src[..n])?;
        Ok(n)
    }

    fn copy_in_partial(&self, addr: u64, dst: &mut [u8]) -> Result<usize, Errno> {
        let n = self.accessible(addr, dst.len(), false);
        if n == 0 && !dst.is_empty() {
            return Err(Errno::EFAULT);
        }
        self.copy_in(addr, &mut dst[..n])?;
        Ok(n)
    }

    /// How many bytes from `addr` (up to `len`) are mapped with the needed access.
    fn accessible(&self, addr: u64, len: usize, write: bool) -> usize {
        let end = addr.saturating_add(len as u64);
        let mut cur = addr;
        while cur < end {
            match self.vma_at(cur) {
                Some(v) if !v.past_eof && ((write && v.prot.write) || (!write && v.readable())) => {
                    cur = v.end.min(end)
                }
                _ => break,
            }
        }
        (cur - addr) as usize
    }

    /// Writes into application memory ignoring page protections (loader, stack setup).
    fn poke(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        let mf = &self.mf;
        let end = addr.checked_add(src.len() as u64).ok_or(Errno::EFAULT)?;
        let mut cur = addr;
        while cur < end {
            let v = self
                .vmas
                .range(..=cur)
                .next_back()
                .map(|(_, v)| v)
                .filter(|v| v.end > cur && !v.cow_shared)
                .ok_or(Errno::EFAULT)?;
            let stop = v.end.min(end);
            mf.write(
                v.file_offset(cur),
                &src[(cur - addr) as usize..(stop - addr) as usize],
            );
            cur = stop;
        }
        Ok(())
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    /// ENAMETOOLONG if no NUL is found within `max` bytes.
    fn copy_in_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut cur = addr;
        while out.len() < max {
            let page_left = (PAGE_SIZE - cur % PAGE_SIZE) as usize;
            let n = page_left.min(max - out.len());
            let v = self
                .vmas
                .range(..=cur)
                .next_back()
                .map(|(_, v)| v)
                .filter(|v| v.end > cur && v.readable())
                .ok_or(Errno::EFAULT)?;
            let off = v.file_offset(cur);
            if let Some(i) = self.mf.find_nul(off, n) {
                let start = out.len();
                out.resize(start + i, 0);
                self.mf.read(off, &mut out[start..]);
                return Ok(out);
            }
            let start = out.len();
            out.resize(start + n, 0);
            self.mf.read(off, &mut out[start..]);
            cur = cur.checked_add(n as u64).ok_or(Errno::EFAULT)?;
        }
        Err(Errno::ENAMETOOLONG)
    }

    /// A copy for a forked child: private memory is copied now (no copy-on-write yet),
    /// shared memory stays shared. The copy is not mapped anywhere until
    /// [`MemoryManager::map_all`].
    fn fork(&self) -> Result<Layout, Errno> {
        let mut vmas = BTreeMap::new();
        // Private VMAs that share a chunk keep sharing one new chunk in the child.
        let mut copied: Vec<(*const Chunk, Arc<Chunk>)> = Vec::new();
        for v in self.vmas.values() {
            let mut nv = v.clone();
            if !v.shared && !v.cow_shared {
                let key = Arc::as_ptr(&v.chunk);
                let nc = match copied.iter().find(|(k, _)| *k == key) {
                    Some((_, c)) => c.clone(),
                    None => {
                        let c = Chunk::new(&self.mf, v.chunk.len)?;
                        copied.push((key, c.clone()));
                        c
                    }
                };
                self.mf.copy_populated(
                    v.file_offset(v.start),
                    nc.off + v.chunk_off,
                    v.end - v.start,
                );
                nv.chunk = nc;
            }
            vmas.insert(nv.start, nv);
        }
        Ok(Layout {
            mf: self.mf.clone(),
            vmas,
            user_lo: self.user_lo,
            user_hi: self.user_hi,
            mmap_top: self.mmap_top,
            reserved: self.reserved.clone(),
            brk_start: self.brk_start,
            brk: self.brk,
        })
    }

    /// Maps every VMA into a fresh platform address space.
    fn map_all(&self, space: &mut dyn AddressSpace) -> Result<(), Errno> {
        for v in self.vmas.values() {
            let prot = if v.past_eof { Prot::NONE } else { v.prot };
            space
                .map(v.start, v.end - v.start, prot, v.file_offset(v.start))
                .map_err(platform_err)?;
        }
        Ok(())
    }

    /// Makes `[start, start+len)` (inside one file mapping) fault with SIGBUS.
    fn mark_past_eof(
        &mut self,
        space: &mut dyn AddressSpace,
        start: u64,
        len: u64,
    ) -> Result<(), Errno> {
        let end = start.checked_add(len).ok_or(Errno::EINVAL)?;
        self.split_at(start);
        self.split_at(end);
        for (_, v) in self.vmas.range_mut(start..end) {
            v.past_eof = true;
        }
        space.protect(start, len, Prot::NONE).map_err(platform_err)
    }

    fn vma_at(&self, addr: u64) -> Option<&Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| v.end > addr)
    }

    /// Reads application memory ignoring page protections.
    fn peek(&self, addr: u64, dst: &mut [u8]) -> Result<(), Errno> {
        let end = addr.checked_add(dst.len() as u64).ok_or(Errno::EFAULT)?;
        let mut cur = addr;
        while cur < end {
            let v = self.vma_at(cur).ok_or(Errno::EFAULT)?;
            let stop = v.end.min(end);
            self.mf.read(
                v.file_offset(cur),
                &mut dst[(cur - addr) as usize..(stop - addr) as usize],
            );
            cur = stop;
        }
        Ok(())
    }

    /// The memory-file offset backing `addr`, for futex keys: the same physical word
    /// has the same key in every address space that maps it.
    fn translate(&self, addr: u64) -> Result<u64, Errno> {
        let v = self
            .vma_at(addr)
            .filter(|v| v.readable())
            .ok_or(Errno::EFAULT)?;
        Ok(v.file_offset(addr))
    }
}

/// One application address space, shared by the threads (and vfork children) using it.
///
/// Every method takes the internal lock for its own duration only, so calls can nest
/// in one expression. Changes are applied to the platform address space under the
/// write lock, through the calling task's own context.
pub struct MemoryManager {
    inner: RwLock<Layout>,
}

fn poisoned<T>(_: T) -> Errno {
    Errno::EFAULT
}

impl MemoryManager {
    pub fn new(mf: Arc<MemoryFile>, user: (u64, u64), reserved: Vec<(u64, u64)>) -> MemoryManager {
        MemoryManager {
            inner: RwLock::new(Layout::new(mf, user, reserved)),
        }
    }

    fn r(&self) -> Result<RwLockReadGuard<'_, Layout>, Errno> {
        self.inner.read().map_err(poisoned)
    }

    fn w(&self) -> Result<RwLockWriteGuard<'_, Layout>, Errno> {
        self.inner.write().map_err(poisoned)
    }

    pub fn stack_top(&self) -> u64 {
        STACK_TOP
    }

    pub fn memory_file(&self) -> Result<Arc<MemoryFile>, Errno> {
        Ok(self.r()?.mf.clone())
    }

    /// A snapshot of the VMAs, in address order.
    pub fn vmas(&self) -> Vec<Vma> {
        self.r()
            .map(|l| l.vmas.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn vma_at(&self, addr: u64) -> Option<Vma> {
        self.r().ok()?.vma_at(addr).cloned()
    }

    pub fn brk(&self) -> (u64, u64) {
        self.r().map(|l| (l.brk_start, l.brk)).unwrap_or((0, 0))
    }

    /// Sets where the heap starts (the loader calls this once).
    pub fn set_brk_base(&self, base: u64) -> Result<(), Errno> {
        let mut l = self.w()?;
        l.brk_start = base;
        l.brk = base;
        Ok(())
    }

    pub fn map_anon(
        &self,
        space: &mut dyn AddressSpace,
        place: Placement,
        len: u64,
        prot: Prot,
        shared: bool,
        name: VmaName,
    ) -> Result<u64, Errno> {
        self.w()?.map_anon(space, place, len, prot, shared, name)
    }

    pub fn unmap(&self, space: &mut dyn AddressSpace, start: u64, len: u64) -> Result<(), Errno> {
        self.w()?.unmap(space, start, len)
    }

    pub fn protect(
        &self,
        space: &mut dyn AddressSpace,
        start: u64,
        len: u64,
        prot: Prot,
    ) -> Result<(), Errno> {
        self.w()?.protect(space, start, len, prot)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn map_shared_image(
        &self,
        space: &mut dyn AddressSpace,
        addr: u64,
        len: u64,
        prot: Prot,
        chunk: &Arc<Chunk>,
        chunk_off: u64,
        name: VmaName,
    ) -> Result<(), Errno> {
        self.w()?
            .map_shared_image(space, addr, len, prot, chunk, chunk_off, name)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn map_private_copy(
        &self,
        space: &mut dyn AddressSpace,
        addr: u64,
        len: u64,
        prot: Prot,
        src: &Arc<Chunk>,
        src_off: u64,
        name: VmaName,
    ) -> Result<(), Errno> {
        self.w()?
            .map_private_copy(space, addr, len, prot, src, src_off, name)
    }

    /// A free range of `len` bytes in the mmap area.
    pub fn find_free(&self, len: u64) -> Result<u64, Errno> {
        self.r()?.find_free(len, 0)
    }

    pub fn move_range(
        &self,
        space: &mut dyn AddressSpace,
        old: u64,
        len: u64,
        new: u64,
    ) -> Result<(), Errno> {
        self.w()?.move_range(space, old, len, new)
    }

    /// Whether every page of `[start, start+len)` is mapped (by one or more adjacent
    /// VMAs; Linux would have merged them into one).
    pub fn is_mapped(&self, start: u64, len: u64) -> bool {
        let Ok(l) = self.r() else { return false };
        let end = start.saturating_add(len);
        let mut cur = start;
        while cur < end {
            match l.vma_at(cur) {
                Some(v) => cur = v.end,
                None => return false,
            }
        }
        true
    }

    /// Whether `[start, start+len)` is free (no VMA, not reserved, in range).
    pub fn is_free(&self, start: u64, len: u64) -> bool {
        self.r().is_ok_and(|l| {
            l.valid_range(start, len)
                .is_some_and(|end| !l.overlaps(start, end))
        })
    }

    pub fn discard(&self, start: u64, len: u64) -> Result<(), Errno> {
        let end = start.checked_add(len).ok_or(Errno::ENOMEM)?;
        self.r()?.discard(start, end)
    }

    pub fn mark_past_eof(
        &self,
        space: &mut dyn AddressSpace,
        start: u64,
        len: u64,
    ) -> Result<(), Errno> {
        self.w()?.mark_past_eof(space, start, len)
    }

    pub fn set_brk(&self, space: &mut dyn AddressSpace, want: u64) -> u64 {
        match self.w() {
            Ok(mut l) => l.set_brk(space, want),
            Err(_) => 0,
        }
    }

    pub fn copy_in(&self, addr: u64, dst: &mut [u8]) -> Result<(), Errno> {
        self.r()?.copy_in(addr, dst)
    }

    pub fn copy_out(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        self.r()?.copy_out(addr, src)
    }

    pub fn poke(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        self.r()?.poke(addr, src)
    }

    /// Copies the accessible prefix of `src`; returns its length (EFAULT if none).
    pub fn copy_out_partial(&self, addr: u64, src: &[u8]) -> Result<usize, Errno> {
        self.r()?.copy_out_partial(addr, src)
    }

    /// Fills the accessible prefix of `dst`; returns its length (EFAULT if none).
    pub fn copy_in_partial(&self, addr: u64, dst: &mut [u8]) -> Result<usize, Errno> {
        self.r()?.copy_in_partial(addr, dst)
    }

    pub fn peek(&self, addr: u64, dst: &mut [u8]) -> Result<(), Errno> {
        self.r()?.peek(addr, dst)
    }

    pub fn copy_in_vec(&self, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut v = vec![0u8; len];
        self.copy_in(addr, &mut v)?;
        Ok(v)
    }

    pub fn copy_in_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        self.r()?.copy_in_cstr(addr, max)
    }

    pub fn read_u64(&self, addr: u64) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        self.copy_in(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn read_u32(&self, addr: u64) -> Result<u32, Errno> {
        let mut b = [0u8; 4];
        self.copy_in(addr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u64(&self, addr: u64, v: u64) -> Result<(), Errno> {
        self.copy_out(addr, &v.to_le_bytes())
    }

    pub fn write_u32(&self, addr: u64, v: u32) -> Result<(), Errno> {
        self.copy_out(addr, &v.to_le_bytes())
    }

    pub fn translate(&self, addr: u64) -> Result<u64, Errno> {
        self.r()?.translate(addr)
    }

    /// A copy for a forked child: private memory copied, shared memory shared.
    pub fn fork(&self) -> Result<MemoryManager, Errno> {
        Ok(MemoryManager {
            inner: RwLock::new(self.r()?.fork()?),
        })
    }

    pub fn map_all(&self, space: &mut dyn AddressSpace) -> Result<(), Errno> {
        self.r()?.map_all(space)
    }
}
