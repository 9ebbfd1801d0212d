"""bench/recorder.py - what the Python recorder costs the benchmark that calls it.

The transformers v1 recorder did a synchronous PostgreSQL INSERT per call, from
inside the measured process. clients/python/benchline_recorder.py appends a line
to a file instead (open, one write, close: safe across threads and processes).
This prints the cost of one record(), of one timer() block and of one
collect_device_measurements() call, each as a ratio against the named
baseline "write+flush of the same line to a file kept open" measured in the
same run.

usage: python3 bench/recorder.py [N]      (default N = 20000 calls each)
"""
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))
from benchline_recorder import MetricsRecorder  # noqa: E402


def per_call(fn, n):
    best = float("inf")
    for _ in range(5):  # best of 5 rounds: the least disturbed
        t = time.perf_counter()
        fn(n)
        best = min(best, (time.perf_counter() - t) / n)
    return best


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    d = tempfile.mkdtemp()
    path = os.path.join(d, "metrics")
    rec = MetricsRecorder(path=path)
    line = json.dumps({"name": "decode_latency", "value": 0.0123, "unit": "s", "better": "lower"}) + "\n"

    def baseline(k):
        with open(os.path.join(d, "baseline"), "a") as f:
            for _ in range(k):
                f.write(line)
                f.flush()

    def record(k):
        for _ in range(k):
            rec.record("decode_latency", 0.0123, "s", "lower")

    def timer(k):
        for _ in range(k):
            with rec.timer("block"):
                pass

    bid = rec.initialise_benchmark({})

    def device(k):
        for _ in range(k):
            rec.collect_device_measurements(bid, 12.5, 1024.0, 80.0, 2048.0)

    base = per_call(baseline, n)
    print("baseline (write+flush, file kept open): %.2f us/call" % (base * 1e6))
    for name, fn in (("record()", record), ("timer() block", timer), ("collect_device_measurements()", device)):
        c = per_call(fn, n)
        print("%-32s %8.2f us/call  ratio %.2f x baseline" % (name, c * 1e6, c / base))
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


if __name__ == "__main__":
    main()
