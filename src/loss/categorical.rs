//! Losses on integer class targets: NLL, cross-entropy on logits, and Keras's sparse categorical
//! cross-entropy on probabilities.
//!
//! Outputs are one row of `classes` entries per sample, row-major: PyTorch's (N, C) input
//! flattened. Targets are one class index per sample.

use super::support::{classes, log_softmax, output_count, parameter};
use super::{Curvature, Loss, LossError, Reduction, Targets, Terms};

/// PyTorch's default `ignore_index`.
pub const PYTORCH_IGNORE_INDEX: i64 = -100;

/// Keras's `backend.epsilon()`: sparse categorical cross-entropy clips probabilities to
/// [ε, 1 − ε].
pub const KERAS_EPSILON: f64 = 1e-7;

/// Number of classes, class weights and ignore index, shared by the class losses.
#[derive(Clone, Debug, PartialEq)]
struct ClassOptions {
    classes: usize,
    weights: Option<Vec<f64>>,
    ignore_index: Option<i64>,
}

/// One sample's contribution: its row of the gradient, of the curvature's diagonal and of the
/// curvature's rank-one vector, all written by the loss before the class weight is applied.
struct RowOut<'a> {
    gradient: &'a mut [f64],
    diagonal: &'a mut [f64],
    vector: &'a mut [f64],
}

/// One sample's value and rank-one coefficient, before the class weight.
struct RowTerm {
    value: f64,
    coefficient: f64,
}

impl ClassOptions {
    fn new(classes: usize, ignore_index: Option<i64>) -> Result<Self, LossError> {
        if classes == 0 {
            return Err(LossError::InvalidParameter {
                name: "classes",
                requirement: "at least 1",
            });
        }
        Ok(Self {
            classes,
            weights: None,
            ignore_index,
        })
    }

    fn set_weights(&mut self, weights: Vec<f64>) -> Result<(), LossError> {
        if weights.len() != self.classes || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(LossError::InvalidParameter {
                name: "weights",
                requirement: "one finite weight ≥ 0 per class",
            });
        }
        self.weights = Some(weights);
        Ok(())
    }

    fn expected_outputs(
        &self,
        loss: &'static str,
        targets: Targets<'_>,
    ) -> Result<usize, LossError> {
        Ok(classes(loss, targets)?.len() * self.classes)
    }

    /// Per sample: `None` if its target is the ignore index, else its class and weight w\[t\].
    fn resolve(&self, targets: &[i64]) -> Result<Vec<Option<(usize, f64)>>, LossError> {
        targets
            .iter()
            .enumerate()
            .map(|(index, &t)| {
                if Some(t) == self.ignore_index {
                    return Ok(None);
                }
                match usize::try_from(t) {
                    Ok(c) if c < self.classes => {
                        Ok(Some((c, self.weights.as_ref().map_or(1.0, |w| w[c]))))
                    }
                    _ => Err(LossError::InvalidTarget {
                        index,
                        requirement: "a class in 0..classes or the ignore index",
                    }),
                }
            })
            .collect()
    }

    /// The driver of the class losses: calls `row` on each sample that is not ignored, applies
    /// the class weight w\[t\] to everything it returns, and sums w\[t\] over those samples as the
    /// mean's denominator (PyTorch's weighted mean). Ignored samples contribute a zero term, zero
    /// derivatives and nothing to the denominator. `rank_one` says whether the loss's curvature
    /// has the per-sample rank-one part.
    fn terms(
        &self,
        loss: &'static str,
        outputs: &[f64],
        targets: Targets<'_>,
        rank_one: bool,
        row: impl Fn(&[f64], usize, RowOut<'_>) -> RowTerm,
    ) -> Result<Terms, LossError> {
        let resolved = self.resolve(classes(loss, targets)?)?;
        let k = self.classes;
        output_count(outputs, resolved.len() * k)?;
        let n = outputs.len();
        let (mut gradient, mut diagonal, mut vectors) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let mut values = vec![0.0; resolved.len()];
        let mut coefficients = vec![0.0; resolved.len()];
        let mut denominator = 0.0;
        for (i, target) in resolved.into_iter().enumerate() {
            let Some((class, w)) = target else { continue };
            let range = i * k..(i + 1) * k;
            let out = RowOut {
                gradient: &mut gradient[range.clone()],
                diagonal: &mut diagonal[range.clone()],
                vector: &mut vectors[range.clone()],
            };
            let term = row(&outputs[range.clone()], class, out);
            gradient[range.clone()].iter_mut().for_each(|g| *g *= w);
            diagonal[range].iter_mut().for_each(|d| *d *= w);
            values[i] = w * term.value;
            coefficients[i] = w * term.coefficient;
            denominator += w;
        }
        let curvature = if rank_one {
            Curvature::DiagonalPlusRankOne {
                diagonal,
                block: k,
                vectors,
                coefficients,
            }
        } else {
            Curvature::Diagonal(diagonal)
        };
        Ok(Terms {
            values,
            mean_denominator: denominator,
            gradient,
            curvature,
        })
    }
}

/// Negative log-likelihood on log-probabilities (PyTorch `NLLLoss`): ℓᵢ = −w\[tᵢ\]·zᵢ\[tᵢ\].
///
/// Class weights and `ignore_index` as in PyTorch: the mean is Σ w\[tᵢ\]ℓᵢ / Σ w\[tᵢ\] over the
/// samples that are not ignored; an ignored sample's unreduced term is 0; if every sample is
/// ignored the mean is NaN (see [`Reduction::Mean`]).
///
/// **Curvature: zero.** The loss is linear in z, so its Hessian is exactly zero and the solver
/// gets all curvature from the model producing the log-probabilities (JᵀCJ = 0) or from LM
/// damping. If the model is a log-softmax over logits, use [`CrossEntropyLoss`] on the logits
/// instead: same value, and the softmax curvature diag(p) − ppᵀ.
#[derive(Clone, Debug, PartialEq)]
pub struct NllLoss {
    reduction: Reduction,
    options: ClassOptions,
}

/// Cross-entropy on logits (PyTorch `CrossEntropyLoss` with class-index targets; Keras
/// `SparseCategoricalCrossentropy(from_logits=True)` without weights):
/// ℓᵢ = w\[tᵢ\]·(logsumexp(zᵢ) − zᵢ\[tᵢ\]), computed as −log_softmax with the row maximum
/// subtracted, so logits of ±10⁴ give finite values and gradients.
///
/// Gradient w\[tᵢ\]·(softmax(zᵢ) − e_{tᵢ}); curvature w\[tᵢ\]·(diag(p) − ppᵀ) per sample, the exact
/// Hessian (PSD because Σp = 1), returned as [`Curvature::DiagonalPlusRankOne`] with coefficient
/// −w\[tᵢ\]. Class weights, `ignore_index` and the weighted mean as for [`NllLoss`].
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropyLoss {
    reduction: Reduction,
    options: ClassOptions,
}

/// The builder methods shared by the two PyTorch class losses.
macro_rules! class_options_builders {
    ($loss:ident) => {
        impl $loss {
            /// A loss over `classes` ≥ 1 classes, without class weights, with PyTorch's default
            /// `ignore_index` = [`PYTORCH_IGNORE_INDEX`] (−100).
            pub fn new(classes: usize, reduction: Reduction) -> Result<Self, LossError> {
                Ok(Self {
                    reduction,
                    options: ClassOptions::new(classes, Some(PYTORCH_IGNORE_INDEX))?,
                })
            }

            /// Sets PyTorch's `weight`: one finite weight ≥ 0 per class.
            pub fn with_weights(mut self, weights: Vec<f64>) -> Result<Self, LossError> {
                self.options.set_weights(weights)?;
                Ok(self)
            }

            /// Sets `ignore_index`; `None` makes every target count (and every target must then
            /// be a valid class).
            pub fn with_ignore_index(mut self, ignore_index: Option<i64>) -> Self {
                self.options.ignore_index = ignore_index;
                self
            }
        }
    };
}
class_options_builders!(NllLoss);
class_options_builders!(CrossEntropyLoss);

impl Loss for NllLoss {
    fn name(&self) -> &'static str {
        "nll"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        self.options.expected_outputs(self.name(), targets)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        self.options
            .terms(self.name(), outputs, targets, false, |z, c, out| {
                out.gradient[c] = -1.0;
                RowTerm {
                    value: -z[c],
                    coefficient: 0.0,
                }
            })
    }
}

impl Loss for CrossEntropyLoss {
    fn name(&self) -> &'static str {
        "cross_entropy"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        self.options.expected_outputs(self.name(), targets)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        self.options
            .terms(self.name(), outputs, targets, true, |z, c, out| {
                let log_p = log_softmax(z);
                for (j, lp) in log_p.iter().enumerate() {
                    let p = lp.exp();
                    out.gradient[j] = p - if j == c { 1.0 } else { 0.0 };
                    out.diagonal[j] = p;
                    out.vector[j] = p;
                }
                RowTerm {
                    value: -log_p[c],
                    coefficient: -1.0,
                }
            })
    }
}

/// Sparse categorical cross-entropy on probabilities, as Keras computes it
/// (`SparseCategoricalCrossentropy(from_logits=False)`): each row is first divided by its sum,
/// then clipped to [ε, 1 − ε] with ε = [`KERAS_EPSILON`] (10⁻⁷, Keras's `backend.epsilon()`):
/// ℓᵢ = −ln clip(pᵢ\[tᵢ\]/Σⱼpᵢⱼ, ε, 1 − ε).
///
/// For rows that sum to 1 (softmax outputs) this is the textbook −ln clip(p\[t\], ε, 1 − ε); the
/// renormalisation only matters for unnormalised scores, and matches Keras there too. Outputs
/// must be finite and ≥ 0 with a positive row sum. No class weights, no ignore index (use
/// [`NllLoss`] on log-probabilities or [`CrossEntropyLoss`] on logits for those).
///
/// **Gradient** inside the clip: −e_t/p\[t\] + 1/Σp (all classes); in the clipped region the value
/// is constant and the gradient 0, as TensorFlow's clip passes no gradient.
///
/// **Curvature (a majoriser).** ℓ = −ln p\[t\] + ln Σp is convex plus concave, and its Hessian
/// e_te_tᵀ/p\[t\]² − 11ᵀ/(Σp)² is indefinite. Replacing the concave ln Σp by its tangent gives a
/// convex upper bound touching ℓ at the current point, whose Hessian e_te_tᵀ/p\[t\]² we return
/// (diagonal; 0 in the clipped region). For a softmax-normalised model the dropped term is
/// invisible anyway, since the softmax Jacobian annihilates the all-ones direction.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseCategoricalCrossEntropy {
    reduction: Reduction,
    options: ClassOptions,
    epsilon: f64,
}

impl SparseCategoricalCrossEntropy {
    /// A sparse categorical cross-entropy over `classes` ≥ 1 classes with ε = [`KERAS_EPSILON`].
    /// Keras's default reduction, `sum_over_batch_size`, is [`Reduction::Mean`].
    pub fn new(classes: usize, reduction: Reduction) -> Result<Self, LossError> {
        Ok(Self {
            reduction,
            options: ClassOptions::new(classes, None)?,
            epsilon: KERAS_EPSILON,
        })
    }

    /// Sets the clip ε ∈ (0, ½).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, LossError> {
        self.epsilon = parameter("epsilon", epsilon, "in (0, 1/2)", |e| e > 0.0 && e < 0.5)?;
        Ok(self)
    }
}

impl Loss for SparseCategoricalCrossEntropy {
    fn name(&self) -> &'static str {
        "sparse_categorical_cross_entropy"
    }
    fn reduction(&self) -> Reduction {
        self.reduction
    }
    fn expected_outputs(&self, targets: Targets<'_>) -> Result<usize, LossError> {
        self.options.expected_outputs(self.name(), targets)
    }
    fn terms(&self, outputs: &[f64], targets: Targets<'_>) -> Result<Terms, LossError> {
        if let Some(index) = outputs.iter().position(|p| !(p.is_finite() && *p >= 0.0)) {
            return Err(LossError::InvalidOutput {
                index,
                requirement: "finite and ≥ 0",
            });
        }
        let k = self.options.classes;
        if let Some(row) = outputs.chunks(k).position(|r| r.iter().sum::<f64>() <= 0.0) {
            return Err(LossError::InvalidOutput {
                index: row * k,
                requirement: "in a row with a positive sum",
            });
        }
        let eps = self.epsilon;
        self.options
            .terms(self.name(), outputs, targets, false, |p, c, out| {
                let sum: f64 = p.iter().sum();
                let q = p[c] / sum;
                if q <= eps || q >= 1.0 - eps {
                    // Clipped: constant value, no gradient, no curvature.
                    return RowTerm {
                        value: -q.clamp(eps, 1.0 - eps).ln(),
                        coefficient: 0.0,
                    };
                }
                out.gradient.iter_mut().for_each(|g| *g = 1.0 / sum);
                out.gradient[c] -= 1.0 / p[c];
                out.diagonal[c] = 1.0 / (p[c] * p[c]);
                RowTerm {
                    value: -q.ln(),
                    coefficient: 0.0,
                }
            })
    }
}
