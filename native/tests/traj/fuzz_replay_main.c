/* Replay driver for a fuzz target built without libFuzzer: runs LLVMFuzzerTestOneInput once on
 * each file named on the command line (a corpus or a crash reproducer). Exit 0 when every input
 * ran, 1 when a file cannot be read. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "cannot open %s\n", argv[i]);
            return 1;
        }
        size_t cap = 4096, len = 0, n;
        uint8_t *buf = malloc(cap);
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
        if (buf == NULL) {
            fprintf(stderr, "out of memory reading %s\n", argv[i]);
            return 1;
        }
        LLVMFuzzerTestOneInput(buf, len);
        /* every prefix too: truncation is the commonest corruption */
        for (size_t k = 0; k < len; k++)
            LLVMFuzzerTestOneInput(buf, k);
        free(buf);
        printf("%s: %zu bytes and all prefixes replayed\n", argv[i], len);
    }
    return 0;
}
