/* Small file-system helpers shared by the config loader and the sinks. */
#ifndef AIS_FSUTIL_H
#define AIS_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "ais/status.h"

/* Creates path and every missing parent ("mkdir -p") with the given mode. An existing directory
 * is fine; an existing non-directory is AIS_ERR_IO (errno ENOTDIR). */
ais_status ais_fs_mkdir_p(const char *path, mode_t mode);

/* "<dir>/<name>" without doubling a trailing slash of dir. On AIS_OK *out is a new string the
 * caller frees with free(). */
ais_status ais_fs_path_join(const char *dir, const char *name, char **out);

/* Writes all len bytes, retrying short writes and EINTR. AIS_ERR_IO with errno set otherwise. */
ais_status ais_fs_write_all(int fd, const void *buf, size_t len);

/* Reads a whole regular file. On AIS_OK *out is a new buffer of *len_out bytes plus a NUL (so
 * text can be handled as a C string; the content may itself hold NUL bytes), freed by the
 * caller with free(). AIS_ERR_RANGE (errno EFBIG) if the file is larger than max_bytes;
 * AIS_ERR_IO with errno set if it cannot be opened or read, or is not a regular file. */
ais_status ais_fs_read_file(const char *path, size_t max_bytes, char **out, size_t *len_out);

/* Replaces path with data atomically: writes "<dir>/.<name>.tmp", fsyncs it, renames it over
 * path and fsyncs the folder. On failure the temporary file is removed and path is untouched. */
ais_status ais_fs_write_atomic(const char *path, const void *data, size_t len);

/* Removes path and, if it is a folder, everything under it (symlinks removed, not followed).
 * A path that does not exist is fine. AIS_ERR_IO with errno set for the first entry that could
 * not be removed (the rest is still tried). */
ais_status ais_fs_remove_tree(const char *path);

/* A sorted list of paths. */
typedef struct ais_path_list {
    char **paths;
    size_t count;
} ais_path_list;

/* Every regular file under dir (recursively, symlinks to files followed, symlinked folders not
 * entered) whose name ends with suffix (compared case-insensitively, e.g. ".csv"), as
 * "<dir>/<relative path>", sorted bytewise so a run does not depend on the order of readdir.
 * Names starting with '.' (hidden and temporary files, and such folders) are skipped.
 * AIS_ERR_IO with errno set if dir cannot be read. Release with ais_path_list_free. */
ais_status ais_fs_list_files(const char *dir, const char *suffix, ais_path_list *out);
void ais_path_list_free(ais_path_list *list);

#endif
