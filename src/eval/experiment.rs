//! One robust-solve experiment: solve a corrupted pose graph with a strategy and score it
//! against a reference trajectory and the known false loop closures.

use std::time::Duration;

use super::{
    evaluate, outlier_precision_recall, Alignment, EvalError, Evaluation, PrecisionRecall,
    Trajectory,
};
use crate::corrupt::Corrupted;
use crate::factor::BetweenError;
use crate::io::{build_problem, PoseGraph};
use crate::solver::{RobustStrategy, SolverOptions, Summary, OUTLIER_WEIGHT};

/// Result of [`run_robust_experiment`].
#[derive(Debug)]
pub struct Experiment {
    /// The solved graph.
    pub solved: PoseGraph,
    /// The solver's summary (weights included).
    pub summary: Summary,
    /// Trajectory errors against the reference.
    pub evaluation: Evaluation,
    /// How well the final weights separate the added edges from the original ones.
    pub outliers: PrecisionRecall,
    /// Wall time of the solve (loading excluded).
    pub time: Duration,
}

/// Solves `corrupted` from its initial guess with `strategy` (g2o's errors, loop closures =
/// edges joining non-consecutive ids) and scores the estimate against `reference` after
/// `alignment`, and the final weights against `corrupted.added`.
pub fn run_robust_experiment(
    corrupted: &Corrupted,
    reference: &Trajectory,
    alignment: Alignment,
    strategy: &RobustStrategy,
    options: &SolverOptions,
) -> Result<Experiment, EvalError> {
    let mut solved = build_problem(corrupted.graph.clone(), BetweenError::G2o);
    let loops = solved.loop_closures();
    let summary = strategy
        .solve(&mut solved.problem, &loops, options, |_| {})
        .map_err(|e| EvalError::Solver(e.to_string()))?;
    let estimate = Trajectory::from_g2o(&solved.to_g2o())?;
    let evaluation = evaluate(&estimate, reference, alignment)?;
    let outliers = outlier_precision_recall(&summary.weights, &corrupted.added, OUTLIER_WEIGHT);
    Ok(Experiment {
        time: summary.times.total,
        solved,
        summary,
        evaluation,
        outliers,
    })
}
