//! Property tests over random inputs for every loss, variant and reduction: gradients against
//! finite differences of the value, curvatures PSD and equal to (or bounding) the
//! finite-difference Hessian as each loss claims.

use super::cases::{self, Case, Kind, N};
use super::fd;
use crate::loss::{
    BceLoss, BceWithLogitsLoss, HingeLoss, L1Loss, Loss, MultiLabelFocalLoss, Reduction,
    SigmoidFocalLoss, SparseCategoricalCrossEntropy, Targets,
};
use proptest::prelude::*;

fn uniforms() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0..1.0f64, N)
}

/// The value at z, for the finite-difference helpers.
fn value_fn(case: &Case) -> impl Fn(&[f64]) -> f64 + '_ {
    move |z: &[f64]| case.loss.value(z, case.targets.borrow()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn gradient_matches_central_differences(u in uniforms(), v in uniforms(), w in uniforms()) {
        for case in cases::all(&u, &v, &w) {
            let e = case.loss.evaluate(&case.z, case.targets.borrow()).unwrap();
            let numeric = fd::gradient(value_fn(&case), &case.z, 1e-6);
            fd::assert_all_close(&e.gradient, &numeric, 1e-6, &case.label);
        }
    }

    #[test]
    fn curvature_is_psd(u in uniforms(), v in uniforms(), w in uniforms()) {
        for case in cases::all(&u, &v, &w) {
            let e = case.loss.evaluate(&case.z, case.targets.borrow()).unwrap();
            fd::assert_psd(&e.curvature.to_dense(), &case.label);
        }
    }

    #[test]
    fn curvature_matches_its_claim(u in uniforms(), v in uniforms(), w in uniforms()) {
        for case in cases::all(&u, &v, &w) {
            let e = case.loss.evaluate(&case.z, case.targets.borrow()).unwrap();
            let c = e.curvature.to_dense();
            let h = fd::hessian(value_fn(&case), &case.z, 1e-4);
            match case.kind {
                Kind::Exact => fd::assert_matrix_close(&c, &h, 1e-4, &case.label),
                Kind::PositivePart => {
                    fd::assert_matrix_close(&c, &fd::positive_part(&h), 1e-4, &case.label)
                }
                Kind::Majoriser => {
                    // C ⪰ H up to the finite-difference error.
                    let gap = &c - &h;
                    let min = fd::min_eigenvalue(&gap);
                    let label = &case.label;
                    prop_assert!(min >= -1e-4 * fd::scale(&c), "{label}: C − H eigenvalue {min:e}");
                }
                Kind::Surrogate => {}
            }
        }
    }

    #[test]
    fn value_unreduced_and_evaluate_agree(u in uniforms(), v in uniforms(), w in uniforms()) {
        for case in cases::all(&u, &v, &w) {
            let t = case.targets.borrow();
            let value = case.loss.value(&case.z, t).unwrap();
            prop_assert_eq!(value, case.loss.evaluate(&case.z, t).unwrap().value);
            prop_assert_eq!(case.loss.expected_outputs(t).unwrap(), case.z.len());
            let terms: f64 = case.loss.unreduced(&case.z, t).unwrap().iter().sum();
            if case.loss.reduction() != Reduction::Mean {
                prop_assert!(fd::close(value, terms, 1e-12), "{}", case.label);
            }
        }
    }

    /// BCE's curvature is the Fisher information: the Hessian averaged over t ~ Bernoulli(p),
    /// p·H(t = 1) + (1 − p)·H(t = 0), with both Hessians by finite differences.
    #[test]
    fn bce_curvature_is_the_expected_hessian(p in 0.02..0.98f64) {
        let loss = BceLoss::new(Reduction::Sum);
        let hessian_at = |t: f64| {
            let f = |z: &[f64]| loss.value(z, Targets::Values(&[t])).unwrap();
            fd::hessian(f, &[p], 1e-5)[(0, 0)]
        };
        let expected = p * hessian_at(1.0) + (1.0 - p) * hessian_at(0.0);
        let c = loss.evaluate(&[p], Targets::Values(&[0.3])).unwrap().curvature.to_dense()[(0, 0)];
        prop_assert!(fd::close(c, expected, 1e-4), "{c} vs {expected}");
    }

    /// The IRLS curvatures of L1 and the hinge define quadratics
    /// q(z) = ℓ(z₀) + g(z − z₀) + ½C(z − z₀)² that lie above the loss everywhere and touch it
    /// again at the mirror point (r → −r, u → −u), which pins C exactly.
    #[test]
    fn irls_quadratics_majorise_and_touch(x0 in -3.0..3.0f64, label in prop::bool::ANY) {
        let x0 = if x0.abs() < 0.05 { 0.05f64.copysign(x0) } else { x0 };
        let t = if label { 1.0 } else { -1.0 };
        // L1 at residual x0 (target 0); hinge at margin u0 = x0, i.e. z0 = t(1 − x0).
        let losses: [(Box<dyn Loss>, f64, f64, f64); 2] = [
            (Box::new(L1Loss::new(Reduction::Sum)), 0.0, x0, -x0),
            (Box::new(HingeLoss::new(Reduction::Sum)), t, t * (1.0 - x0), t * (1.0 + x0)),
        ];
        for (loss, target, z0, mirror) in losses {
            let value = |z: f64| loss.value(&[z], Targets::Values(&[target])).unwrap();
            let e = loss.evaluate(&[z0], Targets::Values(&[target])).unwrap();
            let c = e.curvature.to_dense()[(0, 0)];
            let q = |z: f64| e.value + e.gradient[0] * (z - z0) + 0.5 * c * (z - z0).powi(2);
            for i in -400..=400 {
                let z = z0 + f64::from(i) * 0.02;
                prop_assert!(q(z) >= value(z) - 1e-12, "{}: q({z}) < ℓ", loss.name());
            }
            prop_assert!((q(mirror) - value(mirror)).abs() < 1e-9, "{}: not tight", loss.name());
        }
    }

    /// Keras's majoriser replaces the concave ln Σp by its tangent and nothing else: C − H is
    /// PSD (checked for every case above) and of rank one per sample (the dropped 11ᵀ/(Σp)²,
    /// whose eigenvalue 4/(Σp)² ≥ 0.22 here), so no more curvature was added than needed.
    #[test]
    fn sparse_categorical_majoriser_is_tight(u in uniforms(), w in uniforms()) {
        let loss = SparseCategoricalCrossEntropy::new(4, Reduction::Sum).unwrap();
        let p: Vec<f64> = u.iter().map(|u| 0.05 + u).collect();
        let t: Vec<i64> = w.iter().take(N / 4).map(|w| ((w * 4.0) as i64).min(3)).collect();
        let value = |z: &[f64]| loss.value(z, Targets::Classes(&t)).unwrap();
        let c = loss.evaluate(&p, Targets::Classes(&t)).unwrap().curvature.to_dense();
        let gap = &c - fd::hessian(value, &p, 1e-4);
        // Finite-difference noise is below 10⁻³ for these inputs.
        let eigenvalues = nalgebra::SymmetricEigen::new(gap).eigenvalues;
        let rank = eigenvalues.iter().filter(|&&x| x > 0.05).count();
        prop_assert_eq!(rank, t.len(), "{}", eigenvalues);
    }

    /// The focal curvatures are the Hessian of the cross-entropy times the focal weight frozen
    /// at its current value; that weight is the ratio of the focal loss to the cross-entropy
    /// (for the multi-label form with a hard label, where one of its two parts vanishes).
    #[test]
    fn focal_curvature_is_the_frozen_weight_hessian(
        x in 0.0..1.0f64,
        soft in 0.0..1.0f64,
        hard in prop::bool::ANY,
        gamma in 0.0..3.0f64,
        alpha in 0.0..1.0f64,
    ) {
        let hessian = |loss: &dyn Loss, z: f64, t: f64| {
            let f = |z: &[f64]| loss.value(z, Targets::Values(&[t])).unwrap();
            fd::hessian(f, &[z], 1e-5)[(0, 0)]
        };
        let check = |focal: &dyn Loss, ce: &dyn Loss, z: f64, t: f64| {
            let e = focal.evaluate(&[z], Targets::Values(&[t])).unwrap();
            let c = e.curvature.to_dense()[(0, 0)];
            let ratio = focal.value(&[z], Targets::Values(&[t])).unwrap()
                / ce.value(&[z], Targets::Values(&[t])).unwrap();
            let expected = ratio * hessian(ce, z, t);
            assert!(fd::close(c, expected, 1e-5), "{}: {c} vs {expected}", focal.name());
        };
        let sum = Reduction::Sum;
        let (logit, p, label) = (8.0 * x - 4.0, 0.02 + 0.96 * x, f64::from(u8::from(hard)));
        check(
            &SigmoidFocalLoss::new(gamma, Some(alpha), sum).unwrap(),
            &BceWithLogitsLoss::new(sum),
            logit,
            soft,
        );
        check(&MultiLabelFocalLoss::new(1, gamma, sum).unwrap(), &BceLoss::new(sum), p, label);
    }
}
