//! The sparse factorisation of the normal equations under faer's alternatives, side by side:
//! the fill-reducing ordering (AMD on the block graph, as rhopt does, or faer's AMD on the
//! scalar graph), the simplicial or supernodal algorithm (faer's own choice, rhopt's
//! [`SUPERNODAL_THRESHOLD`], or forced), and H given as its lower triangle (as rhopt stores it)
//! or its upper one. The first row is rhopt's own [`SparseCholesky`].
//!
//! Run with `cargo bench --bench factorization`. For each dataset (a generated graph, plus the
//! public ones under `$RHOPT_DATASETS`) it prints a markdown table: nnz(L), the symbolic
//! analysis time and the median of 21 numeric factorisations and triangular solves, one thread.

mod common;

use std::time::{Duration, Instant};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};
use rhopt::factor::BetweenError;
use rhopt::io::build_problem;
use rhopt::linear::{HessianPattern, SparseCholesky, SUPERNODAL_THRESHOLD};
use rhopt::solver::{Linearizer, Weighting};

const DATASETS: &[&str] = &[
    "2d/intel.g2o",
    "2d/manhattanOlson3500.g2o",
    "2d/city10000.g2o",
    "3d/parking-garage.g2o",
    "3d/sphere2500.g2o",
    "3d/torus3D.g2o",
];

const RUNS: usize = 21;

/// One way of factorising with faer directly, H given as its upper triangle: the ordering
/// applied on top of the pattern's block-AMD numbering and the supernodal threshold.
struct Variant {
    name: &'static str,
    ordering: SymmetricOrdering<'static, usize>,
    threshold: SupernodalThreshold,
}

const VARIANTS: [Variant; 5] = [
    Variant {
        name: "block AMD, rhopt's threshold, upper",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold(SUPERNODAL_THRESHOLD),
    },
    Variant {
        name: "block AMD, faer's threshold",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold::AUTO,
    },
    Variant {
        name: "block AMD, simplicial",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold::FORCE_SIMPLICIAL,
    },
    Variant {
        name: "block AMD, supernodal",
        ordering: SymmetricOrdering::Identity,
        threshold: SupernodalThreshold::FORCE_SUPERNODAL,
    },
    Variant {
        name: "scalar AMD (faer), rhopt's threshold",
        ordering: SymmetricOrdering::Amd,
        threshold: SupernodalThreshold(SUPERNODAL_THRESHOLD),
    },
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The upper triangle of the matrix that `pattern` and `values` store: CSC column pointers,
/// row indices and values.
fn upper_triangle(pattern: &HessianPattern, values: &[f64]) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let mut entries = Vec::with_capacity(values.len());
    pattern.for_each_upper(values, |i, j, v| entries.push((j, i, v)));
    entries.sort_unstable_by_key(|&(j, i, _)| (j, i));
    let mut col_ptr = vec![0; pattern.dim + 1];
    for &(j, _, _) in &entries {
        col_ptr[j + 1] += 1;
    }
    for j in 0..pattern.dim {
        col_ptr[j + 1] += col_ptr[j];
    }
    let row_idx = entries.iter().map(|e| e.1).collect();
    let values = entries.iter().map(|e| e.2).collect();
    (col_ptr, row_idx, values)
}

/// Median wall time of [`RUNS`] calls of `f`.
fn median_of(mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    samples[RUNS / 2]
}

/// rhopt's [`SparseCholesky`]: its analysis, median factorisation and solve, nnz(L) and
/// whether it went supernodal.
fn measure_rhopt(
    pattern: &HessianPattern,
    hessian: &[f64],
    rhs: &[f64],
) -> (Duration, Duration, Duration, usize, bool) {
    let start = Instant::now();
    let mut chol = SparseCholesky::analyse(pattern, Some(1)).expect("symbolic analysis");
    let analyse = start.elapsed();
    let factorize = median_of(|| chol.factorize(pattern, hessian).expect("positive definite"));
    let mut x = rhs.to_vec();
    let solve = median_of(|| {
        x.copy_from_slice(rhs);
        chol.solve_in_place(&mut x)
    });
    (
        analyse,
        factorize,
        solve,
        chol.factor_nnz(),
        chol.is_supernodal(),
    )
}

/// Symbolic analysis, then the median numeric factorisation and solve of the upper triangle
/// (`col_ptr`, `row_idx`, `upper_values`) with faer directly.
fn measure(
    (col_ptr, row_idx, upper_values): &(Vec<usize>, Vec<usize>, Vec<f64>),
    rhs: &[f64],
    variant: &Variant,
) -> (SymbolicCholesky<usize>, Duration, Duration, Duration) {
    let n = rhs.len();
    let structure = SymbolicSparseColMatRef::new_checked(n, n, col_ptr, None, row_idx);
    let start = Instant::now();
    let symbolic = factorize_symbolic_cholesky(
        structure,
        Side::Upper,
        variant.ordering,
        CholeskySymbolicParams {
            supernodal_flop_ratio_threshold: variant.threshold,
            ..Default::default()
        },
    )
    .expect("symbolic analysis");
    let analyse = start.elapsed();
    let mut l_values = vec![0.0; symbolic.len_val()];
    let mut factor_mem =
        MemBuffer::new(symbolic.factorize_numeric_llt_scratch::<f64>(Par::Seq, Default::default()));
    let mut solve_mem = MemBuffer::new(symbolic.solve_in_place_scratch::<f64>(1, Par::Seq));
    let matrix = SparseColMatRef::new(structure, upper_values.as_slice());
    let factorize = median_of(|| {
        symbolic
            .factorize_numeric_llt::<f64>(
                &mut l_values,
                matrix,
                Side::Upper,
                Default::default(),
                Par::Seq,
                MemStack::new(&mut factor_mem),
                Default::default(),
            )
            .expect("positive definite");
    });
    let mut x = rhs.to_vec();
    let solve = median_of(|| {
        x.copy_from_slice(rhs);
        LltRef::<'_, usize, f64>::new(&symbolic, &l_values).solve_in_place_with_conj(
            Conj::No,
            MatMut::from_column_major_slice_mut(&mut x, n, 1),
            Par::Seq,
            MemStack::new(&mut solve_mem),
        );
    });
    (symbolic, analyse, factorize, solve)
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: stay quick there.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    for (name, graph) in common::datasets(DATASETS) {
        let pg = build_problem(graph, BetweenError::G2o);
        let problem = &pg.problem;
        let mut lin = Linearizer::new(problem);
        lin.linearize(problem.factors(), problem.values(), Weighting::Irls);
        lin.assemble();
        // Damp lightly so the gauge-fixed but far-from-optimal H is safely positive definite.
        for &p in &lin.pattern.diag_pos {
            lin.hessian[p] *= 1.0 + 1e-6;
        }
        println!(
            "\n{name}: {} unknowns, {} stored entries of H",
            lin.pattern.dim,
            lin.pattern.nnz()
        );
        println!("| variant | algorithm | nnz(L) | symbolic ms | factorise ms | solve ms |");
        println!("|---|---|---|---|---|---|");
        let algorithm = |supernodal| {
            if supernodal {
                "supernodal"
            } else {
                "simplicial"
            }
        };
        let (analyse, factorize, solve, nnz, supernodal) =
            measure_rhopt(&lin.pattern, &lin.hessian, &lin.gradient);
        println!(
            "| rhopt: block AMD, rhopt's threshold, lower | {} | {nnz} | {:.2} | {:.2} | {:.2} |",
            algorithm(supernodal),
            ms(analyse),
            ms(factorize),
            ms(solve)
        );
        let upper = upper_triangle(&lin.pattern, &lin.hessian);
        for variant in &VARIANTS {
            let (symbolic, analyse, factorize, solve) = measure(&upper, &lin.gradient, variant);
            let supernodal = matches!(symbolic.raw(), SymbolicCholeskyRaw::Supernodal(_));
            println!(
                "| {} | {} | {} | {:.2} | {:.2} | {:.2} |",
                variant.name,
                algorithm(supernodal),
                symbolic.len_val(),
                ms(analyse),
                ms(factorize),
                ms(solve)
            );
        }
    }
}
