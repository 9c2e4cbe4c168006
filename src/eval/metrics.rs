//! Error statistics of trajectories and precision/recall of outlier classification.

use std::collections::HashSet;
use std::path::Path;

use crate::io::G2oGraph;
use crate::manifold::{so3, LieGroup, Se3};

use super::{
    associate, read_text, records, Alignment, EvalError, FileError, LineError, Trajectory,
};

/// Summary of a set of non-negative errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorStats {
    /// Root mean square, `sqrt(Σ eᵢ² / n)`.
    pub rmse: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (the mean of the two middle values for an even count).
    pub median: f64,
    /// Largest error.
    pub max: f64,
}

impl ErrorStats {
    /// Statistics of `errors`, or `None` when there are none.
    ///
    /// ```
    /// use rhopt::eval::ErrorStats;
    ///
    /// let s = ErrorStats::from_errors(&[3.0, 0.0, 4.0, 1.0]).unwrap();
    /// assert_eq!((s.mean, s.median, s.max), (2.0, 2.0, 4.0));
    /// assert_eq!(s.rmse, (26.0f64 / 4.0).sqrt());
    /// ```
    pub fn from_errors(errors: &[f64]) -> Option<Self> {
        let n = errors.len();
        if n == 0 {
            return None;
        }
        let mut sorted = errors.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
        };
        let count = n as f64;
        Some(ErrorStats {
            rmse: (errors.iter().map(|e| e * e).sum::<f64>() / count).sqrt(),
            mean: errors.iter().sum::<f64>() / count,
            median,
            max: sorted[n - 1],
        })
    }
}

/// Accuracy of an estimated trajectory against a reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Number of poses compared (ids shared by both trajectories).
    pub poses: usize,
    /// Absolute trajectory error: distance between the positions of the aligned estimate and
    /// the reference, metres.
    pub ate: ErrorStats,
    /// Relative pose error, translation part, metres (see [`evaluate`]).
    pub rpe_translation: ErrorStats,
    /// Relative pose error, rotation angle, degrees.
    pub rpe_rotation_deg: ErrorStats,
}

/// Compares an estimate with a reference on the poses they share (by id, see
/// [`associate`](super::associate)).
///
/// * **ATE**: the estimate is aligned as asked (see
///   [`Associated::transform`](super::Associated::transform)), then each pose contributes the
///   distance `|t(T·Pₖ) − t(Qₖ)|` between its position and the reference's.
/// * **RPE**: for consecutive shared poses `k, k+1` (in ascending id order) the relative motions
///   `ΔP = Pₖ⁻¹Pₖ₊₁` and `ΔQ = Qₖ⁻¹Qₖ₊₁` are compared through `E = ΔQ⁻¹ΔP`: its translation
///   length and its rotation angle. The RPE does not depend on the alignment.
///
/// # Errors
/// As [`associate`](super::associate) and
/// [`Associated::transform`](super::Associated::transform), in particular
/// [`EvalError::TooFewCommonPoses`].
pub fn evaluate(
    estimate: &Trajectory,
    reference: &Trajectory,
    alignment: Alignment,
) -> Result<Evaluation, EvalError> {
    let pairs = associate(estimate, reference)?;
    let transform = pairs.transform(alignment)?;
    let ate: Vec<f64> = pairs
        .estimate
        .iter()
        .zip(&pairs.reference)
        .map(|(p, q)| (transform.transform_point(&p.translation()) - q.translation()).norm())
        .collect();
    let (rpe_translation, rpe_rotation): (Vec<f64>, Vec<f64>) = pairs
        .estimate
        .windows(2)
        .zip(pairs.reference.windows(2))
        .map(|(p, q)| {
            let error = relative(&q[0], &q[1])
                .inverse()
                .compose(&relative(&p[0], &p[1]));
            let angle = so3::log(error.rotation()).norm();
            (error.translation().norm(), angle.to_degrees())
        })
        .unzip();
    // `transform` succeeded, so there are at least two pairs and one relative motion.
    let stats = |errors: &[f64]| {
        ErrorStats::from_errors(errors).ok_or(EvalError::TooFewCommonPoses {
            common: pairs.len(),
            needed: alignment.min_poses(),
            alignment,
        })
    };
    Ok(Evaluation {
        poses: pairs.len(),
        ate: stats(&ate)?,
        rpe_translation: stats(&rpe_translation)?,
        rpe_rotation_deg: stats(&rpe_rotation)?,
    })
}

/// `a⁻¹ · b`.
fn relative(a: &Se3, b: &Se3) -> Se3 {
    a.inverse().compose(b)
}

// ---------------------------------------------------------------------------------------------
// Outlier classification
// ---------------------------------------------------------------------------------------------

/// The usual weight threshold below which a robust solver is taken to reject an edge.
pub const DEFAULT_OUTLIER_THRESHOLD: f64 = crate::solver::OUTLIER_WEIGHT;

/// How well per-edge weights separate the known outliers from the inliers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionRecall {
    /// `TP / (TP + FP)`: the fraction of edges declared outliers that are outliers; 1 when no
    /// edge is declared an outlier (nothing was wrongly rejected).
    pub precision: f64,
    /// `TP / (TP + FN)`: the fraction of the true outliers that were declared; 1 when there
    /// are no true outliers (none was missed).
    pub recall: f64,
    /// Outliers declared outliers.
    pub true_positives: usize,
    /// Inliers declared outliers.
    pub false_positives: usize,
    /// Outliers not declared outliers.
    pub false_negatives: usize,
}

/// Scores per-edge weights (`weights[i]` for edge `i`) against the indices of the true outliers
/// (`added`, e.g. from [`crate::corrupt::Corrupted::added`]): an edge is declared an outlier
/// when its weight is below `threshold` (usually [`DEFAULT_OUTLIER_THRESHOLD`]).
///
/// Repeated indices in `added` count once. An index in `added` without a weight (past the end
/// of `weights`) cannot be declared, so it counts as a false negative; a NaN weight is never
/// below the threshold, so it is not declared either.
///
/// ```
/// use rhopt::eval::outlier_precision_recall;
///
/// // Edges 3 and 4 are the false loop closures; the solver rejected 2 and 4.
/// let pr = outlier_precision_recall(&[1.0, 0.9, 0.1, 0.7, 0.0], &[3, 4], 0.5);
/// assert_eq!((pr.true_positives, pr.false_positives, pr.false_negatives), (1, 1, 1));
/// assert_eq!((pr.precision, pr.recall), (0.5, 0.5));
/// ```
pub fn outlier_precision_recall(
    weights: &[f64],
    added: &[usize],
    threshold: f64,
) -> PrecisionRecall {
    let outliers: HashSet<usize> = added.iter().copied().collect();
    let declared = weights.iter().filter(|&&w| w < threshold).count();
    let true_positives = outliers
        .iter()
        .filter(|&&i| weights.get(i).is_some_and(|&w| w < threshold))
        .count();
    let ratio = |part: usize, whole: usize| {
        if whole == 0 {
            1.0
        } else {
            part as f64 / whole as f64
        }
    };
    PrecisionRecall {
        precision: ratio(true_positives, declared),
        recall: ratio(true_positives, outliers.len()),
        true_positives,
        false_positives: declared - true_positives,
        false_negatives: outliers.len() - true_positives,
    }
}

/// One line of a weight file: the final weight a robust solver gave an edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgeWeight {
    /// First vertex of the edge.
    pub from: i64,
    /// Second vertex of the edge.
    pub to: i64,
    /// The weight (1 for a fully trusted edge, near 0 for a rejected one).
    pub weight: f64,
    /// 1-based line in the file (0 when not read from a file).
    pub line: usize,
}

const WEIGHT_COLUMNS: [&str; 3] = ["from", "to", "weight"];

/// Reads a weight file: `from to weight` per line, one line per edge in the graph's edge order;
/// blank lines and `#` comments are skipped.
///
/// # Errors
/// [`FileError`] naming the path, and the line for malformed content (wrong column count,
/// non-integer ids, a weight that is not a finite number).
pub fn read_weights(path: &Path) -> Result<Vec<EdgeWeight>, FileError> {
    parse_weights_named(&read_text(path)?, path)
}

/// Parses the text of a weight file (see [`read_weights`]). Errors name the path `<input>`.
///
/// ```
/// use rhopt::eval::parse_weights;
///
/// let w = parse_weights("# from to weight\n0 1 1\n1 2 0.02\n")?;
/// assert_eq!(w[1].weight, 0.02);
/// assert_eq!(
///     parse_weights("0 1 1\n1 2\n").unwrap_err().to_string(),
///     "<input>:2: expected 3 columns (from to weight), found 2"
/// );
/// # Ok::<(), rhopt::eval::FileError>(())
/// ```
///
/// # Errors
/// As [`read_weights`].
pub fn parse_weights(text: &str) -> Result<Vec<EdgeWeight>, FileError> {
    parse_weights_named(text, Path::new("<input>"))
}

fn parse_weights_named(text: &str, path: &Path) -> Result<Vec<EdgeWeight>, FileError> {
    records(text, &WEIGHT_COLUMNS)
        .map(|record| -> Result<EdgeWeight, LineError> {
            let record = record?;
            Ok(EdgeWeight {
                from: record.integer(0)?,
                to: record.integer(1)?,
                weight: record.number(2)?,
                line: record.line,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.in_file(path))
}

/// Checks that `weights` has one entry per edge of `graph`, naming the same vertices in the same
/// order, so that weight `i` really is edge `i`'s.
///
/// # Errors
/// [`EvalError::WeightCount`] or [`EvalError::WeightEdge`] (for the first mismatch).
pub fn check_weights(weights: &[EdgeWeight], graph: &G2oGraph) -> Result<(), EvalError> {
    if weights.len() != graph.edges.len() {
        return Err(EvalError::WeightCount {
            weights: weights.len(),
            edges: graph.edges.len(),
        });
    }
    let mismatch = weights
        .iter()
        .zip(&graph.edges)
        .enumerate()
        .find(|(_, (w, e))| (w.from, w.to) != (e.from, e.to));
    match mismatch {
        None => Ok(()),
        Some((index, (w, e))) => Err(EvalError::WeightEdge {
            line: w.line,
            index,
            weight_from: w.from,
            weight_to: w.to,
            edge_from: e.from,
            edge_to: e.to,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::parse_g2o;
    use crate::manifold::Se2;
    use nalgebra::{UnitQuaternion, Vector3};

    fn line_trajectory(n: usize) -> Vec<Se2> {
        (0..n).map(|k| Se2::new(k as f64, 0.0, 0.0)).collect()
    }

    fn planar(poses: &[Se2]) -> Trajectory {
        Trajectory::from_se2((0..poses.len() as i64).collect(), poses).unwrap()
    }

    fn assert_stats(stats: &ErrorStats, expected: [f64; 4], tol: f64) {
        let got = [stats.rmse, stats.mean, stats.median, stats.max];
        let names = ["rmse", "mean", "median", "max"];
        for ((name, g), e) in names.into_iter().zip(got).zip(expected) {
            assert!((g - e).abs() <= tol, "{name}: got {g}, expected {e}");
        }
    }

    #[test]
    fn stats_of_hand_computed_examples() {
        // Odd count: median is the middle value.
        let s = ErrorStats::from_errors(&[3.0, 1.0, 2.0]).unwrap();
        assert_stats(&s, [(14.0f64 / 3.0).sqrt(), 2.0, 2.0, 3.0], 1e-15);
        // Even count: median is the mean of the middle two; order does not matter.
        let s = ErrorStats::from_errors(&[5.0, 1.0, 3.0, 2.0]).unwrap();
        assert_stats(&s, [(39.0f64 / 4.0).sqrt(), 2.75, 2.5, 5.0], 1e-15);
        assert_eq!(ErrorStats::from_errors(&[]), None);
    }

    #[test]
    fn ate_of_identical_trajectories_is_zero() {
        let t = planar(&line_trajectory(10));
        for alignment in [Alignment::None, Alignment::Se2, Alignment::Se3] {
            let e = evaluate(&t, &t, alignment).unwrap();
            assert_eq!(e.poses, 10);
            assert!(e.ate.max < 1e-12, "{alignment}: {:?}", e.ate);
            assert!(e.rpe_translation.max < 1e-12 && e.rpe_rotation_deg.max < 1e-9);
        }
    }

    #[test]
    fn ate_of_a_known_offset() {
        // A curved path (not collinear) shifted by (0.3, −0.4, 1.2): |offset| = 1.3.
        let reference: Vec<Se3> = (0..8)
            .map(|k| {
                let k = k as f64;
                Se3::from_parts(
                    Vector3::new(k, (0.5 * k).sin(), 0.1 * k * k),
                    UnitQuaternion::identity(),
                )
            })
            .collect();
        let offset = Vector3::new(0.3, -0.4, 1.2);
        let shifted: Vec<Se3> = reference
            .iter()
            .map(|p| Se3::from_parts(p.translation() + offset, *p.rotation()))
            .collect();
        let ids: Vec<i64> = (0..8).collect();
        let reference = Trajectory::new(ids.clone(), reference).unwrap();
        let estimate = Trajectory::new(ids, shifted).unwrap();

        let raw = evaluate(&estimate, &reference, Alignment::None).unwrap();
        assert_stats(&raw.ate, [1.3; 4], 1e-12);
        assert!(raw.rpe_translation.max < 1e-12);
        let aligned = evaluate(&estimate, &reference, Alignment::Se3).unwrap();
        assert!(aligned.ate.max < 1e-9);

        // A planar offset is removed by a planar alignment too.
        let reference = planar(&[
            Se2::new(0.0, 0.0, 0.0),
            Se2::new(1.0, 0.0, 0.3),
            Se2::new(1.5, 1.0, 1.0),
        ]);
        let estimate = planar(&[
            Se2::new(3.0, 4.0, 0.0),
            Se2::new(4.0, 4.0, 0.3),
            Se2::new(4.5, 5.0, 1.0),
        ]);
        assert_stats(
            &evaluate(&estimate, &reference, Alignment::None)
                .unwrap()
                .ate,
            [5.0; 4],
            1e-12,
        );
        assert!(
            evaluate(&estimate, &reference, Alignment::Se2)
                .unwrap()
                .ate
                .max
                < 1e-9
        );
    }

    #[test]
    fn ate_statistics_with_per_pose_offsets() {
        // Offsets of lengths 1, 2, 3, 5 on four poses (no alignment): rmse √(39/4), mean 2.75,
        // median 2.5, max 5.
        let offsets = [(1.0, 0.0), (0.0, 2.0), (-1.8, 2.4), (3.0, -4.0)];
        let reference = line_trajectory(4);
        let estimate: Vec<Se2> = reference
            .iter()
            .zip(offsets)
            .map(|(p, (dx, dy))| Se2::new(p.translation().x + dx, dy, 0.0))
            .collect();
        let e = evaluate(&planar(&estimate), &planar(&reference), Alignment::None).unwrap();
        assert_stats(&e.ate, [(39.0f64 / 4.0).sqrt(), 2.75, 2.5, 5.0], 1e-12);
    }

    #[test]
    fn rpe_of_one_perturbed_step() {
        // Five poses, unit steps; the estimate's step 2 → 3 is followed by δ = (0.3, 0.4, 0.1).
        // Then ΔQ⁻¹ΔP = δ for that pair and the identity for the other three.
        let step = Se2::new(1.0, 0.0, 0.2);
        let delta = Se2::new(0.3, 0.4, 0.1);
        let mut reference = vec![Se2::identity()];
        let mut estimate = vec![Se2::identity()];
        for k in 0..4 {
            reference.push(reference[k].compose(&step));
            let s = if k == 2 { step.compose(&delta) } else { step };
            estimate.push(estimate[k].compose(&s));
        }
        let e = evaluate(&planar(&estimate), &planar(&reference), Alignment::None).unwrap();
        // Errors [0, 0, 0.5, 0]: rmse 0.5/2, mean 0.5/4, median 0, max 0.5.
        assert_stats(&e.rpe_translation, [0.25, 0.125, 0.0, 0.5], 1e-12);
        let d = 0.1f64.to_degrees();
        assert_stats(&e.rpe_rotation_deg, [d / 2.0, d / 4.0, 0.0, d], 1e-9);
        // The RPE does not depend on the alignment.
        let aligned = evaluate(&planar(&estimate), &planar(&reference), Alignment::Se2).unwrap();
        assert_stats(&aligned.rpe_translation, [0.25, 0.125, 0.0, 0.5], 1e-9);
    }

    #[test]
    fn precision_recall_hand_made_cases() {
        let pr = outlier_precision_recall(&[1.0, 0.1, 0.9, 0.2, 0.0], &[1, 4], 0.5);
        assert_eq!(
            (pr.true_positives, pr.false_positives, pr.false_negatives),
            (2, 1, 0)
        );
        assert_eq!((pr.precision, pr.recall), (2.0 / 3.0, 1.0));

        // Nothing declared: precision 1 by convention, recall 0.
        let pr = outlier_precision_recall(&[1.0, 0.9], &[0], 0.5);
        assert_eq!((pr.precision, pr.recall, pr.false_negatives), (1.0, 0.0, 1));

        // No true outliers: recall 1 by convention, each rejection is a false positive.
        let pr = outlier_precision_recall(&[0.1, 1.0], &[], 0.5);
        assert_eq!((pr.precision, pr.recall, pr.false_positives), (0.0, 1.0, 1));

        // Exactly at the threshold is kept; repeated indices count once; an index without a
        // weight and a NaN weight are not declared.
        let pr = outlier_precision_recall(&[0.5, f64::NAN, 0.49], &[0, 0, 1, 2, 7], 0.5);
        assert_eq!(
            (pr.true_positives, pr.false_positives, pr.false_negatives),
            (1, 0, 3)
        );
        assert_eq!((pr.precision, pr.recall), (1.0, 0.25));
    }

    #[test]
    fn weight_files() {
        let w = parse_weights("# from to weight\n0 1 1\n\n1 2 0.25\r\n").unwrap();
        assert_eq!(
            w,
            [
                EdgeWeight {
                    from: 0,
                    to: 1,
                    weight: 1.0,
                    line: 2
                },
                EdgeWeight {
                    from: 1,
                    to: 2,
                    weight: 0.25,
                    line: 4
                },
            ]
        );
        let bad = [
            (
                "0 1 x\n",
                r#"<input>:1: column weight is not a number: "x""#,
            ),
            (
                "0 1 1\n0 1.5 1\n",
                r#"<input>:2: column to is not an integer id: "1.5""#,
            ),
            (
                "0 1 1\n0 1 inf\n",
                r#"<input>:2: column weight is not finite: "inf""#,
            ),
            (
                "0 1 1 1\n",
                "<input>:1: expected 3 columns (from to weight), found 4",
            ),
        ];
        for (text, expected) in bad {
            assert_eq!(parse_weights(text).unwrap_err().to_string(), expected);
        }
        let missing = read_weights(Path::new("/nonexistent/weights.txt")).unwrap_err();
        assert!(missing
            .to_string()
            .starts_with("/nonexistent/weights.txt: "));
    }

    #[test]
    fn weights_must_match_the_graph() {
        let graph = parse_g2o(
            "VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nVERTEX_SE2 2 2 0 0\n\
             EDGE_SE2 0 1 1 0 0 1 0 0 1 0 1\nEDGE_SE2 1 2 1 0 0 1 0 0 1 0 1\n",
        )
        .unwrap();
        assert!(check_weights(&parse_weights("0 1 1\n1 2 0.5\n").unwrap(), &graph).is_ok());
        assert_eq!(
            check_weights(&parse_weights("0 1 1\n").unwrap(), &graph)
                .unwrap_err()
                .to_string(),
            "the weight file has 1 entries but the graph has 2 edges"
        );
        assert_eq!(
            check_weights(&parse_weights("0 1 1\n# c\n2 1 0.5\n").unwrap(), &graph)
                .unwrap_err()
                .to_string(),
            "weight line 3 is for edge 2 -> 1, but edge #1 of the graph is 1 -> 2"
        );
    }
}
