//! Test support shared by all groups: angle/axis strategies, a generic
//! central-difference Jacobian, and property checks written once against
//! [`LieGroup`].

use std::f64::consts::PI;
use std::ops::Index;

use nalgebra::{DMatrix, Vector3};
use proptest::prelude::*;

use super::LieGroup;

/// Finite-difference step.
const STEP: f64 = 1e-6;
/// Relative/absolute tolerance for finite-difference comparisons.
const FD_TOL: f64 = 1e-6;

/// Angles strictly inside `(−π, π)` from the regimes that break naive
/// formulas: exactly 0, tiny (|θ| < 1e-6), within 1e-3 of ±π (but at least
/// 1e-5 away, so a ±1e-6 finite-difference step cannot cross the cut of Log),
/// and generic.
pub fn angle() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        -1e-6..1e-6,
        (1e-5..1e-3, any::<bool>()).prop_map(|(d, neg)| signed(PI - d, neg)),
        -3.1..3.1,
    ]
}

/// Like [`angle`] but also reaching ±π exactly; for checks that do not need
/// `Log` to be continuous (`Exp(Log(X)) = X`).
pub fn angle_up_to_pi() -> impl Strategy<Value = f64> {
    prop_oneof![
        angle(),
        (0.0..1e-3, any::<bool>()).prop_map(|(d, neg)| signed(PI - d, neg)),
        Just(PI),
        Just(-PI),
    ]
}

fn signed(a: f64, negative: bool) -> f64 {
    if negative {
        -a
    } else {
        a
    }
}

/// Uniformly-ish distributed unit vectors.
pub fn unit_axis() -> impl Strategy<Value = Vector3<f64>> {
    (-1.0..1.0, -1.0..1.0, -1.0..1.0)
        .prop_map(|(x, y, z)| Vector3::new(x, y, z))
        .prop_filter("non-degenerate axis", |v| v.norm() > 1e-2)
        .prop_map(|v| v.normalize())
}

/// Rotation vectors `θ·axis` with θ drawn from `angles`.
pub fn rotation_vector(angles: impl Strategy<Value = f64>) -> impl Strategy<Value = Vector3<f64>> {
    (unit_axis(), angles).prop_map(|(axis, theta)| axis * theta)
}

/// `s·e_k` in the tangent space of `G`.
fn basis<G: LieGroup>(k: usize, s: f64) -> G::Tangent {
    let mut t = G::identity().log(); // the zero tangent
    t[k] = s;
    t
}

fn tangent_norm<G: LieGroup>(t: &G::Tangent) -> f64 {
    (0..G::DOF).map(|i| t[i] * t[i]).sum::<f64>().sqrt()
}

/// Central differences: column k is `diff(eval(k, +h), eval(k, −h)) / 2h`,
/// where `eval(k, s)` evaluates the function with input perturbed by `s·e_k`
/// and `diff` is the output-space `⊟`.
fn central_difference<Out, D: Index<usize, Output = f64>>(
    dim_in: usize,
    dim_out: usize,
    eval: impl Fn(usize, f64) -> Out,
    diff: impl Fn(&Out, &Out) -> D,
) -> DMatrix<f64> {
    let mut jac = DMatrix::zeros(dim_out, dim_in);
    for k in 0..dim_in {
        let d = diff(&eval(k, STEP), &eval(k, -STEP));
        for i in 0..dim_out {
            jac[(i, k)] = d[i] / (2.0 * STEP);
        }
    }
    jac
}

/// Numerical Jacobian of a group-to-group map under right perturbations:
/// column k is `(f(X ⊞ h e_k) ⊟ f(X ⊞ −h e_k)) / 2h`.
pub fn numeric_group_jacobian<G: LieGroup, H: LieGroup>(
    x: &G,
    f: impl Fn(&G) -> H,
) -> DMatrix<f64> {
    central_difference(
        G::DOF,
        H::DOF,
        |k, s| f(&x.plus(&basis::<G>(k, s))),
        |a, b| a.minus(b),
    )
}

/// Numerical Jacobian of `Log` at `x` (tangent-valued output, so `⊟` is `−`).
pub fn numeric_log_jacobian<G: LieGroup>(x: &G) -> DMatrix<f64> {
    central_difference(
        G::DOF,
        G::DOF,
        |k, s| x.plus(&basis::<G>(k, s)).log(),
        |a, b| *a - *b,
    )
}

/// Numerical Jacobian of `Exp` at `xi` (vector input, group output).
pub fn numeric_exp_jacobian<G: LieGroup>(xi: &G::Tangent) -> DMatrix<f64> {
    central_difference(
        G::DOF,
        G::DOF,
        |k, s| G::exp(&(*xi + basis::<G>(k, s))),
        |a, b| a.minus(b),
    )
}

/// Entry-wise `|analytic − numeric| ≤ tol·max(1, |numeric|)`.
pub fn assert_jacobian_close<G: LieGroup>(
    what: &str,
    analytic: &G::Jacobian,
    numeric: &DMatrix<f64>,
    tol: f64,
) {
    for i in 0..G::DOF {
        for k in 0..G::DOF {
            let (a, n) = (analytic[(i, k)], numeric[(i, k)]);
            assert!(
                (a - n).abs() <= tol * n.abs().max(1.0),
                "{what}: entry ({i},{k}) analytic {a} vs numeric {n}\n\
                 analytic = {analytic:?}\nnumeric = {numeric}"
            );
        }
    }
}

/// `a ⊟ b` is (relatively) zero.
pub fn assert_group_close<G: LieGroup>(what: &str, a: &G, b: &G, tol: f64) {
    let d = tangent_norm::<G>(&a.minus(b));
    assert!(d <= tol, "{what}: {a:?} vs {b:?} (|a ⊟ b| = {d})");
}

/// `Exp(Log(X)) = X`.
pub fn check_exp_log<G: LieGroup>(x: &G) {
    let scale = 1.0 + tangent_norm::<G>(&x.log());
    assert_group_close("Exp(Log(X))", &G::exp(&x.log()), x, 1e-12 * scale);
}

/// `Log(Exp(ξ)) = ξ` (ξ with rotation angle inside `(−π, π)`).
pub fn check_log_exp<G: LieGroup>(xi: &G::Tangent) {
    let back = G::exp(xi).log();
    let err = tangent_norm::<G>(&(back - *xi));
    let tol = 1e-12 * (1.0 + tangent_norm::<G>(xi));
    assert!(err <= tol, "Log(Exp(ξ)): {back:?} vs {xi:?}");
}

/// Every analytic Jacobian of `G` against central differences, plus the
/// algebraic identities they must satisfy.
pub fn check_jacobians<G: LieGroup + PartialEq>(x: &G, y: &G, xi: &G::Tangent) {
    let jr = G::right_jacobian(xi);
    assert_jacobian_close::<G>("Jr", &jr, &numeric_exp_jacobian::<G>(xi), FD_TOL);

    let jr_inv = G::right_jacobian_inverse(xi);
    let numeric = numeric_log_jacobian(&G::exp(xi));
    assert_jacobian_close::<G>("Jr⁻¹", &jr_inv, &numeric, FD_TOL);
    let identity = G::identity().adjoint();
    assert_jacobian_close::<G>("Jr·Jr⁻¹", &(jr * jr_inv), &to_dmatrix::<G>(&identity), 1e-9);

    let (compose, j_x, j_y) = x.compose_with_jacobians(y);
    assert_eq!(compose, x.compose(y));
    let numeric = numeric_group_jacobian(x, |a| a.compose(y));
    assert_jacobian_close::<G>("compose/self", &j_x, &numeric, FD_TOL);
    let numeric = numeric_group_jacobian(y, |b| x.compose(b));
    assert_jacobian_close::<G>("compose/rhs", &j_y, &numeric, FD_TOL);

    let (inverse, j_inv) = x.inverse_with_jacobian();
    assert_eq!(inverse, x.inverse());
    let numeric = numeric_group_jacobian(x, |a| a.inverse());
    assert_jacobian_close::<G>("inverse", &j_inv, &numeric, FD_TOL);

    let (log, j_log) = x.log_with_jacobian();
    assert_eq!(log, x.log());
    assert_jacobian_close::<G>("log", &j_log, &numeric_log_jacobian(x), FD_TOL);

    let (between, j_a, j_b) = x.between_with_jacobians(y);
    assert_group_close("between", &between, &x.inverse().compose(y), 1e-12);
    let numeric = numeric_group_jacobian(x, |a| a.inverse().compose(y));
    assert_jacobian_close::<G>("between/a", &j_a, &numeric, FD_TOL);
    let numeric = numeric_group_jacobian(y, |b| x.inverse().compose(b));
    assert_jacobian_close::<G>("between/b", &j_b, &numeric, FD_TOL);
}

/// `Exp(Ad(X) ξ) = X·Exp(ξ)·X⁻¹`.
pub fn check_adjoint<G: LieGroup>(x: &G, xi: &G::Tangent) {
    let lhs = G::exp(&(x.adjoint() * *xi));
    let rhs = x.compose(&G::exp(xi)).compose(&x.inverse());
    let scale = 1.0 + tangent_norm::<G>(&x.log()) * (1.0 + tangent_norm::<G>(xi));
    assert_group_close("Exp(Ad ξ)", &lhs, &rhs, 1e-11 * scale);
}

/// `X ⊞ (Y ⊟ X) = Y`.
pub fn check_plus_minus<G: LieGroup>(x: &G, y: &G) {
    let scale = 1.0 + tangent_norm::<G>(&y.log());
    assert_group_close("X ⊞ (Y ⊟ X)", &x.plus(&y.minus(x)), y, 1e-11 * scale);
}

/// A group's fused `between` agrees with the definition X⁻¹·Y.
pub fn check_between<G: LieGroup>(x: &G, y: &G) {
    let scale = 1.0 + tangent_norm::<G>(&x.log()) + tangent_norm::<G>(&y.log());
    assert_group_close(
        "between",
        &x.between(y),
        &x.inverse().compose(y),
        1e-12 * scale,
    );
}

/// Params round trip: `write_params(from_params(write_params(X)))` gives the
/// same numbers (to rounding: SE(3) renormalises its quaternion on read).
pub fn check_params_round_trip<G: LieGroup>(x: &G) {
    let (mut first, mut second) = ([0.0; 16], [0.0; 16]);
    x.write_params(&mut first);
    G::from_params(&first[..G::PARAMS]).write_params(&mut second);
    for (a, b) in first.iter().zip(&second) {
        assert!(
            (a - b).abs() <= 1e-15 * a.abs().max(1.0),
            "{first:?} vs {second:?}"
        );
    }
}

/// All of the above.
pub fn check_all<G: LieGroup + PartialEq>(x: &G, y: &G, xi: &G::Tangent) {
    check_exp_log(x);
    check_log_exp::<G>(xi);
    check_jacobians(x, y, xi);
    check_adjoint(x, xi);
    check_plus_minus(x, y);
    check_between(x, y);
    check_params_round_trip(x);
}

fn to_dmatrix<G: LieGroup>(m: &G::Jacobian) -> DMatrix<f64> {
    DMatrix::from_fn(G::DOF, G::DOF, |i, k| m[(i, k)])
}
