/* clock.h - wall clock seconds and a monotonic microsecond clock for latency. */
#ifndef RS_CLOCK_H
#define RS_CLOCK_H
#include <stdint.h>

int64_t rs_clock_now(void);      /* seconds since the epoch */
uint64_t rs_clock_mono_us(void); /* monotonic microseconds */
struct timespec;
/* The CLOCK_REALTIME instant us microseconds from now: the deadline pthread_cond_timedwait takes. */
void rs_clock_deadline(struct timespec *out, uint64_t us);

#endif
