/* The gridded sources (sentinel5p, maiac, era5) inside `ais-ingest <source>`: replay of a
 * folder of files and simulation, through the same sinks, window and dead letters as the other
 * sources (cmd_ingest.c calls these). Internal to the ais-ingest program. */
#ifndef AIS_INGEST_CMD_GRIDDED_H
#define AIS_INGEST_CMD_GRIDDED_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ais/airnow.h"
#include "ais/config.h"
#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/ingest_cli.h"
#include "ais/log.h"
#include "ais/sink.h"

/* sentinel5p, maiac or era5 */
bool ais_gridded_source(ais_source source);

/* The envelope's source of recorded files: "sentinel5p", "maiac", "era5". */
const char *ais_gridded_event_source(ais_source source);

/* kafka.topics.<source> */
const char *ais_gridded_topic_key(ais_source source);

/* One window: replay (every matching file under replay_dir) or simulate (seed). input gets
 * the file counts; *extra (new object, caller decrefs, may stay NULL) what the summary's input
 * adds for these sources: outside_area, skipped and, for MAIAC, the per-day statistics.
 * record_dir (live mode, else NULL): the store folder holding the copies of replay_dir's files,
 * which events and dead letters name instead of the local paths (ais_gridded_out). */
ais_status ais_gridded_run(ais_source source, ais_source_mode mode, const char *replay_dir,
                           const char *record_dir, uint64_t seed, const ais_config *cfg, ais_logger *logger,
                           const ais_envelope *env, const ais_sink *sink, ais_dlq *dlq,
                           ais_replay_stats *input, uint64_t *generated, json_t **extra,
                           char *errbuf, size_t errbuf_size);

#endif
