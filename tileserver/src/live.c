/*
 * live.c - the live map.  A notification is only a hint: changes.c confirms
 * it from the change log; a confirmed batch drops the cached tiles it touches
 * (one box per pond) and is told to every viewer of /events.  When changes
 * may have been missed, every current tile is dropped and viewers resync.
 */
#include "live.h"

#include <stdlib.h>

#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "http.h"
#include "metrics.h"
#include "tailings/contract.h"
#include "tiles.h"

/* a changed element can change its pond's score: pond tiles this far around are dropped too */
#define POND_MARGIN_DEG 0.05

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
	if (events_add(s->events, r->req) != 0)
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

static void
on_changes_confirmed(const Change *changes, int n, void *arg)
{
	Server	   *s = arg;
	const Change **order = malloc(sizeof(Change *) * (size_t) n);
	int			no_area = 0;
	double		t0 = clock_mono_s();

	if (order == NULL)
	{
		/* no room to merge: each on its own */
		for (int i = 0; i < n; i++)
			invalidate_box(s, changes[i].has_bbox ? &changes[i].bbox : NULL);
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
		free(order);
	}
	for (int i = 0; i < n; i++)
		events_broadcast(s->events, "change", changes[i].json);
	s->m.changes_seconds += clock_mono_s() - t0;
	s->m.changes_batches++;
}

/* changes may have been missed: nothing current that is cached or on its way can be trusted */
static void
on_changes_reset(void *arg)
{
	Server	   *s = arg;

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
