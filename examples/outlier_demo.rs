//! The outlier demo: a pose graph with false loop closures, solved with L2, Huber, Cauchy, L1,
//! GNC and rhopt's default robust strategy; one table and one picture per method.
//!
//! ```sh
//! cargo run --release --example outlier_demo                       # generated Manhattan world
//! cargo run --release --example outlier_demo -- GRAPH.g2o --reference TRUTH [--outliers N]
//!                                                [--seed S] [--out DIR]
//! ```
//! Without a path it generates a 1000-pose Manhattan world (the same graph as
//! `datasets/manhattan1000.g2o`, seed 1) and adds 100 false loop closures. Pictures go to `target/outlier_demo/`
//! (or `--out DIR`): `comparison.svg` with every method side by side, and one `METHOD.svg` per
//! method with its cost per iteration.

use std::path::PathBuf;

use rhopt::corrupt::{corrupt, CorruptOptions};
use rhopt::eval::{
    align, read_trajectory, run_robust_experiment, Alignment, Experiment, Trajectory,
};
use rhopt::generate::{manhattan_world, ManhattanOptions};
use rhopt::io::read_g2o;
use rhopt::plot::{
    positions, render_comparison, render_top_view, solution_drawing, SolutionDrawing, TopView,
};
use rhopt::solver::{GncSurrogate, RobustScope, RobustStrategy, SolverOptions};

#[macro_use]
mod common;

struct Args {
    /// A g2o file and its reference trajectory, or `None` to generate a Manhattan world.
    input: Option<(PathBuf, PathBuf)>,
    outliers: usize,
    seed: u64,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        input: None,
        outliers: 100,
        seed: 1,
        out: root.join("target/outlier_demo"),
    };
    let mut it = std::env::args().skip(1);
    let mut reference = None;
    let mut graph = None;
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--reference" => reference = Some(PathBuf::from(value("--reference")?)),
            "--outliers" => {
                args.outliers = value("--outliers")?
                    .parse()
                    .map_err(|e| format!("--outliers: {e}"))?
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--out" => args.out = value("--out")?.into(),
            path if !path.starts_with('-') => graph = Some(PathBuf::from(path)),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.input = match (graph, reference) {
        (Some(g), Some(r)) => Some((g, r)),
        (None, None) => None,
        (Some(_), None) => {
            return Err("give the ground truth of your graph with --reference".into())
        }
        (None, Some(_)) => return Err("--reference needs a graph".into()),
    };
    Ok(args)
}

fn methods() -> Vec<(&'static str, RobustStrategy)> {
    let all =
        |name: &str, width: f64| RobustStrategy::kernel(name, width, RobustScope::All).unwrap();
    vec![
        ("L2", RobustStrategy::LeastSquares),
        ("Huber", all("huber", 1.345)),
        ("Cauchy", all("cauchy", 1.0)),
        ("L1", all("l1", 1.0)),
        (
            "GNC-GM",
            RobustStrategy::gnc(GncSurrogate::GemanMcClure, RobustScope::LoopClosures),
        ),
        (
            "GNC-TLS",
            RobustStrategy::gnc(
                GncSurrogate::TruncatedLeastSquares,
                RobustScope::LoopClosures,
            ),
        ),
        ("default", RobustStrategy::recommended()),
    ]
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let (name, graph, reference) = match &args.input {
        Some((g, r)) => (
            g.display().to_string(),
            read_g2o(g).map_err(|e| e.to_string())?,
            read_trajectory(r).map_err(|e| e.to_string())?,
        ),
        None => {
            let world = manhattan_world(&ManhattanOptions {
                poses: 1000,
                seed: 1,
                ..Default::default()
            });
            (
                "generated Manhattan world".to_string(),
                world.graph,
                world.ground_truth,
            )
        }
    };
    let corrupted = corrupt(
        &graph,
        &CorruptOptions {
            outliers: args.outliers,
            seed: args.seed,
            ..Default::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let three_d = matches!(graph.dimension(), Some(rhopt::io::Dimension::Three));
    let alignment = if three_d {
        Alignment::Se3
    } else {
        Alignment::Se2
    };
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;

    out!(
        "{}: {} poses, {} edges + {} false loop closures (seed {})\n",
        name,
        graph.vertices.len(),
        graph.edges.len(),
        args.outliers,
        args.seed
    );
    out!("| method | ATE rmse (m) | precision | recall | iterations | time (s) |");
    out!("|---|---|---|---|---|---|");
    let mut runs: Vec<(&str, Experiment, Trajectory)> = Vec::new();
    for (name, strategy) in methods() {
        let run = run_robust_experiment(
            &corrupted,
            &reference,
            alignment,
            &strategy,
            &SolverOptions::default(),
        )
        .map_err(|e| format!("{name}: {e}"))?;
        out!(
            "| {name} | {:.3} | {:.3} | {:.3} | {} | {:.2} |",
            run.evaluation.ate.rmse,
            run.outliers.precision,
            run.outliers.recall,
            run.summary.iterations,
            run.time.as_secs_f64()
        );
        // Draw the estimate in the reference's frame, so every panel lines up with the truth.
        let estimate = Trajectory::from_g2o(&run.solved.to_g2o()).map_err(|e| e.to_string())?;
        let aligned = align(&estimate, &reference, alignment)
            .map_err(|e| e.to_string())?
            .estimate;
        runs.push((name, run, aligned));
    }

    let truth = positions(&reference);
    let drawn: Vec<(String, SolutionDrawing)> = runs
        .iter()
        .map(|(name, run, aligned)| {
            let title = format!(
                "{name}: ATE {:.2} m, precision {:.2}, recall {:.2}",
                run.evaluation.ate.rmse, run.outliers.precision, run.outliers.recall
            );
            (
                title,
                solution_drawing(&corrupted.graph, aligned, &run.summary),
            )
        })
        .collect();
    let views: Vec<TopView> = drawn
        .iter()
        .map(|(title, d)| TopView {
            title,
            trajectory: &d.trajectory,
            reference: Some(&truth),
            loop_closures: &d.loop_closures,
            costs: &d.costs,
        })
        .collect();
    for ((name, _, _), view) in runs.iter().zip(&views) {
        let path = args.out.join(format!("{}.svg", name.to_lowercase()));
        render_top_view(view, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let comparison = args.out.join("comparison.svg");
    render_comparison(&views, 4, &comparison)
        .map_err(|e| format!("{}: {e}", comparison.display()))?;
    out!("\npictures: {}", args.out.display());
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("outlier_demo: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
