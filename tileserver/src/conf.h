/*
 * conf.h - configuration of tailings-tileserver: flags, environment, file.
 */
#ifndef TAILINGS_CONF_H
#define TAILINGS_CONF_H

#include <stddef.h>

/* hot standbys read from (--db-replica), at most this many */
#define CONF_MAX_REPLICAS 16

/* base maps drawn under the map (--basemap), at most this many */
#define CONF_MAX_BASEMAPS 8

typedef struct ConfBasemap
{
	char	   *url;			/* raster: XYZ templates joined by '|' (drawn bottom to top); style: a URL */
	char	   *name;			/* for the viewer's switcher; NULL: from the URL's host */
	char	   *attribution;	/* NULL: none */
	int			raster;			/* 1: XYZ raster tiles, 0: a MapLibre style */
} ConfBasemap;

typedef struct Conf
{
	char	   *db;				/* libpq connection string or URL */
	char	  **replicas;		/* hot standbys of it (--db-replica), connection strings or URLs */
	int			nreplicas;
	int			replica_max_lag_s;	/* a standby further behind is out of rotation */
	char	   *listen_host;
	int			listen_port;
	int			pool;			/* database connections for requests */
	int			cache_mb;		/* 0 disables the cache */
	char	   *www;			/* static files; NULL: none */
	char	   *fonts;			/* glyph ranges, a directory per fontstack (never NULL after conf_load) */
	char	   *cors_origin;
	int			statement_timeout_ms;
	int			queue;			/* requests waiting for a connection, at most */
	int			timeout_s;		/* idle and request timeout */
	int			max_age_s;		/* Cache-Control max-age of current tiles */
	int			s_maxage_s;		/* ... and s-maxage, for shared caches (nginx) in front; 0: none */
	int			max_streams;	/* open /events streams at most */
	int			access_log;		/* 1: a line per request on stdout */
	int			header_timeout_s;	/* a request's head (and body) must arrive within this */
	int			max_conns;		/* open connections at most; 0: from the descriptor limit */
	int			max_conns_per_ip;	/* from one client address; 0: no cap */
	int			max_streams_per_ip; /* change streams from one client address; 0: no cap */
	char	   *public_url;		/* scheme://host[:port][/prefix] of absolute URLs; NULL: from Host */
	char	  **server_names;	/* Host names accepted besides the listen address */
	int			nserver_names;
	ConfBasemap basemaps[CONF_MAX_BASEMAPS];
	int			nbasemaps;
	int			auth;			/* CONF_AUTH_NONE or CONF_AUTH_TOKEN */
	char	   *anonymous_role; /* --auth token: requests without a token run as it; NULL: 401 */
	int			max_body_mb;	/* a request body's size at most, in MiB */
	char	   *config_file;
} Conf;

/* --auth: none (everything as the --db role, read-only) or token (Authorization: Bearer) */
#define CONF_AUTH_NONE 0
#define CONF_AUTH_TOKEN 1

/*
 * Fill conf from, in order of precedence: the command line, the environment
 * (DATABASE_URL, TAILINGS_*), the config file (--config or TAILINGS_CONFIG),
 * and defaults.  Returns 0 on success; 1 when --help was given (usage printed
 * to out); 2 on an invalid value, with a one-line message in err[].
 */
int			conf_load(Conf *conf, int argc, char **argv, char *err, size_t errlen, void *out);
void		conf_free(Conf *conf);
/* drop every base map (the environment's or the file's list is replaced by the flags') */
void		conf_clear_basemaps(Conf *conf);
void		conf_usage(void *out);

/* fonts/ beside the executable (the default of --fonts); malloc'd, NULL when out of memory */
char	   *conf_default_fonts(void);

/* Parse "HOST:PORT" (or ":PORT", "[v6]:PORT"); 0 on success. */
int			conf_parse_listen(const char *s, char **host, int *port);

/* 0 when url can be --public-url: http(s)://host[:port][/path], no quotes, spaces or queries */
int			conf_check_public_url(const char *url);
/*
 * Check a --basemap value.  Returns 1 for XYZ raster templates (one or more,
 * joined by '|', each http(s) with {z}, {x} and {y}), 0 for a MapLibre style
 * URL (http(s), no {z}), -1 when invalid with the reason in err[].
 */
int			conf_check_basemap(const char *url, char *err, size_t errlen);

/* 0 when name can be --anonymous-role: 1 to 63 bytes, no control characters */
int			conf_check_role_name(const char *name);

/* 0 when name can be a --server-name (letters, digits, . - _ : [ ]) */
int			conf_check_host_name(const char *name);

#endif
