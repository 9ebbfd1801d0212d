#!/usr/bin/env python3
"""gen_corpus.py - write a labelled corpus of benchmark-like series for scoring
change-point detectors (bench/detect/README.md).

    gen_corpus.py --out DIR [--preset quick|full] [--seed N]
                  [--change-series N] [--null-series N] [--min-length N] [--max-length N]

Writes, in DIR:
  <shape>.csv   one file per noise shape, header series,commit,repetition,value
                (commit = 0-based position in history; missing commits have no rows)
  truth.json    {series: [change commits]}: the first commit *with data* at the new level
  meta.json     per series: shape, length, noise, repetitions, drift, steps (in sigma)
                and the generator's parameters

Python 3 standard library only. Deterministic: each series draws from its own
random.Random seeded by "<seed>:<series name>", so a series does not change when
the number of other series does.

Model of one series (all effects multiplicative, as for times):
  value(t, rep) = level(t) * (1 + s * eps),  eps i.i.d. with mean 0, sd 1, of the shape:
    gaussian   N(0,1)
    t3         Student t, 3 dof, divided by sqrt(3)
    bimodal    70% mode at -0.61, 30% at +1.43 (means 0), each with N(0, 0.35^2) jitter
    lognormal  (exp(0.5 Z) - m) / sd    (right-skewed, skewness 1.75)
  s, the relative noise sd, is log-uniform in [0.5%, 5%]; 1 + s*eps is floored at 0.05.
  level(t) = base * prod(1 + r_i for steps i at or before t) * (1 + drift(t)).
  Steps: |r| = k*s, k log-uniform in [1.5, 12] sigma, up or down with equal odds,
  at least 15 commits apart and 10 from either end; a series has one step per
  50-800 commits on average (log-uniform), so short-lived regressions occur.
  Drift (not a change, 35% of series): a linear ramp of 1-4% over 200-2000 commits
  that then holds, or a sinusoid of amplitude 1-4% and period 200-2000 commits.
  Repetitions: 1-5 per series; 5% of commits lose some of them.
  Missing commits: 30% of series lose 2% of commits at random plus a few runs of 2-6.
  Change-free ("null") series have no steps but the same noise, drift and gaps.
"""

import argparse
import json
import math
import os
import random
import sys

SHAPES = ("gaussian", "t3", "bimodal", "lognormal")

PRESETS = {
    # per shape: series with changes, change-free series, length range
    "quick": dict(change_series=4, null_series=2, min_length=50, max_length=2000),
    "full": dict(change_series=24, null_series=12, min_length=50, max_length=10000),
}

# bimodal: modes -a (70%) and +b (30%), mean 0, total sd 1 with jitter j
_BI_J = 0.35
_BI_A = math.sqrt((1 - _BI_J ** 2) / (0.7 + 0.3 * (7 / 3) ** 2))
_BI_B = 7 / 3 * _BI_A
# lognormal with log-sd 0.5, standardised
_LN_S = 0.5
_LN_M = math.exp(_LN_S ** 2 / 2)
_LN_SD = math.sqrt((math.exp(_LN_S ** 2) - 1) * math.exp(_LN_S ** 2))


def noise(rng, shape):
    if shape == "gaussian":
        return rng.gauss(0.0, 1.0)
    if shape == "t3":
        chi2 = rng.gammavariate(1.5, 2.0)  # chi-square, 3 dof
        return rng.gauss(0.0, 1.0) / math.sqrt(chi2 / 3.0) / math.sqrt(3.0)
    if shape == "bimodal":
        mode = _BI_B if rng.random() < 0.3 else -_BI_A
        return mode + rng.gauss(0.0, _BI_J)
    if shape == "lognormal":
        return (math.exp(rng.gauss(0.0, _LN_S)) - _LN_M) / _LN_SD
    raise ValueError(shape)


def loguniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def step_positions(rng, n):
    """Sorted change positions: >= 10 from the ends, >= 15 apart."""
    min_gap, edge = 15, 10
    room = n - 2 * edge
    if room < 1:
        return []
    m = 1 + int(n / loguniform(rng, 50, 800))
    m = max(1, min(m, 1 + (room - 1) // min_gap))
    slack = room - (m - 1) * min_gap
    picks = sorted(rng.randrange(slack) for _ in range(m))
    return [edge + p + i * min_gap for i, p in enumerate(picks)]


def make_series(seed, name, shape, n, with_changes):
    rng = random.Random(f"{seed}:{name}")
    s = loguniform(rng, 0.005, 0.05)
    base = loguniform(rng, 1e-4, 10.0)
    reps = rng.randint(1, 5)

    steps = []
    if with_changes:
        for pos in step_positions(rng, n):
            k = loguniform(rng, 1.5, 12.0)
            sign = 1 if rng.random() < 0.5 else -1
            steps.append({"commit": pos, "sigma": round(sign * k, 4), "change": sign * k * s})

    drift = None
    if rng.random() < 0.35:
        amp = rng.uniform(0.01, 0.04) * (1 if rng.random() < 0.5 else -1)
        span = rng.randint(200, 2000)
        if rng.random() < 0.5:
            start = rng.randrange(max(1, n - span // 2))
            drift = {"kind": "linear", "amplitude": amp, "start": start, "span": span}
        else:
            drift = {"kind": "sine", "amplitude": amp, "period": span,
                     "phase": rng.uniform(0, 2 * math.pi)}

    missing = set()
    if rng.random() < 0.3:
        missing = {t for t in range(n) if rng.random() < 0.02}
        for _ in range(max(1, n // 500)):
            t0 = rng.randrange(n)
            missing.update(range(t0, min(n, t0 + rng.randint(2, 6))))
        missing.discard(0)  # keep the series anchored at commit 0 ...
        missing.discard(n - 1)  # ... and at its last commit

    def drift_at(t):
        if drift is None:
            return 0.0
        a = drift["amplitude"]
        if drift["kind"] == "linear":
            x = (t - drift["start"]) / drift["span"]
            return a * min(1.0, max(0.0, x))
        return a * math.sin(2 * math.pi * t / drift["period"] + drift["phase"])

    rows = []
    level = base
    si = 0
    for t in range(n):
        while si < len(steps) and steps[si]["commit"] == t:
            level *= 1 + steps[si]["change"]
            si += 1
        if t in missing:
            continue
        nrep = reps
        if reps > 1 and rng.random() < 0.05:
            nrep = rng.randint(1, reps - 1)
        lv = level * (1 + drift_at(t))
        for r in range(nrep):
            rows.append((t, r, lv * max(0.05, 1 + s * noise(rng, shape))))

    # the detectable change is at the first commit with data at the new level
    truth = []
    for st in steps:
        t = st["commit"]
        while t in missing:
            t += 1
        st["commit"] = t
        truth.append(t)
    meta = {"shape": shape, "length": n, "null": not with_changes, "noise_rel_sd": s,
            "base": base, "repetitions": reps, "missing": len(missing), "drift": drift,
            "steps": steps}
    return rows, truth, meta


def lengths(rng, count, lo, hi):
    """Stratified log-uniform lengths; the longest series is always hi."""
    out = []
    for i in range(count):
        u = (i + rng.random()) / count
        out.append(int(round(lo * (hi / lo) ** u)))
    if out:
        out[-1] = hi
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--change-series", type=int)
    ap.add_argument("--null-series", type=int)
    ap.add_argument("--min-length", type=int)
    ap.add_argument("--max-length", type=int)
    a = ap.parse_args(argv)
    p = dict(PRESETS[a.preset])
    for k in p:
        v = getattr(a, k)
        if v is not None:
            p[k] = v
    if p["min_length"] < 2 or p["max_length"] < p["min_length"]:
        ap.error("need 2 <= --min-length <= --max-length")

    os.makedirs(a.out, exist_ok=True)
    truth, meta = {}, {}
    total = 0
    for shape in SHAPES:
        lrng = random.Random(f"{a.seed}:lengths:{shape}")
        plan = [("chg", n) for n in lengths(lrng, p["change_series"], p["min_length"], p["max_length"])]
        plan += [("null", n) for n in lengths(lrng, p["null_series"], p["min_length"], p["max_length"])]
        with open(os.path.join(a.out, shape + ".csv"), "w") as f:
            f.write("series,commit,repetition,value\n")
            for i, (kind, n) in enumerate(plan):
                name = f"{shape}-{kind}-{i:03d}"
                rows, tr, m = make_series(a.seed, name, shape, n, kind == "chg")
                f.writelines(f"{name},{t},{r},{v:.9g}\n" for t, r, v in rows)
                truth[name] = tr
                meta[name] = m
                total += n
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=0, sort_keys=True)
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump({"generator": {"seed": a.seed, "preset": a.preset, **p, "shapes": SHAPES},
                   "series": meta}, f, indent=1, sort_keys=True)
    nchg = sum(len(v) for v in truth.values())
    print(f"gen_corpus: {len(truth)} series, {total} commits, {nchg} changes -> {a.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
