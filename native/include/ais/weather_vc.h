/* Visual Crossing weather history (topic weather-history-vc): the replay of Timeline exports
 * (CSV, metric units) as daily and hourly records.
 *
 * A file is daily when its header has "tempmax" (hn_daily.csv: one row per local day,
 * datetime "YYYY-MM-DD"), else hourly (datetime "YYYY-MM-DDTHH:MM:SS", one row per local hour).
 * Local time is UTC + utc_offset_hours (Hanoi: 7, Asia/Bangkok). Units are Visual Crossing's
 * metric: °C, km/h, mm, hPa, km, W/m².
 *
 * Event = envelope + resolution ("day" | "hour") location local_date local_time period_end
 *   temp_c tempmax_c tempmin_c feelslike_c dewpoint_c humidity precip_mm precipprob precipcover
 *   windgust_kph windspeed_kph winddir_deg sealevelpressure_hpa cloudcover visibility_km
 *   solarradiation_wm2 uvindex conditions stations
 * event_id     "weather_vc_<location slug>_<local date>" (day) or
 *              "weather_vc_<location slug>_<YYYY-MM-DDTHH:MM>" (hour)
 * event_time   the UTC start of the local day / hour
 * available_at what a provider can serve: a day's record once the local day is over, an hour's
 *              once the hour is over, each plus AIS_VC_LATENCY_SECONDS (the observations the
 *              record blends arrive and are merged after the period ends; claiming earlier
 *              availability would leak the future into a point-in-time join)
 *
 * Rules (nothing in a file is trusted): a file without a header row, or whose header lacks
 * name, datetime, temp, humidity, precip, windspeed or sealevelpressure (a daily file also
 * tempmax and tempmin), is rejected whole ("missing_column_<name>", "empty_file"). A row with
 * a different number of fields than the header is "field_count"; a bad datetime "bad_datetime";
 * a required number empty "missing_<column>", not a number "bad_number_<column>", impossible
 * "out_of_range_<column>" (temperatures outside -90..60 °C, humidity, cloud cover,
 * precipprob and precipcover outside 0..100, winddir outside 0..360, negative precipitation,
 * wind, visibility or radiation, pressure outside 850..1100 hPa, uvindex outside 0..30,
 * tempmin > tempmax). Optional numbers may be empty (null). The same event id twice in one run
 * is emitted once; a copy with other values is a dead letter "conflicting_duplicate". */
#ifndef AIS_WEATHER_VC_H
#define AIS_WEATHER_VC_H

#include <stddef.h>

#include "ais/airnow.h" /* ais_replay_stats */
#include "ais/dlq.h"
#include "ais/envelope.h"
#include "ais/progress.h"
#include "ais/sink.h"
#include "ais/status.h"

#define AIS_VC_SOURCE "visualcrossing"
#define AIS_VC_MAX_FILE_BYTES (64u * 1024u * 1024u)
#define AIS_VC_LATENCY_SECONDS 3600

/* Replays every *.csv under dir (recursively, path order), one progress step per file
 * (progress may be NULL). Records whose period starts in env's window go to sink; bad files and
 * rows go to dlq. AIS_ERR_IO if dir or a file cannot be read (errbuf says which); a sink or
 * dead-letter failure is returned as is. */
ais_status ais_vc_replay(const char *dir, int utc_offset_hours, const ais_envelope *env,
                         const ais_sink *sink, ais_dlq *dlq, ais_replay_stats *stats,
                         ais_progress *progress, char *errbuf, size_t errbuf_size);

#endif
