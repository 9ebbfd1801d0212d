#!/usr/bin/env python3
"""score.py - score change-point detector output against a gen_corpus.py corpus.

    score.py --corpus DIR [--margin 5] NAME=PRED.json [NAME=PRED.json ...]

PRED.json is the detector contract: {series: [{"commit": k, ...}, ...]} (a bare
list of commits per series is accepted too; series left out mean "no change").
Several files per NAME may be given as NAME=A.json,B.json (e.g. one per shape).

Matching follows TCPDBench (van den Burg & Williams 2020, `true_positives`):
for each true change in order, the nearest unused detection within +-margin
commits is its match; each true change and each detection is matched at most
once. Counts are pooled over the series of a group (micro-averaged):
  precision = matched detections / detections   (null series included, so every
              detection on a change-free series is a false positive)
  recall    = matched true changes / true changes
  F1        = 2PR / (P + R)   (0 when nothing matched; precision "-" when
              there are no detections)
  FA/1k     = detections per 1,000 commits (positions) on change-free series
  loc       = mean |detected - true| of the matched pairs, in commits
Groups: each noise shape, "drift" (series with a slow drift, any shape), "all".
Recall is also split by step size in noise sigmas.
"""

import argparse
import json
import os
import sys

SIZE_BUCKETS = ((1.5, 3.0), (3.0, 6.0), (6.0, 12.0 + 1e-9))


def true_positives(truth, preds, margin):
    """TCPDBench's matching; returns [(true, detected)]."""
    left = sorted(set(preds))
    pairs = []
    for tau in sorted(truth):
        close = [(abs(tau - x), x) for x in left if abs(tau - x) <= margin]
        if not close:
            continue
        close.sort()
        x = close[0][1]
        pairs.append((tau, x))
        left.remove(x)
    return pairs


def load_preds(paths):
    out = {}
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        if not isinstance(d, dict):
            raise ValueError(f"{p}: expected a JSON object keyed by series")
        for name, cps in d.items():
            ks = []
            for c in cps or []:
                ks.append(int(c["commit"] if isinstance(c, dict) else c))
            out.setdefault(name, []).extend(ks)
    return out


class Tally:
    def __init__(self):
        self.tp = self.n_true = self.n_pred = 0
        self.null_fa = self.null_commits = 0
        self.loc = []
        self.size_tp = [0] * len(SIZE_BUCKETS)
        self.size_n = [0] * len(SIZE_BUCKETS)

    def add(self, meta, truth, preds, margin):
        pairs = true_positives(truth, preds, margin)
        self.tp += len(pairs)
        self.n_true += len(truth)
        self.n_pred += len(set(preds))
        self.loc += [abs(a - b) for a, b in pairs]
        if meta["null"]:
            self.null_fa += len(set(preds))
            self.null_commits += meta["length"]
        matched = {a for a, _ in pairs}
        for st in meta["steps"]:
            k = abs(st["sigma"])
            for i, (lo, hi) in enumerate(SIZE_BUCKETS):
                if lo <= k < hi:
                    self.size_n[i] += 1
                    self.size_tp[i] += st["commit"] in matched

    def row(self):
        p = self.tp / self.n_pred if self.n_pred else None
        r = self.tp / self.n_true if self.n_true else None
        f1 = 2 * p * r / (p + r) if p and r else 0.0
        return {
            "f1": f1, "precision": p, "recall": r,
            "fa_per_1k": 1000 * self.null_fa / self.null_commits if self.null_commits else None,
            "loc": sum(self.loc) / len(self.loc) if self.loc else None,
            "tp": self.tp, "true": self.n_true, "detected": self.n_pred,
            "null_fa": self.null_fa, "null_commits": self.null_commits,
            "recall_by_sigma": {f"{lo:g}-{min(hi, 12):g}": (t / n if n else None)
                                for (lo, hi), t, n in zip(SIZE_BUCKETS, self.size_tp, self.size_n)},
        }


def score(corpus_dir, preds, margin=5):
    """{group: row} for one detector's predictions {series: [commits]}."""
    with open(os.path.join(corpus_dir, "truth.json")) as f:
        truth = json.load(f)
    with open(os.path.join(corpus_dir, "meta.json")) as f:
        meta = json.load(f)["series"]
    groups = {}
    for name, tr in truth.items():
        m = meta[name]
        keys = [m["shape"], "all"] + (["drift"] if m["drift"] else [])
        for k in keys:
            groups.setdefault(k, Tally()).add(m, tr, preds.get(name, []), margin)
    return {k: t.row() for k, t in groups.items()}


def shapes_of(corpus_dir):
    with open(os.path.join(corpus_dir, "meta.json")) as f:
        return list(json.load(f)["generator"]["shapes"])


def fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)


def table(results, shapes, times=None, status=None):
    """Markdown: detector x group -> F1, P, R, FA/1k, loc, wall s, cpu s."""
    groups = list(shapes) + ["drift", "all"]
    lines = ["| detector | noise | F1 | precision | recall | FA/1k null | loc | wall s | cpu s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for det, res in results.items():
        if res is None:
            lines.append(f"| {det} | - | {(status or {}).get(det, 'missing')} | | | | | | |")
            continue
        for g in groups:
            if g not in res or (det == "none" and g != "all"):
                continue
            r = res[g]
            wall = cpu = None
            if times and det in times:
                t = times[det]
                if g in t:
                    wall, cpu = t[g]
                elif g == "all":
                    wall = sum(v[0] for v in t.values())
                    cpu = sum(v[1] for v in t.values())
            lines.append(f"| {det} | {g} | {fmt(r['f1'])} | {fmt(r['precision'])} | "
                         f"{fmt(r['recall'])} | {fmt(r['fa_per_1k'], '.2f')} | {fmt(r['loc'], '.2f')} | "
                         f"{fmt(wall, '.2f')} | {fmt(cpu, '.2f')} |")
    return "\n".join(lines)


def size_table(results):
    buckets = None
    lines = []
    for det, res in results.items():
        if res is None:
            continue
        rb = res["all"]["recall_by_sigma"]
        if buckets is None:
            buckets = list(rb)
            lines = ["| detector | " + " | ".join(f"recall {b} sigma" for b in buckets) + " |",
                     "|---|" + "---|" * len(buckets)]
        lines.append(f"| {det} | " + " | ".join(fmt(rb[b]) for b in buckets) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--margin", type=int, default=5)
    ap.add_argument("preds", nargs="+", metavar="NAME=PRED.json[,PRED.json]")
    a = ap.parse_args()
    results = {}
    for spec in a.preds:
        name, _, files = spec.rpartition("=")
        name = name or os.path.basename(files)
        results[name] = score(a.corpus, load_preds(files.split(",")), a.margin)
    print(table(results, shapes_of(a.corpus)))
    print()
    print(size_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
