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

#endif
