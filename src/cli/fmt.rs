//! `compel fmt PATH... [--check]` and `compel fmt -`.

use std::io::Read;
use std::path::PathBuf;

use super::{collect_paths, io_reason, use_color, Exit, Unusable};
use crate::diag::{render, Code};
use crate::text::{Files, SourceFile};

/// Arguments of `compel fmt`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or folders; `-` formats standard input to standard output.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Rewrite nothing: list the files that would change and exit 1 if any
    /// (with `-`: print `<stdin>` instead of the text if it would change).
    #[arg(long)]
    pub check: bool,
}

/// Runs `compel fmt`.
pub fn run(args: Args) -> Exit {
    if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("{}", Unusable::input(format!("cannot read standard input: {}", io_reason(&e))));
            return Exit::Error;
        }
        return match crate::fmt::format_source(&text) {
            // `--check -`: say whether standard input would change, print no text.
            Ok(out) if args.check => {
                if out == text {
                    Exit::Success
                } else {
                    super::print_out("<stdin>\n");
                    Exit::Blocked
                }
            }
            Ok(out) => {
                super::print_out(&out);
                Exit::Success
            }
            Err(diags) => {
                report(&["<stdin>".to_string()], &[text], &diags);
                Exit::Blocked
            }
        };
    }
    let paths = match collect_paths(&args.paths) {
        Ok(p) => p,
        Err(unusable) => {
            eprintln!("{unusable}");
            return Exit::Error;
        }
    };
    let mut result = Exit::Success;
    let mut changed = 0;
    for path in &paths {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let unusable = if e.kind() == std::io::ErrorKind::InvalidData {
                    Unusable { code: Some(Code::NotUtf8), message: format!("`{path}` is not valid UTF-8") }
                } else {
                    Unusable::input(format!("cannot read `{path}`: {}", io_reason(&e)))
                };
                eprintln!("{unusable}");
                result = Exit::Error;
                continue;
            }
        };
        match crate::fmt::format_source(&text) {
            Ok(out) if out == text => {}
            Ok(out) => {
                changed += 1;
                if args.check {
                    super::print_out(&format!("{path}\n"));
                    if result == Exit::Success {
                        result = Exit::Blocked;
                    }
                } else if let Err(e) = std::fs::write(path, out) {
                    eprintln!("error: cannot write `{path}`: {}", io_reason(&e));
                    result = Exit::Error;
                }
            }
            Err(diags) => {
                report(std::slice::from_ref(path), &[text], &diags);
                eprintln!("`{path}` was not formatted: fix the syntax errors first");
                if result == Exit::Success {
                    result = Exit::Blocked;
                }
            }
        }
    }
    if !args.check && changed > 0 {
        eprintln!("formatted {changed} file{}", if changed == 1 { "" } else { "s" });
    }
    result
}

fn report(paths: &[String], texts: &[String], diags: &[crate::diag::Diagnostic]) {
    let mut files = Files::new();
    for (p, t) in paths.iter().zip(texts) {
        files.add(SourceFile::new(p.clone(), t.clone()));
    }
    eprint!("{}", render::terminal(&files, diags, use_color() && std::io::IsTerminal::is_terminal(&std::io::stderr())));
}
