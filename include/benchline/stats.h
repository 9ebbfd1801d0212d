/* stats.h - descriptive summaries of a sample of measurements. */
#ifndef BENCHLINE_STATS_H
#define BENCHLINE_STATS_H

#include <stddef.h>

struct bl_summary {
	size_t n;
	double median;
	double mean;
	double min;
	double max;
	double stddev; /* sample standard deviation, 0 when n < 2 */
	double mad;    /* median absolute deviation (unscaled) */
	double cv;     /* stddev / mean, 0 when the mean is 0 */
};

/* Summarises values (not modified). n == 0 gives a zeroed summary. */
void bl_summarize(const double *values, size_t n, struct bl_summary *out);
/* Median of values; sorts the array in place. */
double bl_median_inplace(double *values, size_t n);

#endif
