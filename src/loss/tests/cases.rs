//! Random test cases for every loss, parameter variant and reduction, built from uniform numbers
//! that proptest draws (so failures shrink). Inputs are kept a fixed distance away from kinks
//! and clamps, where finite differences would straddle a non-differentiable point.

use crate::loss::*;

/// Outputs per case: divisible by every sample size used below.
pub const N: usize = 12;

/// Owned targets of either kind.
#[derive(Clone, Debug)]
pub enum OwnedTargets {
    Values(Vec<f64>),
    Classes(Vec<i64>),
}

impl OwnedTargets {
    pub fn borrow(&self) -> Targets<'_> {
        match self {
            Self::Values(t) => Targets::Values(t),
            Self::Classes(t) => Targets::Classes(t),
        }
    }
}

/// What the curvature is claimed to be, and so what the property tests compare it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The exact Hessian.
    Exact,
    /// An upper bound: C − Hessian is PSD (MM majorisers).
    Majoriser,
    /// The positive part of the exact Hessian (overlap losses).
    PositivePart,
    /// Another documented PSD surrogate (focal with γ > 0, the BCE Fisher): PSD only here,
    /// plus dedicated tests.
    Surrogate,
}

#[derive(Debug)]
pub struct Case {
    pub label: String,
    pub loss: Box<dyn Loss>,
    pub z: Vec<f64>,
    pub targets: OwnedTargets,
    pub kind: Kind,
}

/// Pushes x out of (kink − gap, kink + gap), keeping its side.
fn away(x: f64, kink: f64, gap: f64) -> f64 {
    if (x - kink).abs() < gap {
        kink + gap.copysign(x - kink)
    } else {
        x
    }
}

fn map(u: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
    u.iter().map(|&x| f(x)).collect()
}

/// Class indices in 0..k from uniforms; samples whose `v` < 0.25 are ignored (PyTorch's −100),
/// except the first, so the weighted mean's denominator is never zero.
fn class_targets(w: &[f64], v: &[f64], k: usize, with_ignored: bool) -> Vec<i64> {
    (0..N / k)
        .map(|i| {
            if with_ignored && i > 0 && v[i] < 0.25 {
                PYTORCH_IGNORE_INDEX
            } else {
                ((w[i] * k as f64) as i64).min(k as i64 - 1)
            }
        })
        .collect()
}

/// Every case for the uniforms u (outputs), v (targets) and w (labels and classes), each of
/// length [`N`].
pub fn all(u: &[f64], v: &[f64], w: &[f64]) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |label: &str, loss: Box<dyn Loss>, z: Vec<f64>, targets, kind| {
        cases.push(Case {
            label: format!("{label} {:?}", loss.reduction()),
            loss,
            z,
            targets,
            kind,
        });
    };
    use OwnedTargets::{Classes, Values};
    for r in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let t_real = map(v, |v| 6.0 * v - 3.0);
        // Residuals r = z − t drawn directly, away from the kinks of L1 (0) and Huber (±δ).
        let residual = |f: &dyn Fn(f64) -> f64| -> Vec<f64> {
            (0..N).map(|i| t_real[i] + f(6.0 * u[i] - 3.0)).collect()
        };
        add(
            "mse",
            Box::new(MseLoss::new(r)),
            residual(&|x| x),
            Values(t_real.clone()),
            Kind::Exact,
        );
        add(
            "l1",
            Box::new(L1Loss::new(r)),
            residual(&|x| away(x, 0.0, 0.05)),
            Values(t_real.clone()),
            Kind::Majoriser,
        );
        add(
            "huber",
            Box::new(HuberLoss::new(1.0, r).unwrap()),
            residual(&|x| away(away(x, 1.0, 0.05), -1.0, 0.05)),
            Values(t_real.clone()),
            Kind::Exact,
        );
        // Hinge: labels ±1 and margins u = 1 − tz away from 0, so z = t(1 − u).
        let labels = map(w, |w| if w < 0.5 { -1.0 } else { 1.0 });
        let z = (0..N)
            .map(|i| labels[i] * (1.0 - away(6.0 * u[i] - 3.0, 0.0, 0.05)))
            .collect();
        add(
            "hinge",
            Box::new(HingeLoss::new(r)),
            z,
            Values(labels),
            Kind::Majoriser,
        );

        let p = map(u, |u| 0.02 + 0.96 * u);
        add(
            "bce",
            Box::new(BceLoss::new(r)),
            p.clone(),
            Values(v.to_vec()),
            Kind::Surrogate,
        );
        let logits = map(u, |u| 8.0 * u - 4.0);
        add(
            "bce_with_logits",
            Box::new(BceWithLogitsLoss::new(r)),
            logits.clone(),
            Values(v.to_vec()),
            Kind::Exact,
        );
        add(
            "bce_with_logits pos_weight",
            Box::new(
                BceWithLogitsLoss::new(r)
                    .with_pos_weight(vec![0.5, 2.0, 3.0])
                    .unwrap(),
            ),
            logits.clone(),
            Values(v.to_vec()),
            Kind::Exact,
        );

        let k = 4;
        let weights = vec![0.5, 1.0, 2.0, 0.3];
        let classes = class_targets(w, v, k, true);
        add(
            "nll",
            Box::new(NllLoss::new(k, r).unwrap()),
            map(u, |u| 6.0 * u - 3.0),
            Classes(classes.clone()),
            Kind::Exact,
        );
        add(
            "nll weighted",
            Box::new(
                NllLoss::new(k, r)
                    .unwrap()
                    .with_weights(weights.clone())
                    .unwrap(),
            ),
            map(u, |u| 6.0 * u - 3.0),
            Classes(classes.clone()),
            Kind::Exact,
        );
        add(
            "cross_entropy",
            Box::new(CrossEntropyLoss::new(k, r).unwrap()),
            logits.clone(),
            Classes(classes.clone()),
            Kind::Exact,
        );
        add(
            "cross_entropy weighted",
            Box::new(
                CrossEntropyLoss::new(k, r)
                    .unwrap()
                    .with_weights(weights)
                    .unwrap(),
            ),
            logits.clone(),
            Classes(classes),
            Kind::Exact,
        );
        // Unnormalised rows in [0.05, 1.05): exercises Keras's renormalisation, never clipped.
        add(
            "sparse_categorical",
            Box::new(SparseCategoricalCrossEntropy::new(k, r).unwrap()),
            map(u, |u| 0.05 + u),
            Classes(class_targets(w, v, k, false)),
            Kind::Majoriser,
        );

        for (gamma, alpha, kind) in [
            (0.0, None, Kind::Exact),
            (0.5, Some(0.25), Kind::Surrogate),
            (2.0, None, Kind::Surrogate),
        ] {
            add(
                &format!("sigmoid_focal γ={gamma} α={alpha:?}"),
                Box::new(SigmoidFocalLoss::new(gamma, alpha, r).unwrap()),
                logits.clone(),
                Values(v.to_vec()),
                kind,
            );
        }
        for (gamma, kind) in [
            (0.0, Kind::Exact),
            (1.0, Kind::Surrogate),
            (2.5, Kind::Surrogate),
        ] {
            add(
                &format!("multi_label_focal γ={gamma}"),
                Box::new(MultiLabelFocalLoss::new(4, gamma, r).unwrap()),
                p.clone(),
                Values(v.to_vec()),
                kind,
            );
        }

        for eps in [1.0, 1e-3] {
            add(
                &format!("soft_dice ε={eps}"),
                Box::new(SoftDiceLoss::new(4, eps, r).unwrap()),
                u.to_vec(),
                Values(v.to_vec()),
                Kind::PositivePart,
            );
            add(
                &format!("soft_iou ε={eps}"),
                Box::new(SoftIouLoss::new(4, eps, r).unwrap()),
                u.to_vec(),
                Values(v.to_vec()),
                Kind::PositivePart,
            );
        }
        // 2 samples × 3 pixels × 2 classes, one-hot targets (a class may be absent).
        let one_hot = (0..N)
            .map(|j| {
                let class = usize::from(w[j / 2] >= 0.5);
                if j % 2 == class {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        add(
            "generalized_dice",
            Box::new(GeneralizedDiceLoss::new(3, 2, 1e-5, r).unwrap()),
            u.to_vec(),
            Values(one_hot),
            Kind::PositivePart,
        );
    }
    cases
}
