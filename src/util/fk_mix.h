/*
 * fk_mix.h — a 64-bit mixer (splitmix64's finalizer), for numbers that
 * must spread over all 64 bits: the union's random policies and inode
 * number hashes, and the version of a file's contents that cache=auto
 * compares across opens (fk_cache_keep.h).
 */
#ifndef FK_MIX_H
#define FK_MIX_H

#include <stdint.h>

/** z's bits spread over all 64; a bijection. */
static inline uint64_t fk_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* FK_MIX_H */
