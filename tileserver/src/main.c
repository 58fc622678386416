/*
 * tailings-tileserver: vector tiles, TileJSON, style, JSON API and the web
 * viewer of Tailings One-Map, from a PostgreSQL database with the tailings
 * extension.  One event loop (libevent) serves HTTP and drives an
 * asynchronous libpq pool and a LISTEN connection.
 *
 * Exit status: 0 after a clean shutdown (SIGTERM, SIGINT), 1 on a start-up
 * failure, 2 on invalid configuration.
 *
 * `tailings-tileserver export ...` makes a PMTiles archive of an area
 * instead (export.c).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "conf.h"
#include "export.h"
#include "server.h"

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void) what;
	fprintf(stderr, "tailings-tileserver: %s, finishing requests in flight\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
	server_shutdown(arg);
}

int
main(int argc, char **argv)
{
	Conf		conf;
	char		err[512] = "";
	struct event_base *base = NULL;
	struct event *sigterm = NULL,
			   *sigint = NULL;
	Server	   *server = NULL;
	int			rc;

	/* tailings-tileserver export ...: an area's map as a PMTiles archive (export.c) */
	if (argc > 1 && strcmp(argv[1], "export") == 0)
		return export_main(argc - 1, argv + 1);
	rc = conf_load(&conf, argc, argv, err, sizeof err, stdout);
	if (rc == 1)
	{
		conf_free(&conf);
		return 0;
	}
	if (rc != 0)
	{
		fprintf(stderr, "tailings-tileserver: %s\n", err);
		conf_free(&conf);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* epoll change lists: fewer system calls per request */
	{
		struct event_config *cfg = event_config_new();

		if (cfg)
		{
			event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
			base = event_base_new_with_config(cfg);
			event_config_free(cfg);
		}
	}
	if (base == NULL)
		base = event_base_new();
	if (base == NULL)
	{
		fprintf(stderr, "tailings-tileserver: cannot create the event loop\n");
		rc = 1;
		goto done;
	}
	server = server_create(base, &conf);
	if (server == NULL)
	{
		rc = 1;
		goto done;
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, server);
	sigint = evsignal_new(base, SIGINT, on_signal, server);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	fprintf(stderr, "tailings-tileserver: listening on http://%s:%d/ (pool %d, cache %d MiB)\n",
			conf.listen_host, conf.listen_port, conf.pool, conf.cache_mb);
	event_base_dispatch(base);
	fprintf(stderr, "tailings-tileserver: stopped\n");
	rc = 0;
done:
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	server_free(server);
	if (base)
		event_base_free(base);
	conf_free(&conf);
	return rc;
}
