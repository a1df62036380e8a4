/* The shared store of files: where the raw downloads of the gridded sources (and the ARL met
 * files) live, so that a Spark executor on another machine can read what ais-ingest fetched.
 *
 * A store location is one of
 *   - a local path ("/data/raw/era5/x.grib"; relative paths are relative to the working folder
 *     here, ais_store_raw_root resolves configured ones against the project root);
 *   - a file:// URI ("file:///data/raw/x.grib"; "file://localhost/..." too; %XX decoded);
 *   - an hdfs:// URI ("hdfs://<namenode>:<rpc port>/warehouse/raw/x.grib"), reached through WebHDFS at
 *     runtime.hdfs_webhdfs_base (env HDFS_WEBHDFS_BASE, "http://<namenode>:<http port>/webhdfs/v1"): the URI's
 *     path is appended to that base; its host:port (the NameNode's RPC address) is not used.
 * Any other scheme is refused (AIS_ERR_CONFIG_INVALID, "unsupported store"), as is an hdfs://
 * URI without a host or with an empty hdfs_webhdfs_base.
 *
 * ais_store_put_file copies a local file to a location so that a reader sees either the old
 * file or the whole new one, never a part:
 *   local, file://  the folder is created (mkdir -p); the bytes go to ".<name>.<16 hex>.tmp" in
 *                   it, are fsync'ed, and the temporary is renamed over the target (the folder
 *                   is fsync'ed after). A target that exists is always replaced.
 *   hdfs://         GETFILESTATUS of the target: a file of the same length is already there
 *                   and the put is skipped (the raw files' names are content-stable: a product,
 *                   granule or CDS job per name). Else MKDIRS of the folder; CREATE of
 *                   ".<name>.<16 hex>.tmp" beside the target (PUT ?op=CREATE&overwrite=true
 *                   answered by a 307 to a DataNode, where the bytes are PUT: 201); DELETE of
 *                   the old target if there was one (WebHDFS RENAME does not overwrite); RENAME
 *                   of the temporary to the target. If the RENAME still finds a target (another
 *                   writer of the same name got there first) it deletes it and renames once
 *                   more. A failure after the CREATE deletes the temporary (best effort). No
 *                   user.name is sent: the NameNode's static user applies (scripts/hdfs.sh turns
 *                   permissions off). Each request goes through the project's HTTP client, so
 *                   timeouts and the bounded retries with backoff on connection errors and 5xx
 *                   are those of ingest_http.*.
 * Errors name the local file, the target URI and the cause: the system error, or the WebHDFS
 * operation, HTTP status and the server's RemoteException ("AccessControlException:
 * Permission denied: ..."). Nothing is logged here apart from the HTTP client's retry warnings.
 *
 * The raw layout (ais_store_raw_root): <root>/<source>/<YYYY>/<MM>/<DD>/<file name>, the date
 * being the UTC day of the start of the window that fetched the file. */
#ifndef AIS_STORE_H
#define AIS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ais/config.h"
#include "ais/http.h"
#include "ais/status.h"

typedef enum ais_store_kind { AIS_STORE_LOCAL, AIS_STORE_HDFS } ais_store_kind;

typedef struct ais_store_options {
    const char *webhdfs_base;   /* runtime.hdfs_webhdfs_base; needed for hdfs:// only */
    ais_http_client *http;      /* needed for hdfs:// only */
} ais_store_options;

typedef struct ais_store_put_result {
    uint64_t bytes;  /* size of the file put */
    bool skipped;    /* hdfs://: the target already had this length; nothing was sent */
} ais_store_put_result;

/* The store root of raw files: runtime.raw_store_uri if set (spaces trimmed), else
 * <runtime.iceberg_warehouse>/raw; a relative local path is made absolute under the project
 * root (ais_config_resolve_path, as the Python Settings.raw_store does); no trailing slash. On
 * AIS_OK *out is a new string the caller frees. AIS_ERR_CONFIG_INVALID if both keys are empty. */
ais_status ais_store_raw_root(const ais_config *cfg, char **out, char *errbuf, size_t errbuf_size);

/* What kind of store holds uri, checking that it can be reached with opts (opts may be NULL
 * for a check of the URI alone: the hdfs:// requirements are then not checked).
 * AIS_ERR_CONFIG_INVALID with errbuf naming the URI: unsupported scheme, file:// with a host,
 * hdfs:// without a host, hdfs:// with an empty webhdfs_base or no HTTP client. */
ais_status ais_store_check(const ais_store_options *opts, const char *uri, ais_store_kind *kind,
                           char *errbuf, size_t errbuf_size);

/* Puts the regular file local_path at uri (see the header comment). result may be NULL.
 * AIS_ERR_IO (local side), AIS_ERR_HTTP (WebHDFS), AIS_ERR_CONFIG_INVALID (the URI or
 * options), AIS_ERR_INTERRUPTED (the HTTP client's stop flag). */
ais_status ais_store_put_file(const ais_store_options *opts, const char *local_path,
                              const char *uri, ais_store_put_result *result, char *errbuf,
                              size_t errbuf_size);

#endif
