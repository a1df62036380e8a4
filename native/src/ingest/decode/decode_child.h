/* Crash isolation of the gridded decoders (decode_child.c): each file is decoded in a child
 * process under CPU-time and address-space limits and a wall-clock timeout, so that a crash,
 * a hang or a runaway allocation inside HDF4, HDF5, netCDF or ecCodes becomes a dead letter of
 * that one file instead of the end of the run.
 *
 * Dead-letter reasons of a child that did not deliver a result:
 *   decoder_crashed  the child died of a signal (detail names it, e.g. "signal 11 (SIGSEGV)")
 *   decoder_timeout  no result within ingest_decode.wall_seconds (the child is killed)
 *   decoder_limit    the CPU-time limit (SIGXCPU) or the memory limit (an allocation failed)
 *   decoder_failed   the child exited non-zero or its result stream was incomplete
 * A decoder's own rejection (hdf4_open_failed, netcdf_open_failed, ...) comes back unchanged.
 *
 * Test hook: AIS_TEST_DECODE_FAULT="<kind>[:<text>][,<kind>[:<text>]...]" makes the child (and
 * only the child: in-process decoding never reads it) misbehave before decoding a file whose
 * path contains <text> (every file when it is omitted): kind segv (raises SIGSEGV), hang
 * (sleeps forever without using CPU), alloc (allocates until an allocation fails: the memory
 * limit), spin (burns CPU: the CPU-time limit), exit (exits with status 3). */
#ifndef AIS_INGEST_DECODE_CHILD_H
#define AIS_INGEST_DECODE_CHILD_H

#include <stddef.h>

#include "ais/config.h"
#include "ais/era5.h"
#include "ais/maiac.h"
#include "ais/s5p.h"
#include "ais/status.h"

/* ingest_decode.* of the configuration */
typedef struct ais_decode_limits {
    long cpu_seconds;  /* RLIMIT_CPU of the child (soft; the hard limit is one second more) */
    long memory_mb;    /* RLIMIT_AS of the child (not applied in AddressSanitizer builds) */
    long wall_seconds; /* the parent kills the child after this long */
} ais_decode_limits;

#define AIS_DECODE_DEFAULT_CPU_SECONDS 300
#define AIS_DECODE_DEFAULT_MEMORY_MB 4096
#define AIS_DECODE_DEFAULT_WALL_SECONDS 600

/* From ingest_decode.isolate (bool, default true), cpu_seconds, memory_mb and wall_seconds
 * (positive integers; a missing key takes the default above). *isolate false: decode in the
 * process (limits untouched). AIS_ERR_CONFIG_INVALID with errbuf naming a key that is present
 * but not a positive integer (or not a bool). */
ais_status ais_decode_limits_from_config(const ais_config *cfg, ais_decode_limits *out,
                                         bool *isolate, char *errbuf, size_t errbuf_size);

/* A decoder: fills *out (a struct of out_size bytes) from the file at path. */
typedef ais_status (*ais_decode_fn)(const char *path, const void *arg, void *out,
                                    const char **reason, char *detail, size_t detail_size);

/* The one variable-length array a decoder's result may own: a pointer at ptr_offset and an
 * element count (size_t) at count_offset within the result struct. */
typedef struct ais_decode_tail {
    size_t ptr_offset, count_offset, elem_size;
} ais_decode_tail;

/* Runs fn(path, arg, out, ...) in a child under lim and copies its result into *out (tail:
 * NULL when the result owns no array; otherwise the array is a new allocation the result's own
 * free function releases). Returns what fn returned, or AIS_ERR_PARSE with one of the reasons
 * above. *reason then points to storage of this thread that the next call overwrites.
 * AIS_ERR_IO/NOMEM when the child cannot be started. */
ais_status ais_decode_isolated(const ais_decode_limits *lim, const char *path, ais_decode_fn fn,
                               const void *arg, void *out, size_t out_size,
                               const ais_decode_tail *tail, const char **reason, char *detail,
                               size_t detail_size);

/* The three decoders of the gridded sources. */
typedef enum ais_decoder {
    AIS_DECODER_MAIAC, /* ais_maiac_decode: arg const ais_bbox *, out ais_maiac_granule * */
    AIS_DECODER_S5P,   /* ais_s5p_decode: arg const ais_s5p_options *, out ais_s5p_result * */
    AIS_DECODER_ERA5   /* ais_era5_file_decode: arg const ais_bbox *, out ais_era5_file_info * */
} ais_decoder;

/* decoder(path, arg, out, ...) through ais_decode_isolated (the result's array, if any, copied
 * back too); lim NULL: called in the process. */
ais_status ais_decode_file(const ais_decode_limits *lim, ais_decoder decoder, const char *path,
                           const void *arg, void *out, const char **reason, char *detail,
                           size_t detail_size);

#endif
