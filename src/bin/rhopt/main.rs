//! `rhopt`: robust pose-graph optimisation from the command line.
//!
//! Exit codes: 0 converged; 1 an error that is not the input's fault (e.g. the output could not
//! be written); 2 bad input or usage; 3 the solver stopped without converging (the best estimate
//! is still written when `-o` is given).

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

/// Refuses an output path that is the input file itself.
pub(crate) fn refuse_to_overwrite(input: &Path, output: &Path) -> Result<(), Failure> {
    let same = match (input.canonicalize(), output.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Failure::input(format!(
            "{}: refusing to overwrite the input file; choose another output",
            output.display()
        )));
    }
    Ok(())
}
