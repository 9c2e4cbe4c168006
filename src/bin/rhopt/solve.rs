//! `rhopt solve`: optimise a g2o pose graph.

use std::path::PathBuf;
use std::time::Duration;

use clap::ValueEnum;
use rhopt::eval::{align, read_trajectory, write_tum, Alignment, Trajectory};
use rhopt::factor::BetweenError;
use rhopt::io::{
    build_problem, read_g2o_with, write_g2o, G2oError, G2oErrorKind, G2oReadOptions, PoseGraph,
    SPD_REPAIR_FLOOR,
};
use rhopt::kernel::{kernel_by_name, KERNEL_NAMES};
use rhopt::plot::{positions, render_top_view, solution_drawing, TopView};
use rhopt::solver::{
    Algorithm, Damping, GncOptions, GncSurrogate, IterationRecord, RobustScope, RobustStrategy,
    SolverOptions, Summary, Weighting, OUTLIER_WEIGHT,
};

use crate::{check_outputs, write_file, Failure};

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

#[derive(Clone, Copy, ValueEnum)]
enum GncArg {
    /// Geman-McClure.
    Gm,
    /// Truncated least squares.
    Tls,
}

#[derive(Clone, Copy, ValueEnum)]
enum WeightingArg {
    /// W = ρ'Ω.
    Irls,
    /// W = ρ'Ω + 2ρ''ΩeeᵀΩ, kept positive semi-definite.
    SecondOrder,
}

#[derive(clap::Args)]
pub(crate) struct SolveArgs {
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
    /// Initial Levenberg-Marquardt damping λ₀, relative to diag(H) with Marquardt damping and
    /// to max diag(H) with Levenberg damping. Default: 1e-8 for least squares, 1e-5 with a
    /// robust kernel, GNC or Levenberg damping.
    #[arg(long, value_parser = positive_finite)]
    initial_lambda: Option<f64>,
    /// Relative-pose error definition.
    #[arg(long, value_enum, default_value = "g2o")]
    error: ErrorArg,
    /// Worker threads for linearisation (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Robust kernel on every edge (or on the loop closures with --robust-loops-only): l2, huber,
    /// cauchy, l1, pseudo-huber, geman-mcclure, welsch, tukey, dcs, tls.
    #[arg(long, conflicts_with_all = ["gnc", "robust"])]
    kernel: Option<String>,
    /// Kernel width δ in units of the whitened residual √s (DCS: Φ = δ²). Default 1.345 for
    /// Huber, 1 otherwise.
    #[arg(long)]
    kernel_width: Option<f64>,
    /// Apply the kernel or GNC to loop closures only (edges whose ids are not consecutive).
    #[arg(long)]
    robust_loops_only: bool,
    /// Graduated non-convexity towards Geman-McClure or truncated least squares.
    #[arg(long, value_enum, conflicts_with = "robust")]
    gnc: Option<GncArg>,
    /// rhopt's default robust strategy: DCS (Φ = 1) on the loop closures (see the README).
    #[arg(long)]
    robust: bool,
    /// How the kernel enters the normal equations.
    #[arg(long, value_enum, default_value = "irls")]
    weighting: WeightingArg,
    /// Write each edge's final weight here, one `from to weight` line per edge in file order
    /// (weight < 0.5 = judged an outlier).
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Write the optimised trajectory here as TUM (`timestamp x y z qx qy qz qw`, timestamp =
    /// vertex id), readable by evo.
    #[arg(long)]
    tum: Option<PathBuf>,
    /// Draw the result here as SVG: top view (loop closures thin, those judged outliers in red)
    /// and cost per iteration.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Reference trajectory drawn under the estimate in --plot (g2o, TUM or `x y θ` lists); the
    /// estimate is aligned to it first.
    #[arg(long, requires = "plot")]
    reference: Option<PathBuf>,
    /// Write a JSON summary here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Print the per-iteration log.
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
    /// Replace each edge information matrix that is not positive definite by the nearest one
    /// (eigenvalues clamped at 1e-6 × the largest) instead of rejecting the file; every repair
    /// is reported on stderr and counted in the JSON summary.
    #[arg(long)]
    repair_information: bool,
}

pub(crate) fn run(args: &SolveArgs) -> Result<u8, Failure> {
    let inputs: Vec<&std::path::Path> = [Some(args.input.as_path()), args.reference.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("-o", &args.output),
        ("--json", &args.json),
        ("--tum", &args.tum),
        ("--plot", &args.plot),
        ("--weights", &args.weights),
    ]
    .into_iter()
    .filter_map(|(option, path)| path.as_deref().map(|p| (option, p)))
    .collect();
    check_outputs(&inputs, &outputs)?;
    let load_start = std::time::Instant::now();
    let read_options = G2oReadOptions {
        repair_information: args.repair_information,
    };
    let graph = read_g2o_with(&args.input, &read_options).map_err(read_failure)?;
    let error = match args.error {
        ErrorArg::G2o => BetweenError::G2o,
        ErrorArg::Logmap => BetweenError::LogMap,
    };
    let mut pose_graph = build_problem(graph, error);
    let load_time = load_start.elapsed();
    if !args.quiet {
        report_input_warnings(&args.input, &pose_graph);
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
        initial_lambda: args.initial_lambda,
        threads: args.threads,
        weighting: match args.weighting {
            WeightingArg::Irls => Weighting::Irls,
            WeightingArg::SecondOrder => Weighting::SecondOrder,
        },
        ..SolverOptions::default()
    };
    if args.verbose {
        say!(
            "{:>4} {:>14} {:>11} {:>10} {:>10} {:>9} {:>8} {:>5}",
            "iter",
            "cost",
            "cost_change",
            "|gradient|",
            "|step|",
            "lambda",
            "time_s",
            "step"
        );
    }
    let strategy = strategy(args)?;
    let loop_closures = pose_graph.loop_closures();
    let verbose = args.verbose;
    let summary = strategy
        .solve(
            &mut pose_graph.problem,
            &loop_closures,
            &options,
            |r: &IterationRecord| {
                if verbose {
                    say!(
                        "{:>4} {:>14.8e} {:>11.4e} {:>10.4e} {:>10.4e} {:>9.2e} {:>8.4} {:>5}",
                        r.iteration,
                        r.cost,
                        r.cost_change,
                        r.gradient_norm,
                        r.step_norm,
                        r.lambda,
                        r.time.as_secs_f64(),
                        match (r.accepted, r.singular) {
                            (true, _) => "ok",
                            (false, true) => "sing",
                            (false, false) => "rej",
                        }
                    );
                }
            },
        )
        .map_err(Failure::runtime)?;

    if let Some(out) = &args.output {
        let graph = pose_graph.to_g2o();
        write_file(out, |w| write_g2o(&graph, w))?;
    }
    if let Some(path) = &args.tum {
        let trajectory = Trajectory::from_g2o(&pose_graph.to_g2o()).map_err(Failure::runtime)?;
        write_file(path, |w| write_tum(&trajectory, w))?;
    }
    if let Some(path) = &args.plot {
        plot(&pose_graph, &summary, args.reference.as_deref(), path)?;
    }
    if let Some(path) = &args.weights {
        write_file(path, |w| {
            for (edge, weight) in pose_graph.graph.edges.iter().zip(&summary.weights) {
                writeln!(w, "{} {} {}", edge.from, edge.to, weight)?;
            }
            Ok(())
        })?;
    }
    if let Some(path) = &args.json {
        let json = summary_json(&pose_graph, &summary, &strategy, load_time);
        let text = serde_json::to_string_pretty(&json).map_err(Failure::runtime)?;
        write_file(path, |w| writeln!(w, "{text}"))?;
    }
    if !args.quiet {
        say!(
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

/// A read error as a bad-input failure; a matrix that is not positive definite also gets the
/// hint that `--repair-information` exists.
fn read_failure(error: G2oError) -> Failure {
    match error.kind() {
        Some(G2oErrorKind::NotPositiveDefinite { .. }) => Failure::input(format!(
            "{error} (--repair-information replaces such matrices by the nearest positive \
             definite one)"
        )),
        _ => Failure::input(error),
    }
}

/// Most vertex ids listed in one warning; the count says how many there are in all.
const MAX_LISTED_IDS: usize = 10;

/// `a, b, c` for at most [`MAX_LISTED_IDS`] ids, then `, ... (N in all)`.
fn id_list(ids: &[i64]) -> String {
    let shown: Vec<String> = ids
        .iter()
        .take(MAX_LISTED_IDS)
        .map(ToString::to_string)
        .collect();
    let mut list = shown.join(", ");
    if ids.len() > MAX_LISTED_IDS {
        list += &format!(", ... ({} in all)", ids.len());
    }
    list
}

/// Warnings about the input on stderr: unknown tags, repaired information matrices, and the
/// gauges added to a graph in several components.
fn report_input_warnings(input: &std::path::Path, pose_graph: &PoseGraph) {
    let input = input.display();
    for w in &pose_graph.graph.warnings {
        say_err!("rhopt: warning: {input}:{}: {}", w.line, w.message);
    }
    for r in &pose_graph.graph.repairs {
        say_err!(
            "rhopt: warning: {input}:{}: information matrix of edge {} -> {} is not positive \
             definite (smallest eigenvalue {:e}); replaced by the nearest positive definite one \
             (smallest eigenvalue {:e}, floor {SPD_REPAIR_FLOOR:e} x the largest)",
            r.line,
            r.from,
            r.to,
            r.min_eigenvalue_before,
            r.min_eigenvalue_after
        );
    }
    if pose_graph.components > 1 {
        let gauges = if pose_graph.gauge_fixed.is_empty() {
            "each has a FIX'd vertex".to_owned()
        } else {
            format!(
                "each without a FIX is held in place by fixing its lowest vertex id: {}",
                id_list(&pose_graph.gauge_fixed)
            )
        };
        say_err!(
            "rhopt: warning: {input}: the graph has {} disconnected components; {gauges}",
            pose_graph.components
        );
    }
    if !pose_graph.isolated.is_empty() {
        let n = pose_graph.isolated.len();
        say_err!(
            "rhopt: warning: {input}: {n} {} no edges and {} fixed at {} initial pose{}: {}",
            if n == 1 {
                "vertex has"
            } else {
                "vertices have"
            },
            if n == 1 { "is" } else { "are" },
            if n == 1 { "its" } else { "their" },
            if n == 1 { "" } else { "s" },
            id_list(&pose_graph.isolated)
        );
    }
}

/// `--plot`: the estimate (aligned to the reference when one is given), its loop closures with
/// the outliers in red, and the cost of every accepted iteration.
fn plot(
    graph: &PoseGraph,
    summary: &Summary,
    reference: Option<&std::path::Path>,
    path: &std::path::Path,
) -> Result<(), Failure> {
    let mut estimate = Trajectory::from_g2o(&graph.to_g2o()).map_err(Failure::runtime)?;
    let reference = reference
        .map(read_trajectory)
        .transpose()
        .map_err(Failure::input)?;
    if let Some(reference) = &reference {
        let alignment = if estimate.planar {
            Alignment::Se2
        } else {
            Alignment::Se3
        };
        estimate = align(&estimate, reference, alignment)
            .map_err(Failure::input)?
            .estimate;
    }
    let drawing = solution_drawing(&graph.graph, &estimate, summary);
    let reference_xy = reference.as_ref().map(positions);
    let title = format!(
        "{}: chi2 {:.6e}, {} iterations ({})",
        path.file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        summary.final_chi2,
        summary.iterations,
        summary.termination
    );
    let view = TopView {
        title: &title,
        trajectory: &drawing.trajectory,
        reference: reference_xy.as_deref(),
        loop_closures: &drawing.loop_closures,
        costs: &drawing.costs,
    };
    render_top_view(&view, path).map_err(|e| Failure::runtime(format!("{}: {e}", path.display())))
}

/// The robust strategy the flags ask for.
/// A finite number > 0, for clap.
fn positive_finite(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err(format!("{text} is not a finite number > 0")),
        Err(e) => Err(format!("{text}: {e}")),
    }
}

fn strategy(args: &SolveArgs) -> Result<RobustStrategy, Failure> {
    let scope = if args.robust_loops_only {
        RobustScope::LoopClosures
    } else {
        RobustScope::All
    };
    if args.robust {
        return Ok(RobustStrategy::recommended());
    }
    if let Some(gnc) = args.gnc {
        let surrogate = match gnc {
            GncArg::Gm => GncSurrogate::GemanMcClure,
            GncArg::Tls => GncSurrogate::TruncatedLeastSquares,
        };
        let options = GncOptions {
            surrogate,
            ..GncOptions::default()
        };
        return Ok(RobustStrategy::Gnc { options, scope });
    }
    match &args.kernel {
        None => Ok(RobustStrategy::LeastSquares),
        Some(name) => {
            let width = args
                .kernel_width
                .unwrap_or(if name == "huber" { 1.345 } else { 1.0 });
            let kernel = kernel_by_name(name, width).map_err(|e| {
                Failure::input(format!(
                    "--kernel {name}: {e} (known: {})",
                    KERNEL_NAMES.join(", ")
                ))
            })?;
            Ok(RobustStrategy::Kernel { kernel, scope })
        }
    }
}

fn summary_json(
    graph: &PoseGraph,
    s: &Summary,
    strategy: &RobustStrategy,
    load: Duration,
) -> serde_json::Value {
    let t = &s.times;
    serde_json::json!({
        "kernel": strategy.name(),
        "outlier_count": s.weights.iter().filter(|&&w| w < OUTLIER_WEIGHT).count(),
        "vertices": graph.vertex_ids.len(),
        "edges": graph.graph.edges.len(),
        "warnings": graph.graph.warnings.len(),
        "information_repairs": graph.graph.repairs.len(),
        "components": graph.components,
        "gauge_vertices": graph.gauge_fixed.len(),
        "isolated_vertices": graph.isolated.len(),
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
