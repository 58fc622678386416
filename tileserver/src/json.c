/*
 * json.c - the JSON string escaper (json.h).
 */
#include "json.h"

#include <stdio.h>

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
