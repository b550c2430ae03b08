/*
 * finmon/library.h -- Library.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_LIBRARY_H
#define FINMON_LIBRARY_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Library ---------------------------------------------------------------------- */

/* "MAJOR.MINOR.PATCH". Static storage: do not free. */
const char *finmon_version(void);

/* The calling thread's message for its last failed call; "" if none. Never NULL.
   Owned by the library and valid until the thread's next failing call: do not free. */
const char *finmon_last_error(void);

/* The details of the calling thread's last failed call, in the manner of libgit2's
   git_error_last(): always its status and message; for FINMON_E_CONFIG also where the
   problem is, so a host need not parse the message. */
typedef struct finmon_error {
    int status;           /* the call's finmon_status; FINMON_OK while no call failed */
    const char *message;  /* what finmon_last_error() returns; never NULL */
    const char *file;     /* config errors: the file (or the name given to config text); else NULL */
    int line;             /* config errors: 1-based line; 0 when there is none (an unreadable file) */
    int column;           /* config errors: 1-based column; 0 when unknown */
    const char *key_path; /* config errors: the dotted key, e.g. "alerts.high_cpu.threshold"; NULL when
                             the error is not about one key */
    const char *reason;   /* config errors: the problem without its location; else NULL */
} finmon_error;

/* Never NULL. Owned by the library and valid, with its strings, until the calling
   thread's next failing call: do not free. */
const finmon_error *finmon_error_last(void);

/* Frees a string the library returned. NULL is ignored. */
void finmon_string_free(char *string);

/* Call in a forked child (e.g. from os.register_at_fork(after_in_child=...)): the parent's
   threads do not exist there; this forgets them so the child can start its own. */
void finmon_after_fork_child(void);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_LIBRARY_H */
