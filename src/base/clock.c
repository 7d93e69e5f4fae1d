/* clock.c - see clock.h. */
#include "base/clock.h"
#include <time.h>

int64_t rs_clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (int64_t)ts.tv_sec;
}

void rs_clock_deadline(struct timespec *out, uint64_t us)
{
    clock_gettime(CLOCK_REALTIME, out);
    uint64_t ns = (uint64_t)out->tv_nsec + us * 1000u;
    out->tv_sec += (time_t)(ns / 1000000000u);
    out->tv_nsec = (long)(ns % 1000000000u);
}

uint64_t rs_clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
