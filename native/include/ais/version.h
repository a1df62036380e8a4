/* AIS native core version. CMakeLists.txt reads AIS_VERSION from this line, so this header is
 * the single place the version is written down. */
#ifndef AIS_VERSION_H
#define AIS_VERSION_H

#define AIS_VERSION "0.1.0"

/* The trace.producer value carried by every event this build emits. */
#define AIS_PRODUCER "ais-ingest/" AIS_VERSION

#endif
