//! `compel explain CODE`

use super::Exit;
use crate::diag::{self, Code};

/// Arguments of `compel explain`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A diagnostic code such as `E0301`.
    pub code: String,
}

/// Prints a code's long explanation.
pub fn run(args: Args) -> Exit {
    match Code::parse(&args.code) {
        Some(code) => {
            super::print_out(&format!("{}: {}\n\n{}\n", code.as_str(), code.title(), code.explanation()));
            Exit::Success
        }
        None => {
            let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            eprintln!("error: there is no diagnostic code `{}`", args.code);
            match diag::did_you_mean(&args.code.to_ascii_uppercase(), all.iter().copied()) {
                Some(s) => eprintln!("help: did you mean `{s}`?"),
                None => eprintln!("help: the codes are {}", all.join(", ")),
            }
            Exit::Error
        }
    }
}
