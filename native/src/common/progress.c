/* One human line per finished step, or one JSON log line per step (ais/progress.h). */
#include "ais/progress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

ais_log_format ais_log_format_from_env(void)
{
    const char *chosen = getenv("AIS_LOG_FORMAT");
    if (chosen != NULL) {
        while (*chosen == ' ' || *chosen == '\t')
            chosen++;
        size_t n = strcspn(chosen, " \t\r\n");
        if (n == 4 && strncasecmp(chosen, "json", 4) == 0)
            return AIS_LOG_FORMAT_JSON;
        if (n == 5 && strncasecmp(chosen, "human", 5) == 0)
            return AIS_LOG_FORMAT_HUMAN;
    }
    return env_set("KUBERNETES_SERVICE_HOST") || env_set("AIRFLOW_CTX_DAG_ID")
               ? AIS_LOG_FORMAT_JSON
               : AIS_LOG_FORMAT_HUMAN;
}

void ais_progress_init(ais_progress *p, const char *command, ais_log_format format, FILE *out,
                       ais_logger *logger)
{
    if (p == NULL)
        return;
    memset(p, 0, sizeof *p);
    p->command = command != NULL ? command : "";
    p->format = format;
    p->out = out != NULL ? out : stderr;
    p->logger = logger;
}

void ais_progress_begin(ais_progress *p, size_t total)
{
    if (p == NULL)
        return;
    p->total = total;
    p->done = 0;
    p->seconds = 0;
    p->running = false;
}

void ais_progress_format_line(char *buf, size_t size, size_t index, size_t total,
                              const char *label, double seconds, bool failed, double eta_seconds)
{
    char counter[48];
    if (total > 0)
        snprintf(counter, sizeof counter, "[%zu/%zu]", index, total);
    else
        snprintf(counter, sizeof counter, "[%zu]", index);
    char eta[48] = "";
    if (eta_seconds >= 0.5) {
        long left = lround(eta_seconds);
        if (left >= 60)
            snprintf(eta, sizeof eta, " (~%ld min %ld s left)", left / 60, left % 60);
        else
            snprintf(eta, sizeof eta, " (~%ld s left)", left);
    }
    snprintf(buf, size, "%s %s \u2026 %s%.1f s%s", counter, label, failed ? "failed after " : "",
             seconds, eta);
}

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void finish_step(ais_progress *p, bool failed)
{
    double seconds = since(&p->started);
    p->running = false;
    p->done++;
    p->seconds += seconds;
    if (p->format == AIS_LOG_FORMAT_JSON) {
        if (p->logger != NULL)
            ais_log(p->logger, failed ? AIS_LOG_WARNING : AIS_LOG_INFO,
                    failed ? "step_failed" : "step_done", AIS_F_STR("command", p->command),
                    AIS_F_STR("step", p->label), AIS_F_INT("index", (int64_t)p->done),
                    AIS_F_INT("total", (int64_t)p->total), AIS_F_DBL("seconds", seconds),
                    AIS_F_END);
        return;
    }
    double eta = -1;
    if (!failed && p->total > p->done)
        eta = p->seconds / (double)p->done * (double)(p->total - p->done);
    char line[512];
    ais_progress_format_line(line, sizeof line, p->done, p->total, p->label, seconds, failed, eta);
    fprintf(p->out, "%s\n", line);
    fflush(p->out);
}

void ais_progress_next(ais_progress *p, const char *label)
{
    if (p == NULL)
        return;
    if (p->running)
        finish_step(p, false);
    snprintf(p->label, sizeof p->label, "%s%s%s", p->command, p->command[0] ? " " : "",
             label != NULL ? label : "");
    clock_gettime(CLOCK_MONOTONIC, &p->started);
    p->running = true;
}

void ais_progress_end(ais_progress *p, bool failed)
{
    if (p != NULL && p->running)
        finish_step(p, failed);
}
