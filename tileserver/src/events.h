/*
 * events.h - the change stream: server-sent events (text/event-stream) to
 * every open viewer, fed by the database's change notifications.
 */
#ifndef TAILINGS_EVENTS_H
#define TAILINGS_EVENTS_H

#include <event2/event.h>
#include <event2/http.h>

typedef struct Events Events;

/* a client's scope (auth.c's Principal.scope), at most this long */
#define EVENTS_SCOPE_MAX 160
/* the scope of events_send() that means: the clients that see every change */
#define EVENTS_SEES_ALL ((const char *) "*")
/* a scope of clients, and the role of one of them */
typedef void (*EventsScopeCb) (const char *scope, const char *role, void *arg);

typedef struct EventsStats
{
	int			clients;
	long long	sent;			/* events written, summed over clients */
	long long	dropped;		/* clients closed because they could not keep up */
	long long	refused_per_ip; /* streams refused: their address had max_per_ip open */
} EventsStats;

/* heartbeat_s: a comment line is sent this often so proxies and dead peers are noticed */
Events	   *events_create(struct event_base *base, int max_clients, int heartbeat_s);
/* ends every stream (the clients reconnect elsewhere or later) */
void		events_close_all(Events *ev);
void		events_free(Events *ev);

/* 1 when another client can be taken */
int			events_has_room(const Events *ev);
/* streams from one client address at most; 0: no cap */
void		events_set_max_per_ip(Events *ev, int max_per_ip);
/* 1 when another client can be taken from evcon's address (a refusal is counted and logged) */
int			events_has_room_for(Events *ev, struct evhttp_connection *evcon);

/*
 * Start the stream on req (headers already set by the caller) and keep it
 * until the client goes or events_close_all().  scope and role are its
 * request's ("" or "*": it sees every change).  Returns 0, or -1 when out of
 * memory (nothing was sent: the caller replies).
 */
int			events_add(Events *ev, struct evhttp_request *req, const char *scope, const char *role);

/* send "event: {name}" with data (one line of JSON) to every client, under a new id */
void		events_broadcast(Events *ev, const char *name, const char *data);
/* the next event id */
long long	events_new_id(Events *ev);
/* send an event of that id to the clients of scope: EVENTS_SEES_ALL, a scope, or NULL (every client) */
void		events_send(Events *ev, long long id, const char *name, const char *data, const char *scope);
/* cb for each scope of clients that do not see everything (once a scope); returns how many */
int			events_each_scope(Events *ev, EventsScopeCb cb, void *arg);

void		events_stats(const Events *ev, EventsStats *out);

#endif
