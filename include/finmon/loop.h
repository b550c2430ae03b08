/*
 * finmon/loop.h -- Loop hooks and diversity.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_LOOP_H
#define FINMON_LOOP_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Loop hooks and diversity ----------------------------------------------------- */

/* The hooks never stop the loop. A value a hook cannot use (NaN or an infinity, a
   negative count, unique_count > total_count, a negative iteration) is skipped, the rest
   is recorded, the status is FINMON_OK, and the skip is counted in
   finmon_rejected_values_total{hook,reason} with one "warning" event per hook and reason
   (then at most one a minute). An iteration below the last one recorded is a loop
   restart: the success window starts over, champion staleness counts from the restart
   iteration. A collector made strict with finmon_collector_set_strict refuses such a call
   instead (FINMON_E_INVALID_ARGUMENT, nothing changed), as tests want. NULL or freed
   handles, unknown flag bits and the like are FINMON_E_* in either mode. */

/* strict non-zero: hooks refuse values they cannot use instead of skipping them. */
int finmon_collector_set_strict(finmon_collector *collector, int strict);
/* *strict = 1 when the collector is strict, else 0. */
int finmon_collector_strict(finmon_collector *collector, int *strict);

/* Bits of finmon_loop_record_iteration's flags: which optional figures are present (a
   flag rather than a NaN sentinel, because NaN is a value the hooks must refuse). */
typedef enum finmon_loop_flag {
    FINMON_LOOP_HAS_SHARPE = 1,
    FINMON_LOOP_HAS_MAX_DRAWDOWN = 2
} finmon_loop_flag;

/* Records one iteration's outcome in one call: observes execution_time_seconds, counts
   strategy_success_total or strategy_failure_total, sets strategy_success_rate (over the
   last N outcomes, N = the success window, default 10), strategy_sharpe_ratio and
   strategy_max_drawdown (only when their flag is set), loop_iteration, and moves
   champion_staleness_iterations to this iteration. success is 0 (failure) or non-zero.
   Skipped (refused when strict): iteration < 0 (the outcome counts, loop_iteration stays),
   execution_seconds negative or not finite (not observed), a flagged sharpe or
   max_drawdown that is not finite (not set); an iteration before the last recorded one is
   a restart (an equal one is an ordinary second outcome). Unknown flag bits:
   FINMON_E_INVALID_ARGUMENT. */
int finmon_loop_record_iteration(finmon_collector *collector, int64_t iteration, int success,
                                 double execution_seconds, double sharpe, double max_drawdown, int flags);

/* Sets the rolling success-rate window (iterations, >= 1) and the diversity history size
   (values kept, >= 1). Meant for start-up: a changed size starts that rolling state over
   (the registry's counters keep their values). */
int finmon_loop_configure(finmon_collector *collector, int64_t success_window, int64_t history_size);

/* The success fraction over the outcomes in the window so far (the gauge's value), NaN
   before the first outcome; *window_full (may be NULL) is 1 once the window holds N
   outcomes, which is when the alert rule considers the rate. */
int finmon_loop_success_rate(finmon_collector *collector, double *rate, int *window_full);

/* DiversityMonitor.record_diversity: keeps the sample in a bounded history (default 1,000)
   and sets population_diversity, unique_strategy_count, population_size and
   champion_staleness_iterations. Skipped (refused when strict): diversity NaN or outside
   [0, 1] (no sample, the counts are still set), a negative count or unique_count >
   total_count (that gauge stays), iteration < 0 (the gauges are set, the history takes no
   sample); an iteration before the last recorded diversity iteration is a restart. */
int finmon_diversity_record(finmon_collector *collector, int64_t iteration, double diversity,
                            int64_t unique_count, int64_t total_count);

/* DiversityMonitor.record_champion_update: counts champion_updates_total, sets
   champion_sharpe_ratio to new_sharpe and resets the staleness. old_sharpe is read only
   when has_old_sharpe is non-zero (0 for the first champion). Skipped (refused when
   strict): a new_sharpe that is not finite (the update counts, the ratio stays), an
   old_sharpe that is not finite such as -inf for "no champion yet" (read as none),
   iteration < 0 (the staleness reference stays); an iteration before the last champion
   update is a restart. */
int finmon_diversity_record_champion_update(finmon_collector *collector, int64_t iteration,
                                            int has_old_sharpe, double old_sharpe, double new_sharpe);

/* *out = 1 when each of the last `window` recorded diversity values is below threshold,
   else 0 (also while fewer than `window` values are held). O(window). window must be
   >= 1 and threshold not NaN (FINMON_E_INVALID_ARGUMENT). */
int finmon_diversity_check_collapse(finmon_collector *collector, int window, double threshold, int *out);

/* DiversityMonitor.calculate_staleness: *out = max(0, current - last_update) (saturating),
   also written to champion_staleness_iterations. A negative iteration is skipped (*out =
   0, the gauge stays; refused when strict). */
int finmon_diversity_staleness(finmon_collector *collector, int64_t current_iteration,
                               int64_t last_update_iteration, int64_t *out);

/* Population diversity of `rows` vectors of `cols` parameters each, row-major in `values`,
   within the search space's bounds: parameter d ranges over lower[d]..upper[d] (`cols`
   values each; all three arrays borrowed for the call, not copied). With
   y = clamp((x - lower) / (upper - lower), 0, 1) (0 for a parameter with lower == upper):
       diversity = min(1, sqrt(4 / (N^2 * L) * sum_{i<j} ||y_i - y_j||^2))
                 = 2 * sqrt(mean over parameters of the population variance of y),
   computed in O(N * L). Scaled by the bounds, never by the population's own spread, so a
   population converged within 1% of the space scores about 0.01. 0 for identical vectors
   or N = 1, 1 at most. FINMON_E_INVALID_ARGUMENT for rows or cols 0, a non-finite value,
   rows * cols overflowing, a bound that is not finite or lower[d] > upper[d]. */
int finmon_diversity_compute(const double *values, size_t rows, size_t cols, const double *lower,
                             const double *upper, double *out);

/* The minimum (lower[d]) and maximum (upper[d]) of each parameter over `rows` vectors of
   `cols` values, row-major in `values`: the bounds to freeze from a reference population
   when the search space has none. lower and upper receive `cols` values each (untouched on
   failure). Errors as finmon_diversity_compute. */
int finmon_diversity_ranges(const double *values, size_t rows, size_t cols, double *lower, double *upper);

/* Genotype diversity of `rows` strategies of `cols` non-numeric genes each, row-major in
   `codes` (equal codes are equal genes): the mean normalised Hamming distance over all
   pairs of distinct strategies, counted per position in O(N * L). 0 when all are equal or
   N = 1, 1 when every two strategies differ at every position. FINMON_E_INVALID_ARGUMENT
   for rows or cols 0 or rows * cols overflowing. */
int finmon_diversity_genotype(const uint64_t *codes, size_t rows, size_t cols, double *out);

/* Distinct fingerprints over all of them, compared as bytes: fingerprints[i] has
   lengths[i] bytes (NUL allowed; NULL only when its length is 0), borrowed for the call.
   *fraction is 0 for count 0; *unique_count (may be NULL) receives the distinct count. */
int finmon_diversity_unique_fraction(const char *const *fingerprints, const size_t *lengths, size_t count,
                                     double *fraction, size_t *unique_count);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_LOOP_H */
