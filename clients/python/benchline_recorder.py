"""benchline_recorder - report a benchmark's measurements to benchline.

One file, Python standard library only: copy it next to your benchmark or put
clients/python on PYTHONPATH.

Under `benchline run`, benchline sets BENCHLINE_METRICS to a file and this
module appends JSON lines to it in benchline's metrics protocol
(docs/CLI.md, "The metrics protocol"):

    {"name": "decode_latency", "value": 0.0123, "unit": "s", "better": "lower"}
    {"measurements": {"model_load_time": 2.5, "time_to_first_token_secs": 0.04}}

Outside benchline (BENCHLINE_METRICS unset) nothing is written anywhere: each
value is printed to standard error as "benchline_recorder: name = value unit",
so the same script still runs by hand. BENCHLINE_RECORDER_QUIET=1 silences
that.

MetricsRecorder has the methods of the transformers benchmark "v1" recorder
(benchmark/benchmarks_entrypoint.py), so a v1-style script runs under
benchline by changing its import:

    from benchline_recorder import MetricsRecorder
    recorder = MetricsRecorder(connection=None, logger=logger, branch=branch,
                               commit_id=commit_id, commit_msg=commit_msg)
    benchmark_id = recorder.initialise_benchmark({"gpu_name": name, "model_id": model_id})
    recorder.collect_device_measurements(benchmark_id, cpu_util, mem_mb, gpu_util, gpu_mem_mb)
    recorder.collect_model_measurements(benchmark_id, {"model_load_time": 2.5, ...})
    recorder.close()

The constructor accepts and ignores the v1 arguments (a database connection,
a logger, repository, branch, commit id and message): benchline records the
commit, branch, machine and GPUs itself. Beyond v1 there are record(), for one
metric with its unit and direction, and timer(), a context manager that times
a block with a monotonic clock:

    with recorder.timer("generate_time_secs", sync=torch.cuda.synchronize):
        model.generate(...)
"""

import json
import math
import os
import sys
import threading
import time
import uuid

__all__ = ["MetricsRecorder", "Timer", "record", "timer"]

_DEVICE_FIELDS = (
    # (argument of collect_device_measurements, unit, better)
    ("cpu_util", "%", None),
    ("mem_megabytes", "MiB", "lower"),
    ("gpu_util", "%", None),
    ("gpu_mem_megabytes", "MiB", "lower"),
)


def _number(value):
    """A finite float, or None for what cannot be one (NaN, inf, strings)."""
    if isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _check_name(what, name):
    """benchline's rule for names and units: 1 to 200 characters, no control characters."""
    name = str(name)
    if not 1 <= len(name) <= 200 or any(ord(c) < 0x20 or ord(c) == 0x7f for c in name):
        raise ValueError("%s %r must be 1 to 200 characters without control characters" % (what, name))
    return name


def _jsonable(value):
    """json.dumps default=: numbers from numpy or torch become floats."""
    f = _number(value)
    if f is not None:
        return f
    return str(value)


class MetricsRecorder:
    """Writes benchline's metrics protocol; see the module's documentation.

    path: where to append (default: $BENCHLINE_METRICS; None or "" prints to
    standard error instead). Thread-safe: a v1-style sampler thread may call
    collect_device_measurements while the main thread records.
    """

    def __init__(self, connection=None, logger=None, *args, path=None, **kwargs):
        # v1 signatures: (connection, logger, branch, commit_id, commit_msg[, collect_csv_data])
        # and (connection, logger, repository, branch, commit_id, commit_msg, ...).
        # All of that provenance is benchline's to record, so it is ignored.
        self.logger = logger
        self.path = os.environ.get("BENCHLINE_METRICS") if path is None else path
        self.quiet = os.environ.get("BENCHLINE_RECORDER_QUIET") == "1"
        self._lock = threading.Lock()
        self._device = {}  # benchmark_id -> {field: [count, sum, max]}
        self._closed = False
        self._fd = None  # the metrics file, opened at the first line

    # ---- output ----

    @property
    def under_benchline(self):
        """True when values go to benchline (a metrics file is set)."""
        return bool(self.path)

    def _write(self, obj, human):
        if self.path:
            line = (json.dumps(obj, allow_nan=False, default=_jsonable) + "\n").encode("utf-8")
            # One write() per line on an O_APPEND descriptor: lines from
            # several threads or processes never interleave. The descriptor
            # stays open until close() (opening per line cost 5x more).
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                                   0o644)
            os.write(self._fd, line)
        elif not self.quiet:
            for text in human:
                print("benchline_recorder: " + text, file=sys.stderr, flush=True)

    # ---- benchline's own API ----

    def record(self, name, value, unit=None, better=None):
        """Records one metric. better: "lower", "higher" or None (unknown).

        A value that is not a finite number, or a name or unit that is empty,
        longer than 200 characters or holds a control character, raises
        ValueError: benchline would refuse the line, and a silent gap is worse
        than an error here.
        """
        v = _number(value)
        if v is None:
            raise ValueError("metric %r: value %r is not a finite number" % (name, value))
        if better not in (None, "lower", "higher"):
            raise ValueError("metric %r: better must be 'lower' or 'higher', not %r" % (name, better))
        obj = {"name": _check_name("metric name", name), "value": v}
        if unit:
            obj["unit"] = _check_name("unit of %r:" % name, unit)
        if better:
            obj["better"] = better
        with self._lock:
            self._write(obj, ["%s = %.9g%s" % (name, v, " " + unit if unit else "")])

    def timer(self, name, unit="s", better="lower", sync=None):
        """Context manager timing its block; records seconds (or ms with unit="ms").

        sync: a callable run before starting and before stopping the clock,
        e.g. torch.cuda.synchronize, so queued GPU work is inside the timing.
        """
        return Timer(self, name, unit, better, sync)

    # ---- the transformers v1 recorder's API ----

    def initialise_benchmark(self, metadata=None):
        """Starts a benchmark and returns its id (a UUID string, as later v1).

        The metadata dict is not stored: benchline records the commit, branch,
        machine and GPUs of every run itself. Outside benchline it is printed.
        """
        benchmark_id = str(uuid.uuid4())
        with self._lock:
            self._device[benchmark_id] = {}
            if not self.path and not self.quiet and metadata:
                print("benchline_recorder: benchmark %s: %s" % (benchmark_id, json.dumps(metadata, default=_jsonable)),
                      file=sys.stderr, flush=True)
        return benchmark_id

    def collect_device_measurements(self, benchmark_id, cpu_util, mem_megabytes, gpu_util, gpu_mem_megabytes):
        """Takes one device sample from the benchmark's own sampler thread.

        benchline samples CPU, memory and GPUs itself from outside the process
        (device_measurements table), so samples are not written one by one:
        close() records their mean and maximum as metrics named
        recorder_<field>_mean and recorder_<field>_max. Missing values (None)
        are skipped.
        """
        values = (cpu_util, mem_megabytes, gpu_util, gpu_mem_megabytes)
        with self._lock:
            acc = self._device.setdefault(benchmark_id, {})
            for (field, _, _), value in zip(_DEVICE_FIELDS, values):
                v = _number(value)
                if v is None:
                    continue
                a = acc.setdefault(field, [0, 0.0, v])
                a[0] += 1
                a[1] += v
                a[2] = max(a[2], v)

    def collect_model_measurements(self, benchmark_id, measurements):
        """Records a dict of named measurements, as v1's model_measurements.

        benchline keeps the dict whole in model_measurements.measurements and
        stores each numeric value as a metric of the same name. Values that
        are not finite numbers (NaN, inf, None) become null: the key stays in
        the JSON and benchline notes that it has no number.
        """
        if not isinstance(measurements, dict):
            raise TypeError("measurements must be a dict, not %s" % type(measurements).__name__)
        clean = {}
        for key, value in measurements.items():
            if isinstance(value, (str, bool)) or value is None:
                clean[str(key)] = value
            else:
                clean[str(key)] = _number(value)
        human = ["%s = %s" % (k, "%.9g" % v if isinstance(v, float) else json.dumps(v)) for k, v in clean.items()]
        with self._lock:
            self._write({"measurements": clean}, human)

    def close(self):
        """Writes the summaries of the device samples and closes the metrics
        file. Safe to call twice; recording after close() opens it again."""
        with self._lock:
            # Summaries once; samples taken after the first close() are dropped.
            device = {} if self._closed else self._device
            self._device = {}
            self._closed = True
            multi = len([b for b in device.values() if b]) > 1
            for i, acc in enumerate(b for b in device.values() if b):
                suffix = "_%d" % i if multi else ""
                for field, unit, better in _DEVICE_FIELDS:
                    if field not in acc:
                        continue
                    n, total, peak = acc[field]
                    for stat, v in (("mean", total / n), ("max", peak)):
                        obj = {"name": "recorder_%s_%s%s" % (field, stat, suffix), "value": v, "unit": unit}
                        if better:
                            obj["better"] = better
                        self._write(obj, ["%s = %.9g %s" % (obj["name"], v, unit)])
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Timer:
    """Times a with-block with time.perf_counter (monotonic) and records it.

    The elapsed seconds are in .elapsed after the block. Nothing is recorded
    when the block raises: a failed measurement is not a fast one.
    """

    def __init__(self, recorder, name, unit="s", better="lower", sync=None):
        if unit not in ("s", "ms", "us", "ns"):
            raise ValueError("timer %r: unit must be s, ms, us or ns, not %r" % (name, unit))
        self.recorder, self.name, self.unit, self.better, self.sync = recorder, name, unit, better, sync
        self.elapsed = None
        self._start = None

    def __enter__(self):
        if self.sync:
            self.sync()
        self._start = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.sync:
            self.sync()
        self.elapsed = time.perf_counter() - self._start
        if exc_type is None:
            scale = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[self.unit]
            self.recorder.record(self.name, self.elapsed * scale, self.unit, self.better)
        return False


_default = None


def _recorder():
    global _default
    if _default is None:
        _default = MetricsRecorder()
    return _default


def record(name, value, unit=None, better=None):
    """Module-level shortcut: MetricsRecorder().record(...)."""
    _recorder().record(name, value, unit, better)


def timer(name, unit="s", better="lower", sync=None):
    """Module-level shortcut: with benchline_recorder.timer("step"): ..."""
    return _recorder().timer(name, unit, better, sync)
