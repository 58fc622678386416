/*
 * conf.c - configuration of tailings-tileserver.
 *
 * Every setting has a flag, an environment variable and a config-file key:
 *   --db URL            DATABASE_URL                  db
 *   --db-replica URL    TAILINGS_DB_REPLICA           db-replica    (repeatable, up to 16; the
 *                            environment variable takes several separated by ';', the file
 *                            several lines)
 *   --replica-max-lag-s N    TAILINGS_REPLICA_MAX_LAG_S    replica-max-lag-s
 *   --listen HOST:PORT  TAILINGS_LISTEN               listen
 *   --pool N            TAILINGS_POOL                 pool
 *   --cache-mb N        TAILINGS_CACHE_MB             cache-mb
 *   --www DIR           TAILINGS_WWW                  www
 *   --fonts DIR         TAILINGS_FONTS                fonts
 *   --cors-origin O     TAILINGS_CORS_ORIGIN          cors-origin
 *   --statement-timeout-ms N  TAILINGS_STATEMENT_TIMEOUT_MS  statement-timeout-ms
 *   --queue N           TAILINGS_QUEUE                queue
 *   --timeout-s N       TAILINGS_TIMEOUT_S            timeout-s
 *   --max-age-s N       TAILINGS_MAX_AGE_S            max-age-s
 *   --s-maxage-s N      TAILINGS_S_MAXAGE_S           s-maxage-s
 *   --access-log on|off TAILINGS_ACCESS_LOG           access-log
 *   --header-timeout-s N     TAILINGS_HEADER_TIMEOUT_S     header-timeout-s
 *   --max-conns N            TAILINGS_MAX_CONNS            max-conns
 *   --max-conns-per-ip N     TAILINGS_MAX_CONNS_PER_IP     max-conns-per-ip
 *   --max-streams-per-ip N   TAILINGS_MAX_STREAMS_PER_IP   max-streams-per-ip
 *   --public-url URL         TAILINGS_PUBLIC_URL           public-url
 *   --server-name NAME       TAILINGS_SERVER_NAME          server-name   (repeatable; the
 *                            environment variable takes names separated by commas or spaces)
 *   --basemap URL            TAILINGS_BASEMAP              basemap       (repeatable, up to 8)
 *   --basemap-name TEXT      TAILINGS_BASEMAP_NAME         basemap-name
 *   --basemap-attribution TEXT  TAILINGS_BASEMAP_ATTRIBUTION  basemap-attribution
 *                            (name and attribution apply to the base map given just before
 *                            them; the environment holds one base map)
 *   --auth none|token        TAILINGS_AUTH                 auth
 *   --anonymous-role ROLE    TAILINGS_ANONYMOUS_ROLE       anonymous-role
 *   --max-body-mb N          TAILINGS_MAX_BODY_MB          max-body-mb
 *   --config FILE       TAILINGS_CONFIG
 * The config file holds "key = value" lines; # starts a comment.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum
{
	OPT_STRING,
	OPT_INT,
	OPT_BOOL,
	OPT_LISTEN,
	OPT_URL,
	OPT_NAMES,
	OPT_REPLICA,				/* appends hot standbys */
	OPT_AUTH,					/* none or token */
	OPT_ROLE,					/* a role name */
	OPT_BASEMAP,				/* appends a base map */
	OPT_BASEMAP_NAME,			/* these two set a field of the last base map */
	OPT_BASEMAP_ATTRIBUTION
} OptType;

#define IS_BASEMAP_OPT(t) ((t) == OPT_BASEMAP || (t) == OPT_BASEMAP_NAME || (t) == OPT_BASEMAP_ATTRIBUTION)

typedef struct Option
{
	const char *name;			/* flag without dashes, and config-file key */
	const char *env;
	OptType		type;
	size_t		offset;
	long		min,
				max;
	const char *help;
} Option;

#define OFF(f) offsetof(Conf, f)

static const Option options[] = {
	{"db", "DATABASE_URL", OPT_STRING, OFF(db), 0, 0, "database connection string or URL (default: $DATABASE_URL)"},
	{"db-replica", "TAILINGS_DB_REPLICA", OPT_REPLICA, 0, 0, 0,
	 "a hot standby of --db (streaming replication), repeatable: tiles and the API's reads\n"
	 "                           go to standbys that have replayed the newest change known,\n"
	 "                           the change listener and writes stay on --db (env: several\n"
	 "                           separated by ';'; default: none)"},
	{"replica-max-lag-s", "TAILINGS_REPLICA_MAX_LAG_S", OPT_INT, OFF(replica_max_lag_s), 1, 86400,
	 "a standby further behind the primary is out of rotation until it catches up (default 30)"},
	{"listen", "TAILINGS_LISTEN", OPT_LISTEN, 0, 0, 0, "address to listen on (default 127.0.0.1:7800)"},
	{"pool", "TAILINGS_POOL", OPT_INT, OFF(pool), 1, 256, "database connections for requests (default 8)"},
	{"cache-mb", "TAILINGS_CACHE_MB", OPT_INT, OFF(cache_mb), 0, 1048576, "tile cache size in MiB, 0 disables it (default 256)"},
	{"www", "TAILINGS_WWW", OPT_STRING, OFF(www), 0, 0, "directory of static files served at / (default: none)"},
	{"fonts", "TAILINGS_FONTS", OPT_STRING, OFF(fonts), 0, 0,
	 "glyph ranges served at /fonts/, a directory per fontstack (default: fonts/ beside\n"
	 "                           the executable, where make puts them: tileserver/build/fonts)"},
	{"cors-origin", "TAILINGS_CORS_ORIGIN", OPT_STRING, OFF(cors_origin), 0, 0, "Access-Control-Allow-Origin (default *)"},
	{"statement-timeout-ms", "TAILINGS_STATEMENT_TIMEOUT_MS", OPT_INT, OFF(statement_timeout_ms), 1, 3600000,
	 "database statement timeout (default 10000)"},
	{"queue", "TAILINGS_QUEUE", OPT_INT, OFF(queue), 0, 1000000, "requests that may wait for a connection (default 1024)"},
	{"timeout-s", "TAILINGS_TIMEOUT_S", OPT_INT, OFF(timeout_s), 1, 3600, "idle and request timeout in seconds (default 30)"},
	{"max-age-s", "TAILINGS_MAX_AGE_S", OPT_INT, OFF(max_age_s), 0, 31536000,
	 "Cache-Control max-age of current tiles (default 0: revalidate)"},
	{"s-maxage-s", "TAILINGS_S_MAXAGE_S", OPT_INT, OFF(s_maxage_s), 0, 31536000,
	 "Cache-Control s-maxage of current tiles, for a shared cache in front (default 0: none)"},
	{"max-streams", "TAILINGS_MAX_STREAMS", OPT_INT, OFF(max_streams), 0, 100000,
	 "open change streams (/events) at most, 0 turns them off (default 256)"},
	{"access-log", "TAILINGS_ACCESS_LOG", OPT_BOOL, OFF(access_log), 0, 1, "a line per request on stdout: on|off (default on)"},
	{"header-timeout-s", "TAILINGS_HEADER_TIMEOUT_S", OPT_INT, OFF(header_timeout_s), 1, 3600,
	 "a request's head (and body) must arrive within this many seconds of the connection\n"
	 "                           or of its first byte, else 408 and close (default 10)"},
	{"max-conns", "TAILINGS_MAX_CONNS", OPT_INT, OFF(max_conns), 0, 1000000,
	 "open connections at most; accepting pauses there (default 0: from the descriptor limit)"},
	{"max-conns-per-ip", "TAILINGS_MAX_CONNS_PER_IP", OPT_INT, OFF(max_conns_per_ip), 0, 1000000,
	 "open connections from one client address, 0: no cap (default 64)"},
	{"max-streams-per-ip", "TAILINGS_MAX_STREAMS_PER_IP", OPT_INT, OFF(max_streams_per_ip), 0, 100000,
	 "open change streams from one client address, 0: no cap (default 8)"},
	{"public-url", "TAILINGS_PUBLIC_URL", OPT_URL, OFF(public_url), 0, 0,
	 "http(s)://host[:port][/path] of the absolute URLs in style.json and TileJSON;\n"
	 "                           the Host header is then not checked (default: none)"},
	{"server-name", "TAILINGS_SERVER_NAME", OPT_NAMES, 0, 0, 0,
	 "a Host name accepted besides the listen address; repeatable (env: a list)"},
	{"auth", "TAILINGS_AUTH", OPT_AUTH, OFF(auth), 0, 0,
	 "none: every request reads as the --db role; token: a request's Authorization:\n"
	 "                           Bearer TOKEN names the member it runs as (default none)"},
	{"anonymous-role", "TAILINGS_ANONYMOUS_ROLE", OPT_ROLE, OFF(anonymous_role), 0, 0,
	 "with --auth token, requests without a token run as this role (default: none, 401)"},
	{"max-body-mb", "TAILINGS_MAX_BODY_MB", OPT_INT, OFF(max_body_mb), 1, 1024,
	 "a request body's size at most in MiB; larger ones are answered 413 (default 10)"},
	{"basemap", "TAILINGS_BASEMAP", OPT_BASEMAP, 0, 0, 0,
	 "a base map drawn under the map, repeatable (up to 8; the first is shown, the viewer\n"
	 "                           switches): an XYZ raster template with {z}, {x} and {y}\n"
	 "                           (several joined by | are one base map drawn bottom to top,\n"
	 "                           e.g. roads|labels), or a MapLibre style URL (default: none)"},
	{"basemap-name", "TAILINGS_BASEMAP_NAME", OPT_BASEMAP_NAME, 0, 0, 0,
	 "the name of the base map given just before it, for the switcher (default: its host)"},
	{"basemap-attribution", "TAILINGS_BASEMAP_ATTRIBUTION", OPT_BASEMAP_ATTRIBUTION, 0, 0, 0,
	 "the attribution of the base map given just before it (default: none)"},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

void
conf_usage(void *out)
{
	FILE	   *f = out;

	fputs("usage: tailings-tileserver [options]\n"
		  "       tailings-tileserver export --help    (an area's map as a PMTiles archive, for use offline)\n"
		  "Serves the Tailings One-Map: vector tiles, TileJSON, style, JSON API and viewer.\n\n",
		  f);
	for (size_t i = 0; i < NOPTIONS; i++)
		fprintf(f, "  --%-22s %s\n                           env %s, config key %s\n",
				options[i].name, options[i].help, options[i].env, options[i].name);
	fputs("  --config FILE            settings as \"key = value\" lines (env TAILINGS_CONFIG)\n"
		  "  --help                   this text\n\n"
		  "Precedence: flags, then environment, then the config file, then defaults.\n"
		  "An invalid value is a one-line message and exit status 2.\n",
		  f);
}

static void
conf_clear_names(Conf *conf)
{
	for (int i = 0; i < conf->nserver_names; i++)
		free(conf->server_names[i]);
	free(conf->server_names);
	conf->server_names = NULL;
	conf->nserver_names = 0;
}

static void
conf_clear_replicas(Conf *conf)
{
	for (int i = 0; i < conf->nreplicas; i++)
		free(conf->replicas[i]);
	free(conf->replicas);
	conf->replicas = NULL;
	conf->nreplicas = 0;
}

/* append the standbys of value (one, or several separated by ';' from the environment) */
static int
conf_add_replicas(Conf *conf, const char *value, const char *from, int list, char *err, size_t errlen)
{
	char	   *copy = strdup(value);
	char	   *save = NULL;
	int			rc = 0,
				added = 0;

	if (copy == NULL)
		return -1;
	for (char *tok = list ? strtok_r(copy, ";", &save) : copy; tok; tok = list ? strtok_r(NULL, ";", &save) : NULL)
	{
		char	  **grown;
		size_t		n;

		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (n = strlen(tok); n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'); n--)
			tok[n - 1] = '\0';
		if (*tok == '\0')
			continue;
		if (conf->nreplicas == CONF_MAX_REPLICAS)
		{
			snprintf(err, errlen, "too many standbys for db-replica (%s): at most %d", from, CONF_MAX_REPLICAS);
			rc = -1;
			break;
		}
		grown = realloc(conf->replicas, (size_t) (conf->nreplicas + 1) * sizeof(char *));
		if (grown == NULL)
		{
			rc = -1;
			break;
		}
		conf->replicas = grown;
		if ((grown[conf->nreplicas] = strdup(tok)) == NULL)
		{
			rc = -1;
			break;
		}
		conf->nreplicas++;
		added++;
	}
	if (rc == 0 && added == 0)
	{
		snprintf(err, errlen, "invalid value for db-replica (%s): expected a connection string or URL", from);
		rc = -1;
	}
	free(copy);
	return rc;
}

/* append the names of value (separated by commas or spaces) to --server-name's list */
static int
conf_add_names(Conf *conf, const char *value, const char *from, char *err, size_t errlen)
{
	char	   *copy = strdup(value);
	char	   *save = NULL;
	int			rc = 0;
	int			added = 0;

	if (copy == NULL)
		return -1;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
	{
		char	  **grown;

		if (conf_check_host_name(tok) != 0)
		{
			snprintf(err, errlen, "invalid value \"%s\" for server-name (%s): expected a host name", tok, from);
			rc = -1;
			break;
		}
		grown = realloc(conf->server_names, (size_t) (conf->nserver_names + 1) * sizeof(char *));
		if (grown == NULL || (grown[conf->nserver_names] = strdup(tok)) == NULL)
		{
			if (grown)
				conf->server_names = grown;
			rc = -1;
			break;
		}
		for (char *p = grown[conf->nserver_names]; *p; p++)
			*p = (char) tolower((unsigned char) *p);
		conf->server_names = grown;
		conf->nserver_names++;
		added++;
	}
	if (rc == 0 && added == 0)
	{
		snprintf(err, errlen, "invalid value \"%s\" for server-name (%s): expected a host name", value, from);
		rc = -1;
	}
	free(copy);
	return rc;
}

void
conf_clear_basemaps(Conf *conf)
{
	for (int i = 0; i < conf->nbasemaps; i++)
	{
		free(conf->basemaps[i].url);
		free(conf->basemaps[i].name);
		free(conf->basemaps[i].attribution);
	}
	memset(conf->basemaps, 0, sizeof conf->basemaps);
	conf->nbasemaps = 0;
}

/* --basemap, --basemap-name, --basemap-attribution */
static int
set_basemap(Conf *conf, const Option *o, const char *value, const char *from, char *err, size_t errlen)
{
	char		why[256];
	char	  **slot;

	if (o->type == OPT_BASEMAP)
	{
		int			raster = conf_check_basemap(value, why, sizeof why);

		if (raster < 0)
		{
			snprintf(err, errlen, "invalid value \"%.300s\" for basemap (%s): %s", value, from, why);
			return -1;
		}
		if (conf->nbasemaps == CONF_MAX_BASEMAPS)
		{
			snprintf(err, errlen, "too many base maps (%s): at most %d", from, CONF_MAX_BASEMAPS);
			return -1;
		}
		if ((conf->basemaps[conf->nbasemaps].url = strdup(value)) == NULL)
			return -1;
		conf->basemaps[conf->nbasemaps++].raster = raster;
		return 0;
	}
	if (conf->nbasemaps == 0)
	{
		snprintf(err, errlen, "%s (%s) names no base map: give it after a basemap", o->name, from);
		return -1;
	}
	if (strlen(value) > 500 || *value == '\0')
	{
		snprintf(err, errlen, "invalid value for %s (%s): expected 1 to 500 bytes of text", o->name, from);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
		{
			snprintf(err, errlen, "invalid value for %s (%s): control characters", o->name, from);
			return -1;
		}
	slot = o->type == OPT_BASEMAP_NAME ? &conf->basemaps[conf->nbasemaps - 1].name
		: &conf->basemaps[conf->nbasemaps - 1].attribution;
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : -1;
}

/* --auth and --anonymous-role */
static int
set_auth_option(Conf *conf, const Option *o, const char *value, const char *from, char *err, size_t errlen)
{
	char	   *base = (char *) conf;
	char	  **slot = (char **) (base + o->offset);

	if (o->type == OPT_AUTH)
	{
		if (strcmp(value, "none") != 0 && strcmp(value, "token") != 0)
		{
			snprintf(err, errlen, "invalid value \"%s\" for %s (%s): expected none or token", value, o->name, from);
			return -1;
		}
		*(int *) (base + o->offset) = strcmp(value, "token") == 0 ? CONF_AUTH_TOKEN : CONF_AUTH_NONE;
		return 0;
	}
	if (conf_check_role_name(value) != 0)
	{
		snprintf(err, errlen, "invalid value \"%.100s\" for %s (%s): expected a role name of 1 to 63 bytes",
				 value, o->name, from);
		return -1;
	}
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : -1;
}

static const Option *
find_option(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

/* Set one option from text; 0 on success, else a message in err. */
static int
set_option(Conf *conf, const Option *o, const char *value, const char *from, char *err, size_t errlen)
{
	char	   *base = (char *) conf;

	switch (o->type)
	{
		case OPT_STRING:
			{
				char	  **slot = (char **) (base + o->offset);

				free(*slot);
				*slot = strdup(value);
				return 0;
			}
		case OPT_INT:
			{
				char	   *end;
				long		v;

				errno = 0;
				v = strtol(value, &end, 10);
				if (errno || end == value || *end != '\0' || v < o->min || v > o->max)
				{
					snprintf(err, errlen, "invalid value \"%s\" for %s (%s): expected an integer from %ld to %ld",
							 value, o->name, from, o->min, o->max);
					return -1;
				}
				*(int *) (base + o->offset) = (int) v;
				return 0;
			}
		case OPT_BOOL:
			if (strcmp(value, "on") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
				*(int *) (base + o->offset) = 1;
			else if (strcmp(value, "off") == 0 || strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
				*(int *) (base + o->offset) = 0;
			else
			{
				snprintf(err, errlen, "invalid value \"%s\" for %s (%s): expected on or off", value, o->name, from);
				return -1;
			}
			return 0;
		case OPT_LISTEN:
			{
				char	   *host = NULL;
				int			port;

				if (conf_parse_listen(value, &host, &port) != 0)
				{
					snprintf(err, errlen, "invalid value \"%s\" for listen (%s): expected HOST:PORT", value, from);
					return -1;
				}
				free(conf->listen_host);
				conf->listen_host = host;
				conf->listen_port = port;
				return 0;
			}
		case OPT_URL:
			{
				char	  **slot = (char **) (base + o->offset);
				char	   *url;

				if (conf_check_public_url(value) != 0)
				{
					snprintf(err, errlen, "invalid value \"%s\" for %s (%s): expected http://HOST[:PORT][/PATH]"
							 " or https://...", value, o->name, from);
					return -1;
				}
				if ((url = strdup(value)) == NULL)
					return -1;
				/* no trailing slash: paths are appended */
				for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
					url[n - 1] = '\0';
				free(*slot);
				*slot = url;
				return 0;
			}
		case OPT_NAMES:
			return conf_add_names(conf, value, from, err, errlen);
		case OPT_REPLICA:
			return conf_add_replicas(conf, value, from, strcmp(from, o->env) == 0, err, errlen);
		case OPT_AUTH:
		case OPT_ROLE:
			return set_auth_option(conf, o, value, from, err, errlen);
		case OPT_BASEMAP:
		case OPT_BASEMAP_NAME:
		case OPT_BASEMAP_ATTRIBUTION:
			return set_basemap(conf, o, value, from, err, errlen);
	}
	return -1;
}

static char *
trim(char *s)
{
	char	   *end;

	while (isspace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return s;
}

static int
load_file(Conf *conf, const char *path, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;
	int			rc = 0;

	if (f == NULL)
	{
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f))
	{
		char	   *s,
				   *eq,
				   *hash,
					where[512];
		const Option *o;

		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		s = trim(line);
		if (*s == '\0')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL)
		{
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		o = find_option(trim(s));
		if (o == NULL)
		{
			snprintf(err, errlen, "%s:%d: unknown setting \"%s\"", path, lineno, trim(s));
			rc = -1;
			break;
		}
		snprintf(where, sizeof where, "%s:%d", path, lineno);
		rc = set_option(conf, o, trim(eq + 1), where, err, errlen);
	}
	fclose(f);
	return rc;
}

void
conf_free(Conf *conf)
{
	free(conf->db);
	conf_clear_replicas(conf);
	free(conf->listen_host);
	free(conf->www);
	free(conf->fonts);
	free(conf->cors_origin);
	free(conf->config_file);
	free(conf->public_url);
	free(conf->anonymous_role);
	conf_clear_names(conf);
	conf_clear_basemaps(conf);
	memset(conf, 0, sizeof(*conf));
}

/*
 * fonts/ beside the executable: make builds build/tailings-tileserver and
 * build/fonts/, and an installation may put them side by side likewise.
 * "fonts" (relative to the working directory) when the executable's path is
 * not known.
 */
char *
conf_default_fonts(void)
{
	char		exe[4096];
	ssize_t		n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char	   *slash,
			   *dir;

	if (n <= 0 || (size_t) n >= sizeof exe - 1)
		return strdup("fonts");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return strdup("fonts");
	*slash = '\0';
	if ((dir = malloc(strlen(exe) + sizeof "/fonts")) != NULL)
		sprintf(dir, "%s/fonts", exe);
	return dir;
}

/* the flags of the command line, remembered: they are applied last, so that they win */
typedef struct Flags
{
	const char *values[NOPTIONS];
	const char **names;			/* every --server-name */
	int			nnames;
	const char **replicas;		/* every --db-replica */
	int			nreplicas;
	/* every --basemap, --basemap-name, --basemap-attribution, in order */
	const Option **bm_opts;
	const char **bm_values;
	int			nbm;
	const char *config;
} Flags;

static void
conf_defaults(Conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->listen_host = strdup("127.0.0.1");
	conf->listen_port = 7800;
	conf->pool = 8;
	conf->cache_mb = 256;
	conf->cors_origin = strdup("*");
	conf->statement_timeout_ms = 10000;
	conf->queue = 1024;
	conf->timeout_s = 30;
	conf->max_age_s = 0;
	conf->s_maxage_s = 0;
	conf->access_log = 1;
	conf->max_streams = 256;
	conf->header_timeout_s = 10;
	conf->max_conns = 0;
	conf->max_conns_per_ip = 64;
	conf->max_streams_per_ip = 8;
	conf->auth = CONF_AUTH_NONE;
	conf->max_body_mb = 10;
	conf->replica_max_lag_s = 30;
}

/* read the command line into fl: 0; 1 after --help; 2 on an error (in err) */
static int
read_flags(Flags *fl, int argc, char **argv, char *err, size_t errlen, void *out)
{
	for (int i = 1; i < argc; i++)
	{
		const char *arg = argv[i];
		const char *value = NULL;
		char		name[64];
		const char *eq;
		const Option *o;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
		{
			conf_usage(out);
			return 1;
		}
		if (strncmp(arg, "--", 2) != 0)
		{
			snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", arg);
			return 2;
		}
		arg += 2;
		eq = strchr(arg, '=');
		snprintf(name, sizeof name, "%.*s", eq ? (int) (eq - arg) : (int) strlen(arg), arg);
		if (eq)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else
		{
			snprintf(err, errlen, "option --%s needs a value", name);
			return 2;
		}
		if (strcmp(name, "config") == 0)
		{
			fl->config = value;
			continue;
		}
		o = find_option(name);
		if (o == NULL)
		{
			snprintf(err, errlen, "unknown option --%s (see --help)", name);
			return 2;
		}
		fl->values[o - options] = value;
		if (o->type == OPT_NAMES)
			fl->names[fl->nnames++] = value;
		if (o->type == OPT_REPLICA)
			fl->replicas[fl->nreplicas++] = value;
		if (IS_BASEMAP_OPT(o->type))
		{
			fl->bm_opts[fl->nbm] = o;
			fl->bm_values[fl->nbm++] = value;
		}
	}
	return 0;
}

/* the environment's settings, but for those the flags set: 0, or -1 (err) */
static int
apply_env(Conf *conf, const Flags *fl, char *err, size_t errlen)
{
	int			env_basemap = 0;

	for (size_t i = 0; i < NOPTIONS; i++)
	{
		const char *v = getenv(options[i].env);

		/* a flag for the same setting wins: its environment value is not even read */
		if (v == NULL || *v == '\0' || fl->values[i] != NULL)
			continue;
		/* a list from the environment replaces the config file's */
		if (options[i].type == OPT_NAMES)
			conf_clear_names(conf);
		if (options[i].type == OPT_REPLICA)
			conf_clear_replicas(conf);
		if (IS_BASEMAP_OPT(options[i].type))
		{
			/* flags for base maps replace the environment's base map, which replaces the file's */
			if (fl->nbm > 0)
				continue;
			if (options[i].type == OPT_BASEMAP)
			{
				conf_clear_basemaps(conf);
				env_basemap = 1;
			}
			else if (!env_basemap)
			{
				snprintf(err, errlen, "%s is set but TAILINGS_BASEMAP is not", options[i].env);
				return -1;
			}
		}
		if (set_option(conf, &options[i], v, options[i].env, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* the flags' settings: 0, or -1 (err) */
static int
apply_flags(Conf *conf, const Flags *fl, char *err, size_t errlen)
{
	char		from[80];

	for (size_t i = 0; i < NOPTIONS; i++)
	{
		snprintf(from, sizeof from, "--%s", options[i].name);
		if (fl->values[i] == NULL || IS_BASEMAP_OPT(options[i].type))
			continue;
		if (options[i].type == OPT_NAMES)
		{
			/* repeated flags add up, and replace the environment's and the file's list */
			conf_clear_names(conf);
			for (int n = 0; n < fl->nnames; n++)
				if (set_option(conf, &options[i], fl->names[n], from, err, errlen) != 0)
					return -1;
		}
		else if (options[i].type == OPT_REPLICA)
		{
			conf_clear_replicas(conf);
			for (int n = 0; n < fl->nreplicas; n++)
				if (set_option(conf, &options[i], fl->replicas[n], from, err, errlen) != 0)
					return -1;
		}
		else if (set_option(conf, &options[i], fl->values[i], from, err, errlen) != 0)
			return -1;
	}
	/* repeated base map flags in their order: a name or attribution belongs to the --basemap before it */
	if (fl->nbm > 0)
		conf_clear_basemaps(conf);
	for (int n = 0; n < fl->nbm; n++)
	{
		snprintf(from, sizeof from, "--%s", fl->bm_opts[n]->name);
		if (set_option(conf, fl->bm_opts[n], fl->bm_values[n], from, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* what must be set once everything is read: the fonts directory, the database */
static int
conf_complete(Conf *conf, char *err, size_t errlen)
{
	if (conf->fonts)
	{
		struct stat st;

		if (conf->fonts[0] == '\0' || stat(conf->fonts, &st) != 0 || !S_ISDIR(st.st_mode))
		{
			snprintf(err, errlen, "fonts: \"%s\" is not a directory", conf->fonts);
			return -1;
		}
	}
	else if ((conf->fonts = conf_default_fonts()) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (conf->db == NULL || conf->db[0] == '\0')
	{
		snprintf(err, errlen, "no database: give --db or set DATABASE_URL");
		return -1;
	}
	if (conf->anonymous_role && conf->auth != CONF_AUTH_TOKEN)
	{
		snprintf(err, errlen, "anonymous-role is for --auth token (with --auth none every request is anonymous)");
		return -1;
	}
	return 0;
}

int
conf_load(Conf *conf, int argc, char **argv, char *err, size_t errlen, void *out)
{
	Flags		fl = {.config = getenv("TAILINGS_CONFIG")};
	int			rc = 2;

	conf_defaults(conf);
	fl.names = calloc((size_t) argc + 1, sizeof(char *));
	fl.replicas = calloc((size_t) argc + 1, sizeof(char *));
	fl.bm_opts = calloc((size_t) argc + 1, sizeof(Option *));
	fl.bm_values = calloc((size_t) argc + 1, sizeof(char *));
	if (fl.names == NULL || fl.replicas == NULL || fl.bm_opts == NULL || fl.bm_values == NULL)
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if ((rc = read_flags(&fl, argc, argv, err, errlen, out)) != 0)
		goto done;
	rc = 2;
	if (fl.config)
	{
		conf->config_file = strdup(fl.config);
		if (load_file(conf, fl.config, err, errlen) != 0)
			goto done;
	}
	if (apply_env(conf, &fl, err, errlen) != 0 || apply_flags(conf, &fl, err, errlen) != 0 ||
		conf_complete(conf, err, errlen) != 0)
		goto done;
	rc = 0;
done:
	free(fl.names);
	free(fl.replicas);
	free(fl.bm_opts);
	free(fl.bm_values);
	return rc;
}
