/* The 24 default WeatherAPI provinces and cities of CONTRACTS.md section 2 (Hanoi first), with
 * rough climate normals of each main city for the simulator: annual mean temperature, half the
 * warm-cold month difference and when the warm peak comes (the north peaks in July; the south
 * and the highlands in April, before the rains), mean diurnal range and humidity, the rainy
 * season (summer monsoon in the north, south and highlands; September-December on the central
 * coast), and the prevailing monsoon winds. Round figures from climate normals, good enough for
 * plausible synthetic data; never reported as observations. */
#include <ctype.h>
#include <string.h>

#include "ais/weather.h"

static const ais_weather_province PROVINCES[] = {
    /* name, slug, lat, lon, T mean, T amp, warm doy, DTR, RH, wet peak, wet half, wind,
     * dry-season dir, wet-season dir */
    {"Ha Noi", "ha_noi", 21.0285, 105.8542, 23.5, 6.8, 196, 6.5, 79, 225, 80, 9, 45, 135},
    {"Hai Phong", "hai_phong", 20.8449, 106.6881, 23.4, 6.3, 200, 5.5, 83, 225, 80, 12, 45, 135},
    {"Quang Ninh", "quang_ninh", 20.9517, 107.0800, 23.2, 6.5, 200, 5.5, 82, 225, 80, 12, 45, 135},
    {"Lao Cai", "lao_cai", 22.4856, 103.9707, 23.0, 6.2, 180, 8.0, 84, 215, 85, 6, 120, 135},
    {"Thanh Hoa", "thanh_hoa", 19.8075, 105.7764, 23.7, 6.2, 190, 6.0, 85, 250, 75, 9, 45, 135},
    {"Nghe An", "nghe_an", 18.6796, 105.6813, 24.2, 6.2, 185, 6.5, 84, 265, 70, 9, 45, 225},
    {"Ha Tinh", "ha_tinh", 18.3428, 105.9057, 24.4, 6.0, 185, 6.0, 85, 275, 65, 10, 45, 225},
    {"Hue", "hue", 16.4637, 107.5909, 25.3, 5.0, 180, 6.5, 85, 300, 55, 8, 45, 250},
    {"Da Nang", "da_nang", 16.0544, 108.2022, 26.0, 4.2, 180, 6.0, 82, 300, 55, 11, 30, 135},
    {"Quang Nam", "quang_nam", 15.5736, 108.4740, 26.0, 4.0, 180, 6.0, 84, 300, 55, 10, 30, 135},
    {"Quang Ngai", "quang_ngai", 15.1214, 108.8044, 26.2, 3.8, 175, 6.5, 85, 300, 55, 9, 30, 135},
    {"Binh Dinh", "binh_dinh", 13.7765, 109.2237, 26.9, 3.2, 175, 5.5, 80, 300, 55, 11, 30, 135},
    {"Phu Yen", "phu_yen", 13.0955, 109.3209, 26.8, 3.0, 170, 6.0, 81, 305, 50, 11, 30, 135},
    {"Khanh Hoa", "khanh_hoa", 12.2388, 109.1967, 26.7, 2.3, 165, 5.5, 80, 310, 45, 13, 60, 120},
    {"Gia Lai", "gia_lai", 13.9833, 108.0000, 21.8, 2.4, 110, 9.5, 82, 225, 85, 12, 60, 250},
    {"Dak Lak", "dak_lak", 12.6667, 108.0500, 24.0, 2.2, 110, 9.0, 82, 235, 85, 12, 60, 250},
    {"Lam Dong", "lam_dong", 11.9404, 108.4583, 18.0, 1.6, 110, 9.0, 84, 235, 90, 9, 60, 250},
    {"Ho Chi Minh City", "ho_chi_minh_city", 10.8231, 106.6297, 27.6, 1.5, 115, 7.5, 77, 240, 90,
     10, 120, 240},
    {"Binh Duong", "binh_duong", 10.9804, 106.6519, 27.3, 1.5, 115, 8.0, 79, 240, 90, 8, 120, 240},
    {"Dong Nai", "dong_nai", 10.9574, 106.8429, 27.2, 1.5, 115, 8.0, 80, 240, 90, 8, 120, 240},
    {"Can Tho", "can_tho", 10.0452, 105.7469, 27.1, 1.3, 115, 7.5, 83, 245, 90, 9, 100, 240},
    {"An Giang", "an_giang", 10.3861, 105.4350, 27.3, 1.3, 115, 7.5, 82, 250, 85, 9, 100, 240},
    {"Kien Giang", "kien_giang", 10.0125, 105.0809, 27.4, 1.2, 115, 6.5, 81, 245, 90, 11, 90, 240},
    {"Ca Mau", "ca_mau", 9.1769, 105.1524, 27.0, 1.1, 115, 6.5, 84, 250, 95, 10, 90, 240},
};
#define N_PROVINCES (sizeof PROVINCES / sizeof PROVINCES[0])

size_t ais_weather_province_count(void)
{
    return N_PROVINCES;
}

const ais_weather_province *ais_weather_province_at(size_t index)
{
    return index < N_PROVINCES ? &PROVINCES[index] : NULL;
}

/* Compares ignoring case and the separators ' ', '_' and '-'. */
static int same_name(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ' || *a == '_' || *a == '-')
            a++;
        while (*b == ' ' || *b == '_' || *b == '-')
            b++;
        if (*a == '\0' || *b == '\0')
            return *a == *b;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        a++;
        b++;
    }
}

const ais_weather_province *ais_weather_province_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < N_PROVINCES; i++)
        if (same_name(PROVINCES[i].name, name))
            return &PROVINCES[i];
    return NULL;
}

ais_status ais_weather_slug(const char *name, char *out, size_t out_size)
{
    if (name == NULL || out == NULL || out_size == 0)
        return AIS_ERR_INVALID_ARG;
    size_t o = 0;
    int pending_sep = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!keep) {
            pending_sep = o > 0;
            continue;
        }
        if (pending_sep) {
            if (o + 1 >= out_size)
                return AIS_ERR_RANGE;
            out[o++] = '_';
            pending_sep = 0;
        }
        if (o + 1 >= out_size)
            return AIS_ERR_RANGE;
        out[o++] = (char)tolower(*p);
    }
    out[o] = '\0';
    return o > 0 ? AIS_OK : AIS_ERR_INVALID_ARG;
}
