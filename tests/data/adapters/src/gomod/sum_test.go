// What tests/data/adapters/gotest.txt was made from.
package sum

import "testing"

func sum(v []int) int {
	t := 0
	for _, x := range v {
		t += x
	}
	return t
}

func BenchmarkSum(b *testing.B) {
	v := make([]int, 1000)
	b.SetBytes(int64(len(v) * 8))
	for i := 0; i < b.N; i++ {
		_ = sum(v)
	}
}

func BenchmarkAlloc(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = make([]byte, 64+i%2)
	}
	b.ReportMetric(3, "widgets/op")
}
