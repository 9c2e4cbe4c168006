//! Shared numerical helpers: central finite differences, PSD checks and tolerant comparisons.

use nalgebra::{DMatrix, SymmetricEigen};

/// Central-difference gradient of `f` at `z`: (f(z + heᵢ) − f(z − heᵢ)) / 2h.
pub fn gradient(f: impl Fn(&[f64]) -> f64, z: &[f64], h: f64) -> Vec<f64> {
    let mut x = z.to_vec();
    (0..z.len())
        .map(|i| {
            x[i] = z[i] + h;
            let plus = f(&x);
            x[i] = z[i] - h;
            let minus = f(&x);
            x[i] = z[i];
            (plus - minus) / (2.0 * h)
        })
        .collect()
}

/// Second-order central-difference Hessian of `f` at `z`, from values only:
/// (f(+i+j) − f(+i−j) − f(−i+j) + f(−i−j)) / 4h².
pub fn hessian(f: impl Fn(&[f64]) -> f64, z: &[f64], h: f64) -> DMatrix<f64> {
    let n = z.len();
    let mut x = z.to_vec();
    let mut at = |i: usize, si: f64, j: usize, sj: f64| {
        x[i] += si * h;
        x[j] += sj * h;
        let v = f(&x);
        x[i] = z[i];
        x[j] = z[j];
        v
    };
    let mut m = DMatrix::zeros(n, n);
    for i in 0..n {
        for j in 0..=i {
            let v = (at(i, 1.0, j, 1.0) - at(i, 1.0, j, -1.0) - at(i, -1.0, j, 1.0)
                + at(i, -1.0, j, -1.0))
                / (4.0 * h * h);
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
    m
}

/// The largest absolute entry, at least 1: the scale of absolute tolerances.
pub fn scale(m: &DMatrix<f64>) -> f64 {
    m.iter().fold(1.0, |a, x| a.max(x.abs()))
}

/// Smallest eigenvalue of a symmetric matrix.
pub fn min_eigenvalue(m: &DMatrix<f64>) -> f64 {
    SymmetricEigen::new(m.clone())
        .eigenvalues
        .iter()
        .fold(f64::INFINITY, |a, &b| a.min(b))
}

/// Asserts that `m` is symmetric PSD: every eigenvalue ≥ −10⁻¹² relative to its largest entry
/// (absolute −10⁻¹² for entries of order one, as the brief asks).
pub fn assert_psd(m: &DMatrix<f64>, what: &str) {
    let tol = 1e-12 * scale(m);
    assert!(
        (m - m.transpose()).amax() <= tol,
        "{what}: curvature not symmetric"
    );
    let min = min_eigenvalue(m);
    assert!(min >= -tol, "{what}: eigenvalue {min:e} < −{tol:e}\n{m}");
}

/// The positive part of a symmetric matrix: its eigen-decomposition with negative eigenvalues
/// set to zero.
pub fn positive_part(m: &DMatrix<f64>) -> DMatrix<f64> {
    let e = SymmetricEigen::new(m.clone());
    let clamped = e.eigenvalues.map(|x| x.max(0.0));
    &e.eigenvectors * DMatrix::from_diagonal(&clamped) * e.eigenvectors.transpose()
}

/// Whether |a − b| ≤ tol·max(1, |b|); NaN equals NaN (PyTorch's empty mean).
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= tol * b.abs().max(1.0)
}

/// Asserts [`close`] entry by entry.
pub fn assert_all_close(actual: &[f64], expected: &[f64], tol: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, b)) in actual.iter().zip(expected).enumerate() {
        assert!(close(*a, *b, tol), "{what}[{i}]: {a:e} vs expected {b:e}");
    }
}

/// Asserts that two matrices agree to `tol` relative to the larger one's scale.
pub fn assert_matrix_close(actual: &DMatrix<f64>, expected: &DMatrix<f64>, tol: f64, what: &str) {
    let err = (actual - expected).amax();
    let s = scale(actual).max(scale(expected));
    assert!(
        err <= tol * s,
        "{what}: max error {err:e} > {tol:e}·{s:e}\nactual {actual}\nexpected {expected}"
    );
}
