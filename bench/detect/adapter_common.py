"""Shared by run_otava.py and run_asv.py: read the corpus CSV, reduce to one
value per commit, print the detector JSON contract."""

import csv
import json
import os
import sys
from statistics import median

BASELINES = os.environ.get("EVAL_BASELINES", "/tmp/eval-baselines")


def read_csv(path):
    """{series: {commit: [values]}} from a series,commit,repetition,value CSV."""
    data = {}
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd, None)
        if header is None or [h.strip() for h in header[:4]] != ["series", "commit", "repetition", "value"]:
            sys.exit(f"{path}: expected header series,commit,repetition,value")
        for row in rd:
            if not row:
                continue
            data.setdefault(row[0], {}).setdefault(int(row[1]), []).append(float(row[3]))
    return data


def per_commit(series):
    """(commits, samples) sorted by commit, commits without data left out."""
    commits = sorted(series)
    return commits, [series[c] for c in commits]


def medians(samples):
    return [median(v) for v in samples]


def add_source_path(name):
    """Put BASELINES/name on sys.path, or exit 3 (the driver's 'missing')."""
    d = os.path.join(BASELINES, name)
    if not os.path.isdir(d):
        sys.stderr.write(f"{name} sources not found in {d}; run bench/detect/fetch-baselines.sh\n")
        sys.exit(3)
    sys.path.insert(0, d)


def dump(result):
    json.dump(result, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
