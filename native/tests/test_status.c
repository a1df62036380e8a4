#include "testutil.h"

#include <string.h>

#include "ais/status.h"

static void every_status_has_a_distinct_name(void **state)
{
    (void)state;
    for (int i = 0; i < AIS_STATUS_COUNT; i++) {
        const char *name = ais_status_str((ais_status)i);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        assert_string_not_equal(name, "unknown status");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(name, ais_status_str((ais_status)j));
    }
}

static void known_names(void **state)
{
    (void)state;
    assert_int_equal(AIS_OK, 0);
    assert_string_equal(ais_status_str(AIS_OK), "ok");
    assert_string_equal(ais_status_str(AIS_ERR_NOT_IMPLEMENTED), "not implemented yet in this build");
    assert_string_equal(ais_status_str(AIS_ERR_CONFIG_SYNTAX), "malformed YAML in configuration");
    assert_string_equal(ais_status_str(AIS_STATUS_COUNT), "unknown status");
    assert_string_equal(ais_status_str((ais_status)-1), "unknown status");
    assert_string_equal(ais_status_str((ais_status)1000), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_status_has_a_distinct_name),
        cmocka_unit_test(known_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
