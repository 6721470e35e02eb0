//! Parsing of 64-bit little-endian x86-64 ELF headers. Every field is read with bounds
//! checks: the file comes from the application's filesystem and may be anything.

use abi::Errno;

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
const EM_X86_64: u16 = 62;
const PHENT_SIZE: usize = 56;
const MAX_PHNUM: usize = 512;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

#[derive(Clone, Debug)]
pub struct Elf {
    pub kind: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phdrs: Vec<ProgramHeader>,
}

fn u16_at(b: &[u8], off: usize) -> Result<u16, Errno> {
    b.get(off..off + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(Errno::ENOEXEC)
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, Errno> {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(Errno::ENOEXEC)
}

fn u64_at(b: &[u8], off: usize) -> Result<u64, Errno> {
    b.get(off..off + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or(Errno::ENOEXEC)
}

impl Elf {
    /// Parses the headers. ENOEXEC for anything that is not a loadable x86-64 ELF.
    pub fn parse(data: &[u8]) -> Result<Elf, Errno> {
        if data.len() < 64 || &data[0..4] != b"\x7fELF" {
            return Err(Errno::ENOEXEC);
        }
        if data[4] != 2 || data[5] != 1 {
            return Err(Errno::ENOEXEC);
        }
        let kind = u16_at(data, 16)?;
        if kind != ET_EXEC && kind != ET_DYN {
            return Err(Errno::ENOEXEC);
        }
        if u16_at(data, 18)? != EM_X86_64 {
            return Err(Errno::ENOEXEC);
        }
        let entry = u64_at(data, 24)?;
        let phoff = u64_at(data, 32)?;
        let phentsize = u16_at(data, 54)? as usize;
        let phnum = u16_at(data, 56)? as usize;
        if phentsize != PHENT_SIZE || phnum == 0 || phnum > MAX_PHNUM {
            return Err(Errno::ENOEXEC);
        }
        let base = usize::try_from(phoff).map_err(|_| Errno::ENOEXEC)?;
        let mut phdrs = Vec::with_capacity(phnum);
        for i in 0..phnum {
            let o = base.checked_add(i * PHENT_SIZE).ok_or(Errno::ENOEXEC)?;
            phdrs.push(ProgramHeader {
                kind: u32_at(data, o)?,
                flags: u32_at(data, o + 4)?,
                offset: u64_at(data, o + 8)?,
                vaddr: u64_at(data, o + 16)?,
                filesz: u64_at(data, o + 32)?,
                memsz: u64_at(data, o + 40)?,
            });
        }
        Ok(Elf {
            kind,
            entry,
            phoff,
            phdrs,
        })
    }

    pub fn loads(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.phdrs.iter().filter(|p| p.kind == PT_LOAD)
    }

    /// The interpreter path (PT_INTERP), if the binary is dynamically linked.
    pub fn interp<'a>(&self, data: &'a [u8]) -> Result<Option<&'a [u8]>, Errno> {
        let Some(p) = self.phdrs.iter().find(|p| p.kind == PT_INTERP) else {
            return Ok(None);
        };
        let start = usize::try_from(p.offset).map_err(|_| Errno::ENOEXEC)?;
        let len = usize::try_from(p.filesz).map_err(|_| Errno::ENOEXEC)?;
        let s = data
            .get(start..start.checked_add(len).ok_or(Errno::ENOEXEC)?)
            .ok_or(Errno::ENOEXEC)?;
        let s = s.split(|&b| b == 0).next().unwrap_or(s);
        if s.is_empty() {
            return Err(Errno::ENOEXEC);
        }
        Ok(Some(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        assert_eq!(Elf::parse(b"#!/bin/sh\n").unwrap_err(), Errno::ENOEXEC);
        let mut h = vec![0u8; 64];
        h[0..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[16] = 2;
        h[18] = 62;
        h[32] = 64; // phoff
        h[54] = 56;
        h[56] = 200; // phnum beyond the file
        assert_eq!(Elf::parse(&h).unwrap_err(), Errno::ENOEXEC);
    }

    #[test]
    fn parses_own_test_binary() {
        // The test binary itself is an x86-64 ELF.
        let data = std::fs::read("/proc/self/exe").unwrap();
        let elf = Elf::parse(&data).unwrap();
        assert!(elf.loads().count() >= 2);
    }
}
