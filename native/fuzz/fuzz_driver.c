/* A small stand-in for libFuzzer's driver, for compilers without -fsanitize=fuzzer (gcc): runs
 * LLVMFuzzerTestOneInput on every file of the corpus folders given on the command line, then on
 * deterministic mutations of them (byte flips, insertions, deletions, truncations, spliced
 * copies). Under the sanitizer build a crash, leak or undefined behaviour fails the test.
 *
 *   fuzz_<target>_smoke [--iterations N] CORPUS_DIR_OR_FILE...
 *
 * Not a replacement for coverage-guided fuzzing (cmake -DAIS_FUZZ=ON with clang): a regression
 * gate that runs in every `ctest`. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct input {
    uint8_t *data;
    size_t size;
} input;

static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int load(const char *path, input *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL)
        return 0;
    out->data = buf;
    out->size = len;
    return 1;
}

/* One mutation of src into a new buffer (the target gets exactly size bytes, no terminator). */
static input mutate(const input *src, const input *other, uint64_t *rng)
{
    size_t extra = 64;
    input m = {malloc(src->size + other->size + extra), 0};
    if (m.data == NULL)
        return m;
    memcpy(m.data, src->data, src->size);
    m.size = src->size;
    int edits = 1 + (int)(next(rng) % 8);
    for (int e = 0; e < edits; e++) {
        uint64_t r = next(rng);
        size_t pos = m.size ? (size_t)(r >> 8) % m.size : 0;
        switch (r % 6) {
        case 0: /* flip a byte */
            if (m.size)
                m.data[pos] ^= (uint8_t)(1u << ((r >> 3) % 8));
            break;
        case 1: /* interesting byte */
            if (m.size) {
                static const uint8_t special[] = {0, ',', '"', '\n', '\r', '{', '}', '[', ']',
                                                  ':', '-', '9', 0xff, 0xc3, '\\', ' '};
                m.data[pos] = special[(r >> 40) % sizeof special];
            }
            break;
        case 2: /* delete a run */
            if (m.size) {
                size_t n = 1 + (size_t)(r >> 20) % 16;
                if (n > m.size - pos)
                    n = m.size - pos;
                memmove(m.data + pos, m.data + pos + n, m.size - pos - n);
                m.size -= n;
            }
            break;
        case 3: /* insert a byte */
            if (m.size < src->size + extra) {
                memmove(m.data + pos + 1, m.data + pos, m.size - pos);
                m.data[pos] = (uint8_t)(r >> 48);
                m.size++;
            }
            break;
        case 4: /* truncate */
            m.size = pos;
            break;
        default: /* splice the tail of another input */
            if (other->size) {
                size_t from = (size_t)(r >> 16) % other->size;
                size_t n = other->size - from;
                if (pos + n > src->size + other->size + extra)
                    n = src->size + other->size + extra - pos;
                memcpy(m.data + pos, other->data + from, n);
                m.size = pos + n;
            }
            break;
        }
    }
    return m;
}

int main(int argc, char **argv)
{
    long iterations = 2000;
    input inputs[256];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = strtol(argv[++i], NULL, 10);
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (d == NULL && n < 256 && load(argv[i], &inputs[n])) { /* a single seed file */
            n++;
            continue;
        }
        if (d == NULL) {
            fprintf(stderr, "cannot open corpus %s\n", argv[i]);
            return 2;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < 256) {
            if (de->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
            if (load(path, &inputs[n]))
                n++;
        }
        closedir(d);
    }
    if (n == 0) {
        fprintf(stderr, "no corpus files\n");
        return 2;
    }
    for (size_t i = 0; i < n; i++)
        LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
    uint64_t rng = 0x41495346555a5aull; /* fixed: a failure reproduces */
    long runs = 0;
    for (long it = 0; it < iterations; it++) {
        const input *src = &inputs[(size_t)(next(&rng) % n)];
        const input *other = &inputs[(size_t)(next(&rng) % n)];
        input m = mutate(src, other, &rng);
        if (m.data == NULL)
            return 1;
        LLVMFuzzerTestOneInput(m.data, m.size);
        free(m.data);
        runs++;
    }
    printf("%zu corpus files, %ld mutated inputs: no crash\n", n, runs);
    for (size_t i = 0; i < n; i++)
        free(inputs[i].data);
    return 0;
}
