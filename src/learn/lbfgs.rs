//! argmin's L-BFGS on a problem's [`Objective`], for comparison with rhopt's
//! Levenberg-Marquardt on losses whose curvature is only a surrogate.

use std::time::{Duration, Instant};

use argmin::core::{Executor, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;

use crate::objective::Objective;
use crate::problem::Problem;
use crate::solver::{Solver, SolverOptions};

/// Settings of [`minimise_lbfgs`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LbfgsOptions {
    /// Number of gradient pairs L-BFGS remembers (default 7).
    pub memory: usize,
    /// Iteration limit (default 500).
    pub max_iterations: u64,
    /// Stop when ‖∇F‖₂ falls below this (absolute; default 10⁻¹⁰).
    pub gradient_tolerance: f64,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        Self {
            memory: 7,
            max_iterations: 500,
            gradient_tolerance: 1e-10,
        }
    }
}

/// What a run of [`minimise_lbfgs`] reports.
#[derive(Clone, Debug, PartialEq)]
pub struct LbfgsSummary {
    /// F at the start.
    pub initial_cost: f64,
    /// F at the best point found, which was written to the problem.
    pub final_cost: f64,
    /// L-BFGS iterations (each one line search).
    pub iterations: u64,
    /// Evaluations of F, line searches included.
    pub cost_evaluations: u64,
    /// Evaluations of ∇F, line searches included.
    pub gradient_evaluations: u64,
    /// Whether argmin reports convergence (the gradient or the cost change fell below its
    /// tolerance) rather than an iteration limit or an exit.
    pub converged: bool,
    /// argmin's reason for stopping, as text.
    pub termination: String,
    /// Wall time of the run.
    pub time: Duration,
}

/// Minimises the objective F of `problem` from its current values with argmin's L-BFGS and a
/// Moré-Thuente line search, and writes the best point found into `problem`.
///
/// argmin's cost tolerance stays at its default (machine epsilon): set to 0, the line search
/// was seen to spin forever once the gradient reached rounding level.
///
/// # Errors
/// argmin's errors, e.g. a line search that found no step or an invalid option.
///
/// ```
/// use nalgebra::DMatrix;
/// use rhopt::learn::{minimise_lbfgs, LbfgsOptions};
/// use rhopt::loss::MseLoss;
/// use rhopt::prelude::*;
///
/// // Least-squares line through (0, 1), (1, 3), (2, 5).
/// let design = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 1.0, 1.0, 2.0, 1.0]);
/// let mut problem = Problem::new();
/// let k = problem.add_variable(Euclidean::<2>::zeros());
/// problem.add_loss(LinearModel::new(k, design), MseLoss::new(Reduction::Sum), vec![1.0, 3.0, 5.0])?;
/// let summary = minimise_lbfgs(&mut problem, &LbfgsOptions::default())?;
/// assert!(summary.converged && summary.final_cost < 1e-16);
/// let p = problem.values().params(k);
/// assert!((p[0] - 2.0).abs() < 1e-8 && (p[1] - 1.0).abs() < 1e-8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn minimise_lbfgs(
    problem: &mut Problem,
    options: &LbfgsOptions,
) -> Result<LbfgsSummary, argmin::core::Error> {
    let objective = Objective::new(problem);
    let start = vec![0.0; objective.dim()];
    let initial_cost = objective.cost(&start);
    let clock = Instant::now();
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), options.memory)
        .with_tolerance_grad(options.gradient_tolerance)?;
    // argmin takes the objective by value and hands it back with the result, so the problem is
    // analysed once.
    let mut result = Executor::new(objective, solver)
        .configure(|state| {
            state
                .param(start.clone())
                .max_iters(options.max_iterations)
                .counting(true)
        })
        .run()?;
    let time = clock.elapsed();
    let state = result.state();
    let best = state.get_best_param().cloned().unwrap_or(start);
    let count = |name: &str| state.get_func_counts().get(name).copied().unwrap_or(0);
    let (converged, termination) = match state.get_termination_status() {
        TerminationStatus::Terminated(reason) => (
            matches!(
                reason,
                TerminationReason::SolverConverged | TerminationReason::TargetCostReached
            ),
            reason.text().to_string(),
        ),
        TerminationStatus::NotTerminated => (false, "not terminated".to_string()),
    };
    let summary = LbfgsSummary {
        initial_cost,
        final_cost: state.get_best_cost(),
        iterations: state.get_iter(),
        cost_evaluations: count("cost_count"),
        gradient_evaluations: count("gradient_count"),
        converged,
        termination,
        time,
    };
    // argmin hands the objective back with the result; rebuild it only if it ever did not.
    let objective = result
        .problem
        .take_problem()
        .unwrap_or_else(|| Objective::new(problem));
    objective.apply(&best, problem);
    Ok(summary)
}

/// Which minimiser runs a fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// rhopt's Levenberg-Marquardt.
    LevenbergMarquardt,
    /// argmin's L-BFGS on the problem's [`Objective`] ([`minimise_lbfgs`]).
    Lbfgs,
}

impl Method {
    /// A short name for tables: `"LM"` or `"L-BFGS"`.
    pub fn name(self) -> &'static str {
        match self {
            Method::LevenbergMarquardt => "LM",
            Method::Lbfgs => "L-BFGS",
        }
    }
}

/// Why [`minimise`] failed.
#[derive(Debug, thiserror::Error)]
pub enum MinimiseError {
    /// rhopt's solver refused the problem.
    #[error("{0}")]
    Solver(#[from] crate::solver::SolverError),
    /// argmin failed (e.g. a line search found no step).
    #[error("{0}")]
    Lbfgs(#[from] argmin::core::Error),
}

/// What [`minimise`] reports, whichever method ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimised {
    /// F at the end (written to the problem).
    pub final_cost: f64,
    /// Iterations; for L-BFGS followed by the evaluations of F and ∇F its line searches made,
    /// as `"43 (48+91)"`.
    pub iterations: String,
    /// Wall time.
    pub time: Duration,
    /// Why it stopped, when it did not converge.
    pub failure: Option<String>,
}

/// Minimises the objective of `problem` from its current values with `method` (LM with
/// `lm_options`, or L-BFGS with [`LbfgsOptions::default`]) and leaves the result in `problem`:
/// one entry point so that the two methods are compared on equal terms.
///
/// # Errors
/// The solver's or argmin's errors.
pub fn minimise(
    problem: &mut Problem,
    method: Method,
    lm_options: &SolverOptions,
) -> Result<Minimised, MinimiseError> {
    match method {
        Method::LevenbergMarquardt => {
            let s = Solver::new(lm_options.clone()).solve(problem)?;
            Ok(Minimised {
                final_cost: s.final_cost,
                iterations: s.iterations.to_string(),
                time: s.times.total,
                failure: (!s.converged()).then(|| s.termination.to_string()),
            })
        }
        Method::Lbfgs => {
            let s = minimise_lbfgs(problem, &LbfgsOptions::default())?;
            Ok(Minimised {
                final_cost: s.final_cost,
                iterations: format!(
                    "{} ({}+{})",
                    s.iterations, s.cost_evaluations, s.gradient_evaluations
                ),
                time: s.time,
                failure: (!s.converged).then_some(s.termination),
            })
        }
    }
}
