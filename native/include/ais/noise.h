/* Counter-based random numbers for the simulators: every number is a pure function of its
 * inputs (seed, stream, two counters), so simulated data never depends on the order or the
 * window in which it is generated.
 *
 *   splitmix64 mixes; ais_noise_uniform gives [0, 1); ais_noise_normalish an approximately
 *   standard normal bounded to +-3.46 (Irwin-Hall of four 16-bit uniforms); ais_noise_value
 *   value noise: random knots every spacing_h hours since the epoch joined with a smoothstep, so
 *   a slowly varying signal and its slope are continuous. */
#ifndef AIS_NOISE_H
#define AIS_NOISE_H

#include <stdint.h>

uint64_t ais_splitmix64(uint64_t x);
uint64_t ais_noise_hash4(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b);
double ais_noise_uniform(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b);
double ais_noise_normalish(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b);

typedef enum ais_knot_kind { AIS_KNOT_NORMAL, AIS_KNOT_UNIFORM } ais_knot_kind;

/* stream and key select independent signals; key lets one stream hold one signal per station
 * or province (0 when there is only one). */
double ais_noise_value(uint64_t seed, uint64_t stream, uint64_t key, double t_hours,
                       double spacing_h, ais_knot_kind kind);

#endif
