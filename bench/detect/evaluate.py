#!/usr/bin/env python3
"""evaluate.py - generate the labelled corpus, run every available change-point
detector on it, and print detector x noise shape -> F1, precision, recall,
false alarms per 1,000 commits on change-free series, localisation, time.

    bench/detect/evaluate.py [--full] [--out DIR] [--benchline PATH]
                             [--detector NAME=COMMAND]... [--only NAME]... [--asv-pure]

Detectors (each is run once per noise shape, on that shape's CSV):
  none            predicts no change (the floor every detector must beat)
  benchline       PATH detect --input F.csv --format json, with --benchline PATH
                  (default: build-rel/benchline or build/benchline if present)
  otava p=1e-3    run_otava.py: Otava CLI defaults (window 50, p 0.001, magnitude 0)
  otava p=1e-4    run_otava.py --p 1e-4
  asv             run_asv.py: asv detect_steps with asv publish's weights
  asv (pure)      run_asv.py --pure, only with --asv-pure (about 4x slower)
  NAME            --detector NAME=COMMAND: COMMAND INPUT.csv prints the JSON contract
Otava and asv get one value per commit, the median of its repetitions.
A detector that cannot run is reported as missing or failed; nothing else stops.

The quick default corpus has about 20,000 commits; --full about 280,000
(24 series with changes and 12 change-free per shape, 50 to 10,000 commits).
Output: the tables on stdout (Markdown), everything under --out
(default /tmp/benchline-detect-eval): corpus/, pred/<detector>/<shape>.json,
its stderr log, results.json.
"""

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # keep bench/detect free of __pycache__
sys.path.insert(0, HERE)
import score as sc  # noqa: E402


def pick_python(explicit):
    """A Python with numpy and scipy for the Otava adapter."""
    cands = [explicit] if explicit else ["/usr/bin/python3", sys.executable]
    for py in cands:
        if py and os.path.exists(py) and subprocess.run(
                [py, "-c", "import numpy, scipy"], capture_output=True).returncode == 0:
            return py
    return explicit or "/usr/bin/python3"


def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_one(cmd, csv_path, out_json, log_path, timeout):
    """Run cmd on one CSV; returns (wall, cpu, error or None)."""
    c0, t0 = child_cpu(), time.perf_counter()
    try:
        with open(out_json, "w") as out, open(log_path, "w") as log:
            rc = subprocess.run(cmd(csv_path), stdout=out, stderr=log, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return None, None, f"timed out after {timeout} s"
    except OSError as e:
        return None, None, f"cannot run: {e}"
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    if rc != 0:
        with open(log_path) as f:
            log = f.read()
        if "unknown command 'detect'" in log:
            return wall, cpu, "missing (this benchline has no detect command yet)"
        tail = " ".join(log.split())[-160:].replace("|", "/")
        return wall, cpu, f"{'missing' if rc == 3 else 'failed'} (exit {rc}: {tail})"
    try:
        sc.load_preds([out_json])
    except (ValueError, KeyError, TypeError) as e:
        return wall, cpu, f"failed (output is not the JSON contract: {e})"
    return wall, cpu, None


def find_benchline(explicit):
    if explicit:
        return explicit
    for p in ("build-rel/benchline", "build/benchline"):
        p = os.path.join(ROOT, p)
        if os.access(p, os.X_OK):
            return p
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="the full corpus (about 280,000 commits)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/benchline-detect-eval")
    ap.add_argument("--benchline", help="benchline binary with the detect subcommand")
    ap.add_argument("--detector", action="append", default=[], metavar="NAME=COMMAND")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="run only these detectors (repeatable; prefix match)")
    ap.add_argument("--asv-pure", action="store_true", help="also run asv without its C++ extension")
    ap.add_argument("--python", help="Python with numpy+scipy for the adapters (default /usr/bin/python3)")
    ap.add_argument("--margin", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per detector and shape")
    a = ap.parse_args()

    py = pick_python(a.python)
    corpus = os.path.join(a.out, "corpus")
    preset = "full" if a.full else "quick"
    shutil.rmtree(corpus, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--out", corpus,
                    "--preset", preset, "--seed", str(a.seed)], check=True)
    shapes = sc.shapes_of(corpus)

    dets = [("none", None)]
    bl = find_benchline(a.benchline)
    if bl:
        dets.append(("benchline", lambda f, bl=bl: [bl, "detect", "--input", f, "--format", "json"]))
    else:
        dets.append(("benchline", "missing (no binary: pass --benchline PATH)"))
    otava = os.path.join(HERE, "run_otava.py")
    asv = os.path.join(HERE, "run_asv.py")
    dets.append(("otava p=1e-3", lambda f: [py, otava, f]))
    dets.append(("otava p=1e-4", lambda f: [py, otava, "--p", "1e-4", f]))
    dets.append(("asv", lambda f: [py, asv, f]))
    if a.asv_pure:
        dets.append(("asv (pure)", lambda f: [py, asv, "--pure", f]))
    for spec in a.detector:
        name, sep, cmd = spec.partition("=")
        if not sep or not cmd:
            ap.error(f"--detector wants NAME=COMMAND, not '{spec}'")
        dets.append((name, lambda f, argv=shlex.split(cmd): argv + [f]))
    if a.only:
        dets = [d for d in dets if any(d[0].startswith(o) for o in a.only)]

    results, times, status = {}, {}, {}
    for name, cmd in dets:
        if name == "none":
            results[name] = sc.score(corpus, {}, a.margin)
            continue
        if isinstance(cmd, str):
            results[name], status[name] = None, cmd
            print(f"evaluate: {name}: {cmd}", file=sys.stderr)
            continue
        pdir = os.path.join(a.out, "pred", name.replace(" ", "_").replace("=", ""))
        os.makedirs(pdir, exist_ok=True)
        t, files, err = {}, [], None
        for shape in shapes:
            out_json = os.path.join(pdir, shape + ".json")
            wall, cpu, err = run_one(cmd, os.path.join(corpus, shape + ".csv"), out_json,
                                     os.path.join(pdir, shape + ".log"), a.timeout)
            if err:
                break
            t[shape] = (wall, cpu)
            files.append(out_json)
            print(f"evaluate: {name} {shape}: {wall:.2f} s wall, {cpu:.2f} s cpu", file=sys.stderr)
        if err:
            results[name], status[name] = None, err
            print(f"evaluate: {name}: {err}", file=sys.stderr)
            continue
        results[name] = sc.score(corpus, sc.load_preds(files), a.margin)
        times[name] = t

    with open(os.path.join(corpus, "meta.json")) as f:
        gen = json.load(f)["generator"]
    with open(os.path.join(corpus, "truth.json")) as f:
        truth = json.load(f)
    n_commits = results["none"]["all"]["null_commits"] if "none" in results else None
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"generator": gen, "margin": a.margin, "results": results, "times": times,
                   "status": status}, f, indent=1)

    total = sum(1 for _ in truth)
    print(f"corpus: preset {preset}, seed {a.seed}, {total} series, "
          f"{sum(len(v) for v in truth.values())} true changes; margin +-{a.margin} commits; "
          f"{n_commits} commits in change-free series" if n_commits is not None else "")
    print("Otava and asv see one value per commit: the median of its repetitions.\n")
    print(sc.table(results, shapes, times, status))
    print()
    print(sc.size_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
