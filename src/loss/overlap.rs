//! Overlap losses on probabilities: soft Dice, soft IoU (Jaccard) and generalised Dice.
//!
//! Each acts on samples of a fixed number of outputs (e.g. the pixels of one image, or its
//! pixels × classes); the sample's term is one number and the reduction runs over samples.
//! With one sample covering every output the loss is the usual "global" overlap loss. All three
//! are L = 1 − N/M with N and M linear in p, and share [`LinearRatio`]; the maths of its
//! curvature (the positive part of a rank-2 Hessian) is in the module docs of `loss`, under
//! "Surrogate curvatures".

use super::support::{
    output_count, parameter, unit_interval_targets, value_outputs, values, whole_samples,
};
use super::{Curvature, Loss, LossError, Reduction, Targets, Terms};

/// One sample's L = 1 − (αᵀp + n₀)/(βᵀp + m₀).
struct LinearRatio {
    alpha: Vec<f64>,
    n0: f64,
    beta: Vec<f64>,
    m0: f64,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl LinearRatio {
    /// Value, gradient (written to `gradient`) and the positive part of the Hessian as a unit
    /// vector (written to `vector`) and its eigenvalue, returned with the value.
    fn evaluate(
        &self,
        p: &[f64],
        gradient: &mut [f64],
        vector: &mut [f64],
    ) -> Result<(f64, f64), &'static str> {
        let n = dot(&self.alpha, p) + self.n0;
        let m = dot(&self.beta, p) + self.m0;
        if !(m > 0.0 && m.is_finite()) {
            return Err("such that the loss's denominator is positive (probabilities in [0, 1])");
        }
        for ((g, a), b) in gradient.iter_mut().zip(&self.alpha).zip(&self.beta) {
            *g = -a / m + n * b / (m * m);
        }
        Ok((1.0 - n / m, self.positive_part(n, m, vector)))
    }

    /// Writes the unit eigenvector of H's positive eigenvalue to `vector` and returns the
    /// eigenvalue (0, with `vector` zero, if H has none).
    fn positive_part(&self, n: f64, m: f64, vector: &mut [f64]) -> f64 {
        vector.iter_mut().for_each(|v| *v = 0.0);
        let norm_b = dot(&self.beta, &self.beta).sqrt();
        if norm_b == 0.0 {
            return 0.0; // β = 0: H = 0.
        }
        // Orthonormal basis {q₁ = β/‖β‖, q₂ ∝ α − (q₁ᵀα)q₁}; in it β = (‖β‖, 0), α = (a₁, a₂).
        let a1 = dot(&self.alpha, &self.beta) / norm_b;
        let residual: Vec<f64> = (self.alpha.iter().zip(&self.beta))
            .map(|(a, b)| a - a1 * b / norm_b)
            .collect();
        let mut a2 = dot(&residual, &residual).sqrt();
        // α ∥ β (e.g. a constant target): only round-off is left in the residual.
        if a2 <= 1e-12 * dot(&self.alpha, &self.alpha).sqrt() {
            a2 = 0.0;
        }
        // S = [[s11, s12], [s12, 0]] is H in that basis.
        let s11 = 2.0 * a1 * norm_b / (m * m) - 2.0 * n * norm_b * norm_b / (m * m * m);
        let s12 = a2 * norm_b / (m * m);
        let radius = (0.5 * s11).hypot(s12);
        // λ₊ = s11/2 + radius, written without cancellation when s11 < 0 (λ₊λ₋ = −s12²).
        let lambda = if s11 >= 0.0 {
            0.5 * s11 + radius
        } else {
            s12 * s12 / (radius - 0.5 * s11)
        };
        if lambda <= 0.0 {
            return 0.0;
        }
        // (λ, s12) is an eigenvector of S for λ, since λ² = s11·λ + s12².
        let scale = lambda.hypot(s12);
        let (e1, e2) = (lambda / scale, s12 / scale);
        for ((v, b), r) in vector.iter_mut().zip(&self.beta).zip(&residual) {
            *v = e1 * b / norm_b + if a2 > 0.0 { e2 * r / a2 } else { 0.0 };
        }
        lambda
    }
}

/// The driver of the overlap losses: splits outputs and targets into samples of `sample_len`,
/// builds each sample's ratio from its targets, and collects the terms.
fn overlap_terms(
    loss: &'static str,
    sample_len: usize,
    outputs: &[f64],
    targets: Targets<'_>,
    ratio: impl Fn(&[f64]) -> LinearRatio,
) -> Result<Terms, LossError> {
    let t = values(loss, targets)?;
    let samples = whole_samples(t.len(), sample_len)?;
    output_count(outputs, t.len())?;
    unit_interval_targets(t)?;
    let (mut gradient, mut vectors) = (vec![0.0; t.len()], vec![0.0; t.len()]);
    let (mut values, mut coefficients) = (vec![0.0; samples], vec![0.0; samples]);
    for s in 0..samples {
        let range = s * sample_len..(s + 1) * sample_len;
        let (value, lambda) = ratio(&t[range.clone()])
            .evaluate(
                &outputs[range.clone()],
                &mut gradient[range.clone()],
                &mut vectors[range.clone()],
            )
            .map_err(|requirement| LossError::InvalidOutput {
                index: range.start,
                requirement,
            })?;
        values[s] = value;
        coefficients[s] = lambda;
    }
    Ok(Terms {
        values,
        mean_denominator: samples as f64,
        gradient,
        curvature: Curvature::DiagonalPlusRankOne {
            diagonal: vec![0.0; t.len()],
            block: sample_len,
            vectors,
            coefficients,
        },
    })
}

fn sample_len_parameter(name: &'static str, len: usize) -> Result<usize, LossError> {
    if len == 0 {
        Err(LossError::InvalidParameter {
            name,
            requirement: "at least 1",
        })
    } else {
        Ok(len)
    }
}

fn epsilon_parameter(epsilon: f64) -> Result<f64, LossError> {
    parameter("epsilon", epsilon, "finite and > 0", |e| e > 0.0)
}

/// Soft Dice loss per sample: L = 1 − (2Σpt + ε)/(Σp + Σt + ε).
///
/// The outputs are read as samples of `sample_len` consecutive probabilities (e.g. the pixels of
/// one image); each sample's L is one term of the reduction. With one sample covering every
/// output this is the usual global soft Dice.
///
/// Gradient (N − 2tM)/M² with N, M the fraction's numerator and denominator; curvature the
/// positive part of the Hessian (see [surrogate curvatures](crate::loss#surrogate-curvatures)).
/// ε > 0 keeps an empty prediction of an empty target at L = 0 and bounds the gradient; 1 (the
/// common "smooth" term) or 10⁻⁶ are usual. Targets must be in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct SoftDiceLoss {
    reduction: Reduction,
    sample_len: usize,
    epsilon: f64,
}

impl SoftDiceLoss {
    /// A soft Dice loss over samples of `sample_len` ≥ 1 outputs, smoothing ε > 0.
    pub fn new(sample_len: usize, epsilon: f64, reduction: Reduction) -> Result<Self, LossError> {
        Ok(Self {
            reduction,
            sample_len: sample_len_parameter("sample_len", sample_len)?,
            epsilon: epsilon_parameter(epsilon)?,
        })
    }
}

impl Loss for SoftDiceLoss {
    fn name(&self) -> &'static str {
        "soft_dice"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, self.sample_len)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let eps = self.epsilon;
        overlap_terms(self.name(), self.sample_len, outputs, targets, |t| {
            LinearRatio {
                alpha: t.iter().map(|t| 2.0 * t).collect(),
                n0: eps,
                beta: vec![1.0; t.len()],
                m0: t.iter().sum::<f64>() + eps,
            }
        })
    }
}

/// Soft IoU (Jaccard) loss per sample: L = 1 − (Σpt + ε)/(Σp + Σt − Σpt + ε).
///
/// Samples, ε and targets as for [`SoftDiceLoss`]. Gradient −t/M + N(1 − t)/M²; curvature the
/// positive part of the Hessian (see [surrogate curvatures](crate::loss#surrogate-curvatures)).
#[derive(Clone, Debug, PartialEq)]
pub struct SoftIouLoss {
    reduction: Reduction,
    sample_len: usize,
    epsilon: f64,
}

impl SoftIouLoss {
    /// A soft IoU loss over samples of `sample_len` ≥ 1 outputs, smoothing ε > 0.
    pub fn new(sample_len: usize, epsilon: f64, reduction: Reduction) -> Result<Self, LossError> {
        Ok(Self {
            reduction,
            sample_len: sample_len_parameter("sample_len", sample_len)?,
            epsilon: epsilon_parameter(epsilon)?,
        })
    }
}

impl Loss for SoftIouLoss {
    fn name(&self) -> &'static str {
        "soft_iou"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, self.sample_len)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let eps = self.epsilon;
        overlap_terms(self.name(), self.sample_len, outputs, targets, |t| {
            LinearRatio {
                alpha: t.to_vec(),
                n0: eps,
                beta: t.iter().map(|t| 1.0 - t).collect(),
                m0: t.iter().sum::<f64>() + eps,
            }
        })
    }
}

/// Generalised Dice loss (Sudre et al., "Generalised Dice overlap as a deep learning loss
/// function for highly unbalanced segmentations", 2017) per sample of `pixels` × `classes`
/// outputs, class index fastest (row-major (pixel, class), i.e. channels-last):
/// L = 1 − (2Σ_c w_c Σ_i p_ic t_ic + ε)/(Σ_c w_c Σ_i (p_ic + t_ic) + ε), w_c = 1/(Σ_i t_ic)².
///
/// A class absent from a sample's target has an infinite weight in the paper; like MONAI's
/// `GeneralizedDiceLoss` we give it the largest finite weight of that sample (0 if every class is
/// absent), so predicting an absent class is still penalised. The weights depend on the targets
/// only; gradient w_c(N − 2tM)/M², curvature the positive part of the Hessian (see
/// [surrogate curvatures](crate::loss#surrogate-curvatures)). Each sample is one term of the
/// reduction.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneralizedDiceLoss {
    reduction: Reduction,
    pixels: usize,
    classes: usize,
    epsilon: f64,
}

impl GeneralizedDiceLoss {
    /// A generalised Dice loss over samples of `pixels` ≥ 1 × `classes` ≥ 1 outputs, smoothing
    /// ε > 0 (MONAI uses 10⁻⁵).
    pub fn new(
        pixels: usize,
        classes: usize,
        epsilon: f64,
        reduction: Reduction,
    ) -> Result<Self, LossError> {
        Ok(Self {
            reduction,
            pixels: sample_len_parameter("pixels", pixels)?,
            classes: sample_len_parameter("classes", classes)?,
            epsilon: epsilon_parameter(epsilon)?,
        })
    }

    /// The class weights w_c of one sample's targets.
    fn weights(&self, t: &[f64]) -> Vec<f64> {
        let mut mass = vec![0.0; self.classes];
        for (j, t) in t.iter().enumerate() {
            mass[j % self.classes] += t;
        }
        let finite = |m: f64| if m > 0.0 { Some(1.0 / (m * m)) } else { None };
        let largest = mass.iter().filter_map(|&m| finite(m)).fold(0.0, f64::max);
        mass.into_iter()
            .map(|m| finite(m).unwrap_or(largest))
            .collect()
    }
}

impl Loss for GeneralizedDiceLoss {
    fn name(&self) -> &'static str {
        "generalized_dice"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        value_outputs(self.name(), targets, self.pixels * self.classes)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        let (k, eps) = (self.classes, self.epsilon);
        overlap_terms(self.name(), self.pixels * k, outputs, targets, |t| {
            let w = self.weights(t);
            let beta: Vec<f64> = (0..t.len()).map(|j| w[j % k]).collect();
            LinearRatio {
                alpha: t.iter().zip(&beta).map(|(t, w)| 2.0 * w * t).collect(),
                n0: eps,
                m0: dot(t, &beta) + eps,
                beta,
            }
        })
    }
}
