"""pytest-benchmark benchmarks of minitext; benchline reads --benchmark-json."""
import pytest

from minitext import top_words, word_frequencies

TEXT = " ".join(f"word{i % 997} Word{i % 13}" for i in range(20000))


def test_word_frequencies(benchmark):
    counts = benchmark(word_frequencies, TEXT)
    assert counts["word0"] == 21 + 1539  # word0 (i % 997) and Word0 (i % 13)


@pytest.mark.parametrize("n", [10, 100])
def test_top_words(benchmark, n):
    top = benchmark(top_words, TEXT, n)
    assert len(top) == n
