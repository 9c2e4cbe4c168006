//! Graduated non-convexity (Yang, Antonante, Tzoumas, Carlone, RA-L 2020) as an outer strategy
//! around Levenberg-Marquardt.
//!
//! A redescending kernel (Geman-McClure, truncated least squares) ignores outliers completely but
//! has many local minima. GNC starts from a convex-ish surrogate ρ_μ of it, controlled by μ, and
//! moves μ step by step towards the true kernel, re-solving from the previous estimate each time:
//!
//! * μ₀ from the largest residual: GM μ₀ = 2 s_max/δ², TLS μ₀ = δ²/(2 s_max − δ²);
//! * schedule: GM μ ← μ/1.4 down to 1; TLS μ ← 1.4 μ;
//! * weights: the surrogate's ρ'_μ(s) in closed form (the paper's weight update), recomputed by
//!   every inner linearisation; the inner solve accepts steps on the surrogate cost Σρ_μ(s);
//! * stop when μ reaches its limit (GM) or every weight is 0 or 1 (TLS), or after
//!   `max_outer_iterations`.
//!
//! The inlier threshold δ is the χ² quantile of the residual's dimension at
//! `inlier_probability`. Only the factors selected by the caller (usually the loop closures) get
//! the surrogate; the others stay least squares. The symbolic analysis is done once: every outer
//! step reuses one [`Workspace`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use super::{IterationRecord, PhaseTimes, Solver, SolverError, SolverOptions, Summary, Workspace};
use crate::kernel::{
    width_from_chi2_quantile, GncGemanMcClure, GncTruncatedLeastSquares, RobustKernel,
};
use crate::problem::Problem;

/// The robust kernel GNC converges to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GncSurrogate {
    /// Geman-McClure.
    GemanMcClure,
    /// Truncated least squares.
    #[default]
    TruncatedLeastSquares,
}

/// Settings of [`solve_gnc`].
#[derive(Debug, Clone, PartialEq)]
pub struct GncOptions {
    /// Target kernel (default truncated least squares).
    pub surrogate: GncSurrogate,
    /// Probability of the χ² quantile that sets the inlier threshold δ² (default 0.99).
    pub inlier_probability: f64,
    /// Limit on μ updates (default 100).
    pub max_outer_iterations: usize,
    /// Settings of each inner solve (default: LM, at most 20 iterations, relative cost decrease
    /// 1e-4: an inner solve only needs to track the moving surrogate, not converge fully).
    pub inner: SolverOptions,
}

impl Default for GncOptions {
    fn default() -> Self {
        Self {
            surrogate: GncSurrogate::default(),
            inlier_probability: 0.99,
            max_outer_iterations: 100,
            inner: SolverOptions {
                max_iterations: 20,
                function_tolerance: 1e-4,
                ..SolverOptions::default()
            },
        }
    }
}

/// The surrogate at one μ, one kernel per residual dimension (δ depends on it).
fn surrogate_kernels(
    surrogate: GncSurrogate,
    widths: &HashMap<usize, f64>,
    mu: f64,
) -> HashMap<usize, Arc<dyn RobustKernel>> {
    widths
        .iter()
        .map(|(&dim, &delta)| {
            let kernel: Arc<dyn RobustKernel> = match surrogate {
                GncSurrogate::GemanMcClure => Arc::new(
                    GncGemanMcClure::new(delta, mu).expect("δ and μ are positive and finite"),
                ),
                GncSurrogate::TruncatedLeastSquares => Arc::new(
                    GncTruncatedLeastSquares::new(delta, mu)
                        .expect("δ and μ are positive and finite"),
                ),
            };
            (dim, kernel)
        })
        .collect()
}

/// Runs GNC on `problem`, robustifying the factors where `robust[k]` is true, from the current
/// estimate. The returned summary's weights are the final surrogate weights ρ'_μ(s) (1 for the
/// least-squares factors); a weight below 0.5 marks an outlier.
pub fn solve_gnc(
    problem: &mut Problem,
    robust: &[bool],
    options: &GncOptions,
    mut observer: impl FnMut(&IterationRecord) + Send,
) -> Result<Summary, SolverError> {
    assert_eq!(
        robust.len(),
        problem.factors().len(),
        "one robust flag per factor"
    );
    super::with_threads(options.inner.threads, || {
        let start = Instant::now();
        let mut ws = Workspace::new(problem, &options.inner)?;
        let solver = Solver::new(SolverOptions {
            threads: None,
            ..options.inner.clone()
        });

        let mut widths = HashMap::new();
        for (entry, _) in problem.factors().iter().zip(robust).filter(|(_, &r)| r) {
            let d = entry.factor.residual_dim();
            widths
                .entry(d)
                .or_insert_with(|| width_from_chi2_quantile(options.inlier_probability, d));
        }
        for (k, &r) in robust.iter().enumerate() {
            if r {
                problem.set_kernel(k, None);
            }
        }
        ws.lin.evaluate(problem.factors(), problem.values());
        let (initial_chi2, _) = ws.lin.totals();
        let normalised_max = robust
            .iter()
            .zip(ws.lin.chi2_values())
            .zip(problem.factors())
            .filter(|((&r, _), _)| r)
            .map(|((_, s), e)| s / widths[&e.factor.residual_dim()].powi(2))
            .fold(0.0f64, f64::max);
        // μ₀ from the largest residual, in units of its own δ² so mixed dimensions share one μ.
        let mut mu = match options.surrogate {
            GncSurrogate::GemanMcClure => GncGemanMcClure::initial_mu(1.0, normalised_max),
            GncSurrogate::TruncatedLeastSquares => {
                GncTruncatedLeastSquares::initial_mu(1.0, normalised_max)
            }
        };

        let mut log = Vec::new();
        let mut times = PhaseTimes::default();
        let mut iterations = 0;
        let mut last = None;
        for _ in 0..options.max_outer_iterations.max(1) {
            let kernels = surrogate_kernels(options.surrogate, &widths, mu);
            for (k, &r) in robust.iter().enumerate() {
                if r {
                    let d = problem.factors()[k].factor.residual_dim();
                    problem.set_kernel(k, Some(kernels[&d].clone()));
                }
            }
            let summary = solver.solve_in(problem, &mut ws, |r| {
                let shifted = IterationRecord {
                    iteration: r.iteration + iterations,
                    ..*r
                };
                observer(&shifted);
                log.push(shifted);
            });
            iterations += summary.iterations;
            times.accumulate(&summary.times);

            let done = match options.surrogate {
                GncSurrogate::GemanMcClure => mu <= GncGemanMcClure::FINAL_MU,
                GncSurrogate::TruncatedLeastSquares => summary
                    .weights
                    .iter()
                    .zip(robust)
                    .all(|(&w, &r)| !r || w == 0.0 || w == 1.0),
            };
            last = Some(summary);
            if done {
                break;
            }
            mu = match options.surrogate {
                GncSurrogate::GemanMcClure => {
                    GncGemanMcClure::next_mu(mu).max(GncGemanMcClure::FINAL_MU)
                }
                GncSurrogate::TruncatedLeastSquares => GncTruncatedLeastSquares::next_mu(mu),
            };
        }
        let last = last.expect("at least one outer iteration runs");
        times.total = start.elapsed();
        Ok(Summary {
            initial_chi2,
            iterations,
            times,
            log,
            ..last
        })
    })
}
