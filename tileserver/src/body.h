/*
 * body.h - the JSON bodies of the write API: read, limited and checked the
 * same way for every route that takes one (submissions.c, hazards.c,
 * pondfile.c).
 */
#ifndef TAILINGS_BODY_H
#define TAILINGS_BODY_H

#include "api.h"
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

/*
 * A write whose statement takes the ids (at most 2, as text) and then the
 * request's body as its last parameter (api_write: as the request's role, in
 * a transaction of its own).  A body that cannot be one is answered as
 * body_read does; no body is 400 with the message missing, or, when missing
 * is NULL, a NULL parameter.
 */
void		body_write(Req *r, const long long *ids, int nids, const char *sql, const char *missing, ApiDone done);

/*
 * SQL to read a body's fields in the database, in a statement whose CTE "b"
 * has the body as jsonb in column j (WITH b AS (SELECT $N::jsonb AS j)).  K
 * is a field's name, a string literal.  BODY_IS_* are true or false (never
 * null) for any body, a scalar or an array too; BODY_* are the field's value
 * of its type, or NULL when absent, null or not of that type.  Neither ever
 * fails, whatever the body holds: each cast is behind a CASE whose condition
 * is about the body alone, so that the planner, folding the body's constant,
 * drops a branch it may not take before folding it (a CASE's WHEN that folds
 * to false is never simplified further).  A route lists its checks and gates
 * its write on them, and names the field at fault with a status of 422.
 */
/* absent, or null */
#define BODY_NULL(k) "(coalesce(jsonb_typeof(b.j -> '" k "'), 'null') = 'null')"
/* of that JSON type (string, number, boolean, object, array) */
#define BODY_IS(k, type) "coalesce(jsonb_typeof(b.j -> '" k "') = '" type "', false)"
/* YYYY-MM-DD, the years 1900 to 2999 */
#define BODY_DATE_RE "'^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'"
/* YYYY-MM-DDTHH:MM[:SS[.ffffff]] and its offset (Z or +-HH[:MM]) */
#define BODY_TIME_RE "'^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]" 	"(:[0-5][0-9]([.][0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)$'"
/* the day of a text s that starts YYYY-MM-DD is in its month (not 30 February) */
#define BODY_DAY_OK(s) "extract(month FROM make_date(left(" s ", 4)::int, substr(" s ", 6, 2)::int, 1)" 	" + (substr(" s ", 9, 2)::int - 1)) = substr(" s ", 6, 2)::int"
#define BODY_MATCHES_DAY(k, re) "(CASE WHEN jsonb_typeof(b.j -> '" k "') = 'string' AND (b.j ->> '" k "') ~ " re 	" THEN " BODY_DAY_OK("(b.j ->> '" k "')") " ELSE false END)"
#define BODY_IS_DATE(k) BODY_MATCHES_DAY(k, BODY_DATE_RE)
#define BODY_IS_TIME(k) BODY_MATCHES_DAY(k, BODY_TIME_RE)
/* a number a double precision holds, at most max (an SQL number) either side of 0 */
#define BODY_IS_NUMBER(k, max) "(CASE WHEN jsonb_typeof(b.j -> '" k "') = 'number'" 	" THEN abs((b.j -> '" k "')::numeric) <= " max " AND (abs((b.j -> '" k "')::numeric) >= 1e-300" 	" OR (b.j -> '" k "')::numeric = 0) ELSE false END)"
/* a positive integer a bigint holds */
#define BODY_IS_ID(k) "(CASE WHEN jsonb_typeof(b.j -> '" k "') = 'number'" 	" THEN (b.j -> '" k "')::numeric BETWEEN 1 AND 9223372036854775807" 	" AND (b.j -> '" k "')::numeric = trunc((b.j -> '" k "')::numeric) ELSE false END)"
#define BODY_TEXT(k) "(CASE WHEN jsonb_typeof(b.j -> '" k "') = 'string' THEN b.j ->> '" k "' END)"
#define BODY_DATE(k) "(CASE WHEN " BODY_IS_DATE(k) " THEN (b.j ->> '" k "')::date END)"
#define BODY_TIME(k) "(CASE WHEN " BODY_IS_TIME(k) " THEN (b.j ->> '" k "')::timestamptz END)"
#define BODY_NUMBER(k, max) "(CASE WHEN " BODY_IS_NUMBER(k, max) " THEN (b.j -> '" k "')::float8 END)"
#define BODY_ID(k) "(CASE WHEN " BODY_IS_ID(k) " THEN (b.j -> '" k "')::numeric::bigint END)"
/* the body is an object */
#define BODY_OBJECT "coalesce(jsonb_typeof(b.j) = 'object', false)"
/* the body's fields not among names (an SQL list of string literals), "a, b", or NULL */
#define BODY_UNKNOWN(names) "(SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(" 	"CASE WHEN jsonb_typeof(b.j) = 'object' THEN b.j ELSE '{}' END) k WHERE k <> ALL (ARRAY[" names "]))"

#endif
