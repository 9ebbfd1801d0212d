/*
 * words.c - bl_split_words: a command string split into words the way sh would, without any expansion, so that a
 * command can be written as one line in benchline.yaml and still be run without a shell.
 */
#include "benchline/config.h"

#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Reads one quoted part starting at the quote *s; returns where it ends, or NULL when the quote is not closed. */
static const char *read_quoted(const char *s, struct bl_buf *word)
{
	char quote = *s++;
	for (; *s != quote; s++) {
		if (!*s)
			return NULL;
		/* Inside double quotes, as in sh, a backslash only escapes the characters that are special there. */
		if (quote == '"' && *s == '\\' && s[1] && strchr("\"\\$`", s[1]))
			s++;
		bl_buf_putc(word, *s);
	}
	return s + 1;
}

int bl_split_words(const char *s, struct bl_strvec *out, struct bl_error *err)
{
	struct bl_strvec words = {0};
	struct bl_buf word;
	bool in_word = false;
	bl_buf_init(&word);
	for (const char *c = s; *c;) {
		if (c[0] == '\\' && c[1] == '\n') {
			c += 2; /* a backslash-newline continues the line, as in sh */
			continue;
		}
		if (is_space(*c)) {
			if (in_word)
				bl_strvec_push_owned(&words, bl_buf_detach(&word));
			in_word = false;
			c++;
			continue;
		}
		in_word = true;
		if (*c == '\'' || *c == '"') {
			const char *end = read_quoted(c, &word);
			if (!end) {
				bl_fail(err, "unclosed %s quote starting at character %zu (expected a closing %c)",
					*c == '"' ? "double" : "single", (size_t)(c - s) + 1, *c);
				goto fail;
			}
			c = end;
		} else if (*c == '\\') {
			if (!c[1]) {
				bl_fail(err, "lone backslash at the end (expected a character after it)");
				goto fail;
			}
			bl_buf_putc(&word, c[1]);
			c += 2;
		} else {
			bl_buf_putc(&word, *c++);
		}
	}
	if (in_word)
		bl_strvec_push_owned(&words, bl_buf_detach(&word));
	for (size_t i = 0; i < words.n; i++)
		bl_strvec_push_owned(out, words.v[i]);
	words.n = 0;
	bl_strvec_release(&words);
	bl_buf_release(&word);
	return 0;
fail:
	bl_strvec_release(&words);
	bl_buf_release(&word);
	return -1;
}
