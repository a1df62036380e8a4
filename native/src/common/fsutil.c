#include "ais/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static ais_status mkdir_one(const char *path, mode_t mode)
{
    struct stat sb;
    if (mkdir(path, mode) == 0)
        return AIS_OK;
    if (errno != EEXIST)
        return AIS_ERR_IO;
    /* Someone (perhaps a concurrent run) made it first, or it is a file. */
    if (stat(path, &sb) != 0)
        return AIS_ERR_IO;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return AIS_ERR_IO;
    }
    return AIS_OK;
}

ais_status ais_fs_mkdir_p(const char *path, mode_t mode)
{
    if (path == NULL || path[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    char *copy = strdup(path);
    if (copy == NULL)
        return AIS_ERR_NOMEM;

    ais_status st = AIS_OK;
    /* Create each prefix ending before a '/', skipping the root and repeated slashes. */
    for (char *p = copy + 1; *p != '\0'; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        st = mkdir_one(copy, mode);
        *p = '/';
        if (st != AIS_OK)
            break;
    }
    if (st == AIS_OK)
        st = mkdir_one(copy, mode);
    int saved = errno;
    free(copy);
    errno = saved;
    return st;
}

ais_status ais_fs_path_join(const char *dir, const char *name, char **out)
{
    if (dir == NULL || name == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    size_t dlen = strlen(dir);
    size_t nlen = strlen(name);
    int need_slash = dlen > 0 && dir[dlen - 1] != '/';
    char *s = malloc(dlen + (size_t)need_slash + nlen + 1);
    if (s == NULL)
        return AIS_ERR_NOMEM;
    memcpy(s, dir, dlen);
    if (need_slash)
        s[dlen] = '/';
    memcpy(s + dlen + (size_t)need_slash, name, nlen + 1);
    *out = s;
    return AIS_OK;
}

ais_status ais_fs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return AIS_ERR_IO;
        }
        if (n == 0) {
            errno = EIO;
            return AIS_ERR_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return AIS_OK;
}

ais_status ais_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *len_out)
{
    if (path == NULL || out == NULL || len_out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    *len_out = 0;
    /* O_NONBLOCK: opening a FIFO must not hang the run; it is refused below as not regular */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return AIS_ERR_IO;
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    errno = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int saved = errno;
        if (saved == 0 || S_ISDIR(sb.st_mode))
            saved = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        close(fd);
        errno = saved;
        return AIS_ERR_IO;
    }
    if ((uintmax_t)sb.st_size > (uintmax_t)max_bytes) {
        close(fd);
        errno = EFBIG;
        return AIS_ERR_RANGE;
    }
    /* The size is a hint: the file may grow or shrink while we read, so read to EOF and never
     * past max_bytes. The buffer keeps one byte for the NUL and one to notice a file that grew
     * beyond the limit. */
    if (max_bytes > SIZE_MAX - 2)
        max_bytes = SIZE_MAX - 2;
    size_t limit = max_bytes + 2;
    size_t cap = (size_t)sb.st_size + 2 < limit ? (size_t)sb.st_size + 2 : limit;
    char *buf = malloc(cap);
    if (buf == NULL) {
        close(fd);
        return AIS_ERR_NOMEM;
    }
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap) {
            size_t grown = cap > limit / 2 ? limit : cap * 2;
            if (grown <= cap)
                break; /* full at the limit: len is max_bytes + 1, refused below */
            char *bigger = realloc(buf, grown);
            if (bigger == NULL) {
                free(buf);
                close(fd);
                return AIS_ERR_NOMEM;
            }
            buf = bigger;
            cap = grown;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            free(buf);
            close(fd);
            errno = saved;
            return AIS_ERR_IO;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max_bytes)
            break;
    }
    close(fd);
    if (len > max_bytes) {
        free(buf);
        errno = EFBIG;
        return AIS_ERR_RANGE;
    }
    buf[len] = '\0';
    *out = buf;
    *len_out = len;
    return AIS_OK;
}

static ais_status split_path(const char *path, char **dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *dir = strdup(".");
        *name = path;
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        *dir = strndup(path, n);
        *name = slash + 1;
    }
    return *dir != NULL ? AIS_OK : AIS_ERR_NOMEM;
}

ais_status ais_fs_write_atomic(const char *path, const void *data, size_t len)
{
    if (path == NULL || (data == NULL && len > 0))
        return AIS_ERR_INVALID_ARG;
    char *dir = NULL;
    const char *name = NULL;
    ais_status st = split_path(path, &dir, &name);
    if (st != AIS_OK)
        return st;
    if (name[0] == '\0') {
        free(dir);
        return AIS_ERR_INVALID_ARG;
    }
    size_t tmp_len = strlen(dir) + strlen(name) + 8;
    char *tmp = malloc(tmp_len);
    if (tmp == NULL) {
        free(dir);
        return AIS_ERR_NOMEM;
    }
    snprintf(tmp, tmp_len, "%s/.%s.tmp", dir, name);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    st = fd >= 0 ? AIS_OK : AIS_ERR_IO;
    if (st == AIS_OK)
        st = ais_fs_write_all(fd, data, len);
    if (st == AIS_OK && fsync(fd) != 0)
        st = AIS_ERR_IO;
    if (fd >= 0 && close(fd) != 0 && st == AIS_OK)
        st = AIS_ERR_IO;
    if (st == AIS_OK && rename(tmp, path) != 0)
        st = AIS_ERR_IO;
    if (st == AIS_OK) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        /* Some file systems cannot fsync a folder; the rename is then as durable as it gets. */
        if (dfd >= 0) {
            if (fsync(dfd) != 0 && errno != EINVAL)
                st = AIS_ERR_IO;
            close(dfd);
        }
    }
    if (st != AIS_OK) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    }
    free(tmp);
    free(dir);
    return st;
}

/* nftw passes no user data: the first failure's errno of the walk under way (one walk at a
 * time per thread). */
static _Thread_local int remove_errno;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0 && errno != ENOENT && remove_errno == 0)
        remove_errno = errno;
    return 0; /* go on with the other entries */
}

ais_status ais_fs_remove_tree(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? AIS_OK : AIS_ERR_IO;
    remove_errno = 0;
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && remove_errno == 0)
        remove_errno = errno != 0 ? errno : EIO;
    if (remove_errno != 0) {
        errno = remove_errno;
        return AIS_ERR_IO;
    }
    return AIS_OK;
}

void ais_path_list_free(ais_path_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    list->paths = NULL;
    list->count = 0;
}

static int ends_with_ci(const char *name, const char *suffix)
{
    size_t n = strlen(name), s = strlen(suffix);
    return n >= s && strcasecmp(name + n - s, suffix) == 0;
}

typedef struct path_vec {
    char **items;
    size_t count, cap;
} path_vec;

static ais_status path_vec_push(path_vec *v, char *path)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        char **items = realloc(v->items, cap * sizeof *items);
        if (items == NULL)
            return AIS_ERR_NOMEM;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->count++] = path;
    return AIS_OK;
}

/* depth bounds the recursion: a folder tree deeper than this is a mistake or a loop */
#define LIST_MAX_DEPTH 32

static ais_status list_into(const char *dir, const char *suffix, int depth, path_vec *out)
{
    if (depth > LIST_MAX_DEPTH) {
        errno = ELOOP;
        return AIS_ERR_IO;
    }
    DIR *d = opendir(dir);
    if (d == NULL)
        return AIS_ERR_IO;
    ais_status st = AIS_OK;
    struct dirent *de;
    errno = 0;
    while (st == AIS_OK && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = NULL;
        if ((st = ais_fs_path_join(dir, de->d_name, &path)) != AIS_OK)
            break;
        struct stat lsb, sb;
        if (lstat(path, &lsb) != 0) {
            free(path);
            continue; /* vanished since readdir */
        }
        if (S_ISDIR(lsb.st_mode)) {
            st = list_into(path, suffix, depth + 1, out);
            free(path);
        } else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
                   ends_with_ci(de->d_name, suffix)) {
            st = path_vec_push(out, path);
            if (st != AIS_OK)
                free(path);
        } else {
            free(path);
        }
        errno = 0;
    }
    int saved = errno;
    closedir(d);
    if (st == AIS_OK && saved != 0) {
        errno = saved;
        st = AIS_ERR_IO;
    }
    return st;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ais_status ais_fs_list_files(const char *dir, const char *suffix, ais_path_list *out)
{
    if (dir == NULL || suffix == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    out->paths = NULL;
    out->count = 0;
    path_vec v = {0};
    ais_status st = list_into(dir, suffix, 0, &v);
    if (st != AIS_OK) {
        int saved = errno;
        for (size_t i = 0; i < v.count; i++)
            free(v.items[i]);
        free(v.items);
        errno = saved;
        return st;
    }
    if (v.count > 1)
        qsort(v.items, v.count, sizeof *v.items, compare_paths);
    out->paths = v.items;
    out->count = v.count;
    return AIS_OK;
}
