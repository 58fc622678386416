/*
 * scope.c - what a member may see (design §7), for the row-level security
 * policies of tailings.pond and of the tables that belong to a pond:
 *
 *   _member_level(), _member_scope()   the current role's member row
 *   _pond_in_scope(enterprise_code, county_code)
 *                                      a pond's codes are in that scope
 *                                      (pond's policy)
 *   _pond_visible(pond_id)             the pond is visible to the current
 *                                      role (element, change_log, ...)
 *
 * The policies call them for every row.  Everything they read is read with
 * the current role's rights, under the query's snapshot: the member row as
 * row-level security on tailings.member shows it (a role sees its own), a
 * pond as pond's own policies show it, so _pond_visible(pond_id) answers
 * exactly "pond_id IN (SELECT p.id FROM tailings.pond p)".  An answer is
 * kept for as long as the role and the snapshot are the same (same role,
 * same snapshot: same answer), so that a policy costs a hash lookup per row
 * and one small query per statement and pond, not a query per row.  The
 * snapshot is known by its transaction, xmin, xmax, command id and the count
 * of transactions completed when it was taken (PostgreSQL 14 and later),
 * which together fix what it sees.
 */
#include "tailings.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

typedef enum MemberLevel
{
	LEVEL_NONE,
	LEVEL_ENTERPRISE,
	LEVEL_COUNTY,
	LEVEL_CITY,
	LEVEL_PROVINCE
} MemberLevel;

static const char *const level_names[] = {
	[LEVEL_NONE] = NULL,
	[LEVEL_ENTERPRISE] = "enterprise",
	[LEVEL_COUNTY] = "county",
	[LEVEL_CITY] = "city",
	[LEVEL_PROVINCE] = "province",
};

/* the role and the snapshot an answer holds for */
typedef struct ScopeKey
{
	Oid			userid;
	LocalTransactionId lxid;
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	uint64		completions;
} ScopeKey;

typedef struct PondSeen
{
	int64		pond_id;		/* hash key */
	bool		visible;
} PondSeen;

static MemoryContext scope_cxt = NULL;
static ScopeKey scope_key;
static bool scope_valid = false;
static bool member_known = false;
static MemberLevel member_level = LEVEL_NONE;
static char *member_scope = NULL;	/* in scope_cxt */
static HTAB *ponds_seen = NULL;		/* in scope_cxt */
static SPIPlanPtr member_plan = NULL;
static SPIPlanPtr pond_plan = NULL;

/*
 * The key of the current role and snapshot; false when there is no active
 * MVCC snapshot to key on (then nothing is kept).
 */
static bool
current_key(ScopeKey *key)
{
	Snapshot	snap;

	memset(key, 0, sizeof(*key));
	if (!ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	if (snap->snapshot_type != SNAPSHOT_MVCC)
		return false;
	key->userid = GetUserId();
	key->lxid = MyProc->lxid;
	key->xmin = snap->xmin;
	key->xmax = snap->xmax;
	key->curcid = snap->curcid;
	key->completions = snap->snapXactCompletionCount;
	return true;
}

/* forget what was kept unless it holds for this role and snapshot */
static void
scope_begin(void)
{
	ScopeKey	key;
	bool		keyed = current_key(&key);

	if (keyed && scope_valid && memcmp(&key, &scope_key, sizeof(key)) == 0)
		return;
	if (scope_cxt == NULL)
		scope_cxt = AllocSetContextCreate(TopMemoryContext, "tailings scope", ALLOCSET_SMALL_SIZES);
	MemoryContextReset(scope_cxt);
	member_known = false;
	member_scope = NULL;
	ponds_seen = NULL;
	scope_key = key;
	scope_valid = keyed;
}

/* plans kept for the session (tailings.c) */
#define keep_plan(slot, sql, nargs, ...) tl_keep_plan(slot, sql, nargs, __VA_ARGS__, 0)

/* the current role's member row, read with its rights */
static void
member_lookup(void)
{
	int			ret;

	scope_begin();
	if (member_known)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	ret = SPI_execute_plan(keep_plan(&member_plan,
									 "SELECT m.level, m.scope FROM tailings.member m"
									 " WHERE m.role_name OPERATOR(pg_catalog.=) CURRENT_USER",
									 0, NULL),
						   NULL, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading tailings.member failed: %s", SPI_result_code_string(ret));
	member_level = LEVEL_NONE;
	if (SPI_processed > 0)
	{
		char	   *level = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *scope = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		for (int i = LEVEL_ENTERPRISE; i <= LEVEL_PROVINCE; i++)
			if (level != NULL && strcmp(level, level_names[i]) == 0)
				member_level = (MemberLevel) i;
		if (member_level != LEVEL_NONE && scope != NULL)
			member_scope = MemoryContextStrdup(scope_cxt, scope);
		else
			member_level = LEVEL_NONE;
	}
	SPI_finish();
	member_known = true;
}

PG_FUNCTION_INFO_V1(tl_member_level);
Datum
tl_member_level(PG_FUNCTION_ARGS)
{
	member_lookup();
	if (member_level == LEVEL_NONE)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(level_names[member_level]));
}

PG_FUNCTION_INFO_V1(tl_member_scope);
Datum
tl_member_scope(PG_FUNCTION_ARGS)
{
	member_lookup();
	if (member_level == LEVEL_NONE)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(member_scope));
}

/* does text t equal s (exactly), or start with it? */
static bool
text_matches(text *t, const char *s, bool prefix)
{
	size_t		tlen = VARSIZE_ANY_EXHDR(t);
	size_t		slen = strlen(s);

	if (prefix ? tlen < slen : tlen != slen)
		return false;
	return memcmp(VARDATA_ANY(t), s, slen) == 0;
}

/*
 * _pond_in_scope(enterprise_code text, county_code text): an enterprise's
 * ponds are those with its code; a county's, city's or province's those
 * whose county code starts with its own (6, 4 or 2 digits).
 */
PG_FUNCTION_INFO_V1(tl_pond_in_scope);
Datum
tl_pond_in_scope(PG_FUNCTION_ARGS)
{
	member_lookup();
	switch (member_level)
	{
		case LEVEL_ENTERPRISE:
			if (PG_ARGISNULL(0))
				PG_RETURN_BOOL(false);
			PG_RETURN_BOOL(text_matches(PG_GETARG_TEXT_PP(0), member_scope, false));
		case LEVEL_COUNTY:
		case LEVEL_CITY:
		case LEVEL_PROVINCE:
			if (PG_ARGISNULL(1))
				PG_RETURN_BOOL(false);
			PG_RETURN_BOOL(text_matches(PG_GETARG_TEXT_PP(1), member_scope, true));
		case LEVEL_NONE:
			break;
	}
	PG_RETURN_BOOL(false);
}

/* _pond_visible(pond_id bigint): pond_id IN (SELECT p.id FROM tailings.pond p) */
PG_FUNCTION_INFO_V1(tl_pond_visible);
Datum
tl_pond_visible(PG_FUNCTION_ARGS)
{
	int64		pond_id = PG_GETARG_INT64(0);
	PondSeen   *seen;
	bool		found;
	int			ret;

	scope_begin();
	if (ponds_seen == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(PondSeen);
		ctl.hcxt = scope_cxt;
		ponds_seen = hash_create("tailings ponds seen", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	seen = hash_search(ponds_seen, &pond_id, HASH_FIND, NULL);
	if (seen != NULL)
		PG_RETURN_BOOL(seen->visible);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	ret = SPI_execute_plan(keep_plan(&pond_plan,
									 "SELECT 1 FROM tailings.pond p WHERE p.id OPERATOR(pg_catalog.=) $1",
									 1, (Oid[]) {INT8OID}),
						   (Datum[]) {Int64GetDatum(pond_id)}, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading tailings.pond failed: %s", SPI_result_code_string(ret));
	found = SPI_processed > 0;
	SPI_finish();

	/* the query may have begun anew (another snapshot): enter it in the current set */
	scope_begin();
	if (ponds_seen != NULL)
	{
		seen = hash_search(ponds_seen, &pond_id, HASH_ENTER, NULL);
		seen->visible = found;
	}
	PG_RETURN_BOOL(found);
}
