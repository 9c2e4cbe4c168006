//! Synthetic pose graphs with known ground truth, so examples and tests need no downloaded data.
//!
//! [`sphere_world`] places poses on a sphere, ring after ring from the south pole to the north
//! (in the spirit of g2o's `create_sphere`): odometry joins consecutive poses and every pose from
//! the second ring on closes a loop with the pose below it on the previous ring.
//!
//! [`manhattan_world`] walks a robot on a unit grid (in the spirit of Olson's M3500): every step
//! moves one metre forward and sometimes turns by ±90°; whenever it returns to a grid cell it
//! visited more than a few steps earlier it records a loop closure to that earlier pose. All
//! measurements are the true relative poses plus seeded Gaussian noise, and the initial guess
//! is the noisy odometry chained from the first pose, as in the public datasets.

use std::collections::HashMap;

use nalgebra::{Matrix3, Matrix6, UnitQuaternion, Vector3, Vector6};

use crate::eval::Trajectory;
use crate::io::{G2oEdge, G2oGraph, G2oInformation, G2oPose, G2oVertex};
use crate::manifold::{so3, LieGroup, Se2, Se3};

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
    pub ground_truth: Trajectory,
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
    let graph = graph_from(
        guess.iter().map(|x| G2oPose::from(*x)),
        edges.iter().map(|&(i, j, z)| (i, j, G2oPose::from(z))),
        G2oInformation::Se2(information),
    );
    let ids = (0..truth.len() as i64).collect();
    let ground_truth = Trajectory::from_se2(ids, &truth).expect("one id per generated pose");
    Generated {
        graph,
        ground_truth,
    }
}

/// Settings of [`sphere_world`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SphereOptions {
    /// Number of rings.
    pub rings: usize,
    /// Poses per ring.
    pub poses_per_ring: usize,
    /// Sphere radius, metres.
    pub radius: f64,
    /// Standard deviation of translation noise per axis, metres.
    pub sigma_translation: f64,
    /// Standard deviation of rotation noise per axis, radians.
    pub sigma_rotation: f64,
    /// Random seed.
    pub seed: u64,
}

impl Default for SphereOptions {
    fn default() -> Self {
        Self {
            rings: 20,
            poses_per_ring: 25,
            radius: 20.0,
            sigma_translation: 0.05,
            sigma_rotation: 0.01,
            seed: 1,
        }
    }
}

/// A sphere-shaped 3D pose graph (see the module docs).
pub fn sphere_world(options: &SphereOptions) -> Generated {
    let mut rng = Rng::new(options.seed);
    let (st, sr) = (options.sigma_translation, options.sigma_rotation);
    // g2o's SE3 error measures rotation by the quaternion's vector part, about half the angle:
    // rotation noise of σ radians is σ/2 there, hence the factor 4.
    let information = Matrix6::from_diagonal(&Vector6::new(
        1.0 / (st * st),
        1.0 / (st * st),
        1.0 / (st * st),
        4.0 / (sr * sr),
        4.0 / (sr * sr),
        4.0 / (sr * sr),
    ));
    let n = options.rings * options.poses_per_ring;
    let truth: Vec<Se3> = (0..n)
        .map(|k| {
            let around = std::f64::consts::TAU * (k % options.poses_per_ring) as f64
                / options.poses_per_ring as f64;
            // Latitude climbs a little with every pose, so the rings form one spiral.
            let latitude =
                -std::f64::consts::FRAC_PI_2 + std::f64::consts::PI * k as f64 / n as f64;
            let rotation = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), around)
                * UnitQuaternion::from_axis_angle(&Vector3::y_axis(), -latitude);
            let position = rotation * Vector3::new(options.radius, 0.0, 0.0);
            Se3::from_parts(position, rotation)
        })
        .collect();
    let mut noisy = |relative: &Se3| -> Se3 {
        let t = Vector3::new(st * rng.normal(), st * rng.normal(), st * rng.normal());
        let w = Vector3::new(sr * rng.normal(), sr * rng.normal(), sr * rng.normal());
        relative.compose(&Se3::from_parts(t, so3::exp(&w)))
    };
    let mut edges = Vec::new();
    for k in 1..n {
        edges.push((k - 1, k, noisy(&truth[k - 1].inverse().compose(&truth[k]))));
        if k >= options.poses_per_ring {
            let j = k - options.poses_per_ring;
            edges.push((j, k, noisy(&truth[j].inverse().compose(&truth[k]))));
        }
    }
    let mut guess = vec![truth[0]; n];
    for &(i, j, z) in edges.iter().filter(|e| e.1 == e.0 + 1) {
        guess[j] = guess[i].compose(&z);
    }
    let graph = graph_from(
        guess.iter().map(|x| G2oPose::from(*x)),
        edges.iter().map(|&(i, j, z)| (i, j, G2oPose::from(z))),
        G2oInformation::Se3(information),
    );
    let ids = (0..n as i64).collect();
    Generated {
        graph,
        ground_truth: Trajectory::new(ids, truth).expect("one id per pose"),
    }
}

/// A g2o graph with vertices `0..` in order and the given edges, all with one information.
fn graph_from(
    vertices: impl Iterator<Item = G2oPose>,
    edges: impl Iterator<Item = (usize, usize, G2oPose)>,
    information: G2oInformation,
) -> G2oGraph {
    G2oGraph {
        vertices: vertices
            .enumerate()
            .map(|(id, pose)| G2oVertex {
                id: id as i64,
                pose,
                line: 0,
            })
            .collect(),
        edges: edges
            .map(|(i, j, measurement)| G2oEdge {
                from: i as i64,
                to: j as i64,
                measurement,
                information,
                line: 0,
            })
            .collect(),
        ..G2oGraph::default()
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
    fn sphere_world_measurements_have_the_configured_noise() {
        let opts = SphereOptions {
            rings: 10,
            poses_per_ring: 20,
            ..Default::default()
        };
        let g = sphere_world(&opts);
        assert_eq!(g.graph.vertices.len(), 200);
        assert_eq!(g.graph.edges.len(), 199 + 180);
        for x in &g.ground_truth.poses {
            assert!(
                (x.translation().norm() - opts.radius).abs() < 1e-9,
                "on the sphere"
            );
        }
        // Measurement errors against the truth have the configured spread.
        let mut squares = [0.0; 2];
        for e in &g.graph.edges {
            let (i, j) = (e.from as usize, e.to as usize);
            let truth = g.ground_truth.poses[i]
                .inverse()
                .compose(&g.ground_truth.poses[j]);
            let G2oPose::Se3(p) = e.measurement else {
                panic!("3D edge")
            };
            let error = truth.inverse().compose(&Se3::from_params(&p));
            squares[0] += error.translation().norm_squared();
            squares[1] += so3::log(error.rotation()).norm_squared();
        }
        let m = 3.0 * g.graph.edges.len() as f64;
        let (st, sr) = ((squares[0] / m).sqrt(), (squares[1] / m).sqrt());
        assert!(
            (st / opts.sigma_translation - 1.0).abs() < 0.1,
            "translation sigma {st}"
        );
        assert!(
            (sr / opts.sigma_rotation - 1.0).abs() < 0.1,
            "rotation sigma {sr}"
        );
        assert_eq!(sphere_world(&opts).graph, g.graph, "reproducible");
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
