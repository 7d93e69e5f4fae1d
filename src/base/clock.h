/* clock.h - wall clock seconds and a monotonic microsecond clock for latency. */
#ifndef RS_CLOCK_H
#define RS_CLOCK_H
#include <stdint.h>

int64_t rs_clock_now(void);      /* seconds since the epoch */
uint64_t rs_clock_mono_us(void); /* monotonic microseconds */

#endif
