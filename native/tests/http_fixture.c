#include "http_fixture.h"

#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

void ais_fixture_start(ais_fixture_server *s, const char *weather_dir, const char *weather_map)
{
    const char *args[5] = {NULL};
    int n = 0;
    if (weather_dir != NULL) {
        args[n++] = "--weather-dir";
        args[n++] = weather_dir;
    }
    if (weather_map != NULL) {
        args[n++] = "--weather-map";
        args[n++] = weather_map;
    }
    ais_fixture_start_args(s, args);
}

void ais_fixture_start_args(ais_fixture_server *s, const char *const *args)
{
    int fds[2];
    memset(s, 0, sizeof *s);
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[32];
        int n = 0;
        argv[n++] = "python3";
        argv[n++] = AIS_REPO_ROOT "/native/tests/fixtures/http_server.py";
        for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    assert_non_null(f);
    char line[64] = "";
    int ok = fgets(line, sizeof line, f) != NULL && sscanf(line, "PORT %d", &s->port) == 1;
    fclose(f);
    if (!ok) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("the fixture server did not start (python3 %s)",
                 AIS_REPO_ROOT "/native/tests/fixtures/http_server.py");
    }
    s->pid = pid;
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
}

void ais_fixture_stop(ais_fixture_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    int status;
    for (int i = 0; i < 50; i++) {
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        usleep(100000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
    s->pid = 0;
}

typedef struct buf {
    char *p;
    size_t n;
} buf;

static size_t collect(char *data, size_t size, size_t nmemb, void *ud)
{
    buf *b = ud;
    size_t n = size * nmemb;
    char *grown = realloc(b->p, b->n + n + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + b->n, data, n);
    b->p = grown;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

json_t *ais_fixture_log(const ais_fixture_server *s)
{
    char url[96];
    buf b = {0};
    snprintf(url, sizeof url, "%s/_log", s->base);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_cleanup(h);
    json_t *log = json_loads(b.p, 0, NULL);
    free(b.p);
    assert_true(json_is_array(log));
    return log;
}

json_t *ais_fixture_log_under(const ais_fixture_server *s, const char *prefix)
{
    json_t *all = ais_fixture_log(s), *out = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        if (path != NULL && strncmp(path, prefix, strlen(prefix)) == 0)
            json_array_append(out, e);
    }
    json_decref(all);
    return out;
}

long ais_fixture_get(const ais_fixture_server *s, const char *path, char **body, size_t *len)
{
    char *url = ais_test_join(s->base, path[0] == '/' ? path + 1 : path);
    buf b = {0};
    long status = 0;
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    free(url);
    if (b.p == NULL)
        b.p = calloc(1, 1);
    *body = b.p;
    *len = b.n;
    return status;
}

void ais_live_result_free(ais_live_result *r)
{
    free(r->out);
    free(r->err);
    json_decref(r->summary);
    if (r->landing != NULL)
        ais_test_rm_rf(r->landing);
    if (r->state != NULL)
        ais_test_rm_rf(r->state);
    free(r->landing);
    free(r->state);
    memset(r, 0, sizeof *r);
}
