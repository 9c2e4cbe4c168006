//! The `Curvature` representation: every operation against its dense matrix.

use super::fd::assert_matrix_close;
use crate::loss::Curvature;
use nalgebra::DMatrix;
use proptest::prelude::*;

/// Diagonal and diagonal-plus-rank-one curvatures over 3 blocks of 4, from random numbers.
fn curvatures(d: &[f64], v: &[f64], c: &[f64]) -> [Curvature; 2] {
    [
        Curvature::Diagonal(d.to_vec()),
        Curvature::DiagonalPlusRankOne {
            diagonal: d.to_vec(),
            block: 4,
            vectors: v.to_vec(),
            coefficients: c.to_vec(),
        },
    ]
}

/// The dense matrix written out independently of `to_dense`.
fn dense_by_hand(d: &[f64], v: &[f64], c: &[f64], rank_one: bool) -> DMatrix<f64> {
    DMatrix::from_fn(12, 12, |i, j| {
        let diagonal = if i == j { d[i] } else { 0.0 };
        let same_block = i / 4 == j / 4;
        diagonal
            + if rank_one && same_block {
                c[i / 4] * v[i] * v[j]
            } else {
                0.0
            }
    })
}

proptest! {
    #[test]
    fn operations_agree_with_the_dense_matrix(
        d in prop::collection::vec(-2.0..2.0f64, 12),
        v in prop::collection::vec(-2.0..2.0f64, 12),
        c in prop::collection::vec(-2.0..2.0f64, 3),
        x in prop::collection::vec(-2.0..2.0f64, 12),
        j in prop::collection::vec(-2.0..2.0f64, 12 * 5),
        factor in 0.0..3.0f64,
    ) {
        let jacobian = DMatrix::from_row_slice(12, 5, &j);
        for (rank_one, mut curvature) in [false, true].into_iter().zip(curvatures(&d, &v, &c)) {
            let dense = dense_by_hand(&d, &v, &c, rank_one);
            prop_assert_eq!(curvature.dim(), 12);
            assert_matrix_close(&curvature.to_dense(), &dense, 1e-14, "to_dense");
            let cx = DMatrix::from_column_slice(12, 1, &curvature.mul_vec(&x));
            let expected = &dense * DMatrix::from_column_slice(12, 1, &x);
            assert_matrix_close(&cx, &expected, 1e-13, "mul_vec");
            let mut h = DMatrix::identity(5, 5);
            curvature.add_jt_c_j(&jacobian, &mut h);
            let expected = DMatrix::identity(5, 5) + jacobian.transpose() * &dense * &jacobian;
            assert_matrix_close(&h, &expected, 1e-13, "add_jt_c_j");
            curvature.scale(factor);
            assert_matrix_close(&curvature.to_dense(), &(dense * factor), 1e-14, "scale");
        }
    }
}
