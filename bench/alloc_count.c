/*
 * alloc_count.c — an LD_PRELOAD shim for bench/allocs.sh: counts the heap
 * allocations (malloc, calloc, realloc, aligned_alloc) of the process it
 * is loaded into, and on SIGUSR2 writes "ALLOCS N" to stderr and starts
 * the count again. (SIGUSR2: the fusekit tool keeps SIGUSR1 for itself.)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* glibc's own entry points, which the wrappers below hand on to. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

static atomic_long allocs;

void *malloc(size_t size)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	return __libc_memalign(align, size);
}

static void report(int sig)
{
	(void)sig;
	char line[48];
	int n = snprintf(line, sizeof line, "ALLOCS %ld\n", atomic_exchange(&allocs, 0));
	if (write(2, line, (size_t)n) < 0) {
		/* nowhere to say it */
	}
}

__attribute__((constructor)) static void start(void)
{
	(void)signal(SIGUSR2, report);
}
