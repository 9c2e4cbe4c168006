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

    /// Unweighted mean of the per-class F1 scores (macro F1) over the classes that are present
    /// or predicted, as scikit-learn's `f1_score(average='macro')` (0 if there are none).
    pub fn macro_f1(&self) -> f64 {
        let scores: Vec<f64> = (0..self.classes)
            .map(|c| self.one_vs_rest(c))
            .filter(|b| b.true_positives + b.false_positives + b.false_negatives > 0)
            .map(|b| b.f1())
            .collect();
        if scores.is_empty() {
            0.0
        } else {
            scores.iter().sum::<f64>() / scores.len() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_metrics_by_hand() {
        let c = BinaryCounts {
            true_positives: 6,
            false_positives: 2,
            true_negatives: 88,
            false_negatives: 4,
        };
        assert_eq!(c.total(), 100);
        assert_eq!(c.accuracy(), 0.94);
        assert_eq!(c.precision(), 0.75);
        assert_eq!(c.recall(), 0.6);
        assert_eq!(c.specificity(), 88.0 / 90.0);
        assert_eq!(c.balanced_accuracy(), 0.5 * (0.6 + 88.0 / 90.0));
        assert_eq!(c.f1(), 12.0 / 18.0);
        assert_eq!(c.iou(), 0.5);
        // Dice and IoU of the same prediction: D = 2J/(1 + J).
        assert!((c.f1() - 2.0 * c.iou() / (1.0 + c.iou())).abs() < 1e-15);
    }

    #[test]
    fn empty_denominators() {
        let nothing = BinaryCounts::from_pairs([(false, false), (false, false)]);
        assert_eq!((nothing.precision(), nothing.recall()), (0.0, 0.0));
        assert_eq!(
            (nothing.f1(), nothing.iou(), nothing.accuracy()),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(BinaryCounts::default().accuracy(), 0.0);
    }

    #[test]
    fn confusion_matrix_by_hand() {
        // (predicted, actual): class 0 always right, class 1 half right, class 2 never seen.
        let m = ConfusionMatrix::from_pairs(3, [(0, 0), (0, 0), (1, 1), (0, 1), (1, 0)]);
        assert_eq!(m.count(1, 0), 1);
        assert_eq!(m.accuracy(), 0.6);
        // Recall 2/3 for class 0 and 1/2 for class 1; class 2 does not occur.
        assert!((m.balanced_accuracy() - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-15);
        let class1 = m.one_vs_rest(1);
        assert_eq!((class1.true_positives, class1.false_positives), (1, 1));
        assert_eq!((class1.false_negatives, class1.true_negatives), (1, 2));
        // F1: class 0 2·2/(4 + 1 + 1) = 2/3, class 1 1/2; class 2, never predicted nor seen,
        // does not count.
        assert!((m.macro_f1() - (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-15);
    }
}
