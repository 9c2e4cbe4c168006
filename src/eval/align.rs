//! Association of two trajectories by id and their rigid alignment.

use std::collections::HashMap;
use std::fmt;

use crate::manifold::{LieGroup, Se3};
use nalgebra::{DMatrix, Matrix3, Rotation3, UnitQuaternion, Vector3};

use super::{EvalError, Trajectory};

/// The rigid motion applied to an estimate before comparing it with a reference.
///
/// Estimates of a pose graph are only defined up to the gauge (the fixed first pose), so a
/// fair comparison first moves the estimate onto the reference. No scale is estimated: pose
/// graphs have metric odometry. Displays as `none`, `se2` or `se3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Compare the poses as they are.
    None,
    /// Rotation about z and translation in the xy plane (for planar trajectories); z is left
    /// as it is.
    Se2,
    /// Any rotation and translation.
    Se3,
}

impl Alignment {
    /// The fewest common poses the alignment needs: 3 for [`Alignment::Se3`] (two points leave
    /// the rotation about the line through them free), otherwise 2 (one pose pair for the
    /// relative pose error).
    pub fn min_poses(self) -> usize {
        match self {
            Alignment::Se3 => 3,
            Alignment::None | Alignment::Se2 => 2,
        }
    }
}

impl fmt::Display for Alignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Alignment::None => "none",
            Alignment::Se2 => "se2",
            Alignment::Se3 => "se3",
        })
    }
}

/// The poses an estimate and a reference have in common, paired by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Associated {
    /// The shared ids, ascending.
    pub ids: Vec<i64>,
    /// The estimate's pose for each id.
    pub estimate: Vec<Se3>,
    /// The reference's pose for each id.
    pub reference: Vec<Se3>,
}

/// Pairs the poses of two trajectories by id: the intersection of their ids, sorted ascending.
///
/// # Errors
/// As [`Trajectory::validate`] for either trajectory. An empty intersection is not an error
/// here; [`align`] and [`super::evaluate`] check the count they need.
pub fn associate(estimate: &Trajectory, reference: &Trajectory) -> Result<Associated, EvalError> {
    estimate.validate()?;
    reference.validate()?;
    let by_id: HashMap<i64, &Se3> = reference
        .ids
        .iter()
        .copied()
        .zip(&reference.poses)
        .collect();
    let mut pairs: Vec<(i64, Se3, Se3)> = estimate
        .ids
        .iter()
        .zip(&estimate.poses)
        .filter_map(|(id, pose)| by_id.get(id).map(|r| (*id, *pose, **r)))
        .collect();
    pairs.sort_unstable_by_key(|pair| pair.0);
    Ok(Associated {
        ids: pairs.iter().map(|p| p.0).collect(),
        estimate: pairs.iter().map(|p| p.1).collect(),
        reference: pairs.iter().map(|p| p.2).collect(),
    })
}

impl Associated {
    /// Number of pose pairs.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no pose pairs.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The rigid motion `T` of the given kind minimising `Σ |T·p_k − q_k|²` over the pose
    /// positions `p_k` of the estimate and `q_k` of the reference (identity for
    /// [`Alignment::None`]).
    ///
    /// This is Umeyama's closed form without scale (Horn's problem): with the centroids
    /// `p̄, q̄` and the cross-covariance `H = Σ (q_k − q̄)(p_k − p̄)ᵀ = U Σ Vᵀ`, the rotation is
    /// `R = U S Vᵀ` with `S = diag(1, …, 1, det(U)·det(V))` (the sign keeps `R` a rotation rather
    /// than a reflection; it flips the axis of the smallest singular value, which costs the
    /// least), and the translation is `q̄ − R p̄`. For [`Alignment::Se2`] the same is done on
    /// the x and y coordinates only.
    ///
    /// # Errors
    /// [`EvalError::TooFewCommonPoses`] below [`Alignment::min_poses`] pairs,
    /// [`EvalError::AlignmentFailed`] if the cross-covariance overflows.
    pub fn transform(&self, alignment: Alignment) -> Result<Se3, EvalError> {
        let needed = alignment.min_poses();
        if self.len() < needed {
            return Err(EvalError::TooFewCommonPoses {
                common: self.len(),
                needed,
                alignment,
            });
        }
        let dims = match alignment {
            Alignment::None => return Ok(Se3::identity()),
            Alignment::Se2 => 2,
            Alignment::Se3 => 3,
        };
        let centroid = |poses: &[Se3]| {
            poses.iter().map(|p| p.translation()).sum::<Vector3<f64>>() / poses.len() as f64
        };
        let (p_mean, q_mean) = (centroid(&self.estimate), centroid(&self.reference));
        let h: Matrix3<f64> = self
            .estimate
            .iter()
            .zip(&self.reference)
            .map(|(p, q)| (q.translation() - q_mean) * (p.translation() - p_mean).transpose())
            .sum();
        let r = nearest_rotation(DMatrix::from_fn(dims, dims, |i, j| h[(i, j)]))
            .ok_or(EvalError::AlignmentFailed)?;
        let mut rotation = Matrix3::identity();
        rotation.view_mut((0, 0), (dims, dims)).copy_from(&r);
        let mut translation = q_mean - rotation * p_mean;
        if alignment == Alignment::Se2 {
            // A planar alignment must not move along z.
            translation.z = 0.0;
        }
        let q = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(rotation));
        Ok(Se3::from_parts(translation, q))
    }
}

/// Most iterations allowed to the SVD of a 2×2 or 3×3 matrix; it converges in a handful.
const SVD_MAX_ITERATIONS: usize = 1000;

/// The rotation `R` maximising `tr(Rᵀ H)` (see [`Associated::transform`]), or `None` if `h` is
/// not finite or its SVD does not converge.
fn nearest_rotation(h: DMatrix<f64>) -> Option<DMatrix<f64>> {
    // Checked first: nalgebra's SVD can loop or panic on NaN.
    if !h.iter().all(|v| v.is_finite()) {
        return None;
    }
    let n = h.nrows();
    let svd = h.try_svd_unordered(true, true, f64::EPSILON, SVD_MAX_ITERATIONS)?;
    let (u, v_t) = (svd.u?, svd.v_t?);
    let mut s = DMatrix::<f64>::identity(n, n);
    if u.determinant() * v_t.determinant() < 0.0 {
        let smallest = svd.singular_values.argmin().0;
        s[(smallest, smallest)] = -1.0;
    }
    Some(u * s * v_t)
}

/// An estimate moved onto a reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    /// The motion `T` applied on the left of every estimate pose.
    pub transform: Se3,
    /// All poses of the estimate (not only the shared ones), moved by `transform`. It stays
    /// [`planar`](Trajectory::planar) unless the alignment was [`Alignment::Se3`].
    pub estimate: Trajectory,
}

/// Aligns an estimate to a reference using the poses they share (see
/// [`Associated::transform`]).
///
/// ```
/// use rhopt::eval::{align, Alignment, Trajectory};
/// use rhopt::manifold::{LieGroup, Se2};
///
/// let reference: Vec<Se2> = (0..4).map(|k| Se2::new(k as f64, (k * k) as f64, 0.0)).collect();
/// let motion = Se2::new(5.0, -1.0, 0.7);
/// let moved: Vec<Se2> = reference.iter().map(|p| motion.compose(p)).collect();
///
/// let reference = Trajectory::from_se2(vec![0, 1, 2, 3], &reference)?;
/// let estimate = Trajectory::from_se2(vec![0, 1, 2, 3], &moved)?;
/// let aligned = align(&estimate, &reference, Alignment::Se2)?;
/// for (a, b) in aligned.estimate.poses.iter().zip(&reference.poses) {
///     assert!((a.translation() - b.translation()).norm() < 1e-9);
/// }
/// # Ok::<(), rhopt::eval::EvalError>(())
/// ```
///
/// # Errors
/// As [`associate`] and [`Associated::transform`].
pub fn align(
    estimate: &Trajectory,
    reference: &Trajectory,
    alignment: Alignment,
) -> Result<Aligned, EvalError> {
    let transform = associate(estimate, reference)?.transform(alignment)?;
    Ok(Aligned {
        transform,
        estimate: estimate.moved(&transform, alignment != Alignment::Se3),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Rng;
    use crate::manifold::{so3, Se2};
    use proptest::prelude::*;
    use std::f64::consts::PI;

    /// A random-walk trajectory with ids 0..n (not collinear, so alignment is well posed).
    fn walk3(n: usize, seed: u64) -> Vec<Se3> {
        let mut rng = Rng::new(seed);
        let mut pose = Se3::identity();
        (0..n)
            .map(|_| {
                let step = Se3::from_parts(
                    Vector3::new(1.0 + rng.normal(), rng.normal(), rng.normal()),
                    so3::exp(&(Vector3::new(rng.normal(), rng.normal(), rng.normal()) * 0.3)),
                );
                pose = pose.compose(&step);
                pose
            })
            .collect()
    }

    fn walk2(n: usize, seed: u64) -> Vec<Se2> {
        let mut rng = Rng::new(seed);
        let mut pose = Se2::identity();
        (0..n)
            .map(|_| {
                pose = pose.compose(&Se2::new(1.0, 0.2 * rng.normal(), 0.5 * rng.normal()));
                pose
            })
            .collect()
    }

    fn ids(n: usize) -> Vec<i64> {
        (0..n as i64).collect()
    }

    fn max_translation_error(a: &[Se3], b: &[Se3]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p.translation() - q.translation()).norm())
            .fold(0.0, f64::max)
    }

    proptest! {
        #[test]
        fn se3_alignment_undoes_a_rigid_motion(
            seed in any::<u64>(),
            t in prop::array::uniform3(-100.0..100.0f64),
            axis in prop::array::uniform3(-1.0..1.0f64),
            angle in 0.0..(PI - 1e-3),
        ) {
            let axis = Vector3::from(axis);
            prop_assume!(axis.norm() > 1e-3);
            let motion = Se3::from_parts(Vector3::from(t), so3::exp(&(axis.normalize() * angle)));
            let reference = walk3(20, seed);
            let moved: Vec<Se3> = reference.iter().map(|p| motion.compose(p)).collect();
            let reference = Trajectory::new(ids(20), reference).unwrap();
            let estimate = Trajectory::new(ids(20), moved).unwrap();

            let aligned = align(&estimate, &reference, Alignment::Se3).unwrap();
            prop_assert!(max_translation_error(&aligned.estimate.poses, &reference.poses) < 1e-8);
            // The recovered motion is the inverse of the applied one.
            let residual = aligned.transform.compose(&motion);
            prop_assert!(residual.translation().norm() < 1e-8);
            prop_assert!(residual.rotation().angle() < 1e-9);
        }

        #[test]
        fn se2_alignment_undoes_a_planar_motion(
            seed in any::<u64>(),
            x in -100.0..100.0f64,
            y in -100.0..100.0f64,
            theta in -PI..PI,
        ) {
            let motion = Se2::new(x, y, theta);
            let reference = walk2(15, seed);
            let moved: Vec<Se2> = reference.iter().map(|p| motion.compose(p)).collect();
            let reference = Trajectory::from_se2(ids(15), &reference).unwrap();
            let estimate = Trajectory::from_se2(ids(15), &moved).unwrap();

            let aligned = align(&estimate, &reference, Alignment::Se2).unwrap();
            prop_assert!(aligned.estimate.planar);
            prop_assert!(max_translation_error(&aligned.estimate.poses, &reference.poses) < 1e-8);
            let inverse = motion.inverse();
            let t = aligned.transform.translation();
            prop_assert!((t - Vector3::new(inverse.translation().x, inverse.translation().y, 0.0)).norm() < 1e-8);
            let omega = so3::log(aligned.transform.rotation());
            prop_assert!((omega - Vector3::new(0.0, 0.0, inverse.angle())).norm() < 1e-9);
        }
    }

    #[test]
    fn se2_alignment_keeps_z_and_cannot_undo_a_tilt() {
        let reference = walk3(10, 3);
        let lifted: Vec<Se3> = reference
            .iter()
            .map(|p| Se3::from_parts(p.translation() + Vector3::new(0.0, 0.0, 2.0), *p.rotation()))
            .collect();
        let reference = Trajectory::new(ids(10), reference).unwrap();
        let estimate = Trajectory::new(ids(10), lifted).unwrap();
        let transform = associate(&estimate, &reference)
            .unwrap()
            .transform(Alignment::Se2)
            .unwrap();
        // Pure z offsets are invisible to a planar alignment: the identity is optimal.
        assert!(transform.translation().norm() < 1e-9);
        assert!(transform.rotation().angle() < 1e-9);
        let se3 = associate(&estimate, &reference)
            .unwrap()
            .transform(Alignment::Se3)
            .unwrap();
        assert!((se3.translation() - Vector3::new(0.0, 0.0, -2.0)).norm() < 1e-9);
    }

    #[test]
    fn reflection_is_never_returned() {
        // Points mirrored in the xz plane: the best proper rotation is not the reflection.
        let points = [
            (1.0, 2.0, 0.5),
            (-1.0, 0.3, 2.0),
            (0.5, -1.5, -1.0),
            (2.0, 1.0, 1.0),
        ];
        let pose = |&(x, y, z): &(f64, f64, f64)| {
            Se3::from_parts(Vector3::new(x, y, z), UnitQuaternion::identity())
        };
        let reference: Vec<Se3> = points.iter().map(pose).collect();
        let mirrored: Vec<Se3> = points.iter().map(|&(x, y, z)| pose(&(x, -y, z))).collect();
        let associated = Associated {
            ids: ids(4),
            estimate: mirrored,
            reference,
        };
        let t = associated.transform(Alignment::Se3).unwrap();
        assert!((t.rotation_matrix().determinant() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn association_is_the_sorted_intersection() {
        let a = Trajectory::from_se2(
            vec![5, 1, 3, 9],
            &[
                Se2::new(5.0, 0.0, 0.0),
                Se2::new(1.0, 0.0, 0.0),
                Se2::new(3.0, 0.0, 0.0),
                Se2::new(9.0, 0.0, 0.0),
            ],
        )
        .unwrap();
        let b = Trajectory::from_se2(
            vec![3, 4, 5, 1],
            &[
                Se2::new(30.0, 0.0, 0.0),
                Se2::new(40.0, 0.0, 0.0),
                Se2::new(50.0, 0.0, 0.0),
                Se2::new(10.0, 0.0, 0.0),
            ],
        )
        .unwrap();
        let pairs = associate(&a, &b).unwrap();
        assert_eq!(pairs.ids, [1, 3, 5]);
        let xs = |poses: &[Se3]| poses.iter().map(|p| p.translation().x).collect::<Vec<_>>();
        assert_eq!(xs(&pairs.estimate), [1.0, 3.0, 5.0]);
        assert_eq!(xs(&pairs.reference), [10.0, 30.0, 50.0]);
    }

    #[test]
    fn too_few_common_poses() {
        let a = Trajectory::from_se2(vec![0, 1, 2], &[Se2::identity(); 3]).unwrap();
        let b = Trajectory::from_se2(vec![1, 2, 7], &[Se2::identity(); 3]).unwrap();
        assert!(align(&a, &b, Alignment::Se2).is_ok());
        assert_eq!(
            align(&a, &b, Alignment::Se3).unwrap_err().to_string(),
            "the estimate and the reference share 2 pose ids; 3 or more are needed with alignment se3"
        );
        let c = Trajectory::from_se2(vec![7, 8], &[Se2::identity(); 2]).unwrap();
        assert_eq!(
            align(&a, &c, Alignment::None).unwrap_err().to_string(),
            "the estimate and the reference share 0 pose ids; 2 or more are needed with alignment none"
        );
    }

    #[test]
    fn overflowing_coordinates_fail_cleanly() {
        let far = |x: f64| Se3::from_parts(Vector3::new(x, -x, x), UnitQuaternion::identity());
        let a = Trajectory::new(ids(3), vec![far(1e300), far(-1e300), far(0.0)]).unwrap();
        assert!(matches!(
            align(&a, &a, Alignment::Se3),
            Err(EvalError::AlignmentFailed)
        ));
    }
}
