/* The pipeline configuration: config/hanoi_pipeline.yaml plus environment overrides.
 *
 * The loader follows the rules in the header comment of config/hanoi_pipeline.yaml, shared with
 * the Python loader (tests/unit/test_config_agreement.py compares `ais-ingest config-dump`):
 *
 *  - The file is found from, in order: the path argument; $HANOI_PIPELINE_CONFIG (an empty value
 *    counts as unset); config/hanoi_pipeline.yaml in the current directory or the nearest parent.
 *  - The whole document is flattened to dotted keys: nested mappings are joined with "." and
 *    sequence items are numbered from 0 (features.lags_h.0, features.lags_h.1, ...). Values keep
 *    the scalar text exactly as written after YAML quoting is removed: 105.25, 106.10, true, 061,
 *    "" for an empty string or a missing value. Tags are ignored. Empty mappings and sequences
 *    produce no key.
 *  - Every key directly under `runtime:` is overridden by the environment variable of the same
 *    name in upper case if that variable is set, even to "". `env_aliases:` maps an environment
 *    variable name to a runtime key; an alias is read only when the canonical variable is unset
 *    (aliases are tried in file order).
 *  - `secrets:` lists environment variable names whose values come only from the environment.
 *  - The project root is the parent of the configuration file's folder (symlinks resolved).
 *
 * Stricter than plain YAML, to fail fast on mistakes: the document must be one mapping; duplicate
 * keys, non-scalar keys, merge keys (<<), two keys flattening to the same dotted name, a runtime
 * value that is not a scalar, and an alias naming an unknown runtime key are AIS_ERR_CONFIG_INVALID.
 *
 * A loaded ais_config is immutable; its accessors are safe to call from several threads. */
#ifndef AIS_CONFIG_H
#define AIS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ais/status.h"

#define AIS_CONFIG_ENV_PATH "HANOI_PIPELINE_CONFIG"
#define AIS_CONFIG_DEFAULT_RELPATH "config/hanoi_pipeline.yaml"

/* Suggested size of the error message buffer of ais_config_load_ex. */
#define AIS_CONFIG_ERRBUF_SIZE 512

typedef struct ais_config ais_config;

/* Loads the configuration. On success *out owns a new ais_config the caller releases with
 * ais_config_free; on failure *out is NULL and nothing is leaked. */
ais_status ais_config_load(const char *path_or_null, ais_config **out);

/* Same, and on failure writes a one-line message into errbuf (if not NULL) naming the file and,
 * for YAML errors, the 1-based line and column: "<path>:3:7: mapping values are not allowed in
 * this context". */
ais_status ais_config_load_ex(const char *path_or_null, ais_config **out, char *errbuf,
                              size_t errbuf_size);

/* Releases everything, wiping the copies of secret values first. NULL is a no-op. */
void ais_config_free(ais_config *cfg);

/* Absolute path of the loaded file, and the project root (absolute, no trailing slash except
 * for "/"). Owned by cfg. */
const char *ais_config_path(const ais_config *cfg);
const char *ais_config_project_root(const ais_config *cfg);

/* Raw scalar text of a dotted key after environment overrides, owned by cfg; NULL if the key is
 * absent or names a mapping or a sequence. */
const char *ais_config_get(const ais_config *cfg, const char *key);

/* Typed getters. AIS_ERR_KEY_NOT_FOUND if absent; AIS_ERR_TYPE if the key names a mapping or a
 * sequence or the text does not parse in full as the type. *out is written only on AIS_OK. */
ais_status ais_config_get_string(const ais_config *cfg, const char *key, const char **out);
/* Finite decimal number (strtod syntax, no leading/trailing junk). */
ais_status ais_config_get_double(const ais_config *cfg, const char *key, double *out);
/* Base-10 integer with optional sign; "061" is 61. AIS_ERR_RANGE if it does not fit a long. */
ais_status ais_config_get_long(const ais_config *cfg, const char *key, long *out);
/* true/false, yes/no, on/off (any case) and 1/0. */
ais_status ais_config_get_bool(const ais_config *cfg, const char *key, bool *out);
/* Number of items of a sequence key such as "features.lags_h"; AIS_ERR_TYPE if not a sequence. */
ais_status ais_config_list_len(const ais_config *cfg, const char *key, size_t *out);

/* Flattened scalar entries in file order, for dumps. ais_config_entry returns AIS_ERR_RANGE when
 * index >= ais_config_count(cfg); key and value are owned by cfg. */
size_t ais_config_count(const ais_config *cfg);
ais_status ais_config_entry(const ais_config *cfg, size_t index, const char **key,
                            const char **value);

/* Value of a secret listed under `secrets:`, read from the environment when the configuration
 * was loaded; NULL if unset or not a listed secret. Owned by cfg: never log it. */
const char *ais_config_secret(const ais_config *cfg, const char *name);

/* Listed secrets in file order: the name and whether the variable is set (an empty value counts
 * as set). Never the value. AIS_ERR_RANGE when index >= ais_config_secret_count(cfg). */
size_t ais_config_secret_count(const ais_config *cfg);
ais_status ais_config_secret_at(const ais_config *cfg, size_t index, const char **name,
                                bool *is_set);

/* Makes a configured path usable: returns value unchanged if it is absolute or carries a URI
 * scheme ("hdfs://...", "s3a://..."), else "<project_root>/<value>". On AIS_OK *out is a new
 * string the caller frees with free(). AIS_ERR_INVALID_ARG for an empty value. */
ais_status ais_config_resolve_path(const ais_config *cfg, const char *value, char **out);

#endif
