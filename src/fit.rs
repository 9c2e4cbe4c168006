//! Robust curve fitting: y = exp(m·x + c) from samples with gross outliers.
//!
//! A small, complete use of the library away from pose graphs, shared by
//! `examples/curve_fitting.rs` and `tests/curve_fitting.rs`:
//!
//! * [`ExponentialSample`] is the residual of one sample, written once for any
//!   [`AdScalar`] and turned into a factor by [`AutoDiff`];
//! * [`generate`] makes a seeded synthetic data set with a known truth and a
//!   fraction of gross outliers (protocol in [`DataOptions`]);
//! * [`initial_guess`] gives a closed-form start, and [`fit_exponential`] solves
//!   with any robust kernel from a given start;
//! * [`fit_each_kernel`] runs the comparison of the example: least squares,
//!   Huber, Cauchy and L1.
//!
//! # Units and starts
//!
//! Every sample is weighed by the information 1/σ², σ the noise standard
//! deviation, so the whitened residual √s is the residual in standard
//! deviations and a kernel width δ means "δσ", as everywhere in rhopt (see
//! [`crate::kernel`]). The textbook widths that keep 95 % of least squares'
//! efficiency on Gaussian noise ([`HUBER_WIDTH`], [`CAUCHY_WIDTH`]) can then
//! be used as they are, whatever the units of y.
//!
//! Redescending kernels such as Cauchy make the cost non-convex: started far
//! away they can settle in a basin that explains the outliers instead of the
//! curve. The recipe used by the example and the tests is the usual one with
//! Ceres or g2o: fit least squares from [`initial_guess`] first, then start
//! every robust fit from the least-squares solution. That solution is biased
//! by the outliers, but it is a minimum of a smooth problem fitted to all the
//! data, so it tends to lie in the basin of the curve the inliers trace. (On
//! the example's data, starting the robust fits from [`initial_guess`]
//! instead gives the same estimates; the least-squares start is the habit
//! that does not depend on a good closed-form guess.)
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use rhopt::fit::{fit_exponential, generate, initial_guess, DataOptions, CAUCHY_WIDTH};
//! use rhopt::kernel::Cauchy;
//! use rhopt::solver::SolverOptions;
//!
//! let options = DataOptions::default(); // 100 samples, 20 % outliers
//! let data = generate(&options)?;
//! let solver = SolverOptions::default();
//! let start = initial_guess(&data.observations);
//! let l2 = fit_exponential(&data.observations, options.sigma, None, start, &solver)?;
//! let cauchy = Arc::new(Cauchy::new(CAUCHY_WIDTH)?);
//! let robust = fit_exponential(&data.observations, options.sigma, Some(cauchy), l2.params(), &solver)?;
//! let [error_m, error_c] = robust.relative_errors(options.truth());
//! assert!(error_m < 0.05 && error_c < 0.05);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use nalgebra::{DMatrix, Vector2};

use crate::autodiff::{AdScalar, AutoDiff, AutoDiffResidual};
use crate::generate::Rng;
use crate::kernel::{Cauchy, Huber, RobustKernel, L1};
use crate::manifold::Euclidean;
use crate::problem::{Key, Problem, ProblemError};
use crate::solver::{Solver, SolverError, SolverOptions, Summary};

/// The residual of one sample (x, y) of y = exp(m·x + c): e = y − exp(m·x + c).
///
/// It reads one `Euclidean<2>` variable holding (m, c); wrap it as
/// `AutoDiff::<_, 2, 1>` (2 parameters, residual of dimension 1). Its
/// Jacobian with respect to (m, c) is [−x·eˣ, −eˣ] with eˣ = exp(m·x + c).
///
/// ```
/// use nalgebra::Vector2;
/// use rhopt::fit::ExponentialSample;
/// use rhopt::prelude::*;
///
/// let mut problem = Problem::new();
/// let mc = problem.add_variable(Euclidean(Vector2::new(0.3, 1.0)));
/// let sample = ExponentialSample::new(mc, 2.0, 4.0);
/// let factor = AutoDiff::<_, 2, 1>::new(sample, problem.values()).unwrap();
/// let mut e = [0.0];
/// factor.evaluate(problem.values(), &mut e, None);
/// assert!((e[0] - (4.0 - 1.6f64.exp())).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialSample {
    key: [Key; 1],
    x: f64,
    y: f64,
}

impl ExponentialSample {
    /// The sample (x, y) of the curve whose (m, c) is the `Euclidean<2>` variable `mc`.
    pub fn new(mc: Key, x: f64, y: f64) -> Self {
        Self { key: [mc], x, y }
    }

    /// The sample's abscissa x.
    pub fn x(&self) -> f64 {
        self.x
    }

    /// The sample's measured value y.
    pub fn y(&self) -> f64 {
        self.y
    }
}

impl AutoDiffResidual for ExponentialSample {
    fn keys(&self) -> &[Key] {
        &self.key
    }

    fn residual_dim(&self) -> usize {
        1
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let (m, c) = (params[0][0], params[0][1]);
        residual[0] = T::from(self.y) - (m * self.x + c).exp();
    }
}

/// One data point (x, y).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Abscissa.
    pub x: f64,
    /// Measured value.
    pub y: f64,
}

/// Settings of [`generate`]; the defaults are those of the curve-fitting example.
///
/// # Protocol
///
/// * `samples` abscissae evenly spaced on [`x_min`, `x_max`] (the ends included).
/// * Every sample starts as y = exp(m·x + c) + σ·n, n standard normal.
/// * round(`outlier_fraction` · `samples`) of them, chosen uniformly without
///   replacement, are then replaced by *clutter*: y uniform on
///   [0, [`OUTLIER_CEILING`] · max exp(m·x + c)], the box a plot of the data
///   shows, except the band of ± [`OUTLIER_GAP`]·σ around the curve, so every
///   outlier is a gross one. (Only if the band covers the whole box, which
///   takes a σ comparable to the curve itself, is the outlier put on the
///   band's edge above the curve.)
///
/// Clutter pulls a least-squares fit towards the middle of the box: up where
/// the curve is low, down where it is high. That flattens the fitted curve, a
/// systematic bias that more samples do not average away.
///
/// The same options give the same data on every platform, up to the last bits
/// of the platform's `exp`, `ln` and `cos`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataOptions {
    /// True slope m (default 0.3).
    pub m: f64,
    /// True offset c (default 1.0).
    pub c: f64,
    /// Number of samples (default 100).
    pub samples: usize,
    /// Smallest abscissa (default 0).
    pub x_min: f64,
    /// Largest abscissa (default 5).
    pub x_max: f64,
    /// Standard deviation σ of the Gaussian noise on y (default 0.1, about 1–4 % of the curve).
    pub sigma: f64,
    /// Fraction of samples replaced by gross outliers, in [0, 1] (default 0.2).
    pub outlier_fraction: f64,
    /// Random seed (default 1).
    pub seed: u64,
}

impl Default for DataOptions {
    fn default() -> Self {
        Self {
            m: 0.3,
            c: 1.0,
            samples: 100,
            x_min: 0.0,
            x_max: 5.0,
            sigma: 0.1,
            outlier_fraction: 0.2,
            seed: 1,
        }
    }
}

impl DataOptions {
    /// The true parameters [m, c].
    pub fn truth(&self) -> [f64; 2] {
        [self.m, self.c]
    }
}

/// Outliers of [`generate`] lie at least this many σ from the curve.
pub const OUTLIER_GAP: f64 = 5.0;

/// Outliers of [`generate`] lie below this multiple of the curve's largest value on the x range.
pub const OUTLIER_CEILING: f64 = 1.5;

/// A data set made by [`generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The samples, in increasing x.
    pub observations: Vec<Observation>,
    /// Whether each sample is a gross outlier (same order and length).
    pub outlier: Vec<bool>,
}

/// Why data could not be generated or fitted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// A setting of [`DataOptions`] or an argument is out of its range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        /// The setting or argument.
        name: &'static str,
        /// Its value (as text, so that counts and reals fit).
        value: String,
        /// What it must be.
        reason: &'static str,
    },
    /// There is nothing to fit.
    #[error("no observations to fit")]
    NoObservations,
    /// An observation has a NaN or infinite coordinate.
    #[error("observation {index} is not finite: ({x}, {y})")]
    NonFiniteObservation {
        /// Its index.
        index: usize,
        /// Its x.
        x: f64,
        /// Its y.
        y: f64,
    },
    /// The problem could not be built (not expected with valid inputs).
    #[error("building the problem: {0}")]
    Problem(String),
    /// The solver refused to start.
    #[error("solver: {0}")]
    Solver(#[from] SolverError),
}

impl From<ProblemError> for FitError {
    fn from(e: ProblemError) -> Self {
        Self::Problem(e.to_string())
    }
}

fn invalid(name: &'static str, value: impl ToString, reason: &'static str) -> FitError {
    FitError::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
}

/// Checks `options` for [`generate`]; the curve must stay finite over the x range.
fn check_options(o: &DataOptions) -> Result<(), FitError> {
    if o.samples == 0 {
        return Err(invalid("samples", o.samples, "must be at least 1"));
    }
    if !(o.x_min.is_finite() && o.x_max.is_finite() && o.x_min <= o.x_max) {
        return Err(invalid(
            "x range",
            format!("[{}, {}]", o.x_min, o.x_max),
            "must be finite with x_min ≤ x_max",
        ));
    }
    if !(o.sigma > 0.0 && o.sigma.is_finite()) {
        return Err(invalid("sigma", o.sigma, "must be positive and finite"));
    }
    if !(0.0..=1.0).contains(&o.outlier_fraction) {
        return Err(invalid(
            "outlier_fraction",
            o.outlier_fraction,
            "must lie in [0, 1]",
        ));
    }
    let top = (o.m * o.x_min + o.c).exp().max((o.m * o.x_max + o.c).exp());
    if !(o.m.is_finite() && o.c.is_finite() && (OUTLIER_CEILING * top).is_finite()) {
        return Err(invalid(
            "(m, c)",
            format!("({}, {})", o.m, o.c),
            "exp(m·x + c) must stay finite on the x range",
        ));
    }
    Ok(())
}

/// A seeded synthetic data set of y = exp(m·x + c) with noise and gross
/// outliers, following the protocol of [`DataOptions`].
///
/// # Errors
/// [`FitError::InvalidParameter`] for options out of range: no samples, a
/// non-finite or reversed x range, σ not positive and finite, a fraction
/// outside [0, 1], or a curve that overflows on the x range.
///
/// ```
/// use rhopt::fit::{generate, DataOptions};
///
/// let data = generate(&DataOptions { samples: 50, outlier_fraction: 0.1, ..Default::default() })?;
/// assert_eq!(data.observations.len(), 50);
/// assert_eq!(data.outlier.iter().filter(|o| **o).count(), 5);
/// # Ok::<(), rhopt::fit::FitError>(())
/// ```
pub fn generate(options: &DataOptions) -> Result<Dataset, FitError> {
    check_options(options)?;
    let o = *options;
    let mut rng = Rng::new(o.seed);
    let n = o.samples;
    let curve = |x: f64| (o.m * x + o.c).exp();
    let mut observations: Vec<Observation> = sample_curve(o.truth(), o.x_min, o.x_max, n)
        .into_iter()
        .map(|[x, f]| Observation {
            x,
            y: f + o.sigma * rng.normal(),
        })
        .collect();

    // Partial Fisher-Yates: the first `count` entries of `order` are a uniform
    // choice without replacement.
    let count = ((o.outlier_fraction * n as f64).round() as usize).min(n);
    let mut order: Vec<usize> = (0..n).collect();
    for k in 0..count {
        let j = k + rng.below(n - k);
        order.swap(k, j);
    }
    let mut outlier = vec![false; n];
    let ceiling = OUTLIER_CEILING * curve(o.x_min).max(curve(o.x_max));
    let gap = OUTLIER_GAP * o.sigma;
    for &i in &order[..count] {
        outlier[i] = true;
        let f = curve(observations[i].x);
        // Uniform on [0, f − gap) ∪ (f + gap, ceiling], drawn in one go (no
        // rejection loop, so every outlier costs exactly one random number).
        let below = (f - gap).max(0.0);
        let above = (ceiling - (f + gap)).max(0.0);
        let u = rng.uniform() * (below + above);
        observations[i].y = if below + above == 0.0 {
            f + gap
        } else if u < below {
            u
        } else {
            f + gap + (u - below)
        };
    }
    Ok(Dataset {
        observations,
        outlier,
    })
}

/// A closed-form start for least squares: the straight-line least-squares fit
/// of ln y = m·x + c over the samples with y > 0.
///
/// Taking logarithms turns the curve into a line, so this needs no start of
/// its own; it weighs samples differently from the real problem (and outliers
/// bias it), which is why it is only a start. With fewer than two positive
/// samples, or all of them at one x, it returns m = 0 and c = ln of the mean
/// positive y (c = 0 if there is none).
///
/// ```
/// use rhopt::fit::{initial_guess, Observation};
///
/// let clean: Vec<Observation> =
///     (0..5).map(|i| Observation { x: i as f64, y: (0.5 * i as f64 - 1.0).exp() }).collect();
/// let [m, c] = initial_guess(&clean);
/// assert!((m - 0.5).abs() < 1e-12 && (c + 1.0).abs() < 1e-12);
/// ```
pub fn initial_guess(observations: &[Observation]) -> [f64; 2] {
    let points: Vec<(f64, f64)> = observations
        .iter()
        .filter(|o| o.x.is_finite() && o.y > 0.0 && o.y.is_finite())
        .map(|o| (o.x, o.y.ln()))
        .collect();
    if points.is_empty() {
        return [0.0, 0.0];
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxv: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_v)).sum();
    if sxx > 0.0 {
        let m = sxv / sxx;
        [m, mean_v - m * mean_x]
    } else {
        let mean_y = points.iter().map(|p| p.1.exp()).sum::<f64>() / n;
        [0.0, mean_y.ln()]
    }
}

/// The result of [`fit_exponential`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialFit {
    /// Estimated slope m.
    pub m: f64,
    /// Estimated offset c.
    pub c: f64,
    /// The solver's report: iterations, costs, time and the final kernel
    /// weight of every sample (in sample order).
    pub summary: Summary,
}

impl ExponentialFit {
    /// The estimate [m, c], e.g. as the start of another fit.
    pub fn params(&self) -> [f64; 2] {
        [self.m, self.c]
    }

    /// The fitted curve's value exp(m·x + c) at `x`.
    pub fn value(&self, x: f64) -> f64 {
        (self.m * x + self.c).exp()
    }

    /// |estimate − truth| / |truth| for m and for c, in that order (infinite
    /// for a wrong estimate of a zero truth).
    pub fn relative_errors(&self, truth: [f64; 2]) -> [f64; 2] {
        let relative = |estimate: f64, truth: f64| {
            let error = (estimate - truth).abs();
            if error == 0.0 {
                0.0
            } else {
                error / truth.abs()
            }
        };
        [relative(self.m, truth[0]), relative(self.c, truth[1])]
    }
}

/// Fits y = exp(m·x + c) to `observations` from `start` = [m, c], every
/// sample weighed by 1/σ² and robustified by `kernel` (`None` is least
/// squares).
///
/// With the 1/σ² weight a kernel width is in units of σ (see the [module
/// documentation](self), which also explains how to choose `start`). The fit
/// is returned whether or not the solver converged: check
/// [`Summary::converged`].
///
/// # Errors
/// [`FitError::InvalidParameter`] for a σ that is not positive and finite or
/// a non-finite start, [`FitError::NoObservations`],
/// [`FitError::NonFiniteObservation`], or a solver that refuses to start.
pub fn fit_exponential(
    observations: &[Observation],
    sigma: f64,
    kernel: Option<Arc<dyn RobustKernel>>,
    start: [f64; 2],
    options: &SolverOptions,
) -> Result<ExponentialFit, FitError> {
    if !(sigma > 0.0 && sigma.is_finite() && (sigma * sigma).is_normal()) {
        return Err(invalid(
            "sigma",
            sigma,
            "must be positive and finite, with a normal σ²",
        ));
    }
    if !(start[0].is_finite() && start[1].is_finite()) {
        return Err(invalid(
            "start",
            format!("({}, {})", start[0], start[1]),
            "must be finite",
        ));
    }
    if observations.is_empty() {
        return Err(FitError::NoObservations);
    }
    if let Some((index, o)) = observations
        .iter()
        .enumerate()
        .find(|(_, o)| !(o.x.is_finite() && o.y.is_finite()))
    {
        return Err(FitError::NonFiniteObservation {
            index,
            x: o.x,
            y: o.y,
        });
    }

    let mut problem = Problem::new();
    let mc = problem.add_variable(Euclidean(Vector2::new(start[0], start[1])));
    let information = DMatrix::from_element(1, 1, 1.0 / (sigma * sigma));
    for o in observations {
        let factor =
            AutoDiff::<_, 2, 1>::new(ExponentialSample::new(mc, o.x, o.y), problem.values())
                // One Euclidean<2> variable that exists: `new` has nothing to refuse.
                .map_err(|e| FitError::Problem(e.to_string()))?;
        problem.add_factor(factor, Some(information.clone()), kernel.clone())?;
    }
    let summary = Solver::new(options.clone()).solve(&mut problem)?;
    let fit: Euclidean<2> = problem.values().get(mc);
    Ok(ExponentialFit {
        m: fit.0[0],
        c: fit.0[1],
        summary,
    })
}

/// The Huber width, in σ, with 95 % of least squares' efficiency on Gaussian noise.
pub const HUBER_WIDTH: f64 = 1.345;

/// The Cauchy width, in σ, with 95 % of least squares' efficiency on Gaussian noise.
pub const CAUCHY_WIDTH: f64 = 2.3849;

/// The estimators [`fit_each_kernel`] compares, by name: `"L2"` (least squares, `None`),
/// `"Huber"` ([`HUBER_WIDTH`]), `"Cauchy"` ([`CAUCHY_WIDTH`]) and `"L1"` (the default smoothing
/// ε = [`L1::DEFAULT_EPSILON`] σ, so the cost is Σ|e|/σ for every residual that matters).
pub fn compared_kernels() -> Vec<(&'static str, Option<Arc<dyn RobustKernel>>)> {
    // The widths are positive finite constants, which the constructors accept.
    let huber = Huber::new(HUBER_WIDTH).expect("valid Huber width");
    let cauchy = Cauchy::new(CAUCHY_WIDTH).expect("valid Cauchy width");
    vec![
        ("L2", None),
        ("Huber", Some(Arc::new(huber))),
        ("Cauchy", Some(Arc::new(cauchy))),
        ("L1", Some(Arc::new(L1::default()))),
    ]
}

/// One row of [`fit_each_kernel`]: an estimator's name and its fit.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelFit {
    /// Name from [`compared_kernels`].
    pub name: &'static str,
    /// The fit.
    pub fit: ExponentialFit,
}

/// Fits `observations` with every estimator of [`compared_kernels`], in that order: least
/// squares from [`initial_guess`], then each robust kernel from the least-squares solution (see
/// the [module documentation](self) for why).
///
/// # Errors
/// As [`fit_exponential`].
pub fn fit_each_kernel(
    observations: &[Observation],
    sigma: f64,
    options: &SolverOptions,
) -> Result<Vec<KernelFit>, FitError> {
    let mut fits: Vec<KernelFit> = Vec::new();
    for (name, kernel) in compared_kernels() {
        let start = match fits.first() {
            Some(least_squares) => least_squares.fit.params(),
            None => initial_guess(observations),
        };
        let fit = fit_exponential(observations, sigma, kernel, start, options)?;
        fits.push(KernelFit { name, fit });
    }
    Ok(fits)
}

/// `points` points (x, exp(m·x + c)) at evenly spaced x on [`x_min`, `x_max`], the ends
/// included: a curve to plot.
///
/// ```
/// let curve = rhopt::fit::sample_curve([0.0, 0.0], 0.0, 1.0, 3);
/// assert_eq!(curve, vec![[0.0, 1.0], [0.5, 1.0], [1.0, 1.0]]);
/// ```
pub fn sample_curve(params: [f64; 2], x_min: f64, x_max: f64, points: usize) -> Vec<[f64; 2]> {
    (0..points)
        .map(|i| {
            let t = if points > 1 {
                i as f64 / (points - 1) as f64
            } else {
                0.0
            };
            let x = (1.0 - t) * x_min + t * x_max;
            [x, (params[0] * x + params[1]).exp()]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_generate_follows_the_protocol() {
        let options = DataOptions::default();
        let data = generate(&options).unwrap();
        assert_eq!(data, generate(&options).unwrap(), "not deterministic");
        let n = options.samples;
        assert_eq!(data.observations.len(), n);
        assert_eq!(data.outlier.iter().filter(|o| **o).count(), 20);
        assert_eq!(data.observations[0].x, options.x_min);
        assert_eq!(data.observations[n - 1].x, options.x_max);
        let ceiling = OUTLIER_CEILING * (options.m * options.x_max + options.c).exp();
        for (o, &is_outlier) in data.observations.iter().zip(&data.outlier) {
            let off = (o.y - (options.m * o.x + options.c).exp()).abs() / options.sigma;
            if is_outlier {
                assert!(off >= OUTLIER_GAP && (0.0..=ceiling).contains(&o.y));
            } else {
                // 100 standard normals essentially never exceed 4.5σ.
                assert!(off < 4.5, "inlier {off}σ off");
            }
        }
    }

    #[test]
    fn fit_generate_rejects_bad_options() {
        let bad = [
            DataOptions {
                samples: 0,
                ..Default::default()
            },
            DataOptions {
                x_min: 2.0,
                x_max: 1.0,
                ..Default::default()
            },
            DataOptions {
                sigma: 0.0,
                ..Default::default()
            },
            DataOptions {
                outlier_fraction: 1.5,
                ..Default::default()
            },
            DataOptions {
                m: 500.0,
                ..Default::default()
            },
            DataOptions {
                c: f64::NAN,
                ..Default::default()
            },
        ];
        for options in bad {
            assert!(
                matches!(generate(&options), Err(FitError::InvalidParameter { .. })),
                "{options:?}"
            );
        }
    }

    #[test]
    fn fit_generate_handles_degenerate_boxes() {
        // σ so large that the ±5σ band covers the whole box: outliers go on its upper edge.
        let options = DataOptions {
            sigma: 100.0,
            samples: 1,
            outlier_fraction: 1.0,
            ..Default::default()
        };
        let data = generate(&options).unwrap();
        assert_eq!(data.observations[0].y, 1f64.exp() + OUTLIER_GAP * 100.0);
    }

    #[test]
    fn fit_refuses_bad_input() {
        let ok = [Observation { x: 0.0, y: 1.0 }];
        let solver = SolverOptions::default();
        assert!(matches!(
            fit_exponential(&[], 1.0, None, [0.0, 0.0], &solver),
            Err(FitError::NoObservations)
        ));
        assert!(matches!(
            fit_exponential(&ok, -1.0, None, [0.0, 0.0], &solver),
            Err(FitError::InvalidParameter { name: "sigma", .. })
        ));
        assert!(matches!(
            fit_exponential(&ok, 1.0, None, [f64::NAN, 0.0], &solver),
            Err(FitError::InvalidParameter { name: "start", .. })
        ));
        let nan = [
            ok[0],
            Observation {
                x: 1.0,
                y: f64::INFINITY,
            },
        ];
        assert!(matches!(
            fit_exponential(&nan, 1.0, None, [0.0, 0.0], &solver),
            Err(FitError::NonFiniteObservation { index: 1, .. })
        ));
    }

    #[test]
    fn fit_without_outliers_is_exact_for_every_kernel() {
        let observations: Vec<Observation> = (0..30)
            .map(|i| {
                let x = i as f64 / 6.0;
                Observation {
                    x,
                    y: (0.3 * x + 1.0).exp(),
                }
            })
            .collect();
        for (name, kernel) in compared_kernels() {
            let fit = fit_exponential(
                &observations,
                0.2,
                kernel,
                initial_guess(&observations),
                &SolverOptions::default(),
            )
            .unwrap();
            let [em, ec] = fit.relative_errors([0.3, 1.0]);
            assert!(em < 1e-9 && ec < 1e-9, "{name}: {em} {ec}");
        }
    }

    #[test]
    fn fit_initial_guess_degenerate_inputs() {
        assert_eq!(initial_guess(&[]), [0.0, 0.0]);
        let negative = [Observation { x: 0.0, y: -1.0 }];
        assert_eq!(initial_guess(&negative), [0.0, 0.0]);
        let one_x = [
            Observation { x: 1.0, y: 2.0 },
            Observation { x: 1.0, y: 4.0 },
        ];
        let [m, c] = initial_guess(&one_x);
        assert_eq!(m, 0.0);
        assert!((c - 3f64.ln()).abs() < 1e-15);
    }
}
