/*
 * finmon/multiprocess.h -- Worker pools: one exporter for a parent and its worker processes.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 *
 * A multiprocess run has one shared-memory segment (a file in /dev/shm named
 * finmon-<parent pid>-<random>, of a size fixed at creation) with one slot per live
 * process. Every write of the run's collectors also goes to the writing process's slot at
 * once, so a worker killed by SIGKILL loses only a write it was in the middle of. Before
 * each exposition the parent folds the slots of exited workers into the run's totals (the
 * slot is then reused) and shows counters and histograms summed over the run, gauges by
 * their finmon_gauge_mode over live processes. The parent's collector removes the segment's
 * name when it is freed; a segment left by a run whose parent died is removed by the next
 * run's parent.
 */
#ifndef FINMON_MULTIPROCESS_H
#define FINMON_MULTIPROCESS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Worker pools ------------------------------------------------------------------ */

/* How the parent of a multiprocess run shows a gauge that several processes set. */
typedef enum finmon_gauge_mode {
    FINMON_GAUGE_LATEST = 0, /* the value set last by any live process (the default) */
    FINMON_GAUGE_SUM = 1,    /* the sum over live processes (in-flight work, open containers) */
    FINMON_GAUGE_MAX = 2,    /* the largest value a live process holds */
    FINMON_GAUGE_MIN = 3,    /* the smallest value a live process holds */
    FINMON_GAUGE_WORKER = 4  /* one series per live process, labeled worker="<its slot>"; gone when it exits */
} finmon_gauge_mode;

/* Creates the collector of a multiprocess run's parent, with a new segment of `slots`
   process slots (0: 256; at most 65536) and `gauge_mode` as every gauge's default. Updates
   made in forked children (after finmon_after_fork_child) and in processes that join with
   finmon_worker_attach appear in this collector's exposition. FINMON_E_IO when the segment
   cannot be made. *out is owned by the caller: finmon_collector_free, which also removes
   the segment's name. */
int finmon_collector_new_multiprocess(int slots, finmon_gauge_mode gauge_mode, finmon_collector **out);

/* Joins the run whose segment is at `path` (borrowed; finmon_collector_multiprocess_info's
   "path", which a parent also puts in the FINMON_MULTIPROCESS environment variable): a
   collector whose updates reach the parent's exposition. FINMON_E_IO when the segment
   cannot be mapped or is not finmon's, FINMON_E_STATE when every slot belongs to a live
   process. *out is owned by the caller: finmon_collector_free (which does not remove the
   segment: the parent does). */
int finmon_worker_attach(const char *path, finmon_collector **out);

/* Call at a worker's exit (finmon's Python registers it): the process's counters and
   histograms join the run's totals and its slots are freed. Later writes of this process
   reach no slot. A worker that never calls it (killed) is folded by the parent once it is
   gone. Does nothing in the parent or outside a run. */
void finmon_worker_detach(void);

/* How the parent shows the gauge `name` (borrowed), replacing the default mode.
   FINMON_E_STATE for a collector that is not a multiprocess parent's;
   FINMON_E_INVALID_ARGUMENT for a mode that is not a finmon_gauge_mode. */
int finmon_collector_set_gauge_mode(finmon_collector *collector, const char *name, finmon_gauge_mode mode);

/* The run's segment as a JSON object: "path", "slot" (this process's), "size_bytes",
   "slots", "live_slots", "entries", "folded_workers", "claims", "dropped_entries",
   "unmirrored_writes"; the JSON "null" for a collector outside a run. *out is owned by the
   caller: finmon_string_free. */
int finmon_collector_multiprocess_info(finmon_collector *collector, char **out);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_MULTIPROCESS_H */
