/*
 * fk_soak.c — a data-integrity soak: random operations on a few files,
 * checked against an in-memory model after every step.
 *
 *     fk_soak [-k] DIR [OPS [SEED]]   (defaults: 100000 operations, seed 1)
 *
 * -k keeps files DIR/soak-N that exist (up to 1 MiB): the model starts
 * from their contents (an overlay test puts some in its lower layer).
 *
 * Operations: pwrite, pread, truncate (grow and shrink), fallocate (plain,
 * KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE), copy_file_range, and writes through
 * a shared mmap. After each step the size is checked with fstat and the
 * bytes the step touched are read back and compared with the model; every
 * 1000 steps, and at the end, whole files are compared. The first mismatch
 * stops the run with a description of the step, its offset, and the seed
 * to reproduce it. The last line is "N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NFILES 4
#define MAXSIZE (1u << 20) /* model files stay under 1 MiB */

struct model {
	int fd;
	uint8_t *data; /* MAXSIZE bytes; data[size..] is zero */
	size_t size;
	char path[4096];
};

static struct model files[NFILES];
static uint64_t rng_state;
static long step_no;
static unsigned seed;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void fail(const char *what, int file, size_t off, size_t len)
{
	fprintf(stderr, "MISMATCH at step %ld (seed %u): %s on file %d, "
		"offset %zu, length %zu: %s\n",
		step_no, seed, what, file, off, len, strerror(errno));
	printf("0 passed, 1 failed\n");
	exit(1);
}

/* Compare [off, off+len) of file i with the model (and the size). */
static void check(int i, size_t off, size_t len, const char *what)
{
	struct model *m = &files[i];
	struct stat st;
	if (fstat(m->fd, &st) < 0 || (size_t)st.st_size != m->size) {
		fprintf(stderr, "size is %lld, model says %zu\n",
			(long long)st.st_size, m->size);
		fail(what, i, 0, 0);
	}
	static uint8_t buf[MAXSIZE];
	if (off > m->size)
		return;
	if (off + len > m->size)
		len = m->size - off;
	ssize_t n = pread(m->fd, buf, len, (off_t)off);
	if (n != (ssize_t)len)
		fail(what, i, off, len);
	if (memcmp(buf, m->data + off, len) != 0) {
		size_t k = 0;
		while (buf[k] == m->data[off + k])
			k++;
		fprintf(stderr, "first differing byte at %zu: file %02x, model %02x\n",
			off + k, buf[k], m->data[off + k]);
		fail(what, i, off, len);
	}
}

static void set_size(struct model *m, size_t size)
{
	if (size < m->size)
		memset(m->data + size, 0, m->size - size);
	m->size = size;
}

static void op_write(int i)
{
	struct model *m = &files[i];
	size_t off = below(MAXSIZE - 1), len = 1 + below(65536);
	if (off + len > MAXSIZE)
		len = MAXSIZE - off;
	static uint8_t buf[65536];
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)rnd();
	if (pwrite(m->fd, buf, len, (off_t)off) != (ssize_t)len)
		fail("pwrite", i, off, len);
	memcpy(m->data + off, buf, len);
	if (off + len > m->size)
		m->size = off + len;
	check(i, off, len, "pwrite");
}

static void op_read(int i)
{
	size_t off = below(files[i].size + 1), len = 1 + below(131072);
	check(i, off, len, "pread");
}

static void op_truncate(int i)
{
	struct model *m = &files[i];
	size_t size = below(MAXSIZE);
	if (ftruncate(m->fd, (off_t)size) < 0)
		fail("ftruncate", i, size, 0);
	set_size(m, size);
	check(i, size > 4096 ? size - 4096 : 0, 8192, "ftruncate");
}

static void op_fallocate(int i)
{
	struct model *m = &files[i];
	static const int modes[] = { 0, FALLOC_FL_KEEP_SIZE,
				     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				     FALLOC_FL_ZERO_RANGE };
	int mode = modes[below(4)];
	size_t off = below(MAXSIZE - 1), len = 1 + below(200000);
	if (off + len > MAXSIZE)
		len = MAXSIZE - off;
	if (fallocate(m->fd, mode, (off_t)off, (off_t)len) < 0) {
		if (errno == EOPNOTSUPP)
			return; /* the host cannot: nothing changed */
		fail("fallocate", i, off, len);
	}
	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		size_t end = off + len < m->size ? off + len : m->size;
		if (off < end)
			memset(m->data + off, 0, end - off);
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > m->size)
		m->size = off + len; /* the new range reads as zeros */
	check(i, off, len, "fallocate");
}

static void op_copy(int i)
{
	int j = (int)below(NFILES);
	struct model *a = &files[i], *b = &files[j];
	if (a->size == 0)
		return;
	size_t off_in = below(a->size), len = 1 + below(100000);
	if (off_in + len > a->size)
		len = a->size - off_in;
	size_t off_out = below(MAXSIZE - len);
	if (i == j && off_in < off_out + len && off_out < off_in + len)
		return; /* overlapping ranges in one file are refused */
	loff_t oi = (loff_t)off_in, oo = (loff_t)off_out;
	size_t done = 0;
	while (done < len) {
		ssize_t n = copy_file_range(a->fd, &oi, b->fd, &oo, len - done, 0);
		if (n <= 0)
			fail("copy_file_range", i, off_in, len);
		done += (size_t)n;
	}
	memmove(b->data + off_out, a->data + off_in, len);
	if (off_out + len > b->size)
		b->size = off_out + len;
	check(j, off_out, len, "copy_file_range");
}

static void op_mmap(int i)
{
	struct model *m = &files[i];
	if (m->size < 8192)
		return;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = m->size - m->size % pg;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED)
		fail("mmap", i, 0, len);
	size_t off = below(len - 1), n = 1 + below(16384);
	if (off + n > len)
		n = len - off;
	for (size_t k = 0; k < n; k++) {
		uint8_t v = (uint8_t)rnd();
		p[off + k] = v;
		m->data[off + k] = v;
	}
	if (msync(p, len, MS_SYNC) < 0)
		fail("msync", i, off, n);
	munmap(p, len);
	check(i, off, n, "mmap write");
}

int main(int argc, char **argv)
{
	int keep = argc > 1 && !strcmp(argv[1], "-k");
	argc -= keep;
	argv += keep;
	if (argc < 2) {
		fprintf(stderr, "usage: fk_soak [-k] DIR [OPS [SEED]]\n");
		return 2;
	}
	long ops = argc > 2 ? atol(argv[2]) : 100000;
	seed = argc > 3 ? (unsigned)atol(argv[3]) : 1;
	rng_state = 0x9e3779b97f4a7c15ULL ^ seed;
	for (int i = 0; i < NFILES; i++) {
		struct model *m = &files[i];
		snprintf(m->path, sizeof m->path, "%s/soak-%d", argv[1], i);
		m->fd = open(m->path, O_RDWR | O_CREAT | (keep ? 0 : O_TRUNC), 0644);
		m->data = calloc(1, MAXSIZE);
		if (m->fd < 0 || !m->data) {
			perror(m->path);
			return 1;
		}
		struct stat st;
		if (fstat(m->fd, &st) < 0 || st.st_size > (off_t)MAXSIZE) {
			fprintf(stderr, "%s: cannot stat, or larger than 1 MiB\n",
				m->path);
			return 1;
		}
		m->size = (size_t)st.st_size;
		if (m->size && pread(m->fd, m->data, m->size, 0) != (ssize_t)m->size) {
			perror(m->path);
			return 1;
		}
	}
	void (*const opsv[])(int) = { op_write, op_write, op_read, op_read,
				      op_truncate, op_fallocate, op_copy, op_mmap };
	for (step_no = 1; step_no <= ops; step_no++) {
		int i = (int)below(NFILES);
		opsv[below(sizeof opsv / sizeof opsv[0])](i);
		if (step_no % 1000 == 0)
			for (int k = 0; k < NFILES; k++)
				check(k, 0, MAXSIZE, "whole-file check");
	}
	for (int k = 0; k < NFILES; k++) {
		check(k, 0, MAXSIZE, "final check");
		close(files[k].fd);
		free(files[k].data);
	}
	printf("soak: %ld operations on %d files matched the model\n", ops, NFILES);
	printf("1 passed, 0 failed\n");
	return 0;
}
