#!/usr/bin/env bash
# make-repo.sh DIR [--no-run] - the transformers GPU example of benchline.
#
# Builds a git repository in DIR whose package `myinference` loads and runs a
# Llama-architecture model, with four commits that each change something real:
#   1. float32, eager attention, dynamic KV cache (the baseline)
#   2. PyTorch SDPA attention
#   3. bfloat16
#   4. a static KV cache
# and a benchline suite (bench/) running the transformers v1 llama scenario
# through the Python recorder. Then, unless --no-run, benchmarks all four
# commits with GPU sampling and prints the results, the comparisons of each
# step, the change points and the device summary of one run.
#
# Needs: git, benchline on PATH (or $BENCHLINE), and for the run an NVIDIA GPU
# with python3, PyTorch (CUDA) and transformers. docs/GPU.md shows how to run it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
dir=${1:?usage: make-repo.sh DIR [--no-run]}
run=1
[ "${2:-}" = "--no-run" ] && run=0
bl=${BENCHLINE:-benchline}
# The run's size: WARMUP, REPETITIONS (per commit), NEW_TOKENS and PROMPT_TOKENS may be set in the environment.
warmup=${WARMUP:-1} reps=${REPETITIONS:-5} new_tokens=${NEW_TOKENS:-128} prompt_tokens=${PROMPT_TOKENS:-32}
for v in "$warmup" "$reps" "$new_tokens" "$prompt_tokens"; do
	case $v in '' | *[!0-9]*) echo "make-repo.sh: WARMUP, REPETITIONS, NEW_TOKENS and PROMPT_TOKENS must be whole numbers, not '$v'" >&2; exit 2 ;; esac
done

if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
	echo "make-repo.sh: '$dir' exists and is not empty" >&2
	exit 2
fi
mkdir -p "$dir/bench" "$dir/myinference"
git init -q "$dir"
g() { git -C "$dir" -c user.name="benchline example" -c user.email=example@benchline.invalid "$@"; }

cp "$here/bench/llama_v1.py" "$dir/bench/"
cp "$src/clients/python/benchline_recorder.py" "$dir/bench/"
cp "$here/repo-template/loader-v1.py" "$dir/myinference/__init__.py"
printf '__pycache__/\n.benchline/\n' >"$dir/.gitignore"
cat >"$dir/benchline.yaml" <<YAML
version: 1
suite: [bench]
sampling:
  interval_ms: 10            # CPU, memory and every GPU, 100 times a second
benchmarks:
  - name: llama_v1
    command: [python3, bench/llama_v1.py]
    env:
      NEW_TOKENS: $new_tokens
      PROMPT_TOKENS: $prompt_tokens
      PYTHONDONTWRITEBYTECODE: 1
    warmup: $warmup                # the first run of a commit also fills the page cache
    repetitions: $reps
    timeout: 1200
    metrics:
      better:
        tokens_per_s: higher
        model_load_time: lower
        first_eager_forward_pass_time_secs: lower
        second_eager_forward_pass_time_secs: lower
        first_eager_generate_time_secs: lower
        second_eager_generate_time_secs: lower
        time_to_first_token_secs: lower
        time_to_second_token_secs: lower
        time_to_third_token_secs: lower
        time_to_next_token_mean_secs: lower
        max_memory_allocated_mb: lower
analysis:
  noise_floor: 2%
YAML

g add -A
g commit -q -m "myinference: load Llama in float32 with eager attention"
sed -i 's/^ATTN_IMPLEMENTATION = "eager"/ATTN_IMPLEMENTATION = "sdpa"/' "$dir/myinference/__init__.py"
g commit -q -am "myinference: use PyTorch scaled-dot-product attention"
sed -i 's/^DTYPE = torch.float32/DTYPE = torch.bfloat16/' "$dir/myinference/__init__.py"
g commit -q -am "myinference: run the model in bfloat16"
sed -i 's/^CACHE_IMPLEMENTATION = None.*/CACHE_IMPLEMENTATION = "static"  # preallocated KV cache/' "$dir/myinference/__init__.py"
g commit -q -am "myinference: static KV cache"
# Each commit must have changed what it says.
for want in 'ATTN_IMPLEMENTATION = "sdpa"' 'DTYPE = torch.bfloat16' 'CACHE_IMPLEMENTATION = "static"'; do
	grep -qF "$want" "$dir/myinference/__init__.py" || { echo "make-repo.sh: edit failed: $want" >&2; exit 1; }
done
g log --oneline
[ $run -eq 1 ] || exit 0

cd "$dir"
revs="HEAD~3 HEAD~2 HEAD~1 HEAD"
metrics="--metric model_load_time --metric second_eager_forward_pass_time_secs --metric second_eager_generate_time_secs
	--metric time_to_first_token_secs --metric time_to_next_token_mean_secs --metric tokens_per_s"
"$bl" doctor || true
# Interleaved: the four commits take turns, so GPU warm-up and drift hit all alike.
"$bl" run --interleave $revs
for m in second_eager_generate_time_secs time_to_first_token_secs time_to_next_token_mean_secs tokens_per_s \
	model_load_time gpu0_util_mean gpu0_mem_mb_max gpu0_power_w_mean gpu_energy_j; do
	echo "== $m"
	"$bl" show --metric "$m" $revs
done
set +e
for pair in "HEAD~3 HEAD~2" "HEAD~2 HEAD~1" "HEAD~1 HEAD" "HEAD~3 HEAD"; do
	echo "== compare $pair"
	# shellcheck disable=SC2086
	"$bl" compare $metrics --format markdown $pair
done
set -e
echo "== detect"
"$bl" detect $metrics
run_id=$(sqlite3 .benchline/results.db "select max(run_id) from runs where kind = 'measured'" 2>/dev/null || true)
if [ -n "$run_id" ]; then
	echo "== device samples of run $run_id"
	"$bl" show --device "$run_id"
fi
