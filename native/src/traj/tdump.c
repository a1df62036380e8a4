#include "ais/traj_tdump.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ais/timeutil.h"

#define MAX_TOKENS (12 + AIS_TDUMP_MAX_DIAG + 1)
#define MAX_TOKEN_LEN 40

typedef struct line_reader {
    const char *text;
    size_t len, pos;
    size_t line_no; /* 1-based number of the last line returned */
} line_reader;

typedef struct tokens {
    size_t n;
    char tok[MAX_TOKENS][MAX_TOKEN_LEN];
} tokens;


/* Next non-blank line split into tokens. Returns 1 with the tokens, 0 at the end of the text,
 * -1 for a line with too many or too long tokens or a byte that is not text. */
static int next_line(line_reader *lr, tokens *t)
{
    while (lr->pos < lr->len) {
        size_t start = lr->pos, end = start;
        while (end < lr->len && lr->text[end] != '\n')
            end++;
        lr->pos = end < lr->len ? end + 1 : end;
        lr->line_no++;
        t->n = 0;
        size_t i = start;
        while (i < end) {
            char c = lr->text[i];
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
                continue;
            }
            if ((unsigned char)c < 0x21 || (unsigned char)c > 0x7E)
                return -1;
            if (t->n == MAX_TOKENS)
                return -1;
            size_t k = 0;
            while (i < end && lr->text[i] != ' ' && lr->text[i] != '\t' && lr->text[i] != '\r') {
                c = lr->text[i];
                if ((unsigned char)c < 0x21 || (unsigned char)c > 0x7E || k + 1 >= MAX_TOKEN_LEN)
                    return -1;
                t->tok[t->n][k++] = c;
                i++;
            }
            t->tok[t->n][k] = '\0';
            t->n++;
        }
        if (t->n > 0)
            return 1;
    }
    return 0;
}

static int to_int(const char *s, long lo, long hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return 0;
    *out = (int)v;
    return 1;
}

static int to_double(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static int full_year(int y)
{
    if (y >= 100)
        return y;
    return y < 40 ? 2000 + y : 1900 + y;
}

/* Epoch of tokens y m d h [mi]. */
static int to_time(const tokens *t, size_t first, int with_minute, int64_t *out)
{
    int y, m, d, h, mi = 0;
    if (!to_int(t->tok[first], 0, 9999, &y) || !to_int(t->tok[first + 1], 1, 12, &m) ||
        !to_int(t->tok[first + 2], 1, 31, &d) || !to_int(t->tok[first + 3], 0, 23, &h) ||
        (with_minute && !to_int(t->tok[first + 4], 0, 59, &mi)))
        return 0;
    return ais_time_from_civil(full_year(y), m, d, h, mi, 0, out) == AIS_OK;
}

void ais_tdump_free(ais_tdump *tdump)
{
    if (tdump == NULL)
        return;
    free(tdump->grids);
    free(tdump->starts);
    free(tdump->points);
    free(tdump);
}

static ais_status parse_header(line_reader *lr, tokens *t, ais_tdump *td, char *errbuf,
                               size_t errsize)
{
    int r = next_line(lr, t);
    int n;
    if (r != 1 || t->n > 2 || !to_int(t->tok[0], 1, AIS_TDUMP_MAX_GRIDS, &n) ||
        (t->n == 2 && !to_int(t->tok[1], 0, 99, &td->format_version)))
        return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                    "line %zu: expected the number of meteorological grids (1..%d)", lr->line_no,
                    AIS_TDUMP_MAX_GRIDS);
    td->n_grids = (size_t)n;
    td->grids = calloc(td->n_grids, sizeof *td->grids);
    if (td->grids == NULL)
        return AIS_ERR_NOMEM;
    for (size_t g = 0; g < td->n_grids; g++) {
        ais_tdump_grid *gr = &td->grids[g];
        if (next_line(lr, t) != 1 || t->n < 5 || !to_time(t, t->n - 5, 0, &gr->time) ||
            !to_int(t->tok[t->n - 1], -99999, 99999, &gr->forecast_hour))
            return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                        "line %zu: expected grid %zu as: model year month day hour forecast-hour",
                        lr->line_no, g + 1);
        size_t len = 0;
        for (size_t k = 0; k + 5 < t->n && len < 8; k++) {
            if (k > 0)
                gr->model[len++] = ' ';
            for (const char *c = t->tok[k]; *c && len < 8; c++)
                gr->model[len++] = *c;
        }
        gr->model[len] = '\0';
    }
    if (next_line(lr, t) != 1 || t->n < 2 || t->n > 3 ||
        !to_int(t->tok[0], 1, AIS_TDUMP_MAX_TRAJ, &n) ||
        (strcmp(t->tok[1], "FORWARD") != 0 && strcmp(t->tok[1], "BACKWARD") != 0))
        return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                    "line %zu: expected: number of trajectories (1..%d), FORWARD|BACKWARD, "
                    "vertical method",
                    lr->line_no, AIS_TDUMP_MAX_TRAJ);
    td->n_traj = (size_t)n;
    snprintf(td->direction, sizeof td->direction, "%.8s", t->tok[1]);
    if (t->n == 3)
        snprintf(td->vertical_method, sizeof td->vertical_method, "%.8s", t->tok[2]);
    td->starts = calloc(td->n_traj, sizeof *td->starts);
    if (td->starts == NULL)
        return AIS_ERR_NOMEM;
    for (size_t k = 0; k < td->n_traj; k++) {
        ais_tdump_start *s = &td->starts[k];
        int minute = 0;
        if (next_line(lr, t) == 1 && (t->n == 7 || t->n == 8)) {
            minute = t->n == 8;
            size_t o = (size_t)(4 + minute);
            if (to_time(t, 0, minute, &s->time) && to_double(t->tok[o], -90, 90, &s->lat) &&
                to_double(t->tok[o + 1], -360, 360, &s->lon) &&
                to_double(t->tok[o + 2], -1e5, 1e6, &s->height_m_agl))
                continue;
        }
        return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                    "line %zu: expected start %zu as: year month day hour latitude longitude "
                    "height",
                    lr->line_no, k + 1);
    }
    if (next_line(lr, t) != 1 || !to_int(t->tok[0], 0, AIS_TDUMP_MAX_DIAG, &n) ||
        t->n != (size_t)n + 1)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                    "line %zu: expected the number of diagnostic variables (0..%d) and their "
                    "names",
                    lr->line_no, AIS_TDUMP_MAX_DIAG);
    td->n_diag = (size_t)n;
    for (size_t k = 0; k < td->n_diag; k++)
        snprintf(td->diag_names[k], sizeof td->diag_names[k], "%.8s", t->tok[k + 1]);
    return AIS_OK;
}

static ais_status parse_points(line_reader *lr, tokens *t, ais_tdump *td, char *errbuf,
                               size_t errsize)
{
    size_t pressure_col = SIZE_MAX, cap = 0;
    for (size_t k = 0; k < td->n_diag; k++)
        if (strcasecmp(td->diag_names[k], "PRESSURE") == 0) {
            pressure_col = k;
            break;
        }
    int r;
    while ((r = next_line(lr, t)) == 1) {
        if (t->n != 12 + td->n_diag)
            return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                        "line %zu: a point line has %zu fields, expected %zu", lr->line_no, t->n,
                        12 + td->n_diag);
        if (td->n_points == cap) {
            size_t ncap = cap ? cap * 2 : 128;
            ais_tdump_point *bigger = realloc(td->points, ncap * sizeof *bigger);
            if (bigger == NULL)
                return AIS_ERR_NOMEM;
            td->points = bigger;
            cap = ncap;
        }
        ais_tdump_point *pt = &td->points[td->n_points];
        ais_traj_point *p = &pt->point;
        double diag[AIS_TDUMP_MAX_DIAG];
        int ok = to_int(t->tok[0], 1, (long)td->n_traj, &pt->traj_no) &&
                 to_int(t->tok[1], 0, 99999, &pt->grid_no) && to_time(t, 2, 1, &p->time) &&
                 to_int(t->tok[7], -99999, 99999, &pt->forecast_hour) &&
                 to_double(t->tok[8], -1e5, 1e5, &p->age_h) &&
                 to_double(t->tok[9], -90, 90, &p->lat) &&
                 to_double(t->tok[10], -360, 360, &p->lon) &&
                 to_double(t->tok[11], -1e5, 1e6, &p->alt_m);
        for (size_t k = 0; ok && k < td->n_diag; k++)
            ok = to_double(t->tok[12 + k], -1e9, 1e9, &diag[k]);
        if (!ok)
            return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                        "line %zu: a point field is not a number in range (trajectory 1..%zu, "
                        "date, age, latitude -90..90, longitude -360..360, height)",
                        lr->line_no, td->n_traj);
        p->pressure_hpa = pressure_col != SIZE_MAX ? diag[pressure_col] : NAN;
        td->n_points++;
    }
    if (r < 0)
        return ais_status_fail(AIS_ERR_PARSE, errbuf, errsize,
                    "line %zu: not text, or more than %d fields", lr->line_no, MAX_TOKENS);
    return AIS_OK;
}

ais_status ais_tdump_parse(const char *text, size_t len, ais_tdump **out, char *errbuf,
                           size_t errbuf_size)
{
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;
    if (text == NULL && len > 0)
        return AIS_ERR_INVALID_ARG;
    ais_tdump *td = calloc(1, sizeof *td);
    tokens *t = malloc(sizeof *t);
    if (td == NULL || t == NULL) {
        free(td);
        free(t);
        return AIS_ERR_NOMEM;
    }
    line_reader lr = {text, len, 0, 0};
    ais_status st = parse_header(&lr, t, td, errbuf, errbuf_size);
    if (st == AIS_OK)
        st = parse_points(&lr, t, td, errbuf, errbuf_size);
    if (st == AIS_OK && td->n_points == 0)
        st = ais_status_fail(AIS_ERR_PARSE, errbuf, errbuf_size, "no trajectory points after the header");
    free(t);
    if (st == AIS_ERR_NOMEM)
        ais_status_fail(st, errbuf, errbuf_size, "out of memory");
    if (st != AIS_OK) {
        ais_tdump_free(td);
        return st;
    }
    *out = td;
    return AIS_OK;
}
