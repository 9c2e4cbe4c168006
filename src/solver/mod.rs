//! Gauss-Newton and Levenberg-Marquardt on a [`Problem`].
//!
//! Every iteration linearises all factors at the current estimate, forms the normal equations
//!
//! ```text
//!   b = Σ ρ'ₖ Jₖᵀ ĝₖ,     H = Σ ρ'ₖ Jₖᵀ Ĉₖ Jₖ
//! ```
//!
//! (ĝ = Ωe and Ĉ = Ω for a Mahalanobis cost s = eᵀΩe; ĝ = ½∂L/∂z and Ĉ = ½C for a loss
//! factor, C the loss's PSD curvature; [`Weighting::SecondOrder`] adds the kernel's curvature
//! term) and solves (H + λD) δ = −b with a sparse Cholesky whose symbolic analysis is done once
//! per solve, or a dense one for small problems ([`SolverOptions::linear_solver`]); then
//! x ← x ⊞ δ. Levenberg-Marquardt damps with Marquardt's D = diag(H) (kept at the largest value
//! seen, as MINPACK does) by default, or with Levenberg's D = I ([`Damping`]); it accepts a step
//! only if it lowers the true cost F = Σρ(s), and updates λ by Nielsen's rule:
//! λ ← λ·max(1/3, 1 − (2r − 1)³) after a step with gain ratio r > 0, λ ← λ·ν and ν ← 2ν after a
//! rejected one. A rejected step only refactorises; it never relinearises.

mod gnc;
mod linearizer;
mod options;
mod pose_pair;
mod strategy;
mod summary;

pub use options::{Algorithm, Damping, SolverOptions, Weighting};
pub use summary::{
    IterationRecord, PhaseTimes, Summary, Termination, NON_FINITE_STATIONARITY, OUTLIER_WEIGHT,
};

use std::time::{Duration, Instant};

use crate::linear::{LinearSolverError, NormalSolver};
use crate::problem::{Key, Problem, Values};
pub use gnc::{solve_gnc, GncOptions, GncSurrogate};
pub use linearizer::Linearizer;
pub use strategy::{RobustScope, RobustStrategy};

/// Errors that stop a solve before it starts.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SolverError {
    /// The sparse analysis failed (out of memory or index overflow).
    #[error("{0}")]
    Linear(#[from] LinearSolverError),
    /// The requested strategy is inconsistent.
    #[error("{0}")]
    Setup(String),
    /// The requested thread pool could not be built.
    #[error("could not start {threads} worker threads: {reason}")]
    ThreadPool {
        /// Requested thread count.
        threads: usize,
        /// Why it failed.
        reason: String,
    },
}

/// Damping λ beyond which LM gives up finding a cost-reducing step.
const MAX_LAMBDA: f64 = 1e32;

/// A nonlinear least-squares solver configured by [`SolverOptions`].
#[derive(Debug, Clone, Default)]
pub struct Solver {
    options: SolverOptions,
}

impl Solver {
    /// A solver with the given options.
    pub fn new(options: SolverOptions) -> Self {
        Self { options }
    }

    /// The options in use.
    pub fn options(&self) -> &SolverOptions {
        &self.options
    }

    /// Solves `problem` in place, starting from its current values.
    pub fn solve(&self, problem: &mut Problem) -> Result<Summary, SolverError> {
        self.solve_with_observer(problem, |_| {})
    }

    /// Solves `problem` in place and calls `observer` after every iteration.
    pub fn solve_with_observer(
        &self,
        problem: &mut Problem,
        observer: impl FnMut(&IterationRecord) + Send,
    ) -> Result<Summary, SolverError> {
        with_threads(self.options.threads, || {
            let mut workspace = Workspace::new(problem, &self.options)?;
            Ok(self.solve_in(problem, &mut workspace, observer))
        })
    }

    /// Solves `problem` reusing a [`Workspace`] built for it, so repeated solves of one structure
    /// (with other kernels or starting points, as GNC does) skip the symbolic analysis.
    ///
    /// Runs on the calling thread's rayon pool; see [`with_threads`].
    pub fn solve_in(
        &self,
        problem: &mut Problem,
        ws: &mut Workspace,
        mut observer: impl FnMut(&IterationRecord),
    ) -> Summary {
        let start = Instant::now();
        let opts = &self.options;
        let mut times = PhaseTimes {
            analyse: std::mem::take(&mut ws.analyse_time),
            ..PhaseTimes::default()
        };
        let Workspace {
            lin,
            chol,
            step,
            diag_saved,
            scale,
            trial,
            ..
        } = ws;
        let n = lin.pattern.dim;
        let mut log = Vec::with_capacity(opts.max_iterations);

        let t = Instant::now();
        lin.linearize(problem.factors(), problem.values(), opts.weighting);
        times.linearize += t.elapsed();
        let (initial_chi2, initial_cost) = lin.totals();
        let (mut chi2, mut cost) = (initial_chi2, initial_cost);

        let mut termination = None;
        if n == 0 || problem.factors().is_empty() {
            termination = Some(Termination::NothingToOptimise);
        } else if !cost.is_finite() {
            termination = Some(Termination::NumericalFailure);
        }

        let lm = opts.algorithm == Algorithm::LevenbergMarquardt;
        scale.fill(opts.min_diagonal);
        let mut lambda = match opts.algorithm {
            Algorithm::LevenbergMarquardt => opts.initial_lambda.unwrap_or_else(|| {
                let robust = problem.factors().iter().any(|f| f.kernel.is_some());
                opts.damping.default_initial_lambda(robust)
            }),
            Algorithm::GaussNewton => 0.0,
        };
        let mut nu = 2.0;
        let mut needs_assembly = true;
        let mut initial_gradient = f64::NAN;
        let mut iterations = 0;
        // Whether LM met a trial whose cost was not finite, and whether its latest rejection was
        // one: both decide whether a stop is convergence or a numerical failure.
        let mut met_non_finite = false;
        let mut last_rejection_non_finite = false;
        // After an accepted step the next one is usually accepted too, so its trial point is
        // linearised right away (the residuals then serve both the acceptance test and the next
        // system) instead of evaluated and linearised again; after a rejection, while LM raises
        // λ, trial points are only evaluated.
        let mut speculate = true;

        while termination.is_none() {
            if iterations >= opts.max_iterations {
                termination = Some(Termination::MaxIterations);
                break;
            }
            iterations += 1;
            let iter_start = Instant::now();

            if needs_assembly {
                let t = Instant::now();
                lin.assemble();
                times.assemble += t.elapsed();
                for ((saved, sc), &p) in diag_saved
                    .iter_mut()
                    .zip(scale.iter_mut())
                    .zip(&lin.pattern.diag_pos)
                {
                    *saved = lin.hessian[p];
                    *sc = match opts.damping {
                        Damping::Marquardt => sc.max(*saved),
                        Damping::Levenberg => 1.0,
                    };
                }
                if lm && iterations == 1 && opts.damping == Damping::Levenberg {
                    lambda *= diag_saved.iter().fold(0.0f64, |m, d| m.max(*d));
                }
                needs_assembly = false;
                // A finite cost with a NaN Jacobian (e.g. a factor at a singular configuration)
                // gives a NaN system, which no damping repairs: keep this estimate and stop.
                if !all_finite(&lin.gradient) || !all_finite(&lin.hessian) {
                    iterations -= 1;
                    termination = Some(Termination::NumericalFailure);
                    break;
                }
            }
            let gradient_norm = gradient_norm(&lin.gradient);
            if initial_gradient.is_nan() {
                initial_gradient = gradient_norm;
            }
            if gradient_norm <= opts.gradient_tolerance * initial_gradient {
                iterations -= 1;
                termination = Some(Termination::GradientTolerance);
                break;
            }

            // (H + λD) δ = −b.
            let t = Instant::now();
            for ((&p, &d), &sc) in lin
                .pattern
                .diag_pos
                .iter()
                .zip(diag_saved.iter())
                .zip(scale.iter())
            {
                lin.hessian[p] = d + lambda * sc;
            }
            let factorized = chol.factorize(&lin.pattern, &lin.hessian);
            if factorized.is_ok() {
                for (s, g) in step.iter_mut().zip(&lin.gradient) {
                    *s = -g;
                }
                chol.solve_in_place(step);
            }
            times.factorize_solve += t.elapsed();

            let mut record = IterationRecord {
                iteration: iterations,
                cost,
                cost_change: 0.0,
                gradient_norm,
                step_norm: 0.0,
                lambda,
                accepted: false,
                singular: factorized.is_err(),
                time: Duration::ZERO,
            };

            if factorized.is_err() {
                if !lm {
                    termination = Some(Termination::LinearSolverFailure);
                } else {
                    (lambda, nu) = reject(lambda, nu);
                }
            } else {
                let step_norm = step.iter().map(|s| s * s).sum::<f64>().sqrt();
                record.step_norm = step_norm;
                let x_norm = problem
                    .values()
                    .as_slice()
                    .iter()
                    .map(|x| x * x)
                    .sum::<f64>()
                    .sqrt();
                if step_norm <= opts.parameter_tolerance * (x_norm + opts.parameter_tolerance) {
                    termination = Some(Termination::ParameterTolerance);
                } else {
                    let t = Instant::now();
                    retract_all(
                        problem.values(),
                        &lin.var_block,
                        &lin.pattern.block_offsets,
                        step,
                        trial,
                    );
                    let linearised = speculate;
                    if linearised {
                        lin.linearize(problem.factors(), trial, opts.weighting);
                        times.linearize += t.elapsed();
                    } else {
                        lin.evaluate(problem.factors(), trial);
                        times.evaluate += t.elapsed();
                    }
                    let (new_chi2, new_cost) = lin.totals();

                    // Predicted decrease of the model F + 2bᵀδ + δᵀHδ: δᵀ(λDδ − b).
                    let predicted: f64 = step
                        .iter()
                        .zip(&lin.gradient)
                        .zip(scale.iter())
                        .map(|((s, g), &sc)| s * (lambda * sc * s - g))
                        .sum();
                    let actual = cost - new_cost;
                    let ratio = actual / predicted;
                    let accept = new_cost.is_finite() && (!lm || ratio > 0.0);
                    speculate = accept;
                    if accept {
                        std::mem::swap(problem.values_mut(), trial);
                        record.accepted = true;
                        record.cost_change = actual;
                        record.cost = new_cost;
                        let relative_decrease = actual / cost;
                        (chi2, cost) = (new_chi2, new_cost);
                        if lm {
                            lambda *= (1.0 / 3.0f64).max(1.0 - (2.0 * ratio - 1.0).powi(3));
                            nu = 2.0;
                        }
                        if relative_decrease.abs() < opts.function_tolerance {
                            termination = Some(Termination::FunctionTolerance);
                        } else {
                            if !linearised {
                                let t = Instant::now();
                                lin.linearize(problem.factors(), problem.values(), opts.weighting);
                                times.linearize += t.elapsed();
                            }
                            needs_assembly = true;
                        }
                    } else if !lm {
                        termination = Some(Termination::NumericalFailure);
                    } else {
                        // A non-finite cost may only mean that the step left the region where
                        // the factors are defined: a shorter step can stay inside.
                        last_rejection_non_finite = !new_cost.is_finite();
                        met_non_finite |= last_rejection_non_finite;
                        (lambda, nu) = reject(lambda, nu);
                    }
                }
            }
            if lm && lambda > MAX_LAMBDA && termination.is_none() {
                termination = Some(if last_rejection_non_finite {
                    Termination::NumericalFailure
                } else {
                    Termination::DampingExhausted
                });
            }
            record.time = iter_start.elapsed();
            observer(&record);
            log.push(record);
        }

        let mut termination = termination.unwrap_or(Termination::MaxIterations);
        if met_non_finite && termination.is_converged() {
            // Stopping on a tolerance next to the region where the cost is not finite is not
            // convergence unless the gradient says so.
            let t = Instant::now();
            lin.linearize(problem.factors(), problem.values(), opts.weighting);
            lin.assemble();
            times.linearize += t.elapsed();
            let stationary =
                gradient_norm(&lin.gradient) <= NON_FINITE_STATIONARITY * initial_gradient;
            if !stationary {
                termination = Termination::NumericalFailure;
            }
        }

        // Costs and kernel weights at the final estimate.
        lin.evaluate(problem.factors(), problem.values());
        let weights = lin.weights();
        times.total = start.elapsed() + times.analyse;
        Summary {
            initial_chi2,
            final_chi2: chi2,
            initial_cost,
            final_cost: cost,
            iterations,
            termination,
            times,
            log,
            weights,
        }
    }
}

/// Everything a solve of one problem structure allocates: the block pattern, the symbolic
/// factorisation and the iteration buffers. Build it once and reuse it with
/// [`Solver::solve_in`] for repeated solves of the same structure.
#[derive(Debug)]
pub struct Workspace {
    /// Evaluation and assembly state.
    pub lin: Linearizer,
    chol: NormalSolver,
    step: Vec<f64>,
    diag_saved: Vec<f64>,
    scale: Vec<f64>,
    trial: Values,
    analyse_time: Duration,
}

impl Workspace {
    /// Analyses the structure of `problem` (variables, factors, fixed set) for the linear solver
    /// the options choose ([`SolverOptions::linear_solver`], [`SolverOptions::factor_threads`]).
    pub fn new(problem: &Problem, options: &SolverOptions) -> Result<Self, SolverError> {
        let start = Instant::now();
        let lin = Linearizer::new(problem);
        let chol = NormalSolver::new(&lin.pattern, options.linear_solver, options.factor_threads)?;
        let n = lin.pattern.dim;
        Ok(Self {
            lin,
            chol,
            step: vec![0.0; n],
            diag_saved: vec![0.0; n],
            scale: vec![0.0; n],
            trial: problem.values().clone(),
            analyse_time: start.elapsed(),
        })
    }
}

/// Runs `f` on a rayon pool of `threads` workers, or on the global pool when `None`.
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<R, SolverError> + Send,
) -> Result<R, SolverError> {
    match threads {
        None => f(),
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| SolverError::ThreadPool {
                threads,
                reason: e.to_string(),
            })?
            .install(f),
    }
}

/// ‖∇F‖∞ = 2‖b‖∞.
fn gradient_norm(b: &[f64]) -> f64 {
    2.0 * b.iter().fold(0.0f64, |m, g| m.max(g.abs()))
}

fn all_finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// λ and ν after a rejected step.
fn reject(lambda: f64, nu: f64) -> (f64, f64) {
    (lambda * nu, nu * 2.0)
}

/// trial = values ⊞ step, variable by variable; fixed variables are copied unchanged.
pub(crate) fn retract_all(
    values: &Values,
    var_block: &[Option<usize>],
    block_offsets: &[usize],
    step: &[f64],
    trial: &mut Values,
) {
    for (i, block) in var_block.iter().enumerate() {
        let key = Key(i);
        let kind = values.kind(key);
        match block {
            Some(b) => {
                let o = block_offsets[*b];
                kind.retract(
                    values.params(key),
                    &step[o..o + kind.dof()],
                    trial.params_mut(key),
                );
            }
            None => trial.params_mut(key).copy_from_slice(values.params(key)),
        }
    }
}
