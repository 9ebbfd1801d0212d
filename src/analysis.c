/* analysis.c - shared judgement settings and verdict names (analysis.h). */
#include "analysis.h"
#include "benchline/series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_print_verdict_counts(FILE *f, const size_t counts[BL_RV_COUNT])
{
	bool first = true;
	for (int v = 0; v < BL_RV_COUNT; v++) {
		if (!counts[v])
			continue;
		fprintf(f, "%s%zu %s", first ? "" : ", ", counts[v], bl_report_verdict_name((enum bl_report_verdict)v));
		first = false;
	}
	if (first)
		fprintf(f, "nothing compared");
}

enum bl_better cli_metric_direction(enum bl_better recorded, const char *unit)
{
	return bl_metric_direction(recorded, unit);
}

static void format_percent(double f, char *out, size_t size)
{
	snprintf(out, size, "%g%%", f * 100);
}

int cli_analysis_init(struct cli_analysis *an, const char *cmd, const struct cli_context *ctx, bool config_required,
		      const char *alpha_opt, const char *floor_opt)
{
	memset(an, 0, sizeof(*an));
	bl_analysis_defaults(&an->cfg);
	if (ctx && ctx->config_path && (config_required || access(ctx->config_path, F_OK) == 0)) {
		struct bl_config cfg;
		struct bl_error err = {{0}};
		if (bl_config_load(ctx->config_path, &cfg, &err)) {
			cli_error("%s", err.msg);
			return -1;
		}
		an->cfg = cfg.analysis;
		memset(&cfg.analysis, 0, sizeof(cfg.analysis)); /* now owned by an */
		bl_config_release(&cfg);
		an->have_config = true;
	}
	an->alpha = an->cfg.alpha;
	if (alpha_opt) {
		char *end;
		double a = strtod(alpha_opt, &end);
		if (!*alpha_opt || *end || !(a > 0 && a < 0.5)) {
			cli_usage_error(cmd, "--alpha must be a probability between 0 and 0.5 such as 0.01, got '%s'",
					alpha_opt);
			return -1;
		}
		an->alpha = a;
	}
	if (floor_opt) {
		if (bl_parse_percent(floor_opt, &an->forced_floor)) {
			cli_usage_error(cmd, "--noise-floor must be a percentage such as 1%% or 0.5%%, got '%s'",
					floor_opt);
			return -1;
		}
		an->floor_forced = true;
		format_percent(an->forced_floor, an->floor_text, sizeof(an->floor_text));
	} else {
		format_percent(an->cfg.noise_floor, an->floor_text, sizeof(an->floor_text));
		if (an->cfg.n_floors)
			snprintf(an->floor_text + strlen(an->floor_text), sizeof(an->floor_text) - strlen(an->floor_text),
				 " and per-metric floors");
	}
	return 0;
}

void cli_analysis_release(struct cli_analysis *an)
{
	for (size_t i = 0; i < an->cfg.n_floors; i++)
		free(an->cfg.floors[i].metric);
	free(an->cfg.floors);
	memset(an, 0, sizeof(*an));
}

double cli_analysis_floor(const struct cli_analysis *an, const char *metric)
{
	return an->floor_forced ? an->forced_floor : bl_analysis_floor(&an->cfg, metric);
}

void cli_csv_field(FILE *f, const char *s)
{
	bool quote = strpbrk(s, ",\"\n\r") != NULL;
	/* Cells a spreadsheet would evaluate as a formula are neutralised. */
	bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
	if (!quote && !formula) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}
