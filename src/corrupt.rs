//! False loop closures for testing robust back-ends, following the protocol of Sünderhauf and
//! Protzel's Vertigo suite ("Switchable constraints for robust pose graph SLAM", IROS 2012).
//!
//! [`corrupt`] keeps every vertex and edge of a graph, in order, and appends
//! [`CorruptOptions::outliers`] false loop closures:
//!
//! * **Endpoints** are two poses drawn uniformly from the graph's pose ids (the vertex ids, or
//!   for edge-only graphs the ids the edges use), never the same pose and never two poses with
//!   consecutive ids, which would look like odometry.
//!   * [`OutlierMode::Random`]: both endpoints anywhere.
//!   * [`OutlierMode::Local`]: the second endpoint within [`CorruptOptions::local_window`]
//!     poses of the first, counted in ascending id order. Such outliers are the hardest to
//!     reject, as they resemble genuine nearby loop closures.
//!   * [`OutlierMode::Grouped`]: groups of [`CorruptOptions::group_size`] edges
//!     `(i + k, j + k)`, `k = 0, 1, …`, from one random pair `(i, j)`, all with the same
//!     measurement: a mutually consistent cluster, as a perceptual-aliasing front-end would
//!     produce. A group stops early when `i + k` or `j + k` is not a pose id; the next group
//!     then starts, so exactly `outliers` edges are added in every mode.
//! * **Measurement**: zero-mean noise, independent per component. In 2D the translation is
//!   `N(0, σ_t)` per axis and the angle `N(0, σ_r)`; in 3D the translation is `N(0, σ_t)` per
//!   axis and the rotation is `Exp(ω)` with `ω ~ N(0, σ_r)` per axis.
//! * **Information**: that of the graph's first loop closure (the first edge whose ids are not
//!   consecutive), so that the false edges cannot be told apart by their weight; the first
//!   edge's when the graph has no loop closure.
//!
//! The output depends only on the graph and the options: the same seed gives the same edges.
//!
//! [`write_sidecar`] and [`read_sidecar`] store which edges were added, so that an evaluation
//! can later score a solver's outlier rejection (see [`crate::eval::outlier_precision_recall`]).
//!
//! # Example
//!
//! ```
//! use rhopt::corrupt::{corrupt, CorruptOptions, OutlierMode};
//! use rhopt::generate::{manhattan_world, ManhattanOptions};
//!
//! let graph = manhattan_world(&ManhattanOptions { poses: 200, ..Default::default() }).graph;
//! let options = CorruptOptions { outliers: 25, mode: OutlierMode::Grouped, seed: 7, ..Default::default() };
//! let corrupted = corrupt(&graph, &options)?;
//!
//! assert_eq!(corrupted.graph.edges.len(), graph.edges.len() + 25);
//! assert_eq!(corrupted.graph.edges[..graph.edges.len()], graph.edges[..]);
//! assert_eq!(corrupted.added, (graph.edges.len()..graph.edges.len() + 25).collect::<Vec<_>>());
//! # Ok::<(), rhopt::corrupt::CorruptError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::generate::Rng;
use crate::io::{Dimension, G2oEdge, G2oGraph, G2oInformation, G2oPose};
use crate::manifold::{normalize_angle, so3, LieGroup, Se3};
use nalgebra::Vector3;

use crate::eval::{read_text, records, FileError, LineError};

/// Where the endpoints of the false loop closures are drawn (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutlierMode {
    /// Both endpoints uniformly among all poses.
    #[default]
    Random,
    /// The second endpoint within [`CorruptOptions::local_window`] poses of the first.
    Local,
    /// Groups of [`CorruptOptions::group_size`] parallel edges sharing one measurement.
    Grouped,
}

impl fmt::Display for OutlierMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutlierMode::Random => "random",
            OutlierMode::Local => "local",
            OutlierMode::Grouped => "grouped",
        })
    }
}

/// Settings of [`corrupt`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorruptOptions {
    /// Number of false loop closures to add (0 returns the graph unchanged). Default 0.
    pub outliers: usize,
    /// How the endpoints are drawn. Default [`OutlierMode::Random`].
    pub mode: OutlierMode,
    /// Edges per group in [`OutlierMode::Grouped`]; at least 1. Default 10.
    pub group_size: usize,
    /// Largest distance, in poses, between the endpoints in [`OutlierMode::Local`]; at least
    /// 1. Default 20.
    pub local_window: usize,
    /// Standard deviation of each translation component of the measurement, metres; finite
    /// and non-negative. Default 0.3.
    pub sigma_translation: f64,
    /// Standard deviation of the rotation (the angle in 2D, each rotation-vector component in
    /// 3D), degrees; finite and non-negative. Default 10.
    pub sigma_rotation_deg: f64,
    /// Seed of the random generator. Default 0.
    pub seed: u64,
}

impl Default for CorruptOptions {
    fn default() -> Self {
        CorruptOptions {
            outliers: 0,
            mode: OutlierMode::Random,
            group_size: 10,
            local_window: 20,
            sigma_translation: 0.3,
            sigma_rotation_deg: 10.0,
            seed: 0,
        }
    }
}

impl CorruptOptions {
    fn validate(&self) -> Result<(), CorruptError> {
        let invalid = |option, reason: String| Err(CorruptError::InvalidOption { option, reason });
        if self.group_size == 0 {
            return invalid("group_size", "must be at least 1".into());
        }
        if self.local_window == 0 {
            return invalid("local_window", "must be at least 1".into());
        }
        for (option, sigma) in [
            ("sigma_translation", self.sigma_translation),
            ("sigma_rotation_deg", self.sigma_rotation_deg),
        ] {
            if !(sigma.is_finite() && sigma >= 0.0) {
                return invalid(
                    option,
                    format!("must be finite and non-negative, got {sigma}"),
                );
            }
        }
        Ok(())
    }
}

/// A graph with false loop closures appended.
#[derive(Debug, Clone, PartialEq)]
pub struct Corrupted {
    /// The input graph with the false edges after its own edges.
    pub graph: G2oGraph,
    /// Indices into `graph.edges` of the added edges, ascending (the last
    /// [`CorruptOptions::outliers`] indices).
    pub added: Vec<usize>,
}

/// Why false loop closures cannot be added. Displays as one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CorruptError {
    /// An option is out of range.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's field name.
        option: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The graph has no vertices and no edges.
    #[error("cannot add false loop closures to an empty graph")]
    EmptyGraph,
    /// The graph mixes 2D and 3D elements (only possible for graphs built in code).
    #[error("cannot add false loop closures to a graph that mixes 2D and 3D elements")]
    MixedDimensions,
    /// The graph has no edge to copy an information matrix from.
    #[error("the graph has no edges, so there is no loop-closure information matrix to copy")]
    NoEdges,
    /// No two poses of the graph may be joined (all pairs are equal or consecutive).
    #[error(
        "{mode} outliers need two poses whose ids are neither equal nor consecutive, \
         but the graph's {poses} pose ids have no such pair"
    )]
    TooFewPoses {
        /// The mode asked for.
        mode: OutlierMode,
        /// Number of distinct pose ids.
        poses: usize,
    },
    /// No two poses within the local window may be joined.
    #[error(
        "local outliers need two poses at most {window} apart (in id order) whose ids are not \
         consecutive, but the graph's {poses} poses have no such pair; widen the local window"
    )]
    NoLocalPair {
        /// The local window.
        window: usize,
        /// Number of distinct pose ids.
        poses: usize,
    },
}

/// Appends false loop closures to a copy of `graph` (see the [module docs](self)).
///
/// # Errors
/// [`CorruptError::InvalidOption`] for out-of-range options; when edges are to be added,
/// [`CorruptError::EmptyGraph`], [`CorruptError::MixedDimensions`] or
/// [`CorruptError::NoEdges`] for graphs without the needed content, and
/// [`CorruptError::TooFewPoses`] / [`CorruptError::NoLocalPair`] when no allowed pair of
/// endpoints exists.
pub fn corrupt(graph: &G2oGraph, options: &CorruptOptions) -> Result<Corrupted, CorruptError> {
    options.validate()?;
    let mut out = graph.clone();
    let first_added = out.edges.len();
    if options.outliers == 0 {
        return Ok(Corrupted {
            graph: out,
            added: Vec::new(),
        });
    }
    let dimension = match graph.dimension() {
        Some(dimension) => dimension,
        None if graph.vertices.is_empty() && graph.edges.is_empty() => {
            return Err(CorruptError::EmptyGraph)
        }
        None => return Err(CorruptError::MixedDimensions),
    };
    let information = loop_closure_information(graph).ok_or(CorruptError::NoEdges)?;
    let sampler = PairSampler::new(pose_ids(graph), options)?;

    let mut rng = Rng::new(options.seed);
    let sigma_rotation = options.sigma_rotation_deg.to_radians();
    let group_size = match options.mode {
        OutlierMode::Grouped => options.group_size,
        OutlierMode::Random | OutlierMode::Local => 1,
    };
    let mut remaining = options.outliers;
    while remaining > 0 {
        let (i, j) = sampler.draw(&mut rng);
        let measurement = noise(
            dimension,
            options.sigma_translation,
            sigma_rotation,
            &mut rng,
        );
        // k = 0 is always a valid pair, so every round adds at least one edge.
        for k in 0..group_size.min(remaining) {
            let (Some(from), Some(to)) = (sampler.shifted(i, k), sampler.shifted(j, k)) else {
                break;
            };
            out.edges.push(G2oEdge {
                from,
                to,
                measurement,
                information,
                line: 0,
            });
            remaining -= 1;
        }
    }
    let added = (first_added..out.edges.len()).collect();
    Ok(Corrupted { graph: out, added })
}

/// Information of the first edge whose ids are not consecutive, else of the first edge.
fn loop_closure_information(graph: &G2oGraph) -> Option<G2oInformation> {
    graph
        .edges
        .iter()
        .find(|e| e.is_loop_closure())
        .or(graph.edges.first())
        .map(|e| e.information)
}

/// Distinct pose ids, ascending: the vertex ids, or for edge-only graphs the edges' ids.
fn pose_ids(graph: &G2oGraph) -> Vec<i64> {
    let mut ids: Vec<i64> = if graph.has_vertices() {
        graph.vertices.iter().map(|v| v.id).collect()
    } else {
        graph.edges.iter().flat_map(|e| [e.from, e.to]).collect()
    };
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A random relative pose: translation `N(0, σ_t)` per axis, rotation `N(0, σ_r)` (the angle in
/// 2D, each rotation-vector component in 3D).
fn noise(dimension: Dimension, sigma_t: f64, sigma_r: f64, rng: &mut Rng) -> G2oPose {
    let mut normal = |sigma: f64| sigma * rng.normal();
    match dimension {
        Dimension::Two => {
            let (x, y) = (normal(sigma_t), normal(sigma_t));
            G2oPose::Se2([x, y, normalize_angle(normal(sigma_r))])
        }
        Dimension::Three => {
            let t = Vector3::new(normal(sigma_t), normal(sigma_t), normal(sigma_t));
            let omega = Vector3::new(normal(sigma_r), normal(sigma_r), normal(sigma_r));
            let mut params = [0.0; 7];
            Se3::from_parts(t, so3::exp(&omega)).write_params(&mut params);
            G2oPose::Se3(params)
        }
    }
}

/// Draws endpoint pairs, as ids, by rejection: uniform candidates are redrawn until they are
/// neither equal nor consecutive. [`PairSampler::new`] checks that an allowed pair exists, so
/// the loop ends with probability 1.
struct PairSampler {
    ids: Vec<i64>,
    /// `Some(window)` in local mode.
    window: Option<usize>,
}

impl PairSampler {
    fn new(ids: Vec<i64>, options: &CorruptOptions) -> Result<Self, CorruptError> {
        let poses = ids.len();
        let allowed = |a: usize, b: usize| ids[a].abs_diff(ids[b]) != 1;
        let sampler = match options.mode {
            OutlierMode::Local => {
                let window = options.local_window;
                // With a window of 2 or more, positions 0 and 2 form an allowed pair, so this
                // search only runs long for a window of 1, where it is linear.
                let exists = (0..poses).any(|a| {
                    (a + 1..=a.saturating_add(window).min(poses.saturating_sub(1)))
                        .any(|b| allowed(a, b))
                });
                if !exists {
                    return Err(CorruptError::NoLocalPair { window, poses });
                }
                PairSampler {
                    ids,
                    window: Some(window),
                }
            }
            OutlierMode::Random | OutlierMode::Grouped => {
                // Among three or more distinct ids, the smallest and the third are never
                // consecutive.
                if !(poses >= 3 || (poses == 2 && allowed(0, 1))) {
                    return Err(CorruptError::TooFewPoses {
                        mode: options.mode,
                        poses,
                    });
                }
                PairSampler { ids, window: None }
            }
        };
        Ok(sampler)
    }

    fn draw(&self, rng: &mut Rng) -> (i64, i64) {
        let n = self.ids.len();
        loop {
            let a = rng.below(n);
            let b = match self.window {
                None => rng.below(n),
                Some(window) => {
                    // Uniform over the other positions of [a − w, a + w] ∩ [0, n).
                    let lo = a.saturating_sub(window);
                    let hi = a.saturating_add(window).min(n - 1);
                    let b = lo + rng.below(hi - lo);
                    if b >= a {
                        b + 1
                    } else {
                        b
                    }
                }
            };
            let (i, j) = (self.ids[a], self.ids[b]);
            if a != b && i.abs_diff(j) != 1 {
                return (i, j);
            }
        }
    }

    /// `id + k` if that is a pose id.
    fn shifted(&self, id: i64, k: usize) -> Option<i64> {
        let shifted = id.checked_add(i64::try_from(k).ok()?)?;
        self.ids.binary_search(&shifted).is_ok().then_some(shifted)
    }
}

// ---------------------------------------------------------------------------------------------
// Sidecar files
// ---------------------------------------------------------------------------------------------

/// First line of a sidecar file.
const SIDECAR_HEADER: &str =
    "# rhopt false loop closures: 0-based indices into the edges of the corrupted graph (file order), one per line";

const SIDECAR_COLUMNS: [&str; 1] = ["edge index"];

/// Writes the indices of the added edges as a sidecar file: a `#` header line, then one
/// 0-based edge index (position among the graph's edge lines, in file order) per line.
///
/// ```
/// use rhopt::corrupt::{parse_sidecar, write_sidecar};
///
/// let mut out = Vec::new();
/// write_sidecar(&[5598, 5599], &mut out)?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.starts_with('#') && text.ends_with("\n5598\n5599\n"));
/// assert_eq!(parse_sidecar(&text)?, [5598, 5599]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Errors of `w`.
pub fn write_sidecar<W: Write>(added: &[usize], w: W) -> io::Result<()> {
    let mut w = BufWriter::new(w);
    writeln!(w, "{SIDECAR_HEADER}")?;
    for index in added {
        writeln!(w, "{index}")?;
    }
    w.flush()
}

/// Reads a sidecar file written by [`write_sidecar`]: one non-negative edge index per line;
/// blank lines and lines starting with `#` are skipped.
///
/// # Errors
/// [`FileError`] naming the path, and the line for a malformed or repeated index.
pub fn read_sidecar(path: &Path) -> Result<Vec<usize>, FileError> {
    parse_sidecar_named(&read_text(path)?, path)
}

/// Parses the text of a sidecar file (see [`read_sidecar`]). Errors name the path `<input>`.
///
/// # Errors
/// As [`read_sidecar`].
pub fn parse_sidecar(text: &str) -> Result<Vec<usize>, FileError> {
    parse_sidecar_named(text, Path::new("<input>"))
}

fn parse_sidecar_named(text: &str, path: &Path) -> Result<Vec<usize>, FileError> {
    let mut first_line = HashMap::new();
    records(text, &SIDECAR_COLUMNS)
        .map(|record| -> Result<usize, LineError> {
            let record = record?;
            let index = record.index(0)?;
            if let Some(first) = first_line.insert(index, record.line) {
                return Err(LineError::at(
                    record.line,
                    format!("edge index {index} is listed twice, first on line {first}"),
                ));
            }
            Ok(index)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.in_file(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::test_data::{dataset, TempFile};
    use crate::generate::{manhattan_world, ManhattanOptions};
    use crate::io::{parse_g2o, read_g2o, G2oVertex};
    use nalgebra::{Matrix3, UnitQuaternion};

    fn manhattan(poses: usize) -> G2oGraph {
        manhattan_world(&ManhattanOptions {
            poses,
            ..Default::default()
        })
        .graph
    }

    fn options(outliers: usize, mode: OutlierMode, seed: u64) -> CorruptOptions {
        CorruptOptions {
            outliers,
            mode,
            seed,
            ..Default::default()
        }
    }

    fn added_edges(c: &Corrupted) -> &[G2oEdge] {
        &c.graph.edges[c.added[0]..]
    }

    /// Mean and (population) standard deviation.
    fn mean_std(xs: impl Iterator<Item = f64>) -> (f64, f64) {
        let xs: Vec<f64> = xs.collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn appends_exactly_n_edges_and_keeps_the_originals() {
        let graph = manhattan(300);
        for mode in [
            OutlierMode::Random,
            OutlierMode::Local,
            OutlierMode::Grouped,
        ] {
            for n in [1, 7, 95] {
                let c = corrupt(&graph, &options(n, mode, 3)).unwrap();
                let m = graph.edges.len();
                assert_eq!(c.graph.edges.len(), m + n, "{mode}");
                assert_eq!(c.added, (m..m + n).collect::<Vec<_>>());
                assert_eq!(c.graph.edges[..m], graph.edges[..]);
                assert_eq!(c.graph.vertices, graph.vertices);
                assert_eq!(c.graph.fixed, graph.fixed);
            }
        }
    }

    #[test]
    fn zero_outliers_returns_the_graph_unchanged() {
        // Even a graph too small for any outlier.
        let tiny = parse_g2o("VERTEX_SE2 0 0 0 0\n").unwrap();
        let c = corrupt(&tiny, &options(0, OutlierMode::Random, 1)).unwrap();
        assert_eq!(c.graph, tiny);
        assert!(c.added.is_empty());
    }

    #[test]
    fn endpoints_are_never_equal_or_consecutive() {
        // Ids with gaps: 2–3 and 10–11–12 are consecutive, 0–2 and 3–10 are not.
        let mut graph = G2oGraph::default();
        for id in [0, 2, 3, 10, 11, 12] {
            graph.vertices.push(G2oVertex {
                id,
                pose: G2oPose::Se2([0.0; 3]),
                line: 0,
            });
        }
        graph.edges.push(edge(0, 2, Matrix3::identity()));
        let ids = [0, 2, 3, 10, 11, 12];
        for mode in [
            OutlierMode::Random,
            OutlierMode::Local,
            OutlierMode::Grouped,
        ] {
            let c = corrupt(
                &graph,
                &CorruptOptions {
                    local_window: 1,
                    ..options(2000, mode, 9)
                },
            )
            .unwrap();
            for e in added_edges(&c) {
                assert!(
                    e.from != e.to && (e.from - e.to).abs() != 1,
                    "{mode}: {} -> {}",
                    e.from,
                    e.to
                );
                assert!(ids.contains(&e.from) && ids.contains(&e.to));
            }
        }
        // On a large graph too, and both orientations occur.
        let c = corrupt(&manhattan(1000), &options(5000, OutlierMode::Random, 4)).unwrap();
        assert!(added_edges(&c).iter().all(|e| (e.from - e.to).abs() >= 2));
        assert!(added_edges(&c).iter().any(|e| e.from < e.to));
        assert!(added_edges(&c).iter().any(|e| e.from > e.to));
    }

    #[test]
    fn edge_only_graphs_use_the_edge_ids() {
        let graph = parse_g2o(
            "EDGE_SE2 100 101 1 0 0 1 0 0 1 0 1\nEDGE_SE2 101 102 1 0 0 1 0 0 1 0 1\n\
             EDGE_SE2 102 103 1 0 0 1 0 0 1 0 1\n",
        )
        .unwrap();
        let c = corrupt(&graph, &options(200, OutlierMode::Random, 2)).unwrap();
        for e in added_edges(&c) {
            assert!((100..=103).contains(&e.from) && (100..=103).contains(&e.to));
        }
    }

    #[test]
    fn local_mode_respects_the_window() {
        let graph = manhattan(500);
        for window in [2, 5, 20] {
            let c = corrupt(
                &graph,
                &CorruptOptions {
                    local_window: window,
                    ..options(3000, OutlierMode::Local, 5)
                },
            )
            .unwrap();
            let gaps: Vec<u64> = added_edges(&c)
                .iter()
                .map(|e| e.from.abs_diff(e.to))
                .collect();
            assert!(
                gaps.iter().all(|&g| (2..=window as u64).contains(&g)),
                "window {window}"
            );
            // The whole window is used.
            assert!(gaps.contains(&(window as u64)));
        }
    }

    #[test]
    fn grouped_mode_shares_measurements_and_shifts_endpoints() {
        let graph = manhattan(200);
        let max_id = 199;
        let group = 10;
        let c = corrupt(
            &graph,
            &CorruptOptions {
                group_size: group,
                ..options(400, OutlierMode::Grouped, 6)
            },
        )
        .unwrap();
        let added = added_edges(&c);
        // Split into runs of equal measurements: continuous random draws never repeat.
        let mut runs: Vec<&[G2oEdge]> = Vec::new();
        let mut start = 0;
        for k in 1..=added.len() {
            if k == added.len() || added[k].measurement != added[start].measurement {
                runs.push(&added[start..k]);
                start = k;
            }
        }
        let mut short = 0;
        for (r, run) in runs.iter().enumerate() {
            let (i, j) = (run[0].from, run[0].to);
            for (k, e) in run.iter().enumerate() {
                assert_eq!((e.from, e.to), (i + k as i64, j + k as i64));
            }
            assert!(run.len() <= group);
            if run.len() < group {
                short += 1;
                let last = r == runs.len() - 1;
                let at_end = i.max(j) + run.len() as i64 - 1 == max_id;
                assert!(
                    last || at_end,
                    "run {r} of {} stops early at ({i}, {j})",
                    run.len()
                );
            }
        }
        assert!(runs.len() >= 40 && short < runs.len());
    }

    #[test]
    fn grouped_mode_stops_at_id_gaps() {
        // Ids 0..=4 and 10..=14: a group starting at (0, 10) can shift to (4, 14) only.
        let mut graph = G2oGraph::default();
        for id in (0..5).chain(10..15) {
            graph.vertices.push(G2oVertex {
                id,
                pose: G2oPose::Se2([0.0; 3]),
                line: 0,
            });
        }
        graph.edges.push(edge(0, 1, Matrix3::identity()));
        let c = corrupt(
            &graph,
            &CorruptOptions {
                group_size: 50,
                ..options(500, OutlierMode::Grouped, 8)
            },
        )
        .unwrap();
        assert_eq!(c.added.len(), 500);
        for e in added_edges(&c) {
            assert!(matches!(e.from, 0..=4 | 10..=14) && matches!(e.to, 0..=4 | 10..=14));
        }
    }

    #[test]
    fn reproducible_from_the_seed() {
        let graph = manhattan(300);
        for mode in [
            OutlierMode::Random,
            OutlierMode::Local,
            OutlierMode::Grouped,
        ] {
            let a = corrupt(&graph, &options(50, mode, 11)).unwrap();
            let b = corrupt(&graph, &options(50, mode, 11)).unwrap();
            let c = corrupt(&graph, &options(50, mode, 12)).unwrap();
            assert_eq!(a, b);
            assert_ne!(added_edges(&a), added_edges(&c));
        }
    }

    #[test]
    fn measurements_2d_follow_the_noise_model() {
        let graph = manhattan(1000);
        let c = corrupt(&graph, &options(20_000, OutlierMode::Random, 21)).unwrap();
        let values: Vec<[f64; 3]> = added_edges(&c)
            .iter()
            .map(|e| match e.measurement {
                G2oPose::Se2(v) => v,
                G2oPose::Se3(_) => panic!("3D measurement in a 2D graph"),
            })
            .collect();
        for axis in 0..2 {
            let (mean, std) = mean_std(values.iter().map(|v| v[axis]));
            assert!(
                mean.abs() < 0.01 && (std - 0.3).abs() < 0.01,
                "axis {axis}: {mean} ± {std}"
            );
        }
        let (mean, std) = mean_std(values.iter().map(|v| v[2].to_degrees()));
        assert!(
            mean.abs() < 0.3 && (std - 10.0).abs() < 0.3,
            "rotation {mean}° ± {std}°"
        );
        // manhattan_world gives every edge the same information (1/σ² with σ = 0.05, 0.01).
        let expected = Matrix3::from_diagonal(&Vector3::new(400.0, 400.0, 10_000.0));
        for e in added_edges(&c) {
            match e.information {
                G2oInformation::Se2(m) => assert!((m - expected).norm() < 1e-6),
                G2oInformation::Se3(_) => panic!("3D information in a 2D graph"),
            }
        }
    }

    #[test]
    fn measurements_3d_follow_the_noise_model() {
        let Some(path) = dataset("3d/sphere2500.g2o") else {
            return;
        };
        let graph = read_g2o(&path).unwrap();
        let c = corrupt(&graph, &options(20_000, OutlierMode::Random, 22)).unwrap();
        let mut translations = [Vec::new(), Vec::new(), Vec::new()];
        let mut rotations = [Vec::new(), Vec::new(), Vec::new()];
        for e in added_edges(&c) {
            let G2oPose::Se3(p) = e.measurement else {
                panic!("2D measurement in a 3D graph");
            };
            let q =
                UnitQuaternion::from_quaternion(nalgebra::Quaternion::new(p[6], p[3], p[4], p[5]));
            let omega = so3::log(&q);
            for axis in 0..3 {
                translations[axis].push(p[axis]);
                rotations[axis].push(omega[axis].to_degrees());
            }
        }
        for axis in 0..3 {
            let (mean, std) = mean_std(translations[axis].iter().copied());
            assert!(
                mean.abs() < 0.01 && (std - 0.3).abs() < 0.01,
                "t{axis}: {mean} ± {std}"
            );
            let (mean, std) = mean_std(rotations[axis].iter().copied());
            assert!(
                mean.abs() < 0.3 && (std - 10.0).abs() < 0.3,
                "ω{axis}: {mean}° ± {std}°"
            );
        }
        // The first loop closure of sphere2500 is line "EDGE_SE3:QUAT 0 50 …" with information
        // upper triangle 10 0 0 0 0 0 10 0 0 0 0 10 0 0 0 399.765 -0.0155759 -2.90153 399.776
        // -7.93 100.055.
        let G2oInformation::Se3(info) = added_edges(&c)[0].information else {
            panic!("2D information in a 3D graph");
        };
        let expected = [
            ((0, 0), 10.0),
            ((2, 2), 10.0),
            ((0, 3), 0.0),
            ((3, 3), 399.765),
            ((3, 5), -2.90153),
            ((5, 4), -7.93),
            ((5, 5), 100.055),
        ];
        for ((r, col), value) in expected {
            assert_eq!(info[(r, col)], value, "I({r},{col})");
        }
    }

    fn edge(from: i64, to: i64, information: Matrix3<f64>) -> G2oEdge {
        G2oEdge {
            from,
            to,
            measurement: G2oPose::Se2([1.0, 0.0, 0.0]),
            information: G2oInformation::Se2(information),
            line: 0,
        }
    }

    #[test]
    fn information_is_the_first_loop_closures() {
        let odometry = Matrix3::from_diagonal_element(1.0);
        let first_loop = Matrix3::new(5.0, 1.0, 0.0, 1.0, 6.0, 0.5, 0.0, 0.5, 7.0);
        let second_loop = Matrix3::from_diagonal_element(9.0);
        let mut graph = G2oGraph::default();
        for id in 0..10 {
            graph.vertices.push(G2oVertex {
                id,
                pose: G2oPose::Se2([id as f64, 0.0, 0.0]),
                line: 0,
            });
        }
        // Odometry written backwards (1 -> 0) still counts as odometry.
        graph.edges = vec![
            edge(0, 1, odometry),
            edge(2, 1, odometry),
            edge(7, 2, first_loop),
            edge(2, 3, odometry),
            edge(0, 9, second_loop),
        ];
        let c = corrupt(&graph, &options(30, OutlierMode::Random, 1)).unwrap();
        assert!(added_edges(&c)
            .iter()
            .all(|e| e.information == G2oInformation::Se2(first_loop)));

        // Without loop closures, the first edge's.
        graph.edges = vec![edge(1, 2, second_loop), edge(0, 1, odometry)];
        let c = corrupt(&graph, &options(30, OutlierMode::Random, 1)).unwrap();
        assert!(added_edges(&c)
            .iter()
            .all(|e| e.information == G2oInformation::Se2(second_loop)));
    }

    #[test]
    fn errors_are_clear() {
        let two =
            parse_g2o("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 1 1 0 0\nEDGE_SE2 0 1 1 0 0 1 0 0 1 0 1\n")
                .unwrap();
        let cases: [(G2oGraph, CorruptOptions, &str); 6] = [
            (two.clone(), options(1, OutlierMode::Random, 0), "random outliers need two poses whose ids are neither equal nor consecutive, but the graph's 2 pose ids have no such pair"),
            (manhattan(50), CorruptOptions { local_window: 1, ..options(1, OutlierMode::Local, 0) }, "local outliers need two poses at most 1 apart (in id order) whose ids are not consecutive, but the graph's 50 poses have no such pair; widen the local window"),
            (G2oGraph::default(), options(1, OutlierMode::Random, 0), "cannot add false loop closures to an empty graph"),
            (parse_g2o("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 5 0 0 0\n").unwrap(), options(1, OutlierMode::Random, 0), "the graph has no edges, so there is no loop-closure information matrix to copy"),
            (two.clone(), CorruptOptions { group_size: 0, ..options(1, OutlierMode::Grouped, 0) }, "invalid option group_size: must be at least 1"),
            (two, CorruptOptions { sigma_translation: f64::NAN, ..options(1, OutlierMode::Random, 0) }, "invalid option sigma_translation: must be finite and non-negative, got NaN"),
        ];
        for (graph, options, expected) in cases {
            assert_eq!(corrupt(&graph, &options).unwrap_err().to_string(), expected);
        }
        // Two poses with a gap are enough.
        let gap =
            parse_g2o("VERTEX_SE2 0 0 0 0\nVERTEX_SE2 2 1 0 0\nEDGE_SE2 0 2 1 0 0 1 0 0 1 0 1\n")
                .unwrap();
        let c = corrupt(&gap, &options(10, OutlierMode::Random, 0)).unwrap();
        assert!(added_edges(&c).iter().all(|e| e.from.abs_diff(e.to) == 2));
    }

    #[test]
    fn extreme_ids_do_not_overflow() {
        let mut graph = G2oGraph::default();
        for id in [i64::MIN, 0, i64::MAX - 1, i64::MAX] {
            graph.vertices.push(G2oVertex {
                id,
                pose: G2oPose::Se2([0.0; 3]),
                line: 0,
            });
        }
        graph.edges.push(edge(i64::MIN, 0, Matrix3::identity()));
        for mode in [
            OutlierMode::Random,
            OutlierMode::Local,
            OutlierMode::Grouped,
        ] {
            let c = corrupt(&graph, &options(100, mode, 3)).unwrap();
            assert!(added_edges(&c).iter().all(|e| e.from.abs_diff(e.to) > 1));
        }
    }

    #[test]
    fn sidecar_round_trip_and_errors() {
        let mut out = Vec::new();
        write_sidecar(&[3, 10, 11], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, format!("{SIDECAR_HEADER}\n3\n10\n11\n"));
        let file = TempFile::new("sidecar.txt", text.as_bytes());
        assert_eq!(read_sidecar(file.path()).unwrap(), [3, 10, 11]);

        let bad = [
            (
                "1\n-2\n",
                r#"<input>:2: column edge index is not a non-negative integer: "-2""#,
            ),
            (
                "1\n\n# c\n2 3\n",
                "<input>:4: expected 1 column (edge index), found 2",
            ),
            (
                "4\n5\n4\n",
                "<input>:3: edge index 4 is listed twice, first on line 1",
            ),
            (
                "1.0\n",
                r#"<input>:1: column edge index is not a non-negative integer: "1.0""#,
            ),
        ];
        for (text, expected) in bad {
            assert_eq!(parse_sidecar(text).unwrap_err().to_string(), expected);
        }
        let file = TempFile::new("bad-sidecar.txt", b"1\n2\nx\n");
        let message = read_sidecar(file.path()).unwrap_err().to_string();
        assert_eq!(
            message,
            format!(
                "{}:3: column edge index is not a non-negative integer: \"x\"",
                file.path().display()
            )
        );
        let file = TempFile::new("utf8-sidecar.txt", b"1\n\xff\n");
        let message = read_sidecar(file.path()).unwrap_err().to_string();
        assert_eq!(
            message,
            format!("{}:2: not valid UTF-8 text", file.path().display())
        );
        assert!(parse_sidecar("# only a header\n").unwrap().is_empty());
    }
}
