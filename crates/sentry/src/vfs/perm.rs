//! Unix permission checks, as Linux does them for a task without capabilities other
//! than root's DAC override.

use super::inode::{FileType, Stat};
use super::path::Creds;
use abi::Errno;

pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

/// Whether `creds` may access an object with metadata `st` for `mask` (MAY_* bits).
pub fn check(st: &Stat, creds: &Creds, mask: u32) -> Result<(), Errno> {
    let mask = mask & 7;
    if creds.uid == 0 {
        // Root passes everything but executing a file that has no x bit at all.
        let is_dir = st.file_type() == Some(FileType::Directory);
        if mask & MAY_EXEC != 0 && !is_dir && st.mode & 0o111 == 0 {
            return Err(Errno::EACCES);
        }
        return Ok(());
    }
    let bits = if st.uid == creds.uid {
        (st.mode >> 6) & 7
    } else if st.gid == creds.gid || creds.groups.contains(&st.gid) {
        (st.mode >> 3) & 7
    } else {
        st.mode & 7
    };
    if bits & mask == mask {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// The sticky-directory rule: in a directory with S_ISVTX only the owner of an entry
/// (or of the directory, or root) may remove or rename it.
pub fn sticky(dir: &Stat, victim: &Stat, creds: &Creds) -> Result<(), Errno> {
    if dir.mode & 0o1000 != 0 && creds.uid != 0 && creds.uid != victim.uid && creds.uid != dir.uid {
        return Err(Errno::EPERM);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(mode: u32, uid: u32, gid: u32) -> Stat {
        Stat {
            mode,
            uid,
            gid,
            ..Stat::default()
        }
    }

    #[test]
    fn owner_group_other_and_root() {
        let user = Creds {
            uid: 1000,
            gid: 1000,
            ..Creds::root()
        };
        assert!(check(&st(0o100600, 1000, 0), &user, MAY_READ | MAY_WRITE).is_ok());
        assert_eq!(
            check(&st(0o100060, 1000, 1000), &user, MAY_READ),
            Err(Errno::EACCES)
        );
        assert!(check(&st(0o100040, 0, 1000), &user, MAY_READ).is_ok());
        assert!(check(&st(0o100004, 0, 0), &user, MAY_READ).is_ok());
        assert_eq!(
            check(&st(0o100004, 0, 0), &user, MAY_WRITE),
            Err(Errno::EACCES)
        );
        let root = Creds::root();
        assert!(check(&st(0o100000, 5, 5), &root, MAY_READ | MAY_WRITE).is_ok());
        assert_eq!(
            check(&st(0o100644, 0, 0), &root, MAY_EXEC),
            Err(Errno::EACCES)
        );
        assert!(check(&st(0o100744, 5, 5), &root, MAY_EXEC).is_ok());
        assert!(check(&st(0o040000, 5, 5), &root, MAY_EXEC).is_ok());
    }
}
