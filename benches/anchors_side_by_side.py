#!/usr/bin/env python3
"""Whole-solve timings of rhopt next to the anchors (Ceres, GTSAM, g2o) in one run.

For each dataset and repetition this runs, one after the other (the starting system rotates by one
each repetition, so machine noise is spread over all of them):

    rhopt1        rhopt solve, g2o errors, --threads 1
    rhopt2        rhopt solve, g2o errors, --threads 2
    rhopt-logmap  rhopt solve --error logmap --threads 1 (3D files only: GTSAM's objective)
    ceres         ../shared/anchors/bench_ceres.py --reps 1 --threads 1 (needs $CERES_BENCH)
    gtsam         ../shared/anchors/bench_gtsam.py --reps 1 (LM)
    g2o           ../shared/anchors/bench_g2o.py --reps 1 (LM, g2opy wheel)

Each anchor goes through its own script and CLI as documented in ../shared/anchors/README.md
(one process per repetition; they time load and optimise separately and report optimise wall and
CPU seconds; their χ² is Σ eᵀΩe with g2o's edge errors, evaluated by g2opy). The GTSAM and g2o
scripts also make one untimed extra run to count linear solves: that costs wall time here but is
not part of any number. rhopt's optimise time is time_s.total of its --json summary (load
excluded); its CPU seconds are those of the whole process (load and output included). rhopt's
final poses of the last repetition are evaluated with g2opy as well (g2o-error χ², also for
--error logmap runs, whose own final_chi2 is the log-map objective).

Reference χ² come from ../shared/anchors/RESULTS.md; a system reaches it when its final g2o-error
χ² ≤ reference·(1 + --tol). Ratios per dataset: rhopt(1 thread) over the fastest anchor that
reached the reference (2D: any anchor; 3D: Ceres or g2o, since GTSAM's SE3 error is the log map),
and on 3D rhopt --error logmap over GTSAM (same objective; check that their native χ² agree).

    CERES_BENCH=/work/ceres-bench/pose_graph_bench python3 benches/anchors_side_by_side.py \\
        --datasets intel,manhattanOlson3500,city10000,sphere2500,torus3D,parking-garage --reps 3 \\
        --reps-override torus3D=1 --out benches/results/side_by_side.json
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side as sbs  # noqa: E402

ANCHORS = os.environ.get("RHOPT_ANCHORS", os.path.join(sbs.ROOT, "..", "shared", "anchors"))
SYSTEMS = ["rhopt1", "rhopt2", "rhopt-logmap", "ceres", "gtsam", "g2o"]
RHOPT_CONFIGS = {"rhopt1": (1, "g2o"), "rhopt2": (2, "g2o"), "rhopt-logmap": (1, "logmap")}
ANCHOR_SCRIPTS = {"ceres": "bench_ceres.py", "gtsam": "bench_gtsam.py", "g2o": "bench_g2o.py"}
MAIN = "intel,manhattanOlson3500,city10000,sphere2500,torus3D,parking-garage"
MAX_IT = 100  # iteration limit of every anchor script and of rhopt's default


def is_3d(path):
    return os.path.basename(os.path.dirname(path)) == "3d"


def reference_chi2():
    """dataset -> reference χ² from the anchors' RESULTS.md (rows `| 2d/NAME | value | ...`)."""
    refs = {}
    with open(os.path.join(ANCHORS, "RESULTS.md")) as f:
        for line in f:
            m = re.match(r"^\|\s*[23]d/([\w-]+)\s*\|\s*([0-9.eE+-]+)\s*\|", line)
            if m:
                refs[m.group(1)] = float(m.group(2))
    return refs


def g2o_chi2_of_output(dataset_file, output_file):
    """g2o-error χ² of the poses in a g2o file written by rhopt, evaluated by g2opy."""
    sys.path.insert(0, ANCHORS)
    from common import G2oChi2Evaluator  # noqa: E402 (imports g2opy only when needed)
    poses = {}
    with open(output_file) as f:
        for line in f:
            t = line.split()
            if t and t[0] in ("VERTEX_SE2", "VERTEX_SE3:QUAT"):
                poses[int(t[1])] = tuple(float(x) for x in t[2:])
    ev = G2oChi2Evaluator(dataset_file)
    three = is_3d(dataset_file)
    ev.set_poses(poses, three)
    return ev.chi2()[0]


def run_rhopt(system, name, path, timeout, check):
    threads, error = RHOPT_CONFIGS[system]
    with tempfile.TemporaryDirectory() as td:
        output = os.path.join(td, "out.g2o")
        s = sbs.rhopt_summary(path, threads, ["--error", error], output=output, timeout=timeout)
        p = s["process"]
        if "time_s" not in s:
            why = "timeout" if p["rc"] is None else f"rc={p['rc']}: {p.get('stderr', '')}"
            return {"error": why, "wall_s": p["wall_s"]}
        run = {"optimize_s": s["time_s"]["total"], "cpu_s": p["cpu_s"], "process_wall_s": p["wall_s"],
               "iterations": s["iterations"], "converged": s["converged"],
               "termination": s.get("termination"), "time_s": s["time_s"], "rc": p["rc"]}
        if error == "g2o":
            run["chi2_g2o"] = s["final_chi2"]
        else:
            run["native_chi2"] = s["final_chi2"]
        if check or error != "g2o":
            run["chi2_g2o_g2opy"] = g2o_chi2_of_output(path, output)
            run.setdefault("chi2_g2o", run["chi2_g2o_g2opy"])
    return run


def run_anchor(system, name, timeout, env):
    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "anchor.jsonl")
        cmd = [sys.executable, os.path.join(ANCHORS, ANCHOR_SCRIPTS[system]), "--datasets", name,
               "--reps", "1", "--out", out]
        if system == "ceres":
            cmd += ["--threads", "1"]
        rc, stdout, stderr, wall, cpu = sbs.run_process(cmd, timeout, env)
        recs = []
        if os.path.exists(out):
            with open(out) as f:
                recs = [json.loads(line) for line in f if line.strip()]
    if rc is None:
        return {"error": "timeout", "wall_s": wall}
    if not recs or "error" in recs[-1] or rc != 0:
        why = recs[-1].get("error") if recs else None
        return {"error": why or f"rc={rc}: {(stdout + stderr)[-500:]}", "wall_s": wall}
    r = recs[-1]
    run = {"optimize_s": r["optimize_s"], "cpu_s": r.get("optimize_cpu_s"), "load_s": r.get("load_s"),
           "iterations": r["iterations"], "linear_solves": r.get("linear_solves"),
           "chi2_g2o": r["final_chi2"], "init_chi2": r.get("init_chi2"), "process_wall_s": wall}
    if system == "ceres":
        run["chi2_g2o_g2opy"] = r.get("g2opy_check_final_chi2")
        run["termination"] = r.get("termination")
    if system == "gtsam":
        run["native_chi2"] = r.get("native_final_chi2")
    return run


def summarise(system, runs, ref, tol, three):
    ok = [r for r in runs if "error" not in r]
    logmap = system == "rhopt-logmap" or (three and system == "gtsam")
    res = {"runs": runs, "reps": len(ok), "objective": "logmap" if logmap else "g2o"}
    if not ok:
        res["failed"] = runs[-1]["error"] if runs else "not run"
        return res
    last = ok[-1]
    res["optimize_s"] = statistics.median(r["optimize_s"] for r in ok)
    cpus = [r["cpu_s"] for r in ok if r.get("cpu_s") is not None]
    res["cpu_s"] = statistics.median(cpus) if cpus else None
    res["cpu_kind"] = "process (incl. load)" if system.startswith("rhopt") else "optimise"
    its = [r["iterations"] for r in ok]
    res["iterations"] = last["iterations"]
    res["iterations_vary"] = len(set(its)) > 1
    for k in ("chi2_g2o", "chi2_g2o_g2opy", "native_chi2", "linear_solves", "termination"):
        if last.get(k) is not None:
            res[k] = last[k]
    if system.startswith("rhopt"):
        res["time_s_median"] = {k: statistics.median(r["time_s"][k] for r in ok)
                                for k in ok[0]["time_s"]}
        res["converged"] = last["converged"]
    res["s_per_iteration"] = res["optimize_s"] / max(1, res["iterations"])
    if ref is not None:
        res["rel_to_reference"] = (res["chi2_g2o"] - ref) / ref
        res["reached_reference"] = res["chi2_g2o"] <= ref * (1 + tol)
    # at the iteration limit without the reference (log-map objective: no reference to reach)
    res["stalled"] = res["iterations"] >= MAX_IT and (logmap or not res.get("reached_reference"))
    return res


def ratio(num, den, label):
    if not num or not den or "optimize_s" not in num or "optimize_s" not in den:
        return None
    r = {"vs": label, "wall": num["optimize_s"] / den["optimize_s"],
         "iterations": num["iterations"] / max(1, den["iterations"]),
         "s_per_iteration": num["s_per_iteration"] / den["s_per_iteration"]}
    if num.get("cpu_s") and den.get("cpu_s"):
        r["cpu"] = num["cpu_s"] / den["cpu_s"]
    return r


def ratios(sysres, three):
    """rhopt over the fastest anchor that reached the reference on the same objective."""
    candidates = ["ceres", "g2o"] + ([] if three else ["gtsam"])
    reached = [s for s in candidates if sysres.get(s, {}).get("reached_reference")]
    out = {"same_objective_anchors": candidates, "anchors_at_reference": reached}
    if reached:
        best = min(reached, key=lambda s: sysres[s]["optimize_s"])
        out["fastest_anchor"] = best
        for s in ("rhopt1", "rhopt2"):
            out[s] = ratio(sysres.get(s), sysres[best], best)
    if three and "rhopt-logmap" in sysres and "gtsam" in sysres:
        lm, gt = sysres["rhopt-logmap"], sysres["gtsam"]
        r = ratio(lm, gt, "gtsam")
        if r and lm.get("native_chi2") and gt.get("native_chi2"):
            r["native_chi2_rel_diff"] = (lm["native_chi2"] - gt["native_chi2"]) / gt["native_chi2"]
        out["rhopt-logmap"] = r
    return out


def parse_overrides(spec):
    """'torus3D=1,g2o@city10000=1,g2o@*=2' -> {(system or '*', dataset or '*'): reps}."""
    table = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, n = item.split("=")
        system, dataset = key.split("@") if "@" in key else ("*", key)
        table[(system, dataset)] = int(n)
    return table


def reps_for(overrides, system, dataset, default):
    for key in ((system, dataset), ("*", dataset), (system, "*")):
        if key in overrides:
            return overrides[key]
    return default


def fmt(x, spec):
    return "—" if x is None else format(x, spec)


def markdown(results):
    lines = ["| dataset | system | reps | optimise wall s | CPU s | it | χ² (g2o errors) | native χ² "
             "| reference? |", "|---|---|---|---|---|---|---|---|---|"]
    for d in results:
        for s, r in d["systems"].items():
            if "failed" in r:
                lines.append(f"| {d['dataset']} | {s} | 0 | FAILED: {r['failed'][:60]} | | | | | |")
                continue
            cpu = fmt(r["cpu_s"], ".3f") + ("*" if s.startswith("rhopt") and r["cpu_s"] else "")
            it = f"{r['iterations']}" + ("~" if r["iterations_vary"] else "")
            reach = "—" if "reached_reference" not in r else (
                "yes" if r["reached_reference"] else f"no ({r['rel_to_reference']:+.1e})")
            if r["objective"] == "logmap" and "rel_to_reference" in r:
                reach = f"log-map objective ({r['rel_to_reference']:+.1e})"
            if r["stalled"]:
                reach += ", stalled"
            lines.append(f"| {d['dataset']} | {s} | {r['reps']} | {r['optimize_s']:.3f} | {cpu} | {it} "
                         f"| {r['chi2_g2o']:.7g} | {fmt(r.get('native_chi2'), '.7g')} | {reach} |")
    lines += ["", "| dataset | reference χ² | fastest anchor at reference | rhopt1 / it | rhopt1 s/it "
              "| rhopt1 CPU* | rhopt2 / it | rhopt-logmap / GTSAM (it; native χ² diff) |",
              "|---|---|---|---|---|---|---|---|"]
    for d in results:
        q = d["ratios"]
        best = q.get("fastest_anchor")
        bs = d["systems"].get(best, {})
        best_s = f"{best} {bs['optimize_s']:.3f} s ({bs['iterations']} it)" if best else "none"
        r1, r2, lm = q.get("rhopt1"), q.get("rhopt2"), q.get("rhopt-logmap")
        c1 = lambda r: f"**{r['wall']:.2f}** / {r['iterations']:.2f}" if r else "—"  # noqa: E731
        lm_s = "—"
        if lm:
            lm_s = f"{lm['wall']:.2f} ({lm['iterations']:.2f}"
            if "native_chi2_rel_diff" in lm:
                lm_s += f"; {lm['native_chi2_rel_diff']:+.1e}"
            lm_s += ")"
        lines.append(f"| {d['dataset']} | {fmt(d['reference_chi2'], '.7g')} | {best_s} | {c1(r1)} "
                     f"| {fmt(r1 and r1['s_per_iteration'], '.2f')} | {fmt(r1 and r1.get('cpu'), '.2f')} "
                     f"| {c1(r2)} | {lm_s} |")
    lines += ["", "| dataset | rhopt1 it | ms / it | analyse | linearize | assemble | factorize_solve "
              "| evaluate |", "|---|---|---|---|---|---|---|---|"]
    for d in results:
        r = d["systems"].get("rhopt1", {})
        if "time_s_median" not in r:
            continue
        t = r["time_s_median"]
        share = lambda k: f"{100 * t[k] / t['total']:.0f}%"  # noqa: E731
        lines.append(f"| {d['dataset']} | {r['iterations']} | {1e3 * r['s_per_iteration']:.1f} | "
                     + " | ".join(share(k) for k in ("analyse", "linearize", "assemble",
                                                     "factorize_solve", "evaluate")) + " |")
    lines += ["", "Times are medians over the repetitions (optimise only, load excluded). CPU s: "
              "anchors' optimise CPU; * rhopt's whole-process CPU (load and output included). "
              "it~: iterations differed between repetitions (last shown). Ratios: wall-time ratio "
              "= iteration ratio × seconds-per-iteration ratio; CPU ratio uses rhopt's process CPU."]
    return "\n".join(lines)


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git(*args):
    p = subprocess.run(["git", "-C", sbs.ROOT] + list(args), capture_output=True, text=True)
    return p.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default=MAIN)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--reps-override", default="",
                    help="fewer/more reps for some runs: DATASET=N, SYSTEM@DATASET=N, SYSTEM@*=N")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help=",".join(SYSTEMS))
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run (process)")
    ap.add_argument("--tol", type=float, default=1e-5, help="relative tolerance on the reference χ²")
    ap.add_argument("--ceres-bench", default=os.environ.get(
        "CERES_BENCH", os.path.join(sbs.ROOT, "..", "ceres-bench", "pose_graph_bench")))
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    systems = args.systems.split(",")
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        sys.exit(f"unknown systems {sorted(unknown)}; choose from {SYSTEMS}")
    overrides = parse_overrides(args.reps_override)
    refs = reference_chi2()
    env = dict(os.environ, CERES_BENCH=os.path.abspath(args.ceres_bench),
               ANCHOR_DATA=os.path.abspath(sbs.DATASETS))
    rhopt_sha = file_sha256(sbs.RHOPT)
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "argv": sys.argv,
            "nproc": os.cpu_count(), "loadavg_start": os.getloadavg(),
            "rhopt": sbs.RHOPT, "rhopt_sha256": rhopt_sha, "git_head": git("rev-parse", "HEAD"),
            "git_dirty": git("status", "--porcelain", "--untracked-files=no"),
            "ceres_bench": env["CERES_BENCH"], "anchors": os.path.abspath(ANCHORS),
            "reps": args.reps, "reps_override": args.reps_override, "tol": args.tol,
            "timeout_s": args.timeout}
    results = []
    for name in args.datasets.split(","):
        path = sbs.dataset_path(name)
        three = is_3d(path)
        here = [s for s in systems if s != "rhopt-logmap" or three]
        want = {s: reps_for(overrides, s, name, args.reps) for s in here}
        runs = {s: [] for s in here}
        for rep in range(max(want.values())):
            k = rep % len(here)
            for s in here[k:] + here[:k]:
                if len(runs[s]) >= want[s] or (runs[s] and "error" in runs[s][-1]):
                    continue  # enough reps, or it failed / timed out once: don't repeat
                load = os.getloadavg()[0]
                if s.startswith("rhopt"):
                    check = len(runs[s]) == want[s] - 1  # evaluate the last rep's poses with g2opy
                    run = run_rhopt(s, name, path, args.timeout, check)
                else:
                    run = run_anchor(s, name, args.timeout, env)
                run["rep"], run["loadavg1"] = rep, load
                runs[s].append(run)
                msg = run.get("error") or (f"{run['optimize_s']:.3f}s it={run['iterations']} "
                                           f"chi2={run['chi2_g2o']:.8g}")
                print(f"# {name} rep {rep} {s}: {msg}", file=sys.stderr, flush=True)
        sysres = {s: summarise(s, runs[s], refs.get(name), args.tol, three) for s in here}
        results.append({"dataset": name, "is3d": three, "reference_chi2": refs.get(name),
                        "systems": sysres, "ratios": ratios(sysres, three)})
        if args.out:  # keep what we have if a later dataset hangs
            write(args.out, meta, results)
    meta["loadavg_end"] = os.getloadavg()
    if file_sha256(sbs.RHOPT) != rhopt_sha:
        meta["warning"] = "the rhopt binary changed during the run"
        print("WARNING: the rhopt binary changed during the run", file=sys.stderr)
    print(markdown(results))
    if args.out:
        write(args.out, meta, results)


def write(path, meta, results):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
