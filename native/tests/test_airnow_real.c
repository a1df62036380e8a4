/* Contract test on the real AirNow DOS files (../shared/data/airnow-hanoi-pm25, SOURCES.md
 * section 1). Skipped, with a message, when the folder is absent.
 *
 * SOURCES.md's per-year table was computed by merging the files on the raw "Date (LT)" label
 * (YTD files first, then MTD files to fill gaps) and counting QC Name == Valid and Raw Conc. > 0.
 * This test recomputes that table with its own small CSV reader (not the product's parser) and
 * checks it equals SOURCES.md to the digit, then checks the replay against it:
 *  - the replay has one more hour per year 2015-2019: the 02:00 hour rebuilt from the DST
 *    duplicate, which the label merge collapsed into 03:00; valid hours are SOURCES.md's plus
 *    that hour where it is valid (2016-2019; in 2015 it is Missing);
 *  - mean and median per year agree with SOURCES.md to its one decimal;
 *  - every valid hour of the label merge (DST labels aside) has exactly that value in the
 *    replay, at label - 1 h - 7 h UTC (hour-ending labels, UTC+7);
 *  - each complete YTD file (2015, 2016, 2017) fills exactly its local calendar year;
 *  - the 103 (2019) and 56 (2015) hours whose QC flags differ between downloads are the
 *    conflicts SOURCES.md describes. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ais/airnow.h"
#include "ais/fsutil.h"
#include "ais/timeutil.h"

#define HOUR 3600

static char *data_dir(void)
{
    const char *base = getenv("AIS_SHARED_DATA");
    char *dir = ais_test_join(base != NULL && base[0] ? base : AIS_SHARED_DATA,
                              "airnow-hanoi-pm25");
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        print_message("SKIP: %s is absent; the AirNow contract test needs the recorded files "
                      "(SOURCES.md section 1)\n",
                      dir);
        free(dir);
        return NULL;
    }
    return dir;
}

/* ----------------------------------------------------------------------------------------- */
/* The test's own reader: SOURCES.md's label merge                                            */

typedef struct label_row {
    int64_t label; /* local seconds */
    double raw;
    int valid; /* QC Valid and raw > 0 */
    int is_ytd;
    int order; /* file order, then line order */
} label_row;

typedef struct rows {
    label_row *items;
    size_t n, cap;
} rows;

static void push(rows *r, label_row row)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 65536;
        r->items = realloc(r->items, r->cap * sizeof *r->items);
        assert_non_null(r->items);
    }
    r->items[r->n++] = row;
}

static int column(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Splits on commas in place (the real files have no quoted fields). */
static int split_commas(char *line, char **out, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        assert_true(n < max);
        out[n++] = p;
        char *c = strchr(p, ',');
        if (c == NULL)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void read_raw_file(const char *path, int file_index, rows *out)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int value_col = 10, qc_col = 13, n_cols = 14, line_no = 0;
    int is_ytd = strstr(path, "YTD") != NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *fields[32];
        int n = split_commas(line, fields, 32);
        if (line_no++ == 0 && strcmp(fields[0], "Site") == 0) {
            value_col = column(fields, n, "Raw Conc.");
            if (value_col < 0)
                value_col = column(fields, n, "Value");
            qc_col = column(fields, n, "QC Name");
            n_cols = n;
            assert_true(value_col >= 0 && qc_col >= 0);
            continue;
        }
        assert_int_equal(n, n_cols);
        int y, mo, d, h, mi;
        char ampm[3];
        assert_int_equal(sscanf(fields[2], "%4d-%2d-%2d %2d:%2d %2s", &y, &mo, &d, &h, &mi, ampm),
                         6);
        h = h % 12 + (strcmp(ampm, "PM") == 0 ? 12 : 0);
        label_row r;
        assert_int_equal(ais_time_from_civil(y, mo, d, h, 0, 0, &r.label), AIS_OK);
        r.raw = strtod(fields[value_col], NULL);
        r.valid = strcmp(fields[qc_col], "Valid") == 0 && r.raw > 0;
        r.is_ytd = is_ytd;
        r.order = file_index * 100000 + line_no;
        push(out, r);
    }
    fclose(f);
}

static int by_label_ytd_first(const void *pa, const void *pb)
{
    const label_row *a = pa, *b = pb;
    if (a->label != b->label)
        return a->label < b->label ? -1 : 1;
    if (a->is_ytd != b->is_ytd)
        return a->is_ytd ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

/* One row per label: the first YTD row, else the first MTD row. */
static rows label_merge(const char *dir)
{
    ais_path_list list;
    assert_int_equal(ais_fs_list_files(dir, ".csv", &list), AIS_OK);
    assert_int_equal(list.count, 13);
    rows all = {0};
    for (size_t i = 0; i < list.count; i++)
        read_raw_file(list.paths[i], (int)i, &all);
    ais_path_list_free(&list);
    assert_int_equal(all.n, 45746); /* SOURCES.md's per-file rows add up to this */
    qsort(all.items, all.n, sizeof *all.items, by_label_ytd_first);
    rows merged = {0};
    for (size_t i = 0; i < all.n; i++)
        if (i == 0 || all.items[i].label != all.items[i - 1].label)
            push(&merged, all.items[i]);
    free(all.items);
    return merged;
}

/* ----------------------------------------------------------------------------------------- */
/* The replay, through a sink that keeps what the test needs                                  */

enum { F_SUSPECT = 1, F_DST = 2, F_CONFLICT = 4 };

typedef struct hour {
    int64_t start; /* UTC */
    double value;
    int has_value;
    int flags;
} hour;

typedef struct hours {
    hour *items;
    size_t n, cap;
} hours;

static ais_status keep(void *ctx, const json_t *ev)
{
    hours *h = ctx;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 65536;
        h->items = realloc(h->items, h->cap * sizeof *h->items);
        assert_non_null(h->items);
    }
    hour *o = &h->items[h->n++];
    assert_int_equal(ais_time_parse_iso(json_string_value(json_object_get(ev, "event_time")),
                                        &o->start),
                     AIS_OK);
    const json_t *v = json_object_get(ev, "value");
    o->has_value = json_is_real(v);
    o->value = o->has_value ? json_real_value(v) : 0.0;
    o->flags = 0;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(ev, "quality_flags"), i, f) {
        const char *name = json_string_value(f);
        if (strcmp(name, "qc_suspect") == 0)
            o->flags |= F_SUSPECT;
        else if (strcmp(name, "dst_duplicate_repaired") == 0)
            o->flags |= F_DST;
        else if (strcmp(name, "conflict_resolved") == 0)
            o->flags |= F_CONFLICT;
    }
    return AIS_OK;
}

static ais_status drop(void *ctx, const json_t *ev)
{
    (void)ctx;
    (void)ev;
    fail_msg("the real files should produce no dead letters");
    return AIS_OK;
}

static const hour *find_hour(const hours *h, int64_t start)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h->items[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->n && h->items[lo].start == start ? &h->items[lo] : NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static int year_of(int64_t local)
{
    ais_civil_time c;
    assert_int_equal(ais_time_to_civil(local, &c), AIS_OK);
    return c.year;
}

/* SOURCES.md section 1, "Per-year statistics" */
static const struct {
    int year;
    long rows, valid;
    double mean, median;
} SOURCES_TABLE[] = {
    {2015, 8758, 482, 82.0, 70.7},  {2016, 8783, 8298, 50.9, 41.9}, {2017, 8759, 8651, 42.8, 31.9},
    {2018, 8435, 7989, 40.6, 32.0}, {2019, 5324, 5000, 51.4, 41.0},
};

static void the_label_merge_reproduces_sources_md(void **state)
{
    (void)state;
    char *dir = data_dir();
    if (dir == NULL) {
        skip();
        return;
    }
    rows m = label_merge(dir);
    for (size_t y = 0; y < 5; y++) {
        long n = 0, valid = 0;
        double sum = 0.0;
        double *values = malloc(9000 * sizeof *values);
        for (size_t i = 0; i < m.n; i++) {
            if (year_of(m.items[i].label) != SOURCES_TABLE[y].year)
                continue;
            n++;
            if (m.items[i].valid) {
                values[valid++] = m.items[i].raw;
                sum += m.items[i].raw;
            }
        }
        assert_int_equal(n, SOURCES_TABLE[y].rows);
        assert_int_equal(valid, SOURCES_TABLE[y].valid);
        assert_double_near(round(sum / (double)valid * 10.0) / 10.0, SOURCES_TABLE[y].mean, 1e-9);
        assert_double_near(round(median(values, (size_t)valid) * 10.0) / 10.0,
                           SOURCES_TABLE[y].median, 1e-9);
        free(values);
    }
    free(m.items);
    free(dir);
}

static void replay_matches_the_recorded_files(void **state)
{
    (void)state;
    char *dir = data_dir();
    if (dir == NULL) {
        skip();
        return;
    }
    int64_t start, end;
    assert_int_equal(ais_time_parse_iso("2014-12-31T00:00:00Z", &start), AIS_OK);
    assert_int_equal(ais_time_parse_iso("2020-01-02T00:00:00Z", &end), AIS_OK);
    ais_envelope env;
    assert_int_equal(ais_envelope_init(&env, "airnow", "replay", start, end), AIS_OK);
    hours h = {0};
    ais_sink sink = {&h, keep};
    ais_sink dead = {NULL, drop};
    ais_dlq dlq;
    assert_int_equal(ais_dlq_init(&dlq, &dead, "airnow", "openaq-hourly", "t"), AIS_OK);
    ais_replay_stats st;
    char err[256];
    assert_int_equal(ais_airnow_replay(dir, 7, &env, &sink, &dlq, &st, NULL, err, sizeof err),
                     AIS_OK);
    ais_dlq_release(&dlq);

    assert_int_equal(st.files_read, 13);
    assert_int_equal(st.records_read, 45746);
    assert_int_equal(st.records_rejected, 0);
    assert_int_equal(st.files_rejected, 0);
    assert_int_equal(st.dst_repaired, 6); /* five YTD files, 2019 in two copies */
    assert_int_equal(st.duplicates_merged, 5681);
    assert_int_equal(st.conflicts_resolved, 159);
    assert_int_equal(st.events, 40065); /* 40,059 labels of the table + 5 DST hours + 1 (2020) */
    assert_int_equal(h.n, 40065);
    for (size_t i = 1; i < h.n; i++)
        assert_true(h.items[i].start > h.items[i - 1].start);

    /* per label year: SOURCES.md plus the repaired hour */
    static const long extra_valid[] = {0, 1, 1, 1, 1}; /* 2015's 02:00 is Missing */
    for (size_t y = 0; y < 5; y++) {
        long n = 0, valid = 0, conflicts = 0;
        double sum = 0.0;
        double *values = malloc(9000 * sizeof *values);
        for (size_t i = 0; i < h.n; i++) {
            /* the label that closes the hour, local time */
            if (year_of(h.items[i].start + HOUR + 7 * HOUR) != SOURCES_TABLE[y].year)
                continue;
            n++;
            conflicts += (h.items[i].flags & F_CONFLICT) != 0;
            if (h.items[i].has_value && !(h.items[i].flags & F_SUSPECT)) {
                values[valid++] = h.items[i].value;
                sum += h.items[i].value;
            }
        }
        assert_int_equal(n, SOURCES_TABLE[y].rows + 1);
        assert_int_equal(valid, SOURCES_TABLE[y].valid + extra_valid[y]);
        assert_double_near(sum / (double)valid, SOURCES_TABLE[y].mean, 0.05);
        assert_double_near(median(values, (size_t)valid), SOURCES_TABLE[y].median, 0.05);
        /* QC flags revised between downloads (SOURCES.md quality issue 2) */
        if (SOURCES_TABLE[y].year == 2019)
            assert_int_equal(conflicts, 103);
        if (SOURCES_TABLE[y].year == 2015)
            assert_int_equal(conflicts, 56);
        free(values);
    }

    /* each complete YTD file fills exactly its local calendar year */
    static const struct {
        int year;
        long hours;
    } full_years[] = {{2015, 8760}, {2016, 8784}, {2017, 8760}};
    for (size_t y = 0; y < 3; y++) {
        long n = 0;
        for (size_t i = 0; i < h.n; i++)
            n += year_of(h.items[i].start + 7 * HOUR) == full_years[y].year;
        assert_int_equal(n, full_years[y].hours);
    }

    /* value for value against the label merge */
    rows m = label_merge(dir);
    size_t compared = 0;
    for (size_t i = 0; i < m.n; i++) {
        const label_row *r = &m.items[i];
        ais_civil_time c;
        assert_int_equal(ais_time_to_civil(r->label, &c), AIS_OK);
        int month, day;
        if (ais_airnow_us_dst_start(c.year, &month, &day) == AIS_OK && c.month == month &&
            c.day == day && c.hour == 3)
            continue; /* the merge kept only one of the two 03:00 rows */
        const hour *e = find_hour(&h, r->label - HOUR - 7 * HOUR);
        assert_non_null(e);
        if (r->valid) {
            assert_true(e->has_value);
            assert_double_near(e->value, r->raw, 0.0);
            compared++;
        } else {
            assert_true(!e->has_value || (e->flags & F_SUSPECT));
        }
    }
    assert_int_equal(compared, 482 + 8298 + 8651 + 7989 + 5000 + 1 /* 2020-01-01 00:00 */ - 4);

    /* SOURCES.md: "2016-03-13 03:00 holds 1.2 and 6.9" -> 02:00 and 03:00 */
    int64_t t;
    assert_int_equal(ais_time_parse_iso("2016-03-12T18:00:00Z", &t), AIS_OK);
    const hour *e = find_hour(&h, t);
    assert_non_null(e);
    assert_double_near(e->value, 1.2, 0.0);
    assert_true(e->flags & F_DST);
    e = find_hour(&h, t + HOUR);
    assert_double_near(e->value, 6.9, 0.0);
    assert_false(e->flags & F_DST);
    /* the 2019 maximum */
    double max = 0.0;
    for (size_t i = 0; i < h.n; i++)
        if (h.items[i].has_value && h.items[i].value > max)
            max = h.items[i].value;
    assert_double_near(max, 555.0, 0.0);

    free(m.items);
    free(h.items);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_label_merge_reproduces_sources_md),
        cmocka_unit_test(replay_matches_the_recorded_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
