//! `moat list`: every container under `--root`, as a table or JSON.

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::{runtime, GlobalOpts};

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only the ids.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(g: &GlobalOpts, args: ListArgs) -> anyhow::Result<i32> {
    let listing = runtime(g)
        .and_then(|rt| Ok(rt.list()?))
        .context("listing containers")?;
    for s in &listing.skipped {
        tracing::warn!("skipping {:?}: {}", s.id, s.error);
    }
    let states: Vec<_> = listing.containers.iter().map(|c| c.oci_state()).collect();
    if args.quiet {
        for s in &states {
            println!("{}", s.id);
        }
        return Ok(0);
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&states)?),
        Format::Table => {
            let rows: Vec<[String; 6]> = states
                .iter()
                .map(|s| {
                    [
                        s.id.clone(),
                        s.pid.to_string(),
                        s.status.to_string(),
                        s.bundle.display().to_string(),
                        s.created.clone(),
                        s.owner.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], &rows)
            );
        }
    }
    Ok(0)
}

/// Left-aligned columns separated by at least three spaces, as runc prints them.
fn table(header: [&str; 6], rows: &[[String; 6]]) -> String {
    let mut widths = header.map(str::len);
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<width$}   ", width = widths[i]));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]].map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn columns_line_up() {
        let rows = [[
            "web".to_string(),
            "42".into(),
            "running".into(),
            "/b".into(),
            "t".into(),
            "root".into(),
        ]];
        let t = table(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], &rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "ID    PID   STATUS    BUNDLE   CREATED   OWNER");
        assert_eq!(lines[1], "web   42    running   /b       t         root");
    }
}
