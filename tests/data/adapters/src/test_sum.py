# What tests/data/adapters/pytest-benchmark.json was made from.
import pytest


@pytest.mark.parametrize("n", [10, 1000])
def test_sum(benchmark, n):
    data = list(range(n))
    assert benchmark(sum, data) == n * (n - 1) // 2
