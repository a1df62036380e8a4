#include "ais/traj_output.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ais/timeutil.h"


int ais_traj_run_id_valid(const char *run_id)
{
    if (run_id == NULL)
        return 0;
    size_t n = strlen(run_id);
    if (n == 0 || n > AIS_TRAJ_RUN_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)run_id[i] < 0x20 || run_id[i] == 0x7F)
            return 0;
    json_t *s = json_string(run_id); /* NULL unless valid UTF-8 */
    json_decref(s);
    return s != NULL;
}

static int number_in(json_t *v, double lo, double hi, double *out)
{
    if (!json_is_number(v))
        return 0;
    double d = json_number_value(v);
    if (!isfinite(d) || d < lo || d > hi)
        return 0;
    *out = d;
    return 1;
}

ais_status ais_traj_parse_run(const char *line, size_t len, double default_height_m,
                              int default_hours, ais_traj_run_spec *out, char *errbuf,
                              size_t errbuf_size)
{
    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (line == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL || !json_is_object(obj)) {
        json_decref(obj);
        return ais_status_fail(AIS_ERR_JSON, errbuf, errbuf_size, "not a JSON object: %s",
                    obj == NULL ? jerr.text : "another JSON value");
    }
    ais_status st = AIS_OK;
    json_t *rid = json_object_get(obj, "run_id");
    if (!json_is_string(rid) || !ais_traj_run_id_valid(json_string_value(rid))) {
        st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size,
                  "run_id must be a string of 1..%d printable characters", AIS_TRAJ_RUN_ID_MAX);
        json_decref(obj);
        return st;
    }
    snprintf(out->run_id, sizeof out->run_id, "%s", json_string_value(rid));

    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        static const char *const KNOWN[] = {"run_id", "lat", "lon", "start", "height_m", "hours"};
        int known = 0;
        for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++)
            known |= strcmp(key, KNOWN[k]) == 0;
        if (!known) {
            st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size,
                      "unknown key \"%.40s\" (run_id, lat, lon, start, height_m, hours)", key);
            break;
        }
    }
    ais_traj_start *s = &out->start;
    json_t *hours = json_object_get(obj, "hours");
    json_t *height = json_object_get(obj, "height_m");
    json_t *start = json_object_get(obj, "start");
    if (st == AIS_OK && !number_in(json_object_get(obj, "lat"), -90.0, 90.0, &s->lat))
        st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "lat must be a number in -90..90");
    if (st == AIS_OK && !number_in(json_object_get(obj, "lon"), -180.0, 360.0, &s->lon))
        st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "lon must be a number in -180..360");
    if (st == AIS_OK && !json_is_string(start))
        st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size, "start must be an ISO-8601 UTC time");
    if (st == AIS_OK && ais_time_parse_iso(json_string_value(start), &s->time) != AIS_OK)
        st = ais_status_fail(AIS_ERR_TIME_FORMAT, errbuf, errbuf_size,
                  "start \"%.40s\" is not an ISO-8601 UTC time", json_string_value(start));
    s->height_m_agl = default_height_m;
    if (st == AIS_OK && height != NULL && !number_in(height, 0.0, 100000.0, &s->height_m_agl))
        st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size,
                  "height_m must be a number of metres above ground in 0..100000");
    s->hours = default_hours;
    if (st == AIS_OK && hours != NULL) {
        double h;
        if (!number_in(hours, -AIS_TRAJ_MAX_HOURS, AIS_TRAJ_MAX_HOURS, &h) || h != floor(h) ||
            h == 0.0)
            st = ais_status_fail(AIS_ERR_INVALID_ARG, errbuf, errbuf_size,
                      "hours must be a non-zero whole number in -%d..%d", AIS_TRAJ_MAX_HOURS,
                      AIS_TRAJ_MAX_HOURS);
        else
            s->hours = (int)h;
    }
    json_decref(obj);
    return st;
}

/* The run id as a quoted, escaped JSON string; caller frees. */
static char *quoted(const char *text)
{
    json_t *s = json_string(text);
    if (s == NULL)
        return NULL;
    char *q = json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(s);
    return q;
}

/* Appends v rounded to decimals (0..6) places, without printf's exact-decimal machinery, which
 * dominated the output time. "-0.00" is written as "0.00". Returns the new end. */
static char *put_fixed(char *p, double v, int decimals)
{
    static const double SCALE[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    static const uint64_t ISCALE[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    double r = round(fabs(v) * SCALE[decimals]);
    if (!(r < 9e15)) /* not needed for coordinates, heights or pressures: stay exact anyway */
        return p + sprintf(p, "%.*f", decimals, v);
    uint64_t n = (uint64_t)r;
    if (v < 0 && n != 0)
        *p++ = '-';
    uint64_t whole = n / ISCALE[decimals], frac = n % ISCALE[decimals];
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole > 0);
    while (k > 0)
        *p++ = digits[--k];
    if (decimals > 0) {
        *p++ = '.';
        for (int d = decimals - 1; d >= 0; d--) {
            p[d] = (char)('0' + frac % 10);
            frac /= 10;
        }
        p += decimals;
    }
    return p;
}

static char *put_text(char *p, const char *text)
{
    size_t n = strlen(text);
    memcpy(p, text, n);
    return p + n;
}

ais_status ais_traj_write_points(FILE *out, const char *run_id, int traj_no,
                                 const ais_traj_point *points, size_t n_points)
{
    if (out == NULL || (points == NULL && n_points > 0) || !ais_traj_run_id_valid(run_id) ||
        traj_no < 0)
        return AIS_ERR_INVALID_ARG;
    char traj_id[AIS_TRAJ_RUN_ID_MAX + 16];
    snprintf(traj_id, sizeof traj_id, "%s-%d", run_id, traj_no);
    char *qrun = quoted(run_id), *qtraj = quoted(traj_id);
    /* one line: two escaped ids (at most 6 bytes per input byte each) and fixed-size numbers */
    size_t cap = (qrun ? strlen(qrun) : 0) + (qtraj ? strlen(qtraj) : 0) + 512;
    char *line = malloc(cap);
    ais_status st = qrun != NULL && qtraj != NULL && line != NULL ? AIS_OK : AIS_ERR_NOMEM;
    for (size_t k = 0; st == AIS_OK && k < n_points; k++) {
        const ais_traj_point *pt = &points[k];
        char ts[AIS_TIME_ISO_SIZE];
        /* bounds keep every number within the line buffer */
        if (ais_time_format_iso(pt->time, ts) != AIS_OK || !(fabs(pt->age_h) < 1e7) ||
            !(fabs(pt->lat) <= 90.0) || !(fabs(pt->lon) <= 720.0) || !(fabs(pt->alt_m) < 1e9) ||
            !(isnan(pt->pressure_hpa) || fabs(pt->pressure_hpa) < 1e9)) {
            st = AIS_ERR_RANGE;
            break;
        }
        char *p = line;
        p = put_text(p, "{\"run_id\":");
        p = put_text(p, qrun);
        p = put_text(p, ",\"traj_id\":");
        p = put_text(p, qtraj);
        p = put_text(p, ",\"age_h\":");
        p = put_fixed(p, pt->age_h, 2);
        p = put_text(p, ",\"lat\":");
        p = put_fixed(p, pt->lat, 5);
        p = put_text(p, ",\"lon\":");
        p = put_fixed(p, pt->lon, 5);
        p = put_text(p, ",\"alt_m\":");
        p = put_fixed(p, pt->alt_m, 1);
        p = put_text(p, ",\"pressure_hpa\":");
        p = isnan(pt->pressure_hpa) ? put_text(p, "null") : put_fixed(p, pt->pressure_hpa, 2);
        p = put_text(p, ",\"timestamp\":\"");
        p = put_text(p, ts);
        p = put_text(p, "\"}\n");
        size_t len = (size_t)(p - line);
        if (fwrite(line, 1, len, out) != len)
            st = AIS_ERR_IO;
    }
    free(line);
    free(qrun);
    free(qtraj);
    return st;
}
