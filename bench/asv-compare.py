#!/usr/bin/env python3
"""asv-compare.py - the same history as an airspeed velocity (asv) project, to time `asv publish` beside
`benchline report` on the same data (docs/PERFORMANCE.md, "Report", asv).

Reads a benchline SQLite database (as bench/report.sh makes it with bench_report) and writes, under OUT:
  asv.conf.json                      pointing at the same git repository (first-parent history of BRANCH)
  results/benchmarks.json            one asv benchmark per benchline series (case x metric)
  results/bench/machine.json
  results/bench/<sha8>-existing.json one file per commit: each series' median as the result, every run as a
                                     sample, the commit's date
Only the newest --commits commits are written (default: all). asv itself is not part of this repository: run
it from its source, e.g.
  PYTHONPATH=/path/to/asv:/path/to/asv_runner python3 -m asv publish --config OUT/asv.conf.json
(asv's Python dependencies from Debian: python3-json5 -tabulate -virtualenv -packaging -importlib-metadata, so
run it with /usr/bin/python3; from source asv reads its own version from package metadata, so put a directory
holding asv-0.6.5.dist-info/METADATA, with the lines "Name: asv" and "Version: 0.6.5", on PYTHONPATH too.)
usage: bench/asv-compare.py DB REPO OUT [--commits N] [--branch main]
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys

COLUMNS = ["result", "params", "version", "started_at", "duration", "stats_ci_99_a", "stats_ci_99_b",
           "stats_q_25", "stats_q_75", "stats_number", "stats_repeat", "samples", "profile"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("repo")
    ap.add_argument("out")
    ap.add_argument("--commits", type=int, default=0)
    ap.add_argument("--branch", default="main")
    a = ap.parse_args()

    history = subprocess.run(["git", "-C", a.repo, "rev-list", "--first-parent", "--format=%H %ct", a.branch],
                             check=True, capture_output=True, text=True).stdout.split("\n")
    commits = [line.split() for line in history if line and not line.startswith("commit ")]
    if a.commits:
        commits = commits[:a.commits]
    wanted = {sha: int(ct) for sha, ct in commits}

    db = sqlite3.connect(a.db)
    metrics = {k: (name, unit) for k, name, unit in db.execute("SELECT metric_key, name, unit FROM metric_names")}
    cases = {}
    for bid, sha, name, params in db.execute("SELECT benchmark_id, commit_id, name, params FROM benchmarks"):
        if sha in wanted:
            p = json.loads(params)
            label = name + "".join(f"_{k}{v}" for k, v in sorted(p.items()))
            cases[bid] = (sha, label)
    runs = {}
    for rid, bid in db.execute("SELECT run_id, benchmark_id FROM runs WHERE kind = 'measured' AND status = 'ok'"):
        if bid in cases:
            runs[rid] = bid
    # values[sha][series] = [run values]
    values = {}
    for vid, key, value in db.execute("SELECT value_id, metric_key, value FROM metric_values"):
        bid = runs.get(vid // 1000000)
        if bid is None:
            continue
        sha, label = cases[bid]
        name, unit = metrics[key]
        values.setdefault(sha, {}).setdefault(f"bl.{label}.{name}", []).append(value)
    series = sorted({s for per in values.values() for s in per})
    units = {}
    for per in values.values():
        for s in per:
            units.setdefault(s, "bytes" if s.endswith("memory") else "seconds")

    res = os.path.join(a.out, "results")
    mdir = os.path.join(res, "bench")
    os.makedirs(mdir, exist_ok=True)
    with open(os.path.join(a.out, "asv.conf.json"), "w") as f:
        json.dump({"version": 1, "project": "synthetic", "project_url": "", "repo": os.path.abspath(a.repo),
                   "branches": [a.branch], "environment_type": "existing", "results_dir": "results",
                   "html_dir": "html"}, f, indent=1)
    with open(os.path.join(mdir, "machine.json"), "w") as f:
        json.dump({"machine": "bench", "os": "Linux", "arch": "x86_64", "cpu": "vCPU", "num_cpu": "2",
                   "ram": "24GB", "version": 1}, f)
    bench = {"version": 2}
    for s in series:
        bench[s] = {"name": s, "type": "time" if units[s] == "seconds" else "memory", "unit": units[s],
                    "params": [], "param_names": [], "version": "1", "timeout": 60, "number": 1,
                    "repeat": 5, "warmup_time": 0, "pretty_name": s}
    with open(os.path.join(res, "benchmarks.json"), "w") as f:
        json.dump(bench, f)
    for sha, per in values.items():
        results = {}
        for s, v in per.items():
            results[s] = [[statistics.median(v)], [], "1", None, None, None, None, None, None, None, None,
                          [sorted(v)]]
        data = {"commit_hash": sha, "env_name": "existing-py", "date": wanted[sha] * 1000,
                "params": {"machine": "bench", "python": ""}, "python": "", "requirements": {}, "env_vars": {},
                "result_columns": COLUMNS, "results": results, "durations": {}, "version": 2}
        with open(os.path.join(mdir, f"{sha[:8]}-existing-py.json"), "w") as f:
            json.dump(data, f, separators=(",", ":"))
    print(f"{len(values)} commits x {len(series)} series written under {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
