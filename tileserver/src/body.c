/*
 * body.c - the JSON bodies of the write API (body.h).
 *
 * A body is JSON (Content-Type application/json or application/geo+json,
 * else 415), at most --max-body-mb (conn_body.c answers 413 before reading
 * more), nested at most BODY_MAX_DEPTH deep (the database's parser would run
 * out of stack first: 400), and goes to the database as one text parameter.
 * A body that is a set of fields (a hazard, a check, a paper: body_object)
 * is checked here as JSON and its members against the route's fields, so
 * that the statement the route builds names only the columns the body gives
 * (the database's column privileges judge each).
 */
#include "body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "http.h"
#include "json.h"

/* 1 when the request's Content-Type is JSON (application/json or application/geo+json, parameters aside) */
static int
json_content_type(Req *r)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(r->req), "Content-Type");
	size_t		n;

	if (ct == NULL)
		return 0;
	n = strcspn(ct, "; ");
	return (n == 16 && strncasecmp(ct, "application/json", n) == 0) ||
		(n == 20 && strncasecmp(ct, "application/geo+json", n) == 0);
}

/* 1 when the JSON text nests arrays and objects deeper than max (brackets in strings aside) */
static int
too_deep(const char *s, int max)
{
	int			depth = 0,
				in_string = 0;

	for (; *s; s++)
	{
		if (in_string)
		{
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_string = 0;
		}
		else if (*s == '"')
			in_string = 1;
		else if ((*s == '[' || *s == '{') && ++depth > max)
			return 1;
		else if (*s == ']' || *s == '}')
			depth--;
	}
	return 0;
}

char *
body_read(Req *r, int *answered)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t		len = in ? evbuffer_get_length(in) : 0;
	size_t		max = (size_t) r->s->conf->max_body_mb * 1024 * 1024;
	char	   *body;

	*answered = 1;
	if (len == 0)
	{
		*answered = 0;
		return NULL;
	}
	if (len > max)
	{
		char		msg[96];

		snprintf(msg, sizeof msg, "the body is larger than %d MiB (--max-body-mb)", r->s->conf->max_body_mb);
		http_error(r, 413, msg);
		return NULL;
	}
	if (!json_content_type(r))
	{
		http_error(r, 415, "the body must be JSON: Content-Type application/json or application/geo+json");
		return NULL;
	}
	if ((body = malloc(len + 1)) == NULL)
	{
		http_error(r, 500, "out of memory");
		return NULL;
	}
	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	/* a text parameter ends at the first NUL: what follows would not be read */
	if (strlen(body) != len)
	{
		free(body);
		http_error(r, 400, "the body holds a NUL byte");
		return NULL;
	}
	if (too_deep(body, BODY_MAX_DEPTH))
	{
		free(body);
		http_error(r, 400, "the body nests arrays and objects more than 100 deep");
		return NULL;
	}
	*answered = 0;
	return body;
}

/* the members of a body against the fields: which it has, the first one not among them (printable) */
typedef struct Members
{
	const char *const *fields;
	unsigned	given;
	char		unknown[48];
	int			nunknown;
} Members;

static void
member_seen(void *arg, const char *name, size_t len)
{
	Members    *m = arg;

	for (int i = 0; m->fields[i]; i++)
		if (strlen(m->fields[i]) == len && memcmp(m->fields[i], name, len) == 0)
		{
			m->given |= 1u << i;
			return;
		}
	if (m->nunknown++ == 0)
	{
		size_t		n = 0;

		for (size_t i = 0; i < len && n < sizeof m->unknown - 1; i++)
			m->unknown[n++] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
		m->unknown[n] = '\0';
	}
}

void
body_field_list(const char *const *fields, char *buf, size_t size)
{
	size_t		used = 0;
	int			n = snprintf(buf, size, "The fields are:");

	used = n > 0 ? (size_t) n : 0;
	for (int i = 0; fields[i] && used < size; i++)
	{
		n = snprintf(buf + used, size - used, "%s %s%s", i ? "," : "", fields[i], fields[i + 1] ? "" : ".");
		if (n < 0)
			break;
		used += (size_t) n;
	}
}

char *
body_object(Req *r, const char *const *fields, unsigned *given)
{
	int			answered;
	char	   *body = body_read(r, &answered);
	Members		m = {fields, 0, "", 0};
	char		msg[96],
				detail[400];
	int			kind;

	*given = 0;
	if (answered)
		return NULL;
	body_field_list(fields, detail, sizeof detail);
	if (body == NULL)
	{
		http_error_detail(r, 400, "the body is a JSON object (Content-Type application/json)", detail, NULL);
		return NULL;
	}
	kind = json_check(body, strlen(body), BODY_MAX_DEPTH, member_seen, &m);
	if (kind == JSON_BAD || kind == JSON_TOO_DEEP)
		http_error(r, 400, kind == JSON_BAD ? "the body is not JSON" : "the body nests arrays and objects more than 100 deep");
	else if (kind != JSON_OBJECT)
		http_error_detail(r, 422, "the body is a JSON object", detail, NULL);
	else if (m.nunknown)
	{
		snprintf(msg, sizeof msg, "the body has a field \"%s\", which is none of this route's", m.unknown);
		http_error_detail(r, 422, msg, detail, NULL);
	}
	else
	{
		*given = m.given;
		return body;
	}
	free(body);
	return NULL;
}

int
body_has(const char *const *fields, unsigned given, const char *name)
{
	for (int i = 0; fields[i]; i++)
		if (strcmp(fields[i], name) == 0)
			return (given >> i) & 1u;
	return 0;
}

int
body_set_list(const char *const *fields, unsigned given, const char *const *sets, char *buf, size_t size)
{
	size_t		used = 0;

	buf[0] = '\0';
	for (int i = 0; fields[i]; i++)
	{
		int			n;

		if (!((given >> i) & 1u) || sets[i] == NULL)
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", sets[i]);
		if (n < 0 || (size_t) n >= size - used)
			return -1;
		used += (size_t) n;
	}
	return 0;
}

void
body_write(Req *r, const long long *ids, int nids, const char *sql, const char *missing, ApiDone done)
{
	char		idtext[2][24];
	const char *params[3];
	int			answered;
	char	   *body = body_read(r, &answered);

	if (answered)
		return;
	if (body == NULL && missing != NULL)
	{
		http_error(r, 400, missing);
		return;
	}
	for (int i = 0; i < nids && i < 2; i++)
	{
		snprintf(idtext[i], sizeof idtext[i], "%lld", ids[i]);
		params[i] = idtext[i];
	}
	params[nids] = body;
	api_write(r, sql, nids + 1, params, done);
	free(body);
}
