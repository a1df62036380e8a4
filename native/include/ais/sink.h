/* Where ingest adapters put events. An adapter sees only this interface, so the same code path
 * feeds landing files (embedded profile) or Kafka (cluster profile). */
#ifndef AIS_SINK_H
#define AIS_SINK_H

#include <jansson.h>

#include "ais/status.h"

typedef struct ais_sink {
    void *ctx;
    /* Accepts one event (a JSON object); the sink does not keep the caller's reference. */
    ais_status (*write)(void *ctx, const json_t *event);
} ais_sink;

/* Calls sink->write; AIS_ERR_INVALID_ARG if sink or event is NULL or has no write function. */
ais_status ais_sink_write(const ais_sink *sink, const json_t *event);

#endif
