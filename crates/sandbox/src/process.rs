//! Facts about a sandbox process seen from the host: is it (still) the process we
//! started, and how did it end.

use std::path::Path;

/// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat) and
/// whether it is a zombie; `None` when there is no such process.
pub fn stat(pid: i32) -> Option<(u64, bool)> {
    stat_at(Path::new("/proc"), pid)
}

fn stat_at(proc_root: &Path, pid: i32) -> Option<(u64, bool)> {
    if pid <= 0 {
        return None;
    }
    let text = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    parse_stat(&text)
}

/// Parses the fields after the command name, which may itself contain spaces and
/// parentheses.
fn parse_stat(text: &str) -> Option<(u64, bool)> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
    let state = fields.first()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((start, matches!(*state, "Z" | "X")))
}

/// True when `pid` is alive (not a zombie) and started at `start_time`.
pub fn is_alive(pid: i32, start_time: u64) -> bool {
    matches!(stat(pid), Some((start, false)) if start == start_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_with_parentheses_and_zombies() {
        let line = "42 (moat (x) y) Z 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777 0 0";
        assert_eq!(parse_stat(line), Some((777, true)));
        let line = "7 (sh) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 12345 1 2";
        assert_eq!(parse_stat(line), Some((12345, false)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = std::process::id() as i32;
        let (start, zombie) = stat(me).expect("own stat");
        assert!(!zombie);
        assert!(is_alive(me, start));
        assert!(!is_alive(me, start + 1));
        assert!(!is_alive(0, start));
    }
}
