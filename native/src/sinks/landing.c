#include "ais/landing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* 64-bit FNV-1a of the bytes and then of the candidate number, folded to 32 bits: the name a
 * batch tries first (candidate 0) and after a clash (1, 2, ...). A fingerprint, not security:
 * names are claimed exclusively, so a clash costs a retry, never a file. */
static uint32_t candidate_hash(const char *data, size_t len, unsigned candidate)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 0x100000001b3u;
    }
    for (unsigned k = candidate; k > 0; k >>= 8) {
        h ^= (unsigned char)(k & 0xffu);
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
    /* Some file systems cannot fsync a directory; the link is then as durable as it gets. */
    if (rc != 0 && saved != EINVAL) {
        errno = saved;
        return AIS_ERR_IO;
    }
    return AIS_OK;
}

/* Whether the file at path holds exactly data. false (errno set) when it cannot be read. */
static bool same_bytes(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat sb;
    bool same = fstat(fd, &sb) == 0 && (uint64_t)sb.st_size == (uint64_t)len;
    char buf[65536];
    size_t off = 0;
    while (same && off < len) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (size_t)n > len - off || memcmp(buf, data + off, (size_t)n) != 0) {
            same = false;
            break;
        }
        off += (size_t)n;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return same;
}

/* Creates the batch's temporary dot-file exclusively (a name no other writer holds: O_EXCL, a
 * new name on a clash) and writes, fsyncs and closes it. *tmp_path is set even on failure. */
static ais_status write_tmp(ais_landing *sink, char **tmp_path, const char **step)
{
    static unsigned long serial; /* per process; O_EXCL, not this, is what makes it unique */
    int fd = -1;
    *step = "create";
    for (unsigned tries = 0; fd < 0 && tries < 1000; tries++) {
        char tmp_name[96];
        snprintf(tmp_name, sizeof tmp_name, ".part-%s-%ld-%lu.tmp", sink->window_start,
                 (long)getpid(), ++serial);
        free(*tmp_path);
        *tmp_path = NULL;
        if (ais_fs_path_join(sink->topic_dir, tmp_name, tmp_path) != AIS_OK) {
            errno = ENOMEM;
            return AIS_ERR_NOMEM;
        }
        fd = open(*tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            return AIS_ERR_IO;
    }
    if (fd < 0)
        return AIS_ERR_IO; /* errno EEXIST */
    *step = "write";
    if (ais_fs_write_all(fd, sink->text.data, sink->text.len) != AIS_OK)
        goto fail;
    *step = "fsync";
    if (fsync(fd) != 0)
        goto fail;
    *step = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    return AIS_OK;
fail: {
    int saved = errno;
    if (fd >= 0)
        close(fd);
    errno = saved;
    return AIS_ERR_IO;
}
}

#define MAX_CANDIDATES 64

/* Gives the complete temporary file its final name. link() claims a name only if nobody holds
 * it (EEXIST otherwise), atomically, and the file is complete before it has the name. A name
 * already holding these very bytes is this batch landed before (a rerun, or another writer of
 * the same events): nothing to add. A name holding other bytes is another batch: the next
 * candidate name is tried. *final_path is the name now holding the batch (or the one that
 * failed); *created tells whether this call made it. */
static ais_status publish(ais_landing *sink, const char *tmp_path, char **final_path,
                          bool *created, const char **step)
{
    *created = false;
    unsigned k = 0;
    for (unsigned tries = 0; k < MAX_CANDIDATES && tries < 2 * MAX_CANDIDATES; tries++) {
        char name[128];
        snprintf(name, sizeof name, "part-%s-%s-%08x.jsonl", sink->window_start,
                 sink->window_end, (unsigned)candidate_hash(sink->text.data, sink->text.len, k));
        free(*final_path);
        *final_path = NULL;
        if (ais_fs_path_join(sink->topic_dir, name, final_path) != AIS_OK) {
            errno = ENOMEM;
            return AIS_ERR_NOMEM;
        }
        *step = "link";
        if (link(tmp_path, *final_path) == 0) {
            *created = true;
            return AIS_OK;
        }
        if (errno != EEXIST)
            return AIS_ERR_IO;
        *step = "compare";
        errno = 0;
        if (same_bytes(*final_path, sink->text.data, sink->text.len))
            return AIS_OK;
        if (errno == ENOENT)
            continue; /* removed since the link failed: the name may be free again */
        if (errno != 0)
            return AIS_ERR_IO;
        sink->stats.name_clashes++;
        k++;
    }
    errno = EEXIST;
    *step = "find a free name for";
    return AIS_ERR_IO;
}

/* Writes the pending batch under a name no other file has, via an exclusive dot-file, or leaves
 * nothing. */
static ais_status write_batch(ais_landing *sink)
{
    char *final_path = NULL, *tmp_path = NULL;
    const char *step = "create";
    bool created = false;
    ais_status st = write_tmp(sink, &tmp_path, &step);
    bool publishing = st == AIS_OK;
    if (publishing)
        st = publish(sink, tmp_path, &final_path, &created, &step);
    if (st == AIS_OK && created) {
        step = "fsync of the folder";
        if (fsync_dir(sink->topic_dir) != AIS_OK) {
            /* Not known to be durable: take it back so that failure means "nothing landed". */
            int saved = errno;
            unlink(final_path);
            errno = saved;
            st = AIS_ERR_IO;
        }
    }
    int saved = errno;
    if (tmp_path != NULL)
        unlink(tmp_path); /* the final name, if any, is a second link to the same file */
    if (st == AIS_ERR_NOMEM) {
        fail(sink, st, "landing: out of memory");
    } else if (st != AIS_OK) {
        const char *where = publishing && final_path != NULL ? final_path : tmp_path;
        fail(sink, st, "landing: %s %s: %s", step, where != NULL ? where : sink->topic_dir,
             strerror(saved));
    } else {
        sink->stats.events_written += sink->pending;
        sink->stats.files_written++;
        if (!created)
            sink->stats.files_already_present++;
        sink->text.len = 0;
        sink->pending = 0;
    }
    free(final_path);
    free(tmp_path);
    return st;
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
