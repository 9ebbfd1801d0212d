#!/usr/bin/env bash
# gpu-run-check.sh [BENCHLINE] - end-to-end check of device sampling on a
# machine with an NVIDIA GPU and PyTorch: a real `benchline run` of a GPU
# benchmark (fp32 matmuls for ~4 s) into SQLite, then asserts from the
# database that GPU utilisation peaked above 50 %, GPU memory rose during the
# run, GPU energy > 0, and the GPU columns of the samples are not NULL.
# The binary may come with its libraries in a lib/ folder beside it.
set -euo pipefail
bl=$(realpath "${1:-build/benchline}")
[ -d "$(dirname "$bl")/lib" ] && export LD_LIBRARY_PATH="$(dirname "$bl")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
T=$(mktemp -d)
R=$T/repo
mkdir -p "$R/bench"
git init -q "$R"
cat >"$R/bench/matmul.py" <<'PY'
import json, os, time, torch
x = torch.randn(8192, 8192, device="cuda")
torch.cuda.synchronize()
t, n = time.time(), 0
while time.time() - t < 4:
    y = x @ x
    n += 1
torch.cuda.synchronize()
secs = time.time() - t
with open(os.environ["BENCHLINE_METRICS"], "a") as f:
    f.write(json.dumps({"name": "tflops", "value": n * 2 * 8192**3 / secs / 1e12, "unit": "TFLOP/s", "better": "higher"}) + "\n")
PY
cat >"$R/benchline.yaml" <<'YAML'
version: 1
suite: [bench]
sampling: {interval_ms: 10}
benchmarks:
  - name: matmul
    command: [python3, bench/matmul.py]
    warmup: 0
    repetitions: 1
    timeout: 120
YAML
git -C "$R" add -A
git -C "$R" -c user.name=gpu -c user.email=gpu@example.org commit -qm "GPU benchmark"
"$bl" -C "$R" run
"$bl" -C "$R" show --metric all
run=$(python3 - "$R/.benchline/results.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select max(run_id) from runs where kind='measured'").fetchone()[0])
PY
)
"$bl" -C "$R" show --device "$run"
python3 - "$R/.benchline/results.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
q = lambda s: db.execute(s).fetchone()
n, nulls = q("select count(*), sum(gpu_util is null or gpu_mem_megabytes is null or gpu_power_w is null) from device_measurements where gpu_index = 0")
umax, = q("select max(gpu_util) from device_measurements where gpu_index = 0")
first, = q("select gpu_mem_megabytes from device_measurements where gpu_index = 0 order by t_ns limit 1")
mmax, = q("select max(gpu_mem_megabytes) from device_measurements where gpu_index = 0")
energy = q("select value from metrics where name = 'gpu_energy_j'")
gpus, = q("select gpus from machines")
print(f"samples on gpu0: {n}, rows with a NULL GPU column: {nulls}")
print(f"gpu_util max {umax}%, gpu memory first {first} MiB max {mmax} MiB, gpu_energy_j {energy and energy[0]}")
print(f"machines.gpus: {gpus}")
ok = n >= 100 and umax > 50 and mmax > first + 100 and energy and energy[0] > 0
# The first sample may precede CUDA's start; NULL-free means no value the GPU reports went missing.
ok = ok and nulls == 0
print("GPU RUN CHECK PASSED" if ok else "GPU RUN CHECK FAILED")
sys.exit(0 if ok else 1)
PY
