"""The one configuration of AIS: config/hanoi_pipeline.yaml plus environment overrides.

This module is the only reader of ``os.environ`` in the Python code. The rules are the same as the
C loader's (native/src/common/config.c), written once in the YAML file's header:

- every key under ``runtime:`` is overridden by the env var of its upper-cased name, even when the
  env value is empty;
- ``env_aliases:`` names extra env vars for a runtime key; the canonical name wins;
- ``secrets:`` lists env vars read from the environment only;
- relative paths are relative to the project root, the parent of the config file's folder.

Values are kept as the raw YAML scalar text (both loaders must agree on them byte for byte) and
typed on access.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ais.errors import ConfigError

CONFIG_ENV = "HANOI_PIPELINE_CONFIG"
CONFIG_RELPATH = Path("config") / "hanoi_pipeline.yaml"


def find_config_file(explicit: str | os.PathLike[str] | None = None,
                     environ: Mapping[str, str] | None = None,
                     start: Path | None = None) -> Path:
    """Return the config path: the argument, else $HANOI_PIPELINE_CONFIG, else the first
    config/hanoi_pipeline.yaml in the current directory or one of its parents."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit).resolve()
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_RELPATH
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no {CONFIG_RELPATH} in {here} or its parents and {CONFIG_ENV} is not set")


def _flatten(node: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _flatten(value, f"{prefix}.{index}", out)
    else:
        out[prefix] = "" if node is None else str(node)


def _load_raw_tree(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    try:
        # BaseLoader keeps every scalar as its text, exactly like the C loader.
        tree = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    except yaml.YAMLError as exc:
        raise ConfigError(f"malformed YAML in {path}: {exc}") from exc
    if not isinstance(tree, dict) or not isinstance(tree.get("runtime"), dict):
        raise ConfigError(f"{path}: top level must be a mapping with a 'runtime' section")
    return tree


@dataclass(frozen=True)
class Settings:
    """Loaded configuration. Build it with :func:`load_settings`; pass it down, never re-read."""

    path: Path
    project_root: Path
    values: dict[str, str]
    secrets: dict[str, str | None] = field(repr=False)

    # ---- raw and typed access -------------------------------------------------------------
    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def require(self, key: str) -> str:
        if key not in self.values:
            raise ConfigError(f"config key {key!r} is missing from {self.path}")
        return self.values[key]

    def get_int(self, key: str) -> int:
        raw = self.require(key)
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"config key {key!r} must be an integer, got {raw!r}") from exc

    def get_float(self, key: str) -> float:
        raw = self.require(key)
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"config key {key!r} must be a number, got {raw!r}") from exc

    def get_list(self, key: str) -> list[str]:
        items: list[str] = []
        while f"{key}.{len(items)}" in self.values:
            items.append(self.values[f"{key}.{len(items)}"])
        return items

    def get_int_list(self, key: str) -> list[int]:
        return [int(v) for v in self.get_list(key)]

    def section(self, prefix: str) -> dict[str, str]:
        """Flat values under ``prefix.`` with the prefix removed."""
        start = prefix + "."
        return {k[len(start):]: v for k, v in self.values.items() if k.startswith(start)}

    def runtime(self, name: str) -> str:
        return self.require(f"runtime.{name}")

    def secret(self, env_name: str) -> str | None:
        return self.secrets.get(env_name)

    def resolve_path(self, value: str) -> str:
        """Absolute path for a value: unchanged if absolute or a URI, else under the project root."""
        if not value or "://" in value or value.startswith("/"):
            return value
        return str(self.project_root / value)

    def runtime_path(self, name: str) -> Path:
        value = self.runtime(name)
        if "://" in value and not value.startswith("file://"):
            raise ConfigError(f"runtime.{name} must be a local path here, got {value!r}")
        return Path(self.resolve_path(value.removeprefix("file://")))

    def store_uri(self, name: str) -> str:
        """A runtime location that may be on the shared store: a URI as given, a relative local
        path under the project root."""
        return self.resolve_path(self.runtime(name).strip()).rstrip("/")

    @property
    def raw_store(self) -> str:
        """The shared store of files: runtime.raw_store_uri, else <iceberg_warehouse>/raw."""
        return self.store_uri("raw_store_uri") or f"{self.store_uri('iceberg_warehouse')}/raw"

    @property
    def met_dir(self) -> str:
        """Where the ARL met files live: runtime.met_dir, else <raw store>/met."""
        return self.store_uri("met_dir") or f"{self.raw_store}/met"

    # ---- frequently used runtime values ---------------------------------------------------
    @property
    def catalog_name(self) -> str:
        return self.runtime("iceberg_catalog")

    @property
    def location_id(self) -> str:
        return self.runtime("location_id")

    @property
    def location_name(self) -> str:
        return self.runtime("location_name")

    @property
    def feature_version(self) -> str:
        return self.runtime("feature_version")

    @property
    def feature_set_name(self) -> str:
        return self.runtime("feature_set_name")

    @property
    def dataset_version(self) -> str:
        return self.runtime("dataset_version")

    @property
    def horizons(self) -> list[int]:
        return self.get_int_list("features.horizons_h")

    @property
    def utc_offset_hours(self) -> int:
        return self.get_int("hanoi.utc_offset_hours")

    def table_name(self, runtime_key: str) -> str:
        """namespace.table for a table named in runtime (e.g. ``prediction_table``), without the
        catalog prefix even if the value carries one."""
        value = self.runtime(runtime_key)
        parts = value.split(".")
        if len(parts) == 3 and parts[0] == self.catalog_name:
            parts = parts[1:]
        if len(parts) != 2:
            raise ConfigError(f"runtime.{runtime_key} must be namespace.table, got {value!r}")
        return ".".join(parts)

    def child_environ(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a child program that reads the same config (ais-ingest, ais-traj):
        ``base`` (default os.environ) with every runtime value and every secret that is set, under
        its environment name, so the child sees exactly these settings."""
        env = dict(os.environ if base is None else base)
        env[CONFIG_ENV] = str(self.path)
        for key, value in self.section("runtime").items():
            if "." not in key:
                env[key.upper()] = value
        env.update({name: value for name, value in self.secrets.items() if value is not None})
        return env

    def dump(self) -> dict[str, Any]:
        """The same shape as ``ais-ingest config-dump``: raw values, secrets only as set/unset."""
        return {
            "project_root": str(self.project_root),
            "values": dict(self.values),
            "secrets": {k: ("set" if v is not None else "unset") for k, v in self.secrets.items()},
        }


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None) -> Settings:
    """Load the YAML file and apply the environment. Fails fast with :class:`ConfigError`."""
    env = os.environ if environ is None else environ
    config_path = find_config_file(path, env)
    tree = _load_raw_tree(config_path)
    values: dict[str, str] = {}
    _flatten(tree, "", values)

    runtime_keys = [k for k in tree["runtime"]]
    aliases = tree.get("env_aliases") or {}
    if not isinstance(aliases, dict):
        raise ConfigError(f"{config_path}: env_aliases must be a mapping")
    for key in runtime_keys:
        canonical = key.upper()
        if canonical in env:
            values[f"runtime.{key}"] = env[canonical]
            continue
        for alias, target in aliases.items():
            if target == key and alias in env:
                values[f"runtime.{key}"] = env[alias]
                break

    # runtime.kafka_topic_prefix goes in front of every kafka.topics.* name (one Kafka cluster shared
    # by several deployments or test runs); the C loader does the same
    prefix = values.get("runtime.kafka_topic_prefix", "")
    if prefix:
        for key in [k for k in values if k.startswith("kafka.topics.")]:
            values[key] = prefix + values[key]

    secret_names = tree.get("secrets") or []
    if not isinstance(secret_names, list):
        raise ConfigError(f"{config_path}: secrets must be a list of env var names")
    secrets = {name: env.get(name) for name in secret_names}
    return Settings(path=config_path, project_root=config_path.parent.parent, values=values,
                    secrets=secrets)
