/* HYSPLIT tdump parsing, on two hand-written files in the documented layout (tests/traj/data),
 * and the point lines they turn into. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ais/timeutil.h"
#include "ais/traj_output.h"
#include "ais/traj_tdump.h"

#define DATA AIS_REPO_ROOT "/native/tests/traj/data/"

static char *fixture(const char *name)
{
    char *text = ais_test_read_file(name);
    assert_non_null(text);
    return text;
}

static int64_t iso(const char *text)
{
    int64_t t;
    assert_int_equal(ais_time_parse_iso(text, &t), AIS_OK);
    return t;
}

static void test_two_trajectories(void **state)
{
    (void)state;
    char *text = fixture(DATA "tdump_two_traj.txt");
    ais_tdump *td = NULL;
    char err[256];
    assert_int_equal(ais_tdump_parse(text, strlen(text), &td, err, sizeof err), AIS_OK);
    assert_int_equal(td->format_version, 1);
    assert_int_equal(td->n_grids, 1);
    assert_string_equal(td->grids[0].model, "GDAS");
    assert_int_equal(td->grids[0].time, iso("2026-01-12T00:00:00Z"));
    assert_int_equal(td->n_traj, 2);
    assert_string_equal(td->direction, "BACKWARD");
    assert_string_equal(td->vertical_method, "OMEGA");
    assert_int_equal(td->starts[1].time, iso("2026-01-15T00:00:00Z"));
    assert_double_near(td->starts[1].lat, 21.028, 0.0);
    assert_double_near(td->starts[1].lon, 105.854, 0.0);
    assert_double_near(td->starts[1].height_m_agl, 1000.0, 0.0);
    assert_int_equal(td->n_diag, 3);
    assert_string_equal(td->diag_names[0], "PRESSURE");
    assert_string_equal(td->diag_names[2], "AIR_TEMP");
    assert_int_equal(td->n_points, 8);
    /* the fourth line: trajectory 2, one hour back */
    const ais_tdump_point *p = &td->points[3];
    assert_int_equal(p->traj_no, 2);
    assert_int_equal(p->grid_no, 1);
    assert_int_equal(p->point.time, iso("2026-01-14T23:00:00Z"));
    assert_double_near(p->point.age_h, -1.0, 0.0);
    assert_double_near(p->point.lat, 21.140, 0.0);
    assert_double_near(p->point.lon, 106.012, 0.0);
    assert_double_near(p->point.alt_m, 1011.2, 0.0);
    assert_double_near(p->point.pressure_hpa, 899.2, 0.0);
    assert_int_equal(td->points[6].traj_no, 1);
    assert_double_near(td->points[6].point.age_h, -3.0, 0.0);
    assert_double_near(td->points[6].point.pressure_hpa, 961.0, 0.0);

    /* the same point lines as the built-in engine writes */
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "points.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t k = 0; k < td->n_points; k++)
        assert_int_equal(ais_traj_write_points(f, "h1", td->points[k].traj_no,
                                               &td->points[k].point, 1),
                         AIS_OK);
    assert_int_equal(fclose(f), 0);
    char *out = ais_test_read_file(path);
    json_t *lines = ais_test_parse_json_lines(out);
    assert_int_equal(json_array_size(lines), 8);
    json_t *l3 = json_array_get(lines, 3);
    assert_string_equal(json_string_value(json_object_get(l3, "run_id")), "h1");
    assert_string_equal(json_string_value(json_object_get(l3, "traj_id")), "h1-2");
    assert_double_near(json_number_value(json_object_get(l3, "age_h")), -1.0, 0.0);
    assert_double_near(json_number_value(json_object_get(l3, "lat")), 21.14, 1e-9);
    assert_double_near(json_number_value(json_object_get(l3, "lon")), 106.012, 1e-9);
    assert_double_near(json_number_value(json_object_get(l3, "alt_m")), 1011.2, 1e-9);
    assert_double_near(json_number_value(json_object_get(l3, "pressure_hpa")), 899.2, 1e-9);
    assert_string_equal(json_string_value(json_object_get(l3, "timestamp")),
                        "2026-01-14T23:00:00Z");
    /* exact text of the first line, keys in the documented order */
    const char *first_end = strchr(out, '\n');
    assert_non_null(first_end);
    const char *first = "{\"run_id\":\"h1\",\"traj_id\":\"h1-1\",\"age_h\":0.00,\"lat\":21.02800,"
                        "\"lon\":105.85400,\"alt_m\":500.0,\"pressure_hpa\":955.10,"
                        "\"timestamp\":\"2026-01-15T00:00:00Z\"}";
    assert_int_equal((size_t)(first_end - out), strlen(first));
    assert_memory_equal(out, first, strlen(first));
    json_decref(lines);
    free(out);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
    ais_tdump_free(td);
    free(text);
}

static void test_no_pressure_crlf(void **state)
{
    (void)state;
    char *text = fixture(DATA "tdump_one_traj_no_pressure.txt");
    ais_tdump *td = NULL;
    char err[256];
    assert_int_equal(ais_tdump_parse(text, strlen(text), &td, err, sizeof err), AIS_OK);
    assert_int_equal(td->format_version, 0);
    assert_string_equal(td->direction, "FORWARD");
    assert_int_equal(td->n_diag, 0);
    assert_int_equal(td->n_points, 3);
    assert_true(isnan(td->points[2].point.pressure_hpa));
    assert_double_near(td->points[2].point.age_h, 2.0, 0.0);
    assert_int_equal(td->points[2].forecast_hour, 2);
    assert_int_equal(td->points[2].point.time, iso("2026-07-01T14:00:00Z"));

    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "p.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(ais_traj_write_points(f, "r", 1, &td->points[2].point, 1), AIS_OK);
    fclose(f);
    char *out = ais_test_read_file(path);
    assert_non_null(strstr(out, "\"pressure_hpa\":null"));
    free(out);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
    ais_tdump_free(td);
    free(text);
}

static void expect_error(const char *text, const char *message_part)
{
    ais_tdump *td = (ais_tdump *)text;
    char err[256];
    assert_int_equal(ais_tdump_parse(text, strlen(text), &td, err, sizeof err), AIS_ERR_PARSE);
    assert_null(td);
    if (strstr(err, message_part) == NULL)
        print_error("message: %s\n", err);
    assert_non_null(strstr(err, message_part));
}

#define HEADER                                                                                   \
    "     1     1\n"                                                                            \
    "    GDAS    26     1    12     0     0\n"                                                  \
    "     1 BACKWARD OMEGA\n"                                                                   \
    "    26     1    15     0   21.028  105.854   500.0\n"                                      \
    "     1 PRESSURE\n"

static void test_malformed(void **state)
{
    (void)state;
    expect_error("", "number of meteorological grids");
    expect_error("     0\n", "number of meteorological grids");
    expect_error("     1\n    GDAS    26    13    12     0     0\n", "expected grid 1");
    expect_error("     1\n    GDAS    26     1    12     0     0\n     1 SIDEWAYS OMEGA\n",
                 "FORWARD|BACKWARD");
    expect_error("     1\n    GDAS    26     1    12     0     0\n     2 BACKWARD OMEGA\n"
                 "    26     1    15     0   21.028  105.854   500.0\n",
                 "expected start 2");
    expect_error(HEADER, "no trajectory points");
    expect_error(HEADER "     1     1    26     1    15     0     0     0     0.0   21.028\n",
                 "has 10 fields, expected 13");
    expect_error(HEADER "     2     1    26     1    15     0     0     0     0.0   21.028  105.854"
                        "    500.0    955.1\n",
                 "trajectory 1..1");
    expect_error(HEADER "     1     1    26     1    15     0     0     0     0.0   91.028  105.854"
                        "    500.0    955.1\n",
                 "latitude -90..90");
    expect_error(HEADER "     1     1    26     1    15     0     0     0     0.0   21.0x8  105.854"
                        "    500.0    955.1\n",
                 "not a number");
    expect_error(HEADER "     1     1    26     1    15     0     0     0     0.0   21.028  105.854"
                        "    500.0    nan\n",
                 "not a number");
    expect_error(HEADER "\x01\x02\n", "not text");
}

/* Every prefix of a valid file parses or is refused; nothing crashes or leaks. */
static void test_every_prefix(void **state)
{
    (void)state;
    char *text = fixture(DATA "tdump_two_traj.txt");
    size_t len = strlen(text), ok = 0;
    for (size_t n = 0; n <= len; n++) {
        ais_tdump *td = NULL;
        char err[256];
        ais_status st = ais_tdump_parse(text, n, &td, err, sizeof err);
        assert_true(st == AIS_OK || st == AIS_ERR_PARSE);
        if (st == AIS_OK) {
            ok++;
            assert_true(td->n_points >= 1 && td->n_points <= 8);
            ais_tdump_free(td);
        }
    }
    /* complete point lines parse; a cut inside a line does not */
    print_message("%zu of %zu prefixes parse\n", ok, len + 1);
    assert_true(ok >= 8);
    free(text);
}

/* The point writer's number formatting agrees with printf's (to the last digit, except at exact
 * decimal ties, where either rounding is right). */
static void test_point_numbers_match_printf(void **state)
{
    (void)state;
    char *dir = ais_test_mkdtemp();
    char *path = ais_test_join(dir, "n.jsonl");
    uint64_t x = 12345;
    enum { N = 3000 };
    ais_traj_point *pts = calloc(N, sizeof *pts);
    assert_non_null(pts);
    for (int k = 0; k < N; k++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(x >> 11) * 0x1.0p-53;
        pts[k].age_h = -72.0 * u;
        pts[k].lat = 180.0 * u - 90.0;
        pts[k].lon = 360.0 * u - 180.0;
        pts[k].alt_m = 20000.0 * u - 5.0;
        pts[k].pressure_hpa = k % 7 == 0 ? NAN : 1100.0 * u;
        pts[k].time = 1768435200 - k * 3600;
    }
    pts[0].age_h = -0.004; /* rounds to zero: no "-0.00" */
    pts[1].lat = -0.000004;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(ais_traj_write_points(f, "n", 1, pts, N), AIS_OK);
    fclose(f);
    char *out = ais_test_read_file(path);
    json_t *lines = ais_test_parse_json_lines(out);
    assert_int_equal(json_array_size(lines), N);
    char *line = out;
    for (int k = 0; k < N; k++) {
        char expect[64];
        const struct {
            const char *key;
            double v;
            int dec;
        } nums[] = {{"\"age_h\":", pts[k].age_h, 2}, {"\"lat\":", pts[k].lat, 5},
                    {"\"lon\":", pts[k].lon, 5}, {"\"alt_m\":", pts[k].alt_m, 1}};
        for (size_t q = 0; q < 4; q++) {
            const char *at = strstr(line, nums[q].key);
            assert_non_null(at);
            at += strlen(nums[q].key);
            snprintf(expect, sizeof expect, "%.*f", nums[q].dec, nums[q].v);
            if (strcmp(expect, "-0.00") == 0 || strcmp(expect, "-0.00000") == 0)
                memmove(expect, expect + 1, strlen(expect));
            size_t n = strlen(expect);
            if (strncmp(at, expect, n) != 0 || (at[n] != ',' && at[n] != '}')) {
                double scaled = fabs(nums[q].v) * pow(10.0, nums[q].dec);
                if (fabs(scaled - floor(scaled) - 0.5) > 1e-6)
                    print_error("line %d: %.20s vs %s\n", k, at, expect);
                assert_true(fabs(scaled - floor(scaled) - 0.5) <= 1e-6);
            }
        }
        if (k % 7 == 0)
            assert_non_null(strstr(line, "\"pressure_hpa\":null"));
        line = strchr(line, '\n') + 1;
    }
    assert_non_null(strstr(out, "\"age_h\":0.00,"));
    assert_non_null(strstr(out, "\"lat\":0.00000,"));
    json_decref(lines);
    free(out);
    free(pts);
    ais_test_rm_rf(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_trajectories),
        cmocka_unit_test(test_no_pressure_crlf),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_every_prefix),
        cmocka_unit_test(test_point_numbers_match_printf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
