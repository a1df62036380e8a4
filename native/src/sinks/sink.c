#include "ais/sink.h"

ais_status ais_sink_write(const ais_sink *sink, const json_t *event)
{
    if (sink == NULL || sink->write == NULL || event == NULL)
        return AIS_ERR_INVALID_ARG;
    return sink->write(sink->ctx, event);
}
