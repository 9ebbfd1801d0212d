// bench_textstats.cc - Google Benchmark harness of the textstats library.
// benchline reads its JSON output (--benchmark_format=json) from stdout.
#include <benchmark/benchmark.h>

#include <string>

#include "textstats.h"

static std::string sample_text(size_t bytes)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog ";
	std::string s;
	while (s.size() < bytes)
		s += words;
	s.resize(bytes);
	return s;
}

static void BM_count_words(benchmark::State &state)
{
	std::string text = sample_text(static_cast<size_t>(state.range(0)));
	for (auto _ : state)
		benchmark::DoNotOptimize(ts_count_words(text.data(), text.size()));
	state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_count_words)->Arg(1 << 10)->Arg(1 << 16);

static void BM_hash(benchmark::State &state)
{
	std::string text = sample_text(static_cast<size_t>(state.range(0)));
	for (auto _ : state)
		benchmark::DoNotOptimize(ts_hash(text.data(), text.size()));
	state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_hash)->Arg(1 << 10)->Arg(1 << 16);

BENCHMARK_MAIN();
