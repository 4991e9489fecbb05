//! `packaging dist|rpm|deb`, run by `cargo xtask dist|rpm|deb`.

use std::path::PathBuf;
use std::process::ExitCode;

use packaging::dist::{self, DistOptions};
use packaging::workspace::Workspace;
use packaging::{BEST_COMPRESSION, FAST_COMPRESSION, Format};

const USAGE: &str = "usage: cargo xtask dist [--profile NAME] [--no-build] [--out DIR]
       cargo xtask rpm [--fast] [--out DIR]
       cargo xtask deb [--fast] [--out DIR]

  dist   build mcpctl, mcpd, mcplocal (when it has a binary) and the plugins under plugins/
         with the `packaged` profile (--profile dev for a quick build) and stage them, stripped,
         with completions, systemd units and the default config into DIR/root
         (default target/dist)
  rpm    write DIR/mcpctl-VERSION-1.ARCH.rpm from DIR/root
  deb    write DIR/mcpctl_VERSION-1_ARCH.deb from DIR/root
         --fast: gzip level 1 instead of 9 (for tests)
";

struct Args {
    task: String,
    profile: Option<String>,
    build: bool,
    fast: bool,
    out: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        task: args.first().cloned().unwrap_or_default(),
        profile: None,
        build: true,
        fast: false,
        out: None,
    };
    let mut rest = args.iter().skip(1);
    while let Some(arg) = rest.next() {
        let mut value = |flag: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--profile" if parsed.task == "dist" => parsed.profile = Some(value("--profile")?),
            "--no-build" if parsed.task == "dist" => parsed.build = false,
            "--fast" if parsed.task != "dist" => parsed.fast = true,
            "--out" => parsed.out = Some(PathBuf::from(value("--out")?)),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn run(args: &Args) -> Result<(), String> {
    let ws = Workspace::discover().map_err(|e| e.to_string())?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| dist::default_out_dir(&ws));
    let level = if args.fast {
        FAST_COMPRESSION
    } else {
        BEST_COMPRESSION
    };
    let format = match args.task.as_str() {
        "dist" => {
            let profile = args.profile.as_deref().unwrap_or(dist::DEFAULT_PROFILE);
            let mut options = DistOptions::new(&ws, profile);
            options.out_dir = out_dir;
            options.build = args.build;
            let staged = dist::dist(&ws, &options).map_err(|e| e.to_string())?;
            for note in &ws.notes {
                println!("note: {note}");
            }
            println!(
                "staged {} (profile {}); stripped sizes:",
                staged.root.display(),
                options.profile
            );
            for file in &staged.elf_files {
                println!(
                    "  {:<48} {:>11} bytes  {:>10}",
                    file.path,
                    file.size,
                    mib(file.size)
                );
            }
            return Ok(());
        }
        "rpm" => Format::Rpm,
        "deb" => Format::Deb,
        "" | "-h" | "--help" => {
            print!("{USAGE}");
            return Ok(());
        }
        other => return Err(format!("unknown task {other:?}\n{USAGE}")),
    };
    let path = packaging::package(&ws, &out_dir, format, level).map_err(|e| e.to_string())?;
    let size = std::fs::metadata(&path)
        .map(|m| m.len())
        .unwrap_or_default();
    println!("wrote {}: {size} bytes ({})", path.display(), mib(size));
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args).and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("packaging: error: {message}");
            ExitCode::FAILURE
        }
    }
}
