//! `rhopt eval`: trajectory error (ATE, RPE) of an estimate against a reference, and outlier
//! precision/recall from a solve's weights and a corrupt sidecar.

use std::path::PathBuf;

use clap::ValueEnum;
use rhopt::corrupt::read_sidecar;
use rhopt::eval::{
    evaluate, outlier_precision_recall, read_trajectory, read_weights, Alignment, ErrorStats,
    DEFAULT_OUTLIER_THRESHOLD,
};

use crate::corrupt::sidecar_path;
use crate::{check_outputs, write_file, Failure};

#[derive(Clone, Copy, ValueEnum)]
enum AlignArg {
    /// Compare as given.
    None,
    /// Best rigid motion in the plane.
    Se2,
    /// Best rigid motion in space.
    Se3,
}

#[derive(clap::Args)]
pub(crate) struct EvalArgs {
    /// Estimated trajectory: g2o, TUM, or `x y θ` / `id x y θ` lists.
    estimate: PathBuf,
    /// Reference trajectory, in any of the same formats.
    #[arg(long)]
    reference: PathBuf,
    /// Alignment before measuring ATE (default: se2 for planar data, se3 otherwise).
    #[arg(long, value_enum)]
    align: Option<AlignArg>,
    /// Per-edge weights from `rhopt solve --weights`, for outlier precision and recall.
    #[arg(long, requires = "outliers")]
    weights: Option<PathBuf>,
    /// The corrupted graph's sidecar of added edges (`rhopt corrupt` writes OUTPUT.outliers);
    /// a g2o path is taken to mean its sidecar.
    #[arg(long)]
    outliers: Option<PathBuf>,
    /// Write the result as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(short, long)]
    quiet: bool,
}

fn stats_json(s: &ErrorStats) -> serde_json::Value {
    serde_json::json!({ "rmse": s.rmse, "mean": s.mean, "median": s.median, "max": s.max })
}

pub(crate) fn run(args: &EvalArgs) -> Result<u8, Failure> {
    if let Some(json) = &args.json {
        let inputs: Vec<&std::path::Path> = [
            Some(args.estimate.as_path()),
            Some(args.reference.as_path()),
            args.weights.as_deref(),
            args.outliers.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        check_outputs(&inputs, &[("--json", json)])?;
    }
    let estimate = read_trajectory(&args.estimate).map_err(Failure::input)?;
    let reference = read_trajectory(&args.reference).map_err(Failure::input)?;
    let alignment = match args.align {
        Some(AlignArg::None) => Alignment::None,
        Some(AlignArg::Se2) => Alignment::Se2,
        Some(AlignArg::Se3) => Alignment::Se3,
        None if estimate.planar && reference.planar => Alignment::Se2,
        None => Alignment::Se3,
    };
    let evaluation = evaluate(&estimate, &reference, alignment).map_err(Failure::input)?;
    let mut json = serde_json::json!({
        "poses": evaluation.poses,
        "alignment": alignment.to_string(),
        "ate": stats_json(&evaluation.ate),
        "rpe": {
            "translation": stats_json(&evaluation.rpe_translation),
            "rotation_deg": stats_json(&evaluation.rpe_rotation_deg),
        },
    });
    if let (Some(weights), Some(outliers)) = (&args.weights, &args.outliers) {
        let weights = read_weights(weights).map_err(Failure::input)?;
        let sidecar = if outliers.extension().is_some_and(|e| e == "g2o") {
            sidecar_path(outliers)
        } else {
            outliers.clone()
        };
        let added = read_sidecar(&sidecar).map_err(Failure::input)?;
        let values: Vec<f64> = weights.iter().map(|w| w.weight).collect();
        let pr = outlier_precision_recall(&values, &added, DEFAULT_OUTLIER_THRESHOLD);
        json["precision"] = pr.precision.into();
        json["recall"] = pr.recall.into();
        if !args.quiet {
            say!(
                "outliers: precision {:.4}, recall {:.4} ({} found, {} wrongly, {} missed)",
                pr.precision,
                pr.recall,
                pr.true_positives,
                pr.false_positives,
                pr.false_negatives
            );
        }
    }
    if !args.quiet {
        let ate = &evaluation.ate;
        say!(
            "{} poses, alignment {alignment}: ATE rmse {:.6} mean {:.6} median {:.6} max {:.6}; \
             RPE rmse {:.6} m {:.4} deg",
            evaluation.poses,
            ate.rmse,
            ate.mean,
            ate.median,
            ate.max,
            evaluation.rpe_translation.rmse,
            evaluation.rpe_rotation_deg.rmse
        );
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&json).map_err(Failure::runtime)?;
        write_file(path, |w| writeln!(w, "{text}"))?;
    }
    Ok(0)
}
