//! Solver settings with their documented defaults.

use crate::linear::LinearSolverKind;

/// The nonlinear least-squares algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Gauss-Newton: every step is taken; fails if the normal equations are singular.
    GaussNewton,
    /// Levenberg-Marquardt with Nielsen's damping update; steps that raise the cost are rejected.
    #[default]
    LevenbergMarquardt,
}

/// How Levenberg-Marquardt scales its damping term λD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Damping {
    /// D = the largest diag(H) seen so far, clamped below by `min_diagonal` (Marquardt's
    /// scaling with MINPACK's monotone update): invariant to the units of each variable. The
    /// fewest iterations on 11 of the 12 public datasets (e.g. city10000 7, sphere2500 6).
    #[default]
    Marquardt,
    /// D = I with λ₀ = `initial_lambda`·max diag(H) (Levenberg's form, as g2o uses). Slower on
    /// most graphs (city10000 66 iterations) but the one that gets MIT out of its bad initial
    /// guess (526.33 in 120 iterations, where Marquardt scaling settles in the local minimum
    /// 770.66).
    Levenberg,
}

impl Damping {
    /// λ₀ when [`SolverOptions::initial_lambda`] is `None`; `robust`: whether any factor has a
    /// robust kernel.
    ///
    /// Marquardt, least squares: 1e-8, nearly a Gauss-Newton step, as GTSAM starts (its
    /// λ₀ = 1e-5 on D = I is about 1e-9 of diag(H) on the public graphs). Pose graphs read from
    /// files start close enough for Gauss-Newton, and a step that raises the cost is rejected
    /// and damped harder anyway. Measured with `rhopt solve --threads 1` (iterations for
    /// λ₀ = 1e-5 → 1e-8, same optima): intel 5 → 3, manhattanOlson3500 9 → 5, city10000 9 → 7,
    /// sphere2500 9 → 6, parking-garage 13 → 7, manhattan 33 → 8, ring 18 → 6, torus3D
    /// 63 → 61. (1e-9 is worse on city10000, 10; 1e-6 and 1e-7 fall between.)
    ///
    /// Marquardt, robust: 1e-5. IRLS reweights after every step, so the quadratic model is
    /// poorer and a long first step can carry the estimate into the basin of the false loop
    /// closures: with 1e-8, ring with 1000 false loop closures ends at ATE 3.25 m instead of
    /// 1.35 m (`tests/outliers.rs`).
    ///
    /// Levenberg: 1e-5 (relative to max diag(H), g2o's τ): the damped start is what takes MIT
    /// out of its bad initial guess.
    pub fn default_initial_lambda(self, robust: bool) -> f64 {
        match self {
            Damping::Marquardt if !robust => 1e-8,
            Damping::Marquardt | Damping::Levenberg => 1e-5,
        }
    }
}

/// How a robust kernel enters the Gauss-Newton model (see [`crate::kernel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weighting {
    /// Iteratively reweighted least squares: W = ρ'(s) Ω (g2o's choice).
    #[default]
    Irls,
    /// Second-order (Triggs) correction: W = ρ'Ω + 2ρ''(Ωe)(Ωe)ᵀ, the Gauss-Newton Hessian of
    /// ρ(s(e)). In whitened coordinates it differs from ρ'I in one eigenvalue, ρ' + 2ρ''s along
    /// the residual. Where a redescending kernel makes that eigenvalue zero or negative, the
    /// factor falls back to the IRLS weight, so W is always positive definite. (Ceres' corrector
    /// skips the correction whenever ρ'' ≤ 0, i.e. for every robust kernel here; clamping the
    /// eigenvalue at 0 instead was measured to stall LM: Cauchy on manhattanOlson3500 stopped at
    /// Σρ = 187.7 after 100 iterations where this rule reaches the optimum 142.396.)
    /// On the public datasets IRLS converges in fewer iterations, which is why it is the default.
    SecondOrder,
}

/// Settings of [`crate::solver::Solver`]. Every field has a documented default.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverOptions {
    /// Algorithm (default Levenberg-Marquardt).
    pub algorithm: Algorithm,
    /// Iteration limit; every linear solve counts, accepted or not (default 100).
    pub max_iterations: usize,
    /// Stop when an accepted step lowers the cost F by less than this fraction of F (default 1e-6).
    pub function_tolerance: f64,
    /// Stop when ‖∇F‖∞ falls below this fraction of its initial value (default 1e-10).
    pub gradient_tolerance: f64,
    /// Stop when ‖δ‖ ≤ tol·(‖x‖ + tol), x the stored parameters (default 1e-8).
    pub parameter_tolerance: f64,
    /// Damping scaling (default [`Damping::Marquardt`]).
    pub damping: Damping,
    /// Initial LM damping λ₀: with Marquardt scaling λ₀ itself, with Levenberg scaling relative
    /// to max diag(H). `None` (the default) takes [`Damping::default_initial_lambda`].
    pub initial_lambda: Option<f64>,
    /// Lower clamp of Marquardt's scaling diagonal, so directions H does not constrain are damped
    /// too (default 1e-6).
    pub min_diagonal: f64,
    /// How robust kernels enter the normal equations (default [`Weighting::Irls`]).
    pub weighting: Weighting,
    /// Factorisation of the normal equations (default [`LinearSolverKind::Auto`]: dense up to
    /// [`crate::linear::DENSE_MAX_DIM`] unknowns, sparse above).
    pub linear_solver: LinearSolverKind,
    /// Threads of the sparse factorisation: `None` decides by the factor's size (see
    /// [`crate::linear::SparseCholesky::analyse`]), `Some(1)` is sequential (default `None`).
    pub factor_threads: Option<usize>,
    /// Worker threads for linearisation and evaluation; `None` uses rayon's global pool. Results
    /// are identical for every thread count (default `None`).
    pub threads: Option<usize>,
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::LevenbergMarquardt,
            max_iterations: 100,
            function_tolerance: 1e-6,
            gradient_tolerance: 1e-10,
            parameter_tolerance: 1e-8,
            damping: Damping::default(),
            initial_lambda: None,
            min_diagonal: 1e-6,
            weighting: Weighting::default(),
            linear_solver: LinearSolverKind::Auto,
            factor_threads: None,
            threads: None,
        }
    }
}
