/* The sub-commands of ais-ingest. Each returns AIS_OK, AIS_ERR_USAGE / AIS_ERR_NOT_IMPLEMENTED
 * (exit code 2) or another status (exit code 1), having already logged why. argv[0] is the
 * sub-command name. Internal to the ais-ingest program. */
#ifndef AIS_INGEST_COMMANDS_H
#define AIS_INGEST_COMMANDS_H

#include "ais/config.h"
#include "ais/log.h"
#include "ais/status.h"

/* In the human log format, once a command has its configuration: the logger's JSON lines go to
 * <project root>/var/log/ais-ingest-<command>-<time>-<pid>.jsonl from now on (a run_started line
 * with argv first; a folder that cannot be written is said once, as a warning). Does nothing in
 * the json format or when the file is already open. */
void ais_cli_log_file(ais_logger *logger, const ais_config *cfg, const char *command);

ais_status ais_cmd_config_dump(int argc, char **argv, ais_logger *logger);
ais_status ais_cmd_ingest(int argc, char **argv, ais_logger *logger);
ais_status ais_cmd_topics(int argc, char **argv, ais_logger *logger);

#endif
