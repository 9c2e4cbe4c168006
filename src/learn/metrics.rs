//! Classification and segmentation metrics from confusion counts.
//!
//! Ratios whose denominator is zero (e.g. the precision of a classifier that never predicts the
//! class) are 0, as scikit-learn's `zero_division=0`; [`BinaryCounts::iou`] and
//! [`BinaryCounts::f1`] of two empty masks are 1, since they agree perfectly.

/// Confusion counts of a binary prediction against the truth (positive = the class of
/// interest: the minority class, the foreground).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BinaryCounts {
    /// Predicted positive, truly positive.
    pub true_positives: usize,
    /// Predicted positive, truly negative.
    pub false_positives: usize,
    /// Predicted negative, truly negative.
    pub true_negatives: usize,
    /// Predicted negative, truly positive.
    pub false_negatives: usize,
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

impl BinaryCounts {
    /// Counts (predicted, actual) pairs.
    ///
    /// ```
    /// use rhopt::learn::BinaryCounts;
    /// let c = BinaryCounts::from_pairs([(true, true), (true, false), (false, true), (false, false)]);
    /// assert_eq!((c.true_positives, c.false_positives, c.false_negatives), (1, 1, 1));
    /// assert_eq!(c.recall(), 0.5);
    /// ```
    pub fn from_pairs(pairs: impl IntoIterator<Item = (bool, bool)>) -> Self {
        let mut c = Self::default();
        for (predicted, actual) in pairs {
            match (predicted, actual) {
                (true, true) => c.true_positives += 1,
                (true, false) => c.false_positives += 1,
                (false, false) => c.true_negatives += 1,
                (false, true) => c.false_negatives += 1,
            }
        }
        c
    }

    /// Counts probabilities thresholded at `threshold` (positive when p ≥ threshold) against
    /// 0/1 targets (positive when t ≥ ½).
    pub fn from_probabilities(probabilities: &[f64], targets: &[f64], threshold: f64) -> Self {
        Self::from_pairs(
            probabilities
                .iter()
                .zip(targets)
                .map(|(p, t)| (*p >= threshold, *t >= 0.5)),
        )
    }

    /// Number of samples counted.
    pub fn total(&self) -> usize {
        self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
    }

    /// (TP + TN) / total.
    pub fn accuracy(&self) -> f64 {
        ratio(self.true_positives + self.true_negatives, self.total())
    }

    /// TP / (TP + FP): how many predicted positives are real.
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    /// TP / (TP + FN): how many real positives are found (sensitivity).
    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    /// TN / (TN + FP): how many real negatives are kept negative.
    pub fn specificity(&self) -> f64 {
        ratio(
            self.true_negatives,
            self.true_negatives + self.false_positives,
        )
    }

    /// (recall + specificity) / 2: accuracy as if both classes were equally frequent.
    pub fn balanced_accuracy(&self) -> f64 {
        0.5 * (self.recall() + self.specificity())
    }

    /// 2TP / (2TP + FP + FN), the harmonic mean of precision and recall; for masks this is the
    /// Dice coefficient. 1 when there are no positives at all, predicted or real.
    pub fn f1(&self) -> f64 {
        let denominator = 2 * self.true_positives + self.false_positives + self.false_negatives;
        if denominator == 0 {
            1.0
        } else {
            ratio(2 * self.true_positives, denominator)
        }
    }

    /// TP / (TP + FP + FN): the intersection over union (Jaccard index) of the predicted and the
    /// real positives. 1 when both are empty.
    pub fn iou(&self) -> f64 {
        let denominator = self.true_positives + self.false_positives + self.false_negatives;
        if denominator == 0 {
            1.0
        } else {
            ratio(self.true_positives, denominator)
        }
    }
}

/// A k-class confusion matrix: `count(actual, predicted)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    /// Row-major (actual, predicted).
    counts: Vec<usize>,
}

impl ConfusionMatrix {
    /// Counts (predicted, actual) class pairs over `classes` classes.
    ///
    /// # Panics
    /// If a class is ≥ `classes`.
    pub fn from_pairs(classes: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut counts = vec![0; classes * classes];
        for (predicted, actual) in pairs {
            assert!(
                predicted < classes && actual < classes,
                "class out of range"
            );
            counts[actual * classes + predicted] += 1;
        }
        Self { classes, counts }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Samples of class `actual` predicted as `predicted`.
    pub fn count(&self, actual: usize, predicted: usize) -> usize {
        self.counts[actual * self.classes + predicted]
    }

    /// The binary counts of class `c` against all others (one-vs-rest).
    pub fn one_vs_rest(&self, c: usize) -> BinaryCounts {
        let (mut tp, mut fp, mut fn_, mut total) = (0, 0, 0, 0);
        for actual in 0..self.classes {
            for predicted in 0..self.classes {
                let n = self.count(actual, predicted);
                total += n;
                match (actual == c, predicted == c) {
                    (true, true) => tp += n,
                    (false, true) => fp += n,
                    (true, false) => fn_ += n,
                    (false, false) => {}
                }
            }
        }
        BinaryCounts {
            true_positives: tp,
            false_positives: fp,
            false_negatives: fn_,
            true_negatives: total - tp - fp - fn_,
        }
    }

    /// Fraction of samples predicted correctly.
    pub fn accuracy(&self) -> f64 {
        let correct = (0..self.classes).map(|c| self.count(c, c)).sum();
        ratio(correct, self.counts.iter().sum())
    }

    /// Mean recall over the classes that occur (scikit-learn's `balanced_accuracy_score`).
    pub fn balanced_accuracy(&self) -> f64 {
        let present: Vec<f64> = (0..self.classes)
            .filter(|&c| (0..self.classes).any(|p| self.count(c, p) > 0))
            .map(|c| self.one_vs_rest(c).recall())
            .collect();
        if present.is_empty() {
            0.0
        } else {
            present.iter().sum::<f64>() / present.len() as f64
        }
    }

    /// Unweighted mean of the per-class F1 scores (macro F1).
    pub fn macro_f1(&self) -> f64 {
        (0..self.classes)
            .map(|c| self.one_vs_rest(c).f1())
            .sum::<f64>()
            / self.classes.max(1) as f64
    }
}
