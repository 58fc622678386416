/*
 * track.c - change tracking: the trigger tailings.track_changes(), the guard
 * that keeps tailings.change_log append-only, and tailings.prune_changes().
 *
 * track_changes() is an AFTER ... FOR EACH ROW trigger.  For every changed row
 * it inserts one change_log row in the same transaction (old and new row as
 * jsonb, the names of the changed columns, how far the geometry moved) and
 * queues a NOTIFY on channel tailings_changes, which PostgreSQL delivers at
 * commit only.  An UPDATE that changes no column writes nothing.
 *
 * The INSERT is prepared once per tracked table and kept (SPI_keepplan), with
 * what the trigger needs to know of the table (geometry, id and pond columns).
 * A relcache callback forgets a table's entry whenever the table changes
 * (ALTER TABLE, DROP, ...), so the next row prepares afresh.
 *
 * Trigger arguments (all optional): the row id column (default "id"), the
 * pond id column (default "pond_id"; "" for none), the geometry column
 * (default: the table's first geometry column; "" for none).
 */
#include "tailings.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#define NOTIFY_CHANNEL "tailings_changes"

typedef struct TrackedRel
{
	Oid			relid;			/* hash key */
	bool		valid;
	SPIPlanPtr	plan;
	char	   *table_name;		/* schema-qualified, in TopMemoryContext */
	AttrNumber	id_attno;		/* 0 when the table has none */
	AttrNumber	pond_attno;
	AttrNumber	geom_attno;
	Oid			geom_type;
	Oid			row_type;
} TrackedRel;

static HTAB *tracked_rels = NULL;

/* set while prune_changes() deletes: the only way past the append-only guard */
static bool pruning = false;

static void
tracked_rel_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TrackedRel *entry;

	if (tracked_rels == NULL)
		return;
	hash_seq_init(&status, tracked_rels);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (relid == InvalidOid || entry->relid == relid)
			entry->valid = false;
}

/* attribute number of a live column by name, 0 if none */
static AttrNumber
column_by_name(TupleDesc desc, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return 0;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return 0;
}

static bool
is_geometry_type(Oid typid)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	bool		result = false;

	if (HeapTupleIsValid(tup))
	{
		result = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname), "geometry") == 0;
		ReleaseSysCache(tup);
	}
	return result;
}

/* an integer column usable as row or pond id */
static AttrNumber
id_column(Relation rel, const char *name, const char *what)
{
	AttrNumber	attno = column_by_name(RelationGetDescr(rel), name);
	Oid			typid;

	if (attno == 0)
		return 0;
	typid = TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid;
	if (typid != INT8OID && typid != INT4OID && typid != INT2OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s column \"%s\" of table \"%s\" is not an integer column",
						what, name, RelationGetRelationName(rel)),
				 errhint("Name an integer column in the trigger's arguments: "
						 "tailings.track_changes(id_column, pond_column, geometry_column).")));
	return attno;
}

static int64
int_column_value(HeapTuple tuple, TupleDesc desc, AttrNumber attno, bool *isnull)
{
	Datum		d;

	*isnull = true;
	if (attno == 0 || tuple == NULL)
		return 0;
	d = heap_getattr(tuple, attno, desc, isnull);
	if (*isnull)
		return 0;
	switch (TupleDescAttr(desc, attno - 1)->atttypid)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

#define NPARAMS 11

static TrackedRel *
tracked_rel_get(Relation rel, Trigger *trigger)
{
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	TrackedRel *entry;
	bool		found;
	const char *id_name = trigger->tgnargs > 0 ? trigger->tgargs[0] : "id";
	const char *pond_name = trigger->tgnargs > 1 ? trigger->tgargs[1] : "pond_id";
	const char *geom_name = trigger->tgnargs > 2 ? trigger->tgargs[2] : NULL;
	Oid			argtypes[NPARAMS];
	const char *sql;
	char	   *nsp;
	MemoryContext old;

	if (tracked_rels == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(TrackedRel);
		tracked_rels = hash_create("tailings tracked tables", 16, &ctl, HASH_ELEM | HASH_BLOBS);
		CacheRegisterRelcacheCallback(tracked_rel_invalidate, (Datum) 0);
	}
	entry = hash_search(tracked_rels, &relid, HASH_ENTER, &found);
	if (found && entry->valid)
		return entry;
	if (found)
	{
		if (entry->plan)
			SPI_freeplan(entry->plan);
		if (entry->table_name)
			pfree(entry->table_name);
	}
	entry->plan = NULL;
	entry->table_name = NULL;
	entry->valid = false;

	entry->id_attno = id_column(rel, id_name, "row id");
	entry->pond_attno = id_column(rel, pond_name, "pond id");
	entry->geom_attno = 0;
	entry->geom_type = InvalidOid;
	if (geom_name != NULL && geom_name[0] != '\0')
	{
		entry->geom_attno = column_by_name(desc, geom_name);
		if (entry->geom_attno == 0 ||
			!is_geometry_type(TupleDescAttr(desc, entry->geom_attno - 1)->atttypid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no geometry column \"%s\"",
							RelationGetRelationName(rel), geom_name)));
	}
	else if (geom_name == NULL)
	{
		for (int i = 0; i < desc->natts && entry->geom_attno == 0; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && is_geometry_type(att->atttypid))
				entry->geom_attno = att->attnum;
		}
	}
	if (entry->geom_attno != 0)
		entry->geom_type = TupleDescAttr(desc, entry->geom_attno - 1)->atttypid;
	entry->row_type = rel->rd_rel->reltype;

	nsp = get_namespace_name(RelationGetNamespace(rel));
	old = MemoryContextSwitchTo(TopMemoryContext);
	entry->table_name = psprintf("%s.%s", nsp, RelationGetRelationName(rel));
	MemoryContextSwitchTo(old);

	argtypes[0] = TEXTOID;		/* actor */
	argtypes[1] = TEXTOID;		/* table_name */
	argtypes[2] = INT8OID;		/* row_id */
	argtypes[3] = INT8OID;		/* pond_id */
	argtypes[4] = CHAROID;		/* op */
	argtypes[5] = entry->row_type;	/* old row */
	argtypes[6] = entry->row_type;	/* new row */
	argtypes[7] = TEXTARRAYOID; /* changed columns */
	argtypes[8] = entry->geom_attno ? entry->geom_type : TEXTOID;	/* old geometry */
	argtypes[9] = entry->geom_attno ? entry->geom_type : TEXTOID;	/* new geometry */
	argtypes[10] = FLOAT8OID;	/* moved_m */

	/*
	 * The log row.  The geometry goes into the row's jsonb as its hex EWKB
	 * text (exact, and cheap to write); the rows come in with it nulled and
	 * it comes separately ($9 old, $10 new).
	 */
	if (entry->geom_attno)
	{
		char	   *key = quote_literal_cstr(NameStr(TupleDescAttr(desc, entry->geom_attno - 1)->attname));

		sql = psprintf("INSERT INTO tailings.change_log"
					   " (txid, changed_at, actor, table_name, row_id, pond_id, op,"
					   "  old_row, new_row, changed, moved_m)"
					   " VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.now(), $1, $2, $3, $4, $5,"
					   "  pg_catalog.to_jsonb($6) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(%s, $9::pg_catalog.text),"
					   "  pg_catalog.to_jsonb($7) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(%s, $10::pg_catalog.text),"
					   "  $8, $11)",
					   key, key);
	}
	else
		sql = "INSERT INTO tailings.change_log"
			" (txid, changed_at, actor, table_name, row_id, pond_id, op,"
			"  old_row, new_row, changed, moved_m)"
			" VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.now(), $1, $2, $3, $4, $5,"
			"  pg_catalog.to_jsonb($6), pg_catalog.to_jsonb($7), $8, $11)";
	/* a generic plan: the same plan serves every row, never replanned */
	entry->plan = SPI_prepare_cursor(sql, NPARAMS, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (entry->plan == NULL)
		elog(ERROR, "tailings: could not prepare the change log insert: %s",
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(entry->plan);
	entry->valid = true;
	return entry;
}

/* names of the columns whose values differ between two versions of a row */
static ArrayType *
changed_columns(TupleDesc desc, HeapTuple oldtup, HeapTuple newtup, bool *geom_changed,
				AttrNumber geom_attno)
{
	Datum	   *names = palloc(sizeof(Datum) * desc->natts);
	int			n = 0;

	*geom_changed = false;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		onull,
					nnull;
		Datum		o,
					v;
		bool		same;

		if (att->attisdropped)
			continue;
		o = heap_getattr(oldtup, att->attnum, desc, &onull);
		v = heap_getattr(newtup, att->attnum, desc, &nnull);
		if (onull || nnull)
			same = onull == nnull;
		else if (att->attlen == -1)
		{
			/* compare varlena values detoasted, so a moved toast pointer is not a change */
			struct varlena *ov = PG_DETOAST_DATUM_PACKED(o);
			struct varlena *nv = PG_DETOAST_DATUM_PACKED(v);

			same = VARSIZE_ANY_EXHDR(ov) == VARSIZE_ANY_EXHDR(nv) &&
				memcmp(VARDATA_ANY(ov), VARDATA_ANY(nv), VARSIZE_ANY_EXHDR(ov)) == 0;
		}
		else
			same = datumIsEqual(o, v, att->attbyval, att->attlen);
		if (!same)
		{
			names[n++] = CStringGetTextDatum(NameStr(att->attname));
			if (att->attnum == geom_attno)
				*geom_changed = true;
		}
	}
	if (n == 0)
		return NULL;
	return construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * The row as a composite datum for to_jsonb(), with its geometry column
 * nulled (the statement adds the geometry as text); the geometry itself is
 * returned through geom / geom_null.
 */
static Datum
row_datum(HeapTuple tuple, TupleDesc desc, AttrNumber geom_attno, Datum *geom, char *geom_null)
{
	bool		isnull;
	Datum		null_value = (Datum) 0;
	bool		null_flag = true;
	HeapTuple	stripped;

	if (geom_attno == 0)
		return heap_copy_tuple_as_datum(tuple, desc);
	*geom = heap_getattr(tuple, geom_attno, desc, &isnull);
	*geom_null = isnull ? 'n' : ' ';
	stripped = heap_modify_tuple_by_cols(tuple, desc, 1, (int[]) {geom_attno}, &null_value, &null_flag);
	return heap_copy_tuple_as_datum(stripped, desc);
}

static char *
current_actor(void)
{
	if (tl_actor != NULL && tl_actor[0] != '\0')
		return tl_actor;
	return GetUserNameFromId(GetSessionUserId(), false);
}

static void
append_json_string(StringInfo buf, const char *s)
{
	escape_json(buf, s);
}

PG_FUNCTION_INFO_V1(tl_track_changes);
Datum
tl_track_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	oldtup = NULL,
				newtup = NULL,
				anytup;
	TrackedRel *entry;
	Datum		values[NPARAMS];
	char		nulls[NPARAMS];
	char		op;
	ArrayType  *changed = NULL;
	bool		geom_changed = false;
	int64		row_id,
				pond_id;
	bool		row_id_null,
				pond_id_null;
	int			ret;
	StringInfoData payload;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings.track_changes() must be called as a trigger")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings.track_changes() must be an AFTER ... FOR EACH ROW trigger")));

	rel = trigdata->tg_relation;
	desc = RelationGetDescr(rel);
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		op = 'I';
		newtup = trigdata->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		op = 'D';
		oldtup = trigdata->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		op = 'U';
		oldtup = trigdata->tg_trigtuple;
		newtup = trigdata->tg_newtuple;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings.track_changes() handles INSERT, UPDATE and DELETE only")));

	/*
	 * A superuser restoring a dump (pg_dump's scripts run with
	 * check_function_bodies off) reloads rows whose history is in the dumped
	 * change log already: record nothing, notify nothing.
	 */
	if (!check_function_bodies && superuser())
		return PointerGetDatum(NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	entry = tracked_rel_get(rel, trigdata->tg_trigger);

	if (op == 'U')
	{
		changed = changed_columns(desc, oldtup, newtup, &geom_changed, entry->geom_attno);
		if (changed == NULL)
		{
			/* nothing changed: nothing to record */
			SPI_finish();
			return PointerGetDatum(NULL);
		}
	}

	anytup = newtup ? newtup : oldtup;
	row_id = int_column_value(anytup, desc, entry->id_attno, &row_id_null);
	pond_id = int_column_value(anytup, desc, entry->pond_attno, &pond_id_null);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(current_actor());
	values[1] = CStringGetTextDatum(entry->table_name);
	values[2] = Int64GetDatum(row_id);
	nulls[2] = row_id_null ? 'n' : ' ';
	values[3] = Int64GetDatum(pond_id);
	nulls[3] = pond_id_null ? 'n' : ' ';
	values[4] = CharGetDatum(op);
	values[5] = values[6] = values[8] = values[9] = (Datum) 0;
	nulls[5] = nulls[6] = nulls[8] = nulls[9] = 'n';
	if (oldtup)
	{
		values[5] = row_datum(oldtup, desc, entry->geom_attno, &values[8], &nulls[8]);
		nulls[5] = ' ';
	}
	if (newtup)
	{
		values[6] = row_datum(newtup, desc, entry->geom_attno, &values[9], &nulls[9]);
		nulls[6] = ' ';
	}
	if (changed)
		values[7] = PointerGetDatum(changed);
	else
		nulls[7] = 'n';
	values[10] = (Datum) 0;
	nulls[10] = 'n';
	if (geom_changed && nulls[8] == ' ' && nulls[9] == ' ')
	{
		double		m;

		if (tl_geo_moved_m(entry->geom_type, values[8], values[9], &m))
		{
			values[10] = Float8GetDatum(m);
			nulls[10] = ' ';
		}
	}

	ret = SPI_execute_plan(entry->plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "tailings: change log insert failed: %s", SPI_result_code_string(ret));

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"table\":");
	append_json_string(&payload, entry->table_name);
	appendStringInfo(&payload, ",\"op\":\"%c\",\"pond_id\":", op);
	if (pond_id_null)
		appendStringInfoString(&payload, "null");
	else
		appendStringInfo(&payload, INT64_FORMAT, pond_id);
	appendStringInfoString(&payload, ",\"row_id\":");
	if (row_id_null)
		appendStringInfoString(&payload, "null");
	else
		appendStringInfo(&payload, INT64_FORMAT, row_id);
	appendStringInfoString(&payload, ",\"bbox\":");
	{
		/* the changed area: both versions when the geometry changed, else the current one */
		bool		use_old = op == 'D' || geom_changed;
		double		box[4];

		if (entry->geom_attno &&
			tl_geo_bbox(entry->geom_type, values[8], use_old && nulls[8] == ' ',
						values[9], nulls[9] == ' ', box))
			appendStringInfo(&payload, "[%.7f,%.7f,%.7f,%.7f]", box[0], box[1], box[2], box[3]);
		else
			appendStringInfoString(&payload, "null");
	}
	appendStringInfoChar(&payload, '}');
	Async_Notify(NOTIFY_CHANNEL, payload.data);

	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Guard of tailings.change_log: BEFORE UPDATE OR DELETE (row) and BEFORE
 * TRUNCATE (statement).  Only prune_changes() gets past it.
 */
PG_FUNCTION_INFO_V1(tl_change_log_guard);
Datum
tl_change_log_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings._change_log_guard() must be called as a trigger")));
	if (pruning && TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_trigtuple);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("the change log is append-only"),
			 errdetail("%s on tailings.%s is not allowed.",
					   TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? "UPDATE" :
					   TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? "DELETE" : "TRUNCATE",
					   RelationGetRelationName(trigdata->tg_relation)),
			 errhint("Old entries can be removed with tailings.prune_changes(before timestamptz).")));
	return PointerGetDatum(NULL);
}

/* prune_changes(before timestamptz) -> number of change log rows removed */
PG_FUNCTION_INFO_V1(tl_prune_changes);
Datum
tl_prune_changes(PG_FUNCTION_ARGS)
{
	Datum		before = PG_GETARG_DATUM(0);
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		values[1] = {before};
	int64		removed = 0;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	pruning = true;
	PG_TRY();
	{
		ret = SPI_execute_with_args("DELETE FROM tailings.change_log WHERE changed_at < $1",
									1, argtypes, values, NULL, false, 0);
		if (ret != SPI_OK_DELETE)
			elog(ERROR, "tailings: pruning the change log failed: %s", SPI_result_code_string(ret));
		removed = (int64) SPI_processed;
		ret = SPI_execute_with_args("INSERT INTO tailings.change_log_pruned (before, rows_removed)"
									" VALUES ($1, $2)",
									2, (Oid[]) {TIMESTAMPTZOID, INT8OID},
									(Datum[]) {before, Int64GetDatum(removed)}, NULL, false, 0);
		if (ret != SPI_OK_INSERT)
			elog(ERROR, "tailings: recording the prune failed: %s", SPI_result_code_string(ret));
	}
	PG_FINALLY();
	{
		pruning = false;
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64(removed);
}
