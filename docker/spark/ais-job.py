"""The application of every AIS Spark job on Kubernetes (``local:///opt/ais/bin/ais-job.py``).

spark-submit runs this file in the driver pod; it runs ``ais job <job-type> [args]``, the same entry
point and the same code as a local run, with the settings of the pod's environment (the ConfigMap
ais-runtime-config and the Secret ais-runtime-secrets). The exit status is the job's.
"""

import sys

from ais.cli import main

if __name__ == "__main__":
    sys.exit(main(["job", *sys.argv[1:]]))
