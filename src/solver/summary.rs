//! What a solve reports: the per-iteration log and the final [`Summary`].

use std::time::Duration;

/// Why the solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The relative cost decrease of an accepted step fell below `function_tolerance`.
    FunctionTolerance,
    /// The gradient fell below `gradient_tolerance` relative to its initial value.
    GradientTolerance,
    /// The step fell below `parameter_tolerance`.
    ParameterTolerance,
    /// `max_iterations` were used up.
    MaxIterations,
    /// There is nothing to optimise (no free variable or no factor).
    NothingToOptimise,
    /// Gauss-Newton met a singular or indefinite system (for instance a degree of freedom that
    /// no factor constrains); the estimate it was computed from was kept. Levenberg-Marquardt
    /// raises λ instead, which makes the system definite (see
    /// [`IterationRecord::singular`]).
    LinearSolverFailure,
    /// The cost, its gradient or its Hessian became NaN or infinite; the last estimate with a
    /// finite cost was kept. Gauss-Newton stops at the first non-finite value. LM
    /// first retries a step whose cost is not finite with more damping, and reports this
    /// instead of convergence when it could only stop because such steps kept it from moving:
    /// the damping ran out after a non-finite trial, or it stopped on a tolerance at a point
    /// whose gradient is still above [`NON_FINITE_STATIONARITY`] × the initial one.
    NumericalFailure,
    /// LM could not find a cost-reducing step even with very large damping.
    DampingExhausted,
}

impl Termination {
    /// Whether this counts as convergence.
    pub fn is_converged(self) -> bool {
        matches!(
            self,
            Termination::FunctionTolerance
                | Termination::GradientTolerance
                | Termination::ParameterTolerance
                | Termination::NothingToOptimise
        )
    }

    /// Stable snake-case name used in the CLI's JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Termination::FunctionTolerance => "function_tolerance",
            Termination::GradientTolerance => "gradient_tolerance",
            Termination::ParameterTolerance => "parameter_tolerance",
            Termination::MaxIterations => "max_iterations",
            Termination::NothingToOptimise => "nothing_to_optimise",
            Termination::LinearSolverFailure => "linear_solver_failure",
            Termination::NumericalFailure => "numerical_failure",
            Termination::DampingExhausted => "damping_exhausted",
        }
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the per-iteration log (as Ceres prints it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationRecord {
    /// Iteration number, starting at 1.
    pub iteration: usize,
    /// Robust cost F = Σρ(s) after the iteration (the accepted estimate's).
    pub cost: f64,
    /// Cost decrease of this iteration's step (0 when rejected).
    pub cost_change: f64,
    /// ‖∇F‖∞ at the estimate the step was computed from.
    pub gradient_norm: f64,
    /// ‖δ‖₂ of the step.
    pub step_norm: f64,
    /// Damping λ used for the step (0 for Gauss-Newton).
    pub lambda: f64,
    /// Whether the step was accepted.
    pub accepted: bool,
    /// Whether the damped normal equations could not be factorised (singular or indefinite),
    /// so that no step was computed: LM then raises λ and retries, GN stops with
    /// [`Termination::LinearSolverFailure`].
    pub singular: bool,
    /// Wall time of the iteration.
    pub time: Duration,
}

/// Wall time spent in each phase of a solve.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimes {
    /// Symbolic analysis: block pattern, ordering and symbolic factorisation (once per solve).
    pub analyse: Duration,
    /// Evaluating residuals and Jacobians and forming each factor's local system.
    pub linearize: Duration,
    /// Scatter-adding local systems into the global normal equations.
    pub assemble: Duration,
    /// Numeric factorisation and triangular solves.
    pub factorize_solve: Duration,
    /// Evaluating the cost at trial points.
    pub evaluate: Duration,
    /// The whole solve.
    pub total: Duration,
}

impl PhaseTimes {
    /// Adds every phase of `part` except `total` (for solves made of several stages).
    pub fn accumulate(&mut self, part: &PhaseTimes) {
        self.analyse += part.analyse;
        self.linearize += part.linearize;
        self.assemble += part.assemble;
        self.factorize_solve += part.factorize_solve;
        self.evaluate += part.evaluate;
    }
}

/// Gradient reduction below which LM counts as converged after it met non-finite trial costs:
/// a tolerance stop whose final ‖∇F‖∞ is still above this fraction of the initial one was forced
/// by the region where the cost is not finite, not by an optimum, and is reported as
/// [`Termination::NumericalFailure`].
pub const NON_FINITE_STATIONARITY: f64 = 1e-3;

/// Weight below which a factor counts as an outlier in summaries (`outlier_count`, `--weights`
/// readers): the kernel discounts it by more than half.
pub const OUTLIER_WEIGHT: f64 = 0.5;

/// Result of a solve.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Σ eᵀΩe at the initial estimate (g2o's χ²).
    pub initial_chi2: f64,
    /// Σ eᵀΩe at the final estimate.
    pub final_chi2: f64,
    /// Σρ(eᵀΩe) at the initial estimate.
    pub initial_cost: f64,
    /// Σρ(eᵀΩe) at the final estimate.
    pub final_cost: f64,
    /// Number of iterations (linear solves).
    pub iterations: usize,
    /// Why the solver stopped.
    pub termination: Termination,
    /// Time split by phase.
    pub times: PhaseTimes,
    /// Per-iteration log.
    pub log: Vec<IterationRecord>,
    /// Final kernel weight ρ'(s) of every factor, in factor order (1 for least squares); below
    /// [`OUTLIER_WEIGHT`] the factor is treated as an outlier.
    pub weights: Vec<f64>,
}

impl Summary {
    /// Whether the solve converged.
    pub fn converged(&self) -> bool {
        self.termination.is_converged()
    }
}
