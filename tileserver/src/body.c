/*
 * body.c - a request's JSON body (body.h): the checks every write route makes
 * before the body goes to the database as one text parameter.  The size is
 * refused earlier too, as the bytes arrive (conn_body.c); this is the check
 * of the body as evhttp read it.
 */
#include "body.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "http.h"

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

int
body_too_deep(const char *s, int max)
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
body_json(Req *r, int *answered)
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
	if (body_too_deep(body, BODY_MAX_DEPTH))
	{
		free(body);
		http_error(r, 400, "the body nests arrays and objects more than 100 deep");
		return NULL;
	}
	*answered = 0;
	return body;
}
