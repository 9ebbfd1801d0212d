/* bench_detect.c - accuracy and speed of bl_detect on a synthetic corpus.
 *
 * usage: bench_detect [--commits N] [--seed S] [--csv FILE --truth FILE]
 *
 * Series like benchmark timings: level 100, multiplicative noise with a
 * relative standard deviation of 2% per repetition, of four shapes (gaussian,
 * Student t with 3 degrees of freedom, bimodal 70/30, lognormal), 1 to 5
 * repetitions per commit, lengths 50 to 5,000, 2% of commits missing, a slow
 * drift (3 noise standard deviations per 1,000 commits, up or down) in a
 * third of them, and steps of 1.5 to 12 noise standard deviations at least 25 commits
 * apart, up or down. Change-free series (same noise and drifts) count false
 * alarms. Scores per noise shape: F1 at a margin of 5 commits (each true
 * change matched once), precision, recall, false alarms per 1,000 commits of
 * change-free series; and the time bl_detect took per 100,000 commits.
 * With --csv and --truth it also writes the corpus in `detect --input` format
 * and its labels (JSON), for running other detectors on the same data.
 */
#include "benchline/detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 88172645463325252ULL;

static double unif(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(unif())) * cos(2 * M_PI * unif());
}

enum shape { GAUSS, T3, BIMODAL, LOGNORMAL, N_SHAPES };
static const char *const shape_names[] = {"gaussian", "t(3)", "bimodal", "lognormal"};

/* unit-variance noise of each shape */
static double noise(enum shape s)
{
	switch (s) {
	case T3: {
		double c = 0;
		for (int i = 0; i < 3; i++) {
			double g = gauss();
			c += g * g;
		}
		return gauss() / sqrt(c / 3) / sqrt(3.0); /* t3 has variance 3 */
	}
	case BIMODAL: {
		/* 70% at 0, 30% at +3.3 (in units of the within-mode sd 0.5) */
		double v = 0.5 * gauss() + (unif() < 0.3 ? 1.65 : 0);
		return (v - 0.495) / 0.9385;
	}
	case LOGNORMAL: {
		double v = exp(0.8 * gauss());
		return (v - 1.3771) / 1.2268;
	}
	default: return gauss();
	}
}

struct truth {
	size_t *cps;
	size_t n;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t budget = 100000;
	const char *csv_path = NULL, *truth_path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--commits") && i + 1 < argc)
			budget = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng ^= strtoull(argv[++i], NULL, 10) * 0x9E3779B97F4A7C15ULL;
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv_path = argv[++i];
		else if (!strcmp(argv[i], "--truth") && i + 1 < argc)
			truth_path = argv[++i];
		else {
			fprintf(stderr, "usage: bench_detect [--commits N] [--seed S] [--csv FILE --truth FILE]\n");
			return 2;
		}
	}
	FILE *csv = csv_path ? fopen(csv_path, "w") : NULL, *tj = truth_path ? fopen(truth_path, "w") : NULL;
	if (csv)
		fprintf(csv, "series,commit,repetition,value\n");
	if (tj)
		fprintf(tj, "{");
	static const size_t lengths[] = {50, 200, 1000, 5000};
	double tp[N_SHAPES] = {0}, fp[N_SHAPES] = {0}, fn[N_SHAPES] = {0}, fa[N_SHAPES] = {0}, null_commits[N_SHAPES] = {0};
	double elapsed = 0;
	size_t analysed = 0, series_no = 0;
	struct bl_detect_opts opts;
	bl_detect_opts_default(&opts);
	if (getenv("BENCH_DETECT_ALPHA"))
		opts.alpha = atof(getenv("BENCH_DETECT_ALPHA"));
	for (size_t used = 0; used < budget; series_no++) {
		enum shape sh = (enum shape)(series_no % N_SHAPES);
		bool null_series = (series_no / N_SHAPES) % 3 == 2;
		size_t len = lengths[(series_no / (3 * N_SHAPES)) % 4];
		int reps = 1 + (int)((series_no / 7) % 5);
		bool drift = (series_no / 5) % 3 == 1;
		double sigma = 0.02;
		used += len;
		/* true change points */
		struct truth t = {bl_xcalloc(len, sizeof(size_t)), 0};
		double *level = bl_xmalloc(len * sizeof(double));
		double lv = 0;
		size_t next = 25 + (size_t)(unif() * 100);
		/* slow: 3 noise standard deviations per 1,000 commits */
		double drift_per = drift ? 3 * sigma / 1000.0 * (unif() < 0.5 ? 1 : -1) : 0;
		for (size_t c = 0; c < len; c++) {
			if (!null_series && c == next && c + 25 <= len) {
				double mag = (1.5 + unif() * 10.5) * sigma * (unif() < 0.5 ? 1 : -1);
				lv += mag;
				t.cps[t.n++] = c;
				next = c + 25 + (size_t)(unif() * 200);
			}
			level[c] = lv + drift_per * (double)c;
		}
		struct bl_obs *obs = bl_xmalloc(len * (size_t)reps * sizeof(*obs));
		size_t n_obs = 0;
		for (size_t c = 0; c < len; c++) {
			if (unif() < 0.02)
				continue; /* not measured */
			for (int r = 0; r < reps; r++) {
				double v = 100 * exp(level[c] + sigma * noise(sh));
				obs[n_obs++] = (struct bl_obs){.pos = c, .value = v};
				if (csv)
					fprintf(csv, "s%zu,%zu,%d,%.6g\n", series_no, c, r, v);
			}
		}
		if (tj) {
			fprintf(tj, "%s\"s%zu\": {\"shape\": \"%s\", \"length\": %zu, \"changes\": [", series_no ? ", " : "",
				series_no, shape_names[sh], len);
			for (size_t k = 0; k < t.n; k++)
				fprintf(tj, "%s%zu", k ? ", " : "", t.cps[k]);
			fprintf(tj, "]}");
		}
		struct bl_change *ch;
		size_t n_ch;
		struct bl_error err = {{0}};
		double t0 = now();
		if (bl_detect(obs, n_obs, &opts, &ch, &n_ch, &err)) {
			fprintf(stderr, "bl_detect: %s\n", err.msg);
			return 1;
		}
		elapsed += now() - t0;
		analysed += len;
		if (null_series) {
			if (getenv("BENCH_DETECT_DEBUG"))
				for (size_t k = 0; k < n_ch; k++)
					fprintf(stderr, "false alarm: s%zu %s len %zu reps %d drift %d at %zu change %+.4f p %.2g\n", series_no,
						shape_names[sh], len, reps, drift, ch[k].pos, ch[k].change, ch[k].p);
			fa[sh] += (double)n_ch;
			null_commits[sh] += (double)len;
		} else {
			bool *used_truth = bl_xcalloc(t.n + 1, sizeof(bool));
			for (size_t k = 0; k < n_ch; k++) {
				size_t best = SIZE_MAX, best_d = 6;
				for (size_t j = 0; j < t.n; j++) {
					size_t d = ch[k].pos > t.cps[j] ? ch[k].pos - t.cps[j] : t.cps[j] - ch[k].pos;
					if (!used_truth[j] && d < best_d) {
						best_d = d;
						best = j;
					}
				}
				if (best != SIZE_MAX) {
					used_truth[best] = true;
					tp[sh]++;
				} else {
					fp[sh]++;
				}
			}
			for (size_t j = 0; j < t.n; j++)
				if (!used_truth[j])
					fn[sh]++;
			free(used_truth);
		}
		free(ch);
		free(obs);
		free(level);
		free(t.cps);
	}
	if (tj) {
		fprintf(tj, "}\n");
		fclose(tj);
	}
	if (csv)
		fclose(csv);
	printf("%-10s %6s %9s %6s %14s\n", "noise", "F1", "precision", "recall", "false alarms/1k");
	double TP = 0, FP = 0, FN = 0, FA = 0, NC = 0;
	for (int s = 0; s < N_SHAPES; s++) {
		double prec = tp[s] + fp[s] ? tp[s] / (tp[s] + fp[s]) : 1, rec = tp[s] + fn[s] ? tp[s] / (tp[s] + fn[s]) : 1;
		printf("%-10s %6.3f %9.3f %6.3f %14.3f\n", shape_names[s], prec + rec ? 2 * prec * rec / (prec + rec) : 0, prec,
		       rec, null_commits[s] ? 1000 * fa[s] / null_commits[s] : 0);
		TP += tp[s], FP += fp[s], FN += fn[s], FA += fa[s], NC += null_commits[s];
	}
	double prec = TP / (TP + FP), rec = TP / (TP + FN);
	printf("%-10s %6.3f %9.3f %6.3f %14.3f\n", "all", 2 * prec * rec / (prec + rec), prec, rec, 1000 * FA / NC);
	printf("%zu series, %zu commits; bl_detect: %.3f s in all, %.4f s per 100,000 commits\n", series_no, analysed,
	       elapsed, elapsed / (double)analysed * 1e5);
	return 0;
}
