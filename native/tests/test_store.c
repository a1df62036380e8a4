/* The shared store on the local file system (ais/store.h): local paths and file:// URIs, the
 * raw store root from the configuration, the refusals. WebHDFS is in test_store_webhdfs. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ais/config.h"
#include "ais/fsutil.h"
#include "ais/store.h"

/* n bytes of a pattern with NULs and every byte value, different per seed */
static char *pattern(size_t n, unsigned seed)
{
    char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)((i * 31u + seed * 7u + (i >> 12)) & 0xff);
    return p;
}

static void write_bytes(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void assert_file_bytes(const char *path, const char *data, size_t n)
{
    char *got = NULL;
    size_t len = 0;
    assert_int_equal(ais_fs_read_file(path, n + 16, &got, &len), AIS_OK);
    assert_int_equal(len, n);
    assert_memory_equal(got, data, n);
    free(got);
}

/* the folder holds exactly the one name (no temporary left beside it) */
static void assert_only(const char *dir, const char *name)
{
    size_t count = 0;
    char **names = ais_test_list_dir(dir, &count);
    assert_int_equal(count, 1);
    assert_string_equal(names[0], name);
    ais_test_free_names(names);
}

static void local_path_put_creates_folders_and_leaves_no_temporary(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *src = ais_test_join(tmp, "download.grib");
    size_t n = 3u * 1024u * 1024u + 123u; /* more than one copy chunk */
    char *data = pattern(n, 1);
    write_bytes(src, data, n);
    char *target = ais_test_join(tmp, "store/era5/2017/01/01/download.grib");
    ais_store_put_result res;
    char err[512] = "";
    assert_int_equal(ais_store_put_file(NULL, src, target, &res, err, sizeof err), AIS_OK);
    assert_int_equal(res.bytes, n);
    assert_false(res.skipped);
    assert_file_bytes(target, data, n);
    char *dir = ais_test_join(tmp, "store/era5/2017/01/01");
    assert_only(dir, "download.grib");
    /* the source is untouched */
    assert_file_bytes(src, data, n);
    free(dir);
    free(target);
    free(data);
    free(src);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void file_uri_put_replaces_the_target(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *src = ais_test_join(tmp, "new.hdf");
    char *old = pattern(5000, 2), *fresh = pattern(1000, 3);
    write_bytes(src, fresh, 1000);
    char *dir = ais_test_join(tmp, "store/maiac");
    assert_int_equal(ais_fs_mkdir_p(dir, 0755), AIS_OK);
    char *target = ais_test_join(dir, "granule one.hdf");
    write_bytes(target, old, 5000); /* longer than the new file: no stale tail may remain */
    char uri[1024], err[512] = "";
    snprintf(uri, sizeof uri, "file://%s/granule%%20one.hdf", dir);
    ais_store_put_result res;
    assert_int_equal(ais_store_put_file(NULL, src, uri, &res, err, sizeof err), AIS_OK);
    assert_int_equal(res.bytes, 1000);
    assert_file_bytes(target, fresh, 1000);
    assert_only(dir, "granule one.hdf");
    /* file://localhost/... is the same place */
    snprintf(uri, sizeof uri, "file://localhost%s/granule%%20one.hdf", dir);
    write_bytes(src, old, 5000);
    assert_int_equal(ais_store_put_file(NULL, src, uri, NULL, err, sizeof err), AIS_OK);
    assert_file_bytes(target, old, 5000);
    assert_only(dir, "granule one.hdf");
    ais_store_kind kind = AIS_STORE_HDFS;
    assert_int_equal(ais_store_check(NULL, uri, &kind, err, sizeof err), AIS_OK);
    assert_int_equal(kind, AIS_STORE_LOCAL);
    free(target);
    free(dir);
    free(old);
    free(fresh);
    free(src);
    ais_test_rm_rf(tmp);
    free(tmp);
}

static void refusals_are_clear(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *src = ais_test_join(tmp, "f.nc");
    ais_test_write_file(src, "netcdf bytes");
    char err[512];
    ais_store_options no_base = {.webhdfs_base = "", .http = NULL};

    /* a scheme we do not write to */
    err[0] = '\0';
    assert_int_equal(ais_store_put_file(NULL, src, "s3a://bucket/raw/f.nc", NULL, err, sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    assert_non_null(strstr(err, "unsupported store 's3a://'"));
    assert_non_null(strstr(err, "s3a://bucket/raw/f.nc"));
    assert_int_equal(ais_store_check(NULL, "gs://b/x", NULL, err, sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    assert_non_null(strstr(err, "unsupported store"));
    /* file:// on another host */
    assert_int_equal(ais_store_put_file(NULL, src, "file://nas/raw/f.nc", NULL, err, sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    assert_non_null(strstr(err, "with a host"));
    /* hdfs:// without a WebHDFS base: a configuration error, before any request */
    err[0] = '\0';
    assert_int_equal(ais_store_put_file(&no_base, src, "hdfs://nn:8020/raw/f.nc", NULL, err,
                                        sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    assert_non_null(strstr(err, "hdfs_webhdfs_base"));
    assert_non_null(strstr(err, "HDFS_WEBHDFS_BASE"));
    assert_non_null(strstr(err, "hdfs://nn:8020/raw/f.nc"));
    assert_int_equal(ais_store_check(&no_base, "hdfs://nn:8020/raw", NULL, err, sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    assert_int_equal(ais_store_put_file(NULL, src, "hdfs://nn:8020/raw/f.nc", NULL, err,
                                        sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    ais_store_options ftp_base = {.webhdfs_base = "ftp://nn/webhdfs/v1"};
    assert_int_equal(ais_store_check(&ftp_base, "hdfs://nn:8020/raw", NULL, err, sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    /* hdfs:// without a NameNode host */
    assert_int_equal(ais_store_check(NULL, "hdfs:///raw", NULL, err, sizeof err),
                     AIS_ERR_CONFIG_INVALID);
    assert_non_null(strstr(err, "NameNode host"));
    /* the URI alone is fine without options */
    ais_store_kind kind = AIS_STORE_LOCAL;
    assert_int_equal(ais_store_check(NULL, "hdfs://nn:8020/raw", &kind, err, sizeof err), AIS_OK);
    assert_int_equal(kind, AIS_STORE_HDFS);
    assert_int_equal(ais_store_check(NULL, "", NULL, err, sizeof err), AIS_ERR_CONFIG_INVALID);

    /* a missing source names both ends */
    char *missing = ais_test_join(tmp, "missing.nc"), *target = ais_test_join(tmp, "store/f.nc");
    assert_int_equal(ais_store_put_file(NULL, missing, target, NULL, err, sizeof err), AIS_ERR_IO);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, target));
    assert_non_null(strstr(err, strerror(ENOENT)));
    /* a folder that cannot be made (a file is in the way): nothing is left behind */
    char *blocker = ais_test_join(tmp, "blocker");
    ais_test_write_file(blocker, "a file, not a folder");
    char *under = ais_test_join(tmp, "blocker/raw/f.nc");
    assert_int_equal(ais_store_put_file(NULL, src, under, NULL, err, sizeof err), AIS_ERR_IO);
    assert_non_null(strstr(err, "cannot create the folder"));
    assert_non_null(strstr(err, under));
    /* a target that is a folder: the rename fails and the temporary goes */
    char *taken = ais_test_join(tmp, "taken");
    char *inside = ais_test_join(taken, "f.nc");
    assert_int_equal(ais_fs_mkdir_p(inside, 0755), AIS_OK);
    assert_int_equal(ais_store_put_file(NULL, src, inside, NULL, err, sizeof err), AIS_ERR_IO);
    assert_non_null(strstr(err, "rename"));
    assert_only(taken, "f.nc");
    size_t count = 0;
    char **names = ais_test_list_dir(tmp, &count);
    assert_int_equal(count, 3); /* f.nc, blocker, taken */
    ais_test_free_names(names);
    free(inside);
    free(taken);
    free(under);
    free(blocker);
    free(target);
    free(missing);
    free(src);
    ais_test_rm_rf(tmp);
    free(tmp);
}

/* ------------------------------------------------------------------------------------------ */
/* The raw store root                                                                         */

static char *root_with(const char *raw_env, const char *warehouse_env, ais_status *st,
                       char *project)
{
    const char *repl[] = {NULL};
    char *config = ais_test_project_config(project, repl);
    if (raw_env != NULL)
        setenv("RAW_STORE_URI", raw_env, 1);
    if (warehouse_env != NULL)
        setenv("ICEBERG_WAREHOUSE", warehouse_env, 1);
    ais_config *cfg = NULL;
    assert_int_equal(ais_config_load(config, &cfg), AIS_OK);
    unsetenv("RAW_STORE_URI");
    unsetenv("ICEBERG_WAREHOUSE");
    char *root = NULL, err[512] = "";
    *st = ais_store_raw_root(cfg, &root, err, sizeof err);
    if (*st != AIS_OK) {
        assert_non_null(strstr(err, "RAW_STORE_URI"));
        assert_null(root);
    }
    ais_config_free(cfg);
    free(config);
    return root;
}

static void raw_root_follows_the_configuration(void **state)
{
    (void)state;
    unsetenv("RAW_STORE_URI");
    unsetenv("ICEBERG_WAREHOUSE");
    char *project = ais_test_mkdtemp();
    char *real = realpath(project, NULL);
    assert_non_null(real);
    ais_status st;
    char expect[1024];
    /* default: <iceberg_warehouse>/raw, var/warehouse resolved under the project */
    char *root = root_with(NULL, NULL, &st, project);
    assert_int_equal(st, AIS_OK);
    snprintf(expect, sizeof expect, "%s/var/warehouse/raw", real);
    assert_string_equal(root, expect);
    free(root);
    /* an explicit store wins, trailing slashes and spaces go */
    root = root_with(" hdfs://nn:8020/ais/raw/ ", NULL, &st, project);
    assert_string_equal(root, "hdfs://nn:8020/ais/raw");
    free(root);
    root = root_with("file:///srv/raw", "hdfs://nn:8020/warehouse", &st, project);
    assert_string_equal(root, "file:///srv/raw");
    free(root);
    /* a relative store path is under the project root */
    root = root_with("shared/raw", NULL, &st, project);
    snprintf(expect, sizeof expect, "%s/shared/raw", real);
    assert_string_equal(root, expect);
    free(root);
    /* no store: the warehouse's raw/, whatever store the warehouse is on */
    root = root_with("", "hdfs://nn:8020/warehouse/", &st, project);
    assert_string_equal(root, "hdfs://nn:8020/warehouse/raw");
    free(root);
    /* neither: a configuration error */
    root = root_with("", "", &st, project);
    assert_int_equal(st, AIS_ERR_CONFIG_INVALID);
    free(real);
    ais_test_rm_rf(project);
    free(project);
}

static void remove_tree_removes_nested_folders(void **state)
{
    (void)state;
    char *tmp = ais_test_mkdtemp();
    char *deep = ais_test_join(tmp, "w/a/b");
    assert_int_equal(ais_fs_mkdir_p(deep, 0755), AIS_OK);
    char *f1 = ais_test_join(deep, "x.grib"), *f2 = ais_test_join(tmp, "w/.hidden.part");
    ais_test_write_file(f1, "x");
    ais_test_write_file(f2, "y");
    char *w = ais_test_join(tmp, "w");
    assert_int_equal(ais_fs_remove_tree(w), AIS_OK);
    struct stat sb;
    assert_int_not_equal(stat(w, &sb), 0);
    /* nothing there is fine */
    assert_int_equal(ais_fs_remove_tree(w), AIS_OK);
    free(w);
    free(f1);
    free(f2);
    free(deep);
    ais_test_rm_rf(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(local_path_put_creates_folders_and_leaves_no_temporary),
        cmocka_unit_test(file_uri_put_replaces_the_target),
        cmocka_unit_test(refusals_are_clear),
        cmocka_unit_test(raw_root_follows_the_configuration),
        cmocka_unit_test(remove_tree_removes_nested_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
