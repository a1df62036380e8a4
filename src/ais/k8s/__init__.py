"""The Kubernetes side of AIS: the spark-submit command generator (:mod:`ais.k8s.submit`) and the
deployment smoke probes of the PM2.5 API (:mod:`ais.k8s.smoke`).

Nothing here talks to a cluster by itself: the generator builds ``spark-submit --master k8s://``
commands from the job registry and the settings, and the probes speak HTTP to the API.
"""
