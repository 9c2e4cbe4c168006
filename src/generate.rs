//! Synthetic pose graphs with known ground truth, so examples and tests need no downloaded data.
//!
//! [`manhattan_world`] walks a robot on a unit grid (in the spirit of Olson's M3500): every step
//! moves one metre forward and sometimes turns by ±90°; whenever it returns to a grid cell it
//! visited more than a few steps earlier it records a loop closure to that earlier pose. All
//! measurements are the true relative poses plus seeded Gaussian noise, and the initial guess
//! is the noisy odometry chained from the first pose, as in the public datasets.

use std::collections::HashMap;

use nalgebra::Matrix3;

use crate::io::{G2oEdge, G2oGraph, G2oInformation, G2oPose, G2oVertex};
use crate::manifold::{LieGroup, Se2};

/// A small, fast, seedable generator (SplitMix64) with Gaussian samples by Box-Muller; the same
/// seed gives the same sequence on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n); `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n.max(1)
    }

    /// Standard normal sample.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: keeps ln finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Settings of [`manhattan_world`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ManhattanOptions {
    /// Number of poses.
    pub poses: usize,
    /// Probability of a ±90° turn at each step.
    pub turn_probability: f64,
    /// Standard deviation of translation noise per axis, metres.
    pub sigma_translation: f64,
    /// Standard deviation of rotation noise, radians.
    pub sigma_rotation: f64,
    /// Poses closer in time than this never form a loop closure.
    pub min_loop_gap: usize,
    /// Random seed.
    pub seed: u64,
}

impl Default for ManhattanOptions {
    fn default() -> Self {
        Self {
            poses: 1000,
            turn_probability: 0.3,
            sigma_translation: 0.05,
            sigma_rotation: 0.01,
            min_loop_gap: 10,
            seed: 1,
        }
    }
}

/// A generated graph and the true pose of each vertex (vertex `k` has id `k`).
#[derive(Debug, Clone)]
pub struct Generated {
    /// The graph, with the odometry-chained initial guess as its vertices.
    pub graph: G2oGraph,
    /// True pose of every vertex.
    pub ground_truth: Vec<Se2>,
}

fn se2_params(x: &Se2) -> [f64; 3] {
    let mut p = [0.0; 3];
    x.write_params(&mut p);
    p
}

/// A Manhattan-world 2D pose graph (see the module docs).
pub fn manhattan_world(options: &ManhattanOptions) -> Generated {
    let mut rng = Rng::new(options.seed);
    let (st, sr) = (options.sigma_translation, options.sigma_rotation);
    let information = Matrix3::from_diagonal(&nalgebra::Vector3::new(
        1.0 / (st * st),
        1.0 / (st * st),
        1.0 / (sr * sr),
    ));
    let noisy = |truth: &Se2, rng: &mut Rng| -> Se2 {
        truth.compose(&Se2::new(
            st * rng.normal(),
            st * rng.normal(),
            sr * rng.normal(),
        ))
    };

    let mut truth = vec![Se2::identity()];
    let mut cells: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    cells.insert((0, 0), vec![0]);
    let mut edges = Vec::new();
    for k in 1..options.poses {
        let turn = if rng.uniform() < options.turn_probability {
            if rng.uniform() < 0.5 {
                1.0
            } else {
                -1.0
            }
        } else {
            0.0
        };
        let step = Se2::new(1.0, 0.0, turn * std::f64::consts::FRAC_PI_2);
        let prev = truth[k - 1];
        let pose = prev.compose(&step);
        truth.push(pose);
        edges.push((k - 1, k, noisy(&step, &mut rng)));

        let t = pose.translation();
        let cell = (t.x.round() as i64, t.y.round() as i64);
        let visits = cells.entry(cell).or_default();
        let earlier: Vec<usize> = visits
            .iter()
            .copied()
            .filter(|&j| j + options.min_loop_gap < k)
            .collect();
        if !earlier.is_empty() {
            let j = earlier[rng.below(earlier.len())];
            let relative = truth[j].inverse().compose(&pose);
            edges.push((j, k, noisy(&relative, &mut rng)));
        }
        visits.push(k);
    }

    // Initial guess: chain the noisy odometry.
    let mut guess = vec![Se2::identity(); options.poses];
    for &(i, j, z) in edges.iter().filter(|e| e.1 == e.0 + 1) {
        guess[j] = guess[i].compose(&z);
    }
    let graph = G2oGraph {
        vertices: guess
            .iter()
            .enumerate()
            .map(|(id, x)| G2oVertex {
                id: id as i64,
                pose: G2oPose::Se2(se2_params(x)),
                line: 0,
            })
            .collect(),
        edges: edges
            .iter()
            .map(|&(i, j, z)| G2oEdge {
                from: i as i64,
                to: j as i64,
                measurement: G2oPose::Se2(se2_params(&z)),
                information: G2oInformation::Se2(information),
                line: 0,
            })
            .collect(),
        fixed: Vec::new(),
        warnings: Vec::new(),
    };
    Generated {
        graph,
        ground_truth: truth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_samples_have_unit_variance() {
        let mut rng = Rng::new(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn manhattan_world_is_reproducible_and_has_loops() {
        let opts = ManhattanOptions {
            poses: 500,
            ..Default::default()
        };
        let a = manhattan_world(&opts);
        let b = manhattan_world(&opts);
        assert_eq!(a.graph, b.graph);
        assert_eq!(a.graph.vertices.len(), 500);
        let loops = a.graph.edges.iter().filter(|e| e.to != e.from + 1).count();
        assert!(loops > 50, "only {loops} loop closures");
        let c = manhattan_world(&ManhattanOptions { seed: 2, ..opts });
        assert_ne!(a.graph, c.graph);
    }
}
