/* Fuzz target: arbitrary bytes into the ARL reader. It must return a status and never read
 * outside the buffer, leak or crash (run under ASan/UBSan). */
#include <stddef.h>
#include <stdint.h>

#include "ais/arl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ais_met_grid *grid = NULL;
    ais_arl_problem problem;
    char errbuf[AIS_ARL_ERRBUF_SIZE];
    if (ais_arl_read_met_mem(data, size, &grid, &problem, errbuf, sizeof errbuf) == AIS_OK)
        ais_met_grid_free(grid);
    return 0;
}
