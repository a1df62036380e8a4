#include "ais/noise.h"

#include <math.h>

uint64_t ais_splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t ais_noise_hash4(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
    uint64_t h = ais_splitmix64(seed);
    h = ais_splitmix64(h ^ stream);
    h = ais_splitmix64(h ^ a);
    return ais_splitmix64(h ^ b);
}

/* Uniform in [0, 1) from the top 53 bits. */
double ais_noise_uniform(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
    return (double)(ais_noise_hash4(seed, stream, a, b) >> 11) * 0x1.0p-53;
}

double ais_noise_normalish(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b)
{
    uint64_t h = ais_noise_hash4(seed, stream, a, b);
    double sum = 0.0;
    for (int i = 0; i < 4; i++)
        sum += (double)((h >> (16 * i)) & 0xffffu) / 65535.0;
    return (sum - 2.0) * sqrt(3.0);
}

double ais_noise_value(uint64_t seed, uint64_t stream, uint64_t key, double t_hours,
                       double spacing_h, ais_knot_kind kind)
{
    double x = t_hours / spacing_h;
    double k = floor(x);
    double f = x - k;
    uint64_t k0 = (uint64_t)(int64_t)k;
    double v0, v1;
    if (kind == AIS_KNOT_NORMAL) {
        v0 = ais_noise_normalish(seed, stream, k0, key);
        v1 = ais_noise_normalish(seed, stream, k0 + 1, key);
    } else {
        v0 = ais_noise_uniform(seed, stream, k0, key);
        v1 = ais_noise_uniform(seed, stream, k0 + 1, key);
    }
    double s = f * f * (3.0 - 2.0 * f);
    return v0 + (v1 - v0) * s;
}
