//! Autodiff Jacobians against the analytic factors and finite differences, and the checks of
//! [`AutoDiff::new`].

use nalgebra::{DMatrix, Isometry3, Translation3, UnitQuaternion, Vector2, Vector3};
use proptest::prelude::*;

use super::*;
use crate::factor::testing::{analytic_jacobian, assert_jacobians_match};
use crate::factor::{BetweenError, BetweenSe2, BetweenSe3, Factor};
use crate::manifold::testing::{angle, rotation_vector};
use crate::manifold::{so3, Euclidean, LieGroup, Se2, Se3};
use crate::problem::{Values, VariableKind};

/// Both factors' residuals and Jacobians at `values`: residuals to 1e-15 and Jacobians to
/// 1e-12, relative to the largest entry (or absolute below 1).
fn assert_same_factor(autodiff: &dyn Factor, analytic: &dyn Factor, values: &Values) {
    let d = analytic.residual_dim();
    assert_eq!(autodiff.residual_dim(), d);
    let (mut e_auto, mut e_ref) = (vec![0.0; d], vec![0.0; d]);
    autodiff.evaluate(values, &mut e_auto, None);
    analytic.evaluate(values, &mut e_ref, None);
    for (a, r) in e_auto.iter().zip(&e_ref) {
        assert!(
            (a - r).abs() <= 1e-15 * r.abs().max(1.0),
            "residuals differ: {e_auto:?} vs {e_ref:?}"
        );
    }
    let j_auto = analytic_jacobian(autodiff, values);
    let j_ref = analytic_jacobian(analytic, values);
    let err = (&j_auto - &j_ref).amax();
    assert!(
        err <= 1e-12 * j_ref.amax().max(1.0),
        "Jacobians differ by {err:e}\nautodiff {j_auto}\nanalytic {j_ref}"
    );
}

fn se3(t: [f64; 3], rotation: Vector3<f64>) -> Se3 {
    Se3::from_parts(Vector3::from(t), so3::exp(&rotation))
}

fn check_se2(a: Se2, b: Se2, z: Se2, error: BetweenError) {
    let mut v = Values::default();
    let (ka, kb) = (v.insert(a), v.insert(b));
    let auto = AutoDiff::<_, 6, 3>::new(AutoBetweenSe2::with_error(ka, kb, z, error), &v).unwrap();
    assert_same_factor(&auto, &BetweenSe2::with_error(ka, kb, z, error), &v);
}

fn check_se3(a: Se3, b: Se3, z: Se3, flip: bool) {
    let mut v = Values::default();
    let (ka, kb) = (v.insert(a), v.insert(b));
    if flip {
        // −q is the same rotation: the error's sign choice must follow it in both factors.
        v.params_mut(kb)[3..].iter_mut().for_each(|q| *q = -*q);
    }
    let auto = AutoDiff::<_, 14, 6>::new(AutoBetweenSe3::new(ka, kb, z), &v).unwrap();
    assert_same_factor(&auto, &BetweenSe3::new(ka, kb, z), &v);
}

proptest! {
    #[test]
    fn se2_matches_analytic(
        p in prop::array::uniform6(-5.0..5.0f64),
        ta in angle(), tb in angle(), tz in angle(),
        logmap in any::<bool>(),
    ) {
        let error = if logmap { BetweenError::LogMap } else { BetweenError::G2o };
        let (a, b, z) = (Se2::new(p[0], p[1], ta), Se2::new(p[2], p[3], tb), Se2::new(p[4], p[5], tz));
        check_se2(a, b, z, error);
    }

    #[test]
    fn se3_matches_analytic(
        t in prop::array::uniform9(-5.0..5.0f64),
        ra in rotation_vector(angle()),
        rb in rotation_vector(angle()),
        rz in rotation_vector(angle()),
        flip in any::<bool>(),
    ) {
        let a = se3([t[0], t[1], t[2]], ra);
        let b = se3([t[3], t[4], t[5]], rb);
        let z = se3([t[6], t[7], t[8]], rz);
        check_se3(a, b, z, flip);
    }
}

#[test]
fn se2_log_map_at_zero_and_small_relative_angles() {
    // The series branch of (θ/2)cot(θ/2): its derivative at θ = 0 is where a closed form fails.
    let z = Se2::new(1.0, 0.5, 0.3);
    for dtheta in [0.0, 1e-9, 0.49, 0.51] {
        let a = Se2::new(0.2, -0.4, 1.0);
        let b = a.compose(&z).compose(&Se2::new(0.1, -0.2, dtheta));
        check_se2(a, b, z, BetweenError::LogMap);
    }
}

/// One sample (x, y) of y = exp(m·x + c), with (m, c) one `Euclidean<2>` variable, and a second
/// residual row that does not depend on it.
#[derive(Debug)]
struct ExpSample {
    key: [Key; 1],
    x: f64,
    y: f64,
}

impl AutoDiffResidual for ExpSample {
    fn keys(&self) -> &[Key] {
        &self.key
    }

    fn residual_dim(&self) -> usize {
        2
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let (m, c) = (params[0][0], params[0][1]);
        residual[0] = T::from(self.y) - (m * self.x + c).exp();
        residual[1] = T::from(self.y);
    }
}

#[test]
fn euclidean_model_matches_finite_differences_and_the_derivative() {
    let mut v = Values::default();
    let (m, c) = (0.7, -0.3);
    let key = v.insert(Euclidean(Vector2::new(m, c)));
    let x = 1.5;
    let sample = ExpSample {
        key: [key],
        x,
        y: 2.0,
    };
    let f = AutoDiff::<_, 2, 2>::new(sample, &v).unwrap();
    assert_jacobians_match(&f, &v, 1e-8);
    // ∂/∂(m, c) of y − exp(m x + c) is −exp(m x + c)·(x, 1); the constant row is exactly zero.
    let g = (m * x + c).exp();
    let expected = DMatrix::from_row_slice(2, 2, &[-g * x, -g, 0.0, 0.0]);
    let j = analytic_jacobian(&f, &v);
    assert!((&j - &expected).amax() <= 1e-15 * g * x, "{j}");
    assert_eq!(j.row(1).iter().copied().collect::<Vec<_>>(), [0.0, 0.0]);
}

#[test]
fn residual_is_the_same_with_and_without_jacobians() {
    let mut v = Values::default();
    let a = v.insert(se3([1.0, -2.0, 0.5], Vector3::new(0.3, 2.0, -1.0)));
    let b = v.insert(se3([0.4, 0.1, -3.0], Vector3::new(-1.2, 0.2, 0.9)));
    let z = se3([0.5, 0.5, 0.5], Vector3::new(0.1, 0.2, 0.3));
    let f = AutoDiff::<_, 14, 6>::new(AutoBetweenSe3::new(a, b, z), &v).unwrap();
    let (mut plain, mut with_jac) = ([0.0; 6], [0.0; 6]);
    f.evaluate(&v, &mut plain, None);
    let offsets = [0, 6, 12];
    let mut data = [0.0; 6 * 12];
    f.evaluate(
        &v,
        &mut with_jac,
        Some(&mut crate::factor::Jacobians::new(&mut data, 6, &offsets)),
    );
    assert_eq!(plain, with_jac);
}

/// A landmark `l` (Euclidean) seen from a pose `X`: e = X⁻¹·l − measured. Mixes kinds so that
/// the parameter offsets and plus Jacobians of different variables meet in one factor.
#[derive(Debug)]
struct Landmark<const D: usize> {
    keys: [Key; 2],
    measured: [f64; D],
}

impl AutoDiffResidual for Landmark<2> {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        2
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let (x, l) = (params[0], params[1]);
        let (s, c) = x[2].sin_cos();
        let (dx, dy) = (l[0] - x[0], l[1] - x[1]);
        residual[0] = c * dx + s * dy - self.measured[0];
        residual[1] = -s * dx + c * dy - self.measured[1];
    }
}

impl AutoDiffResidual for Landmark<3> {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        3
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let (x, l) = (params[0], params[1]);
        let q = nalgebra::Quaternion::new(x[6], x[3], x[4], x[5]);
        let pose = Isometry3::from_parts(
            Translation3::new(x[0], x[1], x[2]),
            UnitQuaternion::from_quaternion(q),
        );
        let local = pose.inverse_transform_point(&nalgebra::Point3::new(l[0], l[1], l[2]));
        for (r, (p, m)) in residual.iter_mut().zip(local.iter().zip(self.measured)) {
            *r = *p - m;
        }
    }
}

#[test]
fn mixed_kinds_match_finite_differences() {
    let mut v = Values::default();
    let x2 = v.insert(Se2::new(1.0, -0.5, 2.5));
    let l2 = v.insert(Euclidean(Vector2::new(3.0, 1.0)));
    let x3 = v.insert(se3([0.2, 1.0, -0.7], Vector3::new(0.4, -2.2, 1.1)));
    let l3 = v.insert(Euclidean(Vector3::new(-1.0, 2.0, 0.5)));
    let f2 = Landmark {
        keys: [x2, l2],
        measured: [0.3, -0.2],
    };
    assert_jacobians_match(&AutoDiff::<_, 5, 2>::new(f2, &v).unwrap(), &v, 1e-8);
    // Landmark first, pose second: the offsets must not assume the pose leads.
    let f3 = Landmark {
        keys: [x3, l3],
        measured: [0.1, 0.2, 0.3],
    };
    assert_jacobians_match(&AutoDiff::<_, 10, 3>::new(f3, &v).unwrap(), &v, 1e-8);
}

#[test]
fn new_rejects_wrong_sizes_and_unknown_variables() {
    let mut v = Values::default();
    let a = v.insert(Se2::identity());
    let b = v.insert(Se2::new(1.0, 0.0, 0.0));
    let z = Se2::identity();

    let err = AutoDiff::<_, 7, 3>::new(AutoBetweenSe2::new(a, b, z), &v).unwrap_err();
    assert_eq!(
        err,
        AutoDiffError::ParameterCount {
            declared: 7,
            actual: 6,
            kinds: vec![VariableKind::Se2, VariableKind::Se2],
        }
    );
    assert!(err.to_string().contains("use N = 6"), "{err}");

    let err = AutoDiff::<_, 6, 2>::new(AutoBetweenSe2::new(a, b, z), &v).unwrap_err();
    assert_eq!(
        err,
        AutoDiffError::ResidualDim {
            declared: 2,
            actual: 3
        }
    );
    assert!(err.to_string().contains("use M = 3"), "{err}");

    let err = AutoDiff::<_, 6, 3>::new(AutoBetweenSe2::new(a, Key(5), z), &v).unwrap_err();
    assert_eq!(err, AutoDiffError::UnknownVariable { key: 5, len: 2 });

    let empty = v.insert_params(VariableKind::Euclidean(0), &[]);
    let sample = ExpSample {
        key: [empty],
        x: 0.0,
        y: 0.0,
    };
    let err = AutoDiff::<_, 0, 2>::new(sample, &v).unwrap_err();
    assert_eq!(
        err,
        AutoDiffError::EmptyVariable {
            key: 2,
            kind: VariableKind::Euclidean(0)
        }
    );
}

/// A residual that uses the operations the module documentation promises, on two Euclidean
/// variables: functions, f64 constants on either side, value branches and nalgebra vectors.
#[derive(Debug)]
struct Elementary {
    keys: [Key; 2],
}

impl AutoDiffResidual for Elementary {
    fn keys(&self) -> &[Key] {
        &self.keys
    }

    fn residual_dim(&self) -> usize {
        4
    }

    fn residual<T: AdScalar>(&self, params: &[&[T]], residual: &mut [T]) {
        let (a, b) = (params[0][0], params[0][1]);
        let c = params[1][0];
        let v = Vector2::new(a, c);
        residual[0] = a.exp() * b.sin() + b.atan2(a) - c.sqrt() * 2.0;
        residual[1] = T::from(3.0) * a.powi(3) + c.ln() + b.powf(T::from(2.5)) / 4.0;
        residual[2] = if a.re() < 0.0 { -a } else { a.cos() } + v.norm();
        residual[3] = (a * b - 1.5).tanh() + v.dot(&v);
    }
}

#[test]
fn elementary_functions_match_finite_differences() {
    let mut v = Values::default();
    let ab = v.insert(Euclidean(Vector2::new(0.4, 1.3)));
    let c = v.insert(Euclidean(nalgebra::Vector1::new(2.2)));
    let f = AutoDiff::<_, 3, 4>::new(Elementary { keys: [ab, c] }, &v).unwrap();
    assert_jacobians_match(&f, &v, 1e-8);
}
