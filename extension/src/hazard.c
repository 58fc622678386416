/*
 * hazard.c - the closed loop of a hazard (隐患; design §8): found (排查),
 * rectified by its enterprise (治理), checked by a county or a higher level
 * (成效核查).
 *
 *   _hazard_guard()        BEFORE INSERT OR UPDATE ON tailings.hazard: the
 *                          state machine and who may make which move
 *   _hazard_check_guard()  BEFORE INSERT OR UPDATE OR DELETE ON
 *                          tailings.hazard_check: what a check may say, and
 *                          that nobody changes or deletes one
 *   _hazard_check_apply()  AFTER INSERT ON tailings.hazard_check: a check
 *                          of a rectified hazard closes it (passed) or sends
 *                          it back to rectifying (failed)
 *
 * The state machine:
 *
 *   open -> rectifying -> rectified -> closed
 *                           `-> rectifying (a failed check)
 *
 * A hazard is recorded open.  rectified needs rectification (what was done)
 * and rectified_on, on or after the hazard's latest check; closed needs a
 * passed check by a county or higher level dated on or after rectified_on;
 * back to rectifying needs a failed check dated so, and clears rectified_on.
 * Any other move is refused (23514) with the allowed moves in DETAIL.  A
 * closed hazard is final (only the removal of its element, which sets
 * element_id null, still reaches it).
 *
 * Members act at their level (tailings.member): an enterprise records the
 * hazards its self-checks find (found_level enterprise), moves its hazards to
 * rectifying and rectified and writes their rectification, and changes
 * nothing else; a county, city or province records hazards and checks at
 * its own level (a province also the ministry's), edits what a hazard says
 * and when it is due, and leaves the rectification to the enterprise.  The
 * grants say the same per column; row-level security says which ponds.  A
 * role without a member row (the owner, a superuser, an application) is held
 * to the state machine only.
 *
 * Everything is read and written as the caller, through SQL functions of the
 * schema (their names qualified, their bodies bound at creation).  A
 * superuser session restoring a dump (check_function_bodies off) reloads the
 * rows as they were.
 */
#include "tailings.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/rel.h"

#define MAX_DISTANCE_M 5000.0

typedef enum HazardStatus
{
	HS_OPEN,
	HS_RECTIFYING,
	HS_RECTIFIED,
	HS_CLOSED,
	HS_UNKNOWN
} HazardStatus;

static const char *const status_names[] = {
	[HS_OPEN] = "open",
	[HS_RECTIFYING] = "rectifying",
	[HS_RECTIFIED] = "rectified",
	[HS_CLOSED] = "closed",
};

#define MOVES \
	"A hazard moves open -> rectifying -> rectified -> closed, and from rectified back to rectifying when a check fails."

/* the moves allowed from each status, for DETAIL */
static const char *const moves_from[] = {
	[HS_OPEN] = "From open it moves to rectifying: its enterprise starts the rectification.",
	[HS_RECTIFYING] = "From rectifying it moves to rectified: its enterprise gives the rectification "
	"(what was done) and rectified_on.",
	[HS_RECTIFIED] = "From rectified it moves to closed with a passed check by a county or higher level dated on or "
	"after rectified_on, or back to rectifying with a failed check.",
	[HS_CLOSED] = "Closed is final: a new finding is a new hazard.",
};

static HazardStatus
status_of(const char *s)
{
	for (int i = HS_OPEN; i < HS_UNKNOWN; i++)
		if (s != NULL && strcmp(s, status_names[i]) == 0)
			return (HazardStatus) i;
	return HS_UNKNOWN;
}

/* the current role's member row */
typedef struct Member
{
	char	   *level;			/* NULL: no member row */
	char	   *display_name;
} Member;

static bool
is_level(const Member *m, const char *level)
{
	return m->level != NULL && strcmp(m->level, level) == 0;
}

static bool
is_bureau(const Member *m)
{
	return is_level(m, "county") || is_level(m, "city") || is_level(m, "province");
}

/* kept plans: one per query and session */
static SPIPlanPtr member_plan = NULL;
static SPIPlanPtr element_plan = NULL;
static SPIPlanPtr place_plan = NULL;
static SPIPlanPtr checks_plan = NULL;
static SPIPlanPtr lock_plan = NULL;
static SPIPlanPtr status_plan = NULL;
static SPIPlanPtr move_plan = NULL;

/* plans kept for the session (tailings.c) */
#define keep_plan(slot, sql, nargs, ...) tl_keep_plan(slot, sql, nargs, __VA_ARGS__, 0)

static void
run_plan(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, int expect)
{
	int			ret = SPI_execute_plan(plan, values, nulls, read_only, 0);

	if (ret != expect)
		elog(ERROR, "tailings: hazard query failed: %s", SPI_result_code_string(ret));
}

/* a superuser session restoring a dump: rows go in as they were */
static bool
restoring(void)
{
	return !check_function_bodies && superuser_arg(GetSessionUserId());
}

/* strings from SPI, kept in the trigger's memory context */
static MemoryContext trigger_cxt;

static char *
keep_string(const char *s)
{
	return s == NULL ? NULL : MemoryContextStrdup(trigger_cxt, s);
}

static void
member_get(Member *m)
{
	run_plan(keep_plan(&member_plan, "SELECT m.level, m.display_name FROM tailings._member_self() m", 0, NULL),
			 NULL, NULL, true, SPI_OK_SELECT);
	m->level = m->display_name = NULL;
	if (SPI_processed > 0)
	{
		m->level = keep_string(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		m->display_name = keep_string(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
	}
}

/* who recorded a row: the member's display name, else the role's name */
static char *
recorder(const Member *m)
{
	if (m->display_name != NULL)
		return m->display_name;
	return keep_string(GetUserNameFromId(GetUserId(), false));
}

/* a date as YYYY-MM-DD, whatever DateStyle says */
static char *
date_text(DateADT d)
{
	int			y,
				m,
				day;

	if (DATE_IS_NOBEGIN(d))
		return pstrdup("-infinity");
	if (DATE_IS_NOEND(d))
		return pstrdup("infinity");
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

/* today, and the last day not "in the future" (a day's grace for time zones) */
static DateADT
latest_day(void)
{
	return GetSQLCurrentDate() + 1;
}

/*
 * A row of the trigger's table, read by column name.
 */
typedef struct Row
{
	HeapTuple	tuple;
	TupleDesc	desc;
} Row;

static int
attno_of(TupleDesc desc, const char *name)
{
	int			attno = SPI_fnumber(desc, name);

	if (attno <= 0)
		elog(ERROR, "tailings: table has no column \"%s\"", name);
	return attno;
}

static Datum
get(const Row *r, const char *name, bool *isnull)
{
	return heap_getattr(r->tuple, attno_of(r->desc, name), r->desc, isnull);
}

static char *
get_text(const Row *r, const char *name)
{
	return SPI_getvalue(r->tuple, r->desc, attno_of(r->desc, name));
}

static bool
get_date(const Row *r, const char *name, DateADT *d)
{
	bool		isnull;
	Datum		v = get(r, name, &isnull);

	*d = isnull ? 0 : DatumGetDateADT(v);
	return !isnull;
}

static bool
get_int8(const Row *r, const char *name, int64 *v)
{
	bool		isnull;
	Datum		d = get(r, name, &isnull);

	*v = isnull ? 0 : DatumGetInt64(d);
	return !isnull;
}

/* a column whose value differs between two versions of a row */
static bool
changed(const Row *old, const Row *new, const char *name)
{
	int			attno = attno_of(old->desc, name);
	Form_pg_attribute att = TupleDescAttr(old->desc, attno - 1);
	bool		n1,
				n2;
	Datum		a = heap_getattr(old->tuple, attno, old->desc, &n1);
	Datum		b = heap_getattr(new->tuple, attno, new->desc, &n2);

	if (n1 || n2)
		return n1 != n2;
	return !datumIsEqual(a, b, att->attbyval, att->attlen);
}

/* the values a trigger replaces in the new row */
typedef struct Changes
{
	int			n;
	int			cols[8];
	Datum		values[8];
	bool		nulls[8];
} Changes;

static void
change(Changes *c, TupleDesc desc, const char *name, Datum value, bool isnull)
{
	Assert(c->n < lengthof(c->cols));
	c->cols[c->n] = attno_of(desc, name);
	c->values[c->n] = value;
	c->nulls[c->n] = isnull;
	c->n++;
}

static HeapTuple
apply_changes(HeapTuple tuple, TupleDesc desc, Changes *c)
{
	return c->n == 0 ? tuple : heap_modify_tuple_by_cols(tuple, desc, c->n, c->cols, c->values, c->nulls);
}

/*
 * The level a member records a hazard or a check at: its own (a province
 * may record the ministry's).  NULL level: the member's.
 */
static const char *
member_level_for(const Member *m, const char *given, const char *what)
{
	if (m->level == NULL)
		return given;
	if (given == NULL)
		return m->level;
	if (strcmp(given, m->level) == 0 || (is_level(m, "province") && strcmp(given, "ministry") == 0))
		return given;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("a member at level %s cannot record %s at level %s", m->level, what, given),
			 errdetail("Members record what they find and check at their own level%s.",
					   is_level(m, "province") ? " (a province also the ministry's)" : ""),
			 errhint("Leave the level out: it is the member's.")));
	return NULL;
}

/*
 * Where a hazard is: its element (of its pond) gives a position and a
 * category when they are not given; the position lies within 5 km of the
 * pond.  Fills ch with what it sets.
 */
static void
check_place(const Row *r, int64 pond_id, bool element_given, bool location_given, Changes *ch,
			bool fill)
{
	int64		element_id;
	bool		isnull;
	Datum		location = get(r, "location", &isnull);
	Oid			geom_type = TupleDescAttr(r->desc, attno_of(r->desc, "location") - 1)->atttypid;

	if (element_given && get_int8(r, "element_id", &element_id))
	{
		int64		element_pond = 0;
		bool		pond_null = true;

		run_plan(keep_plan(&element_plan,
						   "SELECT e.pond_id, e.point, e.category FROM tailings._hazard_element($1) e",
						   1, (Oid[]) {INT8OID}),
				 (Datum[]) {Int64GetDatum(element_id)}, NULL, true, SPI_OK_SELECT);
		if (SPI_processed > 0)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &pond_null);

			element_pond = pond_null ? 0 : DatumGetInt64(d);
		}
		if (pond_null || element_pond != pond_id)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("element " INT64_FORMAT " is not an element of pond " INT64_FORMAT, element_id, pond_id),
					 errhint("SELECT id, kind, name FROM tailings.element WHERE pond_id = " INT64_FORMAT
							 " lists its elements.", pond_id)));
		if (fill && isnull)
		{
			bool		point_null;
			Datum		point = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &point_null);
			MemoryContext old = MemoryContextSwitchTo(trigger_cxt);

			location = datumCopy(point, false, -1);
			isnull = point_null;
			MemoryContextSwitchTo(old);
			change(ch, r->desc, "location", location, isnull);
			location_given = !isnull;
		}
		if (fill)
		{
			bool		category_null;
			bool		given_null;
			Datum		category = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &category_null);

			(void) get(r, "category", &given_null);
			if (given_null && !category_null)
				change(ch, r->desc, "category", category, false);
		}
	}
	if (location_given && !isnull)
	{
		bool		empty_null,
					lon_null,
					lat_null,
					dist_null;
		bool		empty;
		double		lon,
					lat,
					dist;
		HeapTuple	t;
		TupleDesc	d;

		run_plan(keep_plan(&place_plan,
						   "SELECT p.empty, p.lon, p.lat, p.dist_m FROM tailings._hazard_place($1, $2) p",
						   2, (Oid[]) {INT8OID, geom_type}),
				 (Datum[]) {Int64GetDatum(pond_id), location}, NULL, true, SPI_OK_SELECT);
		/* no row: the pond is not seen (row-level security or the foreign key says so next) */
		if (SPI_processed == 0)
			return;
		t = SPI_tuptable->vals[0];
		d = SPI_tuptable->tupdesc;
		empty = DatumGetBool(SPI_getbinval(t, d, 1, &empty_null));
		if (empty_null)
			return;				/* the pond is not seen */
		if (empty)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("the location of a hazard of pond " INT64_FORMAT " is empty", pond_id),
					 errhint("Give a point, or leave location null.")));
		lon = DatumGetFloat8(SPI_getbinval(t, d, 2, &lon_null));
		lat = DatumGetFloat8(SPI_getbinval(t, d, 3, &lat_null));
		dist = DatumGetFloat8(SPI_getbinval(t, d, 4, &dist_null));
		if (lon_null || lat_null || !isfinite(lon) || !isfinite(lat) || dist_null)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("the location of a hazard of pond " INT64_FORMAT " is not a longitude and latitude", pond_id),
					 errhint("CGCS2000 longitude and latitude in degrees.")));
		if (dist > MAX_DISTANCE_M)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("the location of a hazard of pond " INT64_FORMAT " lies %.1f km from the pond, more than 5 km",
							pond_id, dist / 1000.0),
					 errhint("Check that it belongs to this pond and that longitude and latitude are not swapped.")));
	}
}

/* a hazard's checks that decide its moves (_hazard_checks) */
typedef struct Checks
{
	bool		passed;			/* a passed check by a county or higher level since the day */
	bool		failed;			/* a failed check since the day */
	bool		any;
	DateADT		last;			/* the latest check's day */
} Checks;

static void
checks_since(int64 hazard_id, bool has_since, DateADT since, Checks *c)
{
	bool		isnull;
	HeapTuple	t;
	TupleDesc	d;
	Datum		v;

	run_plan(keep_plan(&checks_plan,
					   "SELECT c.passed, c.failed, c.last_checked_on FROM tailings._hazard_checks($1, $2) c",
					   2, (Oid[]) {INT8OID, DATEOID}),
			 (Datum[]) {Int64GetDatum(hazard_id), DateADTGetDatum(since)}, has_since ? "  " : " n",
			 true, SPI_OK_SELECT);
	memset(c, 0, sizeof(*c));
	if (SPI_processed == 0)
		return;
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	v = SPI_getbinval(t, d, 1, &isnull);
	c->passed = !isnull && DatumGetBool(v);
	v = SPI_getbinval(t, d, 2, &isnull);
	c->failed = !isnull && DatumGetBool(v);
	v = SPI_getbinval(t, d, 3, &isnull);
	c->any = !isnull;
	c->last = isnull ? 0 : DatumGetDateADT(v);
}

static void
refuse_move(int64 id, HazardStatus from, const char *to)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("hazard " INT64_FORMAT " cannot go from %s to %s", id, status_names[from], to ? to : "null"),
			 errdetail("%s %s", MOVES, moves_from[from])));
}

/* the enterprise's moves: to rectifying and to rectified */
static void
require_enterprise(const Member *m, int64 id, int64 pond_id, const char *to)
{
	if (m->level == NULL || is_level(m, "enterprise"))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("only the enterprise of pond " INT64_FORMAT " moves hazard " INT64_FORMAT " to %s", pond_id, id, to),
			 errdetail("%s is a member at level %s: the enterprise rectifies its hazards, county and above check them.",
					   GetUserNameFromId(GetUserId(), false), m->level),
			 errhint("A check is a row of tailings.hazard_check: a passed one closes a rectified hazard, "
					 "a failed one returns it to rectifying.")));
}

/* the columns a member may change, by level */
static void
member_columns(const Member *m, const Row *old, const Row *new, int64 id)
{
	static const char *const enterprise_may[] = {"status", "rectification", "rectified_on", NULL};
	static const char *const bureau_may[] = {"element_id", "location", "campaign", "category", "severity",
	"description", "deadline", "status", NULL};
	const char *const *may;

	if (m->level == NULL)
		return;
	may = is_level(m, "enterprise") ? enterprise_may : bureau_may;
	for (int i = 0; i < old->desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(old->desc, i);
		const char *name = NameStr(att->attname);
		bool		allowed = false;

		if (att->attisdropped || !changed(old, new, name))
			continue;
		for (int k = 0; may[k] != NULL; k++)
			allowed |= strcmp(may[k], name) == 0;
		if (!allowed)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("a member at level %s cannot change %s of hazard " INT64_FORMAT, m->level, name, id),
					 errdetail(is_level(m, "enterprise")
							   ? "An enterprise moves its hazards to rectifying and rectified and writes their "
							   "rectification and rectified_on."
							   : "A county, city or province edits what a hazard says and when it is due; "
							   "the rectification is its enterprise's.")));
	}
}

static HeapTuple
hazard_insert(TriggerData *td)
{
	Row			r = {td->tg_trigtuple, RelationGetDescr(td->tg_relation)};
	Changes		ch = {0};
	Member		m;
	int64		pond_id;
	char	   *status = get_text(&r, "status");
	char	   *found_level = get_text(&r, "found_level");
	const char *level;
	DateADT		d;
	bool		isnull;

	member_get(&m);
	get_int8(&r, "pond_id", &pond_id);
	if (status_of(status) != HS_OPEN)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a hazard is recorded open, not %s", status ? status : "null"),
				 errdetail("%s", MOVES),
				 errhint("Insert it open (the default), then move it.")));
	if (get_date(&r, "rectified_on", &d))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("an open hazard has no rectified_on"),
				 errdetail("%s %s", MOVES, moves_from[HS_OPEN]),
				 errhint("rectified_on is given when the hazard moves to rectified.")));
	if (is_level(&m, "enterprise") && found_level != NULL && strcmp(found_level, "enterprise") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("an enterprise records the hazards its self-checks find (found_level enterprise), not %s", found_level),
				 errhint("A county, city or province records what it finds itself.")));
	level = member_level_for(&m, found_level, "a hazard");
	if (level != NULL && found_level == NULL)
		change(&ch, r.desc, "found_level", CStringGetTextDatum(level), false);
	(void) get(&r, "found_by", &isnull);
	if (isnull)
		change(&ch, r.desc, "found_by", CStringGetTextDatum(recorder(&m)), false);
	if (get_date(&r, "found_on", &d) && d > latest_day())
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a hazard of pond " INT64_FORMAT " cannot be found on %s, in the future", pond_id, date_text(d))));
	check_place(&r, pond_id, true, true, &ch, true);
	return apply_changes(r.tuple, r.desc, &ch);
}

static HeapTuple
hazard_update(TriggerData *td)
{
	TupleDesc	desc = RelationGetDescr(td->tg_relation);
	Row			old = {td->tg_trigtuple, desc};
	Row			new = {td->tg_newtuple, desc};
	Changes		ch = {0};
	Member		m;
	int64		id,
				pond_id,
				new_pond_id;
	HazardStatus from = status_of(get_text(&old, "status"));
	char	   *to_text = get_text(&new, "status");
	HazardStatus to = status_of(to_text);
	DateADT		old_rectified,
				new_rectified,
				d;
	bool		had_rectified = get_date(&old, "rectified_on", &old_rectified);
	bool		has_rectified = get_date(&new, "rectified_on", &new_rectified);
	Checks		c;

	get_int8(&old, "id", &id);
	get_int8(&old, "pond_id", &pond_id);
	get_int8(&new, "pond_id", &new_pond_id);
	if (new_pond_id != pond_id)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("hazard " INT64_FORMAT " stays with pond " INT64_FORMAT, id, pond_id),
				 errhint("A finding at another pond is a hazard of that pond.")));
	if (from == HS_UNKNOWN)
		elog(ERROR, "tailings: hazard " INT64_FORMAT " has no valid status", id);
	if (from == HS_CLOSED)
	{
		/* final; only the removal of its element reaches it */
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);
			int64		element_id;

			if (att->attisdropped || !changed(&old, &new, NameStr(att->attname)))
				continue;
			if (strcmp(NameStr(att->attname), "element_id") == 0 && !get_int8(&new, "element_id", &element_id))
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " is closed", id),
					 errdetail("%s %s", MOVES, moves_from[HS_CLOSED])));
		}
		return new.tuple;
	}

	member_get(&m);
	member_columns(&m, &old, &new, id);
	if (from == HS_RECTIFIED && (changed(&old, &new, "rectification") || changed(&old, &new, "rectified_on")))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("hazard " INT64_FORMAT " awaits its check: its rectification stays as it is to be checked", id),
				 errdetail("%s %s", MOVES, moves_from[HS_RECTIFIED])));
	if (changed(&old, &new, "found_level"))
		(void) member_level_for(&m, get_text(&new, "found_level"), "a hazard");
	if (changed(&old, &new, "found_on") && get_date(&new, "found_on", &d) && d > latest_day())
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("hazard " INT64_FORMAT " cannot be found on %s, in the future", id, date_text(d))));
	check_place(&new, pond_id, changed(&old, &new, "element_id"), changed(&old, &new, "location"), &ch, false);

	if (from == to)
	{
		if (has_rectified && from != HS_RECTIFIED)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " is %s: rectified_on is given when it moves to rectified",
							id, status_names[from]),
					 errdetail("%s %s", MOVES, moves_from[from])));
		return apply_changes(new.tuple, desc, &ch);
	}

	if (from == HS_OPEN && to == HS_RECTIFYING)
	{
		require_enterprise(&m, id, pond_id, "rectifying");
		if (has_rectified)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " moves to rectifying: rectified_on is given when it moves to rectified", id),
					 errdetail("%s %s", MOVES, moves_from[HS_RECTIFYING])));
	}
	else if (from == HS_RECTIFYING && to == HS_RECTIFIED)
	{
		bool		isnull;
		DateADT		found_on;

		require_enterprise(&m, id, pond_id, "rectified");
		(void) get(&new, "rectification", &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " moves to rectified with its rectification: what was done", id),
					 errdetail("%s %s", MOVES, moves_from[HS_RECTIFYING])));
		if (!has_rectified)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " moves to rectified with rectified_on: the day the rectification was finished", id),
					 errdetail("%s %s", MOVES, moves_from[HS_RECTIFYING])));
		if (new_rectified > latest_day())
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " cannot be rectified on %s, in the future", id, date_text(new_rectified))));
		if (get_date(&new, "found_on", &found_on) && new_rectified < found_on)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " cannot be rectified on %s, before it was found (%s)",
							id, date_text(new_rectified), date_text(found_on))));
		checks_since(id, false, 0, &c);
		if (c.any && new_rectified < c.last)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " cannot be rectified on %s, before its latest check (%s)",
							id, date_text(new_rectified), date_text(c.last)),
					 errhint("The rectification after a failed check is finished after that check.")));
	}
	else if (from == HS_RECTIFIED && to == HS_CLOSED)
	{
		checks_since(id, had_rectified, old_rectified, &c);
		if (!c.passed)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " closes only with a passed check by a county or higher level "
							"dated on or after %s, when it was rectified", id, had_rectified ? date_text(old_rectified) : "null"),
					 errdetail("%s %s", MOVES, moves_from[HS_RECTIFIED]),
					 errhint("INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES (" INT64_FORMAT
							 ", true, ...) records a passed check, which closes it.", id)));
	}
	else if (from == HS_RECTIFIED && to == HS_RECTIFYING)
	{
		checks_since(id, had_rectified, old_rectified, &c);
		if (!c.failed)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("hazard " INT64_FORMAT " returns to rectifying only when a check of its rectification fails", id),
					 errdetail("%s %s", MOVES, moves_from[HS_RECTIFIED]),
					 errhint("INSERT INTO tailings.hazard_check (hazard_id, passed, note) VALUES (" INT64_FORMAT
							 ", false, 'what is wrong') records a failed check, which returns it.", id)));
		/* the rectification is being redone: finished on a day to come */
		change(&ch, desc, "rectified_on", (Datum) 0, true);
	}
	else
		refuse_move(id, from, to_text);
	return apply_changes(new.tuple, desc, &ch);
}

PG_FUNCTION_INFO_V1(tl_hazard_guard);
Datum
tl_hazard_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	HeapTuple	result;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event)
		|| TRIGGER_FIRED_BY_DELETE(td->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings._hazard_guard() must be a BEFORE INSERT OR UPDATE ... FOR EACH ROW trigger")));
	if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && restoring())
		return PointerGetDatum(td->tg_trigtuple);
	trigger_cxt = CurrentMemoryContext;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	result = TRIGGER_FIRED_BY_INSERT(td->tg_event) ? hazard_insert(td) : hazard_update(td);
	/* the row as the caller's context holds it */
	result = SPI_copytuple(result);
	SPI_finish();
	return PointerGetDatum(result);
}

/*
 * Checks: inserted only.  The hazard is locked while its check is judged
 * and applied, so that two checks of one hazard take turns.
 */
PG_FUNCTION_INFO_V1(tl_hazard_check_guard);
Datum
tl_hazard_check_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Row			r;
	Changes		ch = {0};
	Member		m;
	int64		hazard_id,
				pond_id;
	char	   *level;
	HazardStatus status;
	bool		passed,
				isnull,
				has_found,
				has_rectified;
	DateADT		checked_on,
				found_on,
				rectified_on;
	HeapTuple	t;
	TupleDesc	d;
	HeapTuple	result;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings._hazard_check_guard() must be a BEFORE ... FOR EACH ROW trigger")));
	if (!TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a hazard check is kept as it was entered: nobody %s one",
						TRIGGER_FIRED_BY_UPDATE(td->tg_event) ? "changes" : "deletes"),
				 errdetail("Checks decided how their hazards moved; they stay as the record of it."),
				 errhint("A later check is a new row.")));
	if (restoring())
		return PointerGetDatum(td->tg_trigtuple);

	trigger_cxt = CurrentMemoryContext;
	r.tuple = td->tg_trigtuple;
	r.desc = RelationGetDescr(td->tg_relation);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	member_get(&m);
	if (m.level != NULL && !is_bureau(&m))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("checks are recorded by a county, city or province, not by a member at level %s", m.level),
				 errhint("An enterprise moves its hazard to rectified; a bureau checks it.")));
	level = get_text(&r, "level");
	if (level == NULL && m.level != NULL)
		change(&ch, r.desc, "level", CStringGetTextDatum(member_level_for(&m, NULL, "a check")), false);
	else
		(void) member_level_for(&m, level, "a check");
	(void) get(&r, "checked_by", &isnull);
	if (isnull)
		change(&ch, r.desc, "checked_by", CStringGetTextDatum(recorder(&m)), false);

	get_int8(&r, "hazard_id", &hazard_id);
	run_plan(keep_plan(&lock_plan,
					   "SELECT h.pond_id, h.status, h.found_on, h.rectified_on FROM tailings.hazard h"
					   " WHERE h.id OPERATOR(pg_catalog.=) $1 FOR NO KEY UPDATE",
					   1, (Oid[]) {INT8OID}),
			 (Datum[]) {Int64GetDatum(hazard_id)}, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("hazard " INT64_FORMAT " does not exist", hazard_id),
				 errhint("SELECT id, pond_id, status FROM tailings.hazard lists the hazards you can see.")));
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	pond_id = DatumGetInt64(SPI_getbinval(t, d, 1, &isnull));
	status = status_of(SPI_getvalue(t, d, 2));
	found_on = DatumGetDateADT(SPI_getbinval(t, d, 3, &isnull));
	has_found = !isnull;
	rectified_on = DatumGetDateADT(SPI_getbinval(t, d, 4, &isnull));
	has_rectified = !isnull;
	change(&ch, r.desc, "pond_id", Int64GetDatum(pond_id), false);

	passed = DatumGetBool(get(&r, "passed", &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a check of hazard " INT64_FORMAT " says whether it passed", hazard_id),
				 errhint("passed true closes a rectified hazard; false, with a note, returns it to rectifying.")));
	if (get_date(&r, "checked_on", &checked_on))
	{
		if (checked_on > latest_day())
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("a check of hazard " INT64_FORMAT " cannot be made on %s, in the future",
							hazard_id, date_text(checked_on))));
		if (has_found && checked_on < found_on)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("a check of hazard " INT64_FORMAT " cannot be made on %s, before it was found (%s)",
							hazard_id, date_text(checked_on), date_text(found_on))));
	}
	if (status == HS_CLOSED)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("hazard " INT64_FORMAT " is closed", hazard_id),
				 errdetail("%s %s", MOVES, moves_from[HS_CLOSED])));
	if (passed && status != HS_RECTIFIED)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("hazard " INT64_FORMAT " is %s: a check passes a rectification, and it has none to check yet",
						hazard_id, status < HS_UNKNOWN ? status_names[status] : "?"),
				 errdetail("%s %s", MOVES, status < HS_UNKNOWN ? moves_from[status] : ""),
				 errhint("Its enterprise moves it to rectified first; a failed check may be recorded at any time.")));
	if (status == HS_RECTIFIED && has_rectified && get_date(&r, "checked_on", &checked_on) && checked_on < rectified_on)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("a check of hazard " INT64_FORMAT " on %s comes before its rectification (%s)",
						hazard_id, date_text(checked_on), date_text(rectified_on)),
				 errhint("A check of a rectified hazard is dated on or after rectified_on.")));
	if (!passed)
	{
		char	   *note = get_text(&r, "note");
		bool		blank = true;

		for (const char *p = note; p != NULL && *p != '\0'; p++)
			blank &= (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r');
		if (blank)
			ereport(ERROR,
					(errcode(ERRCODE_CHECK_VIOLATION),
					 errmsg("a failed check of hazard " INT64_FORMAT " says what is wrong in its note", hazard_id)));
	}
	result = SPI_copytuple(apply_changes(r.tuple, r.desc, &ch));
	SPI_finish();
	return PointerGetDatum(result);
}

PG_FUNCTION_INFO_V1(tl_hazard_check_apply);
Datum
tl_hazard_check_apply(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Row			r;
	int64		hazard_id;
	bool		passed,
				isnull;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event)
		|| !TRIGGER_FIRED_BY_INSERT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings._hazard_check_apply() must be an AFTER INSERT ... FOR EACH ROW trigger")));
	if (restoring())
		return PointerGetDatum(NULL);
	trigger_cxt = CurrentMemoryContext;
	r.tuple = td->tg_trigtuple;
	r.desc = RelationGetDescr(td->tg_relation);
	get_int8(&r, "hazard_id", &hazard_id);
	passed = DatumGetBool(get(&r, "passed", &isnull));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	run_plan(keep_plan(&status_plan,
					   "SELECT h.status FROM tailings.hazard h WHERE h.id OPERATOR(pg_catalog.=) $1",
					   1, (Oid[]) {INT8OID}),
			 (Datum[]) {Int64GetDatum(hazard_id)}, NULL, false, SPI_OK_SELECT);
	if (SPI_processed > 0 && status_of(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)) == HS_RECTIFIED)
	{
		/* as the checker: the hazard's own trigger judges the move */
		run_plan(keep_plan(&move_plan,
						   "UPDATE tailings.hazard SET status = $2 WHERE id OPERATOR(pg_catalog.=) $1",
						   2, (Oid[]) {INT8OID, TEXTOID}),
				 (Datum[]) {Int64GetDatum(hazard_id), CStringGetTextDatum(passed ? "closed" : "rectifying")},
				 NULL, false, SPI_OK_UPDATE);
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the check could not move hazard " INT64_FORMAT, hazard_id),
					 errdetail("Row-level security does not let %s update it.", GetUserNameFromId(GetUserId(), false))));
	}
	SPI_finish();
	return PointerGetDatum(NULL);
}
