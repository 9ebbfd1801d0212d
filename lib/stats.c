/* stats.c - descriptive summaries. */
#include "benchline/stats.h"
#include "benchline/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bl_median_inplace(double *values, size_t n)
{
	if (n == 0)
		return 0;
	qsort(values, n, sizeof(double), cmp_double);
	return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void bl_summarize(const double *values, size_t n, struct bl_summary *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	double *v = bl_xmalloc(n * sizeof(double));
	memcpy(v, values, n * sizeof(double));
	out->n = n;
	out->median = bl_median_inplace(v, n);
	out->min = v[0];
	out->max = v[n - 1];
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	out->mean = sum / (double)n;
	if (n > 1) {
		double ss = 0;
		for (size_t i = 0; i < n; i++)
			ss += (v[i] - out->mean) * (v[i] - out->mean);
		out->stddev = sqrt(ss / (double)(n - 1));
	}
	out->cv = out->mean != 0 ? out->stddev / fabs(out->mean) : 0;
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - out->median);
	out->mad = bl_median_inplace(v, n);
	free(v);
}
