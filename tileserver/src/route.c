/*
 * route.c - request paths of tailings-tileserver: the patterns and matchers
 * of the route table (route.h), which lists every path served.
 *
 * {layers} is "all" or a comma list of "ponds" and the category codes.
 */
#include "route.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "tailings/catalog.h"

static int
layer_bit(const char *name, size_t len)
{
	if (len == strlen(TL_PONDS_LAYER) && strncmp(name, TL_PONDS_LAYER, len) == 0)
		return 0;
	for (int i = 0; i < TL_N_CATEGORIES; i++)
	{
		const char *code = tl_categories()[i].code;

		if (strlen(code) == len && strncmp(code, name, len) == 0)
			return i + 1;
	}
	return -1;
}

unsigned
route_all_layers(void)
{
	return (1u << (TL_N_CATEGORIES + 1)) - 1;
}

static const char *
layer_name(int bit)
{
	return bit == 0 ? TL_PONDS_LAYER : tl_categories()[bit - 1].code;
}

void
route_layers_name(unsigned layers, char *buf, unsigned len)
{
	size_t		used = 0;

	buf[0] = '\0';
	if (layers == route_all_layers())
	{
		snprintf(buf, len, "all");
		return;
	}
	for (int bit = 0; bit <= TL_N_CATEGORIES; bit++)
		if (layers & (1u << bit))
		{
			int			n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", layer_name(bit));

			if (n < 0 || (size_t) n >= len - used)
				return;
			used += (size_t) n;
		}
}

void
route_layers_array(unsigned layers, char *buf, unsigned len)
{
	size_t		used = 1;

	snprintf(buf, len, "{");
	for (int bit = 0; bit <= TL_N_CATEGORIES; bit++)
		if (layers & (1u << bit))
		{
			int			n = snprintf(buf + used, len - used, "%s%s", used > 1 ? "," : "", layer_name(bit));

			if (n < 0 || (size_t) n >= len - used)
				return;
			used += (size_t) n;
		}
	snprintf(buf + used, len - used, "}");
}

/* parse "all" or a comma list into a mask; 0 and r->layer_error on an unknown name */
static unsigned
parse_layers(const char *s, size_t len, Route *r)
{
	unsigned	mask = 0;
	size_t		i = 0;

	if (len == 3 && strncmp(s, "all", 3) == 0)
		return route_all_layers();
	while (i <= len)
	{
		size_t		j = i;
		int			bit;

		while (j < len && s[j] != ',')
			j++;
		bit = layer_bit(s + i, j - i);
		if (bit < 0)
		{
			/* named in the error: printable ASCII only, at most 40 characters */
			size_t		n = 0;

			for (size_t k = i; k < j && n < 40; k++)
				r->layer_error[n++] = (s[k] > 0x20 && s[k] < 0x7f && s[k] != '"' && s[k] != '\\') ? s[k] : '?';
			r->layer_error[n] = '\0';
			return 0;
		}
		mask |= 1u << bit;
		i = j + 1;
	}
	return mask;
}

/* a non-negative decimal integer of at most maxdigits digits, the whole of [s, s+len) */
static int
parse_uint(const char *s, size_t len, int maxdigits, long long *out)
{
	long long	v = 0;

	if (len == 0 || (int) len > maxdigits)
		return -1;
	for (size_t i = 0; i < len; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char) s[i]))
			return 0;
	return 1;
}

/* YYYY-MM-DD, optionally THH:MM[:SS[.f+]], optionally Z or +HH[:MM] / -HH[:MM] */
int
route_valid_time(const char *s)
{
	size_t		len = strlen(s);
	const char *p = s;

	if (len < 10 || len > 40 || !digits(p, 4) || p[4] != '-' || !digits(p + 5, 2) || p[7] != '-' ||
		!digits(p + 8, 2))
		return 0;
	p += 10;
	if (*p == '\0')
		return 1;
	if (*p != 'T' && *p != ' ')
		return 0;
	p++;
	if (!digits(p, 2) || p[2] != ':' || !digits(p + 3, 2))
		return 0;
	p += 5;
	if (*p == ':')
	{
		if (!digits(p + 1, 2))
			return 0;
		p += 3;
		if (*p == '.')
		{
			p++;
			if (!isdigit((unsigned char) *p))
				return 0;
			while (isdigit((unsigned char) *p))
				p++;
		}
	}
	if (*p == 'Z')
		return p[1] == '\0';
	if (*p == '+' || *p == '-')
	{
		p++;
		if (!digits(p, 2))
			return 0;
		p += 2;
		if (*p == ':')
			p++;
		if (*p == '\0')
			return 1;
		return digits(p, 2) && p[2] == '\0';
	}
	return *p == '\0';
}

/*
 * %XX-decode a query value, malloc'd; NULL on a bad escape.  A literal '+' or
 * a space stays a '+' (a time zone offset), as does %2B.
 */
static char *
percent_decode(const char *s, size_t len)
{
	char	   *out = malloc(len + 1);
	size_t		n = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '%')
		{
			int			hi = i + 2 < len ? hex_digit(s[i + 1]) : -1;
			int			lo = i + 2 < len ? hex_digit(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
			{
				free(out);
				return NULL;
			}
			out[n++] = (char) (hi * 16 + lo);
			i += 2;
		}
		else
			out[n++] = s[i];
		if (out[n - 1] == ' ')
			out[n - 1] = '+';
	}
	out[n] = '\0';
	return out;
}

/* the raw value of name= in a query string (its length in *len), or NULL; other names are ignored */
static const char *
query_value(const char *query, const char *name, size_t *len)
{
	size_t		nlen = strlen(name);

	for (const char *q = query; q && *q;)
	{
		const char *amp = strchr(q, '&');
		size_t		plen = amp ? (size_t) (amp - q) : strlen(q);

		if (plen > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=')
		{
			*len = plen - nlen - 1;
			return q + nlen + 1;
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

static void
bad(Route *r, const char *why)
{
	r->kind = ROUTE_BAD;
	r->error = why;
}

static int	time_param(const char *query, const char *name, char *buf, Route *r);

/* a matcher's answer: the row's kind, the next row, or decided (r->kind is ROUTE_BAD or ROUTE_NOT_FOUND) */
#define MATCH 1
#define NO_MATCH 0
#define DECIDED (-1)

static int
not_found(Route *r, const char *why)
{
	r->kind = ROUTE_NOT_FOUND;
	r->error = why;
	return DECIDED;
}

static int
bad_route(Route *r, const char *why)
{
	bad(r, why);
	return DECIDED;
}

/* {layers}.json */
static int
route_match_tilejson(const char *rest, const char *query, const char *pattern, Route *r)
{
	size_t		len = strlen(rest);

	(void) query;
	(void) pattern;
	if (strchr(rest, '/') != NULL || len <= 5 || strcmp(rest + len - 5, ".json") != 0)
		return NO_MATCH;
	r->layers = parse_layers(rest, len - 5, r);
	return r->layers == 0 ? not_found(r, "unknown layer") : MATCH;
}

/* {layers}/{z}/{x}/{y}.mvt (or .pbf) [?at=] */
static int
route_match_tile(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');
	const char *parts[3];
	size_t		lens[3];
	long long	v[3];
	const char *p;

	(void) pattern;
	if (slash == NULL)
		return not_found(r, NULL);
	r->layers = parse_layers(rest, (size_t) (slash - rest), r);
	if (r->layers == 0)
		return not_found(r, "unknown layer");
	p = slash + 1;
	for (int i = 0; i < 3; i++)
	{
		const char *end = i < 2 ? strchr(p, '/') : strchr(p, '.');

		if (end == NULL)
			return bad_route(r, "a tile path is /tiles/{layers}/{z}/{x}/{y}.mvt");
		parts[i] = p;
		lens[i] = (size_t) (end - p);
		p = end + 1;
	}
	if (strcmp(p - 1, ".mvt") != 0 && strcmp(p - 1, ".pbf") != 0)
		return bad_route(r, "a tile path ends in .mvt or .pbf");
	for (int i = 0; i < 3; i++)
		if (parse_uint(parts[i], lens[i], 10, &v[i]) != 0)
			return bad_route(r, "z, x and y are non-negative integers");
	if (!(v[0] <= TL_TILE_MAXZOOM && v[1] < (1LL << v[0]) && v[2] < (1LL << v[0])))
		return bad_route(r, "z, x or y out of range: z runs from 0 to 22, x and y from 0 to 2^z-1");
	r->z = (int) v[0];
	r->x = (long) v[1];
	r->y = (long) v[2];
	return time_param(query, "at", r->at, r) == 0 ? MATCH : DECIDED;
}

/*
 * ?{name}= as an ISO 8601 time, normalised, into buf (sizeof Route.at); ""
 * when absent.  0, or -1 (r made ROUTE_BAD) when malformed.
 */
static int
time_param(const char *query, const char *name, char *buf, Route *r)
{
	size_t		len;
	const char *q = query_value(query, name, &len);
	char	   *decoded;

	buf[0] = '\0';
	if (q == NULL)
		return 0;
	decoded = len < sizeof r->at ? percent_decode(q, len) : NULL;
	if (decoded == NULL || !route_valid_time(decoded))
	{
		free(decoded);
		bad(r, strcmp(name, "at") == 0 ? "at must be an ISO 8601 time, such as 2025-03-01T08:00:00+08:00"
			: "from and to must be ISO 8601 times, such as 2025-03-01T08:00:00+08:00");
		return -1;
	}
	snprintf(buf, sizeof r->at, "%s", decoded);
	free(decoded);
	route_normalise_time(buf);
	return 0;
}

/* ?lang= of the JSON API into r->lang: 0, or -1 (r made ROUTE_BAD) */
static int
lang_param(const char *query, Route *r)
{
	size_t		llen;
	const char *lang = query_value(query, "lang", &llen);

	if (lang == NULL)
		return 0;
	if (!(llen == 2 && (strncmp(lang, "zh", 2) == 0 || strncmp(lang, "en", 2) == 0)))
	{
		bad(r, "lang is zh or en");
		return -1;
	}
	memcpy(r->lang, lang, 2);
	return 0;
}

/* /api/compare?from=&to=[&pond=][&lang=] */
static int
route_match_compare(const char *rest, const char *query, const char *pattern, Route *r)
{
	size_t		len;
	const char *pond = query_value(query, "pond", &len);

	(void) rest;
	(void) pattern;
	if (time_param(query, "from", r->from, r) != 0 || time_param(query, "to", r->at, r) != 0 ||
		lang_param(query, r) != 0)
		return DECIDED;
	if (r->from[0] == '\0' || r->at[0] == '\0')
		return bad_route(r, "compare needs from= and to=, ISO 8601 times");
	if (pond != NULL && parse_uint(pond, len, 18, &r->pond_id) != 0)
		return bad_route(r, "pond is a positive integer");
	return MATCH;
}

/* /sprite.json, /sprite.png, /sprite@2x.json, /sprite@2x.png */
static int
route_match_sprite(const char *rest, const char *query, const char *pattern, Route *r)
{
	(void) query;
	(void) pattern;
	if (strcmp(rest, ".json") != 0 && strcmp(rest, "@2x.json") != 0 && strcmp(rest, ".png") != 0 &&
		strcmp(rest, "@2x.png") != 0)
		return NO_MATCH;
	r->sprite_png = strstr(rest, ".png") != NULL;
	r->sprite_2x = strncmp(rest, "@2x", 3) == 0;
	return MATCH;
}

/* {fontstack}/{start}-{end}.pbf: MapLibre asks whole ranges of 256 code points, START a multiple of 256 */
static int
route_match_glyphs(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *last = strrchr(rest, '/');
	const char *dash = last ? strchr(last, '-') : NULL;
	long long	a,
				b;

	(void) query;
	(void) pattern;
	if (last == NULL || last == rest || dash == NULL || strlen(last) < 5 ||
		strcmp(rest + strlen(rest) - 4, ".pbf") != 0 ||
		parse_uint(last + 1, (size_t) (dash - last - 1), 5, &a) != 0 ||
		parse_uint(dash + 1, strlen(dash + 1) - 4, 5, &b) != 0 || a % 256 != 0 || b != a + 255 || b > 65535)
		return bad_route(r, "a glyph path is /fonts/{fontstack}/{start}-{end}.pbf, start a multiple of 256 and end = start+255");
	r->glyph_stack = rest;
	r->glyph_stack_len = (size_t) (last - rest);
	r->glyph_start = (unsigned) a;
	return MATCH;
}

/* /api/ponds and /api/ponds/ */
static int
route_match_ponds(const char *rest, const char *query, const char *pattern, Route *r)
{
	(void) query;
	(void) pattern;
	(void) r;
	return strcmp(rest, "") == 0 || strcmp(rest, "/") == 0 ? MATCH : NO_MATCH;
}

/* {id}[/sub-resource][?lang=]: the id and the language are checked before the sub-resource */
static int
route_match_pond(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');
	size_t		len = slash ? (size_t) (slash - rest) : strlen(rest);

	if (parse_uint(rest, len, 18, &r->pond_id) != 0)
		return bad_route(r, "a pond id is a positive integer");
	if (lang_param(query, r) != 0)
		return DECIDED;
	/* the pattern after {id}: "" or "/completeness" ... */
	return strcmp(rest + len, pattern + strlen("{id}")) == 0 ? MATCH : NO_MATCH;
}

static const char *const step_names[ROUTE_NSTEPS] = {
#define ROUTE_STEP_NAME(k, name) name,
	ROUTE_STEPS(ROUTE_STEP_NAME)
#undef ROUTE_STEP_NAME
};

const char *
route_step_name(int step)
{
	return step >= 0 && step < ROUTE_NSTEPS ? step_names[step] : "";
}

/* /api/submissions[?status=][&pond=] */
static int
route_match_submissions(const char *rest, const char *query, const char *pattern, Route *r)
{
	static const char *const statuses[] = {"draft", "submitted", "approved", "rejected", "withdrawn"};
	size_t		slen,
				plen;
	const char *status = query_value(query, "status", &slen);
	const char *pond = query_value(query, "pond", &plen);

	(void) rest;
	(void) pattern;
	if (status != NULL)
	{
		for (size_t i = 0; i < sizeof statuses / sizeof statuses[0] && !r->status[0]; i++)
			if (slen == strlen(statuses[i]) && strncmp(status, statuses[i], slen) == 0)
				memcpy(r->status, statuses[i], slen + 1);
		if (!r->status[0])
			return bad_route(r, "status is draft, submitted, approved, rejected or withdrawn");
	}
	if (pond != NULL && parse_uint(pond, plen, 18, &r->pond_id) != 0)
		return bad_route(r, "pond is a positive integer");
	return MATCH;
}

/* {id}: a submission */
static int
route_match_submission(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');
	size_t		len = slash ? (size_t) (slash - rest) : strlen(rest);

	(void) query;
	(void) pattern;
	if (parse_uint(rest, len, 18, &r->submission_id) != 0)
		return bad_route(r, "a submission id is a positive integer");
	return slash ? NO_MATCH : MATCH;
}

/* {id}/{step}: a step of a submission's review */
static int
route_match_submission_step(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');

	(void) query;
	(void) pattern;
	if (slash == NULL || parse_uint(rest, (size_t) (slash - rest), 18, &r->submission_id) != 0)
		return not_found(r, NULL);
	for (int i = 0; i < ROUTE_NSTEPS; i++)
		if (strcmp(slash + 1, step_names[i]) == 0)
		{
			r->step = i;
			return MATCH;
		}
	return not_found(r, "a submission's steps are submit, withdraw, approve and reject");
}

/* {id}/geojson[?lang=][&for=drawing] */
static int
route_match_pond_geojson(const char *rest, const char *query, const char *pattern, Route *r)
{
	size_t		len;
	const char *v;
	int			m = route_match_pond(rest, query, pattern, r);

	if (m != MATCH || (v = query_value(query, "for", &len)) == NULL)
		return m;
	if (len != 7 || strncmp(v, "drawing", 7) != 0)
		return bad_route(r, "for is drawing (the map as a drawing to edit and send back) or absent");
	r->drawing = 1;
	return MATCH;
}

/* {id}/samples[?element_id=][&parameter=]: the pond, and the samples' filters */
static int
route_match_pond_samples(const char *rest, const char *query, const char *pattern, Route *r)
{
	size_t		len;
	const char *v;
	char	   *decoded;
	int			m = route_match_pond(rest, query, pattern, r);

	if (m != MATCH)
		return m;
	if ((v = query_value(query, "element_id", &len)) != NULL &&
		(parse_uint(v, len, 18, &r->element_id) != 0 || r->element_id == 0))
		return bad_route(r, "element_id is a positive integer");
	if ((v = query_value(query, "parameter", &len)) == NULL)
		return MATCH;
	/* (a %00 would end the decoded text early: refused as the control character it is) */
	decoded = len < sizeof r->parameter * 3 ? percent_decode(v, len) : NULL;
	for (size_t i = 0; decoded != NULL && i + 2 < len; i++)
		if (v[i] == '%' && v[i + 1] == '0' && v[i + 2] == '0')
		{
			free(decoded);
			return bad_route(r, "parameter holds a control character");
		}
	if (decoded == NULL || decoded[0] == '\0' || strlen(decoded) >= sizeof r->parameter)
	{
		free(decoded);
		return bad_route(r, "parameter is a parameter's code, label or symbol (such as manganese, 锰 or Mn), at most 63 bytes");
	}
	for (const unsigned char *c = (const unsigned char *) decoded; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
		{
			free(decoded);
			return bad_route(r, "parameter holds a control character");
		}
	snprintf(r->parameter, sizeof r->parameter, "%s", decoded);
	free(decoded);
	return MATCH;
}

/* {id}[?lang=]: an inspection (its visits are the next row's) */
static int
route_match_inspection(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');
	size_t		len = slash ? (size_t) (slash - rest) : strlen(rest);

	(void) pattern;
	if (parse_uint(rest, len, 18, &r->inspection_id) != 0)
		return bad_route(r, "an inspection id is a positive integer");
	if (slash)
		return NO_MATCH;
	return lang_param(query, r) == 0 ? MATCH : DECIDED;
}

/* {id}/visits/{element_id}: the visit of an element in an inspection */
static int
route_match_visit(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');
	static const char visits[] = "/visits/";

	(void) query;
	(void) pattern;
	if (slash == NULL || parse_uint(rest, (size_t) (slash - rest), 18, &r->inspection_id) != 0 ||
		strncmp(slash, visits, strlen(visits)) != 0)
		return not_found(r, "an inspection's visits are /api/inspections/{id}/visits/{element_id}");
	if (parse_uint(slash + strlen(visits), strlen(slash + strlen(visits)), 18, &r->element_id) != 0)
		return bad_route(r, "an element id is a positive integer");
	return MATCH;
}

/*
 * ?{name}= as text into buf: %XX decoded, '+' a space (as forms send it).
 * 0 absent, 1 present, -1 malformed (a bad escape, a NUL, longer than size-1).
 */
static int
query_text(const char *query, const char *name, char *buf, size_t size)
{
	size_t		len,
				n = 0;
	const char *v = query_value(query, name, &len);

	buf[0] = '\0';
	if (v == NULL)
		return 0;
	for (size_t i = 0; i < len; i++)
	{
		int			c = (unsigned char) v[i];

		if (c == '%')
		{
			int			hi = i + 2 < len ? hex_digit(v[i + 1]) : -1;
			int			lo = hi >= 0 ? hex_digit(v[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		else if (c == '+')
			c = ' ';
		if (c == 0 || n + 1 >= size)
			return -1;
		buf[n++] = (char) c;
	}
	buf[n] = '\0';
	return 1;
}

/* {id}, then the rest of the pattern after "{id}" exactly: the id into *id (400 when it is none) */
static int
match_id(const char *rest, const char *pattern, long long *id, const char *what, Route *r)
{
	const char *slash = strchr(rest, '/');
	size_t		len = slash ? (size_t) (slash - rest) : strlen(rest);

	if (parse_uint(rest, len, 18, id) != 0 || *id == 0)
		return bad_route(r, what);
	return strcmp(rest + len, pattern + strlen("{id}")) == 0 ? MATCH : NO_MATCH;
}

/* {id}/ledger/{year}: a year of four digits */
static int
route_match_ledger(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');
	long long	year;

	(void) pattern;
	if (slash == NULL || strncmp(slash, "/ledger/", 8) != 0)
		return NO_MATCH;
	if (parse_uint(rest, (size_t) (slash - rest), 18, &r->pond_id) != 0 || r->pond_id == 0)
		return bad_route(r, "a pond id is a positive integer");
	if (parse_uint(slash + 8, strlen(slash + 8), 4, &year) != 0 || strlen(slash + 8) != 4)
		return bad_route(r, "a ledger's year has four digits");
	r->year = (int) year;
	return lang_param(query, r) == 0 ? MATCH : DECIDED;
}

/* {id}[/checks]: a hazard */
static int
route_match_hazard(const char *rest, const char *query, const char *pattern, Route *r)
{
	(void) query;
	return match_id(rest, pattern, &r->hazard_id, "a hazard id is a positive integer", r);
}

/* {id}/checks/{cid}: a check of a hazard */
static int
route_match_hazard_check(const char *rest, const char *query, const char *pattern, Route *r)
{
	const char *slash = strchr(rest, '/');

	(void) query;
	(void) pattern;
	if (slash == NULL || strncmp(slash, "/checks/", 8) != 0)
		return NO_MATCH;
	if (parse_uint(rest, (size_t) (slash - rest), 18, &r->hazard_id) != 0 || r->hazard_id == 0 ||
		parse_uint(slash + 8, strlen(slash + 8), 18, &r->check_id) != 0 || r->check_id == 0)
		return bad_route(r, "a hazard's check is /api/hazards/{id}/checks/{check id}, both positive integers");
	return MATCH;
}

/* {id}: a paper of a pond's file */
static int
route_match_document(const char *rest, const char *query, const char *pattern, Route *r)
{
	(void) query;
	return match_id(rest, pattern, &r->document_id, "a document id is a positive integer", r);
}

/* 1 when [s, s+len) is one of the words (a NULL ends them) */
static int
one_of(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && strncmp(s, *words, len) == 0)
			return 1;
	return 0;
}

/* /api/hazards?status=open,rectifying&overdue=1&county=510411&campaign=&severity=major&pond=ID&format=csv */
static int
route_match_board(const char *rest, const char *query, const char *pattern, Route *r)
{
	static const char *const statuses[] = {"open", "rectifying", "rectified", "closed", NULL};
	static const char *const severities[] = {"general", "major", NULL};
	static const char *const yes[] = {"1", "true", NULL};
	static const char *const no[] = {"0", "false", NULL};
	static const char *const formats[] = {"json", "csv", "geojson", NULL};
	RouteBoard *b = &r->board;
	char		v[32];
	int			got;

	(void) rest;
	(void) pattern;
	b->overdue = -1;
	if ((got = query_text(query, "status", b->status, sizeof b->status)) < 0)
		return bad_route(r, "status is a comma list of open, rectifying, rectified and closed");
	for (const char *p = b->status; got > 0;)
	{
		size_t		len = strcspn(p, ",");

		if (!one_of(p, len, statuses))
			return bad_route(r, "status is a comma list of open, rectifying, rectified and closed");
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if ((got = query_text(query, "overdue", v, sizeof v)) != 0)
	{
		if (got < 0 || !(one_of(v, strlen(v), yes) || one_of(v, strlen(v), no)))
			return bad_route(r, "overdue is 1 (only the overdue hazards) or 0 (none of them)");
		b->overdue = one_of(v, strlen(v), yes);
	}
	if ((got = query_text(query, "county", b->county, sizeof b->county)) != 0 &&
		(got < 0 || parse_uint(b->county, strlen(b->county), 12, &(long long) {0}) != 0))
		return bad_route(r, "county is a GB/T 2260 code or its prefix (510411, 5104, 51)");
	if (query_text(query, "campaign", b->campaign, sizeof b->campaign) < 0)
		return bad_route(r, "campaign is a campaign's name, at most 255 bytes");
	if ((got = query_text(query, "severity", b->severity, sizeof b->severity)) != 0 &&
		(got < 0 || !one_of(b->severity, strlen(b->severity), severities)))
		return bad_route(r, "severity is general or major");
	if ((got = query_text(query, "pond", v, sizeof v)) != 0 &&
		(got < 0 || parse_uint(v, strlen(v), 18, &r->pond_id) != 0 || r->pond_id == 0))
		return bad_route(r, "pond is a positive integer");
	if ((got = query_text(query, "format", v, sizeof v)) != 0)
	{
		if (got < 0 || !one_of(v, strlen(v), formats))
			return bad_route(r, "format is json, csv or geojson");
		b->format = strcmp(v, "csv") == 0 ? ROUTE_FORMAT_CSV : strcmp(v, "geojson") == 0 ? ROUTE_FORMAT_GEOJSON
			: ROUTE_FORMAT_JSON;
	}
	return MATCH;
}

/* {id}[?lang=]: the page reads ?lang= itself, checked here all the same, as for the API */
static int
route_match_sheet(const char *rest, const char *query, const char *pattern, Route *r)
{
	(void) pattern;
	if (strchr(rest, '/') != NULL)
		return not_found(r, NULL);
	if (parse_uint(rest, strlen(rest), 18, &r->pond_id) != 0)
		return bad_route(r, "a pond id is a positive integer");
	return lang_param(query, r) == 0 ? MATCH : DECIDED;
}

/* anything else: a file of --www */
static int
route_match_static(const char *rest, const char *query, const char *pattern, Route *r)
{
	(void) rest;
	(void) query;
	(void) pattern;
	(void) r;
	return MATCH;
}

/*
 * ?at= to the second: the fraction is dropped (the map as of the start of that
 * second), and a space before the time becomes T, so that the same moment
 * asked in different spellings is one cached tile rather than a new query.
 */
void
route_normalise_time(char *s)
{
	char	   *dot;

	if (strlen(s) > 10 && s[10] == ' ')
		s[10] = 'T';
	if ((dot = strchr(s, '.')) != NULL)
	{
		size_t		digits = strspn(dot + 1, "0123456789");

		memmove(dot, dot + 1 + digits, strlen(dot + 1 + digits) + 1);
	}
}

typedef int (*RouteMatcher) (const char *rest, const char *query, const char *pattern, Route *r);

typedef struct RouteRow
{
	RouteKind	kind;
	const char *name;
	const char *pattern;
	RouteMatcher match;
} RouteRow;

static const RouteRow routes[] = {
#define ROUTE_ROW(kind, name, pattern, matcher, methods, access, handler) {ROUTE_##kind, name, pattern, matcher},
	ROUTE_TABLE(ROUTE_ROW)
#undef ROUTE_ROW
};

#define NROUTES (sizeof routes / sizeof routes[0])

const char *
route_name(RouteKind kind)
{
	return kind >= ROUTE_NOT_FOUND + 2 && kind < ROUTE_COUNT ? routes[kind - 2].name : "other";
}

const char *
route_pattern(RouteKind kind)
{
	return kind >= ROUTE_NOT_FOUND + 2 && kind < ROUTE_COUNT ? routes[kind - 2].pattern : NULL;
}

/* one row against the path: MATCH, NO_MATCH or DECIDED; *family set when the path is under its literal directory */
static int
route_try(const RouteRow *row, const char *path, const char *query, Route *r, size_t *family)
{
	size_t		lit = strcspn(row->pattern, "{[");

	if (row->pattern[lit] == '\0')
	{
		/* no parameter in the path: the whole path, and the query for the matcher */
		if (strcmp(path, row->pattern) != 0)
			return NO_MATCH;
		return row->match ? row->match(path + lit, query, row->pattern + lit, r) : MATCH;
	}
	if (strncmp(path, row->pattern, lit) != 0)
		return NO_MATCH;
	if (lit > 1 && row->pattern[lit - 1] == '/')
		*family = lit;
	return row->match(path + lit, query, row->pattern + lit, r);
}

void
route_parse(const char *path, const char *query, Route *r)
{
	size_t		family = 0;

	memset(r, 0, sizeof(*r));
	r->kind = ROUTE_NOT_FOUND;
	r->path = path;
	if (path == NULL || path[0] != '/')
	{
		bad(r, "the path must start with /");
		return;
	}
	for (size_t i = 0; i < NROUTES; i++)
	{
		int			m;

		/* the rows of a family are together: past them, a path under its directory is 404 */
		if (family && strncmp(routes[i].pattern, path, family) != 0)
			return;
		m = route_try(&routes[i], path, query, r, &family);
		if (m == DECIDED)
			return;
		if (m == MATCH)
		{
			r->kind = routes[i].kind;
			return;
		}
	}
}
