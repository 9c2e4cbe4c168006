//! Trajectory evaluation: absolute and relative pose errors against a reference trajectory, and
//! precision/recall of outlier classification.
//!
//! * [`Trajectory`] holds poses keyed by integer id (2D poses are lifted to 3D with `z = 0`);
//!   [`read_trajectory`] reads g2o, TUM and the plain `x y θ` / `id x y θ` ground-truth lists,
//!   detecting the format, and [`write_tum`] writes the TUM format that evo reads.
//! * [`associate`] pairs the poses of two trajectories by id, [`align`] finds the rigid motion
//!   (none, planar or spatial; no scale) that best maps an estimate onto a reference in the
//!   least-squares sense (Umeyama's closed form).
//! * [`evaluate`] computes the absolute trajectory error (ATE, translation after alignment) and
//!   the relative pose error (RPE, between consecutive associated poses) as [`ErrorStats`].
//! * [`outlier_precision_recall`] scores a robust solver's per-edge weights against the known
//!   false loop closures written by [`crate::corrupt`]; [`read_weights`] reads a weight file.
//!
//! # Example
//!
//! ```
//! use rhopt::eval::{evaluate, parse_trajectory, Alignment};
//!
//! // `id x y θ` lists; the estimate is the reference shifted by (3, 4) metres.
//! let reference = parse_trajectory("0 0 0 0\n1 1 0 0\n2 2 0 0\n")?;
//! let estimate = parse_trajectory("0 3 4 0\n1 4 4 0\n2 5 4 0\n")?;
//!
//! let raw = evaluate(&estimate, &reference, Alignment::None)?;
//! assert!((raw.ate.rmse - 5.0).abs() < 1e-12);
//! assert!(raw.rpe_translation.max < 1e-12); // the shape is unchanged
//!
//! let aligned = evaluate(&estimate, &reference, Alignment::Se2)?;
//! assert!(aligned.ate.max < 1e-9);
//! # Ok::<(), rhopt::eval::EvalError>(())
//! ```

mod align;
mod experiment;
mod metrics;
mod trajectory;

use std::io;
use std::path::PathBuf;

pub use align::{align, associate, Aligned, Alignment, Associated};
pub use experiment::{run_robust_experiment, Experiment};
pub use metrics::{
    check_weights, evaluate, outlier_precision_recall, parse_weights, read_weights, EdgeWeight,
    ErrorStats, Evaluation, PrecisionRecall, DEFAULT_OUTLIER_THRESHOLD,
};
pub use trajectory::{
    parse_trajectory, parse_trajectory_as, read_trajectory, read_trajectory_as, write_tum,
    Trajectory, TrajectoryFormat, TumIds,
};

pub(crate) use trajectory::{read_text, records, LineError};

use crate::io::{location, one_line_path, G2oError};

/// A text file that cannot be read or does not have the expected content. Displays as one
/// line: `PATH:LINE: what is wrong`, or `PATH: what is wrong` when no line applies (`<input>`
/// for text parsed from memory).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file could not be read.
    #[error("{}: {error}", one_line_path(.path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
    /// The content is malformed.
    #[error("{}: {message}", location(.path, *.line))]
    Parse {
        /// The file (`<input>` for text parsed from memory).
        path: PathBuf,
        /// 1-based line number, if the problem belongs to one line.
        line: Option<usize>,
        /// What is wrong (one line of text).
        message: String,
    },
}

impl FileError {
    /// The 1-based line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            FileError::Parse { line, .. } => *line,
            FileError::Io { .. } => None,
        }
    }
}

/// Why a trajectory cannot be read or evaluated. Displays as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A trajectory or weight file is unreadable or malformed.
    #[error(transparent)]
    File(#[from] FileError),
    /// A g2o file is unreadable or malformed.
    #[error(transparent)]
    G2o(#[from] G2oError),
    /// The solve of an experiment failed before it started.
    #[error("solve failed: {0}")]
    Solver(String),
    /// A g2o graph without `VERTEX` lines has no poses to evaluate.
    #[error(
        "the g2o graph has no VERTEX lines, so it holds no trajectory \
         (an edge-only file must be optimised first)"
    )]
    NoVertices,
    /// `ids` and `poses` (or `timestamps` and `poses`) of a trajectory differ in length.
    #[error("inconsistent trajectory: {what} has {found} entries for {poses} poses")]
    LengthMismatch {
        /// `ids` or `timestamps`.
        what: &'static str,
        /// Its length.
        found: usize,
        /// Number of poses.
        poses: usize,
    },
    /// A trajectory holds the same id twice.
    #[error("trajectory has pose id {id} more than once")]
    DuplicateId {
        /// The repeated id.
        id: i64,
    },
    /// A pose with a NaN or infinite value.
    #[error("pose {id} has a non-finite coordinate")]
    NonFinite {
        /// Id of the pose.
        id: i64,
    },
    /// Too few ids shared by the estimate and the reference for the chosen alignment.
    #[error(
        "the estimate and the reference share {common} pose ids; \
         {needed} or more are needed with alignment {alignment}"
    )]
    TooFewCommonPoses {
        /// Number of shared ids.
        common: usize,
        /// Number needed.
        needed: usize,
        /// The alignment asked for.
        alignment: Alignment,
    },
    /// The singular value decomposition of the alignment did not converge (only seen with
    /// coordinates so large that their products overflow).
    #[error("alignment failed: the cross-covariance of the two trajectories is not finite or its SVD did not converge")]
    AlignmentFailed,
    /// A weight file has a different number of lines than the graph has edges.
    #[error("the weight file has {weights} entries but the graph has {edges} edges")]
    WeightCount {
        /// Entries in the weight file.
        weights: usize,
        /// Edges in the graph.
        edges: usize,
    },
    /// A weight file line names other vertices than the graph edge at the same position.
    #[error(
        "weight line {line} is for edge {weight_from} -> {weight_to}, \
         but edge #{index} of the graph is {edge_from} -> {edge_to}"
    )]
    WeightEdge {
        /// Line in the weight file.
        line: usize,
        /// 0-based edge index.
        index: usize,
        /// `from` in the weight file.
        weight_from: i64,
        /// `to` in the weight file.
        weight_to: i64,
        /// `from` of the graph edge.
        edge_from: i64,
        /// `to` of the graph edge.
        edge_to: i64,
    },
}

/// Locating the public datasets in tests, with the convention of the crate's integration tests:
/// `$RHOPT_DATASETS`, else `../shared/datasets` beside the crate.
#[cfg(test)]
pub(crate) mod test_data {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A file under the system temporary directory, removed on drop. Its name is unique per
    /// process and call, so tests running in parallel never share one.
    pub(crate) struct TempFile(PathBuf);

    impl TempFile {
        /// Creates the file with `content`; `name` ends the file name.
        pub(crate) fn new(name: &str, content: &[u8]) -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let file = format!("rhopt-eval-test-{}-{n}-{name}", std::process::id());
            let path = std::env::temp_dir().join(file);
            std::fs::write(&path, content).expect("cannot write test file");
            TempFile(path)
        }

        /// The file's path.
        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// Path of a dataset file, or `None` (with a note on stderr) when it is missing.
    ///
    /// # Panics
    /// When the file is missing and `CI=true`: CI must fail rather than skip.
    pub(crate) fn dataset(relative: &str) -> Option<PathBuf> {
        let dir = match std::env::var_os("RHOPT_DATASETS") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"),
        };
        let path = dir.join(relative);
        if path.is_file() {
            return Some(path);
        }
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!in_ci, "dataset {} is missing (CI=true)", path.display());
        eprintln!(
            "skipping: dataset {} is missing (set RHOPT_DATASETS)",
            path.display()
        );
        None
    }
}
