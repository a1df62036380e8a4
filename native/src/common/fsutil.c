#include "ais/fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
