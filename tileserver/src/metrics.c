/*
 * metrics.c - /health (a JSON summary, 503 while the database or the change
 * listener is down) and /metrics (Prometheus text): requests by endpoint
 * (the route table's metric names) and status, tile latency, the cache, the
 * database pool, the change listener, the connections, the hot standbys.
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "http.h"
#include "lsn.h"

static const int tracked_status[SRV_NSTATUS] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 500, 503, 504};

static const double latency_buckets[SRV_NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/* the counters' slot of a route: malformed and unknown paths are one endpoint, "other" */
static RouteKind
metric_slot(RouteKind kind)
{
	return kind == ROUTE_BAD ? ROUTE_NOT_FOUND : kind;
}

void
metrics_count(Req *r, int status, double secs)
{
	Metrics    *m = &r->s->m;
	size_t		i;

	for (i = 0; i < SRV_NSTATUS; i++)
		if (tracked_status[i] == status)
			break;
	m->requests[metric_slot(r->kind)][i]++;
	if (r->kind == ROUTE_TILE)
	{
		size_t		b = 0;

		while (b < SRV_NBUCKETS && secs > latency_buckets[b])
			b++;
		m->tile_buckets[b]++;
		m->tile_seconds += secs;
		m->tile_count++;
	}
}

/* the standbys (--db-replica) in /health: "replicas":[...], before the closing brace */
static void
health_replicas(Server *s, struct evbuffer *b)
{
	int			n = replica_count(s->replicas);
	char		barrier[LSN_TEXT_MAX];

	if (n == 0)
		return;
	lsn_format(replica_barrier(s->replicas), barrier, sizeof barrier);
	evbuffer_add_printf(b, ",\"reads_primary\":%lld,\"read_barrier_lsn\":%s%s%s,\"replicas\":[",
						replica_primary_reads(s->replicas), replica_barrier(s->replicas) ? "\"" : "",
						replica_barrier(s->replicas) ? barrier : "null", replica_barrier(s->replicas) ? "\"" : "");
	for (int i = 0; i < n; i++)
	{
		ReplicaStats st;
		char		replayed[LSN_TEXT_MAX];

		replica_stats(s->replicas, i, &st);
		lsn_format(st.replayed, replayed, sizeof replayed);
		evbuffer_add_printf(b, "%s{\"replica\":%d,\"state\":\"%s\",\"why\":\"%s\",\"replay_lsn\":%s%s%s,"
							"\"lag_bytes\":%llu,\"lag_s\":%.3f,\"reads\":%lld,\"retried\":%lld}",
							i ? "," : "", i + 1, replica_state_name(st.state), st.why, st.replayed ? "\"" : "",
							st.replayed ? replayed : "null", st.replayed ? "\"" : "",
							(unsigned long long) st.lag_bytes, st.lag_s, st.reads, st.retried);
	}
	evbuffer_add_printf(b, "]");
}

void
metrics_health(Req *r, const Route *rt)
{
	Server	   *s = r->s;
	DbStats		d;
	CacheStats	c;
	ChangesStats ch;
	int			up = db_up(s->db);
	int			trusted;
	struct evbuffer *b = http_body(r);
	EventsStats es;

	(void) rt;
	if (b == NULL)
		return;
	db_stats(s->db, &d);
	cache_stats(s->cache, &c);
	events_stats(s->events, &es);
	changes_stats(s->changes, &ch);
	trusted = ch.trusted;
	/*
	 * degraded: the database answers but the change listener is down or deaf,
	 * so the server serves fresh tiles only, uncached
	 */
	evbuffer_add_printf(b, "{\"status\":\"%s\",\"database\":{\"up\":%s,\"pool\":%d,\"idle\":%d,\"busy\":%d,"
						"\"queued\":%d,\"listening\":%s,\"reconnects\":%lld,\"timeouts\":%lld},"
						"\"changes\":{\"trusted\":%s,\"applied\":%lld,\"refused\":%lld,\"pending\":%d,"
						"\"pings_sent\":%lld,\"pings_heard\":%lld},"
						"\"cache\":{\"entries\":%lld,\"bytes\":%zu,\"capacity\":%zu},\"event_streams\":%d,\"uptime_s\":%lld",
						!up ? "unavailable" : trusted ? "ok" : "degraded", up ? "true" : "false", d.size, d.idle,
						d.busy, d.queued, d.listening ? "true" : "false", d.reconnects, d.timeouts,
						trusted ? "true" : "false", ch.applied, ch.refused, ch.pending, ch.pings_sent,
						ch.pings_heard, c.entries, c.bytes, c.capacity, es.clients,
						(long long) (time(NULL) - s->started));
	health_replicas(s, b);
	evbuffer_add_printf(b, "}\n");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Cache-Control", "no-store");
	if (!up || !trusted)
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Retry-After", "1");
	http_reply(r, up && trusted ? 200 : 503, "application/json", b, NULL);
}


static void
metrics_connections(Server *s, struct evbuffer *b)
{
	ConnStats	cs;
	EventsStats es;

	conn_stats(s->conns, &cs);
	events_stats(s->events, &es);
	evbuffer_add_printf(b,
						"# TYPE tailings_connections gauge\ntailings_connections %d\n"
						"# TYPE tailings_connections_max gauge\ntailings_connections_max %d\n"
						"# TYPE tailings_connections_accepted_total counter\ntailings_connections_accepted_total %lld\n"
						"# TYPE tailings_connections_refused_total counter\n"
						"tailings_connections_refused_total{reason=\"per_ip\"} %lld\n"
						"tailings_connections_refused_total{reason=\"header_timeout\"} %lld\n"
						"tailings_connections_refused_total{reason=\"evicted\"} %lld\n"
						"# TYPE tailings_connections_paused_total counter\ntailings_connections_paused_total %lld\n"
						"# TYPE tailings_accept_errors_total counter\ntailings_accept_errors_total %lld\n"
						"# TYPE tailings_event_streams_refused_per_ip_total counter\n"
						"tailings_event_streams_refused_per_ip_total %lld\n",
						cs.open, cs.max_conns, cs.accepted, cs.refused_per_ip, cs.header_timeouts, cs.evicted, cs.paused,
						cs.accept_errors, es.refused_per_ip);
}

/* requests by endpoint and status: the route table's endpoints, then "other" */
static void
metrics_requests(Server *s, struct evbuffer *b)
{
	evbuffer_add_printf(b, "# HELP tailings_http_requests_total HTTP requests by endpoint and status.\n"
						"# TYPE tailings_http_requests_total counter\n");
	for (int k = ROUTE_BAD + 1; k <= ROUTE_COUNT; k++)
	{
		RouteKind	kind = k == ROUTE_COUNT ? ROUTE_NOT_FOUND : (RouteKind) k;

		for (size_t i = 0; i <= SRV_NSTATUS; i++)
		{
			long long	n = s->m.requests[kind][i];

			if (n == 0)
				continue;
			if (i < SRV_NSTATUS)
				evbuffer_add_printf(b, "tailings_http_requests_total{endpoint=\"%s\",status=\"%d\"} %lld\n",
									route_name(kind), tracked_status[i], n);
			else
				evbuffer_add_printf(b, "tailings_http_requests_total{endpoint=\"%s\",status=\"other\"} %lld\n",
									route_name(kind), n);
		}
	}
}

static void
metrics_tile_latency(Server *s, struct evbuffer *b)
{
	long long	cum = 0;

	evbuffer_add_printf(b, "# HELP tailings_tile_seconds Time to answer a tile request.\n"
						"# TYPE tailings_tile_seconds histogram\n");
	for (size_t i = 0; i < SRV_NBUCKETS; i++)
	{
		cum += s->m.tile_buckets[i];
		evbuffer_add_printf(b, "tailings_tile_seconds_bucket{le=\"%g\"} %lld\n", latency_buckets[i], cum);
	}
	cum += s->m.tile_buckets[SRV_NBUCKETS];
	evbuffer_add_printf(b, "tailings_tile_seconds_bucket{le=\"+Inf\"} %lld\n"
						"tailings_tile_seconds_sum %.6f\ntailings_tile_seconds_count %lld\n",
						cum, s->m.tile_seconds, s->m.tile_count);
}

/* the cache, the database pool and the change streams */
static void
metrics_cache_db(Server *s, struct evbuffer *b)
{
	DbStats		d;
	CacheStats	c;
	EventsStats es;

	db_stats(s->db, &d);
	cache_stats(s->cache, &c);
	events_stats(s->events, &es);
	evbuffer_add_printf(b,
						"# TYPE tailings_cache_hits_total counter\ntailings_cache_hits_total %lld\n"
						"# TYPE tailings_cache_misses_total counter\ntailings_cache_misses_total %lld\n"
						"# TYPE tailings_cache_evictions_total counter\ntailings_cache_evictions_total %lld\n"
						"# TYPE tailings_cache_invalidations_total counter\ntailings_cache_invalidations_total %lld\n"
						"# TYPE tailings_cache_entries gauge\ntailings_cache_entries %lld\n"
						"# TYPE tailings_cache_bytes gauge\ntailings_cache_bytes %zu\n"
						"# TYPE tailings_cache_capacity_bytes gauge\ntailings_cache_capacity_bytes %zu\n"
						"# TYPE tailings_tile_coalesced_total counter\ntailings_tile_coalesced_total %lld\n"
						"# TYPE tailings_db_pool_connections gauge\ntailings_db_pool_connections %d\n"
						"# TYPE tailings_db_pool_busy gauge\ntailings_db_pool_busy %d\n"
						"# TYPE tailings_db_pool_idle gauge\ntailings_db_pool_idle %d\n"
						"# TYPE tailings_db_queue_waiting gauge\ntailings_db_queue_waiting %d\n"
						"# TYPE tailings_db_queue_rejected_total counter\ntailings_db_queue_rejected_total %lld\n"
						"# TYPE tailings_db_queries_total counter\ntailings_db_queries_total %lld\n"
						"# TYPE tailings_db_reconnects_total counter\ntailings_db_reconnects_total %lld\n"
						"# TYPE tailings_db_up gauge\ntailings_db_up %d\n"
						"# TYPE tailings_notifications_total counter\ntailings_notifications_total %lld\n"
						"# TYPE tailings_event_streams gauge\ntailings_event_streams %d\n"
						"# TYPE tailings_events_sent_total counter\ntailings_events_sent_total %lld\n"
						"# TYPE tailings_event_streams_dropped_total counter\ntailings_event_streams_dropped_total %lld\n",
						c.hits, c.misses, c.evictions, c.invalidations, c.entries, c.bytes, c.capacity,
						s->m.coalesced, d.size, d.busy, d.idle, d.queued, d.rejected, d.queries, d.reconnects,
						db_up(s->db), d.notifications, es.clients, es.sent, es.dropped);
}

/* the change listener, its pings, and the maps of past moments */
static void
metrics_changes(Server *s, struct evbuffer *b)
{
	ChangesStats ch;
	DbStats		d;

	db_stats(s->db, &d);
	changes_stats(s->changes, &ch);
	evbuffer_add_printf(b, "# TYPE tailings_db_timeouts_total counter\ntailings_db_timeouts_total %lld\n"
						"# HELP tailings_changes_applied_total Changes confirmed by the change log and applied.\n"
						"# TYPE tailings_changes_applied_total counter\ntailings_changes_applied_total %lld\n"
						"# HELP tailings_changes_refused_total Notifications not confirmed by the log (forged, replayed, malformed).\n"
						"# TYPE tailings_changes_refused_total counter\ntailings_changes_refused_total %lld\n"
						"# TYPE tailings_changes_pings_sent_total counter\ntailings_changes_pings_sent_total %lld\n"
						"# TYPE tailings_changes_pings_heard_total counter\ntailings_changes_pings_heard_total %lld\n"
						"# HELP tailings_changes_trusted 1 while the change listener hears its pings: current tiles are cached.\n"
						"# TYPE tailings_changes_trusted gauge\ntailings_changes_trusted %d\n"
						"# HELP tailings_history_tiles_running ?at= tiles being made (at most a quarter of the pool).\n"
						"# TYPE tailings_history_tiles_running gauge\ntailings_history_tiles_running %d\n"
						"# TYPE tailings_history_tiles_waiting gauge\ntailings_history_tiles_waiting %d\n"
						"# HELP tailings_history_tiles_refused_total ?at= tiles answered 503: too many waiting.\n"
						"# TYPE tailings_history_tiles_refused_total counter\ntailings_history_tiles_refused_total %lld\n"
						"# HELP tailings_changes_apply_seconds Time spent dropping the tiles of confirmed changes and telling viewers.\n"
						"# TYPE tailings_changes_apply_seconds summary\n"
						"tailings_changes_apply_seconds_sum %.6f\ntailings_changes_apply_seconds_count %lld\n",
						d.timeouts, ch.applied, ch.refused, ch.pings_sent, ch.pings_heard, ch.trusted,
						s->history_running, s->history_waiting, s->m.history_refused,
						s->m.changes_seconds, s->m.changes_batches);
}

/* who requests were for: tokens known, resolved by the database, refused (401), not resolvable (500, 503) */
static void
metrics_auth(Server *s, struct evbuffer *b)
{
	AuthStats	a;
	ConnStats	cs;

	auth_stats(s->auth, &a);
	conn_stats(s->conns, &cs);
	evbuffer_add_printf(b, "# HELP tailings_auth_total Requests run as a role, by how the role was found.\n"
						"# TYPE tailings_auth_total counter\n"
						"tailings_auth_total{result=\"cached\"} %lld\ntailings_auth_total{result=\"resolved\"} %lld\n"
						"tailings_auth_total{result=\"refused\"} %lld\ntailings_auth_total{result=\"failed\"} %lld\n"
						"# TYPE tailings_auth_resolutions gauge\ntailings_auth_resolutions %d\n"
						"# HELP tailings_bodies_refused_total Connections closed with 413: a body over --max-body-mb.\n"
						"# TYPE tailings_bodies_refused_total counter\ntailings_bodies_refused_total %lld\n",
						a.cached, a.resolved, a.refused, a.failed, a.entries, cs.bodies_refused);
}

/* the standbys (--db-replica): state, lag and reads, each labelled replica="N" (1: the first given) */
static void
metrics_replicas(Server *s, struct evbuffer *b)
{
	int			n = replica_count(s->replicas);
	static const struct
	{
		const char *name,
				   *type,
				   *help;
	}			m[] = {
		{"tailings_replica_up", "gauge", "1 while the standby is in rotation for reads."},
		{"tailings_replica_state", "gauge", "The standby's state: up, down (unreachable, not a standby) or lagging (out of rotation)."},
		{"tailings_replica_lag_bytes", "gauge", "WAL the primary has written that the standby has not replayed."},
		{"tailings_replica_lag_seconds", "gauge", "Since the primary first wrote WAL the standby has not replayed."},
		{"tailings_replica_reads_total", "counter", "Reads (tiles, the API) the standby answered."},
		{"tailings_replica_retried_total", "counter", "Reads the standby could not answer (behind, failed, a recovery conflict): the primary did."},
	};

	if (n == 0)
		return;
	evbuffer_add_printf(b, "# HELP tailings_primary_reads_total Reads the primary answered (no standby had replayed the newest change, or one failed).\n"
						"# TYPE tailings_primary_reads_total counter\ntailings_primary_reads_total %lld\n",
						replica_primary_reads(s->replicas));
	for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
	{
		evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m[k].name, m[k].help, m[k].name, m[k].type);
		for (int i = 0; i < n; i++)
		{
			ReplicaStats st;

			replica_stats(s->replicas, i, &st);
			switch (k)
			{
				case 0:
					evbuffer_add_printf(b, "%s{replica=\"%d\"} %d\n", m[k].name, i + 1, st.state == REPLICA_UP);
					break;
				case 1:
					for (int v = REPLICA_DOWN; v <= REPLICA_LAGGING; v++)
						evbuffer_add_printf(b, "%s{replica=\"%d\",state=\"%s\"} %d\n", m[k].name, i + 1,
											replica_state_name((ReplicaState) v), (int) st.state == v);
					break;
				case 2:
					evbuffer_add_printf(b, "%s{replica=\"%d\"} %llu\n", m[k].name, i + 1, (unsigned long long) st.lag_bytes);
					break;
				case 3:
					evbuffer_add_printf(b, "%s{replica=\"%d\"} %.3f\n", m[k].name, i + 1, st.lag_s);
					break;
				case 4:
					evbuffer_add_printf(b, "%s{replica=\"%d\"} %lld\n", m[k].name, i + 1, st.reads);
					break;
				default:
					evbuffer_add_printf(b, "%s{replica=\"%d\"} %lld\n", m[k].name, i + 1, st.retried);
			}
		}
	}
}

void
metrics_handle(Req *r, const Route *rt)
{
	struct evbuffer *b = http_body(r);

	(void) rt;
	if (b == NULL)
		return;
	metrics_requests(r->s, b);
	metrics_tile_latency(r->s, b);
	metrics_cache_db(r->s, b);
	metrics_changes(r->s, b);
	metrics_connections(r->s, b);
	metrics_auth(r->s, b);
	metrics_replicas(r->s, b);
	http_reply(r, 200, "text/plain; version=0.0.4", b, NULL);
}
