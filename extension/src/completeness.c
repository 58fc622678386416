/*
 * completeness.c - the completeness check of a pond against the template.
 *
 *   check_completeness(pond_id)  one row per applicable rule
 *   completeness(pond_id)        share of applicable error rules passed
 *   _pond_summary(pond_id)       score and failed-rule counts (tile(); the kept
 *                                summary when it holds, else computed)
 *   _pond_summary_computed(pond_id)
 *                                the same computed now, with the days it holds
 *   _pond_summary_invalidate(), _pond_summary_refresh()
 *                                the triggers that keep tailings.pond_summary
 *                                (below, "Summaries kept current")
 *   _check_elements(pond_id, elements)
 *                                check_completeness's rows for the pond as if
 *                                its elements were the given ones (a drawing
 *                                under review: check_submission), read from
 *                                the array instead of tailings.element; nothing
 *                                is written
 *
 * Count rules come from tailings.requirement (enabled, for the pond's status
 * and supervision level; several kinds count together).  Placement rules are
 * built in and are warnings, one row each in placement_rules[]: directed
 * leachate lines end at a leachate sink, groundwater wells sit upstream or
 * downstream along the recorded flow azimuth (the kinds' placement roles in
 * the catalog say which is which), elements lie within 5 km of the pond,
 * are ground-verified, and carry their kind's required attributes.  File
 * rules, built in too, one row each in file_rules[], read the pond's file:
 * the annual ledger, its stock, the emergency plan and the discharge permit
 * (warnings) and its open major hazards (an error).
 * Messages follow tailings.language.
 *
 * The queries are prepared once per session and kept; the plan cache
 * replans them when the tables change.
 */
#include "tailings.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#define PIPE_END_TOLERANCE_M 30.0
#define MAX_DISTANCE_M 5000.0
#define MAX_LISTED 5			/* elements named in one message */

typedef struct CheckRow
{
	const char *rule;
	int16		category;		/* 0: no single category */
	int			required;
	int			present;
	bool		passed;
	bool		error;			/* severity error (else warning) */
	char	   *message;
} CheckRow;

typedef struct CheckResult
{
	CheckRow   *rows;
	int			nrows;
	int			maxrows;
} CheckResult;

/*
 * The days on which a check's outcome holds: [from, until).  Most rules do not
 * depend on the day; the file rules do (the ledger due, a plan reviewed
 * within three years, papers that expire or are issued later).  A kept
 * summary (tailings.pond_summary) is good for the days of its window only.
 */
typedef struct Window
{
	DateADT		from;
	DateADT		until;			/* exclusive */
} Window;

static SPIPlanPtr pond_plan = NULL;
static SPIPlanPtr counts_plan = NULL;
static SPIPlanPtr rules_plan = NULL;
static SPIPlanPtr placement_plan = NULL;

/* plans kept for the session (tailings.c): generic plans: the pond differs every call */
#define keep_plan(slot, sql, nargs, ...) tl_keep_plan(slot, sql, nargs, __VA_ARGS__, CURSOR_OPT_GENERIC_PLAN)

static CheckRow *
add_row(CheckResult *res)
{
	if (res->nrows == res->maxrows)
	{
		res->maxrows = res->maxrows ? res->maxrows * 2 : 32;
		res->rows = res->rows ? repalloc(res->rows, res->maxrows * sizeof(CheckRow))
			: palloc(res->maxrows * sizeof(CheckRow));
	}
	memset(&res->rows[res->nrows], 0, sizeof(CheckRow));
	return &res->rows[res->nrows++];
}

/* kinds in words: "A、B或C" / "A, B or C" */
static void
append_kind_list(StringInfo buf, const int16 *kinds, int n, bool en)
{
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, i == n - 1 ? (en ? " or " : "或") : (en ? ", " : "、"));
		appendStringInfoString(buf, tl_cstring(tl_kind_label(tl_kind_of_datum(kinds[i]), en)));
	}
}

/*
 * an element in a message: 地下水本底井「JC1」 / Groundwater background well "JC1";
 * unnamed: its id, or for a new element of a drawing (no id yet) its feature:
 * 渗滤液收集池（features[3]） / Leachate collection pool (features[3])
 */
static void
append_element(StringInfo buf, int16 kind, const char *name, bool has_id, int64 id,
			   int feature_index, bool en)
{
	appendStringInfoString(buf, tl_cstring(tl_kind_label(tl_kind_of_datum(kind), en)));
	if (name != NULL)
		appendStringInfo(buf, en ? " \"%s\"" : "「%s」", name);
	else if (has_id || feature_index < 0)
		appendStringInfo(buf, " #" INT64_FORMAT, id);
	else
		appendStringInfo(buf, en ? " (features[%d])" : "（features[%d]）", feature_index);
}


static int
kind_index(int16 kind)
{
	(void) tl_kind_of_datum(kind);	/* error on a corrupt value */
	return tl_kind_index(kind);
}

/*
 * The elements a check reads: the pond's rows in tailings.element, or (a
 * drawing) an array of tailings.element rows, whose type is given.
 */
typedef struct CheckElements
{
	bool		given;
	Datum		array;
	Oid			array_type;
} CheckElements;

/* how many elements of each kind the pond has (or the drawing draws) */
static void
count_elements(int *counts, int64 pond_id, const CheckElements *elements)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(pond_id)};
	int			ret;

	memset(counts, 0, sizeof(int) * TL_N_KINDS);
	if (elements->given)
		/* a drawing is checked once, rarely: no plan kept (its array type is the database's) */
	{
		Oid			array_type = elements->array_type;
		Datum		array = elements->array;

		ret = SPI_execute_with_args("SELECT e.kind, count(*)::int4 FROM pg_catalog.unnest($1) e GROUP BY e.kind",
									1, &array_type, &array, NULL, true, 0);
	}
	else
	{
		keep_plan(&counts_plan,
				  "SELECT kind, count(*)::int4 FROM tailings.element WHERE pond_id = $1 GROUP BY kind",
				  1, argtypes);
		ret = SPI_execute_plan(counts_plan, values, NULL, true, 0);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "tailings: counting elements failed");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int16		kind = DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		int			count = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

		counts[kind_index(kind)] = count;
	}
}

/* the count rules of the template */
static void
check_counts(CheckResult *res, const int *counts, Datum status, int16 level, bool en)
{
	uint64		n;

	keep_plan(&rules_plan,
				  "SELECT name, category, kinds, min_count, severity = 'error',"
				  " CASE WHEN $3 THEN description_en ELSE description_zh END"
				  " FROM tailings.requirement"
				  " WHERE enabled AND $1::tailings.pond_status = ANY (statuses) AND $2 = ANY (levels)"
				  " ORDER BY id",
				  3, (Oid[]) {TEXTOID, INT2OID, BOOLOID});
	if (SPI_execute_plan(rules_plan, (Datum[]) {status, Int16GetDatum(level), BoolGetDatum(en)},
						 NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading the template failed");
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		CheckRow   *row = add_row(res);
		ArrayType  *arr = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 3, &isnull));
		Datum	   *elems;
		int			nelems;
		int16	   *kinds;
		char	   *desc_text = SPI_getvalue(tup, desc, 6);
		StringInfoData msg;

		row->rule = SPI_getvalue(tup, desc, 1);
		row->category = DatumGetInt16(SPI_getbinval(tup, desc, 2, &isnull));
		row->required = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		row->error = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
		deconstruct_array(arr, ARR_ELEMTYPE(arr), 2, true, TYPALIGN_SHORT, &elems, NULL, &nelems);
		kinds = palloc(sizeof(int16) * Max(nelems, 1));
		for (int k = 0; k < nelems; k++)
		{
			kinds[k] = DatumGetInt16(elems[k]);
			row->present += counts[kind_index(kinds[k])];
		}
		row->passed = row->present >= row->required;

		initStringInfo(&msg);
		if (row->passed)
		{
			if (en)
				appendStringInfo(&msg, "%d drawn: ", row->present);
			else
				appendStringInfo(&msg, "已标绘%d处：", row->present);
			append_kind_list(&msg, kinds, nelems, en);
			appendStringInfo(&msg, en ? " (at least %d required)" : "（要求至少%d处）", row->required);
		}
		else
		{
			appendStringInfoString(&msg, en ? "Missing " : "缺少");
			append_kind_list(&msg, kinds, nelems, en);
			appendStringInfo(&msg, en ? ": at least %d required, %d drawn" : "：要求至少%d处，现有%d处",
							 row->required, row->present);
			if (desc_text != NULL)
				appendStringInfo(&msg, en ? ". %s" : "。%s", desc_text);
		}
		row->message = msg.data;
	}
}

/* smallest difference between two bearings, in degrees [0, 180] */
static double
bearing_diff(double a, double b)
{
	double		d = fmod(fabs(a - b), 360.0);

	return d > 180.0 ? 360.0 - d : d;
}


/*
 * A placement rule's tally over the pond's elements: how many it applies to,
 * how many pass, and the first MAX_LISTED failures described.
 */
typedef struct Tally
{
	int			total;
	int			ok;
	int			failed;
	StringInfoData detail;
} Tally;

/*
 * Count one element.  Returns true when it fails and is among those to be
 * described: the caller then appends its description to t->detail.
 */
static bool
tally(Tally *t, bool ok, const char *sep)
{
	if (t->detail.data == NULL)
		initStringInfo(&t->detail);
	t->total++;
	if (ok)
	{
		t->ok++;
		return false;
	}
	if (t->failed++ >= MAX_LISTED)
		return false;
	if (t->failed > 1)
		appendStringInfoString(&t->detail, sep);
	return true;
}

/* the failures described, and how many more there are */
static char *
tally_list(Tally *t, bool en)
{
	if (t->failed <= MAX_LISTED)
		return t->detail.data;
	return psprintf(en ? "%s (and %d more)" : "%s（另有%d处）", t->detail.data, t->failed - MAX_LISTED);
}

static void
add_tally_row(CheckResult *res, const char *rule, int16 category, Tally *t,
			  char *if_passed, char *if_failed)
{
	CheckRow   *row = add_row(res);

	row->rule = rule;
	row->category = category;
	row->required = t->total;
	row->present = t->ok;
	row->passed = t->ok == t->total;
	row->message = row->passed ? if_passed : if_failed;
}

/*
 * The columns of tailings._element_placement() that the placement rules
 * read, by name: X(slot, column).  Their positions are looked up once per
 * check, so the function's columns may be reordered or added to.
 */
#define PLACEMENT_COLUMNS(X) \
	X(PC_ID, "id") \
	X(PC_KIND, "kind") \
	X(PC_NAME, "name") \
	X(PC_VERIFIED, "verified") \
	X(PC_ATTRS_OK, "attrs_ok") \
	X(PC_DIST_M, "dist_m") \
	X(PC_BEARING, "bearing") \
	X(PC_LEACHATE_LINE, "leachate_line") \
	X(PC_END_M, "end_m") \
	X(PC_START_M, "start_m") \
	X(PC_FEATURE_INDEX, "feature_index")

typedef enum PlacementColumn
{
#define PLACEMENT_COLUMN_ENUM(slot, column) slot,
	PLACEMENT_COLUMNS(PLACEMENT_COLUMN_ENUM)
#undef PLACEMENT_COLUMN_ENUM
	PC_NCOLS
} PlacementColumn;

/* one element's placement, as _element_placement() gives it */
typedef struct Placement
{
	bool		has_id;			/* false: a new element of a drawing */
	int64		id;
	int			feature_index;	/* its feature in the drawing; -1 when not a drawing */
	const TlKind *kind;
	char	   *name;			/* NULL when unnamed */
	bool		verified;
	bool		attrs_ok;
	double		dist_m;			/* from the pond */
	bool		no_bearing;		/* bearing: from the pond, wells only */
	double		bearing;
	bool		leachate_line;	/* a directed leachate line (placement role) */
	bool		no_target;		/* no leachate sink to end at */
	double		end_m;			/* its end's and start's distance to the nearest sink */
	double		start_m;
} Placement;

/* what the rules know of the pond */
typedef struct PlacementPond
{
	bool		has_azimuth;	/* groundwater flow azimuth recorded */
	double		azimuth;
	bool		en;
} PlacementPond;

/*
 * A built-in placement rule (a warning): which elements it applies to,
 * whether one passes, the words for a failing one (after its kind and name),
 * and the row's message when all pass and when some fail.
 */
typedef struct PlacementRule
{
	const char *rule;
	int16		category;		/* 0: no single category */
	bool		(*applies) (const Placement *e, const PlacementPond *p);
	bool		(*passes) (const Placement *e, const PlacementPond *p);
	void		(*why) (StringInfo buf, const Placement *e, const PlacementPond *p);
	char	   *(*all_passed) (const Tally *t, const PlacementPond *p);
	char	   *(*some_failed) (Tally *t, const PlacementPond *p);
	bool		short_list;		/* failures listed with commas, not semicolons */
} PlacementRule;

/* leachate_flow: a directed leachate line ends, as drawn, at a leachate sink */
static bool
leachate_line(const Placement *e, const PlacementPond *p)
{
	return e->leachate_line;
}

static bool
ends_at_sink(const Placement *e, const PlacementPond *p)
{
	return !e->no_target && e->end_m <= PIPE_END_TOLERANCE_M;
}

static void
why_not_at_sink(StringInfo buf, const Placement *e, const PlacementPond *p)
{
	bool		en = p->en;

	if (e->no_target)
	{
		appendStringInfoString(buf, en ? " has no leachate pool or pump to end at"
							   : "无可接入的渗滤液收集池或回抽泵站");
		return;
	}
	appendStringInfo(buf, en ? " ends %.0f m from the nearest leachate pool or pump (at most %.0f m)"
					 : "终点距最近的渗滤液收集池或回抽泵站%.0f米（应不超过%.0f米）",
					 e->end_m, PIPE_END_TOLERANCE_M);
	if (e->start_m <= PIPE_END_TOLERANCE_M)
		appendStringInfoString(buf, en ? ", and starts at one: probably drawn against the flow"
							   : "，起点却在池旁，疑为逆流向绘制");
}

static char *
lines_passed(const Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "All %d leachate pipes and ditches end at a leachate pool or pump"
					: "%d条渗滤液收集管（沟）均按流向接入收集池或回抽泵站", t->total);
}

/* gw_background_upstream, gw_monitoring_downstream: wells on the right side of the flow */
static bool
upstream_well(const Placement *e, const PlacementPond *p)
{
	return p->has_azimuth && !e->no_bearing && e->kind->role == TL_ROLE_upstream_well;
}

static bool
downstream_well(const Placement *e, const PlacementPond *p)
{
	return p->has_azimuth && !e->no_bearing && e->kind->role == TL_ROLE_downstream_well;
}

static bool
lies_upstream(const Placement *e, const PlacementPond *p)
{
	return bearing_diff(e->bearing, p->azimuth + 180.0) < 90.0;
}

static bool
lies_downstream(const Placement *e, const PlacementPond *p)
{
	return bearing_diff(e->bearing, p->azimuth) < 90.0;
}

static void
why_not_upstream(StringInfo buf, const Placement *e, const PlacementPond *p)
{
	appendStringInfo(buf, p->en ? " lies at bearing %.0f° from the pond, not upstream (groundwater flows towards %.0f°)"
					 : "位于尾矿库方位%.0f°，不在上游（地下水流向%.0f°）", e->bearing, p->azimuth);
}

static void
why_not_downstream(StringInfo buf, const Placement *e, const PlacementPond *p)
{
	appendStringInfo(buf, p->en ? " lies at bearing %.0f° from the pond, not downstream (groundwater flows towards %.0f°)"
					 : "位于尾矿库方位%.0f°，不在下游（地下水流向%.0f°）", e->bearing, p->azimuth);
}

static char *
upstream_passed(const Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "The background wells lie upstream (groundwater flows towards %.0f°)"
					: "本底井均位于地下水流向上游（流向%.0f°）", p->azimuth);
}

static char *
downstream_passed(const Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "The monitoring wells lie downstream (groundwater flows towards %.0f°)"
					: "监视井均位于地下水流向下游（流向%.0f°）", p->azimuth);
}

/* within_5km, ground_verified: every element */
static bool
any_element(const Placement *e, const PlacementPond *p)
{
	return true;
}

static bool
near_pond(const Placement *e, const PlacementPond *p)
{
	return e->dist_m <= MAX_DISTANCE_M;
}

static void
why_far(StringInfo buf, const Placement *e, const PlacementPond *p)
{
	appendStringInfo(buf, p->en ? " is %.1f km from the pond" : "距尾矿库%.1f公里", e->dist_m / 1000.0);
}

static char *
near_passed(const Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "All %d elements lie within 5 km of the pond" : "%d个要素均位于尾矿库5公里范围内",
					t->total);
}

static char *
near_failed(Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "%s: check for swapped latitude and longitude or an element of another pond"
					: "%s：请核查是否经纬度颠倒或属于其他尾矿库", tally_list(t, p->en));
}

static bool
is_verified(const Placement *e, const PlacementPond *p)
{
	return e->verified;
}

static char *
verified_passed(const Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "All %d elements are ground-verified" : "%d个要素均已实地校核", t->total);
}

static char *
verified_failed(Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "%d of %d elements not ground-verified: %s" : "%d/%d个要素未经实地校核：%s",
					t->failed, t->total, tally_list(t, p->en));
}

/* required_attrs: pools, tanks and wells carry their kind's required attributes */
static bool
has_required_attrs(const Placement *e, const PlacementPond *p)
{
	return e->kind->required_attrs[0] != '\0';
}

static bool
attrs_present(const Placement *e, const PlacementPond *p)
{
	return e->attrs_ok;
}

static void
why_attrs(StringInfo buf, const Placement *e, const PlacementPond *p)
{
	appendStringInfo(buf, p->en ? " lacks %s" : "缺少属性 %s", e->kind->required_attrs);
}

static char *
attrs_passed(const Tally *t, const PlacementPond *p)
{
	return psprintf(p->en ? "All %d pools, tanks and wells carry their volume or depth"
					: "%d处池、罐、井均已填写容积或井深", t->total);
}

/* the failures listed */
static char *
failures_listed(Tally *t, const PlacementPond *p)
{
	return tally_list(t, p->en);
}

/* The rules, in the order of their rows.  A rule gives a row when it applies to an element. */
static const PlacementRule placement_rules[] = {
	{"leachate_flow", TL_CATEGORY_ID_leachate, leachate_line, ends_at_sink, why_not_at_sink,
	lines_passed, failures_listed},
	{"gw_background_upstream", TL_CATEGORY_ID_groundwater, upstream_well, lies_upstream, why_not_upstream,
	upstream_passed, failures_listed},
	{"gw_monitoring_downstream", TL_CATEGORY_ID_groundwater, downstream_well, lies_downstream,
	why_not_downstream, downstream_passed, failures_listed},
	{"within_5km", 0, any_element, near_pond, why_far, near_passed, near_failed},
	{"ground_verified", 0, any_element, is_verified, NULL, verified_passed, verified_failed, true},
	{"required_attrs", 0, has_required_attrs, attrs_present, why_attrs, attrs_passed, failures_listed},
};
#define N_PLACEMENT_RULES lengthof(placement_rules)

/* the attribute numbers of _element_placement()'s columns, by slot */
static void
placement_columns(TupleDesc desc, int *fno)
{
	static const char *const names[PC_NCOLS] = {
#define PLACEMENT_COLUMN_NAME(slot, column) [slot] = column,
		PLACEMENT_COLUMNS(PLACEMENT_COLUMN_NAME)
#undef PLACEMENT_COLUMN_NAME
	};

	for (int i = 0; i < PC_NCOLS; i++)
	{
		fno[i] = SPI_fnumber(desc, names[i]);
		/* a database not yet updated to 0.6.0 calls the column "directed" */
		if (fno[i] <= 0 && i == PC_LEACHATE_LINE)
			fno[i] = SPI_fnumber(desc, "directed");
		/* only a drawing's elements have feature indexes */
		if (fno[i] <= 0 && i == PC_FEATURE_INDEX)
			continue;
		if (fno[i] <= 0)
			elog(ERROR, "tailings: tailings._element_placement() has no column \"%s\"", names[i]);
	}
}

static void
placement_read(HeapTuple tup, TupleDesc desc, const int *fno, Placement *e)
{
	bool		isnull;
	Datum		d;

	d = SPI_getbinval(tup, desc, fno[PC_ID], &isnull);
	e->has_id = !isnull;
	e->id = isnull ? 0 : DatumGetInt64(d);
	e->feature_index = -1;
	if (fno[PC_FEATURE_INDEX] > 0)
	{
		d = SPI_getbinval(tup, desc, fno[PC_FEATURE_INDEX], &isnull);
		if (!isnull)
			e->feature_index = DatumGetInt32(d);
	}
	e->kind = tl_kind_of_datum(DatumGetInt16(SPI_getbinval(tup, desc, fno[PC_KIND], &isnull)));
	e->name = SPI_getvalue(tup, desc, fno[PC_NAME]);
	e->verified = DatumGetBool(SPI_getbinval(tup, desc, fno[PC_VERIFIED], &isnull));
	e->attrs_ok = DatumGetBool(SPI_getbinval(tup, desc, fno[PC_ATTRS_OK], &isnull));
	e->dist_m = DatumGetFloat8(SPI_getbinval(tup, desc, fno[PC_DIST_M], &isnull));
	d = SPI_getbinval(tup, desc, fno[PC_BEARING], &e->no_bearing);
	e->bearing = e->no_bearing ? 0 : DatumGetFloat8(d);
	e->leachate_line = DatumGetBool(SPI_getbinval(tup, desc, fno[PC_LEACHATE_LINE], &isnull));
	d = SPI_getbinval(tup, desc, fno[PC_END_M], &e->no_target);
	e->end_m = e->no_target ? 0 : DatumGetFloat8(d);
	d = SPI_getbinval(tup, desc, fno[PC_START_M], &isnull);
	e->start_m = isnull ? 0 : DatumGetFloat8(d);
}

/* count one element in each placement rule that applies to it */
static void
placement_tally(Tally *tallies, const Placement *e, const PlacementPond *p)
{
	for (int r = 0; r < N_PLACEMENT_RULES; r++)
	{
		const PlacementRule *rule = &placement_rules[r];
		const char *sep = rule->short_list ? (p->en ? ", " : "、") : (p->en ? "; " : "；");

		if (!rule->applies(e, p) || !tally(&tallies[r], rule->passes(e, p), sep))
			continue;
		append_element(&tallies[r].detail, e->kind->id, e->name, e->has_id, e->id, e->feature_index, p->en);
		if (rule->why)
			rule->why(&tallies[r].detail, e, p);
	}
}

/* the built-in placement rules (warnings): a row per rule that applied */
static void
check_placement(CheckResult *res, int64 pond_id, const CheckElements *elements, const PlacementPond *p)
{
	Oid			argtypes[2] = {INT8OID, elements->array_type};
	Datum		values[2] = {Int64GetDatum(pond_id), elements->array};
	int			fno[PC_NCOLS];
	Tally		tallies[N_PLACEMENT_RULES];
	int			ret;

	if (elements->given)
		ret = SPI_execute_with_args("SELECT * FROM tailings._element_placement($1, $2)",
									2, argtypes, values, NULL, true, 0);
	else
	{
		keep_plan(&placement_plan, "SELECT * FROM tailings._element_placement($1)", 1, argtypes);
		ret = SPI_execute_plan(placement_plan, values, NULL, true, 0);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading element placement failed");
	placement_columns(SPI_tuptable->tupdesc, fno);

	memset(tallies, 0, sizeof(tallies));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Placement	e;

		CHECK_FOR_INTERRUPTS();
		placement_read(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, fno, &e);
		placement_tally(tallies, &e, p);
	}
	for (int r = 0; r < N_PLACEMENT_RULES; r++)
	{
		const PlacementRule *rule = &placement_rules[r];
		Tally	   *t = &tallies[r];

		if (t->total > 0)
			add_tally_row(res, rule->rule, rule->category, t, rule->all_passed(t, p), rule->some_failed(t, p));
	}
}

/*
 * The file rules (一库一档): what the pond's file says, beside its map.  Built
 * in, one row each in file_rules[], in that order, when they apply:
 *
 *   ledger_reported   (warning) every pond: the ledger of the year before is
 *                     reported by 31 January (办法 Art. 7); in January, the
 *                     one due the January before
 *   ledger_balance    (warning) a pond with two years of stock: each year's
 *                     stock agrees with the year before's + stored - reused
 *                     (view ledger_balance: 1%, at least 100 t)
 *   emergency_plan    (warning) a pond in use or suspended: an emergency plan
 *                     on file, reviewed or revised within three years and not
 *                     expired (办法 Art. 22)
 *   discharge_permit  (warning) a pond with a discharge outlet on its map (or
 *                     the drawing's): a discharge permit in force
 *   major_hazard      (error) a pond with a major hazard not closed: fails,
 *                     which lowers the score, until every one is closed
 *
 * The facts come from tailings._pond_file_facts() in one query, read as the
 * caller; a database not yet updated to 0.8.0 has no file and no file rules.
 */
typedef struct PondFile
{
	int64		pond_id;
	bool		en;
	bool		messages;		/* false: the counts only (a score, a summary) */
	bool		operating;		/* in use or suspended */
	int			outlets;		/* discharge outlets on the map */
	DateADT		today;
	int			ledger_year;	/* the ledger due */
	DateADT		ledger_due;
	bool		ledger_found;
	DateADT		ledger_reported_on;
	int			balance_years;	/* years compared with the year before */
	int			balance_off;	/* ... that disagree */
	bool		plan_found;
	char	   *plan_number;	/* NULL: none given */
	bool		plan_dated;
	DateADT		plan_reviewed_on;
	bool		plan_expires;
	DateADT		plan_valid_until;
	bool		permit_found;
	char	   *permit_number;
	bool		permit_expires;
	DateADT		permit_valid_until;
	int			major_hazards;
	int			major_open;
} PondFile;

typedef struct FileRule
{
	const char *rule;
	int16		category;		/* 0: none */
	bool		error;
	bool		(*applies) (const PondFile *f);
	/* required, present, passed and the message */
	void		(*judge) (const PondFile *f, CheckRow *row);
} FileRule;

static SPIPlanPtr facts_plan = NULL;
static SPIPlanPtr ledger_off_plan = NULL;
static SPIPlanPtr hazards_plan = NULL;

/* a date as YYYY-MM-DD, whatever DateStyle says */
static char *
iso_date(DateADT d)
{
	int			y,
				m,
				day;

	if (DATE_NOT_FINITE(d))
		return pstrdup(DATE_IS_NOBEGIN(d) ? "-infinity" : "infinity");
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

/* the same day n years before (29 February: the 28th) */
static DateADT
years_before(DateADT d, int n)
{
	int			y,
				m,
				day;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	if (m == 2 && day == 29)
		day = 28;
	return date2j(y - n, m, day) - POSTGRES_EPOCH_JDATE;
}

/* a paper's number in a message: （编号X） / " (no. X)"; nothing when none is given */
static char *
paper_number(const char *number, const char *zh_word, bool en)
{
	if (number == NULL)
		return "";
	return en ? psprintf(" (no. %s)", number) : psprintf("（%s%s）", zh_word, number);
}

static bool
every_pond(const PondFile *f)
{
	return true;
}

static void
judge_ledger_reported(const PondFile *f, CheckRow *row)
{
	char	   *due = iso_date(f->ledger_due);

	row->required = 1;
	row->passed = f->ledger_found && f->ledger_reported_on <= f->ledger_due;
	row->present = row->passed;
	if (!f->ledger_found)
		row->message = f->en
			? psprintf("The %d tailings ledger has not been reported (due by %s; MEE Order No. 26, "
					   "Measures on Tailings Pollution, Art. 7)", f->ledger_year, due)
			: psprintf("未报送%d年度尾矿台账（应于%s前报送，办法 第7条）", f->ledger_year, due);
	else if (!row->passed)
		row->message = f->en
			? psprintf("The %d tailings ledger was reported on %s, after the deadline of %s (MEE Order No. 26, "
					   "Measures on Tailings Pollution, Art. 7)", f->ledger_year, iso_date(f->ledger_reported_on), due)
			: psprintf("%d年度尾矿台账于%s报送，晚于%s的期限（办法 第7条）", f->ledger_year,
					   iso_date(f->ledger_reported_on), due);
	else
		row->message = f->en
			? psprintf("The %d tailings ledger was reported on %s (due by %s)", f->ledger_year,
					   iso_date(f->ledger_reported_on), due)
			: psprintf("%d年度尾矿台账已于%s报送（应于%s前报送）", f->ledger_year, iso_date(f->ledger_reported_on), due);
}

static bool
has_balance(const PondFile *f)
{
	return f->balance_years > 0;
}

static void
judge_ledger_balance(const PondFile *f, CheckRow *row)
{
	StringInfoData msg;
	bool		en = f->en;
	uint64		n;

	row->required = f->balance_years;
	row->present = f->balance_years - f->balance_off;
	row->passed = f->balance_off == 0;
	if (!f->messages)
	{
		row->message = "";
		return;
	}
	if (row->passed)
	{
		row->message = en
			? psprintf("The stock of %d year%s agrees with the year before's stock + stored - reused "
					   "(within 1%%, at least 100 t)", f->balance_years, f->balance_years == 1 ? "" : "s")
			: psprintf("%d个年度的库存与上年库存加贮存量减综合利用量相符（误差不超过1%%，至少允许100吨）",
					   f->balance_years);
		return;
	}
	keep_plan(&ledger_off_plan,
			  "SELECT o.year, o.stock_t, o.expected_stock_t, o.difference_t, o.tolerance_t FROM tailings._ledger_off($1) o",
			  1, (Oid[]) {INT8OID});
	if (SPI_execute_plan(ledger_off_plan, (Datum[]) {Int64GetDatum(f->pond_id)}, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading the ledger failed");
	initStringInfo(&msg);
	appendStringInfoString(&msg, en ? "The stock disagrees with the year before's stock + stored - reused: "
						   : "库存与上年库存加贮存量减综合利用量不符：");
	n = SPI_processed;
	for (uint64 i = 0; i < n && i < MAX_LISTED; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;

		if (i > 0)
			appendStringInfoString(&msg, en ? "; " : "；");
		appendStringInfo(&msg, en ? "%s stock %s t, expected %s t, off by %s t (tolerance %s t)"
						 : "%s年度库存%s吨，应为%s吨，相差%s吨（允许误差%s吨）",
						 SPI_getvalue(t, d, 1), SPI_getvalue(t, d, 2), SPI_getvalue(t, d, 3),
						 SPI_getvalue(t, d, 4), SPI_getvalue(t, d, 5));
	}
	if (n > MAX_LISTED)
		appendStringInfo(&msg, en ? " (and %d more)" : "（另有%d个年度）", (int) (n - MAX_LISTED));
	row->message = msg.data;
}

static bool
operating(const PondFile *f)
{
	return f->operating;
}

static void
judge_emergency_plan(const PondFile *f, CheckRow *row)
{
	bool		en = f->en;
	char	   *no = paper_number(f->plan_number, "备案编号", en);

	row->required = 1;
	row->passed = f->plan_found && f->plan_dated && f->plan_reviewed_on >= years_before(f->today, 3)
		&& (!f->plan_expires || f->plan_valid_until >= f->today);
	row->present = row->passed;
	if (!f->plan_found)
		row->message = en
			? pstrdup("No emergency plan on file (MEE Order No. 26, Measures on Tailings Pollution, Art. 22)")
			: pstrdup("无突发环境事件应急预案备案（办法 第22条）");
	else if (f->plan_expires && f->plan_valid_until < f->today)
		row->message = en
			? psprintf("The emergency plan%s was valid until %s", no, iso_date(f->plan_valid_until))
			: psprintf("突发环境事件应急预案%s有效期至%s，已过期", no, iso_date(f->plan_valid_until));
	else if (!f->plan_dated)
		row->message = en
			? psprintf("The emergency plan%s has no date of issue or review", no)
			: psprintf("突发环境事件应急预案%s未填写发布或评估日期", no);
	else if (!row->passed)
		row->message = en
			? psprintf("The emergency plan%s was last reviewed or revised on %s, more than three years ago: review it",
					   no, iso_date(f->plan_reviewed_on))
			: psprintf("突发环境事件应急预案%s最近一次评估或修订为%s，已超过三年，应重新评估", no,
					   iso_date(f->plan_reviewed_on));
	else
		row->message = en
			? psprintf("Emergency plan on file%s, last reviewed or revised on %s", no, iso_date(f->plan_reviewed_on))
			: psprintf("突发环境事件应急预案已备案%s，最近一次评估或修订为%s", no, iso_date(f->plan_reviewed_on));
}

static bool
has_outlet(const PondFile *f)
{
	return f->outlets > 0;
}

static void
judge_discharge_permit(const PondFile *f, CheckRow *row)
{
	bool		en = f->en;
	char	   *no = paper_number(f->permit_number, "编号", en);
	char	   *outlets = en ? psprintf("%d discharge outlet%s drawn", f->outlets, f->outlets == 1 ? "" : "s")
		: psprintf("已标绘排放口%d处", f->outlets);

	row->required = 1;
	row->passed = f->permit_found && (!f->permit_expires || f->permit_valid_until >= f->today);
	row->present = row->passed;
	if (!f->permit_found)
		row->message = en ? psprintf("%s, but no discharge permit on file", outlets)
			: psprintf("%s，但无排污许可证", outlets);
	else if (!row->passed)
		row->message = en
			? psprintf("The discharge permit%s was valid until %s (%s)", no, iso_date(f->permit_valid_until), outlets)
			: psprintf("排污许可证%s有效期至%s，已过期（%s）", no, iso_date(f->permit_valid_until), outlets);
	else if (f->permit_expires)
		row->message = en ? psprintf("Discharge permit%s valid until %s", no, iso_date(f->permit_valid_until))
			: psprintf("排污许可证%s有效期至%s", no, iso_date(f->permit_valid_until));
	else
		row->message = en ? psprintf("Discharge permit%s on file, without expiry", no)
			: psprintf("排污许可证%s在案，长期有效", no);
}

static bool
major_hazard_open(const PondFile *f)
{
	return f->major_open > 0;
}

static void
judge_major_hazard(const PondFile *f, CheckRow *row)
{
	StringInfoData msg;
	bool		en = f->en;
	uint64		n;

	row->required = f->major_hazards;
	row->present = f->major_hazards - f->major_open;
	row->passed = false;
	if (!f->messages)
	{
		row->message = "";
		return;
	}
	keep_plan(&hazards_plan,
			  "SELECT h.id, h.description, h.status, h.deadline, h.overdue FROM tailings._major_hazards_open($1) h",
			  1, (Oid[]) {INT8OID});
	if (SPI_execute_plan(hazards_plan, (Datum[]) {Int64GetDatum(f->pond_id)}, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading the hazards failed");
	initStringInfo(&msg);
	if (en)
		appendStringInfo(&msg, "%d major hazard%s not closed: ", f->major_open, f->major_open == 1 ? "" : "s");
	else
		appendStringInfo(&msg, "%d处重大隐患未销号：", f->major_open);
	n = SPI_processed;
	for (uint64 i = 0; i < n && i < MAX_LISTED; i++)
	{
		HeapTuple	t = SPI_tuptable->vals[i];
		TupleDesc	d = SPI_tuptable->tupdesc;
		char	   *status = SPI_getvalue(t, d, 3);
		bool		no_deadline;
		bool		isnull;
		Datum		deadline = SPI_getbinval(t, d, 4, &no_deadline);
		bool		overdue = !no_deadline && DatumGetBool(SPI_getbinval(t, d, 5, &isnull));
		const char *state;

		if (strcmp(status, "open") == 0)
			state = en ? "open" : "待整改";
		else if (strcmp(status, "rectifying") == 0)
			state = en ? "rectifying" : "整改中";
		else
			state = en ? "rectified, awaiting a check" : "已整改待核查";
		if (i > 0)
			appendStringInfoString(&msg, en ? "; " : "；");
		appendStringInfo(&msg, en ? "#%s \"%s\" (%s, " : "#%s「%s」（%s，", SPI_getvalue(t, d, 1),
						 SPI_getvalue(t, d, 2), state);
		if (no_deadline)
			appendStringInfoString(&msg, en ? "no deadline)" : "未定整改期限）");
		else
			appendStringInfo(&msg, en ? "deadline %s%s)" : "整改期限%s%s）", iso_date(DatumGetDateADT(deadline)),
							 overdue ? (en ? ", overdue" : "，已逾期") : "");
	}
	if (n > MAX_LISTED)
		appendStringInfo(&msg, en ? " (and %d more)" : "（另有%d处）", (int) (n - MAX_LISTED));
	row->message = msg.data;
}

/* The rules, in the order of their rows.  A rule gives a row when it applies. */
static const FileRule file_rules[] = {
	{"ledger_reported", 0, false, every_pond, judge_ledger_reported},
	{"ledger_balance", 0, false, has_balance, judge_ledger_balance},
	{"emergency_plan", TL_CATEGORY_ID_emergency, false, operating, judge_emergency_plan},
	{"discharge_permit", TL_CATEGORY_ID_water_return, false, has_outlet, judge_discharge_permit},
	{"major_hazard", 0, true, major_hazard_open, judge_major_hazard},
};

/* tailings._pond_file_facts(bigint, smallint), or InvalidOid before 0.8.0 */
static Oid
file_facts_function(void)
{
	Oid			argtypes[2] = {INT8OID, INT2OID};

	return LookupFuncName(list_make2(makeString("tailings"), makeString("_pond_file_facts")), 2, argtypes, true);
}

static bool
fact_date(HeapTuple t, TupleDesc d, const char *column, DateADT *v)
{
	bool		isnull;
	Datum		x = SPI_getbinval(t, d, SPI_fnumber(d, column), &isnull);

	*v = isnull ? 0 : DatumGetDateADT(x);
	return !isnull;
}

static int
fact_int(HeapTuple t, TupleDesc d, const char *column)
{
	bool		isnull;
	Datum		x = SPI_getbinval(t, d, SPI_fnumber(d, column), &isnull);

	return isnull ? 0 : DatumGetInt32(x);
}

/* narrow the window to the days on which "today <= last" comes out as it does today */
static void
window_upto(Window *w, DateADT today, DateADT last)
{
	if (DATE_NOT_FINITE(last))
		return;					/* always true (infinity) or always false */
	if (today <= last)
		w->until = Min(w->until, last + 1);
	else
		w->from = Max(w->from, last + 1);
}

/* the last day t on which years_before(t, n) <= r: a review on r holds until then */
static DateADT
last_day_within_years(DateADT r, int n)
{
	int			y,
				m,
				day;
	DateADT		t;

	j2date(r + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	t = date2j(y + n, m, Min(day, 28)) - POSTGRES_EPOCH_JDATE;
	while (years_before(t + 1, n) <= r)
		t++;
	return t;
}

static SPIPlanPtr permit_days_plan = NULL;

/*
 * The days on which the file rules come out as they did today (f->today):
 * the ledger due changes on 1 January and 1 February; the emergency plan
 * passes until three years after its review and until it expires; the
 * discharge permit in force is chosen among the permits issued by the day
 * (the last issued on or before today, the next after it), and holds until it
 * expires.  Which rules apply does not depend on the day.
 */
static void
file_window(const PondFile *f, bool warnings, Window *w)
{
	int			y,
				m,
				day;

	if (!warnings)
		return;					/* the errors (major hazards) do not depend on the day */
	j2date(f->today + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	w->from = Max(w->from, date2j(y, m == 1 ? 1 : 2, 1) - POSTGRES_EPOCH_JDATE);
	w->until = Min(w->until, (m == 1 ? date2j(y, 2, 1) : date2j(y + 1, 1, 1)) - POSTGRES_EPOCH_JDATE);

	if (f->operating && f->plan_found && f->plan_dated)
	{
		if (!DATE_NOT_FINITE(f->plan_reviewed_on))
			window_upto(w, f->today, last_day_within_years(f->plan_reviewed_on, 3));
		if (f->plan_expires)
			window_upto(w, f->today, f->plan_valid_until);
	}
	if (f->outlets > 0)
	{
		bool		isnull;
		Datum		d;

		keep_plan(&permit_days_plan,
				  "SELECT max(issued_on) FILTER (WHERE issued_on <= $2), min(issued_on) FILTER (WHERE issued_on > $2)"
				  " FROM tailings.document WHERE pond_id = $1 AND kind = 'discharge_permit'",
				  2, (Oid[]) {INT8OID, DATEOID});
		if (SPI_execute_plan(permit_days_plan, (Datum[]) {Int64GetDatum(f->pond_id), DateADTGetDatum(f->today)},
							 NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "tailings: reading the discharge permits failed");
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull && !DATE_NOT_FINITE(DatumGetDateADT(d)))
			w->from = Max(w->from, DatumGetDateADT(d));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		if (!isnull)
			w->until = Min(w->until, DatumGetDateADT(d));
		if (f->permit_found && f->permit_expires)
			window_upto(w, f->today, f->permit_valid_until);
	}
}

/*
 * the file rules' rows; only the errors' when warnings is false (the score);
 * the messages only when they are asked for (the lists of failures they give
 * cost a query each)
 */
static void
check_file(CheckResult *res, int64 pond_id, const int *counts, const char *status, bool warnings, bool en,
		   bool messages, Window *window)
{
	PondFile	f;
	int			y,
				m,
				day;
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;

	if (!OidIsValid(file_facts_function()))
		return;
	memset(&f, 0, sizeof(f));
	f.pond_id = pond_id;
	f.en = en;
	f.messages = messages;
	f.operating = strcmp(status, "in_use") == 0 || strcmp(status, "suspended") == 0;
	f.outlets = counts[kind_index(TL_KIND_ID_discharge_outlet)];
	f.today = GetSQLCurrentDate();
	/* the ledger of year Y is due by 31 January of Y + 1 */
	j2date(f.today + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	f.ledger_year = m == 1 ? y - 2 : y - 1;
	f.ledger_due = date2j(f.ledger_year + 1, 1, 31) - POSTGRES_EPOCH_JDATE;

	keep_plan(&facts_plan, "SELECT * FROM tailings._pond_file_facts($1, $2)", 2, (Oid[]) {INT8OID, INT2OID});
	if (SPI_execute_plan(facts_plan, (Datum[]) {Int64GetDatum(pond_id), Int16GetDatum((int16) f.ledger_year)},
						 NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "tailings: reading the pond's file failed");
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	f.ledger_found = fact_date(t, d, "ledger_reported_on", &f.ledger_reported_on);
	f.balance_years = fact_int(t, d, "balance_years");
	f.balance_off = fact_int(t, d, "balance_off");
	f.plan_found = DatumGetBool(SPI_getbinval(t, d, SPI_fnumber(d, "plan_found"), &isnull));
	f.plan_number = SPI_getvalue(t, d, SPI_fnumber(d, "plan_number"));
	f.plan_dated = fact_date(t, d, "plan_reviewed_on", &f.plan_reviewed_on);
	f.plan_expires = fact_date(t, d, "plan_valid_until", &f.plan_valid_until);
	f.permit_found = DatumGetBool(SPI_getbinval(t, d, SPI_fnumber(d, "permit_found"), &isnull));
	f.permit_number = SPI_getvalue(t, d, SPI_fnumber(d, "permit_number"));
	f.permit_expires = fact_date(t, d, "permit_valid_until", &f.permit_valid_until);
	f.major_hazards = fact_int(t, d, "major_hazards");
	f.major_open = fact_int(t, d, "major_open");

	for (int r = 0; r < lengthof(file_rules); r++)
	{
		const FileRule *rule = &file_rules[r];
		CheckRow   *row;

		if ((!warnings && !rule->error) || !rule->applies(&f))
			continue;
		row = add_row(res);
		row->rule = rule->rule;
		row->category = rule->category;
		row->error = rule->error;
		rule->judge(&f, row);
	}
	if (window != NULL)
		file_window(&f, warnings, window);
}

/* Run every applicable rule of a pond; SPI must be connected. */
static CheckResult *
run_check(int64 pond_id, const CheckElements *elements, bool placement, bool en, bool messages, Window *window)
{
	CheckResult *res = palloc0(sizeof(CheckResult));
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(pond_id)};
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		status;
	int16		level;
	Datum		az;
	bool		no_azimuth;
	int			counts[TL_N_KINDS];

	keep_plan(&pond_plan,
			  "SELECT status::text, supervision_level, gw_flow_azimuth FROM tailings.pond WHERE id = $1",
			  1, argtypes);
	if (SPI_execute_plan(pond_plan, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading the pond failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pond " INT64_FORMAT " does not exist", pond_id),
				 errhint("SELECT id, code, name FROM tailings.pond lists the ponds.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	status = SPI_getbinval(tup, desc, 1, &isnull);
	status = PointerGetDatum(PG_DETOAST_DATUM_COPY(status));
	level = DatumGetInt16(SPI_getbinval(tup, desc, 2, &isnull));
	az = SPI_getbinval(tup, desc, 3, &no_azimuth);

	count_elements(counts, pond_id, elements);
	check_counts(res, counts, status, level, en);
	if (placement)
	{
		PlacementPond p = {!no_azimuth, no_azimuth ? 0 : DatumGetFloat4(az), en};

		check_placement(res, pond_id, elements, &p);
	}
	if (window != NULL)
	{
		window->from = DATEVAL_NOBEGIN;
		window->until = DATEVAL_NOEND;
	}
	check_file(res, pond_id, counts, TextDatumGetCString(status), placement, en, messages, window);
	return res;
}

static const CheckElements pond_elements = {false, (Datum) 0, InvalidOid};

/* check_completeness's rows, into the caller's tuplestore */
static void
return_check(FunctionCallInfo fcinfo, int64 pond_id, const CheckElements *elements)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		en = tl_language == TL_LANG_EN;
	MemoryContext caller = CurrentMemoryContext;
	CheckResult *res;

	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	res = run_check(pond_id, elements, true, en, true, NULL);
	for (int i = 0; i < res->nrows; i++)
	{
		CheckRow   *r = &res->rows[i];
		Datum		v[7];
		bool		nulls[7] = {false};
		MemoryContext old = MemoryContextSwitchTo(caller);

		v[0] = CStringGetTextDatum(r->rule);
		v[1] = ElementCategoryGetDatum(r->category);
		nulls[1] = r->category == 0;
		v[2] = Int32GetDatum(r->required);
		v[3] = Int32GetDatum(r->present);
		v[4] = BoolGetDatum(r->passed);
		v[5] = CStringGetTextDatum(r->error ? "error" : "warning");
		v[6] = CStringGetTextDatum(r->message);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
}

PG_FUNCTION_INFO_V1(tl_check_completeness);
Datum
tl_check_completeness(PG_FUNCTION_ARGS)
{
	return_check(fcinfo, PG_GETARG_INT64(0), &pond_elements);
	return (Datum) 0;
}

/*
 * _check_elements(pond_id bigint, elements tailings.element[]): the rows of
 * check_completeness for the pond (its status, level and template) with these
 * elements instead of its own.  A row without id is a new element; its
 * position in the array, from 0, is its feature index in messages.  Nothing
 * is written, and everything is read as the caller.
 */
PG_FUNCTION_INFO_V1(tl_check_elements);
Datum
tl_check_elements(PG_FUNCTION_ARGS)
{
	CheckElements elements;

	elements.given = true;
	elements.array = PG_GETARG_DATUM(1);
	elements.array_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	if (!OidIsValid(elements.array_type))
		elog(ERROR, "tailings: _check_elements could not determine its argument's type");
	return_check(fcinfo, PG_GETARG_INT64(0), &elements);
	return (Datum) 0;
}

static double
score_of(CheckResult *res, int *errors_failed, int *warnings_failed)
{
	int			errors = 0,
				passed = 0;

	*errors_failed = *warnings_failed = 0;
	for (int i = 0; i < res->nrows; i++)
	{
		if (res->rows[i].error)
		{
			errors++;
			passed += res->rows[i].passed;
			*errors_failed += !res->rows[i].passed;
		}
		else
			*warnings_failed += !res->rows[i].passed;
	}
	return errors == 0 ? 1.0 : (double) passed / errors;
}

PG_FUNCTION_INFO_V1(tl_completeness);
Datum
tl_completeness(PG_FUNCTION_ARGS)
{
	int64		pond_id = PG_GETARG_INT64(0);
	int			ef,
				wf;
	double		score;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	score = score_of(run_check(pond_id, &pond_elements, false, false, false, NULL), &ef, &wf);
	SPI_finish();
	PG_RETURN_FLOAT4((float4) score);
}

/*
 * Summaries kept current (tailings.pond_summary).
 *
 * A pond's summary (score, rules, failed errors and warnings) depends on its
 * row, its elements, its file (ledger, documents, hazards), the template
 * (tailings.requirement) and the day.  Statement-level triggers on those
 * tables note the ponds a statement touched in tailings.summary_pending
 * (_pond_summary_invalidate: one INSERT per statement, from its transition
 * tables; the template: every pond).  That takes no lock another transaction
 * waits for: two transactions may change one pond at once as before.  Each
 * noted pond queues the deferred constraint trigger _pond_summary_refresh;
 * at commit its first call takes all of the transaction's notes, locks those
 * ponds' summary rows in pond order (creating the missing ones), and then,
 * in a snapshot taken after the locks (READ COMMITTED: a fresh one), checks
 * each pond once and stores its summary; the other calls find nothing to do.
 * Of two transactions committing changes to one pond, the second waits for
 * the first's lock and then sees its rows.  Until the commit, the changing
 * transaction sees its own notes (nobody else does): _pond_summary and
 * pond_overview compute those ponds instead of reading them.  A summary is
 * kept with the days it holds for (valid_from, valid_until); readers compute
 * afresh on any other day, so it never goes stale with the date.
 *
 * Nobody but the owner writes the two tables (a summary written by a member
 * would fake a score).  The triggers write them, and check the ponds, as the
 * tables' owner with search_path pinned to pg_catalog, pg_temp (as
 * PostgreSQL's foreign-key triggers run as a table's owner, and as track.c
 * writes the change log); the check runs in a security-restricted operation
 * (the writes cannot: a restricted operation queues no deferred trigger).
 * No caller code runs there: every name is qualified, and the SQL functions
 * the check calls are BEGIN ATOMIC, bound when created.  The summary is of
 * the pond's whole file, which is what every role that may see the pond sees
 * (row-level security shows a pond's rows all or none: their policies are
 * _pond_visible(pond_id)).
 */
static SPIPlanPtr kept_plan = NULL;
static SPIPlanPtr store_plan = NULL;

/* tailings.pond_summary, or InvalidOid before 0.9.0 */
static Oid
summary_relid(void)
{
	Oid			nsp = get_namespace_oid("tailings", true);

	return OidIsValid(nsp) ? get_relname_relid("pond_summary", nsp) : InvalidOid;
}

typedef struct AsSummaryOwner
{
	Oid			userid;
	int			sec_context;
	int			nestlevel;
} AsSummaryOwner;

/*
 * Run as the owner of tailings.pond_summary, with search_path pinned (and
 * jit off).  The
 * check runs restricted; the writes cannot be (a security-restricted
 * operation queues no deferred trigger: the recompute at commit), and run
 * nothing but this table's triggers and its foreign key's.
 */
static void
as_summary_owner_begin(AsSummaryOwner *saved, Oid relid, bool restricted)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "tailings: cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   (restricted ? SECURITY_RESTRICTED_OPERATION : 0));
	saved->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/*
	 * A pond's rows are a few dozen, found through the pond_id indexes.  In
	 * the transaction that loaded them (thousands of ponds in one, whose
	 * summaries are computed at its commit) the tables have no statistics
	 * yet, and the generic plans then look expensive enough to compile (jit)
	 * and pick a plain index scan over all of element in id order (for
	 * _element_placement's ORDER BY) instead of the pond's rows: 20 times
	 * slower a pond.  Bitmap scans of the pond's rows are right whatever the
	 * statistics say.  (These settings hold for the plans made here: a change
	 * of search_path makes the plan cache plan again.)
	 */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("enable_indexscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

static void
as_summary_owner_end(const AsSummaryOwner *saved)
{
	AtEOXact_GUC(true, saved->nestlevel);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/* a summary computed: its values and the days they hold for */
typedef struct Summary
{
	float4		score;
	int			rules;
	int			errors_failed;
	int			warnings_failed;
	Window		window;
} Summary;

static void
compute_summary(int64 pond_id, Summary *s)
{
	CheckResult *res = run_check(pond_id, &pond_elements, true, false, false, &s->window);

	s->score = (float4) score_of(res, &s->errors_failed, &s->warnings_failed);
	s->rules = res->nrows;
}

/* the kept summary, when it is current today and the caller may read it */
static bool
kept_summary(int64 pond_id, Summary *s)
{
	Oid			relid = summary_relid();
	HeapTuple	t;
	TupleDesc	d;
	bool		isnull;

	Oid			pending = OidIsValid(relid) ? get_relname_relid("summary_pending", get_rel_namespace(relid))
		: InvalidOid;

	if (!OidIsValid(pending) || pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK
		|| pg_class_aclcheck(pending, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return false;
	keep_plan(&kept_plan,
			  "SELECT score, rules, errors_failed, warnings_failed FROM tailings.pond_summary"
			  " WHERE pond_id = $1 AND current_date >= valid_from AND current_date < valid_until"
			  " AND NOT EXISTS (SELECT 1 FROM tailings.summary_pending q WHERE q.pond_id = $1)",
			  1, (Oid[]) {INT8OID});
	if (SPI_execute_plan(kept_plan, (Datum[]) {Int64GetDatum(pond_id)}, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading tailings.pond_summary failed");
	if (SPI_processed != 1)
		return false;
	t = SPI_tuptable->vals[0];
	d = SPI_tuptable->tupdesc;
	s->score = DatumGetFloat4(SPI_getbinval(t, d, 1, &isnull));
	s->rules = DatumGetInt32(SPI_getbinval(t, d, 2, &isnull));
	s->errors_failed = DatumGetInt32(SPI_getbinval(t, d, 3, &isnull));
	s->warnings_failed = DatumGetInt32(SPI_getbinval(t, d, 4, &isnull));
	return true;
}

static Datum
summary_datum(FunctionCallInfo fcinfo, const Summary *s, bool with_window)
{
	TupleDesc	tupdesc;
	Datum		v[6];
	bool		nulls[6] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "tailings: a pond summary must return a composite");
	tupdesc = BlessTupleDesc(tupdesc);
	v[0] = Float4GetDatum(s->score);
	v[1] = Int32GetDatum(s->rules);
	v[2] = Int32GetDatum(s->errors_failed);
	v[3] = Int32GetDatum(s->warnings_failed);
	if (with_window)
	{
		v[4] = DateADTGetDatum(s->window.from);
		v[5] = DateADTGetDatum(s->window.until);
	}
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, v, nulls));
}

/*
 * _pond_summary(pond_id) -> (score, rules, errors_failed, warnings_failed):
 * the kept summary when it is current, else computed as the caller (as
 * check_completeness would)
 */
PG_FUNCTION_INFO_V1(tl_pond_summary);
Datum
tl_pond_summary(PG_FUNCTION_ARGS)
{
	int64		pond_id = PG_GETARG_INT64(0);
	Summary		s;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	if (!kept_summary(pond_id, &s))
		compute_summary(pond_id, &s);
	SPI_finish();
	PG_RETURN_DATUM(summary_datum(fcinfo, &s, false));
}

/*
 * _pond_summary_computed(pond_id) -> (score, rules, errors_failed,
 * warnings_failed, valid_from, valid_until): computed now, as the caller,
 * whatever is kept; with the days it holds for
 */
PG_FUNCTION_INFO_V1(tl_pond_summary_computed);
Datum
tl_pond_summary_computed(PG_FUNCTION_ARGS)
{
	int64		pond_id = PG_GETARG_INT64(0);
	Summary		s;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	compute_summary(pond_id, &s);
	SPI_finish();
	PG_RETURN_DATUM(summary_datum(fcinfo, &s, true));
}

/*
 * _pond_summary_invalidate([pond_id column]): AFTER ... FOR EACH STATEMENT,
 * with the statement's transition tables: notes the ponds the statement
 * touched (old and new rows) in tailings.summary_pending, for the
 * commit to check again; without an argument (the template), every pond.
 * One INSERT for all the rows.
 */
PG_FUNCTION_INFO_V1(tl_pond_summary_invalidate);
Datum
tl_pond_summary_invalidate(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Trigger    *tg;
	StringInfoData sql;
	AsSummaryOwner saved;
	Oid			relid;
	int			ret;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("_pond_summary_invalidate() must be fired AFTER ... FOR EACH STATEMENT")));
	tg = td->tg_trigger;
	relid = summary_relid();
	if (!OidIsValid(relid))
		return PointerGetDatum(NULL);
	initStringInfo(&sql);
	appendStringInfoString(&sql, "INSERT INTO tailings.summary_pending (pond_id) ");
	if (tg->tgnargs == 0)
		appendStringInfoString(&sql, "SELECT p.id FROM tailings.pond p");
	else
	{
		const char *col = quote_identifier(tg->tgargs[0]);

		if (!tg->tgoldtable && !tg->tgnewtable)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("_pond_summary_invalidate(%s) needs the statement's transition tables", tg->tgargs[0]),
					 errhint("CREATE TRIGGER ... REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT")));
		/* each pond once (a pond deleted since: the refresh passes it by) */
		if (tg->tgoldtable)
			appendStringInfo(&sql, "SELECT o.%s FROM %s o", col, quote_identifier(tg->tgoldtable));
		if (tg->tgoldtable && tg->tgnewtable)
			appendStringInfoString(&sql, " UNION ");
		if (tg->tgnewtable)
			appendStringInfo(&sql, "SELECT n.%s FROM %s n", col, quote_identifier(tg->tgnewtable));
		if (!tg->tgoldtable || !tg->tgnewtable)
			appendStringInfoString(&sql, " GROUP BY 1");
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "tailings: SPI_register_trigger_data failed");
	as_summary_owner_begin(&saved, relid, false);
	ret = SPI_execute(sql.data, false, 0);
	as_summary_owner_end(&saved);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "tailings: noting the ponds to check failed: %s", SPI_result_code_string(ret));
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * _pond_summary_refresh(): the deferred constraint trigger on
 * tailings.summary_pending (AFTER INSERT ... FOR EACH ROW): the first
 * call takes every note of the transaction and recomputes those ponds, once
 * each; the others find nothing to do.
 */
static SPIPlanPtr noted_plan = NULL;
static SPIPlanPtr take_plan = NULL;
static SPIPlanPtr lock_plan = NULL;

PG_FUNCTION_INFO_V1(tl_pond_summary_refresh);
Datum
tl_pond_summary_refresh(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	Oid			relid = summary_relid();
	AsSummaryOwner saved;
	Datum	   *ids;
	Summary    *sums;
	int			n;
	bool		isnull;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event)
		|| !OidIsValid(relid)
		|| RelationGetRelid(td->tg_relation) != get_relname_relid("summary_pending", get_rel_namespace(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("_pond_summary_refresh() must be fired AFTER ... FOR EACH ROW on tailings.summary_pending")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	as_summary_owner_begin(&saved, relid, false);
	/* this call's note taken already (by an earlier call of this transaction)?  nothing to do */
	keep_plan(&noted_plan, "SELECT 1 FROM tailings.summary_pending WHERE ctid OPERATOR(pg_catalog.=) $1",
			  1, (Oid[]) {TIDOID});
	if (SPI_execute_plan(noted_plan, (Datum[]) {PointerGetDatum(&td->tg_trigtuple->t_self)}, NULL, false, 1)
		!= SPI_OK_SELECT)
		elog(ERROR, "tailings: reading tailings.summary_pending failed");
	if (SPI_processed == 0)
	{
		as_summary_owner_end(&saved);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	/* the notes (this transaction's: nobody else's are visible), each pond once */
	keep_plan(&take_plan,
			  "WITH taken AS (DELETE FROM tailings.summary_pending RETURNING pond_id)"
			  " SELECT pg_catalog.array_agg(DISTINCT pond_id) FROM taken", 0, NULL);
	if (SPI_execute_plan(take_plan, NULL, NULL, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "tailings: taking the noted ponds failed");
	{
		Datum		arr = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
		{
			as_summary_owner_end(&saved);
			SPI_finish();
			return PointerGetDatum(NULL);
		}
		/* lock their summary rows in pond order (array_agg DISTINCT sorts), making the missing */
		keep_plan(&lock_plan,
				  "INSERT INTO tailings.pond_summary AS s"
				  " (pond_id, score, rules, errors_failed, warnings_failed, valid_from, valid_until)"
				  " SELECT x.id, 0, 0, 0, 0, '-infinity', '-infinity'"
				  " FROM pg_catalog.unnest($1) WITH ORDINALITY x (id, o)"
				  " WHERE EXISTS (SELECT 1 FROM tailings.pond p WHERE p.id OPERATOR(pg_catalog.=) x.id) ORDER BY x.o"
				  " ON CONFLICT (pond_id) DO UPDATE SET valid_until = '-infinity' RETURNING s.pond_id",
				  1, (Oid[]) {INT8ARRAYOID});
		if (SPI_execute_plan(lock_plan, &arr, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "tailings: locking the summaries failed");
	}
	n = (int) SPI_processed;
	ids = palloc(sizeof(Datum) * Max(n, 1));
	sums = palloc(sizeof(Summary) * Max(n, 1));
	for (int i = 0; i < n; i++)
		ids[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
	as_summary_owner_end(&saved);

	/*
	 * checked in a snapshot taken now, after the locks (READ COMMITTED: a
	 * fresh one): it sees every transaction that committed changes to these
	 * ponds while this one waited for their locks
	 */
	as_summary_owner_begin(&saved, relid, true);
	PushActiveSnapshot(GetTransactionSnapshot());
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		compute_summary(DatumGetInt64(ids[i]), &sums[i]);
	}
	PopActiveSnapshot();
	as_summary_owner_end(&saved);

	as_summary_owner_begin(&saved, relid, false);
	keep_plan(&store_plan,
			  "UPDATE tailings.pond_summary SET score = $2, rules = $3, errors_failed = $4, warnings_failed = $5,"
			  " valid_from = $6, valid_until = $7 WHERE pond_id = $1",
			  7, (Oid[]) {INT8OID, FLOAT4OID, INT4OID, INT4OID, INT4OID, DATEOID, DATEOID});
	for (int i = 0; i < n; i++)
	{
		Summary    *sm = &sums[i];

		if (SPI_execute_plan(store_plan,
							 (Datum[]) {ids[i], Float4GetDatum(sm->score), Int32GetDatum(sm->rules),
								 Int32GetDatum(sm->errors_failed), Int32GetDatum(sm->warnings_failed),
								 DateADTGetDatum(sm->window.from), DateADTGetDatum(sm->window.until)},
							 NULL, false, 1) != SPI_OK_UPDATE)
			elog(ERROR, "tailings: storing the summary of pond " INT64_FORMAT " failed", DatumGetInt64(ids[i]));
	}
	as_summary_owner_end(&saved);
	SPI_finish();
	return PointerGetDatum(NULL);
}
