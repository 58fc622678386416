/*
 * clock.h - the monotonic clock in seconds, for deadlines and timings.
 */
#ifndef TAILINGS_CLOCK_H
#define TAILINGS_CLOCK_H

#include <time.h>

static inline double
clock_mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

#endif
