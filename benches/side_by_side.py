#!/usr/bin/env python3
"""Whole-solve timings of rhopt next to Ceres, run alternately so machine noise hits both.

For each dataset and repetition this runs `rhopt solve --json` and then the Ceres anchor
(../shared/anchors/ceres/pose_graph_bench, SPARSE_NORMAL_CHOLESKY with CHOLMOD; see
../shared/anchors/README.md for building it and point $CERES_BENCH at the binary). It prints, per
dataset, the median optimise wall time of each system (file loading excluded for both), their
iterations and final chi2, and the ratio rhopt / Ceres; with --out it also writes a JSON table.

    python3 benches/side_by_side.py --datasets city10000,sphere2500,torus3D --reps 5 --threads 1
"""
import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATASETS = os.environ.get("RHOPT_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))
RHOPT = os.path.join(ROOT, "target", "release", "rhopt")
CERES = os.environ.get("CERES_BENCH", "pose_graph_bench")


def dataset_path(name):
    for sub in ("2d", "3d"):
        path = os.path.join(DATASETS, sub, name + ".g2o")
        if os.path.exists(path):
            return path
    sys.exit(f"dataset {name} not found under {DATASETS}")


def run_process(cmd, timeout=None, env=None):
    """Run cmd in its own process group and wait for it.

    Returns (rc, stdout, stderr, wall_s, cpu_s): cpu_s is the user + system time of the child and
    of every descendant it waited for (getrusage(RUSAGE_CHILDREN) delta, so run one at a time).
    After `timeout` seconds the whole group is killed and rc is None."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        rc = None
    wall = time.perf_counter() - w0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return rc, out, err, wall, cpu


def rhopt_summary(path, threads, extra, output=None, timeout=None):
    """One `rhopt solve --json` run: its summary dict plus a "process" entry (exit code, wall and
    CPU seconds of the whole process, load included). rhopt exits non-zero when it stops without
    converging but still writes the summary; None if no summary was written (crash, timeout)."""
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "summary.json")
        cmd = [RHOPT, "solve", path, "--json", out, "-q", "--threads", str(threads)] + extra
        if output:
            cmd += ["-o", output]
        rc, _, err, wall, cpu = run_process(cmd, timeout)
        if not os.path.exists(out):
            return {"process": {"rc": rc, "wall_s": wall, "cpu_s": cpu, "stderr": err[-500:]}}
        with open(out) as f:
            s = json.load(f)
    s["process"] = {"rc": rc, "wall_s": wall, "cpu_s": cpu}
    return s


def run_rhopt(path, threads, extra):
    s = rhopt_summary(path, threads, extra)
    return s["time_s"]["total"], s["iterations"], s["final_chi2"]


def run_ceres(path, threads):
    p = subprocess.run([CERES, path, "--reps", "1", "--threads", str(threads)],
                       capture_output=True, text=True, check=True)
    rec = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")][-1]
    return rec["optimize_s"], rec["iterations"], rec["final_chi2"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="city10000,sphere2500,torus3D")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rhopt-args", default="", help="extra arguments for rhopt solve")
    ap.add_argument("--out", help="write the table as JSON here")
    args = ap.parse_args()
    rows = []
    print(f"{'dataset':18s} {'rhopt s':>9s} {'it':>4s} {'chi2':>12s}   {'ceres s':>9s} {'it':>4s} "
          f"{'chi2':>12s}   {'ratio':>6s}")
    for name in args.datasets.split(","):
        path = dataset_path(name)
        ours, theirs = [], []
        for _ in range(args.reps):
            ours.append(run_rhopt(path, args.threads, args.rhopt_args.split()))
            theirs.append(run_ceres(path, args.threads))
        o = statistics.median(t for t, _, _ in ours)
        c = statistics.median(t for t, _, _ in theirs)
        row = {"dataset": name, "threads": args.threads, "reps": args.reps,
               "rhopt_s": o, "rhopt_iterations": ours[-1][1], "rhopt_chi2": ours[-1][2],
               "ceres_s": c, "ceres_iterations": theirs[-1][1], "ceres_chi2": theirs[-1][2],
               "ratio": o / c, "rhopt_runs_s": [t for t, _, _ in ours],
               "ceres_runs_s": [t for t, _, _ in theirs]}
        rows.append(row)
        print(f"{name:18s} {o:9.3f} {row['rhopt_iterations']:4d} {row['rhopt_chi2']:12.6f}   "
              f"{c:9.3f} {row['ceres_iterations']:4d} {row['ceres_chi2']:12.6f}   {o / c:6.3f}",
              flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
