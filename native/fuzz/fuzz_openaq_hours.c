/* libFuzzer target: an OpenAQ v3 /sensors/{id}/hours page through ais_openaq_parse_hours, and
 * every hour it accepts through the event builder, as the live adapter does. */
#include <stddef.h>
#include <stdint.h>

#include "ais/openaq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ais_status on_hour(void *ctx, const ais_openaq_hour *h)
{
    const ais_envelope *env = ctx;
    json_t *event = NULL;
    ais_status st = ais_openaq_event_new(env, h, 0, &event);
    json_decref(event);
    /* an hour the parser accepted must always make an event */
    if (st != AIS_OK)
        __builtin_trap();
    return AIS_OK;
}

static ais_status on_reject(void *ctx, const char *reason, const char *detail, const char *raw,
                            size_t raw_len)
{
    (void)ctx;
    (void)detail;
    (void)raw;
    (void)raw_len;
    if (reason == NULL || reason[0] == '\0')
        __builtin_trap();
    return AIS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the window 2025-01-01T00:00Z .. 2025-01-02T00:00Z */
    ais_envelope env = {.source = "openaq", .window_mode = "batch", .window_start = 1735689600,
                        .window_end = 1735776000, .request_id = "fuzz", .retry_count = 0};
    ais_openaq_sensor_ref ref = {.location_id = 1001, .location_name = "fuzz", .latitude = 21.0,
                                 .longitude = 105.8, .sensor_id = 2001, .parameter = "pm25",
                                 .units = "µg/m³"};
    ais_openaq_hours_visitor v = {&env, on_hour, on_reject};
    size_t results = 0;
    uint64_t outside = 0;
    const char *reason = NULL;
    ais_status st = ais_openaq_parse_hours((const char *)data, size, &ref, env.window_start,
                                           env.window_end, &v, &results, &outside, &reason);
    if (st == AIS_ERR_PARSE && reason == NULL)
        __builtin_trap();
    return 0;
}
