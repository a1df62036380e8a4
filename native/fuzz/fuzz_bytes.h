/* A reader that turns a fuzzer's bytes into choices (structure-aware targets): each call takes
 * the next bytes, and a finished input reads as zeros, so every input is a valid recipe. */
#ifndef AIS_FUZZ_BYTES_H
#define AIS_FUZZ_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fuzz_bytes {
    const uint8_t *data;
    size_t size, pos;
} fuzz_bytes;

static inline uint8_t fb_u8(fuzz_bytes *b)
{
    return b->pos < b->size ? b->data[b->pos++] : 0;
}

static inline uint32_t fb_u32(fuzz_bytes *b)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | fb_u8(b);
    return v;
}

/* Any float bit pattern (NaN, infinities, denormals, the netCDF fill) half of the time, else a
 * value near centre +- span. */
static inline float fb_float(fuzz_bytes *b, float centre, float span)
{
    uint8_t mode = fb_u8(b);
    uint32_t bits = fb_u32(b);
    if (mode & 1) {
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    return centre + span * ((float)(bits % 20001u) / 10000.0f - 1.0f);
}

/* A NUL-terminated string: one of the choices, or bytes of the input (any bytes). */
static inline void fb_text(fuzz_bytes *b, const char *const *choices, size_t n_choices,
                           char *out, size_t size)
{
    uint8_t pick = fb_u8(b);
    if (pick < 200 && n_choices > 0) {
        snprintf(out, size, "%s", choices[pick % n_choices]);
        return;
    }
    size_t len = fb_u8(b) % size;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)fb_u8(b);
    out[len] = '\0';
}

/* "<$TMPDIR>/ais-fuzz-XXXXXX/<name>": a private folder made on first use and removed (with the
 * file) at exit; NULL if it cannot be made. One per target (the name is fixed per process). */
static char fb_temp_dir[256], fb_temp_file[512];

static void fb_temp_cleanup(void)
{
    remove(fb_temp_file);
    rmdir(fb_temp_dir);
}

static inline const char *fb_temp_path(const char *name)
{
    if (fb_temp_file[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(fb_temp_dir, sizeof fb_temp_dir, "%s/ais-fuzz-XXXXXX",
                 base != NULL && base[0] ? base : "/tmp");
        if (mkdtemp(fb_temp_dir) == NULL)
            return NULL;
        snprintf(fb_temp_file, sizeof fb_temp_file, "%s/%s", fb_temp_dir, name);
        atexit(fb_temp_cleanup);
    }
    return fb_temp_file;
}

#endif
