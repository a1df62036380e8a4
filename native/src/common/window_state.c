#include "ais/window_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "ais/fsutil.h"
#include "ais/jsonutil.h"
#include "ais/timeutil.h"

#define STATE_MAX_BYTES (1024 * 1024)

struct ais_window_lock {
    int fd;
};

static int is_valid_source(const char *source)
{
    if (source == NULL || source[0] == '\0' || source[0] == '.')
        return 0;
    for (const char *p = source; *p; p++)
        if (*p == '/')
            return 0;
    return 1;
}

ais_status ais_window_state_path(const char *dir, const char *source, char **out)
{
    if (dir == NULL || out == NULL || !is_valid_source(source))
        return AIS_ERR_INVALID_ARG;
    size_t n = strlen(source) + 6;
    char name[128];
    if (n > sizeof name)
        return AIS_ERR_RANGE;
    snprintf(name, sizeof name, "%s.json", source);
    return ais_fs_path_join(dir, name, out);
}

ais_status ais_window_lock_acquire(const char *dir, const char *source, ais_window_lock **out)
{
    if (dir == NULL || out == NULL || !is_valid_source(source))
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    char name[128];
    if (strlen(source) + 6 > sizeof name)
        return AIS_ERR_RANGE;
    snprintf(name, sizeof name, "%s.lock", source);
    char *path = NULL;
    ais_status st = ais_fs_mkdir_p(dir, 0755);
    if (st == AIS_OK)
        st = ais_fs_path_join(dir, name, &path);
    if (st != AIS_OK)
        return st;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int saved = errno;
    free(path);
    if (fd < 0) {
        errno = saved;
        return AIS_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return saved == EWOULDBLOCK ? AIS_ERR_BUSY : AIS_ERR_IO;
    }
    ais_window_lock *lock = malloc(sizeof *lock);
    if (lock == NULL) {
        close(fd);
        return AIS_ERR_NOMEM;
    }
    lock->fd = fd;
    *out = lock;
    return AIS_OK;
}

void ais_window_lock_release(ais_window_lock *lock)
{
    if (lock == NULL)
        return;
    close(lock->fd); /* releases the flock */
    free(lock);
}

/* The whole file as JSON; *root NULL when the file does not exist. */
static ais_status read_state(const char *path, const char *source, json_t **root, char *errbuf,
                             size_t size)
{
    char *text = NULL;
    size_t len = 0;
    *root = NULL;
    ais_status st = ais_fs_read_file(path, STATE_MAX_BYTES, &text, &len);
    if (st == AIS_ERR_IO && errno == ENOENT)
        return AIS_OK;
    if (st == AIS_ERR_RANGE)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, size,
                               "window state %s is larger than %d bytes", path,
                               STATE_MAX_BYTES);
    if (st != AIS_OK)
        return ais_status_fail(st, errbuf, size,
                               "cannot read window state %s: %s", path, strerror(errno));
    json_error_t err;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    free(text);
    const json_t *windows = json_object_get(doc, "windows");
    const char *named = json_string_value(json_object_get(doc, "source"));
    if (doc == NULL || !json_is_object(doc) || !json_is_object(windows) || named == NULL ||
        strcmp(named, source) != 0) {
        json_decref(doc);
        return ais_status_fail(AIS_ERR_PARSE, errbuf, size,
                               "window state %s is not a state file of source '%s'%s%s; fix or "
                               "remove it",
                               path, source, doc == NULL ? ": " : "", doc == NULL ? err.text : "");
    }
    *root = doc;
    return AIS_OK;
}

static int get_time(const json_t *obj, const char *key, int64_t *out)
{
    const char *text = json_string_value(json_object_get(obj, key));
    return text != NULL && ais_time_parse_iso(text, out) == AIS_OK;
}

ais_status ais_window_state_load(const char *dir, const char *source, const char *key,
                                 ais_window_state *out, char *errbuf, size_t errbuf_size)
{
    if (key == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    char *path = NULL;
    json_t *root = NULL;
    ais_status st = ais_window_state_path(dir, source, &path);
    if (st == AIS_OK)
        st = read_state(path, source, &root, errbuf, errbuf_size);
    if (st == AIS_OK && root != NULL) {
        const json_t *entry = json_object_get(json_object_get(root, "windows"), key);
        if (entry != NULL) {
            if (!json_is_object(entry) || !get_time(entry, "next_start_utc", &out->next_start) ||
                !get_time(entry, "last_window_start_utc", &out->last_start) ||
                !get_time(entry, "last_window_end_utc", &out->last_end))
                st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size,
                                     "window state %s: entry '%s' lacks valid *_utc times; fix or "
                                     "remove it",
                                     path, key);
            else
                out->found = true;
        }
    }
    json_decref(root);
    free(path);
    return st;
}

static ais_status set_time(json_t *obj, const char *key, int64_t t)
{
    char iso[AIS_TIME_ISO_SIZE];
    ais_status st = ais_time_format_iso(t, iso);
    return st != AIS_OK ? st : ais_json_set_string(obj, key, iso);
}

ais_status ais_window_state_save(const char *dir, const char *source, const char *key,
                                 int64_t start, int64_t end, uint64_t events_written,
                                 const char *request_id, char *errbuf, size_t errbuf_size)
{
    if (key == NULL || end <= start)
        return AIS_ERR_INVALID_ARG;
    char *path = NULL;
    json_t *root = NULL;
    ais_status st = ais_window_state_path(dir, source, &path);
    if (st == AIS_OK && ais_fs_mkdir_p(dir, 0755) != AIS_OK)
        st = ais_status_fail(AIS_ERR_IO, errbuf, errbuf_size,
                             "cannot create %s: %s", dir, strerror(errno));
    if (st == AIS_OK)
        st = read_state(path, source, &root, errbuf, errbuf_size);
    if (st == AIS_OK && root == NULL) {
        root = json_object();
        if (root == NULL)
            st = AIS_ERR_NOMEM;
        if (st == AIS_OK)
            st = ais_json_set_string(root, "source", source);
        if (st == AIS_OK)
            st = ais_json_set(root, "windows", json_object());
    }
    int64_t next = end, now = 0;
    if (st == AIS_OK) {
        ais_window_state prev;
        const json_t *old = json_object_get(json_object_get(root, "windows"), key);
        if (json_is_object(old) && get_time(old, "next_start_utc", &prev.next_start) &&
            prev.next_start > next)
            next = prev.next_start;
        st = ais_time_now(&now, NULL);
    }
    json_t *entry = NULL;
    if (st == AIS_OK) {
        entry = json_object();
        if (entry == NULL)
            st = AIS_ERR_NOMEM;
    }
    if (st == AIS_OK)
        st = set_time(entry, "last_window_start_utc", start);
    if (st == AIS_OK)
        st = set_time(entry, "last_window_end_utc", end);
    if (st == AIS_OK)
        st = set_time(entry, "next_start_utc", next);
    if (st == AIS_OK)
        st = ais_json_set(entry, "events_written", json_integer((json_int_t)events_written));
    if (st == AIS_OK)
        st = ais_json_set_string(entry, "request_id", request_id);
    if (st == AIS_OK)
        st = set_time(entry, "updated_at", now);
    if (st == AIS_OK) {
        st = ais_json_set(json_object_get(root, "windows"), key, entry);
        entry = NULL;
    }
    char *text = NULL;
    if (st == AIS_OK) {
        text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (text == NULL)
            st = AIS_ERR_JSON;
    }
    if (st == AIS_OK) {
        size_t len = strlen(text);
        text[len] = '\0';
        /* one trailing newline, like every text file */
        char *with_nl = realloc(text, len + 2);
        if (with_nl == NULL) {
            st = AIS_ERR_NOMEM;
        } else {
            text = with_nl;
            text[len] = '\n';
            text[len + 1] = '\0';
            if (ais_fs_write_atomic(path, text, len + 1) != AIS_OK)
                st = ais_status_fail(AIS_ERR_IO, errbuf, errbuf_size,
                                     "cannot write window state %s: %s",
                                     path, strerror(errno));
        }
    }
    free(text);
    json_decref(entry);
    json_decref(root);
    free(path);
    return st;
}
