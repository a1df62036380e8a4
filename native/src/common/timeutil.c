#include "ais/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define MIN_YEAR 0
#define MAX_YEAR 9999

static bool is_leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int month_length(int64_t year, int month)
{
    static const int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && is_leap_year(year))
        return 29;
    return lengths[month - 1];
}

/* Floor division and modulo: C's / and % truncate toward zero, which is wrong for instants
 * before the epoch. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Counting years from 1 March makes the
 * leap day the last day of the counting year, so the day-of-year offset of each month is a
 * fixed linear formula; 400-year cycles ("eras") of 146097 days keep the arithmetic exact. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = floor_div(y, 400);
    int64_t year_of_era = y - era * 400;                        /* 0..399 */
    int64_t month_from_march = month > 2 ? month - 3 : month + 9; /* 0..11 */
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    /* 719468 = days from 0000-03-01 to 1970-01-01 */
    return era * 146097 + day_of_era - 719468;
}

static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t day_of_era = z - era * 146097; /* 0..146096 */
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    int64_t d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    int64_t m = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    *year = year_of_era + era * 400 + (m <= 2 ? 1 : 0);
    *month = (int)m;
    *day = (int)d;
}

ais_status ais_time_days_in_month(int year, int month, int *days_out)
{
    if (days_out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12)
        return AIS_ERR_RANGE;
    *days_out = month_length(year, month);
    return AIS_OK;
}

ais_status ais_time_from_civil(int year, int month, int day, int hour, int minute, int second,
                               int64_t *epoch_out)
{
    if (epoch_out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12)
        return AIS_ERR_RANGE;
    if (day < 1 || day > month_length(year, month))
        return AIS_ERR_RANGE;
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
        return AIS_ERR_RANGE;
    *epoch_out = days_from_civil(year, month, day) * AIS_SECONDS_PER_DAY +
                 (int64_t)hour * AIS_SECONDS_PER_HOUR + (int64_t)minute * 60 + second;
    return AIS_OK;
}

ais_status ais_time_to_civil(int64_t epoch, ais_civil_time *out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    /* Bounds of years 0000..9999, checked before any arithmetic that could overflow. */
    const int64_t lo = days_from_civil(MIN_YEAR, 1, 1) * AIS_SECONDS_PER_DAY;
    const int64_t hi = days_from_civil(MAX_YEAR + 1, 1, 1) * AIS_SECONDS_PER_DAY;
    if (epoch < lo || epoch >= hi)
        return AIS_ERR_RANGE;

    int64_t days = floor_div(epoch, AIS_SECONDS_PER_DAY);
    int64_t secs = epoch - days * AIS_SECONDS_PER_DAY;
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);

    out->year = (int)year;
    out->month = month;
    out->day = day;
    out->hour = (int)(secs / AIS_SECONDS_PER_HOUR);
    out->minute = (int)(secs % AIS_SECONDS_PER_HOUR / 60);
    out->second = (int)(secs % 60);
    out->yday = (int)(days - days_from_civil(year, 1, 1));
    /* 1970-01-01 was a Thursday (4). */
    out->wday = (int)floor_mod(days + 4, 7);
    return AIS_OK;
}

/* v (0 <= v < 10^width) as width decimal digits, zero-padded */
static void put_digits(char *out, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

ais_status ais_time_format_iso(int64_t epoch, char out[AIS_TIME_ISO_SIZE])
{
    ais_civil_time c;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_time_to_civil(epoch, &c);
    if (st != AIS_OK)
        return st;
    /* digit by digit: events carry several timestamps each and snprintf was a fifth of an
     * ingest run's time */
    put_digits(out, c.year, 4);
    out[4] = '-';
    put_digits(out + 5, c.month, 2);
    out[7] = '-';
    put_digits(out + 8, c.day, 2);
    out[10] = 'T';
    put_digits(out + 11, c.hour, 2);
    out[13] = ':';
    put_digits(out + 14, c.minute, 2);
    out[16] = ':';
    put_digits(out + 17, c.second, 2);
    out[19] = 'Z';
    out[20] = '\0';
    return AIS_OK;
}

ais_status ais_time_format_iso_ms(int64_t epoch, int millis, char out[AIS_TIME_ISO_MS_SIZE])
{
    ais_civil_time c;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (millis < 0 || millis > 999)
        return AIS_ERR_RANGE;
    ais_status st = ais_time_to_civil(epoch, &c);
    if (st != AIS_OK)
        return st;
    snprintf(out, AIS_TIME_ISO_MS_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month,
             c.day, c.hour, c.minute, c.second, millis);
    return AIS_OK;
}

ais_status ais_time_format_compact(int64_t epoch, char out[AIS_TIME_COMPACT_SIZE])
{
    ais_civil_time c;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_time_to_civil(epoch, &c);
    if (st != AIS_OK)
        return st;
    snprintf(out, AIS_TIME_COMPACT_SIZE, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day,
             c.hour, c.minute, c.second);
    return AIS_OK;
}

/* Reads exactly n ASCII digits; isdigit() is locale-dependent, so compare bytes. */
static bool read_digits(const char *s, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return true;
}

ais_status ais_time_parse_iso(const char *text, int64_t *epoch_out)
{
    int year, month, day, hour = 0, minute = 0, second = 0;
    int64_t offset_seconds = 0;
    const char *p = text;

    if (text == NULL || epoch_out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (!read_digits(p, 4, &year) || p[4] != '-' || !read_digits(p + 5, 2, &month) ||
        p[7] != '-' || !read_digits(p + 8, 2, &day))
        return AIS_ERR_TIME_FORMAT;
    p += 10;

    if (*p != '\0') {
        if (*p != 'T' && *p != 't')
            return AIS_ERR_TIME_FORMAT;
        p++;
        if (!read_digits(p, 2, &hour) || p[2] != ':' || !read_digits(p + 3, 2, &minute))
            return AIS_ERR_TIME_FORMAT;
        p += 5;
        if (*p == ':') {
            if (!read_digits(p + 1, 2, &second))
                return AIS_ERR_TIME_FORMAT;
            p += 3;
            if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                    return AIS_ERR_TIME_FORMAT;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            if (!read_digits(p + 1, 2, &oh) || p[3] != ':' || !read_digits(p + 4, 2, &om))
                return AIS_ERR_TIME_FORMAT;
            if (oh > 23 || om > 59)
                return AIS_ERR_TIME_FORMAT;
            offset_seconds = (int64_t)oh * AIS_SECONDS_PER_HOUR + (int64_t)om * 60;
            if (*p == '-')
                offset_seconds = -offset_seconds;
            p += 6;
        } else {
            return AIS_ERR_TIME_FORMAT; /* no zone designator */
        }
        if (*p != '\0')
            return AIS_ERR_TIME_FORMAT;
    }

    int64_t local;
    ais_status st = ais_time_from_civil(year, month, day, hour, minute, second, &local);
    if (st != AIS_OK)
        return AIS_ERR_TIME_FORMAT;
    /* 12:00+07:00 is 05:00Z: subtract the offset. */
    *epoch_out = local - offset_seconds;
    return AIS_OK;
}

ais_status ais_time_floor_hour(int64_t t, int64_t *out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = t - floor_mod(t, AIS_SECONDS_PER_HOUR);
    return AIS_OK;
}

ais_status ais_time_ceil_hour(int64_t t, int64_t *out)
{
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    int64_t rem = floor_mod(t, AIS_SECONDS_PER_HOUR);
    if (rem == 0) {
        *out = t;
        return AIS_OK;
    }
    if (t > INT64_MAX - (AIS_SECONDS_PER_HOUR - rem))
        return AIS_ERR_RANGE;
    *out = t + (AIS_SECONDS_PER_HOUR - rem);
    return AIS_OK;
}

ais_status ais_time_now(int64_t *epoch_out, int *millis_out)
{
    struct timespec ts;
    if (epoch_out == NULL)
        return AIS_ERR_INVALID_ARG;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return AIS_ERR_IO;
    *epoch_out = (int64_t)ts.tv_sec;
    if (millis_out != NULL)
        *millis_out = (int)(ts.tv_nsec / 1000000);
    return AIS_OK;
}

int64_t ais_time_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
