#!/usr/bin/env bash
# examples/transformers-gpu cannot run here (no GPU, no PyTorch): its Python
# compiles, its script is valid bash, and make-repo.sh --no-run builds the
# example repository with four commits that each change one setting of the
# code under test, and a benchline.yaml that benchline accepts.
. "$(dirname "$0")/lib.sh"
E=$BENCHLINE_SRC/examples/transformers-gpu
command -v python3 >/dev/null || fail "python3 is needed"
for f in "$E/bench/llama_v1.py" "$E/repo-template/loader-v1.py" "$BENCHLINE_SRC/clients/python/benchline_recorder.py"; do
	python3 -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$f" || fail "python compiles $f"
done
pass "the example's Python compiles"
bash -n "$E/make-repo.sh" || fail "bash -n make-repo.sh"
pass "make-repo.sh parses"

"$E/make-repo.sh" "$T/ex" --no-run >"$T/make.out" 2>&1 || fail "make-repo.sh --no-run: $(cat "$T/make.out")"
expect_eq "$(git -C "$T/ex" rev-list --count HEAD)" 4 "four commits"
expect_eq "$(git -C "$T/ex" diff --name-only HEAD~3 HEAD)" "myinference/__init__.py" "the commits change the code under test only"
for c in 2 1 0; do
	n=$(git -C "$T/ex" diff "HEAD~$((c + 1))" "HEAD~$c" | grep -c '^+[A-Z_]* = ' || true)
	expect_eq "$n" 1 "commit HEAD~$c changes one setting"
done
expect_contains "$(git -C "$T/ex" show HEAD~2:myinference/__init__.py)" 'ATTN_IMPLEMENTATION = "sdpa"' "commit 2: SDPA attention"
expect_contains "$(git -C "$T/ex" show HEAD~1:myinference/__init__.py)" 'DTYPE = torch.bfloat16' "commit 3: bfloat16"
expect_contains "$(git -C "$T/ex" show HEAD:myinference/__init__.py)" 'CACHE_IMPLEMENTATION = "static"' "commit 4: static cache"
cmp -s "$T/ex/bench/benchline_recorder.py" "$BENCHLINE_SRC/clients/python/benchline_recorder.py" || fail "the recorder is copied"
pass "the recorder is copied into the suite"

run_bl -C "$T/ex" run --dry-run HEAD~3 HEAD~2 HEAD~1 HEAD
expect_eq "$status" 0 "benchline accepts the example's benchline.yaml"
expect_contains "$out$err" "runs to do: 24" "4 commits x (1 warm-up + 5 repetitions)"

"$E/make-repo.sh" "$T/ex" --no-run >"$T/make2.out" 2>&1 && fail "make-repo.sh refuses a non-empty directory"
expect_contains "$(cat "$T/make2.out")" "exists and is not empty" "a non-empty DIR is refused with its name"

# The run's size comes from the environment (a machine lent for minutes runs fewer repetitions); a value that is
# not a whole number is refused before anything is made.
WARMUP=0 REPETITIONS=2 NEW_TOKENS=16 "$E/make-repo.sh" "$T/small" --no-run >"$T/make3.out" 2>&1 || fail "make-repo.sh with a size: $(cat "$T/make3.out")"
expect_contains "$(cat "$T/small/benchline.yaml")" "NEW_TOKENS: 16" "NEW_TOKENS reaches the benchmark's environment"
run_bl -C "$T/small" run --dry-run HEAD~3 HEAD~2 HEAD~1 HEAD
expect_contains "$out$err" "runs to do: 8" "4 commits x (0 warm-ups + 2 repetitions)"
REPETITIONS=3x "$E/make-repo.sh" "$T/bad" --no-run >"$T/make4.out" 2>&1 && fail "make-repo.sh refuses REPETITIONS=3x"
expect_contains "$(cat "$T/make4.out")" "not '3x'" "the bad value is named"
[ ! -e "$T/bad" ] || fail "nothing is made for a bad size"
pass "a bad size makes nothing"
