#include "testutil.h"

#include <string.h>

#include "ais/ingest_cli.h"
#include "ais/timeutil.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static ais_status parse(int argc, const char *const *argv, ais_ingest_args *out, char *err)
{
    return ais_ingest_parse_args(argc, (char **)argv, out, err, 256);
}

static void full_command_line(void **state)
{
    (void)state;
    const char *argv[] = {"openaq", "--mode", "simulate", "--start", "2026-09-02T00:30:00Z",
                          "--end=2026-09-04T05:00:01+00:00", "--sink", "landing",
                          "--landing-dir", "/tmp/x", "--stations", "12", "--seed", "42",
                          "--batch-events", "1000", "--config", "cfg.yaml"};
    ais_ingest_args a;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &a, err), AIS_OK);
    assert_string_equal(err, "");
    assert_int_equal(a.source, AIS_SOURCE_OPENAQ);
    assert_int_equal(a.mode, AIS_MODE_SIMULATE);
    assert_int_equal(a.sink, AIS_SINK_LANDING);
    assert_int_equal(a.start, 1788307200 + 1800);
    assert_int_equal(a.end, 1788307200 + 2 * 86400 + 5 * 3600 + 1);
    assert_int_equal(a.window_start, 1788307200);                     /* floored */
    assert_int_equal(a.window_end, 1788307200 + 2 * 86400 + 6 * 3600); /* ceiled */
    assert_string_equal(a.landing_dir, "/tmp/x");
    assert_string_equal(a.config_path, "cfg.yaml");
    assert_true(a.has_stations);
    assert_int_equal(a.stations, 12);
    assert_true(a.has_seed);
    assert_int_equal(a.seed, 42);
    assert_int_equal(a.batch_events, 1000);
    assert_true(a.has_start);
    assert_null(a.replay_dir);
    assert_null(a.state_dir);
    assert_int_equal(a.kafka_timeout_ms, 0);
    assert_string_equal(ais_source_name(a.source), "openaq");
    assert_string_equal(ais_source_mode_name(a.mode), "simulate");
    assert_string_equal(ais_sink_kind_name(a.sink), "landing");
}

static void defaults(void **state)
{
    (void)state;
    const char *argv[] = {"openaq", "--mode", "simulate", "--start", "2026-09-02",
                          "--end", "2026-09-03", "--sink", "landing"};
    ais_ingest_args a;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &a, err), AIS_OK);
    assert_false(a.has_stations);
    assert_false(a.has_seed);
    assert_int_equal(a.batch_events, 0);
    assert_null(a.landing_dir);
    assert_null(a.config_path);
    assert_int_equal(a.window_end - a.window_start, 86400);
}

static void replay_weather_and_kafka(void **state)
{
    (void)state;
    const char *argv[] = {"weather", "--mode", "replay", "--replay-dir", "/data/wx",
                          "--end", "2025-01-11T00:30:00Z", "--sink", "kafka",
                          "--kafka-timeout-ms", "1500", "--state-dir", "/tmp/st"};
    ais_ingest_args a;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &a, err), AIS_OK);
    assert_int_equal(a.source, AIS_SOURCE_WEATHER);
    assert_int_equal(a.mode, AIS_MODE_REPLAY);
    assert_int_equal(a.sink, AIS_SINK_KAFKA);
    assert_false(a.has_start); /* continues from the window state */
    assert_int_equal(a.window_end, 1736555400 + 1800); /* 2025-01-11T01:00Z, ceiled */
    assert_string_equal(a.replay_dir, "/data/wx");
    assert_string_equal(a.state_dir, "/tmp/st");
    assert_int_equal(a.kafka_timeout_ms, 1500);

    const char *sim[] = {"weather", "--mode", "simulate", "--start", "2026-01-01", "--end",
                         "2026-01-02", "--sink", "landing", "--provinces", "3", "--seed", "7"};
    assert_int_equal(parse(ARGC(sim), sim, &a, err), AIS_OK);
    assert_true(a.has_provinces);
    assert_int_equal(a.provinces, 3);
    assert_int_equal(a.seed, 7);
}

static void simulated_provider(void **state)
{
    (void)state;
    const char *argv[] = {"maiac", "--mode", "live", "--start", "2026-09-02", "--end",
                          "2026-09-03", "--sink", "kafka", "--provider", "simulated"};
    ais_ingest_args a;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &a, err), AIS_OK);
    assert_true(a.simulated_provider);
    argv[ARGC(argv) - 1] = "real";
    assert_int_equal(parse(ARGC(argv), argv, &a, err), AIS_OK);
    assert_false(a.simulated_provider);
    assert_int_equal(parse(ARGC(argv) - 2, argv, &a, err), AIS_OK);
    assert_false(a.simulated_provider); /* the default: the configured endpoints are the real ones */
}

typedef struct bad_case {
    const char *argv[14];
    ais_status expected;
    const char *message;
} bad_case;

static void usage_errors_and_unimplemented(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {{"openaq", "--mode", "live", "--window", "realtime", "--end", "2026-09-03", "--sink",
          "landing"}, AIS_ERR_USAGE,
         "--window realtime ends each window at the current hour; --end applies only to "
         "--window batch"},
        {{"weather", "--mode", "simulate", "--window", "realtime", "--sink", "landing"},
         AIS_ERR_USAGE, "--window realtime applies only to --mode live"},
        {{"weather", "--mode", "live", "--window", "hourly", "--sink", "landing"},
         AIS_ERR_USAGE, "unknown --window 'hourly' (batch|realtime)"},
        {{"openaq", "--mode", "live", "--end", "2026-09-03", "--sink", "landing",
          "--max-polls", "2"}, AIS_ERR_USAGE,
         "--poll-seconds and --max-polls apply only to --window realtime"},
        {{"openaq", "--mode", "live", "--window", "realtime", "--sink", "landing",
          "--poll-seconds", "0"}, AIS_ERR_USAGE, "--poll-seconds must be 1..86400"},
        {{"weather", "--mode", "live"}, AIS_ERR_USAGE, "--sink landing|kafka is required"},
        {{"openaq", "--mode", "replay"}, AIS_ERR_USAGE, "--sink landing|kafka is required"},
        {{"openaq", "--mode", "replay", "--end", "2026-09-03", "--sink", "landing"},
         AIS_ERR_USAGE, "--mode replay needs --replay-dir DIR"},
        {{"openaq", "--mode", "simulate", "--end", "2026-09-03", "--sink", "landing",
          "--replay-dir", "x"}, AIS_ERR_USAGE, "--replay-dir applies only to --mode replay"},
        {{"weather", "--mode", "simulate", "--end", "2026-09-03", "--sink", "landing",
          "--stations", "3"}, AIS_ERR_USAGE,
         "--stations applies only to openaq --mode simulate, not weather --mode simulate"},
        {{"openaq", "--mode", "simulate", "--end", "2026-09-03", "--sink", "landing",
          "--provinces", "3"}, AIS_ERR_USAGE,
         "--provinces applies only to weather --mode simulate|live, not openaq --mode simulate"},
        {{"weather", "--mode", "simulate", "--end", "2026-09-03", "--sink", "landing",
          "--provinces", "25"}, AIS_ERR_USAGE, "--provinces must be 1..24"},
        {{"openaq", "--mode", "replay", "--replay-dir", "x", "--end", "2026-09-03", "--sink",
          "landing", "--seed", "1"}, AIS_ERR_USAGE, "--seed applies only to --mode simulate"},
        {{"openaq", "--mode", "simulate", "--end", "2026-09-03", "--sink", "kafka",
          "--batch-events", "10"}, AIS_ERR_USAGE, "--batch-events applies only to --sink landing"},
        {{"openaq", "--mode", "simulate", "--end", "2026-09-03", "--sink", "landing",
          "--kafka-timeout-ms", "1000"}, AIS_ERR_USAGE,
         "--kafka-timeout-ms applies only to --sink kafka"},
        {{"openaq", "--mode", "simulate", "--end", "2026-09-03", "--sink", "kafka",
          "--kafka-timeout-ms", "99"}, AIS_ERR_USAGE, "--kafka-timeout-ms must be 100..3600000"},
        {{"sentinel5p", "--mode", "live"}, AIS_ERR_USAGE, "--sink landing|kafka is required"},
        {{"maiac", "--mode", "live", "--sink", "landing"}, AIS_ERR_USAGE, "--end is required"},
        {{"era5", "--mode", "live", "--sink", "kafka", "--end", "2026-09-03", "--provinces", "2"},
         AIS_ERR_USAGE,
         "--provinces applies only to weather --mode simulate|live, not era5 --mode live"},
        {{"purpleair"}, AIS_ERR_USAGE, "unknown source 'purpleair'"},
        {{"openaq", "--mode", "dream"}, AIS_ERR_USAGE, "unknown --mode 'dream'"},
        {{"openaq", "--start", "2026-09-02"}, AIS_ERR_USAGE, "--mode live|replay|simulate is required"},
        {{"openaq", "--mode", "simulate", "--sink", "s3"}, AIS_ERR_USAGE, "unknown --sink 's3'"},
        {{"openaq", "--mode", "simulate", "--start", "2026-09-02"}, AIS_ERR_USAGE,
         "--sink landing|kafka is required"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-03"},
         AIS_ERR_USAGE, "--end is required"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-03",
          "--end", "2026-09-03"}, AIS_ERR_USAGE, "--end must be after --start"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-04",
          "--end", "2026-09-03"}, AIS_ERR_USAGE, "--end must be after --start"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02T00:00:00",
          "--end", "2026-09-03"}, AIS_ERR_USAGE,
         "--start '2026-09-02T00:00:00' is not an ISO-8601 UTC time (2026-09-02T00:00:00Z)"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "tomorrow"}, AIS_ERR_USAGE,
         "--end 'tomorrow' is not an ISO-8601 UTC time (2026-09-02T00:00:00Z)"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "2026-09-03", "--stations", "0"}, AIS_ERR_USAGE, "--stations must be 1..50"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "2026-09-03", "--stations", "51"}, AIS_ERR_USAGE, "--stations must be 1..50"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "2026-09-03", "--stations", "6x"}, AIS_ERR_USAGE, "--stations must be 1..50"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "2026-09-03", "--seed", "-1"}, AIS_ERR_USAGE,
         "--seed must be a non-negative decimal integer"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "2026-09-03", "--seed", "99999999999999999999"}, AIS_ERR_USAGE,
         "--seed must be a non-negative decimal integer"},
        {{"openaq", "--mode", "simulate", "--sink", "landing", "--start", "2026-09-02",
          "--end", "2026-09-03", "--batch-events", "0"}, AIS_ERR_USAGE,
         "--batch-events must be 1..10000000"},
        {{"openaq", "--mode", "simulate", "--mode", "simulate"}, AIS_ERR_USAGE,
         "flag --mode given twice"},
        {{"openaq", "--verbose"}, AIS_ERR_USAGE, "unknown flag '--verbose'"},
        {{"openaq", "--mode"}, AIS_ERR_USAGE, "flag --mode needs a value"},
        {{"openaq", "--mode="}, AIS_ERR_USAGE, "flag --mode has an empty value"},
        {{"openaq", "simulate"}, AIS_ERR_USAGE, "unexpected argument 'simulate'"},
        {{"openaq", "--mode", "simulate", "--end", "2026-09-03", "--sink", "landing",
          "--provider", "simulated"}, AIS_ERR_USAGE, "--provider applies only to --mode live"},
        {{"era5", "--mode", "live", "--end", "2026-09-03", "--sink", "landing", "--provider",
          "fake"}, AIS_ERR_USAGE, "unknown --provider 'fake' (real|simulated)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = 0;
        while (argc < 14 && cases[i].argv[argc] != NULL)
            argc++;
        ais_ingest_args a;
        char err[256];
        ais_status st = parse(argc, cases[i].argv, &a, err);
        if (st != cases[i].expected || strcmp(err, cases[i].message) != 0) {
            print_error("case %zu: got %s '%s', expected %s '%s'\n", i, ais_status_str(st), err,
                        ais_status_str(cases[i].expected), cases[i].message);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_command_line),
        cmocka_unit_test(simulated_provider),
        cmocka_unit_test(defaults),
        cmocka_unit_test(replay_weather_and_kafka),
        cmocka_unit_test(usage_errors_and_unimplemented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
