/* Helpers shared by the cmocka tests: temporary folders, files, child processes. Every helper
 * fails the running test (via cmocka) instead of returning an error. */
#ifndef AIS_TESTUTIL_H
#define AIS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

/* |a - b| <= tol, with both numbers in the failure message. */
#define assert_double_near(a, b, tol) ais_test_assert_near((a), (b), (tol), __FILE__, __LINE__)
void ais_test_assert_near(double a, double b, double tol, const char *file, int line);

/* The repository root (from the AIS_REPO_ROOT compile definition), resolved. Caller frees. */
char *ais_test_repo_root(void);
/* <repo>/config/hanoi_pipeline.yaml, resolved. Caller frees. */
char *ais_test_repo_config(void);

/* A new empty folder under $TMPDIR (or /tmp). Caller frees the string and removes the folder
 * with ais_test_rm_rf. */
char *ais_test_mkdtemp(void);
void ais_test_rm_rf(const char *path);

/* "<a>/<b>", caller frees. */
char *ais_test_join(const char *a, const char *b);

void ais_test_write_file(const char *path, const char *content);
/* Whole file, NUL-terminated; NULL if it cannot be read. Caller frees. */
char *ais_test_read_file(const char *path);

/* Names in a folder (not "." and ".."), sorted, NULL-terminated; *count set. Caller frees with
 * ais_test_free_names. */
char **ais_test_list_dir(const char *dir, size_t *count);
void ais_test_free_names(char **names);

/* Lines of a text, each a JSON value; fails the test if one does not parse. Returns a JSON
 * array (caller decrefs). */
json_t *ais_test_parse_json_lines(const char *text);

/* All events of every .jsonl file in dir, as one array (caller decrefs). */
json_t *ais_test_read_landing(const char *dir);

/* Runs argv[0] with argv and a clean environment (PATH, TMPDIR and sanitizer/loader settings
 * of this process, plus extra_env "NAME=value" entries, NULL-terminated, may be NULL).
 * Captures stdout and stderr (caller frees both). Returns the exit code, or -1 if the child
 * did not exit normally. */
int ais_test_run(const char *const argv[], const char *const extra_env[], char **out,
                 char **err);

/* A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). */
int ais_test_free_port(void);

/* A copy of text with every occurrence of from replaced by to; caller frees. */
char *ais_test_replace(const char *text, const char *from, const char *to);

/* A project folder holding config/hanoi_pipeline.yaml: the repository's configuration with
 * each "from" line fragment replaced by "to" (pairs, NULL-terminated; NULL for a plain copy).
 * Returns the config path; the project is its grandparent (remove with ais_test_rm_rf). */
char *ais_test_project_config(const char *project_dir, const char *const *replacements);

#endif
