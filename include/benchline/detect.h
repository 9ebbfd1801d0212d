/* detect.h - change points in a benchmark series along history.
 *
 * A series is a sequence of positions 0..n_positions-1 (commits along
 * first-parent history, oldest first); each position holds zero or more
 * observations (repetitions). Positions without observations (build failed,
 * not measured) are gaps: they neither break a segment nor count as a change.
 * The method is documented in docs/DETECTION.md.
 */
#ifndef BENCHLINE_DETECT_H
#define BENCHLINE_DETECT_H

#include <stddef.h>

#include "benchline/common.h"

struct bl_obs {
	size_t pos;   /* 0-based position in history */
	double value; /* one repetition */
};

struct bl_detect_opts {
	double noise_floor;  /* relative effect floor, default 0.01 */
	double alpha;        /* confirming rank test's level, default 0.001 */
	double penalty;      /* segmentation penalty; <= 0 means calibrated default */
	size_t min_segment;  /* minimum positions with data per segment, default 3 */
};
void bl_detect_opts_default(struct bl_detect_opts *o);

struct bl_change {
	size_t pos;            /* first position at the new level */
	size_t prev_pos;       /* last position with data at the old level */
	double before, after;  /* level (median) of the segment before / after */
	double change;         /* after / before - 1 */
	double change_lo, change_hi; /* 95% interval of the change */
	double p;              /* two-sided Mann-Whitney p of the adjacent segments */
};

/* obs need not be sorted; values must be finite (non-positive values are
 * allowed; the log transform is then skipped for the whole series).
 * On success returns 0 and a malloc'd array (*out, *n_out) sorted by pos. */
int bl_detect(const struct bl_obs *obs, size_t n_obs, const struct bl_detect_opts *opts,
	      struct bl_change **out, size_t *n_out, struct bl_error *err);

#endif
