/* Fuzz target: arbitrary bytes into the tdump parser. */
#include <stddef.h>
#include <stdint.h>

#include "ais/traj_tdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ais_tdump *td = NULL;
    char errbuf[256];
    if (ais_tdump_parse((const char *)data, size, &td, errbuf, sizeof errbuf) == AIS_OK)
        ais_tdump_free(td);
    return 0;
}
