//! `rhopt corrupt`: add false loop closures to a pose graph (Vertigo protocol).

use std::path::PathBuf;

use clap::ValueEnum;
use rhopt::corrupt::{corrupt, write_sidecar, CorruptOptions, OutlierMode};
use rhopt::io::{read_g2o, write_g2o};

use crate::{check_outputs, write_file, Failure};

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    /// Endpoints drawn uniformly over all poses.
    Random,
    /// Second endpoint within 20 poses of the first.
    Local,
    /// Groups of consecutive edges sharing one measurement.
    Grouped,
}

#[derive(clap::Args)]
pub(crate) struct CorruptArgs {
    /// Input g2o file.
    input: PathBuf,
    /// Output g2o file; the indices of the added edges go to OUTPUT.outliers.
    #[arg(short, long)]
    output: PathBuf,
    /// Number of false loop closures to append.
    #[arg(long)]
    outliers: usize,
    /// How endpoints are drawn.
    #[arg(long, value_enum, default_value = "random")]
    mode: ModeArg,
    /// Edges per group in grouped mode.
    #[arg(long, default_value_t = 10)]
    group_size: usize,
    /// Random seed: the same seed gives the same file.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Where the indices of the added edges are written: `OUTPUT.outliers`.
pub(crate) fn sidecar_path(output: &std::path::Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".outliers");
    PathBuf::from(name)
}

pub(crate) fn run(args: &CorruptArgs) -> Result<u8, Failure> {
    let sidecar = sidecar_path(&args.output);
    check_outputs(
        &[&args.input],
        &[("-o", &args.output), ("the outlier list", &sidecar)],
    )?;
    let graph = read_g2o(&args.input).map_err(Failure::input)?;
    let options = CorruptOptions {
        outliers: args.outliers,
        mode: match args.mode {
            ModeArg::Random => OutlierMode::Random,
            ModeArg::Local => OutlierMode::Local,
            ModeArg::Grouped => OutlierMode::Grouped,
        },
        group_size: args.group_size,
        seed: args.seed,
        ..CorruptOptions::default()
    };
    let corrupted = corrupt(&graph, &options)
        .map_err(|e| Failure::input(format!("{}: {e}", args.input.display())))?;
    write_file(&args.output, |w| write_g2o(&corrupted.graph, w))?;
    write_file(&sidecar, |w| write_sidecar(&corrupted.added, w))?;
    Ok(0)
}
