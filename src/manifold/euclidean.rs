//! Plain vector spaces ℝᴺ as (additive) Lie groups.

use nalgebra::{SMatrix, SVector};

use super::LieGroup;

/// The additive group ℝᴺ, for variables such as landmarks or biases.
///
/// Composition is addition, `Exp`/`Log` are the identity map, and all
/// adjoints and Jacobians are `±I`, so `⊞`/`⊟` are ordinary `+`/`−`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Euclidean<const N: usize>(pub SVector<f64, N>);

impl<const N: usize> Euclidean<N> {
    /// The zero vector: a common starting point for model parameters.
    pub fn zeros() -> Self {
        Self(SVector::zeros())
    }
}

/// `Euclidean::from([m, c])`: a vector variable from its entries.
impl<const N: usize> From<[f64; N]> for Euclidean<N> {
    fn from(entries: [f64; N]) -> Self {
        Self(SVector::from(entries))
    }
}

impl<const N: usize> LieGroup for Euclidean<N> {
    const DOF: usize = N;
    const PARAMS: usize = N;
    type Tangent = SVector<f64, N>;
    type Jacobian = SMatrix<f64, N, N>;

    fn identity() -> Self {
        Self(SVector::zeros())
    }

    fn compose(&self, rhs: &Self) -> Self {
        Self(self.0 + rhs.0)
    }

    fn inverse(&self) -> Self {
        Self(-self.0)
    }

    fn exp(xi: &Self::Tangent) -> Self {
        Self(*xi)
    }

    fn log(&self) -> Self::Tangent {
        self.0
    }

    fn adjoint(&self) -> Self::Jacobian {
        SMatrix::identity()
    }

    fn right_jacobian(_xi: &Self::Tangent) -> Self::Jacobian {
        SMatrix::identity()
    }

    fn right_jacobian_inverse(_xi: &Self::Tangent) -> Self::Jacobian {
        SMatrix::identity()
    }

    // Closed forms that skip the group algebra of the generic defaults.
    fn plus(&self, delta: &Self::Tangent) -> Self {
        Self(self.0 + delta)
    }

    fn minus(&self, other: &Self) -> Self::Tangent {
        self.0 - other.0
    }

    fn from_params(p: &[f64]) -> Self {
        Self(SVector::from_column_slice(&p[..N]))
    }

    fn write_params(&self, out: &mut [f64]) {
        out[..N].copy_from_slice(self.0.as_slice());
    }

    fn compose_with_jacobians(&self, rhs: &Self) -> (Self, Self::Jacobian, Self::Jacobian) {
        (self.compose(rhs), SMatrix::identity(), SMatrix::identity())
    }

    fn inverse_with_jacobian(&self) -> (Self, Self::Jacobian) {
        (self.inverse(), -SMatrix::identity())
    }

    fn log_with_jacobian(&self) -> (Self::Tangent, Self::Jacobian) {
        (self.0, SMatrix::identity())
    }

    fn between(&self, other: &Self) -> Self {
        Self(other.0 - self.0)
    }

    fn between_with_jacobians(&self, other: &Self) -> (Self, Self::Jacobian, Self::Jacobian) {
        (
            self.between(other),
            -SMatrix::identity(),
            SMatrix::identity(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::testing;
    use nalgebra::Vector4;
    use proptest::prelude::*;

    fn vector() -> impl Strategy<Value = Vector4<f64>> {
        proptest::array::uniform4(-10.0..10.0f64).prop_map(Vector4::from)
    }

    proptest! {
        #[test]
        fn group_properties(a in vector(), b in vector(), xi in vector()) {
            testing::check_all(&Euclidean(a), &Euclidean(b), &xi);
        }
    }

    #[test]
    fn operations_are_vector_arithmetic() {
        let a = Euclidean(Vector4::new(1.0, 2.0, 3.0, 4.0));
        let b = Euclidean(Vector4::new(0.5, -1.0, 0.0, 2.0));
        assert_eq!(a.compose(&b).0, a.0 + b.0);
        assert_eq!(b.minus(&a), b.0 - a.0);
        assert_eq!(a.between_with_jacobians(&b).0 .0, b.0 - a.0);
        let mut p = [0.0; 4];
        a.write_params(&mut p);
        assert_eq!(Euclidean::<4>::from_params(&p), a);
    }
}
