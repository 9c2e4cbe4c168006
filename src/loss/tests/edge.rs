//! PyTorch's edge cases (clamped logs, huge logits, every target ignored, empty batches) and
//! input validation.

use super::fd;
use super::reference::{check, TIGHT};
use super::reference_values as refs;
use crate::loss::*;

/// Every entry of the dense curvature is finite and it is PSD.
fn assert_finite_psd(e: &Evaluation, what: &str) {
    let c = e.curvature.to_dense();
    assert!(
        c.iter().all(|x| x.is_finite()),
        "{what}: curvature not finite"
    );
    assert!(
        e.gradient.iter().all(|x| x.is_finite()),
        "{what}: gradient not finite"
    );
    fd::assert_psd(&c, what);
}

#[test]
fn bce_at_zero_and_one_matches_pytorch_clamps() {
    // Value clamped at 100 per log; gradient (p − t)/max(p(1 − p), ε_f32) exactly as PyTorch.
    let (z, t) = (refs::BCE_EDGE_Z, Targets::Values(refs::BCE_EDGE_T));
    check(
        "bce edge",
        |r| Box::new(BceLoss::new(r)),
        z,
        t,
        &refs::BCE_EDGE,
        TIGHT,
    );
    let e = BceLoss::new(Reduction::Sum).evaluate(z, t).unwrap();
    assert_finite_psd(&e, "bce edge");
    assert_eq!(e.value, 300.0); // 100 + 100 + 0 + 0 + 0.3·100 + 0.7·100
}

#[test]
fn bce_with_logits_at_1e4_is_finite_and_matches_pytorch() {
    let (z, t) = (
        refs::BCE_LOGITS_EDGE_Z,
        Targets::Values(refs::BCE_LOGITS_EDGE_T),
    );
    let make = |r| Box::new(BceWithLogitsLoss::new(r)) as Box<dyn Loss>;
    check(
        "bce_with_logits edge",
        make,
        z,
        t,
        &refs::BCE_LOGITS_EDGE,
        TIGHT,
    );
    assert_finite_psd(
        &make(Reduction::Mean).evaluate(z, t).unwrap(),
        "bce_with_logits edge",
    );
}

#[test]
fn cross_entropy_at_1e4_is_finite_and_matches_pytorch() {
    let (z, t) = (
        refs::CROSS_ENTROPY_EDGE_Z,
        Targets::Classes(refs::CROSS_ENTROPY_EDGE_T),
    );
    let make = |r| Box::new(CrossEntropyLoss::new(3, r).unwrap()) as Box<dyn Loss>;
    check(
        "cross_entropy edge",
        make,
        z,
        t,
        &refs::CROSS_ENTROPY_EDGE,
        TIGHT,
    );
    assert_finite_psd(
        &make(Reduction::Mean).evaluate(z, t).unwrap(),
        "cross_entropy edge",
    );
}

#[test]
fn sigmoid_focal_at_1e4_is_finite_and_matches_torchvision() {
    let (z, t) = (refs::FOCAL_EDGE_Z, Targets::Values(refs::FOCAL_EDGE_T));
    let make = |r| Box::new(SigmoidFocalLoss::new(2.0, Some(0.25), r).unwrap()) as Box<dyn Loss>;
    check("focal edge", make, z, t, &refs::FOCAL_EDGE, TIGHT);
    assert_finite_psd(&make(Reduction::Mean).evaluate(z, t).unwrap(), "focal edge");
    // γ < 1 has q^{γ−1} → ∞ as q → 0; the product with ce must still be finite.
    let e = SigmoidFocalLoss::new(0.5, None, Reduction::Sum)
        .unwrap()
        .evaluate(z, t)
        .unwrap();
    assert!(e.value.is_finite());
    assert_finite_psd(&e, "focal γ=0.5 edge");
}

#[test]
fn nll_with_every_target_ignored() {
    // PyTorch: mean = NaN (0/0), sum = 0, none = [0, 0]; gradients all zero.
    let (z, t) = (
        refs::NLL_ALL_IGNORED_Z,
        Targets::Classes(refs::NLL_ALL_IGNORED_T),
    );
    let make = |r| Box::new(NllLoss::new(3, r).unwrap()) as Box<dyn Loss>;
    check("nll all ignored", make, z, t, &refs::NLL_ALL_IGNORED, TIGHT);
    let e = make(Reduction::Mean).evaluate(z, t).unwrap();
    assert!(e.value.is_nan());
    assert!(e.gradient.iter().all(|&g| g == 0.0));
    assert!(e.curvature.to_dense().iter().all(|&c| c == 0.0));
    // The same through cross-entropy, whose curvature is not trivially zero otherwise.
    let e = CrossEntropyLoss::new(3, Reduction::Mean)
        .unwrap()
        .evaluate(z, t)
        .unwrap();
    assert!(e.value.is_nan());
    assert!(e.curvature.to_dense().iter().all(|&c| c == 0.0));
}

#[test]
fn empty_batch() {
    // PyTorch: F.mse_loss(empty, empty) is NaN with 'mean', 0 with 'sum'.
    let t = Targets::Values(&[]);
    assert!(MseLoss::new(Reduction::Mean)
        .value(&[], t)
        .unwrap()
        .is_nan());
    assert_eq!(MseLoss::new(Reduction::Sum).value(&[], t).unwrap(), 0.0);
}

#[test]
fn mse_mean_curvature_is_two_over_n() {
    let e = MseLoss::new(Reduction::Mean)
        .evaluate(&[1.0, 2.0, 3.0, 4.0], Targets::Values(&[0.0; 4]))
        .unwrap();
    assert_eq!(e.curvature, Curvature::Diagonal(vec![0.5; 4]));
}

#[test]
fn overlap_losses_vanish_on_a_perfect_prediction() {
    let t = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
    let losses: [Box<dyn Loss>; 3] = [
        Box::new(SoftDiceLoss::new(6, 1e-6, Reduction::Mean).unwrap()),
        Box::new(SoftIouLoss::new(6, 1e-6, Reduction::Mean).unwrap()),
        Box::new(GeneralizedDiceLoss::new(3, 2, 1e-6, Reduction::Mean).unwrap()),
    ];
    for loss in losses {
        let v = loss.value(&t, Targets::Values(&t)).unwrap();
        assert!(v.abs() < 1e-15, "{}: {v}", loss.name());
    }
}

#[test]
fn invalid_inputs_are_errors() {
    let r = Reduction::Mean;
    let values = Targets::Values(&[0.0, 1.0]);
    let classes = Targets::Classes(&[0, 1]);
    let cases: Vec<(Result<f64, LossError>, LossError)> = vec![
        (
            MseLoss::new(r).value(&[0.0, 1.0], classes),
            LossError::WrongTargetKind {
                loss: "mse",
                expected: "values",
            },
        ),
        (
            NllLoss::new(2, r).unwrap().value(&[0.0; 4], values),
            LossError::WrongTargetKind {
                loss: "nll",
                expected: "classes",
            },
        ),
        (
            MseLoss::new(r).value(&[0.0], values),
            LossError::OutputCount {
                expected: 2,
                found: 1,
            },
        ),
        (
            CrossEntropyLoss::new(2, r)
                .unwrap()
                .value(&[0.0; 4], Targets::Classes(&[0, 2])),
            LossError::InvalidTarget {
                index: 1,
                requirement: "a class in 0..classes or the ignore index",
            },
        ),
        (
            // With ignore_index disabled, −100 is an ordinary (invalid) class.
            NllLoss::new(2, r)
                .unwrap()
                .with_ignore_index(None)
                .value(&[0.0; 4], Targets::Classes(&[-100, 0])),
            LossError::InvalidTarget {
                index: 0,
                requirement: "a class in 0..classes or the ignore index",
            },
        ),
        (
            HingeLoss::new(r).value(&[0.0, 1.0], Targets::Values(&[1.0, 0.0])),
            LossError::InvalidTarget {
                index: 1,
                requirement: "a label −1 or +1",
            },
        ),
        (
            BceLoss::new(r).value(&[0.5, 1.5], values),
            LossError::InvalidOutput {
                index: 1,
                requirement: "a probability in [0, 1]",
            },
        ),
        (
            BceWithLogitsLoss::new(r).value(&[0.5, 1.5], Targets::Values(&[0.0, 2.0])),
            LossError::InvalidTarget {
                index: 1,
                requirement: "in [0, 1]",
            },
        ),
        (
            MultiLabelFocalLoss::new(3, 2.0, r)
                .unwrap()
                .value(&[0.5, 0.5], values),
            LossError::TargetCount {
                found: 2,
                multiple_of: 3,
            },
        ),
        (
            BceWithLogitsLoss::new(r)
                .with_pos_weight(vec![1.0, 2.0, 3.0])
                .unwrap()
                .value(&[0.5, 0.5], values),
            LossError::TargetCount {
                found: 2,
                multiple_of: 3,
            },
        ),
        (
            SparseCategoricalCrossEntropy::new(2, r)
                .unwrap()
                .value(&[0.0; 4], classes),
            LossError::InvalidOutput {
                index: 0,
                requirement: "in a row with a positive sum",
            },
        ),
    ];
    for (i, (got, expected)) in cases.into_iter().enumerate() {
        assert_eq!(got, Err(expected), "case {i}");
    }
}

/// The parameter an `InvalidParameter` error names.
fn invalid_parameter<T: std::fmt::Debug>(result: Result<T, LossError>) -> &'static str {
    match result {
        Err(LossError::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn invalid_parameters_are_errors() {
    let r = Reduction::Mean;
    assert_eq!(invalid_parameter(HuberLoss::new(0.0, r)), "delta");
    assert_eq!(invalid_parameter(HuberLoss::new(f64::NAN, r)), "delta");
    assert_eq!(
        invalid_parameter(L1Loss::new(r).with_irls_epsilon(-1.0)),
        "epsilon"
    );
    assert_eq!(
        invalid_parameter(HingeLoss::new(r).with_irls_epsilon(0.0)),
        "epsilon"
    );
    assert_eq!(invalid_parameter(NllLoss::new(0, r)), "classes");
    let short = NllLoss::new(3, r).unwrap().with_weights(vec![1.0]);
    assert_eq!(invalid_parameter(short), "weights");
    let negative = CrossEntropyLoss::new(1, r)
        .unwrap()
        .with_weights(vec![-1.0]);
    assert_eq!(invalid_parameter(negative), "weights");
    let negative = BceWithLogitsLoss::new(r).with_pos_weight(vec![-1.0]);
    assert_eq!(invalid_parameter(negative), "pos_weight");
    let keras = SparseCategoricalCrossEntropy::new(2, r)
        .unwrap()
        .with_epsilon(0.5);
    assert_eq!(invalid_parameter(keras), "epsilon");
    assert_eq!(
        invalid_parameter(SigmoidFocalLoss::new(-1.0, None, r)),
        "gamma"
    );
    assert_eq!(
        invalid_parameter(SigmoidFocalLoss::new(2.0, Some(1.5), r)),
        "alpha"
    );
    assert_eq!(
        invalid_parameter(MultiLabelFocalLoss::new(0, 2.0, r)),
        "labels"
    );
    assert_eq!(invalid_parameter(SoftDiceLoss::new(4, 0.0, r)), "epsilon");
    assert_eq!(invalid_parameter(SoftIouLoss::new(0, 1.0, r)), "sample_len");
    assert_eq!(
        invalid_parameter(GeneralizedDiceLoss::new(4, 0, 1.0, r)),
        "classes"
    );
}

#[test]
fn overlap_curvature_with_constant_targets() {
    // Constant targets make α ∥ β (Dice) or β = 0 (IoU with t ≡ 1): the rank-detection branches
    // of the positive part. Compare with the positive part of the finite-difference Hessian.
    let p = [0.3, 0.8, 0.1, 0.5];
    for (loss, t) in [
        (
            Box::new(SoftDiceLoss::new(4, 0.1, Reduction::Sum).unwrap()) as Box<dyn Loss>,
            0.0,
        ),
        (
            Box::new(SoftDiceLoss::new(4, 0.1, Reduction::Sum).unwrap()),
            1.0,
        ),
        (
            Box::new(SoftIouLoss::new(4, 0.1, Reduction::Sum).unwrap()),
            0.0,
        ),
        (
            Box::new(SoftIouLoss::new(4, 0.1, Reduction::Sum).unwrap()),
            1.0,
        ),
    ] {
        let t = [t; 4];
        let value = |z: &[f64]| loss.value(z, Targets::Values(&t)).unwrap();
        let c = loss
            .evaluate(&p, Targets::Values(&t))
            .unwrap()
            .curvature
            .to_dense();
        let expected = fd::positive_part(&fd::hessian(value, &p, 1e-4));
        fd::assert_matrix_close(&c, &expected, 1e-5, &format!("{} t = {t:?}", loss.name()));
    }
}
