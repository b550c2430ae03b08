/* A worker process for bench_multiprocess.py's instruction counts: attaches to the run at
   argv[1], then forks argv[2] workers one after another; each counts 10 jobs, observes 5
   durations, sets a gauge and detaches, as the Python workers of the timed part do. It runs
   outside valgrind (an exec'd child is not traced), so only the parent's scrapes are counted. */
#define _POSIX_C_SOURCE 200809L
#include <finmon.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    finmon_collector *worker = NULL;
    finmon_metric *jobs = NULL, *depth = NULL, *seconds = NULL;
    finmon_series *count = NULL, *level = NULL, *latency = NULL;
    if (argc < 3 || finmon_worker_attach(argv[1], &worker) != FINMON_OK ||
        finmon_metric_register(worker, FINMON_COUNTER, "jobs", "Jobs.", NULL, 0, NULL, 0, &jobs) != FINMON_OK ||
        finmon_metric_register(worker, FINMON_GAUGE, "depth", "Depth.", NULL, 0, NULL, 0, &depth) != FINMON_OK ||
        finmon_metric_register(worker, FINMON_HISTOGRAM, "job_seconds", "Job time.", NULL, 0, NULL, 0, &seconds) != FINMON_OK ||
        finmon_metric_labels(jobs, NULL, NULL, 0, &count) != FINMON_OK ||
        finmon_metric_labels(depth, NULL, NULL, 0, &level) != FINMON_OK ||
        finmon_metric_labels(seconds, NULL, NULL, 0, &latency) != FINMON_OK) {
        fprintf(stderr, "%s\n", finmon_last_error());
        return 1;
    }
    int restarts = atoi(argv[2]);
    for (int i = 0; i < restarts; i++) {
        pid_t pid = fork();
        if (pid < 0) return 2;
        if (pid == 0) {
            finmon_after_fork_child();
            for (int j = 0; j < 10; j++) finmon_series_inc(count, 1);
            finmon_series_set(level, 3);
            for (int j = 0; j < 5; j++) finmon_series_observe(latency, 0.01 * j);
            finmon_worker_detach();
            _exit(0);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 3;
    }
    finmon_worker_detach();
    return 0;
}
