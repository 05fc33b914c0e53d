//! The `compel` command: a thin shell over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use compel::cli;

mod alloc;

#[derive(Parser)]
#[command(name = "compel", version, about = "Check, evaluate and format AI governance policies written in compel")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, resolve and type-check policies; evaluate what declared facts decide.
    Check(cli::check::Args),
    /// Decide gates, KPIs and policies against metrics.
    Eval(Box<cli::eval::Args>),
    /// What a change does to the governance: `compel diff BASE [PATH...]` or `compel diff OLD_DIR NEW_DIR`.
    Diff(Box<cli::diff::Args>),
    /// Write a starter project: `compel init [DIR]`.
    Init(cli::init::Args),
    /// Compile KPIs and gates into Prometheus recording and alerting rules.
    Compile(cli::compile::Args),
    /// Write the executive portfolio page: one self-contained HTML file.
    Report(Box<cli::report::Args>),
    /// Evaluate on an interval and serve every decision: /metrics, /status, /report.
    Serve(Box<cli::serve::Args>),
    /// Format files in the canonical layout.
    Fmt(cli::fmt::Args),
    /// Run the `test` blocks of policy files.
    Test(cli::test::Args),
    /// Start the language server on standard input and output.
    #[cfg(feature = "lsp")]
    Lsp,
    /// Print the long explanation of a diagnostic code, e.g. `compel explain E0301`.
    Explain(cli::explain::Args),
}

/// mimalloc instead of the system allocator: checking and evaluating build
/// many small values, and it makes `compel check` about a third faster on
/// large projects (docs/performance.md).
#[global_allocator]
static ALLOC: alloc::Mimalloc = alloc::Mimalloc;

/// The stack of the thread that runs a command: deep (but bounded)
/// expressions recurse through the parser, the checker and the evaluator,
/// and a debug build's frames are large. Only the pages used are committed.
const STACK: usize = 256 << 20;

fn main() -> ExitCode {
    let args = Cli::parse();
    let run = std::thread::Builder::new().stack_size(STACK).spawn(move || run(args));
    match run.map(|t| t.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // No thread could be started: the machine cannot run the command.
        Err(_) => ExitCode::from(2),
    }
}

fn run(args: Cli) -> ExitCode {
    if !long_running(&args.command) {
        alloc::keep_freed_memory();
    }
    let code = match args.command {
        Command::Check(a) => cli::check::run(a),
        Command::Eval(a) => cli::eval::run(*a),
        Command::Diff(a) => cli::diff::run(*a),
        Command::Init(a) => cli::init::run(a),
        Command::Compile(a) => cli::compile::run(a),
        Command::Report(a) => cli::report::run(*a),
        Command::Serve(a) => cli::serve::run(*a),
        Command::Fmt(a) => cli::fmt::run(a),
        Command::Test(a) => cli::test::run(a),
        #[cfg(feature = "lsp")]
        Command::Lsp => cli::lsp::run(),
        Command::Explain(a) => cli::explain::run(a),
    };
    exit_now(code)
}

/// Whether the command runs until it is stopped (the language server,
/// `compel serve`): it hands the memory it frees back to the system. The
/// others end within seconds and keep it ([`alloc::keep_freed_memory`]).
fn long_running(command: &Command) -> bool {
    match command {
        Command::Serve(_) => true,
        #[cfg(feature = "lsp")]
        Command::Lsp => true,
        _ => false,
    }
}

/// Ends the process with `code` from the thread that ran the command.
///
/// Whatever the command wrote is flushed first. Ending here leaves out what
/// returning would do and the command no longer needs: unwinding the
/// command's thread (its allocator's per-thread state handed back, its stack
/// given back page by page) and the allocator's clean-up at exit
/// ([`alloc::exit_quickly`]): a few milliseconds after a large
/// evaluation's report was written.
fn exit_now(code: cli::Exit) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().lock().flush();
    let _ = std::io::stderr().lock().flush();
    alloc::exit_quickly(code as i32)
}
