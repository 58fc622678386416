/*
 * json.h - THE JSON string escaper of the tile server and its tools: the
 * server writes into evbuffers (style_json_string), tailings-mvtcheck into a
 * FILE.  No dependencies.
 */
#ifndef TAILINGS_JSON_H
#define TAILINGS_JSON_H

#include <stddef.h>

/* where the escaped bytes go */
typedef void (*JsonPut) (void *sink, const char *bytes, size_t len);

/* s as a JSON string, quoted: " and \ escaped, control characters as \u00XX, other bytes as they are */
void		json_quote(const char *s, JsonPut put, void *sink);

#endif
