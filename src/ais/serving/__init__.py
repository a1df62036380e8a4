"""Cassandra serving (CONTRACTS.md §4): the keyspace and its three tables, the bronze -> Cassandra
sync jobs, the Iceberg/Cassandra reconcile, and the latest forecast by location.

cassandra   connection settings, the schema (created idempotently), sessions
rows        pure mapping of bronze rows to serving rows, the days, the event_id checksum
sync        Spark jobs cassandra-weather and cassandra-openaq
reconcile   Spark job reconcile-serving
forecast    pm25_forecast_latest_by_location: written by predict, read by the API
"""
