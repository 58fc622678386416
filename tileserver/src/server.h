/*
 * server.h - the HTTP side of tailings-tileserver.
 */
#ifndef TAILINGS_SERVER_H
#define TAILINGS_SERVER_H

#include <event2/event.h>

#include "conf.h"

typedef struct Server Server;

/* Bind, connect to the database, and get ready; NULL (message on stderr) on failure. */
Server	   *server_create(struct event_base *base, const Conf *conf);
/* Stop accepting, finish what is in flight, then leave the event loop. */
void		server_shutdown(Server *s);
void		server_free(Server *s);

#endif
