/*
 * auth.h - who a request acts for (--auth, --anonymous-role): its bearer
 * token resolved by the database to a member's role, and that role's scope.
 */
#ifndef TAILINGS_AUTH_H
#define TAILINGS_AUTH_H

#include "srv.h"

/* seconds a token's resolution is kept before the database is asked again */
#define AUTH_TTL_S 15
/* resolutions kept at most */
#define AUTH_CACHE_MAX 10000
/* the longest token taken (base64url of 32 bytes is 43 characters) */
#define AUTH_TOKEN_MAX 512

typedef struct AuthStats
{
	long long	cached;			/* requests whose token (or the anonymous role) was known */
	long long	resolved;		/* resolutions asked of the database and given */
	long long	refused;		/* 401 */
	long long	failed;			/* 500 or 503: the database could not say */
	int			entries;
} AuthStats;

Auth	   *auth_create(Server *s);
void		auth_free(Auth *a);

/*
 * Find who r acts for (r->who), then call then(r, &r->route), now or once the
 * database has said; or answer r (401 without a valid token and no
 * anonymous role, 503 when the database cannot say).  With --auth none,
 * r->who is the --db login, at once.
 */
void		auth_request(Req *r, void (*then) (Req *r, const Route *rt));

/* the database role a request's statements run as: NULL for the --db login itself */
const char *auth_role(const Req *r);

void		auth_stats(const Auth *a, AuthStats *out);

#endif
