#!/bin/sh
# Print requirements/runtime.txt without the packages named in an exclude file (one name a line,
# '#' comments), so every image installs the project's own pins and only drops what it must not
# carry (pyspark in the ML image: no JVM; ML libraries in the API image).
#   docker/select-requirements.sh requirements/runtime.txt docker/api/requirements-exclude.txt
set -eu
runtime="$1"; exclude="$2"
names="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$exclude" | grep -v '^$' | tr '[:upper:]_' '[:lower:]-' | paste -sd '|' -)"
if [ -z "$names" ]; then cat "$runtime"; exit 0; fi
# a requirement line is "<name>[extras]==<version>"; names compare case-insensitively, _ as -
awk -v names="^($names)$" '
  /^[[:space:]]*(#|$)/ { print; next }
  { n = tolower($0); sub(/[\[=<>!~; ].*/, "", n); gsub(/_/, "-", n); if (n !~ names) print }
' "$runtime"
