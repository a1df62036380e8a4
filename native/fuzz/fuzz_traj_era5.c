/* Fuzz target: arbitrary bytes into the ERA5 GRIB decoder (ecCodes underneath) and, when they
 * decode, into the met-grid assembly. It must return a status and never crash, leak or read out
 * of bounds (run under ASan/UBSan). */
#include <stddef.h>
#include <stdint.h>

#include "ais/met_era5.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const ais_era5_region region = {95.0, 115.0, 5.0, 35.0};
    ais_era5_fields fields = {0};
    char errbuf[256];
    if (ais_era5_fields_read_mem(data, size, &region, &fields, errbuf, sizeof errbuf) == AIS_OK) {
        ais_met_grid *grid = NULL;
        if (ais_met_from_era5(&fields, NULL, -1, &grid, NULL, errbuf, sizeof errbuf) == AIS_OK)
            ais_met_grid_free(grid);
    }
    ais_era5_fields_free(&fields);
    return 0;
}
