/*
 * json.h - THE JSON string escaper of the tile server and its tools: the
 * server writes into evbuffers (style_json_string), tailings-mvtcheck into a
 * FILE; and the checker of the JSON bodies of the write API (body.c), which
 * names the members of an object.  No dependencies.
 */
#ifndef TAILINGS_JSON_H
#define TAILINGS_JSON_H

#include <stddef.h>

/* where the escaped bytes go */
typedef void (*JsonPut) (void *sink, const char *bytes, size_t len);

/* s as a JSON string, quoted: " and \ escaped, control characters as \u00XX, other bytes as they are */
void		json_quote(const char *s, JsonPut put, void *sink);

/* what json_check found: a valid document (an object, or another value), or why not */
#define JSON_OBJECT 1
#define JSON_OTHER 0
#define JSON_BAD (-1)			/* not JSON (RFC 8259) */
#define JSON_TOO_DEEP (-2)		/* arrays and objects nested deeper than allowed */

/* a member name of the top-level object as written between its quotes (escapes not undone) */
typedef void (*JsonMember) (void *arg, const char *name, size_t len);

/*
 * Check that the len bytes at s are one JSON text (RFC 8259: one value,
 * blanks around it; strings without raw control characters, valid escapes;
 * numbers in its grammar), arrays and objects nested at most max_depth deep;
 * member (when not NULL) is called for each member of a top-level object, in
 * order, duplicates included.  Bytes of 0x80 and above are taken as they are
 * (PostgreSQL, which parses the body again, checks its encoding).
 */
int			json_check(const char *s, size_t len, int max_depth, JsonMember member, void *arg);

#endif
