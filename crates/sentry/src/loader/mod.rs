//! Loading an ELF executable into a fresh address space and building the initial
//! stack (argv, envp, auxv), as Linux's `binfmt_elf` does.
//!
//! Static and static-PIE binaries load directly; a dynamically linked binary also gets
//! its interpreter (PT_INTERP) loaded, and starts there.

pub mod elf;

use crate::mm::{round_up, Chunk, MemoryFile, MemoryManager, Placement, VmaName, PAGE_SIZE};
use crate::vfs::{ExecKey, Executable};
use abi::Errno;
use elf::{Elf, ET_DYN, PT_PHDR};
use platform::{AddressSpace, PlatformError, Prot};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Where position-independent main programs are loaded.
const PIE_BASE: u64 = 0x5555_5555_4000;
const STACK_SIZE: u64 = 8 << 20;
/// Limit on argv+envp bytes, as Linux's (1/4 of the default 8 MiB stack).
pub const ARG_MAX: usize = 2 << 20;

/// An address space that ignores changes: images are built on it before the platform
/// context exists (or before execve's point of no return), then mapped wholesale.
pub struct Unmapped;

impl AddressSpace for Unmapped {
    fn map(&mut self, _: u64, _: u64, _: Prot, _: u64) -> Result<(), PlatformError> {
        Ok(())
    }
    fn unmap(&mut self, _: u64, _: u64) -> Result<(), PlatformError> {
        Ok(())
    }
    fn protect(&mut self, _: u64, _: u64, _: Prot) -> Result<(), PlatformError> {
        Ok(())
    }
}

/// What the loader produced: where to start and with which stack.
#[derive(Debug)]
pub struct Image {
    pub entry: u64,
    pub sp: u64,
}

/// Credentials placed in the auxiliary vector.
#[derive(Clone, Copy, Debug, Default)]
pub struct AuxIds {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

struct Loaded {
    bias: u64,
    entry: u64,
    phdr: u64,
    phnum: u64,
    end: u64,
}

fn seg_prot(flags: u32) -> Prot {
    Prot {
        read: flags & 4 != 0,
        write: flags & 2 != 0,
        exec: flags & 1 != 0,
    }
}

/// One ELF object as it lies in memory once loaded, ready to be mapped at any bias:
/// the bytes of its whole span in a chunk of the memory file, and the protection of
/// each run of pages. Read-only runs are shared by every process that maps the image;
/// writable runs are copied.
pub struct ObjectImage {
    kind: u16,
    /// Lowest page of the span (link-time address).
    lo: u64,
    span: u64,
    entry: u64,
    /// Link-time address of the program headers, if mapped.
    phdr: Option<u64>,
    phnum: u64,
    /// One past the highest link-time address.
    end: u64,
    /// The interpreter path (PT_INTERP), for dynamically linked programs.
    pub interp: Option<Vec<u8>>,
    chunk: Arc<Chunk>,
    /// (offset in span, length, protection), page-aligned, in address order.
    runs: Vec<(u64, u64, Prot)>,
}

impl ObjectImage {
    /// Lays `data` (a whole ELF file) out in a fresh chunk of the memory file.
    pub fn build(mf: &Arc<MemoryFile>, data: &[u8]) -> Result<ObjectImage, Errno> {
        let elf = Elf::parse(data)?;
        let mut lo = u64::MAX;
        let mut hi = 0u64;
        for p in elf.loads() {
            if p.filesz > p.memsz {
                return Err(Errno::ENOEXEC);
            }
            lo = lo.min(p.vaddr & !(PAGE_SIZE - 1));
            hi = hi.max(p.vaddr.checked_add(p.memsz).ok_or(Errno::ENOEXEC)?);
        }
        if lo == u64::MAX {
            return Err(Errno::ENOEXEC);
        }
        let span = round_up(hi - lo).ok_or(Errno::ENOEXEC)?;
        if span > 1 << 40 {
            return Err(Errno::ENOMEM);
        }
        let chunk = Chunk::new(mf, span)?;
        let pages = (span / PAGE_SIZE) as usize;
        let mut prot = vec![Prot::NONE; pages];
        for p in elf.loads() {
            let off = usize::try_from(p.offset).map_err(|_| Errno::ENOEXEC)?;
            let len = usize::try_from(p.filesz).map_err(|_| Errno::ENOEXEC)?;
            let bytes = data
                .get(off..off.checked_add(len).ok_or(Errno::ENOEXEC)?)
                .ok_or(Errno::ENOEXEC)?;
            chunk.write(p.vaddr - lo, bytes)?;
            let first = ((p.vaddr & !(PAGE_SIZE - 1)) - lo) / PAGE_SIZE;
            let last = (round_up(p.vaddr + p.memsz).ok_or(Errno::ENOEXEC)? - lo) / PAGE_SIZE;
            let sp = seg_prot(p.flags);
            for page in prot.iter_mut().take(last as usize).skip(first as usize) {
                // A page shared by two segments gets both protections, as Linux's
                // overlapping mappings effectively do.
                *page = Prot {
                    read: page.read | sp.read,
                    write: page.write | sp.write,
                    exec: page.exec | sp.exec,
                };
            }
        }
        let mut runs: Vec<(u64, u64, Prot)> = Vec::new();
        for (i, p) in prot.iter().enumerate() {
            let off = i as u64 * PAGE_SIZE;
            match runs.last_mut() {
                Some((s, l, q)) if *q == *p && *s + *l == off => *l += PAGE_SIZE,
                _ => runs.push((off, PAGE_SIZE, *p)),
            }
        }
        let phdr = match elf.phdrs.iter().find(|p| p.kind == PT_PHDR) {
            Some(p) => Some(p.vaddr),
            None => elf
                .loads()
                .find(|p| p.offset <= elf.phoff && elf.phoff < p.offset + p.filesz)
                .map(|p| p.vaddr + (elf.phoff - p.offset)),
        };
        Ok(ObjectImage {
            kind: elf.kind,
            lo,
            span,
            entry: elf.entry,
            phdr,
            phnum: elf.phdrs.len() as u64,
            end: hi,
            interp: elf.interp(data)?.map(|s| s.to_vec()),
            chunk,
            runs,
        })
    }

    /// Maps the image into `mm`: at its link address (ET_EXEC), at `bias`, or
    /// anywhere free (`None`, for the interpreter).
    fn map(&self, mm: &MemoryManager, bias: Option<u64>, name: &str) -> Result<Loaded, Errno> {
        let start = match (self.kind, bias) {
            (ET_DYN, Some(b)) => b,
            (ET_DYN, None) => mm.find_free(self.span)?,
            _ => self.lo,
        };
        let bias = start.wrapping_sub(self.lo);
        for &(off, len, prot) in &self.runs {
            let vma = VmaName::File(name.to_string());
            if prot.write {
                mm.map_private_copy(&mut Unmapped, start + off, len, prot, &self.chunk, off, vma)?;
            } else {
                mm.map_shared_image(&mut Unmapped, start + off, len, prot, &self.chunk, off, vma)?;
            }
        }
        Ok(Loaded {
            bias,
            entry: bias.wrapping_add(self.entry),
            phdr: self.phdr.map_or(0, |p| bias.wrapping_add(p)),
            phnum: self.phnum,
            end: bias.wrapping_add(self.end),
        })
    }
}

/// Loaded images by file identity, so that running the same program again maps memory
/// that is already laid out (and shares its read-only pages) instead of reading and
/// copying the file.
#[derive(Default)]
pub struct ImageCache {
    inner: Mutex<CachedImages>,
}

#[derive(Default)]
struct CachedImages {
    by_key: HashMap<ExecKey, Arc<ObjectImage>>,
    /// Insertion order, for eviction.
    order: VecDeque<ExecKey>,
}

/// How many images stay cached; the oldest goes first.
const CACHED_IMAGES: usize = 64;

impl ImageCache {
    pub fn get_or_build(
        &self,
        mf: &Arc<MemoryFile>,
        exe: &Executable,
    ) -> Result<Arc<ObjectImage>, Errno> {
        if let Some(img) = self
            .inner
            .lock()
            .ok()
            .and_then(|c| c.by_key.get(&exe.key).cloned())
        {
            return Ok(img);
        }
        let img = Arc::new(ObjectImage::build(mf, &exe.read_all()?)?);
        if let Ok(mut c) = self.inner.lock() {
            if c.by_key.insert(exe.key, img.clone()).is_none() {
                c.order.push_back(exe.key);
            }
            while c.order.len() > CACHED_IMAGES {
                if let Some(old) = c.order.pop_front() {
                    c.by_key.remove(&old);
                }
            }
        }
        Ok(img)
    }
}

/// Loads a program image (and its interpreter's, if it has one) into `mm`, which must
/// be empty, and builds the stack. `exe_path` becomes AT_EXECFN.
#[allow(clippy::too_many_arguments)]
pub fn load(
    mm: &MemoryManager,
    main_image: &ObjectImage,
    interp: Option<&ObjectImage>,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    exe_path: &[u8],
    ids: AuxIds,
) -> Result<Image, Errno> {
    let name = String::from_utf8_lossy(exe_path).into_owned();
    let main = main_image.map(mm, Some(PIE_BASE), &name)?;
    let brk = round_up(main.end).ok_or(Errno::ENOEXEC)?;
    mm.set_brk_base(brk)?;
    let (entry, base) = match interp {
        Some(i) => {
            if i.kind != ET_DYN {
                return Err(Errno::ELIBBAD);
            }
            let l = i.map(mm, None, "ld.so")?;
            (l.entry, l.bias)
        }
        None => (main.entry, 0),
    };
    let top = mm.stack_top();
    mm.map_anon(
        &mut Unmapped,
        Placement::Fixed(top - STACK_SIZE),
        STACK_SIZE,
        Prot::RW,
        false,
        VmaName::Stack,
    )?;
    let aux = [
        (3, main.phdr),  // AT_PHDR
        (4, 56),         // AT_PHENT
        (5, main.phnum), // AT_PHNUM
        (6, PAGE_SIZE),  // AT_PAGESZ
        (7, base),       // AT_BASE
        (8, 0),          // AT_FLAGS
        (9, main.entry), // AT_ENTRY
        (11, ids.uid as u64),
        (12, ids.euid as u64),
        (13, ids.gid as u64),
        (14, ids.egid as u64),
        (16, hwcap()), // AT_HWCAP
        (17, 100),     // AT_CLKTCK
        (23, 0),       // AT_SECURE
        (26, 0),       // AT_HWCAP2: no FSGSBASE, TLS goes through arch_prctl
    ];
    let sp = build_stack(mm, top, argv, envp, exe_path, &aux)?;
    Ok(Image { entry, sp })
}

/// The x86 feature bits (CPUID.1:EDX) that Linux reports as AT_HWCAP.
fn hwcap() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        let r = std::arch::x86_64::__cpuid(1);
        r.edx as u64
    }
}

/// Writes strings, auxv, envp, argv and argc below `top`; returns the initial rsp.
fn build_stack(
    mm: &MemoryManager,
    top: u64,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    exe_path: &[u8],
    aux: &[(u64, u64)],
) -> Result<u64, Errno> {
    let total: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum::<usize>() + exe_path.len();
    if total > ARG_MAX {
        return Err(Errno::E2BIG);
    }
    let mut sp = top;
    let push_bytes = |sp: &mut u64, b: &[u8]| -> Result<u64, Errno> {
        *sp -= b.len() as u64 + 1;
        mm.poke(*sp, b)?;
        mm.poke(*sp + b.len() as u64, &[0])?;
        Ok(*sp)
    };
    let execfn = push_bytes(&mut sp, exe_path)?;
    let mut env_ptrs = Vec::with_capacity(envp.len());
    for e in envp.iter().rev() {
        env_ptrs.push(push_bytes(&mut sp, e)?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::with_capacity(argv.len());
    for a in argv.iter().rev() {
        arg_ptrs.push(push_bytes(&mut sp, a)?);
    }
    arg_ptrs.reverse();
    let platform = push_bytes(&mut sp, b"x86_64")?;
    sp -= 16;
    let random = sp;
    let mut rnd = [0u8; 16];
    rustix::rand::getrandom(&mut rnd, rustix::rand::GetRandomFlags::empty())
        .map_err(|_| Errno::EIO)?;
    mm.poke(random, &rnd)?;

    let mut words: Vec<u64> = Vec::new();
    words.push(argv.len() as u64);
    words.extend(&arg_ptrs);
    words.push(0);
    words.extend(&env_ptrs);
    words.push(0);
    for &(k, v) in aux {
        words.extend([k, v]);
    }
    words.extend([25, random, 31, execfn, 15, platform, 0, 0]); // AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL
    sp &= !15;
    let bytes = words.len() as u64 * 8;
    sp -= bytes;
    sp &= !15;
    let mut buf = Vec::with_capacity(bytes as usize);
    for w in &words {
        buf.extend_from_slice(&w.to_le_bytes());
    }
    mm.poke(sp, &buf)?;
    Ok(sp)
}
