//! Prior factors: a direct measurement of one variable, e = Log(Z⁻¹·X).

use nalgebra::{SMatrix, SVector};

use super::{Factor, Jacobians};
use crate::manifold::{Se2, Se3};
use crate::problem::{Key, Values, Variable};

/// Prior on a variable of group `G` (tangent dimension `D`): e = X ⊟ Z = Log(Z⁻¹·X).
#[derive(Debug, Clone)]
pub struct Prior<G, const D: usize> {
    key: [Key; 1],
    measured_inverse: G,
}

/// Prior on a 2D pose.
pub type PriorSe2 = Prior<Se2, 3>;
/// Prior on a 3D pose.
pub type PriorSe3 = Prior<Se3, 6>;

impl<G, const D: usize> Prior<G, D>
where
    G: Variable<Tangent = SVector<f64, D>, Jacobian = SMatrix<f64, D, D>>,
{
    /// Prior pulling `key` towards `measured`.
    pub fn new(key: Key, measured: G) -> Self {
        Self {
            key: [key],
            measured_inverse: measured.inverse(),
        }
    }
}

impl<G, const D: usize> Factor for Prior<G, D>
where
    G: Variable<Tangent = SVector<f64, D>, Jacobian = SMatrix<f64, D, D>>,
{
    fn keys(&self) -> &[Key] {
        &self.key
    }

    fn residual_dim(&self) -> usize {
        D
    }

    fn evaluate(&self, values: &Values, residual: &mut [f64], jacobians: Option<&mut Jacobians>) {
        let x: G = values.get(self.key[0]);
        let (err, d_err) = self.measured_inverse.compose(&x).log_with_jacobian();
        residual.copy_from_slice(err.as_slice());
        if let Some(jac) = jacobians {
            jac.set_block(0, &d_err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::factor::testing::assert_jacobians_match;
    use nalgebra::{UnitQuaternion, Vector3};

    #[test]
    fn prior_jacobians_match_finite_differences() {
        let mut v = Values::default();
        let k2 = v.insert(Se2::new(1.0, -2.0, 2.9));
        let k3 = v.insert(Se3::from_parts(
            Vector3::new(0.3, 0.2, -1.0),
            UnitQuaternion::from_scaled_axis(Vector3::new(0.4, -2.0, 1.0)),
        ));
        assert_jacobians_match(&PriorSe2::new(k2, Se2::new(0.5, 0.5, -3.0)), &v, 1e-6);
        let z = Se3::from_parts(Vector3::new(1.0, 0.0, 0.0), UnitQuaternion::identity());
        assert_jacobians_match(&PriorSe3::new(k3, z), &v, 1e-6);
    }
}
