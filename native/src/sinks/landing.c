#include "ais/landing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ais/fsutil.h"
#include "ais/jsonutil.h"
#include "ais/timeutil.h"


struct ais_landing {
    char *topic_dir;
    char window_start[AIS_TIME_COMPACT_SIZE];
    char window_end[AIS_TIME_COMPACT_SIZE];
    size_t batch_max;
    ais_json_buf text; /* pending JSON lines */
    size_t pending; /* events in buf */
    ais_landing_stats stats;
    ais_status failed; /* sticky: AIS_OK until the first failure */
    char error[512];
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static ais_status fail(ais_landing *sink, ais_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sink->error, sizeof sink->error, fmt, ap);
    va_end(ap);
    sink->failed = st;
    return st;
}

static int is_valid_topic(const char *topic)
{
    return topic[0] != '\0' && topic[0] != '.' && strchr(topic, '/') == NULL;
}

ais_status ais_landing_open(const ais_landing_options *opts, ais_landing **out)
{
    if (opts == NULL || out == NULL || opts->landing_dir == NULL || opts->topic == NULL ||
        opts->landing_dir[0] == '\0' || !is_valid_topic(opts->topic) ||
        opts->window_end <= opts->window_start)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;

    ais_landing *sink = calloc(1, sizeof *sink);
    if (sink == NULL)
        return AIS_ERR_NOMEM;
    sink->batch_max =
        opts->batch_max_events ? opts->batch_max_events : AIS_LANDING_DEFAULT_BATCH_EVENTS;
    ais_status st = ais_time_format_compact(opts->window_start, sink->window_start);
    if (st == AIS_OK)
        st = ais_time_format_compact(opts->window_end, sink->window_end);
    if (st == AIS_OK)
        st = ais_fs_path_join(opts->landing_dir, opts->topic, &sink->topic_dir);
    if (st == AIS_OK && ais_fs_mkdir_p(sink->topic_dir, 0755) != AIS_OK)
        st = AIS_ERR_IO;
    if (st != AIS_OK) {
        int saved = errno;
        ais_landing_free(sink);
        errno = saved;
        return st;
    }
    *out = sink;
    return AIS_OK;
}

void ais_landing_free(ais_landing *sink)
{
    if (sink == NULL)
        return;
    free(sink->topic_dir);
    free(sink->text.data);
    free(sink);
}

/* 64-bit FNV-1a folded to 32 bits: a content fingerprint for the file name, not security. */
static uint32_t content_hash(const char *data, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 0x100000001b3u;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static ais_status fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return AIS_ERR_IO;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    /* Some file systems cannot fsync a directory; the rename is then as durable as it gets. */
    if (rc != 0 && saved != EINVAL) {
        errno = saved;
        return AIS_ERR_IO;
    }
    return AIS_OK;
}

/* Writes the pending batch to its final name via a dot-file, or leaves nothing. */
static ais_status write_batch(ais_landing *sink)
{
    char name[128], tmp_name[140];
    char *final_path = NULL, *tmp_path = NULL;
    ais_status st;
    int fd = -1;

    snprintf(name, sizeof name, "part-%s-%s-%08x.jsonl", sink->window_start, sink->window_end,
             (unsigned)content_hash(sink->text.data, sink->text.len));
    snprintf(tmp_name, sizeof tmp_name, ".%s.tmp", name);
    if ((st = ais_fs_path_join(sink->topic_dir, name, &final_path)) != AIS_OK ||
        (st = ais_fs_path_join(sink->topic_dir, tmp_name, &tmp_path)) != AIS_OK) {
        free(final_path);
        return fail(sink, st, "landing: out of memory");
    }

    const char *step = "open";
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto io_error;
    step = "write";
    if (ais_fs_write_all(fd, sink->text.data, sink->text.len) != AIS_OK)
        goto io_error;
    step = "fsync";
    if (fsync(fd) != 0)
        goto io_error;
    step = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto io_error;
    step = "rename";
    if (rename(tmp_path, final_path) != 0)
        goto io_error;
    step = "fsync of the folder";
    if (fsync_dir(sink->topic_dir) != AIS_OK) {
        /* Not known to be durable: take it back so that failure means "nothing landed". */
        int saved = errno;
        unlink(final_path);
        errno = saved;
        goto io_error;
    }

    sink->stats.events_written += sink->pending;
    sink->stats.files_written++;
    sink->text.len = 0;
    sink->pending = 0;
    free(final_path);
    free(tmp_path);
    return AIS_OK;

io_error: {
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp_path);
    fail(sink, AIS_ERR_IO, "landing: %s %s: %s", step, tmp_path, strerror(saved));
    free(final_path);
    free(tmp_path);
    return AIS_ERR_IO;
}
}

ais_status ais_landing_write(ais_landing *sink, const json_t *event)
{
    if (sink == NULL || event == NULL || !json_is_object(event))
        return AIS_ERR_INVALID_ARG;
    if (sink->failed != AIS_OK)
        return sink->failed;

    /* Serialise straight into the batch buffer (which grows as needed), then the newline. */
    ais_status st = ais_json_append_compact(&sink->text, event);
    if (st == AIS_OK)
        st = ais_json_buf_reserve(&sink->text, 1);
    if (st == AIS_ERR_NOMEM)
        return fail(sink, st, "landing: out of memory buffering a batch");
    if (st != AIS_OK)
        return fail(sink, AIS_ERR_JSON, "landing: event cannot be serialised");
    sink->text.data[sink->text.len++] = '\n';
    sink->pending++;
    if (sink->pending >= sink->batch_max)
        return write_batch(sink);
    return AIS_OK;
}

ais_status ais_landing_flush(ais_landing *sink)
{
    if (sink == NULL)
        return AIS_ERR_INVALID_ARG;
    if (sink->failed != AIS_OK)
        return sink->failed;
    return sink->pending > 0 ? write_batch(sink) : AIS_OK;
}

ais_status ais_landing_get_stats(const ais_landing *sink, ais_landing_stats *out)
{
    if (sink == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = sink->stats;
    return AIS_OK;
}

const char *ais_landing_error(const ais_landing *sink)
{
    return sink != NULL ? sink->error : "";
}

static ais_status landing_sink_write(void *ctx, const json_t *event)
{
    return ais_landing_write(ctx, event);
}

ais_status ais_landing_as_sink(ais_landing *sink, ais_sink *out)
{
    if (sink == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    out->ctx = sink;
    out->write = landing_sink_write;
    return AIS_OK;
}
