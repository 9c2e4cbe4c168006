//! `rhopt`: robust pose-graph optimisation from the command line.
//!
//! Exit codes: 0 converged; 1 an error that is not the input's fault (e.g. the output could not
//! be written); 2 bad input or usage; 3 the solver stopped without converging (the best estimate
//! is still written when `-o` is given).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use rhopt::factor::BetweenError;
use rhopt::generate::{manhattan_world, ManhattanOptions};
use rhopt::io::{build_problem, read_g2o, write_atomically, write_g2o, PoseGraph};
use rhopt::solver::{Algorithm, Damping, IterationRecord, Solver, SolverOptions, Summary};

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
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// Output g2o file (initial guess = noisy odometry).
    #[arg(short, long)]
    output: PathBuf,
    /// Number of poses.
    #[arg(long, default_value_t = 1000)]
    poses: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the true poses here, one `x y theta` line per vertex.
    #[arg(long)]
    ground_truth: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    /// Gauss-Newton.
    Gn,
    /// Levenberg-Marquardt.
    Lm,
}

#[derive(Clone, Copy, ValueEnum)]
enum ErrorArg {
    /// g2o's edge errors (what the file's information matrices weigh).
    G2o,
    /// Tangent-space error Log(Z⁻¹·Xi⁻¹·Xj), as GTSAM and the Rust peers use.
    Logmap,
}

#[derive(Clone, Copy, ValueEnum)]
enum DampingArg {
    /// D = diag(H), kept at its largest value so far (Marquardt / MINPACK scaling).
    Marquardt,
    /// D = I (Levenberg, as g2o).
    Levenberg,
}

#[derive(clap::Args)]
struct SolveArgs {
    /// Input g2o file.
    input: PathBuf,
    /// Write the optimised graph here (never the input file).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Nonlinear solver.
    #[arg(long, value_enum, default_value = "lm")]
    algorithm: AlgorithmArg,
    /// Iteration limit.
    #[arg(long, default_value_t = SolverOptions::default().max_iterations)]
    max_iterations: usize,
    /// Levenberg-Marquardt damping scaling.
    #[arg(long, value_enum, default_value = "marquardt")]
    damping: DampingArg,
    /// Relative-pose error definition.
    #[arg(long, value_enum, default_value = "g2o")]
    error: ErrorArg,
    /// Worker threads for linearisation (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Write a JSON summary here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Print the per-iteration log.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn input(message: impl ToString) -> Self {
        Self {
            code: 2,
            message: message.to_string(),
        }
    }
    fn runtime(message: impl ToString) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Solve(args) => solve(&args),
        Command::Generate(args) => generate(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("rhopt: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn solve(args: &SolveArgs) -> Result<u8, Failure> {
    if let Some(out) = &args.output {
        if same_file(&args.input, out) {
            return Err(Failure::input(format!(
                "{}: refusing to overwrite the input file; choose another -o",
                out.display()
            )));
        }
    }
    let load_start = std::time::Instant::now();
    let graph = read_g2o(&args.input).map_err(Failure::input)?;
    let error = match args.error {
        ErrorArg::G2o => BetweenError::G2o,
        ErrorArg::Logmap => BetweenError::LogMap,
    };
    let mut pose_graph = build_problem(graph, error);
    let load_time = load_start.elapsed();
    if !args.quiet {
        for w in &pose_graph.graph.warnings {
            eprintln!(
                "rhopt: warning: {}:{}: {}",
                args.input.display(),
                w.line,
                w.message
            );
        }
    }

    let options = SolverOptions {
        algorithm: match args.algorithm {
            AlgorithmArg::Gn => Algorithm::GaussNewton,
            AlgorithmArg::Lm => Algorithm::LevenbergMarquardt,
        },
        max_iterations: args.max_iterations,
        damping: match args.damping {
            DampingArg::Marquardt => Damping::Marquardt,
            DampingArg::Levenberg => Damping::Levenberg,
        },
        threads: args.threads,
        ..SolverOptions::default()
    };
    if args.verbose {
        println!(
            "{:>4} {:>14} {:>11} {:>10} {:>10} {:>9} {:>8} {:>5}",
            "iter", "cost", "cost_change", "|gradient|", "|step|", "lambda", "time_s", "step"
        );
    }
    let verbose = args.verbose;
    let summary = Solver::new(options)
        .solve_with_observer(&mut pose_graph.problem, |r: &IterationRecord| {
            if verbose {
                println!(
                    "{:>4} {:>14.8e} {:>11.4e} {:>10.4e} {:>10.4e} {:>9.2e} {:>8.4} {:>5}",
                    r.iteration,
                    r.cost,
                    r.cost_change,
                    r.gradient_norm,
                    r.step_norm,
                    r.lambda,
                    r.time.as_secs_f64(),
                    if r.accepted { "ok" } else { "rej" }
                );
            }
        })
        .map_err(Failure::runtime)?;

    if let Some(out) = &args.output {
        let graph = pose_graph.to_g2o();
        write_atomically(out, |w| write_g2o(&graph, w))
            .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", out.display())))?;
    }
    if let Some(path) = &args.json {
        let json = summary_json(&pose_graph, &summary, load_time);
        let text = serde_json::to_string_pretty(&json).map_err(Failure::runtime)?;
        write_atomically(path, |w| writeln!(w, "{text}"))
            .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", path.display())))?;
    }
    if !args.quiet {
        println!(
            "{}: {} vertices, {} edges; chi2 {:.10e} -> {:.10e} in {} iterations ({}), {:.3} s",
            args.input.display(),
            pose_graph.vertex_ids.len(),
            pose_graph.graph.edges.len(),
            summary.initial_chi2,
            summary.final_chi2,
            summary.iterations,
            summary.termination,
            summary.times.total.as_secs_f64()
        );
    }
    Ok(if summary.converged() { 0 } else { 3 })
}

fn generate(args: &GenerateArgs) -> Result<u8, Failure> {
    if args.poses < 2 {
        return Err(Failure::input("--poses must be at least 2"));
    }
    let options = ManhattanOptions {
        poses: args.poses,
        seed: args.seed,
        ..Default::default()
    };
    let generated = manhattan_world(&options);
    write_atomically(&args.output, |w| write_g2o(&generated.graph, w))
        .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", args.output.display())))?;
    if let Some(path) = &args.ground_truth {
        write_atomically(path, |w| {
            for x in &generated.ground_truth {
                let t = x.translation();
                writeln!(w, "{} {} {}", t.x, t.y, x.angle())?;
            }
            Ok(())
        })
        .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", path.display())))?;
    }
    Ok(0)
}

fn summary_json(graph: &PoseGraph, s: &Summary, load: Duration) -> serde_json::Value {
    let t = &s.times;
    serde_json::json!({
        "vertices": graph.vertex_ids.len(),
        "edges": graph.graph.edges.len(),
        "warnings": graph.graph.warnings.len(),
        "initialised_from_edges": graph.initialised_from_edges,
        "initial_chi2": s.initial_chi2,
        "final_chi2": s.final_chi2,
        "initial_cost": s.initial_cost,
        "final_cost": s.final_cost,
        "iterations": s.iterations,
        "converged": s.converged(),
        "termination": s.termination.as_str(),
        "time_s": {
            "load": load.as_secs_f64(),
            "total": t.total.as_secs_f64(),
            "analyse": t.analyse.as_secs_f64(),
            "linearize": t.linearize.as_secs_f64(),
            "assemble": t.assemble.as_secs_f64(),
            "factorize_solve": t.factorize_solve.as_secs_f64(),
            "evaluate": t.evaluate.as_secs_f64(),
        },
    })
}
