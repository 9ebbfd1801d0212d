#!/usr/bin/env python3
"""Self-test of the scorer and generator: python3 bench/detect/test_eval.py"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import score as sc  # noqa: E402


class Matching(unittest.TestCase):
    def test_margin(self):
        self.assertEqual(sc.true_positives([100], [105], 5), [(100, 105)])
        self.assertEqual(sc.true_positives([100], [106], 5), [])
        self.assertEqual(sc.true_positives([100], [94, 95], 5), [(100, 95)])

    def test_each_matched_once(self):
        # two detections near one true change: one TP, one FP
        self.assertEqual(sc.true_positives([50], [49, 52], 5), [(50, 49)])
        # one detection between two true changes counts once
        self.assertEqual(sc.true_positives([50, 58], [54], 5), [(50, 54)])
        self.assertEqual(sc.true_positives([50, 58], [54, 59], 5), [(50, 54), (58, 59)])

    def test_tally(self):
        t = sc.Tally()
        meta_c = {"null": False, "length": 100, "steps": [{"commit": 50, "sigma": 2.0}]}
        meta_n = {"null": True, "length": 1000, "steps": []}
        t.add(meta_c, [50], [48, 80], 5)
        t.add(meta_n, [], [10, 20], 5)
        r = t.row()
        self.assertAlmostEqual(r["precision"], 1 / 4)
        self.assertAlmostEqual(r["recall"], 1.0)
        self.assertAlmostEqual(r["f1"], 2 * 0.25 / 1.25)
        self.assertAlmostEqual(r["fa_per_1k"], 2.0)
        self.assertAlmostEqual(r["loc"], 2.0)
        self.assertEqual(r["recall_by_sigma"]["1.5-3"], 1.0)


class Corpus(unittest.TestCase):
    def test_deterministic_and_labelled(self):
        with tempfile.TemporaryDirectory() as d:
            outs = []
            for sub in ("a", "b"):
                subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--out",
                                os.path.join(d, sub), "--change-series", "2", "--null-series", "1",
                                "--max-length", "300"], check=True, capture_output=True)
                with open(os.path.join(d, sub, "t3.csv")) as f:
                    outs.append(f.read())
            self.assertEqual(outs[0], outs[1])
            with open(os.path.join(d, "a", "truth.json")) as f:
                truth = json.load(f)
            with open(os.path.join(d, "a", "meta.json")) as f:
                meta = json.load(f)["series"]
            self.assertEqual(len(truth), 12)
            for name, tr in truth.items():
                m = meta[name]
                self.assertEqual(tr == [], m["null"])
                self.assertEqual(tr, sorted(tr))
                self.assertTrue(all(10 <= k < m["length"] for k in tr))
            # scoring the truth itself is perfect
            res = sc.score(os.path.join(d, "a"), truth)
            self.assertEqual(res["all"]["f1"], 1.0)
            self.assertEqual(res["all"]["fa_per_1k"], 0.0)


if __name__ == "__main__":
    unittest.main()
