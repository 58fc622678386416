/*
 * conf_check.c - the checks of configuration values that need more than a
 * number's range: the listen address, --public-url, --server-name and
 * --basemap (see conf.h).
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
conf_parse_listen(const char *s, char **host, int *port)
{
	const char *colon;
	char	   *end;
	long		p;
	size_t		hlen;
	const char *h = s;

	if (s[0] == '[')
	{
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t) (close - h);
		colon = close + 1;
	}
	else
	{
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t) (colon - s);
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end != '\0' || end == colon + 1 || p < 1 || p > 65535)
		return -1;
	*host = hlen ? strndup(h, hlen) : strdup("0.0.0.0");
	*port = (int) p;
	return *host ? 0 : -1;
}

int
conf_check_public_url(const char *url)
{
	const char *host;
	size_t		hlen;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return -1;
	hlen = strcspn(host, "/");
	if (hlen == 0 || strlen(url) > 200)
		return -1;
	/* it is written into JSON and URLs as it is: no quotes, spaces, controls, queries */
	for (const char *p = host; *p; p++)
		if (!(isalnum((unsigned char) *p) || strchr(".-:[]_/~%", *p)))
			return -1;
	return 0;
}

int
conf_check_host_name(const char *name)
{
	size_t		n = strlen(name);

	if (n == 0 || n > 253)
		return -1;
	for (const char *p = name; *p; p++)
		if (!(isalnum((unsigned char) *p) || strchr(".-:[]_", *p)))
			return -1;
	return 0;
}
/* {z}, {x}, {y} and the other placeholders MapLibre fills in a raster tile URL */
static const char *const tile_placeholders[] = {"{z}", "{x}", "{y}", "{ratio}", "{quadkey}", "{bbox-epsg-3857}", "{prefix}"};

static int
part_has(const char *p, const char *end, const char *what)
{
	size_t		n = strlen(what);

	for (; p + n <= end; p++)
		if (strncmp(p, what, n) == 0)
			return 1;
	return 0;
}

/* one http(s) URL of a base map, up to end; "" when fine, else why not */
static const char *
basemap_part_error(const char *url, const char *end, int raster)
{
	const char *host;

	if (end - url >= 7 && strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (end - url >= 8 && strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return "expected an http:// or https:// URL";
	if (host >= end || *host == '/' || *host == '{')
		return "the URL has no host";
	for (const char *p = url; p < end; p++)
	{
		if (*p != '{')
			continue;
		if (!raster)
			return "a MapLibre style URL has no {placeholders}";
		if (strncmp(p, "{s}", 3) == 0)
			return "{s} is not a placeholder of MapLibre: write one host (e.g. t0.tianditu.gov.cn)";
		{
			size_t		i;

			for (i = 0; i < sizeof tile_placeholders / sizeof tile_placeholders[0]; i++)
				if ((size_t) (end - p) >= strlen(tile_placeholders[i]) &&
					strncmp(p, tile_placeholders[i], strlen(tile_placeholders[i])) == 0)
					break;
			if (i == sizeof tile_placeholders / sizeof tile_placeholders[0])
				return "unknown {placeholder}: a tile URL takes {z}, {x}, {y} (and {ratio}, {quadkey}, {bbox-epsg-3857})";
		}
	}
	if (raster && !(part_has(url, end, "{quadkey}") ||
					(part_has(url, end, "{z}") && part_has(url, end, "{x}") && part_has(url, end, "{y}"))))
		return "an XYZ tile URL needs {z}, {x} and {y}";
	return "";
}

int
conf_check_basemap(const char *url, char *err, size_t errlen)
{
	size_t		n = strlen(url);
	int			raster = strstr(url, "{z}") != NULL || strstr(url, "{quadkey}") != NULL;
	const char *part = url;

	if (n == 0 || n > 2000)
	{
		snprintf(err, errlen, "expected a URL of at most 2000 characters");
		return -1;
	}
	/* written into JSON and URLs as it is: printable ASCII without spaces, quotes or backslashes */
	for (const unsigned char *p = (const unsigned char *) url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' || *p == '<' || *p == '>')
		{
			snprintf(err, errlen, "a URL of printable ASCII without spaces, quotes, backslashes or <>");
			return -1;
		}
	if (!raster && strchr(url, '|'))
	{
		snprintf(err, errlen, "only XYZ tile URLs (with {z}, {x}, {y}) can be joined by |");
		return -1;
	}
	for (;;)
	{
		const char *end = strchr(part, '|');
		const char *why;

		if (end == NULL)
			end = part + strlen(part);
		why = basemap_part_error(part, end, raster);
		if (*why)
		{
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		if (*end == '\0')
			break;
		part = end + 1;
	}
	return raster;
}

int
conf_check_role_name(const char *name)
{
	size_t		len = strlen(name);

	if (len == 0 || len > 63)
		return -1;
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return -1;
	return 0;
}
