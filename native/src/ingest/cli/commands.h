/* The sub-commands of ais-ingest. Each returns AIS_OK, AIS_ERR_USAGE / AIS_ERR_NOT_IMPLEMENTED
 * (exit code 2) or another status (exit code 1), having already logged why. argv[0] is the
 * sub-command name. Internal to the ais-ingest program. */
#ifndef AIS_INGEST_COMMANDS_H
#define AIS_INGEST_COMMANDS_H

#include "ais/log.h"
#include "ais/status.h"

ais_status ais_cmd_config_dump(int argc, char **argv, ais_logger *logger);
ais_status ais_cmd_ingest(int argc, char **argv, ais_logger *logger);
ais_status ais_cmd_topics(int argc, char **argv, ais_logger *logger);

#endif
