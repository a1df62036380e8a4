/* libFuzzer target: a WeatherAPI history.json body through ais_weather_parse_history, and every
 * hour it accepts through the event builder, as the replay does. */
#include <stddef.h>
#include <stdint.h>

#include "ais/weather.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ais_status on_hour(void *ctx, const ais_weather_location *loc, const ais_weather_hour *h)
{
    const ais_envelope *env = ctx;
    json_t *event = NULL;
    ais_status st = ais_weather_event_new(env, "Ha Noi", "ha_noi", NULL, loc, h, 0, &event);
    json_decref(event);
    /* a hour the parser accepted must always make an event */
    if (st != AIS_OK)
        __builtin_trap();
    return AIS_OK;
}

static ais_status on_reject(void *ctx, ais_weather_reject_scope scope, const char *reason,
                            const char *detail, const char *raw, size_t raw_len)
{
    (void)ctx;
    (void)scope;
    (void)detail;
    (void)raw;
    (void)raw_len;
    if (reason == NULL || reason[0] == '\0')
        __builtin_trap();
    return AIS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ais_envelope env = {.source = "weatherapi", .window_mode = "replay", .window_start = 0,
                        .window_end = 3600, .request_id = "fuzz", .retry_count = 0};
    ais_weather_visitor v = {&env, on_hour, on_reject};
    (void)ais_weather_parse_history((const char *)data, size, &v);
    return 0;
}
