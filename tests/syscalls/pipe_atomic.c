/* Pipe writes of at most PIPE_BUF bytes are atomic: records from several writers never mix. */
#include "lib/check.h"
#include <limits.h>

#define WRITERS 4
#define RECORDS 200
#define RECORD 512

int main(void)
{
	int p[2];
	must(pipe(p) == 0, "pipe");
	pid_t kids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		kids[w] = fork();
		must(kids[w] >= 0, "fork");
		if (kids[w] == 0) {
			close(p[0]);
			char rec[RECORD];
			for (int r = 0; r < RECORDS; r++) {
				memset(rec, 'a' + w, sizeof(rec));
				snprintf(rec, 16, "%c%05d", 'a' + w, r);
				rec[6] = 'a' + w;
				if (write(p[1], rec, sizeof(rec)) != sizeof(rec))
					_exit(1);
			}
			_exit(0);
		}
	}
	close(p[1]);

	/* Read everything; check each 512-byte record is one writer's, in per-writer order. */
	static char all[WRITERS * RECORDS * RECORD];
	size_t got = 0;
	ssize_t n;
	while ((n = read(p[0], all + got, sizeof(all) - got)) > 0)
		got += (size_t)n;
	printf("bytes read: %zu of %d\n", got, WRITERS * RECORDS * RECORD);
	int next[WRITERS] = { 0 };
	int mixed = 0, out_of_order = 0;
	for (size_t off = 0; off + RECORD <= got; off += RECORD) {
		char w = all[off];
		int idx = w - 'a';
		if (idx < 0 || idx >= WRITERS) {
			mixed++;
			continue;
		}
		for (int i = 6; i < RECORD; i++)
			if (all[off + i] != w) {
				mixed++;
				break;
			}
		if (atoi(all + off + 1) != next[idx])
			out_of_order++;
		next[idx]++;
	}
	printf("mixed records: %d, out of order: %d\n", mixed, out_of_order);
	for (int w = 0; w < WRITERS; w++)
		printf("writer %c: %d records\n", 'a' + w, next[w]);
	for (int w = 0; w < WRITERS; w++) {
		char label[32];
		snprintf(label, sizeof(label), "writer %c", 'a' + w);
		wait_and_report(label, kids[w]);
	}
	return 0;
}
