//! Robust curve fitting: y = exp(m·x + c) from 100 samples of which 20 % are gross outliers,
//! fitted with least squares (L2), Huber, Cauchy and L1; one table and one picture.
//!
//! ```sh
//! cargo run --release --example curve_fitting                 # seed 1, picture in docs/curve_fitting/
//! cargo run --release --example curve_fitting -- [--seed S] [--out DIR]
//! ```
//! The data follow [`rhopt::fit::DataOptions`]: m = 0.3, c = 1, x evenly spaced on [0, 5],
//! Gaussian noise σ = 0.1, and 20 outliers scattered uniformly over the plot's box at least 5σ
//! off the curve. Every sample is weighed by 1/σ², so the kernel widths are in σ. Least squares
//! starts from a log-linear guess, the robust kernels from the least-squares solution. The
//! picture `fit.svg` goes to `docs/curve_fitting/` (or `--out DIR`).

use std::path::PathBuf;

use rhopt::fit::{fit_each_kernel, generate, sample_curve, DataOptions};
use rhopt::plot::{render_curve_fit, CurveFitView, FittedCurve};
use rhopt::solver::SolverOptions;

#[macro_use]
mod common;

/// Points per drawn curve: smooth at the figure's width (the plot simplifies them again).
const CURVE_POINTS: usize = 200;

struct Args {
    seed: u64,
    out: PathBuf,
}

const USAGE: &str = "usage: curve_fitting [--seed S] [--out DIR]";

/// The arguments, or `None` when help was asked for.
fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        seed: DataOptions::default().seed,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/curve_fitting"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--seed" => {
                let v = value("--seed")?;
                args.seed = v
                    .parse()
                    .map_err(|e| format!("--seed {v:?}: {e} (expected an integer ≥ 0)"))?;
            }
            "--out" => args.out = value("--out")?.into(),
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Some(args))
}

fn run() -> Result<(), String> {
    let Some(args) = parse_args()? else {
        out!("{USAGE}");
        return Ok(());
    };
    // Before any work, so a bad --out fails at once rather than after the table.
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let data_options = DataOptions {
        seed: args.seed,
        ..Default::default()
    };
    let truth = data_options.truth();
    let data = generate(&data_options).map_err(|e| e.to_string())?;
    let fits = fit_each_kernel(
        &data.observations,
        data_options.sigma,
        &SolverOptions::default(),
    )
    .map_err(|e| e.to_string())?;

    let outliers = data.outlier.iter().filter(|o| **o).count();
    out!(
        "y = exp(m·x + c), m = {}, c = {}: {} samples on [{}, {}], σ = {}, {} gross outliers \
         (seed {})\n",
        truth[0],
        truth[1],
        data.observations.len(),
        data_options.x_min,
        data_options.x_max,
        data_options.sigma,
        outliers,
        args.seed
    );
    out!("| kernel | m | c | error m | error c | iterations | time (ms) |");
    out!("|---|---|---|---|---|---|---|");
    for row in &fits {
        let [error_m, error_c] = row.fit.relative_errors(truth);
        let summary = &row.fit.summary;
        out!(
            "| {} | {:.4} | {:.4} | {:.1} % | {:.1} % | {}{} | {:.2} |",
            row.name,
            row.fit.m,
            row.fit.c,
            100.0 * error_m,
            100.0 * error_c,
            summary.iterations,
            if summary.converged() {
                ""
            } else {
                " (not converged)"
            },
            1e3 * summary.times.total.as_secs_f64()
        );
    }

    let (inliers, outlier_points): (Vec<_>, Vec<_>) = data
        .observations
        .iter()
        .zip(&data.outlier)
        .partition(|(_, outlier)| !**outlier);
    let xy = |points: Vec<(&rhopt::fit::Observation, &bool)>| -> Vec<[f64; 2]> {
        points.into_iter().map(|(o, _)| [o.x, o.y]).collect()
    };
    let (inliers, outlier_points) = (xy(inliers), xy(outlier_points));
    let curve = |params: [f64; 2]| {
        sample_curve(params, data_options.x_min, data_options.x_max, CURVE_POINTS)
    };
    let truth_curve = curve(truth);
    let fitted: Vec<Vec<[f64; 2]>> = fits.iter().map(|row| curve(row.fit.params())).collect();
    let curves: Vec<FittedCurve> = fits
        .iter()
        .zip(&fitted)
        .map(|(row, points)| FittedCurve {
            label: row.name,
            points,
        })
        .collect();
    let title = format!(
        "y = exp({}x + {}) with {} of {} samples gross outliers (seed {})",
        truth[0],
        truth[1],
        outliers,
        data.observations.len(),
        args.seed
    );
    let view = CurveFitView {
        title: &title,
        x_label: "x",
        y_label: "y",
        inliers: &inliers,
        outliers: &outlier_points,
        truth: Some(&truth_curve),
        curves: &curves,
    };
    let path = args.out.join("fit.svg");
    render_curve_fit(&view, &path).map_err(|e| e.to_string())?;
    out!("\npicture: {}", path.display());
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("curve_fitting: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
