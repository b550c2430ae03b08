/*
 * finmon.h -- the C ABI of libfinmon, finmon's monitoring core.
 *
 * Conventions
 *  - Every fallible call returns int: FINMON_OK (0) or a positive note on success, a
 *    negative finmon_status on failure. Out-parameters come last and are left untouched
 *    on failure. finmon_last_error() then holds a message for the calling thread, and
 *    finmon_error_last() the status, message and (for a config error) location.
 *  - Handles are opaque and checked on every call: a freed or made-up handle is an
 *    error (FINMON_E_INVALID_HANDLE), never a crash. No input can make the library trap.
 *  - Strings passed in are NUL-terminated UTF-8 and borrowed for the call only.
 *    Strings the library returns through `char **` are owned by the caller and freed
 *    with finmon_string_free(). Free functions accept NULL.
 *  - Every function may be called from any thread.
 */
#ifndef FINMON_H
#define FINMON_H

/* The declarations live in parts, one per section, as libgit2's git2.h includes the
   headers of git2/: this is the one header to include. */
#include "finmon/types.h"
#include "finmon/library.h"
#include "finmon/collector.h"
#include "finmon/multiprocess.h"
#include "finmon/exporter.h"
#include "finmon/events.h"
#include "finmon/metrics.h"
#include "finmon/series.h"
#include "finmon/loop.h"
#include "finmon/config.h"
#include "finmon/containers.h"
#include "finmon/resources.h"
#include "finmon/alerts.h"
#include "finmon/runtime.h"
#include "finmon/settings.h"

#endif /* FINMON_H */
