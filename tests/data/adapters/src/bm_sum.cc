// A tiny Google Benchmark harness: what tests/data/adapters/gbench.json was made from.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

static void BM_sum(benchmark::State &state)
{
	std::vector<long> v(static_cast<size_t>(state.range(0)), 1);
	for (auto _ : state)
		benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0L));
	state.SetBytesProcessed(state.iterations() * state.range(0) * static_cast<long>(sizeof(long)));
	state.counters["elements"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_sum)->Arg(64)->Arg(4096);

static void BM_fails(benchmark::State &state)
{
	for (auto _ : state)
		state.SkipWithError("no input");
}
BENCHMARK(BM_fails);

BENCHMARK_MAIN();
