//! Numerical faults inside a solve: singular normal equations, and factors that return NaN for
//! some values. The solver never returns a NaN estimate; its termination says what happened.

use rhopt::factor::Jacobians;
use rhopt::linear::LinearSolverKind;
use rhopt::prelude::*;

/// A scalar residual r(x) of a vector variable x ∈ Rᴺ, given as a function with its gradient
/// (either may return NaN where the model is undefined).
struct Scalar<const N: usize> {
    keys: [Key; 1],
    residual: fn(&[f64]) -> f64,
    gradient: fn(&[f64]) -> [f64; N],
}

impl<const N: usize> std::fmt::Debug for Scalar<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scalar<{N}>({:?})", self.keys)
    }
}

impl<const N: usize> Factor for Scalar<N> {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        1
    }

    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
        let x = values.params(self.keys[0]);
        residual[0] = (self.residual)(x);
        if let Some(j) = jacobians {
            let mut block = j.block_mut(0);
            for (slot, g) in block.iter_mut().zip((self.gradient)(x)) {
                *slot = g;
            }
        }
    }
}

/// A problem with one variable x ∈ Rᴺ starting at `x0` and one [`Scalar`] factor on it.
fn problem<const N: usize>(
    x0: [f64; N],
    residual: fn(&[f64]) -> f64,
    gradient: fn(&[f64]) -> [f64; N],
) -> (Problem, Key) {
    let mut problem = Problem::new();
    let key = problem.add_variable(Euclidean::<N>::from(x0));
    let factor = Scalar {
        keys: [key],
        residual,
        gradient,
    };
    problem.add_factor(factor, None, None).unwrap();
    (problem, key)
}

fn options(algorithm: Algorithm, linear_solver: LinearSolverKind) -> SolverOptions {
    SolverOptions {
        algorithm,
        linear_solver,
        ..SolverOptions::default()
    }
}

/// r = x₀ − 3: nothing constrains x₁, so JᵀJ is singular.
fn first_coordinate(x: &[f64]) -> f64 {
    x[0] - 3.0
}

fn first_coordinate_gradient(_: &[f64]) -> [f64; 2] {
    [1.0, 0.0]
}

#[test]
fn gauss_newton_reports_a_singular_system_and_keeps_the_estimate() {
    for solver in [
        LinearSolverKind::DenseCholesky,
        LinearSolverKind::SparseCholesky,
    ] {
        let (mut p, key) = problem([0.0, 7.0], first_coordinate, first_coordinate_gradient);
        let summary = Solver::new(options(Algorithm::GaussNewton, solver))
            .solve(&mut p)
            .unwrap();
        assert_eq!(
            summary.termination,
            Termination::LinearSolverFailure,
            "{solver:?}"
        );
        assert!(!summary.converged());
        assert_eq!(p.values().params(key), [0.0, 7.0], "{solver:?}: untouched");
        assert_eq!(summary.log.len(), 1);
        assert!(summary.log[0].singular && !summary.log[0].accepted);
    }
}

#[test]
fn levenberg_marquardt_solves_a_rank_deficient_problem() {
    // The damping makes H + λD definite; the free coordinate has no gradient and stays.
    for solver in [
        LinearSolverKind::DenseCholesky,
        LinearSolverKind::SparseCholesky,
    ] {
        let (mut p, key) = problem([0.0, 7.0], first_coordinate, first_coordinate_gradient);
        let summary = Solver::new(options(Algorithm::LevenbergMarquardt, solver))
            .solve(&mut p)
            .unwrap();
        assert!(summary.converged(), "{solver:?}: {:?}", summary.termination);
        let x = p.values().params(key);
        assert!((x[0] - 3.0).abs() < 1e-6, "{x:?}");
        assert_eq!(x[1], 7.0);
    }
}

/// r = x₀ + x₁ − 2: JᵀJ = [[1, 1], [1, 1]] has rank one.
fn sum_is_two(x: &[f64]) -> f64 {
    x[0] + x[1] - 2.0
}

fn sum_gradient(_: &[f64]) -> [f64; 2] {
    [1.0, 1.0]
}

#[test]
fn levenberg_marquardt_raises_lambda_until_the_system_factorises() {
    // With λ below the rounding of 1 + λ, H + λD is exactly singular: LM must report the failed
    // factorisations, raise λ, and go on.
    for solver in [
        LinearSolverKind::DenseCholesky,
        LinearSolverKind::SparseCholesky,
    ] {
        let (mut p, key) = problem([0.0, 0.0], sum_is_two, sum_gradient);
        let opts = SolverOptions {
            initial_lambda: Some(1e-20),
            ..options(Algorithm::LevenbergMarquardt, solver)
        };
        let summary = Solver::new(opts).solve(&mut p).unwrap();
        let singular: Vec<_> = summary.log.iter().take_while(|r| r.singular).collect();
        assert!(!singular.is_empty(), "{solver:?}: {:?}", summary.log);
        assert!(singular.iter().all(|r| !r.accepted));
        assert!(
            singular.windows(2).all(|w| w[1].lambda > w[0].lambda),
            "λ rises: {singular:?}"
        );
        assert!(summary.converged(), "{solver:?}: {:?}", summary.termination);
        let x = p.values().params(key);
        assert!((x[0] + x[1] - 2.0).abs() < 1e-6, "{x:?}");

        // Gauss-Newton has no λ to raise.
        let (mut p, _) = problem([0.0, 0.0], sum_is_two, sum_gradient);
        let summary = Solver::new(options(Algorithm::GaussNewton, solver))
            .solve(&mut p)
            .unwrap();
        assert_eq!(summary.termination, Termination::LinearSolverFailure);
    }
}

/// r = x − 10, but the model only exists for x ≤ 5: NaN beyond.
fn nan_beyond_five(x: &[f64]) -> f64 {
    if x[0] > 5.0 {
        f64::NAN
    } else {
        x[0] - 10.0
    }
}

fn unit_gradient(_: &[f64]) -> [f64; 1] {
    [1.0]
}

#[test]
fn nan_during_the_iterations_keeps_the_last_finite_estimate_and_says_so() {
    for algorithm in [Algorithm::GaussNewton, Algorithm::LevenbergMarquardt] {
        let (mut p, key) = problem([0.0], nan_beyond_five, unit_gradient);
        let summary = Solver::new(options(algorithm, LinearSolverKind::Auto))
            .solve(&mut p)
            .unwrap();
        assert_eq!(
            summary.termination,
            Termination::NumericalFailure,
            "{algorithm:?}: {:?}",
            summary.log
        );
        let x = p.values().params(key)[0];
        assert!(x.is_finite() && x <= 5.0, "{algorithm:?}: {x}");
        assert!(summary.final_cost.is_finite() && summary.final_cost <= summary.initial_cost);
        assert_eq!(summary.final_cost, (x - 10.0).powi(2));
        assert!(summary.log.iter().all(|r| r.cost.is_finite()));
    }
    // Gauss-Newton's first step lands at x = 10: it stops there and keeps the start.
    let (mut p, key) = problem([0.0], nan_beyond_five, unit_gradient);
    Solver::new(options(Algorithm::GaussNewton, LinearSolverKind::Auto))
        .solve(&mut p)
        .unwrap();
    assert_eq!(p.values().params(key), [0.0]);
}

/// r = x² − 100 (root x = 10), NaN beyond x = 15.
fn square_nan_beyond_fifteen(x: &[f64]) -> f64 {
    if x[0] > 15.0 {
        f64::NAN
    } else {
        x[0] * x[0] - 100.0
    }
}

fn square_gradient(x: &[f64]) -> [f64; 1] {
    [2.0 * x[0]]
}

#[test]
fn levenberg_marquardt_recovers_from_a_nan_overshoot() {
    // From x = 1 the Gauss-Newton step overshoots to 50.5, where the cost is NaN: LM shortens
    // the step and converges inside the domain, and that is convergence.
    let (mut p, key) = problem([1.0], square_nan_beyond_fifteen, square_gradient);
    let summary = Solver::new(options(
        Algorithm::LevenbergMarquardt,
        LinearSolverKind::Auto,
    ))
    .solve(&mut p)
    .unwrap();
    assert!(
        summary.log.iter().any(|r| !r.accepted && !r.singular),
        "a step was rejected: {:?}",
        summary.log
    );
    assert!(summary.converged(), "{:?}", summary.termination);
    assert!((p.values().params(key)[0] - 10.0).abs() < 1e-3);
}

/// r = x − 10 with a NaN Jacobian for x > 3: the cost stays finite, the system does not.
fn nan_jacobian_beyond_three(x: &[f64]) -> [f64; 1] {
    [if x[0] > 3.0 { f64::NAN } else { 1.0 }]
}

fn ten(x: &[f64]) -> f64 {
    x[0] - 10.0
}

#[test]
fn a_nan_jacobian_stops_the_solve_at_a_finite_estimate() {
    for algorithm in [Algorithm::GaussNewton, Algorithm::LevenbergMarquardt] {
        let (mut p, key) = problem([0.0], ten, nan_jacobian_beyond_three);
        let summary = Solver::new(options(algorithm, LinearSolverKind::Auto))
            .solve(&mut p)
            .unwrap();
        assert_eq!(summary.termination, Termination::NumericalFailure);
        let x = p.values().params(key)[0];
        assert!(x.is_finite(), "{algorithm:?}: {x}");
        assert!(summary.final_cost.is_finite());
    }
}
