//! `rhopt generate`: synthetic pose graphs with ground truth.

use std::path::PathBuf;

use clap::ValueEnum;
use rhopt::eval::write_tum;
use rhopt::generate::{manhattan_world, sphere_world, ManhattanOptions, SphereOptions};
use rhopt::io::write_g2o;

use crate::{check_outputs, write_file, Failure};

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// 2D grid walk with loop closures where the walk revisits a cell.
    Manhattan,
    /// 3D rings around a sphere, each pose closing a loop with the ring below.
    Sphere,
}

#[derive(clap::Args)]
pub(crate) struct GenerateArgs {
    /// Output g2o file (initial guess = noisy odometry).
    #[arg(short, long)]
    output: PathBuf,
    /// Which world.
    #[arg(long, value_enum, default_value = "manhattan")]
    kind: Kind,
    /// Number of poses (manhattan).
    #[arg(long, default_value_t = 1000)]
    poses: usize,
    /// Number of rings (sphere).
    #[arg(long, default_value_t = SphereOptions::default().rings)]
    rings: usize,
    /// Poses per ring (sphere).
    #[arg(long, default_value_t = SphereOptions::default().poses_per_ring)]
    poses_per_ring: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the true poses here as a TUM trajectory (timestamp = vertex id).
    #[arg(long)]
    ground_truth: Option<PathBuf>,
}

pub(crate) fn run(args: &GenerateArgs) -> Result<u8, Failure> {
    let mut outputs = vec![("-o", args.output.as_path())];
    outputs.extend(args.ground_truth.as_deref().map(|p| ("--ground-truth", p)));
    check_outputs(&[], &outputs)?;
    let generated = match args.kind {
        Kind::Manhattan => {
            if args.poses < 2 {
                return Err(Failure::input("--poses must be at least 2"));
            }
            manhattan_world(&ManhattanOptions {
                poses: args.poses,
                seed: args.seed,
                ..Default::default()
            })
        }
        Kind::Sphere => {
            if args.rings < 2 || args.poses_per_ring < 3 {
                return Err(Failure::input(
                    "--rings must be at least 2, --poses-per-ring at least 3",
                ));
            }
            sphere_world(&SphereOptions {
                rings: args.rings,
                poses_per_ring: args.poses_per_ring,
                seed: args.seed,
                ..Default::default()
            })
        }
    };
    write_file(&args.output, |w| write_g2o(&generated.graph, w))?;
    if let Some(path) = &args.ground_truth {
        write_file(path, |w| write_tum(&generated.ground_truth, w))?;
    }
    Ok(0)
}
