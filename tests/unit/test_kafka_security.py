"""Spark's Kafka source options for the configured Kafka security (ais.spark.kafka_security): the
same keys and rules as the C client (native/tests/test_kafka_security.c)."""

from __future__ import annotations

import pytest
from tests.conftest import CONFIG_PATH, PROJECT_ROOT

from ais.config import ConfigError, load_settings
from ais.spark.kafka_security import kafka_security_options


def options(**env: str) -> dict[str, str]:
    return kafka_security_options(load_settings(CONFIG_PATH, environ=env))


def test_off_by_default() -> None:
    assert options() == {}
    assert options(KAFKA_SECURITY_PROTOCOL="plaintext") == {}


def test_sasl_ssl_with_scram_and_a_ca() -> None:
    got = options(KAFKA_SECURITY_PROTOCOL="sasl_ssl", KAFKA_SASL_MECHANISM="scram-sha-512",
                  KAFKA_SASL_USERNAME="ais-spark", KAFKA_SASL_PASSWORD="pw-123",
                  KAFKA_SSL_CA_LOCATION="/etc/ais/kafka-ca.pem")
    assert got == {
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "SCRAM-SHA-512",
        "kafka.sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required '
                                  'username="ais-spark" password="pw-123";',
        "kafka.ssl.truststore.type": "PEM",
        "kafka.ssl.truststore.location": "/etc/ais/kafka-ca.pem",
    }


def test_sasl_plaintext_plain_quotes_the_jaas_values() -> None:
    got = options(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_SASL_MECHANISM="PLAIN",
                  KAFKA_SASL_USERNAME="u", KAFKA_SASL_PASSWORD='p"w\\x')
    assert got == {
        "kafka.security.protocol": "SASL_PLAINTEXT",
        "kafka.sasl.mechanism": "PLAIN",
        "kafka.sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required '
                                  'username="u" password="p\\"w\\\\x";',
    }


def test_ssl_only_and_a_relative_ca() -> None:
    assert options(KAFKA_SECURITY_PROTOCOL="SSL") == {"kafka.security.protocol": "SSL"}
    got = options(KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CA_LOCATION="var/tls/ca.pem")
    assert got == {"kafka.security.protocol": "SSL", "kafka.ssl.truststore.type": "PEM",
                   "kafka.ssl.truststore.location": str(PROJECT_ROOT / "var" / "tls" / "ca.pem")}


def test_password_from_the_secret_the_config_names() -> None:
    got = options(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_SASL_MECHANISM="PLAIN", KAFKA_SASL_USERNAME="u",
                  KAFKA_SASL_PASSWORD_ENV="ICEBERG_JDBC_PASSWORD", ICEBERG_JDBC_PASSWORD="other-pw",
                  KAFKA_SASL_PASSWORD="not-this-one")
    assert got["kafka.sasl.jaas.config"].endswith('password="other-pw";')
    with pytest.raises(ConfigError, match="names PATH, which is not listed under secrets:"):
        options(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_SASL_MECHANISM="PLAIN", KAFKA_SASL_USERNAME="u",
                KAFKA_SASL_PASSWORD_ENV="PATH", PATH="/bin")


SASL = {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u",
        "KAFKA_SASL_PASSWORD": "secret-pw"}


@pytest.mark.parametrize(("env", "message"), [
    ({"KAFKA_SECURITY_PROTOCOL": "tls"}, "must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, not 'tls'"),
    (SASL | {"KAFKA_SASL_MECHANISM": "GSSAPI"}, "kafka_sasl_mechanism must be PLAIN, SCRAM-SHA-256 or"),
    (SASL | {"KAFKA_SASL_USERNAME": ""}, "kafka_sasl_username is empty"),
    ({k: v for k, v in SASL.items() if k != "KAFKA_SASL_PASSWORD"},
     r"\(environment variable KAFKA_SASL_PASSWORD\) is not set"),
    (SASL | {"KAFKA_SASL_PASSWORD": ""}, r"\(environment variable KAFKA_SASL_PASSWORD\) is not set"),
    ({"KAFKA_SASL_USERNAME": "u"}, "need a SASL kafka_security_protocol"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SASL_MECHANISM": "PLAIN"}, "need a SASL kafka_security_protocol"),
    (SASL | {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SSL_CA_LOCATION": "/ca.pem"},
     "kafka_ssl_ca_location needs a TLS kafka_security_protocol"),
], ids=["protocol", "mechanism", "username", "password-unset", "password-empty", "sasl-without-protocol",
        "sasl-with-ssl", "ca-without-tls"])
def test_bad_settings_are_named_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        options(**env)
    assert "secret-pw" not in str(raised.value)


class _Captured(Exception):
    """Stops read_topic once the security options are given (no Spark session here): the options
    given to the source so far are the answer."""


class _FakeKafkaReader:
    def __init__(self) -> None:
        self.source = ""
        self.given: dict[str, str] = {}

    def format(self, source: str) -> _FakeKafkaReader:
        self.source = source
        return self

    def option(self, key: str, value: object) -> _FakeKafkaReader:
        self.given[key] = str(value)
        return self

    def options(self, **opts: str) -> _FakeKafkaReader:
        self.given.update(opts)
        raise _Captured


def test_bronze_reads_kafka_with_these_options() -> None:
    """read_topic gives the Kafka source the security options beside its own."""
    from types import SimpleNamespace

    from ais.spark.jobs.bronze import read_topic

    env = {"KAFKA_BOOTSTRAP_SERVERS": "broker.example:9093", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
           "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": "ais-spark", "KAFKA_SASL_PASSWORD": "pw"}
    reader = _FakeKafkaReader()
    ctx = SimpleNamespace(settings=load_settings(CONFIG_PATH, environ=env), spark=SimpleNamespace(readStream=reader))
    with pytest.raises(_Captured):
        read_topic(ctx, "openaq-hourly")  # type: ignore[arg-type]
    assert reader.source == "kafka"
    assert reader.given["kafka.bootstrap.servers"] == "broker.example:9093"
    assert reader.given["subscribe"] == "openaq-hourly"
    assert reader.given["kafka.security.protocol"] == "SASL_SSL"
    assert reader.given["kafka.sasl.mechanism"] == "SCRAM-SHA-256"
    assert reader.given["kafka.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="ais-spark" password="pw";')
    plain = _FakeKafkaReader()
    ctx = SimpleNamespace(settings=load_settings(CONFIG_PATH, environ={"KAFKA_BOOTSTRAP_SERVERS": "b:9092"}),
                          spark=SimpleNamespace(readStream=plain))
    with pytest.raises(_Captured):
        read_topic(ctx, "openaq-hourly")  # type: ignore[arg-type]
    assert not [k for k in plain.given if k.startswith(("kafka.security", "kafka.sasl", "kafka.ssl"))]
