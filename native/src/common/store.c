/* The shared store of files (ais/store.h): local paths, file:// and hdfs:// through WebHDFS. */
#include "ais/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ais/envelope.h"
#include "ais/fsutil.h"

#define COPY_CHUNK (1u << 20)
#define SERVER_MSG_MAX 512
#define HTTP_ERR_MAX 1024

/* ------------------------------------------------------------------------------------------ */
/* Locations                                                                                  */

typedef struct location {
    ais_store_kind kind;
    char *path; /* local: the file system path; hdfs: the absolute path on HDFS (decoded) */
} location;

/* Length of an RFC 3986 scheme followed by "://" at the start of s, else 0. */
static size_t scheme_len(const char *s)
{
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    for (p++; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.';
        if (!ok)
            break;
    }
    return strncmp(p, "://", 3) == 0 ? (size_t)(p - s) : 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* %XX sequences decoded (a '%' not followed by two hex digits is kept); NULL if the text decodes
 * to a NUL byte or memory runs out. */
static char *percent_decode(const char *s)
{
    char *out = malloc(strlen(s) + 1);
    size_t n = 0;
    if (out == NULL)
        return NULL;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
            char c = (char)(hi * 16 + lo);
            if (c == '\0') {
                free(out);
                return NULL;
            }
            out[n++] = c;
            p += 2;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return out;
}

static ais_status parse_location(const char *uri, location *loc, char *errbuf, size_t errsize)
{
    memset(loc, 0, sizeof *loc);
    if (uri == NULL || uri[0] == '\0')
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "the store location is empty");
    size_t slen = scheme_len(uri);
    if (slen == 0) {
        loc->kind = AIS_STORE_LOCAL;
        loc->path = strdup(uri);
        return loc->path != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    bool is_file = slen == 4 && strncasecmp(uri, "file", 4) == 0;
    bool is_hdfs = slen == 4 && strncasecmp(uri, "hdfs", 4) == 0;
    if (!is_file && !is_hdfs)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "unsupported store '%.*s://' in %s (local paths, file:// and "
                               "hdfs:// URIs are supported)",
                               (int)slen, uri, uri);
    const char *authority = uri + slen + 3;
    const char *path = strchr(authority, '/');
    size_t alen = path != NULL ? (size_t)(path - authority) : strlen(authority);
    if (is_file && alen > 0 && !(alen == 9 && strncasecmp(authority, "localhost", 9) == 0))
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "a file:// URI with a host is not supported: %s", uri);
    if (is_hdfs && alen == 0)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "an hdfs:// URI needs the NameNode host: %s", uri);
    if (path == NULL || strchr(path, '?') != NULL || strchr(path, '#') != NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "%s names no file path (or carries a query or fragment)", uri);
    loc->kind = is_hdfs ? AIS_STORE_HDFS : AIS_STORE_LOCAL;
    loc->path = percent_decode(path);
    if (loc->path == NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "%s: the path does not decode to a usable name", uri);
    return AIS_OK;
}

static void location_free(location *loc)
{
    free(loc->path);
    loc->path = NULL;
}

static ais_status check_options(const ais_store_options *opts, const location *loc,
                                const char *uri, char *errbuf, size_t errsize)
{
    if (loc->kind != AIS_STORE_HDFS || opts == NULL)
        return AIS_OK;
    if (opts->webhdfs_base == NULL || opts->webhdfs_base[0] == '\0')
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "%s is on HDFS but runtime.hdfs_webhdfs_base (env "
                               "HDFS_WEBHDFS_BASE) is empty: set it to the NameNode's WebHDFS "
                               "base, http://<namenode>:<http port>/webhdfs/v1",
                               uri);
    if (strncasecmp(opts->webhdfs_base, "http://", 7) != 0 &&
        strncasecmp(opts->webhdfs_base, "https://", 8) != 0)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "runtime.hdfs_webhdfs_base must be an http(s):// URL, got %s",
                               opts->webhdfs_base);
    if (opts->http == NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "%s is on HDFS: an HTTP client is needed", uri);
    return AIS_OK;
}

ais_status ais_store_check(const ais_store_options *opts, const char *uri, ais_store_kind *kind,
                           char *errbuf, size_t errbuf_size)
{
    location loc;
    ais_status st = parse_location(uri, &loc, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = check_options(opts, &loc, uri, errbuf, errbuf_size);
    if (st == AIS_OK && kind != NULL)
        *kind = loc.kind;
    location_free(&loc);
    return st;
}

/* The folder and the name of a path ("/a/b/c" -> "/a/b", "c"; "c" -> ".", "c"). */
static ais_status split_path(const char *path, char **dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *dir = strdup(".");
        *name = path;
    } else {
        *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
        *name = slash + 1;
    }
    return *dir != NULL ? AIS_OK : AIS_ERR_NOMEM;
}

/* "<dir>/.<name>.<16 hex>.tmp": hidden (listings and Spark skip it) and unique per writer. */
static ais_status temp_name(const char *dir, const char *name, char **out)
{
    char rnd[AIS_REQUEST_ID_SIZE];
    ais_status st = ais_request_id_new(rnd);
    if (st != AIS_OK)
        return st;
    size_t n = strlen(dir) + strlen(name) + sizeof rnd + 8;
    *out = malloc(n);
    if (*out == NULL)
        return AIS_ERR_NOMEM;
    snprintf(*out, n, "%s%s.%s.%s.tmp", dir, strcmp(dir, "/") == 0 ? "" : "/", name, rnd);
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Local file system                                                                          */

static ais_status copy_fd(int in, int out)
{
    char *buf = malloc(COPY_CHUNK);
    if (buf == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = AIS_OK;
    for (;;) {
        ssize_t n = read(in, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = AIS_ERR_IO;
            break;
        }
        if (n == 0)
            break;
        if ((st = ais_fs_write_all(out, buf, (size_t)n)) != AIS_OK)
            break;
    }
    int saved = errno;
    free(buf);
    errno = saved;
    return st;
}

/* Copies in to the new file tmp and fsyncs it. NULL, or the step that failed (errno set). */
static const char *write_temp(int in, const char *tmp)
{
    int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0)
        return "create";
    const char *failed = NULL;
    if (copy_fd(in, out) != AIS_OK)
        failed = "write";
    else if (fsync(out) != 0)
        failed = "fsync";
    int saved = errno;
    if (close(out) != 0 && failed == NULL)
        return "close";
    errno = saved;
    return failed;
}

static ais_status put_local(const char *src, const char *uri, const char *dst,
                            ais_store_put_result *res, char *errbuf, size_t errsize)
{
    char *dir = NULL, *tmp = NULL;
    const char *name = NULL;
    int in = -1;
    ais_status st = split_path(dst, &dir, &name);
    if (st != AIS_OK)
        return st;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                             "cannot put %s at %s: the target names no file", src, uri);
        goto out;
    }
    struct stat sb;
    in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &sb) != 0) {
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot put %s at %s: %s", src, uri,
                             strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                             "cannot put %s at %s: not a regular file", src, uri);
        goto out;
    }
    if (ais_fs_mkdir_p(dir, 0755) != AIS_OK) {
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                             "cannot put %s at %s: cannot create the folder %s: %s", src, uri,
                             dir, strerror(errno));
        goto out;
    }
    if ((st = temp_name(dir, name, &tmp)) != AIS_OK)
        goto out;
    const char *step = write_temp(in, tmp);
    if (step == NULL) {
        step = "rename";
        if (rename(tmp, dst) == 0)
            step = NULL;
    }
    if (step != NULL) {
        int e = errno;
        unlink(tmp);
        st = ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot put %s at %s: %s %s: %s", src,
                             uri, step, tmp, strerror(e));
        goto out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* some file systems cannot fsync a folder; the rename is then as durable as it gets */
    if (dfd >= 0) {
        if (fsync(dfd) != 0 && errno != EINVAL)
            st = ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot put %s at %s: fsync %s: %s",
                                 src, uri, dir, strerror(errno));
        close(dfd);
    }
    if (st == AIS_OK && res != NULL)
        res->bytes = (uint64_t)sb.st_size;
out:
    if (in >= 0)
        close(in);
    free(tmp);
    free(dir);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* HDFS through WebHDFS                                                                       */

typedef struct webhdfs {
    ais_http_client *http;
    char *base;        /* runtime.hdfs_webhdfs_base without a trailing slash */
    const char *local; /* for messages */
    const char *uri;
    const char *target; /* the path of uri on HDFS */
    char *errbuf;
    size_t errsize;
} webhdfs;

/* base + the path percent-encoded (unreserved characters and '/' kept) + "?op=" op + extra. */
static ais_status op_url(const webhdfs *w, const char *path, const char *op, const char *extra,
                         char **out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(w->base) + 3 * strlen(path) + strlen(op) + (extra ? strlen(extra) : 0) + 8;
    char *url = malloc(n);
    if (url == NULL)
        return AIS_ERR_NOMEM;
    size_t pos = (size_t)snprintf(url, n, "%s", w->base);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' ||
                    *p == '~' || *p == '/';
        if (keep) {
            url[pos++] = (char)*p;
        } else {
            url[pos++] = '%';
            url[pos++] = hex[*p >> 4];
            url[pos++] = hex[*p & 15];
        }
    }
    snprintf(url + pos, n - pos, "?op=%s%s", op, extra != NULL ? extra : "");
    *out = url;
    return AIS_OK;
}

/* "Exception: message" of a WebHDFS error body ({"RemoteException": {...}}), else the start of
 * the body as text, else "". */
static void server_message(const ais_http_response *resp, char *out, size_t size)
{
    out[0] = '\0';
    if (resp->body == NULL || resp->len == 0)
        return;
    json_t *root = json_loadb(resp->body, resp->len, 0, NULL);
    json_t *re = json_object_get(root, "RemoteException");
    const char *exc = json_string_value(json_object_get(re, "exception"));
    const char *msg = json_string_value(json_object_get(re, "message"));
    if (exc != NULL || msg != NULL) {
        snprintf(out, size, "%s%s%s", exc != NULL ? exc : "", exc != NULL && msg != NULL ? ": " : "",
                 msg != NULL ? msg : "");
    } else {
        /* not WebHDFS's JSON (a proxy's page): its first line, printable bytes only */
        size_t n = 0;
        for (size_t i = 0; i < resp->len && n + 1 < size && n < 200; i++) {
            unsigned char c = (unsigned char)resp->body[i];
            if (c == '\n' || c == '\r')
                break;
            out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        out[n] = '\0';
    }
    json_decref(root);
}

static ais_status op_fail(const webhdfs *w, ais_status st, const char *op, const char *path,
                          const ais_http_response *resp, const char *why)
{
    char server[SERVER_MSG_MAX];
    server_message(resp, server, sizeof server);
    if (st == AIS_OK || st == AIS_ERR_HTTP)
        st = AIS_ERR_HTTP;
    /* the cause before the local path, which is long and matters least */
    bool target = strcmp(path, w->target) == 0;
    return ais_status_fail(st, w->errbuf, w->errsize,
                           "cannot put %s: WebHDFS %s%s%s failed: %s%s%s%s (local file %s)",
                           w->uri, op, target ? "" : " of ", target ? "" : path, server,
                           server[0] ? " (" : "", why, server[0] ? ")" : "", w->local);
}

typedef struct wh_call {
    const char *method;
    const char *op;        /* for the URL and messages */
    const char *path;      /* for the URL and messages */
    const char *extra;     /* more query parameters ("&overwrite=true") */
    const char *url;       /* instead of building one (the DataNode's Location) */
    const char *upload;    /* PUT this file */
    bool no_redirect;
} wh_call;

/* One WebHDFS request. AIS_OK: a 2xx (or a 3xx when no_redirect) in resp. AIS_ERR_HTTP: resp
 * holds the answer (status 0: none), herr the client's message; no message formatted here. */
static ais_status wh_send(const webhdfs *w, const wh_call *c, ais_http_response *resp,
                          char *herr, size_t hsize)
{
    char *url = NULL;
    ais_status st = AIS_OK;
    memset(resp, 0, sizeof *resp);
    if (c->url == NULL && (st = op_url(w, c->path, c->op, c->extra, &url)) != AIS_OK)
        return st;
    const char *put_headers[] = {"Content-Type: application/octet-stream", NULL};
    const char *json_headers[] = {"Accept: application/json", NULL};
    ais_http_request req = {.method = c->method,
                            .url = c->url != NULL ? c->url : url,
                            .headers = c->upload != NULL ? put_headers : json_headers,
                            .upload_path = c->upload,
                            .no_redirect = c->no_redirect,
                            .keep_error_body = true};
    st = ais_http_send(w->http, &req, resp, herr, hsize);
    free(url);
    return st;
}

/* {"boolean": true|false} of MKDIRS, DELETE and RENAME; -1 if the body is not that. */
static int boolean_answer(const ais_http_response *resp)
{
    json_t *root = json_loadb(resp->body != NULL ? resp->body : "", resp->len, 0, NULL);
    json_t *b = json_object_get(root, "boolean");
    int v = json_is_boolean(b) ? (json_is_true(b) ? 1 : 0) : -1;
    json_decref(root);
    return v;
}

/* A call whose answer is {"boolean": ...}: *value gets it. */
static ais_status wh_bool(const webhdfs *w, const wh_call *c, int *value)
{
    ais_http_response resp;
    char herr[HTTP_ERR_MAX] = "";
    ais_status st = wh_send(w, c, &resp, herr, sizeof herr);
    if (st == AIS_OK && (*value = boolean_answer(&resp)) < 0)
        st = op_fail(w, AIS_ERR_HTTP, c->op, c->path, &resp,
                     "the answer is not {\"boolean\": ...}");
    else if (st != AIS_OK)
        st = op_fail(w, st, c->op, c->path, &resp, herr);
    ais_http_response_free(&resp);
    return st;
}

/* GETFILESTATUS: *exists, and for a file *length. A directory at the target is an error. */
static ais_status wh_status(const webhdfs *w, const char *path, bool *exists, int64_t *length)
{
    wh_call c = {.method = "GET", .op = "GETFILESTATUS", .path = path};
    ais_http_response resp;
    char herr[HTTP_ERR_MAX] = "";
    *exists = false;
    *length = -1;
    ais_status st = wh_send(w, &c, &resp, herr, sizeof herr);
    if (st == AIS_ERR_HTTP && resp.status == 404) {
        ais_http_response_free(&resp);
        return AIS_OK;
    }
    if (st != AIS_OK) {
        st = op_fail(w, st, c.op, path, &resp, herr);
        ais_http_response_free(&resp);
        return st;
    }
    json_t *root = json_loadb(resp.body, resp.len, 0, NULL);
    json_t *fs = json_object_get(root, "FileStatus");
    const char *type = json_string_value(json_object_get(fs, "type"));
    json_t *len = json_object_get(fs, "length");
    if (type == NULL || !json_is_integer(len))
        st = op_fail(w, AIS_ERR_HTTP, c.op, path, &resp, "the answer has no FileStatus");
    else if (strcmp(type, "FILE") != 0)
        st = ais_status_fail(AIS_ERR_IO, w->errbuf, w->errsize,
                             "cannot put %s: the target is a %s on HDFS (local file %s)", w->uri,
                             type, w->local);
    else {
        *exists = true;
        *length = (int64_t)json_integer_value(len);
    }
    json_decref(root);
    ais_http_response_free(&resp);
    return st;
}

/* CREATE: the NameNode's 307 to a DataNode, then the bytes there (201). */
static ais_status wh_create(const webhdfs *w, const char *path)
{
    wh_call c = {.method = "PUT", .op = "CREATE", .path = path, .extra = "&overwrite=true",
                 .no_redirect = true};
    ais_http_response resp;
    char herr[HTTP_ERR_MAX] = "";
    ais_status st = wh_send(w, &c, &resp, herr, sizeof herr);
    if (st == AIS_OK && (resp.status < 300 || resp.location == NULL))
        st = op_fail(w, AIS_ERR_HTTP, c.op, path, &resp,
                     "the NameNode answered without a redirect to a DataNode");
    else if (st != AIS_OK)
        st = op_fail(w, st, c.op, path, &resp, herr);
    if (st != AIS_OK) {
        ais_http_response_free(&resp);
        return st;
    }
    char *datanode = resp.location;
    resp.location = NULL;
    ais_http_response_free(&resp);
    wh_call put = {.method = "PUT", .op = "CREATE (DataNode write)", .path = path,
                   .url = datanode, .upload = w->local, .no_redirect = true};
    herr[0] = '\0';
    st = wh_send(w, &put, &resp, herr, sizeof herr);
    if (st == AIS_OK && resp.status >= 300)
        st = op_fail(w, AIS_ERR_HTTP, put.op, path, &resp,
                     "the DataNode answered with a redirect");
    else if (st != AIS_OK)
        st = op_fail(w, st, put.op, path, &resp, herr);
    ais_http_response_free(&resp);
    free(datanode);
    return st;
}

static ais_status wh_delete(const webhdfs *w, const char *path)
{
    int deleted = 0;
    wh_call c = {.method = "DELETE", .op = "DELETE", .path = path, .extra = "&recursive=false"};
    return wh_bool(w, &c, &deleted); /* false: nothing was there, which is fine */
}

static ais_status wh_rename(const webhdfs *w, const char *from, const char *to, int *renamed)
{
    size_t n = 3 * strlen(to) + 16;
    char *extra = malloc(n), *enc = malloc(n);
    ais_status st = extra != NULL && enc != NULL ? AIS_OK : AIS_ERR_NOMEM;
    if (st == AIS_OK)
        st = ais_http_url_encode(to, enc, n);
    if (st == AIS_OK) {
        snprintf(extra, n, "&destination=%s", enc);
        wh_call c = {.method = "PUT", .op = "RENAME", .path = from, .extra = extra};
        st = wh_bool(w, &c, renamed);
    }
    free(extra);
    free(enc);
    return st;
}

static ais_status put_hdfs(const ais_store_options *opts, const char *src, const char *uri,
                           const char *dst, ais_store_put_result *res, char *errbuf,
                           size_t errsize)
{
    webhdfs w = {.http = opts->http, .local = src, .uri = uri, .target = dst, .errbuf = errbuf,
                 .errsize = errsize};
    char *dir = NULL, *tmp = NULL;
    const char *name = NULL;
    bool created = false;
    struct stat sb;
    if (stat(src, &sb) != 0)
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize, "cannot put %s at %s: %s", src, uri,
                               strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return ais_status_fail(AIS_ERR_IO, errbuf, errsize,
                               "cannot put %s at %s: not a regular file", src, uri);
    ais_status st = split_path(dst, &dir, &name);
    if (st != AIS_OK)
        return st;
    if (name[0] == '\0' || dst[0] != '/') {
        free(dir);
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errsize,
                               "cannot put %s at %s: the target names no file", src, uri);
    }
    size_t blen = strlen(opts->webhdfs_base);
    while (blen > 0 && opts->webhdfs_base[blen - 1] == '/')
        blen--;
    if ((w.base = strndup(opts->webhdfs_base, blen)) == NULL) {
        free(dir);
        return AIS_ERR_NOMEM;
    }
    bool exists = false;
    int64_t length = -1;
    int ok = 0;
    st = wh_status(&w, dst, &exists, &length);
    if (st == AIS_OK && exists && length == (int64_t)sb.st_size) {
        if (res != NULL) {
            res->bytes = (uint64_t)sb.st_size;
            res->skipped = true;
        }
        goto out;
    }
    if (st == AIS_OK) {
        wh_call mk = {.method = "PUT", .op = "MKDIRS", .path = dir};
        st = wh_bool(&w, &mk, &ok);
        if (st == AIS_OK && ok != 1)
            st = ais_status_fail(AIS_ERR_HTTP, errbuf, errsize,
                                 "cannot put %s: WebHDFS MKDIRS of %s answered false (local file "
                                 "%s)", uri, dir, src);
    }
    if (st == AIS_OK)
        st = temp_name(dir, name, &tmp);
    if (st == AIS_OK) {
        created = true; /* from here on the temporary may exist */
        st = wh_create(&w, tmp);
    }
    if (st == AIS_OK && exists)
        st = wh_delete(&w, dst);
    if (st == AIS_OK)
        st = wh_rename(&w, tmp, dst, &ok);
    if (st == AIS_OK && ok != 1) {
        /* a target appeared meanwhile (another writer of the same name): replace it once */
        st = wh_delete(&w, dst);
        if (st == AIS_OK)
            st = wh_rename(&w, tmp, dst, &ok);
        if (st == AIS_OK && ok != 1)
            st = ais_status_fail(AIS_ERR_HTTP, errbuf, errsize,
                                 "cannot put %s: WebHDFS RENAME of %s answered false twice (local "
                                 "file %s)", uri, tmp, src);
    }
    if (st == AIS_OK) {
        created = false;
        if (res != NULL)
            res->bytes = (uint64_t)sb.st_size;
    }
out:
    if (created && tmp != NULL) {
        /* best effort, keeping the first error's message */
        char keep[HTTP_ERR_MAX];
        webhdfs quiet = w;
        quiet.errbuf = keep;
        quiet.errsize = sizeof keep;
        (void)wh_delete(&quiet, tmp);
    }
    free(tmp);
    free(dir);
    free(w.base);
    return st;
}

/* ------------------------------------------------------------------------------------------ */

ais_status ais_store_put_file(const ais_store_options *opts, const char *local_path,
                              const char *uri, ais_store_put_result *result, char *errbuf,
                              size_t errbuf_size)
{
    if (local_path == NULL || uri == NULL)
        return AIS_ERR_INVALID_ARG;
    if (result != NULL)
        memset(result, 0, sizeof *result);
    location loc;
    ais_status st = parse_location(uri, &loc, errbuf, errbuf_size);
    if (st == AIS_OK && loc.kind == AIS_STORE_HDFS && opts == NULL)
        st = ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                             "%s is on HDFS: store options are needed", uri);
    if (st == AIS_OK)
        st = check_options(opts, &loc, uri, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = loc.kind == AIS_STORE_HDFS
                 ? put_hdfs(opts, local_path, uri, loc.path, result, errbuf, errbuf_size)
                 : put_local(local_path, uri, loc.path, result, errbuf, errbuf_size);
    location_free(&loc);
    return st;
}

/* Python's str.strip() of ASCII spaces, then the value resolved and its trailing slashes cut. */
static ais_status resolved_setting(const ais_config *cfg, const char *key, char **out)
{
    const char *v = ais_config_get(cfg, key);
    *out = NULL;
    if (v == NULL)
        return AIS_OK;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' || v[n - 1] == '\r'))
        n--;
    if (n == 0)
        return AIS_OK;
    char *trimmed = strndup(v, n);
    if (trimmed == NULL)
        return AIS_ERR_NOMEM;
    ais_status st = ais_config_resolve_path(cfg, trimmed, out);
    free(trimmed);
    if (st != AIS_OK)
        return st;
    size_t len = strlen(*out);
    while (len > 1 && (*out)[len - 1] == '/')
        (*out)[--len] = '\0';
    return AIS_OK;
}

ais_status ais_store_raw_root(const ais_config *cfg, char **out, char *errbuf, size_t errbuf_size)
{
    if (cfg == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    char *root = NULL;
    ais_status st = resolved_setting(cfg, "runtime.raw_store_uri", &root);
    if (st != AIS_OK || root != NULL) {
        *out = root;
        return st;
    }
    char *warehouse = NULL;
    if ((st = resolved_setting(cfg, "runtime.iceberg_warehouse", &warehouse)) != AIS_OK)
        return st;
    if (warehouse == NULL)
        return ais_status_fail(AIS_ERR_CONFIG_INVALID, errbuf, errbuf_size,
                               "runtime.raw_store_uri (env RAW_STORE_URI) and "
                               "runtime.iceberg_warehouse (env ICEBERG_WAREHOUSE) are both "
                               "empty: no shared store for raw files");
    st = ais_fs_path_join(warehouse, "raw", out);
    free(warehouse);
    return st;
}
