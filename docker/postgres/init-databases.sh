#!/bin/bash
# First start of the storage PostgreSQL (an empty data volume): one database and one owner per
# use — airflow (Airflow's metadata) and iceberg_catalog (the Iceberg JDBC catalog of Spark and
# PyIceberg). Passwords come from the environment (docker/compose.yaml requires them).
set -euo pipefail
: "${AIS_AIRFLOW_DB_PASSWORD:?}" "${AIS_ICEBERG_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v airflow_pw="$AIS_AIRFLOW_DB_PASSWORD" -v iceberg_pw="$AIS_ICEBERG_DB_PASSWORD" <<'SQL'
CREATE ROLE airflow LOGIN PASSWORD :'airflow_pw';
CREATE DATABASE airflow OWNER airflow;
CREATE ROLE iceberg LOGIN PASSWORD :'iceberg_pw';
CREATE DATABASE iceberg_catalog OWNER iceberg;
SQL
