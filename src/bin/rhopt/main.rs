//! `rhopt`: robust pose-graph optimisation from the command line.
//!
//! Exit codes: 0 converged; 1 an error that is not the input's fault (e.g. the output could not
//! be written, or its directory does not exist); 2 bad input or usage (including an empty output
//! file name, an output that is an input file or a directory, or one file named for two
//! outputs); 3 the solver stopped without converging (the best estimate is still written when
//! `-o` is given). Output paths are checked before any work, and every file is written
//! atomically: a failure never leaves a partial file or touches an input.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use corrupt::CorruptArgs;
use eval::EvalArgs;
use generate::GenerateArgs;
use solve::SolveArgs;

#[derive(Parser)]
#[command(
    name = "rhopt",
    version,
    about = "Robust sparse nonlinear least squares for SLAM"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Optimise a g2o pose graph (2D or 3D).
    Solve(SolveArgs),
    /// Generate a synthetic Manhattan-world 2D pose graph with known ground truth.
    Generate(GenerateArgs),
    /// Append false loop closures (Vertigo protocol); their indices go to OUTPUT.outliers.
    Corrupt(CorruptArgs),
    /// Trajectory error (ATE, RPE) against a reference, and outlier precision/recall.
    Eval(EvalArgs),
}

/// `println!` that ignores a closed stdout (e.g. `rhopt solve -v | head`) instead of panicking:
/// the solve and its output files matter more than the console.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod corrupt;
mod eval;
mod generate;
mod solve;

/// A failure with its exit code.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn input(message: impl ToString) -> Self {
        Self {
            code: 2,
            message: message.to_string(),
        }
    }
    pub(crate) fn runtime(message: impl ToString) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Solve(args) => solve::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Corrupt(args) => corrupt::run(&args),
        Command::Eval(args) => eval::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            say_err!("rhopt: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Checks every output path before any work is done, so that a long solve is not wasted and an
/// input is never overwritten: `outputs` are (option name, path) pairs, `inputs` the files read.
///
/// Exit code 2 (usage) for an empty name, an output that is an input file, an existing
/// directory, or a path given for two outputs; exit code 1 when the output's directory does not
/// exist (as for any other write failure).
pub(crate) fn check_outputs(inputs: &[&Path], outputs: &[(&str, &Path)]) -> Result<(), Failure> {
    for (index, &(option, path)) in outputs.iter().enumerate() {
        if path.as_os_str().is_empty() {
            return Err(Failure::input(format!("{option}: empty file name")));
        }
        if inputs.iter().any(|input| same_file(input, path)) {
            return Err(Failure::input(format!(
                "{}: refusing to overwrite an input file; choose another {option}",
                path.display()
            )));
        }
        if path.is_dir() {
            return Err(Failure::input(format!(
                "{}: is a directory; {option} needs a file name",
                path.display()
            )));
        }
        if let Some((other, _)) = outputs[..index]
            .iter()
            .find(|(_, earlier)| *earlier == path || same_file(earlier, path))
        {
            return Err(Failure::input(format!(
                "{}: named for both {other} and {option}",
                path.display()
            )));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent.filter(|p| !p.is_dir()) {
            return Err(Failure::runtime(format!(
                "{}: cannot write: directory {} does not exist",
                path.display(),
                parent.display()
            )));
        }
    }
    Ok(())
}

/// Writes `path` atomically (see [`rhopt::io::write_atomically`]), as a runtime failure naming
/// the file if it cannot be written.
pub(crate) fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Failure> {
    rhopt::io::write_atomically(path, write)
        .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", path.display())))
}
