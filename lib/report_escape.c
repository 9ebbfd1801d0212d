/* report_escape.c - untrusted text made safe for HTML, JSON in <script>,
 * and markdown; numbers for the pages; sparklines; the compact number
 * stream of series pages (report.h). */
#include "benchline/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Length of the valid UTF-8 sequence at s (1-4) and its code point, or 0
 * when the bytes there are not valid UTF-8 (overlong, surrogate, > U+10FFFF,
 * cut short). */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	unsigned min;
	if ((c & 0xe0) == 0xc0)
		len = 2, min = 0x80, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		len = 3, min = 0x800, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

void bl_html_escape(struct bl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		unsigned cp;
		size_t len = utf8_next(p, &cp);
		if (len == 0) {
			bl_buf_puts(b, REPLACEMENT);
			p++;
			continue;
		}
		switch (cp) {
		case '&': bl_buf_puts(b, "&amp;"); break;
		case '<': bl_buf_puts(b, "&lt;"); break;
		case '>': bl_buf_puts(b, "&gt;"); break;
		case '"': bl_buf_puts(b, "&quot;"); break;
		case '\'': bl_buf_puts(b, "&#39;"); break;
		default:
			if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f)
				bl_buf_puts(b, REPLACEMENT);
			else
				bl_buf_append(b, p, len);
		}
		p += len;
	}
}

void bl_json_string(struct bl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	bl_buf_putc(b, '"');
	while (*p) {
		unsigned cp;
		size_t len = utf8_next(p, &cp);
		if (len == 0) {
			bl_buf_puts(b, "\\ufffd");
			p++;
			continue;
		}
		switch (cp) {
		case '"': bl_buf_puts(b, "\\\""); break;
		case '\\': bl_buf_puts(b, "\\\\"); break;
		case '\n': bl_buf_puts(b, "\\n"); break;
		case '\t': bl_buf_puts(b, "\\t"); break;
		/* No "</script>", "<!--" or "]]>" can form, and the text is inert
		 * in an attribute too. */
		case '<': bl_buf_puts(b, "\\u003c"); break;
		case '>': bl_buf_puts(b, "\\u003e"); break;
		case '&': bl_buf_puts(b, "\\u0026"); break;
		case '\'': bl_buf_puts(b, "\\u0027"); break;
		case 0x2028: bl_buf_puts(b, "\\u2028"); break;
		case 0x2029: bl_buf_puts(b, "\\u2029"); break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				bl_buf_printf(b, "\\u%04x", cp);
			else
				bl_buf_append(b, p, len);
		}
		p += len;
	}
	bl_buf_putc(b, '"');
}

void bl_md_escape(struct bl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		unsigned cp;
		size_t len = utf8_next(p, &cp);
		if (len == 0) {
			bl_buf_puts(b, REPLACEMENT);
			p++;
			continue;
		}
		switch (cp) {
		case '<': bl_buf_puts(b, "&lt;"); break;
		case '>': bl_buf_puts(b, "&gt;"); break;
		case '&': bl_buf_puts(b, "&amp;"); break;
		case '|': case '\\': case '`': case '*': case '_': case '[': case ']': case '~': case '#':
			bl_buf_putc(b, '\\');
			bl_buf_putc(b, (char)cp);
			break;
		case '@':
			/* "@name" would notify a GitHub user: a zero-width space breaks the mention */
			bl_buf_puts(b, "@\xe2\x80\x8b");
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				bl_buf_putc(b, ' ');
			else
				bl_buf_append(b, p, len);
		}
		p += len;
	}
}

void bl_json_number(struct bl_buf *b, double v)
{
	if (!isfinite(v)) {
		bl_buf_puts(b, "null");
		return;
	}
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%.6g", v);
	/* "%g" can give "1e+06": valid JSON. "-0" too. */
	bl_buf_puts(b, tmp);
}

const char *bl_spark_glyph(double v, double lo, double hi)
{
	static const char *const bars[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
					    "\u2585", "\u2586", "\u2587", "\u2588"};
	if (!isfinite(v))
		return " ";
	int level = hi > lo ? (int)lround((v - lo) / (hi - lo) * 7) : 3;
	return bars[level < 0 ? 0 : level > 7 ? 7 : level];
}

void bl_sparkline(const double *v, size_t n, const char *gap_char, struct bl_buf *out)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i])) {
			lo = v[i] < lo ? v[i] : lo;
			hi = v[i] > hi ? v[i] : hi;
		}
	for (size_t i = 0; i < n; i++)
		bl_buf_puts(out, isfinite(v[i]) ? bl_spark_glyph(v[i], lo, hi) : gap_char ? gap_char : " ");
}

size_t bl_report_series_buckets(const struct bl_report_series *s, size_t first_pos, size_t n_positions,
				size_t width, double *out)
{
	/* The measured points in [first_pos, first_pos + n_positions), split into width equal groups. */
	size_t lo = 0, hi = s->n_pts;
	while (lo < s->n_pts && s->pts[lo].pos < first_pos)
		lo++;
	while (hi > lo && s->pts[hi - 1].pos >= first_pos + n_positions)
		hi--;
	size_t n_meas = 0;
	for (size_t i = lo; i < hi; i++)
		n_meas += s->pts[i].sum.n > 0;
	if (n_meas == 0 || width == 0)
		return 0;
	size_t nb = n_meas < width ? n_meas : width;
	double *tmp = bl_xmalloc((n_meas / nb + 2) * sizeof(double));
	size_t k = 0, i = lo;
	for (size_t bkt = 0; bkt < nb; bkt++) {
		size_t want = (bkt + 1) * n_meas / nb - bkt * n_meas / nb, got = 0;
		while (got < want && i < hi) {
			if (s->pts[i].sum.n > 0)
				tmp[got++] = s->pts[i].sum.median;
			i++;
		}
		out[k++] = got ? bl_median_inplace(tmp, got) : NAN;
	}
	free(tmp);
	return k;
}

/* ---- the number stream ----------------------------------------------------------------------------------------- */

/* Printable ASCII but " & ' < > \: nothing in it needs escaping in JSON, in
 * HTML or inside <script>. The first half are final digits, the second half
 * continuation digits. */
const char BL_REPORT_DIGITS[2 * BL_REPORT_DIGITS_HALF + 1] =
	"!#$%()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";

void bl_report_put_uint(struct bl_buf *b, uint64_t v)
{
	char d[16]; /* 44^12 > 2^64 */
	size_t n = 0;
	while (v >= BL_REPORT_DIGITS_HALF) {
		d[n++] = BL_REPORT_DIGITS[BL_REPORT_DIGITS_HALF + v % BL_REPORT_DIGITS_HALF];
		v /= BL_REPORT_DIGITS_HALF;
	}
	d[n++] = BL_REPORT_DIGITS[v];
	if (n == 1)
		bl_buf_putc(b, d[0]);
	else
		bl_buf_append(b, d, n);
}

void bl_report_put_int(struct bl_buf *b, int64_t v)
{
	uint64_t z = v < 0 ? ((uint64_t)(-(v + 1)) << 1) | 1 : (uint64_t)v << 1;
	bl_report_put_uint(b, z);
}

int bl_report_get_uint(const char **p, uint64_t *v)
{
	uint64_t result = 0, scale = 1;
	for (;;) {
		const char *c = **p ? strchr(BL_REPORT_DIGITS, **p) : NULL;
		if (!c)
			return -1;
		size_t d = (size_t)(c - BL_REPORT_DIGITS);
		(*p)++;
		if (d < BL_REPORT_DIGITS_HALF) {
			*v = result + d * scale;
			return 0;
		}
		result += (d - BL_REPORT_DIGITS_HALF) * scale;
		scale *= BL_REPORT_DIGITS_HALF;
		if (scale > (1ULL << 58))
			return -1;
	}
}

double bl_report_quantum(const struct bl_report_series *s, bool coarse)
{
	double *med = bl_xmalloc((s->n_pts + 1) * sizeof(double)), *mad = bl_xmalloc((s->n_pts + 1) * sizeof(double));
	size_t n = 0;
	double max_abs = 0;
	for (size_t i = 0; i < s->n_pts; i++) {
		const struct bl_report_point *p = &s->pts[i];
		if (p->sum.n == 0)
			continue;
		med[n] = fabs(p->sum.median);
		mad[n] = p->sum.mad;
		n++;
		double a = fmax(fabs(p->sum.min), fabs(p->sum.max));
		max_abs = a > max_abs ? a : max_abs;
	}
	double q = 0;
	if (n) {
		double typ = bl_select_kth(med, n, n / 2), spread = bl_select_kth(mad, n, n / 2);
		if (typ == 0)
			typ = max_abs;
		q = typ > 0 ? pow(10, floor(log10(typ)) - 5) : 1;
		if (coarse && spread > 0) {
			double qm = pow(10, floor(log10(spread / 20)));
			q = qm > q ? qm : q;
		}
		while (max_abs / q > 1125899906842624.0) /* 2^50 */
			q *= 10;
	}
	free(med);
	free(mad);
	return q;
}
