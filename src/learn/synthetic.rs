//! Seeded synthetic data sets: an imbalanced binary set, Gaussian classes, and a noisy image with
//! a small foreground blob. The same seed gives the same data on every platform.

use std::sync::Arc;

use nalgebra::DMatrix;

use super::model::{add_weight_decay, linear_link_model, Link, ModelError};
use crate::generate::Rng;
use crate::loss::{Loss, LossCost, TargetData};
use crate::manifold::Euclidean;
use crate::problem::{Key, Problem};

/// Samples with 2 features and 0/1 labels.
#[derive(Clone, Debug, PartialEq)]
pub struct BinarySet {
    /// N × 2, one sample per row.
    pub features: DMatrix<f64>,
    /// N labels, 1.0 for the (minority) positive class, 0.0 otherwise.
    pub labels: Vec<f64>,
}

impl BinarySet {
    /// Number of positive samples.
    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|t| **t >= 0.5).count()
    }
}

/// Settings of [`imbalanced_binary`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BinaryOptions {
    /// Number of samples.
    pub samples: usize,
    /// Probability that a sample is positive.
    pub positive_fraction: f64,
    /// Distance between the class means, in units of the classes' standard deviation (1): about
    /// 2 makes the classes overlap markedly.
    pub separation: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for BinaryOptions {
    fn default() -> Self {
        Self {
            samples: 1000,
            positive_fraction: 0.08,
            separation: 2.0,
            seed: 1,
        }
    }
}

/// A two-class set in the plane: each sample is positive with probability
/// `positive_fraction`; negatives are N(0, I) and positives N(μ, I) with
/// ‖μ‖ = `separation` along the diagonal. Logistic regression is the right model for it (the
/// true log-odds are linear), so what the losses change is only where they put the boundary.
pub fn imbalanced_binary(options: &BinaryOptions) -> BinarySet {
    let mut rng = Rng::new(options.seed);
    let mean = options.separation / 2f64.sqrt();
    let mut features = DMatrix::zeros(options.samples, 2);
    let mut labels = Vec::with_capacity(options.samples);
    for i in 0..options.samples {
        let positive = rng.uniform() < options.positive_fraction;
        let centre = if positive { mean } else { 0.0 };
        features[(i, 0)] = centre + rng.normal();
        features[(i, 1)] = centre + rng.normal();
        labels.push(if positive { 1.0 } else { 0.0 });
    }
    BinarySet { features, labels }
}

/// Samples with 2 features and class indices.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassSet {
    /// N × 2, one sample per row.
    pub features: DMatrix<f64>,
    /// N class indices in 0..k (`i64`, as the class losses take them).
    pub labels: Vec<i64>,
    /// Number of classes k.
    pub classes: usize,
}

/// Settings of [`gaussian_classes`].
#[derive(Clone, Debug, PartialEq)]
pub struct ClassOptions {
    /// Number of samples.
    pub samples: usize,
    /// The mean of each class; their number is the number of classes.
    pub centres: Vec<[f64; 2]>,
    /// Relative frequency of each class (normalised; one per centre).
    pub frequencies: Vec<f64>,
    /// Standard deviation of every class around its mean.
    pub spread: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for ClassOptions {
    /// Four overlapping classes on a square of side 2, with frequencies 50/25/15/10 %.
    fn default() -> Self {
        Self {
            samples: 1000,
            centres: vec![[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]],
            frequencies: vec![0.5, 0.25, 0.15, 0.1],
            spread: 1.0,
            seed: 1,
        }
    }
}

/// Gaussian classes in the plane: each sample's class is drawn with the given frequencies, its
/// features from N(centre, spread²·I). Equal covariances make the true log-odds linear, so softmax
/// regression is the right model.
///
/// # Panics
/// If there are no centres or the frequencies are not one non-negative number per centre with a
/// positive sum.
pub fn gaussian_classes(options: &ClassOptions) -> ClassSet {
    let k = options.centres.len();
    assert!(
        k > 0 && options.frequencies.len() == k,
        "one frequency per centre"
    );
    let total: f64 = options.frequencies.iter().sum();
    assert!(
        total > 0.0 && options.frequencies.iter().all(|f| *f >= 0.0),
        "frequencies must be ≥ 0 with a positive sum"
    );
    let mut rng = Rng::new(options.seed);
    let mut features = DMatrix::zeros(options.samples, 2);
    let mut labels = Vec::with_capacity(options.samples);
    for i in 0..options.samples {
        let mut u = rng.uniform() * total;
        // The last class with a positive frequency takes what rounding leaves over.
        let mut class = (0..k)
            .rev()
            .find(|c| options.frequencies[*c] > 0.0)
            .unwrap_or(0);
        for (c, f) in options.frequencies.iter().enumerate() {
            if u < *f {
                class = c;
                break;
            }
            u -= f;
        }
        let [cx, cy] = options.centres[class];
        features[(i, 0)] = cx + options.spread * rng.normal();
        features[(i, 1)] = cy + options.spread * rng.normal();
        labels.push(class as i64);
    }
    ClassSet {
        features,
        labels,
        classes: k,
    }
}

/// A square grey-level image with its foreground mask, pixels row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct BlobImage {
    /// Width and height in pixels.
    pub size: usize,
    /// Noisy intensity of each pixel: about 1 on the foreground, 0 on the background.
    pub intensity: Vec<f64>,
    /// The ground-truth mask: 1.0 on the foreground, 0.0 elsewhere.
    pub mask: Vec<f64>,
}

impl BlobImage {
    /// The intensity averaged over each pixel's 3 × 3 neighbourhood (the part inside the
    /// image), which lowers the noise by about 3 away from edges.
    pub fn smoothed(&self) -> Vec<f64> {
        let n = self.size as isize;
        let mut out = Vec::with_capacity(self.intensity.len());
        for y in 0..n {
            for x in 0..n {
                let (mut sum, mut count) = (0.0, 0.0);
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let (u, v) = (x + dx, y + dy);
                        if (0..n).contains(&u) && (0..n).contains(&v) {
                            sum += self.intensity[(v * n + u) as usize];
                            count += 1.0;
                        }
                    }
                }
                out.push(sum / count);
            }
        }
        out
    }

    /// The per-pixel features [intensity, smoothed intensity] as a (size²) × 2 matrix.
    pub fn features(&self) -> DMatrix<f64> {
        let smoothed = self.smoothed();
        DMatrix::from_fn(self.intensity.len(), 2, |i, j| {
            if j == 0 {
                self.intensity[i]
            } else {
                smoothed[i]
            }
        })
    }

    /// The segmentation problem of the `segmentation` example: per-pixel logistic regression
    /// p = σ(w_I·I + w_S·S + b) on the [`features`](Self::features), its 3 parameters
    /// (w_I, w_S, b) starting at zero, with `loss` comparing p with the mask and
    /// `weight_decay`·(w_I² + w_S²) added (see [`add_weight_decay`]; 0 adds nothing).
    ///
    /// Overlap losses need the decay to have a minimiser: they keep improving as ‖w‖ grows and
    /// p hardens towards a 0/1 mask.
    ///
    /// # Errors
    /// If `loss` refuses the mask as targets (e.g. a per-sample loss whose sample length does
    /// not divide the pixel count) or the decay is negative.
    pub fn segmentation_problem(
        &self,
        loss: Arc<dyn Loss>,
        weight_decay: f64,
    ) -> Result<(Problem, Key), ModelError> {
        let mut problem = Problem::new();
        let key = problem.add_variable(Euclidean::<3>::zeros());
        let model =
            linear_link_model::<3, 1>(key, &self.features(), Link::Sigmoid, problem.values())?;
        let cost = LossCost::new(loss, TargetData::Values(self.mask.clone()))?;
        problem.add_loss_cost(Arc::new(model), Arc::new(cost))?;
        // A negative or NaN decay is refused by add_weight_decay.
        if weight_decay != 0.0 {
            add_weight_decay(&mut problem, key, &[0, 1], weight_decay)?;
        }
        Ok((problem, key))
    }

    /// Fraction of foreground pixels.
    pub fn foreground_fraction(&self) -> f64 {
        self.mask.iter().sum::<f64>() / self.mask.len().max(1) as f64
    }
}

/// Settings of [`blob_image`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlobOptions {
    /// Width and height in pixels (at least 8).
    pub size: usize,
    /// Range of the ellipse's semi-axes as fractions of `size`.
    pub semi_axes: (f64, f64),
    /// Standard deviation of the Gaussian noise added to every pixel (the contrast is 1).
    pub noise: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for BlobOptions {
    /// 32 × 32 pixels, semi-axes of 10–20 % of the side (a blob covering πab/32², 3–13 % of the
    /// pixels, most often 5–10 %),
    /// noise 0.8 (so single pixels are unreliable and the smoothed intensity matters).
    fn default() -> Self {
        Self {
            size: 32,
            semi_axes: (0.10, 0.20),
            noise: 0.8,
            seed: 1,
        }
    }
}

/// A noisy image of one elliptic blob: semi-axes drawn from `semi_axes`, a random orientation
/// and a centre far enough from the border for the whole blob to fit. Intensity 1 inside, 0
/// outside, plus N(0, noise²) per pixel.
///
/// # Panics
/// If `size` < 8 or the semi-axis range is not within (0, 0.5).
pub fn blob_image(options: &BlobOptions) -> BlobImage {
    let (lo, hi) = options.semi_axes;
    assert!(options.size >= 8, "the image needs at least 8 × 8 pixels");
    assert!(
        0.0 < lo && lo <= hi && hi < 0.5,
        "semi-axes must be fractions in (0, 0.5)"
    );
    let mut rng = Rng::new(options.seed);
    let n = options.size as f64;
    let a = n * (lo + (hi - lo) * rng.uniform());
    let b = n * (lo + (hi - lo) * rng.uniform());
    let angle = std::f64::consts::PI * rng.uniform();
    let margin = a.max(b) + 1.0;
    let cx = margin + (n - 2.0 * margin) * rng.uniform();
    let cy = margin + (n - 2.0 * margin) * rng.uniform();
    let (sin, cos) = angle.sin_cos();
    let mut intensity = Vec::with_capacity(options.size * options.size);
    let mut mask = Vec::with_capacity(options.size * options.size);
    for y in 0..options.size {
        for x in 0..options.size {
            // Pixel centres, in the ellipse's own axes.
            let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
            let (u, v) = (cos * dx + sin * dy, -sin * dx + cos * dy);
            let inside = (u / a).powi(2) + (v / b).powi(2) <= 1.0;
            let truth = if inside { 1.0 } else { 0.0 };
            mask.push(truth);
            intensity.push(truth + options.noise * rng.normal());
        }
    }
    BlobImage {
        size: options.size,
        intensity,
        mask,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_small_and_inside_the_image() {
        for seed in 1..=200 {
            let image = blob_image(&BlobOptions {
                seed,
                ..BlobOptions::default()
            });
            let f = image.foreground_fraction();
            assert!((0.03..=0.13).contains(&f), "seed {seed}: {f}");
            let n = image.size;
            let border = (0..n).flat_map(|i| [i, (n - 1) * n + i, i * n, i * n + n - 1]);
            assert!(
                border.map(|i| image.mask[i]).all(|m| m == 0.0),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn smoothing_averages_the_neighbourhood() {
        let image = BlobImage {
            size: 3,
            intensity: (0..9).map(f64::from).collect(),
            mask: vec![0.0; 9],
        };
        let s = image.smoothed();
        // Corner: mean of 0, 1, 3, 4; centre: mean of all nine.
        assert_eq!(s[0], 2.0);
        assert_eq!(s[4], 4.0);
        assert_eq!(image.features().column(1).as_slice(), s.as_slice());
    }

    #[test]
    fn class_frequencies_are_as_asked() {
        let binary = imbalanced_binary(&BinaryOptions {
            samples: 100_000,
            ..BinaryOptions::default()
        });
        let fraction = binary.positives() as f64 / 100_000.0;
        assert!((fraction - 0.08).abs() < 0.003, "{fraction}");
        let classes = gaussian_classes(&ClassOptions {
            samples: 100_000,
            ..ClassOptions::default()
        });
        for (c, expected) in [0.5, 0.25, 0.15, 0.1].into_iter().enumerate() {
            let found = classes.labels.iter().filter(|l| **l == c as i64).count() as f64;
            assert!((found / 100_000.0 - expected).abs() < 0.005, "class {c}");
        }
    }
}
