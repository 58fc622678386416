/*
 * body.h - the JSON bodies of the write API: read, limited and checked the
 * same way for every route that takes one (submissions.c, hazards.c,
 * pondfile.c).
 */
#ifndef TAILINGS_BODY_H
#define TAILINGS_BODY_H

#include "srv.h"

/* arrays and objects in one another at most (a drawing needs 8: a MultiPolygon's ring in a feature) */
#define BODY_MAX_DEPTH 100

/*
 * The request's body as a string (malloc'd), or NULL for none.  A body that
 * cannot be one is answered and *answered set: over --max-body-mb 413 (for
 * bodies larger than that, conn_body.c answered before it was read),
 * Content-Type not application/json or application/geo+json 415, a NUL byte
 * or arrays and objects nested more than BODY_MAX_DEPTH deep 400.  Whether it
 * is JSON is the database's to say (22P02: 400).
 */
char	   *body_read(Req *r, int *answered);

/*
 * The request's body, which must be a JSON object (RFC 8259, checked here)
 * whose members are among fields (at most 32 names, ended by NULL); bit i of
 * *given says whether it has fields[i].  NULL when the request was answered:
 * as body_read, and no body or not JSON 400, a JSON value other than an
 * object or a member not among the fields 422 (the detail lists them).
 */
char	   *body_object(Req *r, const char *const *fields, unsigned *given);

/* 1 when the body has the field of that name (body_object's fields and given) */
int			body_has(const char *const *fields, unsigned given, const char *name);

/*
 * The SET list of an UPDATE of the fields the body has (body_object's fields
 * and given): sets[i] assigns fields[i] (NULL: nothing of its own, as a
 * latitude whose longitude's assignment reads both); "" when it has none.
 * 0, or -1 when buf is too small.
 */
int			body_set_list(const char *const *fields, unsigned given, const char *const *sets, char *buf,
						  size_t size);

/* "The fields are: a, b, c." */
void		body_field_list(const char *const *fields, char *buf, size_t size);

#endif
