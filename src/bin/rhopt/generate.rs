//! `rhopt generate`: synthetic pose graphs with ground truth.

use std::path::PathBuf;

use rhopt::generate::{manhattan_world, ManhattanOptions};
use rhopt::io::{write_atomically, write_g2o};

use crate::Failure;

#[derive(clap::Args)]
pub(crate) struct GenerateArgs {
    /// Output g2o file (initial guess = noisy odometry).
    #[arg(short, long)]
    output: PathBuf,
    /// Number of poses.
    #[arg(long, default_value_t = 1000)]
    poses: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also write the true poses here, one `x y theta` line per vertex.
    #[arg(long)]
    ground_truth: Option<PathBuf>,
}

pub(crate) fn run(args: &GenerateArgs) -> Result<u8, Failure> {
    if args.poses < 2 {
        return Err(Failure::input("--poses must be at least 2"));
    }
    let options = ManhattanOptions {
        poses: args.poses,
        seed: args.seed,
        ..Default::default()
    };
    let generated = manhattan_world(&options);
    write_atomically(&args.output, |w| write_g2o(&generated.graph, w))
        .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", args.output.display())))?;
    if let Some(path) = &args.ground_truth {
        write_atomically(path, |w| {
            for x in &generated.ground_truth {
                let t = x.translation();
                writeln!(w, "{} {} {}", t.x, t.y, x.angle())?;
            }
            Ok(())
        })
        .map_err(|e| Failure::runtime(format!("{}: cannot write: {e}", path.display())))?;
    }
    Ok(0)
}
