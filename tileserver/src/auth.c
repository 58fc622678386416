/*
 * auth.c - who a request acts for.
 *
 * --auth none: every request reads as the --db login (scope "", as before).
 * --auth token: "Authorization: Bearer TOKEN".  The server hashes the token
 * (SHA-256) and asks the database whose it is, tailings.token_role(sha256)
 * (only the hash is stored there, and the function answers for live tokens of
 * members and readers only); then, as that role (SET LOCAL ROLE in a
 * transaction of its own, db_query_as), what it sees: everything (a reader, or
 * a role that bypasses row-level security: scope "*"), its member row's level
 * and scope ("county:510421"), or else only what its own grants give
 * ("role:NAME").  A request without a token is the --anonymous-role's, found
 * the same way, or 401.  A bad, expired or revoked token is 401 even when
 * there is an anonymous role: its holder should sign in again, not see less
 * without knowing.
 *
 * Resolutions are kept AUTH_TTL_S seconds, by the token's hash (the token
 * itself is not kept); a revoked token or a member's new scope takes effect
 * within that.  Only answers are kept: a token the database does not know, or
 * a database that cannot say, is asked again next time (nothing can then be
 * served from a failure that would since have succeeded, nor the other way
 * round).  Requests with the same token while it is being resolved wait for
 * the one resolution.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "clock.h"
#include "conn.h"
#include "http.h"

#define AUTH_BUCKETS 4096

/* the role's scope, asked as the role: "*", "level:scope" or "role:NAME" */
static const char SQL_SCOPE[] =
	"SELECT CASE WHEN r.rolsuper OR r.rolbypassrls OR EXISTS (SELECT FROM pg_catalog.pg_roles g"
	"   WHERE g.rolname = 'tailings_reader' AND pg_catalog.pg_has_role(r.oid, g.oid, 'USAGE')) THEN '*'"
	" ELSE coalesce((SELECT m.level || ':' || m.scope FROM tailings.member m WHERE m.role_name = r.rolname),"
	"   'role:' || r.rolname) END"
	" FROM pg_catalog.pg_roles r WHERE r.rolname = current_user";

static const char SQL_TOKEN[] = "SELECT tailings.token_role($1::bytea)";

typedef struct AuthEntry
{
	Auth	   *a;
	uint8_t		key[SHA256_DIGEST_LENGTH];	/* the token's SHA-256 */
	int			anonymous;		/* the --anonymous-role's entry (no key) */
	Principal	who;
	double		expires;		/* monotonic seconds */
	int			resolving;
	Req		   *waiters,		/* first come first */
			  **last;
	struct AuthEntry *chain;
} AuthEntry;

struct Auth
{
	Server	   *s;
	EVP_MD	   *sha256;			/* fetched once (SHA256() fetches it for each call: 1 us against 0.2) */
	EVP_MD_CTX *md;
	AuthEntry **buckets;
	int			count;
	AuthEntry	anon;
	AuthStats	st;
};

static unsigned
fnv1a32(const void *data, size_t len)
{
	const uint8_t *p = data;
	unsigned	h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

Auth *
auth_create(Server *s)
{
	Auth	   *a = calloc(1, sizeof(Auth));

	if (a == NULL || (a->buckets = calloc(AUTH_BUCKETS, sizeof(AuthEntry *))) == NULL)
	{
		free(a);
		return NULL;
	}
	a->s = s;
	/* NULL (an OpenSSL without it): SHA256() each time */
	if ((a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL && (a->md = EVP_MD_CTX_new()) == NULL)
	{
		EVP_MD_free(a->sha256);
		a->sha256 = NULL;
	}
	a->anon.a = a;
	a->anon.anonymous = 1;
	a->anon.last = &a->anon.waiters;
	return a;
}

static unsigned
bucket_of(const uint8_t *key)
{
	unsigned	b;

	memcpy(&b, key, sizeof b);
	return b % AUTH_BUCKETS;
}

static void
entry_unlink(Auth *a, AuthEntry *e)
{
	AuthEntry **p = &a->buckets[bucket_of(e->key)];

	while (*p && *p != e)
		p = &(*p)->chain;
	if (*p)
	{
		*p = e->chain;
		a->count--;
	}
}

/* make room: expired resolutions go, and when that is not enough, every one not being resolved */
static void
auth_purge(Auth *a)
{
	double		now = clock_mono_s();

	for (int pass = 0; pass < 2 && a->count >= AUTH_CACHE_MAX; pass++)
		for (int b = 0; b < AUTH_BUCKETS; b++)
		{
			AuthEntry **p = &a->buckets[b];

			while (*p)
			{
				AuthEntry  *e = *p;

				if (!e->resolving && (pass == 1 || e->expires <= now))
				{
					*p = e->chain;
					a->count--;
					free(e);
				}
				else
					p = &e->chain;
			}
		}
}

void
auth_free(Auth *a)
{
	if (a == NULL)
		return;
	for (int b = 0; b < AUTH_BUCKETS; b++)
		while (a->buckets[b])
		{
			AuthEntry  *e = a->buckets[b];

			a->buckets[b] = e->chain;
			free(e);
		}
	free(a->buckets);
	EVP_MD_CTX_free(a->md);
	EVP_MD_free(a->sha256);
	free(a);
}

/* the SHA-256 of a token */
static void
token_hash(Auth *a, const char *token, size_t len, uint8_t *key)
{
	unsigned int n;

	if (a->sha256 == NULL || EVP_DigestInit_ex(a->md, a->sha256, NULL) != 1 ||
		EVP_DigestUpdate(a->md, token, len) != 1 || EVP_DigestFinal_ex(a->md, key, &n) != 1 ||
		n != SHA256_DIGEST_LENGTH)
		SHA256((const unsigned char *) token, len, key);
}

/* 401, with the challenge of RFC 6750 (error: NULL when no token was given) */
static void
unauthorized(Req *r, const char *error, const char *message)
{
	char		challenge[160];

	if (error)
		snprintf(challenge, sizeof challenge, "Bearer realm=\"tailings\", error=\"%s\"", error);
	else
		snprintf(challenge, sizeof challenge, "Bearer realm=\"tailings\"");
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate", challenge);
	/* a viewer of another origin may read why */
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Access-Control-Expose-Headers", "WWW-Authenticate");
	r->s->auth->st.refused++;
	http_error(r, 401, message);
}

/* the waiters of a resolution that failed: each answered, the entry forgotten */
static void
entry_fail(AuthEntry *e, int status, const char *message)
{
	Auth	   *a = e->a;
	Req		   *r = e->waiters,
			   *next;

	e->waiters = NULL;
	e->last = &e->waiters;
	e->resolving = 0;
	if (!e->anonymous)
	{
		entry_unlink(a, e);
		free(e);
	}
	for (; r; r = next)
	{
		next = r->auth_next;
		if (r->gone)
			http_req_free(r);
		else if (status == 401)
			unauthorized(r, "invalid_token", message);
		else
		{
			a->st.failed++;
			http_error(r, status, message);
		}
	}
}

/* the waiters of a resolution that succeeded go on as its principal */
static void
entry_done(AuthEntry *e, const char *scope)
{
	Auth	   *a = e->a;
	Req		   *r = e->waiters,
			   *next;

	snprintf(e->who.scope, sizeof e->who.scope, "%s", scope);
	snprintf(e->who.etag, sizeof e->who.etag, ".s%08x", fnv1a32(scope, strlen(scope)));
	e->expires = clock_mono_s() + AUTH_TTL_S;
	e->resolving = 0;
	e->waiters = NULL;
	e->last = &e->waiters;
	a->st.resolved++;
	for (; r; r = next)
	{
		next = r->auth_next;
		if (r->gone)
			http_req_free(r);
		else
		{
			r->who = e->who;
			r->then(r, &r->route);
		}
	}
}

/* an error of the database that the client cannot fix: logged, 500 */
static void
entry_db_failed(AuthEntry *e, const PGresult *res, int unavailable, const char *step)
{
	const char *msg;
	int			status = http_db_status(res, unavailable, 0, &msg);

	if (status == 503 || status == 504)
	{
		entry_fail(e, status, msg);
		return;
	}
	/* at most a line a second: every request of a misconfigured anonymous role comes here */
	conn_log(CONN_LOG_AUTH, "%s (%s): %s", step, e->anonymous ? "the anonymous role" : "a token",
			 res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			 : "no result");
	entry_fail(e, 500, "the server could not find who the request is for");
}

static void
scope_result(PGresult *res, int unavailable, void *arg)
{
	AuthEntry  *e = arg;

	if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		entry_db_failed(e, res, unavailable, "taking on the role (the --db login must be a member of it:"
						" GRANT role TO login)");
	else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetlength(res, 0, 0) >= SRV_SCOPE_MAX)
		entry_db_failed(e, res, 0, "the role's scope");
	else
		entry_done(e, PQgetvalue(res, 0, 0));
	if (res)
		PQclear(res);
}

/* what the resolved role sees, asked as the role */
static void
entry_scope(AuthEntry *e)
{
	int			rc = db_query_as(e->a->s->db, e->who.role, 0, SQL_SCOPE, 0, NULL, 0, scope_result, e);

	if (rc != 0)
		entry_fail(e, 503, rc == -1 ? "too many requests are waiting for the database" : "the database is unreachable");
}

static void
token_result(PGresult *res, int unavailable, void *arg)
{
	AuthEntry  *e = arg;

	if (unavailable || res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		entry_db_failed(e, res, unavailable, "tailings.token_role() (extension 0.7.0, and EXECUTE on it for"
						" the --db login: sql/roles/tileserver.sql)");
	else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetlength(res, 0, 0) == 0 ||
			 PQgetlength(res, 0, 0) >= (int) sizeof e->who.role)
		entry_fail(e, 401, "the token is unknown, expired or revoked");
	else
	{
		snprintf(e->who.role, sizeof e->who.role, "%s", PQgetvalue(res, 0, 0));
		entry_scope(e);
	}
	if (res)
		PQclear(res);
}

/* start resolving e (its first waiter is in) */
static void
entry_resolve(AuthEntry *e)
{
	char		hex[2 + 2 * SHA256_DIGEST_LENGTH + 1] = "\\x";
	const char *params[1] = {hex};
	int			rc;

	e->resolving = 1;
	if (e->anonymous)
	{
		snprintf(e->who.role, sizeof e->who.role, "%s", e->a->s->conf->anonymous_role);
		entry_scope(e);
		return;
	}
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(hex + 2 + 2 * i, "%02x", e->key[i]);
	rc = db_query(e->a->s->db, SQL_TOKEN, 1, params, 0, token_result, e);
	if (rc != 0)
		entry_fail(e, 503, rc == -1 ? "too many requests are waiting for the database" : "the database is unreachable");
}

/* r joins e: served at once when e is known and fresh, else when it is resolved */
static void
entry_join(AuthEntry *e, Req *r)
{
	if (!e->resolving && e->expires > clock_mono_s())
	{
		e->a->st.cached++;
		r->who = e->who;
		r->then(r, &r->route);
		return;
	}
	r->auth_next = NULL;
	*e->last = r;
	e->last = &r->auth_next;
	http_watch_close(r);
	if (!e->resolving)
		entry_resolve(e);
}

/* the entry of a token's hash, made when missing; NULL when out of memory */
static AuthEntry *
entry_get(Auth *a, const uint8_t *key)
{
	AuthEntry  *e;
	unsigned	b = bucket_of(key);

	for (e = a->buckets[b]; e; e = e->chain)
		if (memcmp(e->key, key, sizeof e->key) == 0)
			return e;
	if (a->count >= AUTH_CACHE_MAX)
		auth_purge(a);
	if ((e = calloc(1, sizeof(AuthEntry))) == NULL)
		return NULL;
	e->a = a;
	memcpy(e->key, key, sizeof e->key);
	e->last = &e->waiters;
	e->chain = a->buckets[b];
	a->buckets[b] = e;
	a->count++;
	return e;
}

/* the token of an Authorization header, in place; NULL when it is no bearer token of the right form */
static const char *
bearer_token(const char *value, size_t *len)
{
	const char *t;
	size_t		n;

	if (strncasecmp(value, "Bearer ", 7) != 0)
		return NULL;
	t = value + 7;
	while (*t == ' ')
		t++;
	/* RFC 6750's b64token: letters, digits, -._~+/ then = padding */
	n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
	n += strspn(t + n, "=");
	if (n == 0 || n > AUTH_TOKEN_MAX || t[n] != '\0')
		return NULL;
	*len = n;
	return t;
}

/* the request's one Authorization header, NULL when none; *many when more than one */
static const char *
authorization(Req *r, int *many)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
	const char *found = NULL;
	int			n = 0;

	for (struct evkeyval *h = in->tqh_first; h; h = h->next.tqe_next)
		if (strcasecmp(h->key, "Authorization") == 0)
		{
			found = h->value;
			n++;
		}
	*many = n > 1;
	return found;
}

void
auth_request(Req *r, void (*then) (Req *r, const Route *rt))
{
	Auth	   *a = r->s->auth;
	const char *value,
			   *token;
	int			many;
	size_t		len;
	uint8_t		key[SHA256_DIGEST_LENGTH];
	AuthEntry  *e;

	r->then = then;
	if (r->s->conf->auth == CONF_AUTH_NONE)
	{
		memset(&r->who, 0, sizeof r->who);
		then(r, &r->route);
		return;
	}
	value = authorization(r, &many);
	if (many)
	{
		unauthorized(r, "invalid_request", "one Authorization header at most");
		return;
	}
	if (value == NULL)
	{
		if (r->s->conf->anonymous_role)
			entry_join(&a->anon, r);
		else
			unauthorized(r, NULL, "this server needs a token: Authorization: Bearer TOKEN");
		return;
	}
	if ((token = bearer_token(value, &len)) == NULL)
	{
		unauthorized(r, "invalid_request", "the Authorization header is not \"Bearer\" and a token");
		return;
	}
	token_hash(a, token, len, key);
	if ((e = entry_get(a, key)) == NULL)
	{
		http_error(r, 500, "out of memory");
		return;
	}
	entry_join(e, r);
}

const char *
auth_role(const Req *r)
{
	return r->who.role[0] ? r->who.role : NULL;
}

void
auth_stats(const Auth *a, AuthStats *out)
{
	*out = a->st;
	out->entries = a->count;
}
