/* `ais-ingest config-dump`: the configuration exactly as this loader sees it, for comparison
 * with the Python loader. Secrets appear only as "set" / "unset". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ais/config.h"
#include "ais/jsonutil.h"
#include "commands.h"

static ais_status build_dump(const ais_config *cfg, json_t **out)
{
    json_t *root = json_object();
    json_t *values = json_object();
    json_t *secrets = json_object();
    ais_status st = (root && values && secrets) ? AIS_OK : AIS_ERR_NOMEM;

    for (size_t i = 0; st == AIS_OK && i < ais_config_count(cfg); i++) {
        const char *key, *value;
        st = ais_config_entry(cfg, i, &key, &value);
        if (st == AIS_OK)
            st = ais_json_set_string(values, key, value);
    }
    for (size_t i = 0; st == AIS_OK && i < ais_config_secret_count(cfg); i++) {
        const char *name;
        bool is_set;
        st = ais_config_secret_at(cfg, i, &name, &is_set);
        if (st == AIS_OK)
            st = ais_json_set_string(secrets, name, is_set ? "set" : "unset");
    }
    if (st == AIS_OK)
        st = ais_json_set_string(root, "project_root", ais_config_project_root(cfg));
    if (st == AIS_OK) {
        st = ais_json_set(root, "values", values);
        values = NULL;
    }
    if (st == AIS_OK) {
        st = ais_json_set(root, "secrets", secrets);
        secrets = NULL;
    }
    json_decref(values);
    json_decref(secrets);
    if (st != AIS_OK) {
        json_decref(root);
        return st;
    }
    *out = root;
    return AIS_OK;
}

ais_status ais_cmd_config_dump(int argc, char **argv, ais_logger *logger)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc && path == NULL) {
            path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0 && path == NULL) {
            path = argv[i] + 9;
        } else {
            ais_log(logger, AIS_LOG_ERROR, "usage_error",
                    AIS_F_STR("message", "config-dump takes only --config PATH"),
                    AIS_F_STR("argument", argv[i]), AIS_F_END);
            return AIS_ERR_USAGE;
        }
    }

    char errbuf[AIS_CONFIG_ERRBUF_SIZE];
    ais_config *cfg = NULL;
    ais_status st = ais_config_load_ex(path, &cfg, errbuf, sizeof errbuf);
    if (st != AIS_OK) {
        ais_log(logger, AIS_LOG_ERROR, "config_error", AIS_F_STR("status", ais_status_str(st)),
                AIS_F_STR("message", errbuf), AIS_F_END);
        return st;
    }

    json_t *dump = NULL;
    st = build_dump(cfg, &dump);
    if (st == AIS_OK) {
        char *text = json_dumps(dump, JSON_COMPACT);
        if (text == NULL) {
            st = AIS_ERR_JSON;
        } else {
            if (fputs(text, stdout) < 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0)
                st = AIS_ERR_IO;
            free(text);
        }
    }
    if (st != AIS_OK)
        ais_log(logger, AIS_LOG_ERROR, "config_dump_failed", AIS_F_STR("status", ais_status_str(st)),
                AIS_F_END);
    json_decref(dump);
    ais_config_free(cfg);
    return st;
}
