//! Tests of the VFS over real host directories: overlay copy-up, whiteouts, merged
//! listings, renames, and the path walk's symlink and ".." rules.

use super::*;
use crate::vfs::context::oflags as O;
use abi::Errno;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "moat-vfs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn fd(&self) -> OwnedFd {
        std::fs::File::open(&self.0).unwrap().into()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A host tree: a (file "lower"), d/x (file "x"), l -> a, abs -> /d, loop1 <-> loop2.
fn host_tree() -> TempDir {
    let t = TempDir::new();
    let p = t.path();
    std::fs::write(p.join("a"), "lower").unwrap();
    std::fs::create_dir(p.join("d")).unwrap();
    std::fs::write(p.join("d/x"), "x").unwrap();
    std::os::unix::fs::symlink("a", p.join("l")).unwrap();
    std::os::unix::fs::symlink("/d", p.join("abs")).unwrap();
    std::os::unix::fs::symlink("loop2", p.join("loop1")).unwrap();
    std::os::unix::fs::symlink("loop1", p.join("loop2")).unwrap();
    std::os::unix::fs::symlink("../../../../../../etc/passwd", p.join("escape")).unwrap();
    // Mount points for the sentry's own filesystems, as a rootfs has them.
    for d in ["dev", "tmp", "proc"] {
        std::fs::create_dir(p.join(d)).unwrap();
    }
    t
}

fn read_all(fs: &FsContext, path: &str) -> Result<Vec<u8>, Errno> {
    let f = fs.open(&Creds::root(), None, path.as_bytes(), O::RDONLY, 0)?;
    let mut out = Vec::new();
    f.read_into(1 << 20, None, |_, d| {
        out.extend_from_slice(d);
        Ok(d.len())
    })?;
    Ok(out)
}

fn write_file(fs: &FsContext, path: &str, flags: u32, data: &[u8]) -> Result<(), Errno> {
    let f = fs.open(
        &Creds::root(),
        None,
        path.as_bytes(),
        O::WRONLY | flags,
        0o644,
    )?;
    let n = f.write_from(data.len(), None, |off, buf| {
        let l = buf.len();
        buf.copy_from_slice(&data[off..off + l]);
        Ok(l)
    })?;
    assert_eq!(n, data.len());
    Ok(())
}

fn names(fs: &FsContext, path: &str) -> Vec<String> {
    let d = fs
        .lookup(&Creds::root(), None, path.as_bytes(), true)
        .unwrap();
    let mut v: Vec<String> = d
        .inode
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8_lossy(&e.name).into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn overlay_copy_up_leaves_host_untouched() {
    let host = host_tree();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    assert_eq!(read_all(&fs, "/a").unwrap(), b"lower");
    assert_eq!(read_all(&fs, "/l").unwrap(), b"lower", "relative symlink");
    write_file(&fs, "/a", O::TRUNC, b"upper!").unwrap();
    assert_eq!(read_all(&fs, "/a").unwrap(), b"upper!");
    assert_eq!(std::fs::read(host.path().join("a")).unwrap(), b"lower");
    // Appending goes to the copy as well.
    write_file(&fs, "/d/x", O::APPEND, b"yz").unwrap();
    assert_eq!(read_all(&fs, "/d/x").unwrap(), b"xyz");
    assert_eq!(std::fs::read(host.path().join("d/x")).unwrap(), b"x");
    // chmod copies up metadata only in memory.
    fs.setattr(
        &Creds::root(),
        None,
        b"/d/x",
        true,
        &SetAttr {
            mode: Some(0o600),
            ..SetAttr::default()
        },
    )
    .unwrap();
    assert_eq!(
        fs.stat(&Creds::root(), None, b"/d/x", true).unwrap().mode & 0o7777,
        0o600
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(host.path().join("d/x"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o644
    );
}

#[test]
fn overlay_whiteouts_and_merged_listing() {
    let host = host_tree();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    let c = Creds::root();
    fs.unlink(&c, None, b"/a", false).unwrap();
    assert_eq!(read_all(&fs, "/a"), Err(Errno::ENOENT));
    assert_eq!(read_all(&fs, "/l"), Err(Errno::ENOENT), "dangling now");
    write_file(&fs, "/b", libc::O_CREAT as u32, b"new").unwrap();
    assert_eq!(
        names(&fs, "/"),
        ["abs", "b", "d", "dev", "escape", "l", "loop1", "loop2", "proc", "tmp"]
    );
    assert!(host.path().join("a").exists());
    assert!(!host.path().join("b").exists());
    // A file re-created over a whiteout does not show the lower content.
    write_file(&fs, "/a", libc::O_CREAT as u32, b"").unwrap();
    assert_eq!(read_all(&fs, "/a").unwrap(), b"");
    // Directories: not empty, then emptied and removed, then re-made empty.
    assert_eq!(fs.unlink(&c, None, b"/d", true), Err(Errno::ENOTEMPTY));
    fs.unlink(&c, None, b"/d/x", false).unwrap();
    fs.unlink(&c, None, b"/d", true).unwrap();
    fs.mkdir(&c, None, b"/d", 0o755).unwrap();
    assert!(
        names(&fs, "/d").is_empty(),
        "a new directory hides the old lower one"
    );
    assert!(host.path().join("d/x").exists());
}

#[test]
fn overlay_renames_move_lower_objects() {
    let host = host_tree();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    let c = Creds::root();
    fs.rename(&c, None, b"/d", None, b"/e", 0).unwrap();
    assert_eq!(read_all(&fs, "/e/x").unwrap(), b"x");
    assert_eq!(fs.stat(&c, None, b"/d", true), Err(Errno::ENOENT));
    fs.rename(&c, None, b"/a", None, b"/e/a2", 0).unwrap();
    assert_eq!(read_all(&fs, "/e/a2").unwrap(), b"lower");
    assert_eq!(names(&fs, "/e"), ["a2", "x"]);
    assert_eq!(
        fs.rename(&c, None, b"/e", None, b"/e/sub", 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        fs.rename(&c, None, b"/e/x", None, b"/e/a2", 1),
        Err(Errno::EEXIST)
    );
    assert!(host.path().join("d/x").exists() && host.path().join("a").exists());
    assert!(!host.path().join("e").exists());
}

#[test]
fn path_walk_symlinks_and_dotdot_stay_inside() {
    let host = host_tree();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    let c = Creds::root();
    assert_eq!(
        fs.lookup(&c, None, b"/loop1", true).err(),
        Some(Errno::ELOOP)
    );
    assert!(fs.lookup(&c, None, b"/loop1", false).is_ok());
    assert_eq!(
        read_all(&fs, "/../../../a").unwrap(),
        b"lower",
        ".. stops at the root"
    );
    assert_eq!(
        read_all(&fs, "/abs/x").unwrap(),
        b"x",
        "absolute links resolve in the container"
    );
    assert_eq!(
        read_all(&fs, "/escape").err(),
        Some(Errno::ENOENT),
        "no way out through .."
    );
    assert_eq!(
        fs.lookup(&c, None, b"/a/", true).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.lookup(&c, None, b"/a/b", true).err(),
        Some(Errno::ENOTDIR)
    );
    let long = format!("/{}", "n".repeat(256));
    assert_eq!(
        fs.lookup(&c, None, long.as_bytes(), true).err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert_eq!(fs.lookup(&c, None, b"", true).err(), Some(Errno::ENOENT));
    let d = fs.lookup(&c, None, b"/d", true).unwrap();
    assert_eq!(d.path_string(), "/d");
    let dev = fs.lookup(&c, None, b"/d/../dev/null", true).unwrap();
    assert_eq!(dev.path_string(), "/dev/null");
    assert_eq!(
        fs.lookup(&c, None, b"/dev/..", true).unwrap().path_string(),
        "/"
    );
    // O_NOFOLLOW on a symlink, O_DIRECTORY on a file.
    assert_eq!(
        fs.open(&c, None, b"/l", O::RDONLY | O::NOFOLLOW, 0).err(),
        Some(Errno::ELOOP)
    );
    assert_eq!(
        fs.open(&c, None, b"/a", O::RDONLY | O::DIRECTORY, 0).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        fs.open(&c, None, b"/d", O::WRONLY, 0).err(),
        Some(Errno::EISDIR)
    );
}

#[test]
fn executables_need_a_regular_file_with_x() {
    let host = host_tree();
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(host.path().join("prog"), b"\x7fELF").unwrap();
    std::fs::set_permissions(
        host.path().join("prog"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    let exe = open_executable(&fs, b"/prog").unwrap();
    assert_eq!(exe.read_all().unwrap(), b"\x7fELF");
    assert_eq!(exe.read_head(2).unwrap(), b"\x7fE");
    assert_eq!(exe.path, "/prog");
    assert_eq!(open_executable(&fs, b"/a").err(), Some(Errno::EACCES));
    assert_eq!(open_executable(&fs, b"/d").err(), Some(Errno::EACCES));
    assert_eq!(open_executable(&fs, b"/nope").err(), Some(Errno::ENOENT));
}

#[test]
fn sentry_filesystems_need_their_mount_points() {
    let t = TempDir::new();
    std::fs::create_dir(t.path().join("tmp")).unwrap();
    let fs = new_container_fs(t.fd(), true, Vec::new()).unwrap();
    let c = Creds::root();
    assert!(fs.lookup(&c, None, b"/tmp", true).is_ok());
    assert_eq!(
        fs.lookup(&c, None, b"/dev", true).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        fs.lookup(&c, None, b"/proc", true).err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn tmp_and_dev_are_sentry_filesystems() {
    let host = host_tree();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    write_file(&fs, "/tmp/f", libc::O_CREAT as u32, b"hi").unwrap();
    assert_eq!(read_all(&fs, "/tmp/f").unwrap(), b"hi");
    assert!(
        !host.path().join("tmp/f").exists(),
        "a tmpfs write reached the host"
    );
    assert_eq!(read_all(&fs, "/dev/null").unwrap(), b"");
    let st = fs.stat(&Creds::root(), None, b"/dev/zero", true).unwrap();
    assert_eq!(st.file_type(), Some(FileType::CharDev));
    assert_eq!(st.rdev, (1 << 8) | 5);
    // Renames across mounts are EXDEV.
    assert_eq!(
        fs.rename(&Creds::root(), None, b"/tmp/f", None, b"/f", 0),
        Err(Errno::EXDEV)
    );
}

#[test]
fn readonly_host_mount_and_direct_hostfs() {
    let host = host_tree();
    let data = TempDir::new();
    std::fs::write(data.path().join("in"), "data").unwrap();
    let m = crate::HostMount {
        dest: "/data".into(),
        dir: data.fd(),
        readonly: true,
    };
    let fs = new_container_fs(host.fd(), true, vec![m]).unwrap();
    assert_eq!(read_all(&fs, "/data/in").unwrap(), b"data");
    assert_eq!(write_file(&fs, "/data/in", 0, b"x"), Err(Errno::EROFS));
    assert_eq!(
        write_file(&fs, "/data/new", libc::O_CREAT as u32, b"x"),
        Err(Errno::EROFS)
    );
    // Without the overlay the root is the host directory itself.
    let direct = new_container_fs(host.fd(), false, Vec::new()).unwrap();
    write_file(&direct, "/made", libc::O_CREAT as u32, b"host").unwrap();
    assert_eq!(std::fs::read(host.path().join("made")).unwrap(), b"host");
}

#[test]
fn fd_table_lowest_free_and_limit() {
    let t = FdTable::default();
    let (r, w) = crate::fs::pipe::new_pipe(0, 0, 0);
    assert_eq!(t.install(r.clone(), false), Ok(0));
    assert_eq!(t.install(w.clone(), true), Ok(1));
    assert_eq!(t.install(r.clone(), false), Ok(2));
    t.remove(1).unwrap();
    assert_eq!(t.install(w.clone(), false), Ok(1));
    assert_eq!(t.get(-1).err(), Some(Errno::EBADF));
    assert_eq!(t.get(99).err(), Some(Errno::EBADF));
    t.set_limit(4);
    assert_eq!(t.install(w.clone(), false), Ok(3));
    assert_eq!(t.install(w.clone(), false).err(), Some(Errno::EMFILE));
    t.set_cloexec(3, true).unwrap();
    let mut child = t.fork();
    child.close_on_exec();
    assert!(child.get(3).is_err() && t.get(3).is_ok());
}

#[test]
fn renames_move_live_dentries_and_exchange_swaps() {
    let host = host_tree();
    let mut fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    let c = Creds::root();
    fs.mkdir(&c, None, b"/d/in", 0o755).unwrap();
    fs.chdir(&c, b"/d/in").unwrap();
    fs.rename(&c, None, b"/d", None, b"/moved", 0).unwrap();
    assert_eq!(
        fs.cwd_path(),
        b"/moved/in",
        "cwd follows its parent's rename"
    );
    fs.rename(&c, None, b"/moved/in", None, b"/in2", 0).unwrap();
    assert_eq!(fs.cwd_path(), b"/in2");
    // Exchange a file and a directory.
    write_file(&fs, "/f", libc::O_CREAT as u32, b"file").unwrap();
    fs.rename(&c, None, b"/f", None, b"/in2", 2).unwrap();
    assert_eq!(read_all(&fs, "/in2").unwrap(), b"file");
    assert_eq!(
        fs.stat(&c, None, b"/f", true).unwrap().file_type(),
        Some(FileType::Directory)
    );
    assert_eq!(
        fs.cwd_path(),
        b"/f",
        "the exchanged directory keeps being the cwd"
    );
    assert_eq!(
        fs.rename(&c, None, b"/f", None, b"/none", 2),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        fs.rename(&c, None, b"/f", None, b"/in2", 3),
        Err(Errno::EINVAL)
    );
    // Removing the cwd is seen.
    fs.chdir(&c, b"/").unwrap();
    assert_eq!(fs.cwd_path(), b"/");
}

#[test]
fn flock_conflicts_between_descriptions() {
    use crate::fs::lock::{try_flock, Op};
    let host = host_tree();
    let fs = new_container_fs(host.fd(), true, Vec::new()).unwrap();
    let a = fs.open(&Creds::root(), None, b"/a", O::RDONLY, 0).unwrap();
    let b = fs.open(&Creds::root(), None, b"/a", O::RDONLY, 0).unwrap();
    try_flock(&a, Op::Shared).unwrap();
    try_flock(&b, Op::Shared).unwrap();
    assert_eq!(try_flock(&b, Op::Exclusive), Err(Errno::EAGAIN));
    try_flock(&a, Op::Unlock).unwrap();
    try_flock(&b, Op::Exclusive).unwrap();
    assert_eq!(try_flock(&a, Op::Shared), Err(Errno::EAGAIN));
    drop(b);
    try_flock(&a, Op::Exclusive).unwrap();
}

#[test]
fn direct_hostfs_writes_reach_the_host_directory() {
    use std::os::unix::fs::PermissionsExt;
    let host = host_tree();
    let fs = new_container_fs(host.fd(), false, Vec::new()).unwrap();
    let c = Creds::root();
    let p = host.path();
    fs.mkdir(&c, None, b"/nd", 0o750).unwrap();
    assert!(p.join("nd").is_dir());
    write_file(&fs, "/nd/f", libc::O_CREAT as u32, b"12345").unwrap();
    fs.rename(&c, None, b"/nd/f", None, b"/nd/g", 0).unwrap();
    assert_eq!(std::fs::read(p.join("nd/g")).unwrap(), b"12345");
    fs.link(&c, None, b"/nd/g", None, b"/nd/h", false).unwrap();
    assert_eq!(std::fs::metadata(p.join("nd/h")).unwrap().len(), 5);
    fs.symlink(&c, b"g", None, b"/nd/s").unwrap();
    assert_eq!(fs.readlink(&c, None, b"/nd/s").unwrap(), b"g");
    assert_eq!(read_all(&fs, "/nd/s").unwrap(), b"12345");
    let trunc = SetAttr {
        size: Some(2),
        ..SetAttr::default()
    };
    fs.setattr(&c, None, b"/nd/g", true, &trunc).unwrap();
    assert_eq!(std::fs::read(p.join("nd/h")).unwrap(), b"12");
    let chmod = SetAttr {
        mode: Some(0o600),
        ..SetAttr::default()
    };
    fs.setattr(&c, None, b"/nd/g", true, &chmod).unwrap();
    assert_eq!(
        std::fs::metadata(p.join("nd/g"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // A symlink is never followed by the host: chmod through one acts on its target
    // inside the tree, and links pointing out of the tree resolve inside it.
    assert_eq!(read_all(&fs, "/escape").err(), Some(Errno::ENOENT));
    assert_eq!(fs.unlink(&c, None, b"/nd", true), Err(Errno::ENOTEMPTY));
    for n in ["/nd/g", "/nd/h", "/nd/s"] {
        fs.unlink(&c, None, n.as_bytes(), false).unwrap();
    }
    fs.unlink(&c, None, b"/nd", true).unwrap();
    assert!(!p.join("nd").exists());
    // Exchange on the host.
    write_file(&fs, "/x1", libc::O_CREAT as u32, b"one").unwrap();
    write_file(&fs, "/x2", libc::O_CREAT as u32, b"two").unwrap();
    fs.rename(&c, None, b"/x1", None, b"/x2", 2).unwrap();
    assert_eq!(std::fs::read(p.join("x1")).unwrap(), b"two");
}
