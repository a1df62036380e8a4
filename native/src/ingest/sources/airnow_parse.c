/* AirNow DOS CSV lines: layouts, one-line parser, the value policy. Pure functions only; the
 * file handling is in airnow_replay.c. */
#include "ais/airnow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ais/timeutil.h"

const char *ais_airnow_qc_name(ais_airnow_qc qc)
{
    switch (qc) {
    case AIS_AIRNOW_QC_VALID: return "Valid";
    case AIS_AIRNOW_QC_SUSPECT: return "Suspect";
    case AIS_AIRNOW_QC_INVALID: return "Invalid";
    case AIS_AIRNOW_QC_MISSING: return "Missing";
    }
    return "unknown";
}

static const char *const FLAG_NAMES[AIS_AIRNOW_FLAG_COUNT] = {
    "missing",           "qc_suspect",
    "qc_invalid",        "qc_missing",
    "nonpositive_value", "dst_duplicate_repaired",
    "conflict_resolved",
};

const char *ais_airnow_flag_name(unsigned bit)
{
    for (unsigned i = 0; i < AIS_AIRNOW_FLAG_COUNT; i++)
        if (bit == 1u << i)
            return FLAG_NAMES[i];
    return NULL;
}

void ais_airnow_layout_current(ais_airnow_layout *out)
{
    *out = (ais_airnow_layout){.n_fields = 14, .site = 0, .parameter = 1, .date = 2, .year = 3,
                               .month = 4, .day = 5, .hour = 6, .value = 10, .unit = 11,
                               .duration = 12, .qc = 13};
}

void ais_airnow_layout_2015(ais_airnow_layout *out)
{
    *out = (ais_airnow_layout){.n_fields = 11, .site = 0, .parameter = 1, .date = 2, .year = 3,
                               .month = 4, .day = 5, .hour = 6, .value = 7, .unit = 8,
                               .duration = 9, .qc = 10};
}

/* ------------------------------------------------------------------------------------------ */
/* Splitting                                                                                  */

typedef struct fields {
    int n;
    const char *text[AIS_AIRNOW_MAX_FIELDS]; /* NUL-terminated, inside buf, trimmed */
    char buf[AIS_AIRNOW_MAX_LINE + AIS_AIRNOW_MAX_FIELDS + 1];
} fields;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits one CSV line (RFC 4180 quoting: "a,b" and "" inside quotes). Field text is copied
 * into f->buf, trimmed of blanks outside quotes. */
static const char *split(const char *line, size_t len, fields *f)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > AIS_AIRNOW_MAX_LINE)
        return "line_too_long";
    if (memchr(line, '\0', len) != NULL)
        return "nul_byte";
    size_t i = 0, o = 0;
    f->n = 0;
    for (;;) {
        if (f->n == AIS_AIRNOW_MAX_FIELDS)
            return "wrong_column_count";
        while (i < len && is_blank(line[i]))
            i++;
        size_t start = o;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    return "bad_quoting";
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        f->buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                f->buf[o++] = line[i++];
            }
            while (i < len && is_blank(line[i]))
                i++;
            if (i < len && line[i] != ',')
                return "bad_quoting";
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"')
                    return "bad_quoting";
                f->buf[o++] = line[i++];
            }
            while (o > start && is_blank(f->buf[o - 1]))
                o--;
        }
        f->buf[o++] = '\0';
        f->text[f->n++] = f->buf + start;
        if (i >= len)
            return NULL;
        i++; /* the comma */
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Layouts                                                                                    */

static size_t skip_bom(const char *line, size_t len)
{
    return len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

bool ais_airnow_is_header(const char *line, size_t len)
{
    if (line == NULL)
        return false;
    size_t skip = skip_bom(line, len);
    line += skip;
    len -= skip;
    while (len > 0 && is_blank(*line)) {
        line++;
        len--;
    }
    return len >= 4 && strncmp(line, "Site", 4) == 0 &&
           (len == 4 || line[4] == ',' || is_blank(line[4]));
}

static int set_column(int *slot, int index)
{
    if (*slot >= 0)
        return 0; /* named twice */
    *slot = index;
    return 1;
}

ais_status ais_airnow_layout_from_header(const char *line, size_t len, ais_airnow_layout *out,
                                         const char **reason)
{
    fields f;
    if (line == NULL || out == NULL || reason == NULL)
        return AIS_ERR_INVALID_ARG;
    size_t skip = skip_bom(line, len);
    *reason = "unknown_layout";
    if (split(line + skip, len - skip, &f) != NULL)
        return AIS_ERR_PARSE;
    ais_airnow_layout l = {.n_fields = f.n, .site = -1, .parameter = -1, .date = -1, .year = -1,
                           .month = -1, .day = -1, .hour = -1, .value = -1, .unit = -1,
                           .duration = -1, .qc = -1};
    int value_alt = -1, unit_alt = -1, ok = 1;
    for (int i = 0; i < f.n && ok; i++) {
        const char *name = f.text[i];
        if (strcmp(name, "Site") == 0)
            ok = set_column(&l.site, i);
        else if (strcmp(name, "Parameter") == 0)
            ok = set_column(&l.parameter, i);
        else if (strcmp(name, "Date (LT)") == 0)
            ok = set_column(&l.date, i);
        else if (strcmp(name, "Year") == 0)
            ok = set_column(&l.year, i);
        else if (strcmp(name, "Month") == 0)
            ok = set_column(&l.month, i);
        else if (strcmp(name, "Day") == 0)
            ok = set_column(&l.day, i);
        else if (strcmp(name, "Hour") == 0)
            ok = set_column(&l.hour, i);
        else if (strcmp(name, "Raw Conc.") == 0)
            ok = set_column(&l.value, i);
        else if (strcmp(name, "Value") == 0)
            ok = set_column(&value_alt, i);
        else if (strcmp(name, "Conc. Unit") == 0)
            ok = set_column(&l.unit, i);
        else if (strcmp(name, "Unit") == 0)
            ok = set_column(&unit_alt, i);
        else if (strcmp(name, "Duration") == 0)
            ok = set_column(&l.duration, i);
        else if (strcmp(name, "QC Name") == 0)
            ok = set_column(&l.qc, i);
        /* other columns (NowCast Conc., AQI, AQI Category, 24-hr. Midpoint Avg. Conc.) are
         * derived from the concentration and not used */
    }
    if (!ok)
        return AIS_ERR_PARSE;
    /* "Value"/"Unit" are the 2015 names; a header with both spellings is ambiguous */
    if ((l.value >= 0 && value_alt >= 0) || (l.unit >= 0 && unit_alt >= 0))
        return AIS_ERR_PARSE;
    if (l.value < 0)
        l.value = value_alt;
    if (l.unit < 0)
        l.unit = unit_alt;
    if (l.site < 0 || l.parameter < 0 || l.date < 0 || l.year < 0 || l.month < 0 || l.day < 0 ||
        l.hour < 0 || l.value < 0 || l.unit < 0 || l.duration < 0 || l.qc < 0)
        return AIS_ERR_PARSE;
    *out = l;
    *reason = NULL;
    return AIS_OK;
}

/* "YYYY-MM-DD HH:MM AM" -> civil fields, hour 0..23. Returns a reason or NULL. */
static const char *parse_label(const char *s, int *y, int *mo, int *d, int *h, int *mi)
{
    if (strlen(s) != 19)
        return "bad_date";
    static const char PATTERN[] = "dddd-dd-dd dd:dd AA";
    for (int i = 0; i < 19; i++) {
        char p = PATTERN[i], c = s[i];
        if ((p == 'd' && (c < '0' || c > '9')) || (p == 'A' && !((c >= 'A' && c <= 'Z') ||
                                                                 (c >= 'a' && c <= 'z'))) ||
            (p != 'd' && p != 'A' && c != p))
            return "bad_date";
    }
#define NUM2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
    *y = NUM2(s) * 100 + NUM2(s + 2);
    *mo = NUM2(s + 5);
    *d = NUM2(s + 8);
    int h12 = NUM2(s + 11);
    *mi = NUM2(s + 14);
#undef NUM2
    int pm;
    if (strncasecmp(s + 17, "AM", 2) == 0)
        pm = 0;
    else if (strncasecmp(s + 17, "PM", 2) == 0)
        pm = 1;
    else
        return "bad_date";
    if (h12 < 1 || h12 > 12 || *mi > 59)
        return "bad_date";
    *h = (h12 % 12) + (pm ? 12 : 0);
    int64_t check;
    if (ais_time_from_civil(*y, *mo, *d, *h, *mi, 0, &check) != AIS_OK)
        return "bad_date";
    return NULL;
}

ais_status ais_airnow_layout_detect(const char *line, size_t len, ais_airnow_layout *out,
                                    const char **reason)
{
    fields f;
    if (line == NULL || out == NULL || reason == NULL)
        return AIS_ERR_INVALID_ARG;
    size_t skip = skip_bom(line, len);
    *reason = "unknown_layout";
    if (split(line + skip, len - skip, &f) != NULL || f.n < 3)
        return AIS_ERR_PARSE;
    int y, mo, d, h, mi;
    if (parse_label(f.text[2], &y, &mo, &d, &h, &mi) != NULL)
        return AIS_ERR_PARSE;
    if (f.n == 14)
        ais_airnow_layout_current(out);
    else if (f.n == 11)
        ais_airnow_layout_2015(out);
    else
        return AIS_ERR_PARSE;
    *reason = NULL;
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* One line                                                                                   */

/* Whole-field unsigned decimal of 1..4 digits. */
static int parse_small_int(const char *s, int *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 4)
        return 0;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Plain decimal: [+-]digits[.digits] or [+-].digits, at most 32 characters, finite. */
static int parse_decimal(const char *s, double *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return 0;
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    size_t digits = 0, dots = 0;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && dots == 0)
            dots++;
        else
            return 0;
    }
    if (digits == 0)
        return 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == NULL || *end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int layout_fits(const ais_airnow_layout *l)
{
    const int cols[] = {l->site,  l->parameter, l->date, l->year,     l->month, l->day,
                        l->hour,  l->value,     l->unit, l->duration, l->qc};
    if (l->n_fields < 1 || l->n_fields > AIS_AIRNOW_MAX_FIELDS)
        return 0;
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (cols[i] < 0 || cols[i] >= l->n_fields)
            return 0;
    return 1;
}

static ais_status reject(const char **reason, const char *why)
{
    *reason = why;
    return AIS_ERR_PARSE;
}

ais_status ais_airnow_parse_line(const char *line, size_t len, const ais_airnow_layout *layout,
                                 ais_airnow_row *out, const char **reason)
{
    fields f;
    if ((line == NULL && len > 0) || layout == NULL || out == NULL || reason == NULL ||
        !layout_fits(layout))
        return AIS_ERR_INVALID_ARG;
    *reason = NULL;
    const char *why = split(line != NULL ? line : "", len, &f);
    if (why != NULL)
        return reject(reason, why);
    if (f.n != layout->n_fields)
        return reject(reason, "wrong_column_count");

    const char *site = f.text[layout->site];
    if (site[0] == '\0')
        return reject(reason, "empty_site");
    if (strlen(site) >= sizeof out->site)
        return reject(reason, "site_too_long");

    int y, mo, d, h, mi;
    if ((why = parse_label(f.text[layout->date], &y, &mo, &d, &h, &mi)) != NULL)
        return reject(reason, why);
    int fy, fmo, fd, fh;
    if (!parse_small_int(f.text[layout->year], &fy) ||
        !parse_small_int(f.text[layout->month], &fmo) ||
        !parse_small_int(f.text[layout->day], &fd) || !parse_small_int(f.text[layout->hour], &fh))
        return reject(reason, "date_fields_mismatch");
    if (fy != y || fmo != mo || fd != d || fh != h)
        return reject(reason, "date_fields_mismatch");
    if (mi != 0)
        return reject(reason, "not_on_the_hour");

    double value;
    if (!parse_decimal(f.text[layout->value], &value))
        return reject(reason, "bad_value");

    const char *qc = f.text[layout->qc];
    ais_airnow_qc q;
    if (strcasecmp(qc, "Valid") == 0)
        q = AIS_AIRNOW_QC_VALID;
    else if (strcasecmp(qc, "Suspect") == 0)
        q = AIS_AIRNOW_QC_SUSPECT;
    else if (strcasecmp(qc, "Invalid") == 0)
        q = AIS_AIRNOW_QC_INVALID;
    else if (strcasecmp(qc, "Missing") == 0)
        q = AIS_AIRNOW_QC_MISSING;
    else
        return reject(reason, "unknown_qc");

    if (strcasecmp(f.text[layout->unit], "UG/M3") != 0)
        return reject(reason, "unexpected_unit");
    if (strcasecmp(f.text[layout->duration], "1 Hr") != 0)
        return reject(reason, "unexpected_duration");
    if (strncasecmp(f.text[layout->parameter], "PM2.5", 5) != 0)
        return reject(reason, "unexpected_parameter");

    int64_t label;
    if (ais_time_from_civil(y, mo, d, h, 0, 0, &label) != AIS_OK)
        return reject(reason, "bad_date");

    memset(out, 0, sizeof *out);
    memcpy(out->site, site, strlen(site) + 1);
    out->year = y;
    out->month = mo;
    out->day = d;
    out->hour = h;
    out->label = label;
    out->value = value;
    out->qc = q;
    return AIS_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Policy                                                                                     */

void ais_airnow_classify(const ais_airnow_row *row, bool *has_value, double *value,
                         unsigned *flags)
{
    unsigned f = 0;
    bool keep = false;
    switch (row->qc) {
    case AIS_AIRNOW_QC_VALID: keep = true; break;
    case AIS_AIRNOW_QC_SUSPECT:
        keep = true;
        f |= AIS_AIRNOW_FLAG_QC_SUSPECT;
        break;
    case AIS_AIRNOW_QC_INVALID: f |= AIS_AIRNOW_FLAG_QC_INVALID; break;
    case AIS_AIRNOW_QC_MISSING: f |= AIS_AIRNOW_FLAG_QC_MISSING; break;
    }
    if (row->value == AIS_AIRNOW_MISSING_VALUE) {
        f |= AIS_AIRNOW_FLAG_MISSING;
        keep = false;
    } else if (keep && !(row->value > 0.0)) {
        f |= AIS_AIRNOW_FLAG_NONPOSITIVE;
        keep = false;
    }
    *has_value = keep;
    *value = keep ? row->value : 0.0;
    *flags = f;
}

ais_status ais_airnow_us_dst_start(int year, int *month, int *day)
{
    int64_t first;
    if (month == NULL || day == NULL)
        return AIS_ERR_INVALID_ARG;
    if (year < 1987 || year > 9999)
        return AIS_ERR_RANGE;
    int m = year >= 2007 ? 3 : 4;
    ais_status st = ais_time_from_civil(year, m, 1, 0, 0, 0, &first);
    if (st != AIS_OK)
        return st;
    ais_civil_time c;
    if ((st = ais_time_to_civil(first, &c)) != AIS_OK)
        return st;
    int first_sunday = 1 + (7 - c.wday) % 7;
    *month = m;
    *day = year >= 2007 ? first_sunday + 7 : first_sunday;
    return AIS_OK;
}

static const ais_airnow_station STATIONS[] = {
    {"Hanoi", 7441, 74411, "US Embassy Hanoi (AirNow HN1010001)", 21.0219, 105.8188},
};

const ais_airnow_station *ais_airnow_stations(size_t *count)
{
    if (count != NULL)
        *count = sizeof STATIONS / sizeof STATIONS[0];
    return STATIONS;
}

const ais_airnow_station *ais_airnow_station_find(const char *site)
{
    if (site == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof STATIONS / sizeof STATIONS[0]; i++)
        if (strcmp(STATIONS[i].site, site) == 0)
            return &STATIONS[i];
    return NULL;
}
