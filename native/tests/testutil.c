#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

extern char **environ;

void ais_test_assert_near(double a, double b, double tol, const char *file, int line)
{
    if (!(a - b <= tol && b - a <= tol)) {
        print_error("%s:%d: %.10g and %.10g differ by more than %.3g\n", file, line, a, b, tol);
        _fail(file, line);
    }
}

static char *xstrdup(const char *s)
{
    char *copy = strdup(s);
    assert_non_null(copy);
    return copy;
}

char *ais_test_repo_root(void)
{
    char *root = realpath(AIS_REPO_ROOT, NULL);
    assert_non_null(root);
    return root;
}

char *ais_test_repo_config(void)
{
    char *path = realpath(AIS_REPO_ROOT "/config/hanoi_pipeline.yaml", NULL);
    assert_non_null(path);
    return path;
}

char *ais_test_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s/%s", a, b);
    return s;
}

char *ais_test_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *templ = ais_test_join(base != NULL && base[0] ? base : "/tmp", "ais-test-XXXXXX");
    assert_non_null(mkdtemp(templ));
    char *resolved = realpath(templ, NULL);
    assert_non_null(resolved);
    free(templ);
    return resolved;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void ais_test_rm_rf(const char *path)
{
    if (path != NULL)
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void ais_test_write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(content);
    assert_int_equal(fwrite(content, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

char *ais_test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len <= 1) {
            cap *= 2;
            char *bigger = realloc(buf, cap);
            assert_non_null(bigger);
            buf = bigger;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **ais_test_list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    assert_non_null(names);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n + 1 >= cap) {
            cap *= 2;
            char **bigger = realloc(names, cap * sizeof *names);
            assert_non_null(bigger);
            names = bigger;
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    names[n] = NULL;
    *count = n;
    return names;
}

void ais_test_free_names(char **names)
{
    if (names == NULL)
        return;
    for (char **p = names; *p; p++)
        free(*p);
    free(names);
}

json_t *ais_test_parse_json_lines(const char *text)
{
    json_t *all = json_array();
    assert_non_null(all);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        json_error_t err;
        json_t *v = json_loadb(p, len, 0, &err);
        if (v == NULL) {
            print_error("line does not parse as JSON (%s): %.*s\n", err.text, (int)len, p);
            fail();
        }
        assert_int_equal(json_array_append_new(all, v), 0);
        p += len;
        if (*p == '\n')
            p++;
    }
    return all;
}

json_t *ais_test_read_landing(const char *dir)
{
    json_t *all = json_array();
    assert_non_null(all);
    size_t n;
    char **names = ais_test_list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len < 6 || strcmp(names[i] + len - 6, ".jsonl") != 0)
            continue;
        char *path = ais_test_join(dir, names[i]);
        char *text = ais_test_read_file(path);
        assert_non_null(text);
        json_t *events = ais_test_parse_json_lines(text);
        assert_int_equal(json_array_extend(all, events), 0);
        json_decref(events);
        free(text);
        free(path);
    }
    ais_test_free_names(names);
    return all;
}

static const char *const PASS_THROUGH[] = {"PATH", "TMPDIR", "LD_LIBRARY_PATH", "ASAN_OPTIONS",
                                           "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};

int ais_test_run(const char *const argv[], const char *const extra_env[], char **out, char **err)
{
    char *envp[64];
    char *owned[16];
    size_t n_env = 0, n_owned = 0;
    for (const char *const *name = PASS_THROUGH; *name; name++) {
        const char *v = getenv(*name);
        if (v == NULL)
            continue;
        size_t len = strlen(*name) + strlen(v) + 2;
        char *kv = malloc(len);
        assert_non_null(kv);
        snprintf(kv, len, "%s=%s", *name, v);
        owned[n_owned++] = kv;
        envp[n_env++] = kv;
    }
    for (const char *const *kv = extra_env; kv != NULL && *kv; kv++) {
        assert_true(n_env < 60);
        envp[n_env++] = (char *)*kv;
    }
    envp[n_env] = NULL;

    char *dir = ais_test_mkdtemp();
    char *out_path = ais_test_join(dir, "stdout");
    char *err_path = ais_test_join(dir, "stderr");
    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                                      O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, err_path,
                                                      O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        print_error("cannot start %s: %s\n", argv[0], strerror(rc));
        fail();
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        assert_int_equal(errno, EINTR);

    *out = ais_test_read_file(out_path);
    *err = ais_test_read_file(err_path);
    assert_non_null(*out);
    assert_non_null(*err);
    ais_test_rm_rf(dir);
    free(out_path);
    free(err_path);
    free(dir);
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ais_test_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

char *ais_test_replace(const char *text, const char *from, const char *to)
{
    size_t flen = strlen(from), tlen = strlen(to), n = 0;
    for (const char *p = strstr(text, from); p != NULL; p = strstr(p + flen, from))
        n++;
    char *out = malloc(strlen(text) + n * (tlen + 1) + 1);
    assert_non_null(out);
    char *o = out;
    const char *p = text;
    for (const char *hit = strstr(p, from); hit != NULL; hit = strstr(p, from)) {
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, to, tlen);
        o += tlen;
        p = hit + flen;
    }
    strcpy(o, p);
    return out;
}

char *ais_test_project_config(const char *project_dir, const char *const *replacements)
{
    char *config_dir = ais_test_join(project_dir, "config");
    if (mkdir(config_dir, 0755) != 0)
        assert_int_equal(errno, EEXIST);
    char *config = ais_test_join(config_dir, "hanoi_pipeline.yaml");
    char *text = ais_test_read_file(AIS_REPO_ROOT "/config/hanoi_pipeline.yaml");
    assert_non_null(text);
    for (const char *const *r = replacements; r != NULL && r[0] != NULL; r += 2) {
        assert_non_null(strstr(text, r[0]));
        char *next = ais_test_replace(text, r[0], r[1]);
        free(text);
        text = next;
    }
    ais_test_write_file(config, text);
    free(text);
    free(config_dir);
    return config;
}
