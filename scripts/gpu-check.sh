#!/usr/bin/env bash
# gpu-check.sh - checks the NVML sampler on a Linux machine with an NVIDIA GPU:
# builds bench/gpu_check.c and bench/bench_sampler.c with gcc from the few lib
# files they need (no libyaml, jansson, cmocka or sqlite), runs a ~5 s GPU
# workload (PyTorch matmuls, else a tiny nvcc kernel) sampled every 10 ms, and
# asserts utilisation > 50 % at peak, GPU memory rising, energy > 0 and the GPU
# columns valid. Then prints the per-sample cost with and without NVML.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${GPU_CHECK_OUT:-$(mktemp -d)}
mkdir -p "$out"
CC=${CC:-gcc}
src="lib/common.c lib/device.c lib/device_procfs.c lib/device_nvml.c lib/sampler.c"
flags="-std=c17 -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Iinclude -Ilib -pthread"
$CC $flags -o "$out/gpu_check" bench/gpu_check.c $src -ldl -lm
$CC $flags -o "$out/bench_sampler" bench/bench_sampler.c $src -ldl -lm

echo "== device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"

workload=()
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	cat > "$out/work.py" <<'PY'
import time, torch
x = torch.randn(8192, 8192, device="cuda")
torch.cuda.synchronize()
t = time.time()
n = 0
while time.time() - t < 5:
    y = x @ x
    n += 1
    if n % 10 == 0:
        torch.cuda.synchronize()
torch.cuda.synchronize()
print(f"workload: {n} matmuls 8192x8192 fp32 in {time.time() - t:.1f} s")
PY
	workload=(python3 "$out/work.py")
elif command -v nvcc >/dev/null; then
	cat > "$out/work.cu" <<'CU'
#include <cstdio>
#include <ctime>
__global__ void spin(float *a, int n) {
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n) for (int k = 0; k < 20000; k++) a[i] = a[i] * 0.999f + 0.001f;
}
int main() {
	int n = 1 << 26; float *a; cudaMalloc(&a, n * sizeof(float));
	time_t t = time(0); int r = 0;
	while (time(0) - t < 5) { spin<<<n / 256, 256>>>(a, n); cudaDeviceSynchronize(); r++; }
	printf("workload: %d kernel launches\n", r); return 0;
}
CU
	nvcc -O2 -o "$out/work" "$out/work.cu"
	workload=("$out/work")
else
	echo "no PyTorch with CUDA and no nvcc: no GPU workload" >&2
	exit 2
fi

echo "== sampled run (10 ms)"
rc=0
"$out/gpu_check" 10 "${workload[@]}" || rc=$?
echo "== per-sample cost"
"$out/bench_sampler" 10000
exit $rc
