/*
 * finmon/events.h -- Events.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_EVENTS_H
#define FINMON_EVENTS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Events ----------------------------------------------------------------------- */

/* Waits up to timeout_seconds for the next log or alert event and returns it as a JSON
   object {"level","logger","message","data"} in *out (caller frees with
   finmon_string_free), or *out = NULL on timeout or once the queue is closed. Blocking:
   call it from a thread of your own. */
int finmon_events_next(finmon_collector *collector, double timeout_seconds, char **out);

/* Wakes every finmon_events_next waiter; later calls return at once. */
int finmon_events_close(finmon_collector *collector);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_EVENTS_H */
