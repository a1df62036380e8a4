/* Decoding a gridded file in a child process (decode_child.h).
 *
 * The child is a fork of the caller: it sets its limits, decodes, writes its result to a pipe
 * and leaves with _exit (no atexit handler, no stdio flush: the sinks' buffers and the Kafka
 * client it inherited are the parent's alone). The result goes back over a pipe rather than a
 * temporary file because a pipe leaves nothing to clean up when the child dies half-way, needs
 * no disk space or writable folder, and its end of file (the child's write end closed, by exit
 * or by death) is the one event the parent waits for; the results are small (one summary
 * struct, plus at most a few MB of S5P grid cells or ERA5 hours), which the parent reads while
 * the child runs, so a full pipe never blocks the child.
 *
 * Stream: a fixed header (magic, the decoder's status, reason, detail, the result's size and
 * its array's size), the result struct's bytes, then the array's bytes. The parent checks every
 * size against what it expects; a short or inconsistent stream is decoder_failed. */
#include "decode_child.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAGIC 0x41495344u /* "AISD" */
#define REASON_SIZE 64
#define DETAIL_SIZE 512
/* a result larger than this is not a summary of one file: decoder_failed */
#define MAX_STREAM_BYTES ((uint64_t)512 << 20)
#define FAULT_ENV "AIS_TEST_DECODE_FAULT"

typedef struct child_head {
    uint32_t magic;
    int32_t status;
    char reason[REASON_SIZE];
    char detail[DETAIL_SIZE];
    uint64_t out_size;
    uint64_t tail_bytes;
} child_head;

static _Thread_local char reason_store[REASON_SIZE];

static bool sanitized_build(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

static ais_status positive(const ais_config *cfg, const char *key, long def, long *out,
                           char *errbuf, size_t errbuf_size)
{
    if (ais_config_get(cfg, key) == NULL) {
        *out = def;
        return AIS_OK;
    }
    if (ais_config_get_long(cfg, key, out) != AIS_OK || *out <= 0 || *out > 1000000)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "%s must be a positive integer", key);
    return AIS_OK;
}

ais_status ais_decode_limits_from_config(const ais_config *cfg, ais_decode_limits *out,
                                         bool *isolate, char *errbuf, size_t errbuf_size)
{
    if (cfg == NULL || out == NULL || isolate == NULL)
        return AIS_ERR_INVALID_ARG;
    *isolate = true;
    if (ais_config_get(cfg, "ingest_decode.isolate") != NULL &&
        ais_config_get_bool(cfg, "ingest_decode.isolate", isolate) != AIS_OK)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "ingest_decode.isolate must be true or false");
    ais_status st = positive(cfg, "ingest_decode.cpu_seconds", AIS_DECODE_DEFAULT_CPU_SECONDS,
                             &out->cpu_seconds, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = positive(cfg, "ingest_decode.memory_mb", AIS_DECODE_DEFAULT_MEMORY_MB,
                      &out->memory_mb, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = positive(cfg, "ingest_decode.wall_seconds", AIS_DECODE_DEFAULT_WALL_SECONDS,
                      &out->wall_seconds, errbuf, errbuf_size);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* The child                                                                                  */

static bool write_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The fault AIS_TEST_DECODE_FAULT asks for before decoding path, or NULL. */
static const char *fault_for(const char *path, char *kind, size_t kind_size)
{
    const char *spec = getenv(FAULT_ENV);
    if (spec == NULL || spec[0] == '\0')
        return NULL;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item != NULL;
         item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (colon != NULL)
            *colon = '\0';
        if (colon == NULL || strstr(path, colon + 1) != NULL) {
            snprintf(kind, kind_size, "%s", item);
            return kind;
        }
    }
    return NULL;
}

/* Misbehaves as the test hook asks; returns only for an unknown kind or when alloc found no
 * limit (then the child aborts: the limit it tests is not in force). */
static ais_status apply_fault(const char *kind, const ais_decode_limits *lim)
{
    if (strcmp(kind, "segv") == 0) {
        raise(SIGSEGV);
    } else if (strcmp(kind, "hang") == 0) {
        for (;;)
            pause();
    } else if (strcmp(kind, "spin") == 0) {
        volatile uint64_t x = 0;
        for (;;)
            x++;
    } else if (strcmp(kind, "exit") == 0) {
        _exit(3);
    } else if (strcmp(kind, "alloc") == 0) {
        /* address space only (never touched): the limit makes malloc fail long before 2x */
        size_t chunk = (size_t)64 << 20, total = 0, cap = (size_t)lim->memory_mb << 21;
        while (total < cap) {
            /* kept until the child exits, on purpose */
            /* cppcheck-suppress leakReturnValNotUsed */
            if (malloc(chunk) == NULL)
                return AIS_ERR_NOMEM;
            total += chunk;
        }
        abort();
    }
    return AIS_OK;
}

static void set_limits(const ais_decode_limits *lim)
{
    struct rlimit cpu = {.rlim_cur = (rlim_t)lim->cpu_seconds,
                         .rlim_max = (rlim_t)lim->cpu_seconds + 1};
    (void)setrlimit(RLIMIT_CPU, &cpu);
    if (!sanitized_build()) {
        /* AddressSanitizer reserves terabytes of shadow address space: no RLIMIT_AS there */
        rlim_t bytes = (rlim_t)lim->memory_mb << 20;
        struct rlimit as = {.rlim_cur = bytes, .rlim_max = bytes};
        (void)setrlimit(RLIMIT_AS, &as);
    }
}

static void child_main(int fd, const ais_decode_limits *lim, const char *path, ais_decode_fn fn,
                       const void *arg, void *out, size_t out_size, const ais_decode_tail *tail)
{
    /* the parent's stop handlers and ignored signals do not apply to a decode */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXCPU, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    set_limits(lim);
    child_head head;
    memset(&head, 0, sizeof head);
    head.magic = HEAD_MAGIC;
    const char *reason = NULL;
    char kind[32];
    ais_status st = AIS_OK;
    if (fault_for(path, kind, sizeof kind) != NULL)
        st = apply_fault(kind, lim);
    memset(out, 0, out_size);
    if (st == AIS_OK)
        st = fn(path, arg, out, &reason, head.detail, sizeof head.detail);
    head.status = (int32_t)st;
    if (reason != NULL)
        snprintf(head.reason, sizeof head.reason, "%s", reason);
    const void *tail_data = NULL;
    if (st == AIS_OK) {
        head.out_size = out_size;
        if (tail != NULL) {
            size_t count;
            memcpy(&count, (const char *)out + tail->count_offset, sizeof count);
            memcpy(&tail_data, (const char *)out + tail->ptr_offset, sizeof tail_data);
            head.tail_bytes = tail_data != NULL ? (uint64_t)count * tail->elem_size : 0;
        }
    }
    bool ok = write_all(fd, &head, sizeof head);
    if (ok && head.out_size > 0)
        ok = write_all(fd, out, out_size);
    if (ok && head.tail_bytes > 0)
        ok = write_all(fd, tail_data, (size_t)head.tail_bytes);
    _exit(ok ? 0 : 4);
}

/* ------------------------------------------------------------------------------------------ */
/* The parent                                                                                 */

typedef struct stream {
    unsigned char *data;
    size_t len, cap;
    bool too_big;
} stream;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd to its end or the deadline: 1 at end of file, 0 at the deadline, -1 on an error
 * (errno) or out of memory. */
static int read_until(int fd, int64_t deadline, stream *s)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        if (s->len == s->cap) {
            size_t cap = s->cap == 0 ? 65536 : s->cap * 2;
            unsigned char *grown = realloc(s->data, cap);
            if (grown == NULL) {
                errno = ENOMEM;
                return -1;
            }
            s->data = grown;
            s->cap = cap;
        }
        ssize_t n = read(fd, s->data + s->len, s->cap - s->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 1;
        s->len += (size_t)n;
        if (s->len > MAX_STREAM_BYTES) {
            s->too_big = true;
            return 1;
        }
    }
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGXCPU: return "SIGXCPU";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
    }
}

static ais_status reject(const char **reason, const char *code, char *detail, size_t detail_size,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static ais_status reject(const char **reason, const char *code, char *detail, size_t detail_size,
                         const char *fmt, ...)
{
    snprintf(reason_store, sizeof reason_store, "%s", code);
    *reason = reason_store;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, detail_size, fmt, ap);
    va_end(ap);
    return AIS_ERR_PARSE;
}

/* The result of a child that exited 0: the decoder's status and, on success, *out. */
static ais_status take_result(const stream *s, void *out, size_t out_size,
                              const ais_decode_tail *tail, const ais_decode_limits *lim,
                              const char **reason, char *detail, size_t detail_size)
{
    child_head head;
    if (s->too_big || s->len < sizeof head)
        return reject(reason, "decoder_failed", detail, detail_size,
                      "the decoder's result stream was %s (%zu bytes)",
                      s->too_big ? "too large" : "cut short", s->len);
    memcpy(&head, s->data, sizeof head);
    head.reason[sizeof head.reason - 1] = '\0';
    head.detail[sizeof head.detail - 1] = '\0';
    uint64_t expect = sizeof head + head.out_size + head.tail_bytes;
    if (head.magic != HEAD_MAGIC || head.status < 0 || head.status >= AIS_STATUS_COUNT ||
        expect != s->len || (head.status == AIS_OK && head.out_size != out_size))
        return reject(reason, "decoder_failed", detail, detail_size,
                      "the decoder's result stream is inconsistent (%zu bytes)", s->len);
    ais_status st = (ais_status)head.status;
    if (st == AIS_ERR_NOMEM)
        return reject(reason, "decoder_limit", detail, detail_size,
                      "memory limit: an allocation failed under ingest_decode.memory_mb = %ld",
                      lim->memory_mb);
    if (st != AIS_OK) {
        /* every decoder names its reason; an empty one is still a rejection of the file */
        snprintf(reason_store, sizeof reason_store, "%s",
                 head.reason[0] != '\0' ? head.reason : "decoder_failed");
        *reason = reason_store;
        snprintf(detail, detail_size, "%s", head.detail);
        return st;
    }
    memcpy(out, s->data + sizeof head, out_size);
    if (tail == NULL)
        return AIS_OK;
    size_t count;
    memcpy(&count, (const char *)out + tail->count_offset, sizeof count);
    void *array = NULL;
    if (head.tail_bytes != (uint64_t)count * tail->elem_size) {
        memset(out, 0, out_size);
        return reject(reason, "decoder_failed", detail, detail_size,
                      "the decoder's result array has %llu bytes, not %zu x %zu",
                      (unsigned long long)head.tail_bytes, count, tail->elem_size);
    }
    if (head.tail_bytes > 0) {
        array = malloc((size_t)head.tail_bytes);
        if (array == NULL) {
            memset(out, 0, out_size);
            return AIS_ERR_NOMEM;
        }
        memcpy(array, s->data + sizeof head + out_size, (size_t)head.tail_bytes);
    }
    memcpy((char *)out + tail->ptr_offset, &array, sizeof array);
    return AIS_OK;
}

static ais_status classify(int wstatus, bool timed_out, const stream *s, void *out,
                           size_t out_size, const ais_decode_tail *tail,
                           const ais_decode_limits *lim, const char **reason, char *detail,
                           size_t detail_size)
{
    if (timed_out)
        return reject(reason, "decoder_timeout", detail, detail_size,
                      "no result within ingest_decode.wall_seconds = %ld s: the decoder was "
                      "killed",
                      lim->wall_seconds);
    if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        if (sig == SIGXCPU)
            return reject(reason, "decoder_limit", detail, detail_size,
                          "CPU-time limit: ingest_decode.cpu_seconds = %ld s used up (SIGXCPU)",
                          lim->cpu_seconds);
        return reject(reason, "decoder_crashed", detail, detail_size,
                      "the decoder died of signal %d (%s)", sig, signal_name(sig));
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
        return reject(reason, "decoder_failed", detail, detail_size,
                      "the decoder exited with status %d",
                      WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    return take_result(s, out, out_size, tail, lim, reason, detail, detail_size);
}

ais_status ais_decode_isolated(const ais_decode_limits *lim, const char *path, ais_decode_fn fn,
                               const void *arg, void *out, size_t out_size,
                               const ais_decode_tail *tail, const char **reason, char *detail,
                               size_t detail_size)
{
    if (lim == NULL || path == NULL || fn == NULL || out == NULL || reason == NULL ||
        detail == NULL || detail_size == 0)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, out_size);
    *reason = NULL;
    detail[0] = '\0';
    int fds[2];
    if (pipe(fds) != 0)
        return AIS_ERR_IO;
    fflush(NULL); /* nothing buffered is written twice, whatever the child does */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return AIS_ERR_IO;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], lim, path, fn, arg, out, out_size, tail);
    }
    close(fds[1]);
    stream s = {0};
    int rc = read_until(fds[0], now_ms() + (int64_t)lim->wall_seconds * 1000, &s);
    int err = errno;
    bool timed_out = rc == 0;
    if (rc <= 0)
        kill(pid, SIGKILL);
    close(fds[0]);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    ais_status st;
    if (rc < 0)
        st = err == ENOMEM ? AIS_ERR_NOMEM : AIS_ERR_IO;
    else
        st = classify(wstatus, timed_out, &s, out, out_size, tail, lim, reason, detail,
                      detail_size);
    free(s.data);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* The three decoders                                                                         */

static ais_status maiac_fn(const char *path, const void *arg, void *out, const char **reason,
                           char *detail, size_t detail_size)
{
    return ais_maiac_decode(path, arg, out, reason, detail, detail_size);
}

static ais_status s5p_fn(const char *path, const void *arg, void *out, const char **reason,
                         char *detail, size_t detail_size)
{
    return ais_s5p_decode(path, arg, out, reason, detail, detail_size);
}

static ais_status era5_fn(const char *path, const void *arg, void *out, const char **reason,
                          char *detail, size_t detail_size)
{
    return ais_era5_file_decode(path, arg, out, reason, detail, detail_size);
}

/* per ais_decoder: the function, the size of its result and the array the result may own */
static const struct {
    ais_decode_fn fn;
    size_t out_size;
    bool has_tail;
    ais_decode_tail tail;
} DECODERS[] = {
    [AIS_DECODER_MAIAC] = {maiac_fn, sizeof(ais_maiac_granule), false, {0, 0, 0}},
    [AIS_DECODER_S5P] = {s5p_fn, sizeof(ais_s5p_result), true,
                         {offsetof(ais_s5p_result, cells), offsetof(ais_s5p_result, n_cells),
                          sizeof(ais_s5p_cell)}},
    [AIS_DECODER_ERA5] = {era5_fn, sizeof(ais_era5_file_info), true,
                          {offsetof(ais_era5_file_info, hours),
                           offsetof(ais_era5_file_info, n_hours), sizeof(ais_era5_hour_values)}},
};

ais_status ais_decode_file(const ais_decode_limits *lim, ais_decoder decoder, const char *path,
                           const void *arg, void *out, const char **reason, char *detail,
                           size_t detail_size)
{
    if ((unsigned)decoder >= sizeof DECODERS / sizeof *DECODERS)
        return AIS_ERR_INVALID_ARG;
    if (lim == NULL)
        return DECODERS[decoder].fn(path, arg, out, reason, detail, detail_size);
    if (arg == NULL)
        return AIS_ERR_INVALID_ARG;
    return ais_decode_isolated(lim, path, DECODERS[decoder].fn, arg, out,
                               DECODERS[decoder].out_size,
                               DECODERS[decoder].has_tail ? &DECODERS[decoder].tail : NULL,
                               reason, detail, detail_size);
}
