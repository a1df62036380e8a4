"""Kafka client security for Spark's Kafka source, from the same configuration keys and rules as
ais-ingest's librdkafka client (native/src/sinks/kafka_security.c): runtime.kafka_security_protocol,
kafka_sasl_mechanism, kafka_sasl_username, kafka_sasl_password_env and kafka_ssl_ca_location.

Spark hands every ``kafka.``-prefixed option of the source to the Java Kafka consumer, so the
settings become:

- ``kafka.security.protocol``: SSL, SASL_PLAINTEXT or SASL_SSL (nothing for PLAINTEXT);
- ``kafka.sasl.mechanism`` and ``kafka.sasl.jaas.config``: the login module of the mechanism
  (PlainLoginModule or ScramLoginModule) with the username and the password;
- ``kafka.ssl.truststore.type`` PEM and ``kafka.ssl.truststore.location``: the CA file (the Java
  client reads PEM trust stores itself; without it, the JVM's default trust store).

The JAAS option holds the password: Spark's default redaction pattern
(``spark.redaction.regex``) matches the word ``password`` in it, so the plans and the UI show it
redacted; never log the returned mapping.
"""

from __future__ import annotations

from ais.config import ConfigError, Settings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}


def _jaas_quote(value: str) -> str:
    """A JAAS option value in double quotes (backslash and double quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _protocol(settings: Settings) -> str:
    text = settings.runtime("kafka_security_protocol")
    protocol = text.upper() if text else "PLAINTEXT"
    if protocol not in PROTOCOLS:
        raise ConfigError("runtime.kafka_security_protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or "
                          f"SASL_SSL, not {text!r}")
    return protocol


def _password(settings: Settings) -> str:
    env_name = settings.runtime("kafka_sasl_password_env")
    if not env_name:
        raise ConfigError("runtime.kafka_sasl_password_env is empty (it names the environment variable "
                          "of the SASL password)")
    if env_name not in settings.secrets:
        raise ConfigError(f"runtime.kafka_sasl_password_env names {env_name}, which is not listed under "
                          "secrets:")
    password = settings.secret(env_name)
    if not password:
        raise ConfigError(f"the Kafka SASL password (environment variable {env_name}) is not set")
    return password


def kafka_security_options(settings: Settings) -> dict[str, str]:
    """The ``kafka.``-prefixed options of Spark's Kafka source for the configured security; empty
    for PLAINTEXT. Raises ConfigError (naming the key, never a value) for an unknown protocol or
    mechanism, a missing username or password, or a SASL or CA setting the protocol does not use."""
    protocol = _protocol(settings)
    mechanism_text = settings.runtime("kafka_sasl_mechanism")
    username = settings.runtime("kafka_sasl_username")
    ca_location = settings.runtime("kafka_ssl_ca_location")
    sasl = protocol.startswith("SASL_")
    tls = protocol in ("SSL", "SASL_SSL")
    if not sasl and (mechanism_text or username):
        raise ConfigError("runtime.kafka_sasl_mechanism and kafka_sasl_username need a SASL "
                          f"kafka_security_protocol (SASL_PLAINTEXT or SASL_SSL), not {protocol}")
    if not tls and ca_location:
        raise ConfigError("runtime.kafka_ssl_ca_location needs a TLS kafka_security_protocol (SSL or "
                          f"SASL_SSL), not {protocol}")
    if protocol == "PLAINTEXT":
        return {}
    options = {"kafka.security.protocol": protocol}
    if sasl:
        mechanism = mechanism_text.upper()
        if mechanism not in LOGIN_MODULES:
            raise ConfigError("runtime.kafka_sasl_mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 "
                              f"with a SASL protocol, not {mechanism_text!r}")
        if not username:
            raise ConfigError("runtime.kafka_sasl_username is empty (a SASL protocol logs in as a user)")
        password = _password(settings)
        options["kafka.sasl.mechanism"] = mechanism
        options["kafka.sasl.jaas.config"] = (f"{LOGIN_MODULES[mechanism]} required "
                                             f"username={_jaas_quote(username)} "
                                             f"password={_jaas_quote(password)};")
    if tls and ca_location:
        options["kafka.ssl.truststore.type"] = "PEM"
        options["kafka.ssl.truststore.location"] = settings.resolve_path(ca_location)
    return options
