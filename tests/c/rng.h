/*
 * rng.h - a small deterministic random generator (xorshift64) for the unit
 * tests and benchmarks: the same numbers on every run.  Define RNG_SEED
 * before including it to choose the sequence.
 */
#ifndef TAILINGS_TEST_RNG_H
#define TAILINGS_TEST_RNG_H

#include <stdint.h>

#ifndef RNG_SEED
#define RNG_SEED 0x9e3779b97f4a7c15ULL
#endif

static uint64_t rng_state = RNG_SEED;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* uniform in [a, b) */
static double
rng_in(double a, double b)
{
	return a + (b - a) * (double) (rng() >> 11) / 9007199254740992.0;
}

#endif
