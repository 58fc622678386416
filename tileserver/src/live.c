/*
 * live.c - the live map.  A notification is only a hint: changes.c confirms
 * it from the change log; a confirmed batch drops the cached tiles it touches
 * (one box per pond) and is told to the viewers of /events.  When changes
 * may have been missed, every current tile is dropped and viewers resync.
 *
 * A viewer is told only the changes its role sees.  Viewers that see
 * everything (--auth none, readers) are told at once; for the others, the
 * change log is asked once per scope, as a role of that scope, which of the
 * batch's ids it sees (row-level security decides), and those are told to
 * the scope's viewers.  Batches go out one after the other (FANOUT_MAX
 * waiting at most; beyond, the scoped viewers are told to resync), so a
 * scope hears its changes in order; a scope whose query fails resyncs.
 */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "auth.h"
#include "clock.h"
#include "http.h"
#include "metrics.h"
#include "replica.h"
#include "tailings/catalog.h"
#include "tailings/contract.h"
#include "tiles.h"

/* a changed element can change its pond's score: pond tiles this far around are dropped too */
#define POND_MARGIN_DEG 0.05
/* batches waiting to be told to scoped viewers, at most */
#define FANOUT_MAX 64

/* the ids of the batch the scope's role sees */
static const char SQL_VISIBLE[] = "SELECT c.id FROM tailings.change_log c WHERE c.id = ANY ($1::bigint[])";

/* a confirmed batch on its way to the viewers that see only their scope */
struct Fanout
{
	Server	   *s;
	int			n;
	long long  *log_ids;		/* change_log ids */
	long long  *event_ids;		/* the ids their events were sent under */
	char	  **json;
	char	   *id_list;		/* {1,2,3}: the query's parameter */
	int			pending;		/* scopes not answered yet */
	struct Fanout *next;
};

/* one scope's question about a batch */
typedef struct ScopeCheck
{
	Fanout	   *f;
	char		scope[EVENTS_SCOPE_MAX];
} ScopeCheck;

void
live_events(Req *r, const Route *rt)
{
	Server	   *s = r->s;
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);

	(void) rt;
	if (s->shutting_down || !events_has_room_for(s->events, r->evcon))
	{
		http_error(r, 503, "too many open change streams");
		return;
	}
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	if (evhttp_request_get_command(r->req) == EVHTTP_REQ_HEAD)
	{
		http_reply(r, 200, "text/event-stream", NULL, NULL);
		return;
	}
	http_common_headers(r, "text/event-stream");
	if (events_add(s->events, r->req, r->who.scope, r->who.role) != 0)
	{
		evhttp_clear_headers(h);
		http_error(r, 500, "out of memory");
		return;
	}
	metrics_count(r, 200, 0);
	http_access_log(r, 200, 0, http_seconds(r), "stream");
	http_req_free(r);
}


static void
scope_resync(const char *scope, const char *role, void *arg)
{
	Server	   *s = arg;

	(void) role;
	events_send(s->events, events_new_id(s->events), "resync", "{}", scope);
}

static void
on_change(const char *payload, void *arg)
{
	Server	   *s = arg;

	/* only a hint: the change is read from the log before anything is done */
	changes_notify(s->changes, payload);
}

/*
 * Changes confirmed by the log, a batch at a time.  The tiles are dropped by
 * one box per pond (the union of its changes' areas: a 1,000-row UPDATE over
 * 40 ponds is 40 invalidations, not 1,000), then the viewers are told of each
 * change: a viewer that refetches at once gets the new tiles.
 */
static void
fanout_free(Fanout *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->json[i]);
	free(f->json);
	free(f->log_ids);
	free(f->event_ids);
	free(f->id_list);
	free(f);
}

static void fanout_next(Server *s);

/* the scope's answer: the changes it sees go to its viewers; on an error they resync */
static void
scope_checked(PGresult *res, int unavailable, void *arg)
{
	ScopeCheck *sc = arg;
	Fanout	   *f = sc->f;
	Server	   *s = f->s;

	if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		if (res && PQresultStatus(res) != PGRES_TUPLES_OK)
			fprintf(stderr, "tailings-tileserver: the changes a scope sees: %s", PQresultErrorMessage(res));
		events_send(s->events, events_new_id(s->events), "resync", "{}", sc->scope);
	}
	else
		for (int row = 0; row < PQntuples(res); row++)
		{
			long long	id = atoll(PQgetvalue(res, row, 0));

			for (int i = 0; i < f->n; i++)
				if (f->log_ids[i] == id)
					events_send(s->events, f->event_ids[i], "change", f->json[i], sc->scope);
		}
	if (res)
		PQclear(res);
	free(sc);
	if (--f->pending == 0)
	{
		s->fanouts = f->next;
		s->nfanouts--;
		fanout_free(f);
		fanout_next(s);
	}
}

/* ask for one scope of the batch at the head */
static void
scope_ask(const char *scope, const char *role, void *arg)
{
	Fanout	   *f = arg;
	ScopeCheck *sc = calloc(1, sizeof(ScopeCheck));
	const char *params[1] = {f->id_list};

	if (sc != NULL)
	{
		sc->f = f;
		snprintf(sc->scope, sizeof sc->scope, "%s", scope);
		if (db_query_as(f->s->db, role[0] ? role : NULL, 0, SQL_VISIBLE, 1, params, 0, scope_checked, sc) == 0)
		{
			f->pending++;
			return;
		}
		free(sc);
	}
	events_send(f->s->events, events_new_id(f->s->events), "resync", "{}", scope);
}

/* the batch at the head of the queue goes to its scopes; batches no scope waits for are done at once */
static void
fanout_next(Server *s)
{
	while (s->fanouts && !s->freeing)
	{
		Fanout	   *f = s->fanouts;

		/* a guard while the questions are sent: an answer cannot finish it under us */
		f->pending = 1;
		events_each_scope(s->events, scope_ask, f);
		if (--f->pending > 0)
			return;
		s->fanouts = f->next;
		s->nfanouts--;
		fanout_free(f);
	}
}

/* a confirmed batch: at once to the viewers that see everything, queued for the others */
static void
fanout_start(Server *s, const Change *changes, int n)
{
	Fanout	   *f = NULL;
	size_t		cap = (size_t) n * 21 + 3,
				used = 0;
	int			scoped = events_each_scope(s->events, NULL, NULL) > 0;

	if (scoped && s->nfanouts < FANOUT_MAX && (f = calloc(1, sizeof(Fanout))) != NULL &&
		((f->log_ids = calloc((size_t) n, sizeof(long long))) == NULL ||
		 (f->event_ids = calloc((size_t) n, sizeof(long long))) == NULL ||
		 (f->json = calloc((size_t) n, sizeof(char *))) == NULL || (f->id_list = malloc(cap)) == NULL))
	{
		fanout_free(f);
		f = NULL;
	}
	for (int i = 0; i < n; i++)
	{
		long long	id = events_new_id(s->events);

		events_send(s->events, id, "change", changes[i].json, EVENTS_SEES_ALL);
		if (f == NULL)
			continue;
		f->log_ids[f->n] = changes[i].id;
		f->event_ids[f->n] = id;
		if ((f->json[f->n] = strdup(changes[i].json)) != NULL)
			f->n++;
	}
	if (f == NULL)
	{
		/* no room to tell them change by change: the scoped viewers reload */
		if (scoped)
			events_each_scope(s->events, scope_resync, s);
		return;
	}
	used += (size_t) snprintf(f->id_list, cap, "{");
	for (int i = 0; i < f->n; i++)
		used += (size_t) snprintf(f->id_list + used, cap - used, "%s%lld", i ? "," : "", f->log_ids[i]);
	snprintf(f->id_list + used, cap - used, "}");
	f->s = s;
	if (s->fanouts == NULL)
		s->fanouts = f;
	else
	{
		Fanout	   *t = s->fanouts;

		while (t->next)
			t = t->next;
		t->next = f;
	}
	s->nfanouts++;
	if (s->fanouts == f)
		fanout_next(s);
}

void
live_free(Server *s)
{
	while (s->fanouts)
	{
		Fanout	   *f = s->fanouts;

		s->fanouts = f->next;
		fanout_free(f);
	}
	s->nfanouts = 0;
}

static int
change_pond_cmp(const void *a, const void *b)
{
	const Change *x = *(const Change *const *) a,
			   *y = *(const Change *const *) b;

	return (x->pond_id > y->pond_id) - (x->pond_id < y->pond_id);
}

static void
invalidate_box(Server *s, const Box *box)
{
	if (box)
	{
		/* the changed area's tiles; and, as the pond's score may change, its pond tiles nearby */
		cache_invalidate(s->cache, *box, LAYER_PONDS, POND_MARGIN_DEG);
		tiles_touched(s, box, LAYER_PONDS, POND_MARGIN_DEG);
	}
	else
	{
		/* no area (a template rule changed): every pond's score may change */
		cache_invalidate_layers(s->cache, LAYER_PONDS);
		tiles_touched(s, NULL, LAYER_PONDS, 0);
	}
}

/* the groundwater layer's bit (route.h: bit i + 1 for the category at catalog position i) */
static unsigned
groundwater_layer(void)
{
	for (int i = 0; i < TL_N_CATEGORIES; i++)
		if (strcmp(tl_categories()[i].code, TL_GROUNDWATER_LAYER) == 0)
			return 1u << (i + 1);
	return 0;
}

/* the groundwater limits changed: every well's state may change, wherever it is */
static void
invalidate_wells(Server *s)
{
	cache_invalidate_layers(s->cache, groundwater_layer());
	tiles_touched(s, NULL, groundwater_layer(), 0);
}

static void
on_changes_confirmed(const Change *changes, int n, void *arg)
{
	Server	   *s = arg;
	const Change **order = malloc(sizeof(Change *) * (size_t) n);
	int			no_area = 0,
				limits = 0;
	double		t0 = clock_mono_s();
	uint64_t	lsn = 0;

	/*
	 * Reads from now on need a standby that has replayed these changes: the
	 * tiles dropped below are made anew from one that has (or the primary).
	 */
	for (int i = 0; i < n; i++)
		if (changes[i].lsn > lsn)
			lsn = changes[i].lsn;
	replica_changed(s->replicas, lsn);
	if (order == NULL)
	{
		/* no room to merge: each on its own */
		for (int i = 0; i < n; i++)
		{
			invalidate_box(s, changes[i].has_bbox ? &changes[i].bbox : NULL);
			if (changes[i].limits)
				invalidate_wells(s);
		}
	}
	else
	{
		for (int i = 0; i < n; i++)
			order[i] = &changes[i];
		qsort(order, (size_t) n, sizeof(Change *), change_pond_cmp);
		for (int i = 0; i < n;)
		{
			Box			u;
			int			j = i;

			if (!order[i]->has_bbox)
			{
				no_area = 1;
				limits |= order[i]->limits;
				i++;
				continue;
			}
			u = order[i]->bbox;
			/* a pond's changes in one box; changes of no pond each alone */
			while (++j < n && order[i]->pond_id != 0 && order[j]->pond_id == order[i]->pond_id &&
				   order[j]->has_bbox)
			{
				u.xmin = u.xmin < order[j]->bbox.xmin ? u.xmin : order[j]->bbox.xmin;
				u.ymin = u.ymin < order[j]->bbox.ymin ? u.ymin : order[j]->bbox.ymin;
				u.xmax = u.xmax > order[j]->bbox.xmax ? u.xmax : order[j]->bbox.xmax;
				u.ymax = u.ymax > order[j]->bbox.ymax ? u.ymax : order[j]->bbox.ymax;
			}
			invalidate_box(s, &u);
			i = j;
		}
		if (no_area)
			invalidate_box(s, NULL);
		if (limits)
			invalidate_wells(s);
		free(order);
	}
	fanout_start(s, changes, n);
	s->m.changes_seconds += clock_mono_s() - t0;
	s->m.changes_batches++;
}

/* changes may have been missed: nothing current that is cached or on its way can be trusted */
static void
on_changes_reset(void *arg)
{
	Server	   *s = arg;

	replica_reset(s->replicas);
	cache_invalidate_layers(s->cache, route_all_layers());
	tiles_touched(s, NULL, route_all_layers(), 0);
	events_broadcast(s->events, "resync", "{}");
}

static void
on_listen_resync(const char *xmin, void *arg)
{
	Server	   *s = arg;

	changes_listening(s->changes, xmin);
	on_changes_reset(s);
}

int
live_listen(Server *s)
{
	s->changes = changes_create(s->base, s->db, TL_CHANGES_CHANNEL, on_changes_confirmed, on_changes_reset, s);
	if (s->changes == NULL)
		return -1;
	db_listen(s->db, TL_CHANGES_CHANNEL, on_change, on_listen_resync, s);
	return 0;
}
