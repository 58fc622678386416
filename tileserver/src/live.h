/*
 * live.h - the live map: the change stream to viewers (/events), and the
 * change notifications from the database that drop cached tiles and feed it.
 */
#ifndef TAILINGS_LIVE_H
#define TAILINGS_LIVE_H

#include "srv.h"

/* GET /events: the request is handed to events.c, which keeps it */
void		live_events(Req *r, const Route *rt);
/* listen for changes on the database (s->changes made here); 0, or -1 out of memory */
int			live_listen(Server *s);
/* forget the batches waiting for scoped viewers (server_free, after the database answered) */
void		live_free(Server *s);

#endif
