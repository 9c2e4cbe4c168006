//! Reads the public benchmark datasets and checks their sizes.
//!
//! The datasets live outside the repository: `$RHOPT_DATASETS` (default
//! `../shared/datasets` from the crate), files `2d/*.g2o` and `3d/*.g2o`. Missing files are skipped with a
//! note, except when `CI=true`, where they fail the test.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rhopt::io::{parse_g2o, read_g2o, write_g2o, Dimension, G2oGraph};

/// Expected contents of one dataset file.
struct Expected {
    /// Path relative to the datasets directory.
    file: &'static str,
    /// Number of `VERTEX` lines (0 for edge-only files).
    vertices: usize,
    /// Number of `EDGE` lines.
    edges: usize,
    /// Number of distinct vertex ids used by the edges. For edge-only files this is the pose
    /// count given by the datasets' README, which counts vertices implied by the edges.
    poses: usize,
}

const fn expect(file: &'static str, vertices: usize, edges: usize, poses: usize) -> Expected {
    Expected {
        file,
        vertices,
        edges,
        poses,
    }
}

const EXPECTED: &[Expected] = &[
    expect("2d/intel.g2o", 1728, 2512, 1728),
    expect("2d/manhattanOlson3500.g2o", 3500, 5598, 3500),
    expect("2d/manhattan.g2o", 0, 5453, 3500),
    expect("2d/city10000.g2o", 10000, 20687, 10000),
    expect("2d/CSAIL.g2o", 0, 1172, 1045),
    expect("2d/MIT.g2o", 808, 827, 808),
    expect("2d/ring.g2o", 434, 459, 434),
    expect("3d/sphere2500.g2o", 2500, 4949, 2500),
    expect("3d/torus3D.g2o", 5000, 9048, 5000),
    expect("3d/parking-garage.g2o", 1661, 6275, 1661),
    expect("3d/smallGrid3D.g2o", 125, 297, 125),
    expect("3d/tinyGrid3D.g2o", 9, 11, 9),
];

use common::{datasets_dir, in_ci};

/// All `*.g2o` files of `dir/2d` and `dir/3d`, sorted (missing subdirectories give none).
fn g2o_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["2d", "3d"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(dir.join(sub)).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "g2o"))
        .collect();
    files.sort();
    files
}

fn expected_dimension(relative: &str) -> Dimension {
    if relative.starts_with("3d/") {
        Dimension::Three
    } else {
        Dimension::Two
    }
}

fn distinct_edge_ids(graph: &G2oGraph) -> usize {
    let ids: HashSet<i64> = graph.edges.iter().flat_map(|e| [e.from, e.to]).collect();
    ids.len()
}

/// Checks one expected file; returns the parse time, or `None` if the file is missing.
fn check(dir: &Path, expected: &Expected) -> Option<Duration> {
    let path = dir.join(expected.file);
    if !path.exists() {
        assert!(!in_ci(), "dataset {} is missing (CI=true)", path.display());
        eprintln!("note: {} not found, skipped", path.display());
        return None;
    }
    let start = Instant::now();
    let graph = read_g2o(&path).unwrap_or_else(|e| panic!("{e}"));
    let elapsed = start.elapsed();

    let name = expected.file;
    assert_eq!(graph.vertices.len(), expected.vertices, "{name}: vertices");
    assert_eq!(graph.edges.len(), expected.edges, "{name}: edges");
    assert_eq!(distinct_edge_ids(&graph), expected.poses, "{name}: poses");
    assert_eq!(graph.has_vertices(), expected.vertices > 0, "{name}");
    assert_eq!(graph.dimension(), Some(expected_dimension(name)), "{name}");
    assert!(graph.warnings.is_empty(), "{name}: {:?}", graph.warnings);
    Some(elapsed)
}

#[test]
fn datasets_have_the_expected_sizes() {
    let dir = datasets_dir();
    let mut largest: Option<(u64, &str, Duration)> = None;
    for expected in EXPECTED {
        let Some(elapsed) = check(&dir, expected) else {
            continue;
        };
        let size = std::fs::metadata(dir.join(expected.file)).map_or(0, |m| m.len());
        if largest.is_none_or(|(s, _, _)| size > s) {
            largest = Some((size, expected.file, elapsed));
        }
    }
    if let Some((size, file, elapsed)) = largest {
        eprintln!(
            "largest dataset {file} ({:.1} MB) parsed in {:.1} ms",
            size as f64 / 1e6,
            elapsed.as_secs_f64() * 1e3
        );
    }
}

/// Line numbers may legitimately change when a file is rewritten.
fn without_lines(mut graph: G2oGraph) -> G2oGraph {
    graph.vertices.iter_mut().for_each(|v| v.line = 0);
    graph.edges.iter_mut().for_each(|e| e.line = 0);
    graph
}

/// Every file parses (also files not in the table) and survives write → parse unchanged.
#[test]
fn every_dataset_file_parses_and_round_trips() {
    let dir = datasets_dir();
    let files = g2o_files(&dir);
    if files.is_empty() {
        assert!(!in_ci(), "no datasets under {} (CI=true)", dir.display());
        eprintln!("note: no datasets under {}, skipped", dir.display());
    }
    for path in files {
        let graph = read_g2o(&path).unwrap_or_else(|e| panic!("{e}"));
        let mut written = Vec::new();
        write_g2o(&graph, &mut written).unwrap();
        let text = String::from_utf8(written).unwrap();
        let reread = parse_g2o(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            without_lines(reread) == without_lines(graph.clone()),
            "{}: round trip changed the graph",
            path.display()
        );
        let known = EXPECTED.iter().any(|e| dir.join(e.file) == path);
        if !known {
            eprintln!(
                "note: {} is not in the table: {} vertices, {} edges",
                path.display(),
                graph.vertices.len(),
                graph.edges.len()
            );
        }
    }
}
