/* linecount.c - the command-line tool of the example: prints the number of
 * lines of each file, like `wc -l`, reading in blocks of BLOCK bytes. */
#include <stdio.h>

#ifndef BLOCK
#define BLOCK 65536
#endif

int main(int argc, char **argv)
{
	static char buf[BLOCK];
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			rc = 1;
			continue;
		}
		unsigned long lines = 0;
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			for (size_t k = 0; k < n; k++)
				lines += buf[k] == '\n';
		fclose(f);
		printf("%lu %s\n", lines, argv[i]);
	}
	return rc;
}
