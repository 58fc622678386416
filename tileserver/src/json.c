/*
 * json.c - the JSON string escaper and the checker of JSON bodies (json.h).
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

void
json_quote(const char *s, JsonPut put, void *sink)
{
	const char *run = s;
	const char *p;

	put(sink, "\"", 1);
	for (p = s; *p; p++)
	{
		unsigned char c = (unsigned char) *p;
		char		esc[8];

		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		/* the plain bytes before this one, then its escape */
		if (p > run)
			put(sink, run, (size_t) (p - run));
		if (c == '"' || c == '\\')
		{
			esc[0] = '\\';
			esc[1] = (char) c;
			put(sink, esc, 2);
		}
		else
		{
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(sink, esc, 6);
		}
		run = p + 1;
	}
	if (p > run)
		put(sink, run, (size_t) (p - run));
	put(sink, "\"", 1);
}

/* ---------------------------------------------------------------------------
 * json_check: a recursive descent over the text, bounded by max_depth
 */
typedef struct JsonScan
{
	const char *p;
	const char *end;
	int			max_depth;
	int			too_deep;
} JsonScan;

static void
scan_blanks(JsonScan *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
scan_literal(JsonScan *j, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return 0;
	j->p += n;
	return 1;
}

static int
scan_digits(JsonScan *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
scan_number(JsonScan *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!scan_digits(j))
		return 0;
	if (j->p < j->end && *j->p == '.')
	{
		j->p++;
		if (!scan_digits(j))
			return 0;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E'))
	{
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!scan_digits(j))
			return 0;
	}
	return 1;
}

/* a string from its opening quote; *start and *len: what is between the quotes */
static int
scan_string(JsonScan *j, const char **start, size_t *len)
{
	j->p++;
	*start = j->p;
	while (j->p < j->end)
	{
		unsigned char c = (unsigned char) *j->p;

		if (c == '"')
		{
			*len = (size_t) (j->p - *start);
			j->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\')
		{
			if (++j->p >= j->end)
				return 0;
			if (*j->p == 'u')
			{
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end || hex_digit(j->p[i]) < 0)
						return 0;
				j->p += 4;
			}
			else if (strchr("\"\\/bfnrt", *j->p) == NULL || *j->p == '\0')
				return 0;
		}
		j->p++;
	}
	return 0;
}

static int	scan_value(JsonScan *j, int depth, JsonMember member, void *arg);

/* an array or an object from its opening bracket; members named to member when not NULL */
static int
scan_container(JsonScan *j, int depth, JsonMember member, void *arg)
{
	char		close = *j->p == '{' ? '}' : ']';
	int			object = close == '}';

	if (depth >= j->max_depth)
	{
		j->too_deep = 1;
		return 0;
	}
	j->p++;
	scan_blanks(j);
	if (j->p < j->end && *j->p == close)
	{
		j->p++;
		return 1;
	}
	for (;;)
	{
		if (object)
		{
			const char *name;
			size_t		len;

			if (j->p >= j->end || *j->p != '"' || !scan_string(j, &name, &len))
				return 0;
			if (member)
				member(arg, name, len);
			scan_blanks(j);
			if (j->p >= j->end || *j->p != ':')
				return 0;
			j->p++;
		}
		if (!scan_value(j, depth + 1, NULL, NULL))
			return 0;
		if (j->p < j->end && *j->p == ',')
		{
			j->p++;
			scan_blanks(j);
			continue;
		}
		if (j->p < j->end && *j->p == close)
		{
			j->p++;
			return 1;
		}
		return 0;
	}
}

/* a value and the blanks around it */
static int
scan_value(JsonScan *j, int depth, JsonMember member, void *arg)
{
	const char *s;
	size_t		len;
	int			ok;

	scan_blanks(j);
	if (j->p >= j->end)
		return 0;
	switch (*j->p)
	{
		case '{':
		case '[':
			ok = scan_container(j, depth, member, arg);
			break;
		case '"':
			ok = scan_string(j, &s, &len);
			break;
		case 't':
			ok = scan_literal(j, "true");
			break;
		case 'f':
			ok = scan_literal(j, "false");
			break;
		case 'n':
			ok = scan_literal(j, "null");
			break;
		default:
			ok = scan_number(j);
	}
	scan_blanks(j);
	return ok;
}

int
json_check(const char *s, size_t len, int max_depth, JsonMember member, void *arg)
{
	JsonScan	j = {s, s + len, max_depth, 0};
	int			object;

	scan_blanks(&j);
	object = j.p < j.end && *j.p == '{';
	if (!scan_value(&j, 0, object ? member : NULL, arg))
		return j.too_deep ? JSON_TOO_DEEP : JSON_BAD;
	if (j.p != j.end)
		return JSON_BAD;
	return object ? JSON_OBJECT : JSON_OTHER;
}
