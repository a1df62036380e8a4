/* libFuzzer target: AirNow DOS CSV text. The first line goes through header and layout
 * detection, every other line through ais_airnow_parse_line and the value policy, exactly as
 * the replay feeds them. Build with clang -fsanitize=fuzzer (cmake -DAIS_FUZZ=ON), or run the
 * corpus and mutations through fuzz_driver.c with any compiler. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ais/airnow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    ais_airnow_layout layout;
    ais_airnow_layout_current(&layout);
    const char *reason = NULL;
    size_t pos = 0;
    int first = 1;
    while (pos < size) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - line) : size - pos;
        pos += len + (nl != NULL);
        if (first) {
            first = 0;
            if (ais_airnow_is_header(line, len)) {
                if (ais_airnow_layout_from_header(line, len, &layout, &reason) != AIS_OK)
                    return 0;
                continue;
            }
            if (ais_airnow_layout_detect(line, len, &layout, &reason) != AIS_OK)
                ais_airnow_layout_current(&layout);
        }
        ais_airnow_row row;
        if (ais_airnow_parse_line(line, len, &layout, &row, &reason) == AIS_OK) {
            bool has_value;
            double value;
            unsigned flags;
            ais_airnow_classify(&row, &has_value, &value, &flags);
            int month, day;
            (void)ais_airnow_us_dst_start(row.year, &month, &day);
            (void)ais_airnow_station_find(row.site);
        }
    }
    return 0;
}
