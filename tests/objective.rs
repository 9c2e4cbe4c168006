//! `Objective` (a problem's F(x₀ ⊞ δ)) against finite differences, and argmin's L-BFGS on it
//! against rhopt's own Levenberg-Marquardt.

use nalgebra::DMatrix;
use rhopt::generate::Rng;
use rhopt::kernel::Cauchy;
use rhopt::loss::{BceWithLogitsLoss, MseLoss};
use rhopt::objective::Objective;
use rhopt::prelude::*;
use std::sync::Arc;

/// Central differences of `f` at `x`.
fn numeric_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let (mut p, mut m) = (x.to_vec(), x.to_vec());
            p[i] += h;
            m[i] -= h;
            (f(&p) - f(&m)) / (2.0 * h)
        })
        .collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
}

#[test]
fn gradient_is_exact_on_a_robust_pose_graph_with_a_loss_factor() {
    // Three SE2 poses (first fixed) with between factors under a Cauchy kernel: the gradient
    // must chain the right Jacobian of ⊞.
    let mut problem = Problem::new();
    let a = problem.add_variable(Se2::new(0.0, 0.0, 0.0));
    let b = problem.add_variable(Se2::new(1.1, 0.2, 0.3));
    let c = problem.add_variable(Se2::new(2.0, 0.9, 1.2));
    problem.set_fixed(a, true);
    let step = Se2::new(1.0, 0.1, 0.5);
    let cauchy: Arc<dyn RobustKernel> = Arc::new(Cauchy::new(0.5).unwrap());
    for (i, j) in [(a, b), (b, c), (a, c)] {
        problem
            .add_factor(BetweenSe2::new(i, j, step), None, Some(cauchy.clone()))
            .unwrap();
    }
    let x_of_c = LinearModel::new(c, DMatrix::from_row_slice(1, 3, &[1.0, 0.0, 0.0]));
    // LinearModel needs a Euclidean variable; a pose is refused with a clear error instead.
    assert!(problem
        .add_loss(x_of_c, MseLoss::new(Reduction::Sum), vec![2.5])
        .is_err());
    // A vector variable with a cross-entropy-style loss rides along in the same objective.
    let w = problem.add_variable(Euclidean::<2>::from([0.3, -0.2]));
    let design = DMatrix::from_row_slice(3, 2, &[1.0, 0.5, -0.7, 1.0, 0.2, -1.5]);
    problem
        .add_loss(
            LinearModel::new(w, design),
            BceWithLogitsLoss::new(Reduction::Mean),
            vec![1.0, 0.0, 1.0],
        )
        .unwrap();
    let objective = Objective::new(&problem);
    assert_eq!(objective.dim(), 8);
    let delta = [0.1, -0.2, 0.3, -0.05, 0.15, -0.4, 0.2, 0.1];
    let analytic = objective.gradient(&delta);
    let numeric = numeric_gradient(|d| objective.cost(d), &delta, 1e-6);
    let err = max_abs_diff(&analytic, &numeric);
    assert!(err < 1e-7, "analytic {analytic:?}\nnumeric {numeric:?}");
}

#[test]
fn gradient_and_hessian_are_exact_on_a_linear_least_squares_problem() {
    // F(x) = Σ(Ax − t)²: ∇F = 2Aᵀ(Ax − t), ∇²F = 2AᵀA, and the objective's curvature is exact.
    let design = DMatrix::from_row_slice(
        4,
        3,
        &[1.0, 2.0, 0.5, -1.0, 0.3, 2.0, 0.0, 1.0, 1.0, 2.0, -1.0, 0.2],
    );
    let targets = vec![1.0, -2.0, 0.5, 3.0];
    let mut problem = Problem::new();
    let k = problem.add_variable(Euclidean::<3>::from([0.5, -0.5, 1.0]));
    problem
        .add_loss(
            LinearModel::new(k, design.clone()),
            MseLoss::new(Reduction::Sum),
            targets.clone(),
        )
        .unwrap();
    let objective = Objective::new(&problem);
    let delta = [0.2, 0.1, -0.3];
    let x = nalgebra::DVector::from_column_slice(&[0.7, -0.4, 0.7]);
    let r = &design * &x - nalgebra::DVector::from_vec(targets);
    let expected_gradient = 2.0 * design.transpose() * r;
    assert!(max_abs_diff(&objective.gradient(&delta), expected_gradient.as_slice()) < 1e-12);
    let expected_hessian = 2.0 * design.transpose() * &design;
    assert!((objective.hessian(&delta) - expected_hessian).amax() < 1e-12);
}

/// An imbalanced, overlapping two-class set in 2D: 80 negatives around (0, 0), 20 positives
/// around (1.5, 1); each row is [x₁, x₂, 1] so the last weight is the bias.
fn imbalanced_set() -> (DMatrix<f64>, Vec<f64>) {
    let mut rng = Rng::new(2024);
    let n = 100;
    let mut design = DMatrix::zeros(n, 3);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let positive = i < 20;
        let (cx, cy) = if positive { (1.5, 1.0) } else { (0.0, 0.0) };
        design[(i, 0)] = cx + rng.normal();
        design[(i, 1)] = cy + rng.normal();
        design[(i, 2)] = 1.0;
        labels.push(if positive { 1.0 } else { 0.0 });
    }
    (design, labels)
}

#[test]
fn logistic_regression_lm_matches_argmin_lbfgs() {
    use argmin::core::{Executor, State};
    use argmin::solver::linesearch::MoreThuenteLineSearch;
    use argmin::solver::quasinewton::LBFGS;

    let (design, labels) = imbalanced_set();
    let mut problem = Problem::new();
    let k = problem.add_variable(Euclidean::<3>::zeros());
    problem
        .add_loss(
            LinearModel::new(k, design),
            BceWithLogitsLoss::new(Reduction::Mean),
            labels,
        )
        .unwrap();
    let objective = Objective::new(&problem);

    let options = SolverOptions {
        function_tolerance: 1e-15,
        gradient_tolerance: 1e-13,
        parameter_tolerance: 1e-15,
        ..SolverOptions::default()
    };
    let summary = Solver::new(options).solve(&mut problem).unwrap();
    assert!(summary.converged(), "{:?}", summary.termination);
    let lm = problem.values().params(k).to_vec();

    // argmin's default cost tolerance stays: with it set to 0, More-Thuente's line search was
    // seen to spin forever once the gradient reached rounding level.
    let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), 7)
        .with_tolerance_grad(1e-10)
        .unwrap();
    let result = Executor::new(objective, lbfgs)
        .configure(|state| state.param(vec![0.0; 3]).max_iters(200))
        .run()
        .unwrap();
    let argmin_best = result.state().get_best_param().unwrap().clone();

    // A strictly convex problem: one minimum, which both must find.
    let err = max_abs_diff(&lm, &argmin_best);
    assert!(err < 1e-6, "LM {lm:?} vs L-BFGS {argmin_best:?}");
    assert!(summary.iterations < result.state().get_iter() as usize);
}

#[test]
fn argmin_gets_an_error_for_a_wrong_parameter_length() {
    use argmin::core::{CostFunction, Gradient, Hessian};
    let mut problem = Problem::new();
    let k = problem.add_variable(Euclidean::<2>::zeros());
    problem
        .add_loss(
            LinearModel::new(k, DMatrix::identity(2, 2)),
            MseLoss::new(Reduction::Mean),
            vec![1.0, 2.0],
        )
        .unwrap();
    let objective = Objective::new(&problem);
    let short = vec![0.0];
    assert!(CostFunction::cost(&objective, &short).is_err());
    assert!(Gradient::gradient(&objective, &short).is_err());
    let message = Hessian::hessian(&objective, &short)
        .unwrap_err()
        .to_string();
    assert!(message.contains("2 free degrees of freedom"), "{message}");
}
