/* The loopback HTTP fixture server (fixtures/http_server.py) for the live-mode tests: started in
 * a child process, its port read from its first stdout line, stopped with SIGTERM. */
#ifndef AIS_HTTP_FIXTURE_H
#define AIS_HTTP_FIXTURE_H

#include <sys/types.h>

#include <jansson.h>

typedef struct ais_fixture_server {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:<port>" */
} ais_fixture_server;

/* weather_dir and weather_map may be NULL. Fails the test if the server does not come up. */
void ais_fixture_start(ais_fixture_server *s, const char *weather_dir, const char *weather_map);
/* Same with any further server arguments ("--s5p-dir", DIR, ...), NULL-terminated. */
void ais_fixture_start_args(ais_fixture_server *s, const char *const *args);
void ais_fixture_stop(ais_fixture_server *s);
/* Every exchange so far (GET /_log), oldest first; caller decrefs. */
json_t *ais_fixture_log(const ais_fixture_server *s);
/* Log entries whose path starts with prefix; caller decrefs. */
json_t *ais_fixture_log_under(const ais_fixture_server *s, const char *prefix);
/* GET <base><path> with redirects followed: returns the HTTP status; the body (NUL-terminated,
 * caller frees) in *body and its length in *len. */
long ais_fixture_get(const ais_fixture_server *s, const char *path, char **body, size_t *len);

/* One ais-ingest run of the live tests: exit code, stdout, stderr, the summary (its last stdout
 * line), and the landing and state folders it used. */
typedef struct ais_live_result {
    int code;
    char *out, *err;
    json_t *summary;
    char *landing, *state;
} ais_live_result;

/* Frees the strings and the summary and removes the two folders (NULL ones are skipped). */
void ais_live_result_free(ais_live_result *r);

#endif
