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
 * Security.  The trigger runs with the rights of whoever changed the row: it
 * turns the rows into jsonb (which may call the table's own types' casts and
 * output functions) as that role.  Only the INSERT into the log, whose
 * arguments are already-serialised values of fixed types, runs as the owner of
 * tailings.change_log, in a security-restricted operation (as PostgreSQL's own
 * foreign-key triggers switch to a table's owner).  No SQL-callable function
 * writes the log.  A table writes the log only when a superuser registered it
 * in tailings.tracked_table (tailings.track_table()); any other table with this
 * trigger is refused, so nobody forges history through a table of their own.
 * Tracking is off only when a superuser says so: the superuser-only setting
 * tailings.tracking, or a superuser session restoring a dump (pg_dump's script
 * sets check_function_bodies off), whose log rows come with the dump.
 *
 * Per tracked table, what the trigger needs to know of it (geometry, id and
 * pond columns, whether it is registered, how to make jsonb of its rows) is
 * kept in a hash.  A relcache callback forgets a table's entry whenever the
 * table changes (ALTER TABLE, DROP, CREATE/DROP TRIGGER, and its registration,
 * whose changes send a relcache invalidation), so the next row looks afresh.
 * The log INSERT is one plan per session, prepared once and kept.
 *
 * Trigger arguments (all optional): the row id column (default "id"), the
 * pond id column (default "pond_id"; "" for none), the geometry column
 * (default: the table's first geometry column; "" for none).
 */
#include "tailings.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
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
	Oid			geom_out;		/* the geometry type's output function (hex EWKB) */
	char	   *geom_key;		/* the geometry column's name, in TopMemoryContext */
	Oid			row_type;
	bool		registered;		/* in tailings.tracked_table */
	FmgrInfo	to_jsonb;		/* to_jsonb(row type), with its argument type known */
} TrackedRel;

static HTAB *tracked_rels = NULL;

/* the log INSERT, one plan per session, run as the log's owner */
static SPIPlanPtr log_plan = NULL;

/* tailings.change_log and its owner, looked up once (forgotten when the relcache says so) */
static Oid	log_relid = InvalidOid;
static Oid	log_owner = InvalidOid;

/* set while prune_changes() deletes: the only way past the append-only guard */
static bool pruning = false;

static void
tracked_rel_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TrackedRel *entry;

	if (relid == InvalidOid || relid == log_relid)
		log_relid = log_owner = InvalidOid;
	if (tracked_rels == NULL)
		return;
	hash_seq_init(&status, tracked_rels);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (relid == InvalidOid || entry->relid == relid)
			entry->valid = false;
}

/* tailings.change_log's owner: the role the log INSERT runs as */
static Oid
change_log_owner(void)
{
	Oid			nsp;
	Oid			relid;
	HeapTuple	tup;
	Oid			owner;

	if (OidIsValid(log_owner))
		return log_owner;
	nsp = get_namespace_oid("tailings", false);
	relid = get_relname_relid("change_log", nsp);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table tailings.change_log does not exist")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	log_relid = relid;
	log_owner = owner;
	return owner;
}

/*
 * Run the rest of the caller's statement as the log's owner, restricted: the
 * caller's code cannot run there (SECURITY_RESTRICTED_OPERATION) and nothing
 * is resolved through the caller's search_path (every name below is
 * qualified).  An error restores the caller's identity on (sub)transaction
 * abort.
 */
typedef struct AsOwner
{
	Oid			userid;
	int			sec_context;
} AsOwner;

static void
as_log_owner_begin(AsOwner *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(change_log_owner(),
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

static void
as_log_owner_end(const AsOwner *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/* is the table registered in tailings.tracked_table?  (asked as the log's owner) */
static bool
table_registered(Oid relid)
{
	AsOwner		saved;
	int			ret;

	as_log_owner_begin(&saved);
	ret = SPI_execute_with_args("SELECT 1 FROM tailings.tracked_table WHERE relid OPERATOR(pg_catalog.=) $1",
								1, (Oid[]) {REGCLASSOID}, (Datum[]) {ObjectIdGetDatum(relid)},
								NULL, true, 1);
	as_log_owner_end(&saved);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading tailings.tracked_table failed: %s", SPI_result_code_string(ret));
	return SPI_processed > 0;
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
		if (entry->table_name)
			pfree(entry->table_name);
		if (entry->geom_key)
			pfree(entry->geom_key);
	}
	entry->table_name = NULL;
	entry->geom_key = NULL;
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
	entry->row_type = rel->rd_rel->reltype;
	entry->registered = table_registered(relid);

	nsp = get_namespace_name(RelationGetNamespace(rel));
	old = MemoryContextSwitchTo(TopMemoryContext);
	entry->table_name = psprintf("%s.%s", nsp, RelationGetRelationName(rel));
	if (entry->geom_attno != 0)
	{
		bool		varlena;

		entry->geom_type = TupleDescAttr(desc, entry->geom_attno - 1)->atttypid;
		entry->geom_key = pstrdup(NameStr(TupleDescAttr(desc, entry->geom_attno - 1)->attname));
		getTypeOutputInfo(entry->geom_type, &entry->geom_out, &varlena);
	}
	/* to_jsonb() learns its argument's type from its call expression */
	fmgr_info_cxt(F_TO_JSONB, &entry->to_jsonb, TopMemoryContext);
	fmgr_info_set_expr((Node *) makeFuncExpr(F_TO_JSONB, JSONBOID,
											 list_make1(makeNullConst(entry->row_type, -1, InvalidOid)),
											 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL),
					   &entry->to_jsonb);
	MemoryContextSwitchTo(old);
	entry->valid = true;
	return entry;
}

#define NPARAMS 11

/* prepare the log INSERT once per session (as the log's owner) */
static SPIPlanPtr
log_plan_get(void)
{
	Oid			argtypes[NPARAMS] = {
		TEXTOID,				/* $1 actor */
		TEXTOID,				/* $2 session role */
		TEXTOID,				/* $3 table_name */
		INT8OID,				/* $4 row_id */
		INT8OID,				/* $5 pond_id */
		CHAROID,				/* $6 op */
		JSONBOID,				/* $7 old row */
		JSONBOID,				/* $8 new row */
		TEXTARRAYOID,			/* $9 changed columns */
		FLOAT8OID,				/* $10 moved_m */
		FLOAT8ARRAYOID			/* $11 bbox */
	};

	if (log_plan == NULL)
	{
		SPIPlanPtr	plan;

		/* a generic plan: the same plan serves every row, never replanned */
		plan = SPI_prepare_cursor("INSERT INTO tailings.change_log"
								  " (txid, changed_at, actor, session_role, table_name, row_id, pond_id, op,"
								  "  old_row, new_row, changed, moved_m, bbox)"
								  " VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.now(),"
								  "  $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
								  " RETURNING id",
								  NPARAMS, argtypes, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "tailings: could not prepare the change log insert: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		log_plan = plan;
	}
	return log_plan;
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
 * The row as jsonb, made with the caller's rights.  Its geometry column is
 * written as the geometry's hex EWKB text (exact, and cheap to write) rather
 * than through the geometry's own cast to json; the geometry itself is
 * returned through geom / geom_null.
 */
static Datum
row_jsonb(TrackedRel *entry, HeapTuple tuple, TupleDesc desc, Datum *geom, char *geom_null)
{
	bool		isnull;
	Datum		null_value = (Datum) 0;
	bool		null_flag = true;
	HeapTuple	stripped;
	Datum		json;
	JsonbParseState *state = NULL;
	JsonbValue	key,
				value;
	JsonbValue *geom_object;

	if (entry->geom_attno == 0)
		return FunctionCall1(&entry->to_jsonb, heap_copy_tuple_as_datum(tuple, desc));
	*geom = heap_getattr(tuple, entry->geom_attno, desc, &isnull);
	*geom_null = isnull ? 'n' : ' ';
	stripped = heap_modify_tuple_by_cols(tuple, desc, 1, (int[]) {entry->geom_attno}, &null_value, &null_flag);
	json = FunctionCall1(&entry->to_jsonb, heap_copy_tuple_as_datum(stripped, desc));

	key.type = jbvString;
	key.val.string.val = entry->geom_key;
	key.val.string.len = strlen(entry->geom_key);
	if (isnull)
		value.type = jbvNull;
	else
	{
		value.type = jbvString;
		value.val.string.val = OidOutputFunctionCall(entry->geom_out, *geom);
		value.val.string.len = strlen(value.val.string.val);
	}
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	pushJsonbValue(&state, WJB_KEY, &key);
	pushJsonbValue(&state, WJB_VALUE, &value);
	geom_object = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return DirectFunctionCall2(jsonb_concat, json, JsonbPGetDatum(JsonbValueToJsonb(geom_object)));
}

static char *
current_actor(void)
{
	if (tl_actor != NULL && tl_actor[0] != '\0')
		return tl_actor;
	return GetUserNameFromId(GetSessionUserId(), false);
}

/* is tracking off for this change?  Only a superuser can make it so. */
static bool
tracking_off(void)
{
	if (!tl_tracking)
		return true;
	/*
	 * A superuser session restoring a dump (pg_dump's scripts run with
	 * check_function_bodies off) reloads rows whose history is in the dumped
	 * change log already.  The session user, not the current user: inside a
	 * SECURITY DEFINER function the current user may be a superuser while the
	 * person calling it is not.
	 */
	return !check_function_bodies && superuser_arg(GetSessionUserId());
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
	Datum		old_geom = (Datum) 0,
				new_geom = (Datum) 0;
	char		old_geom_null = 'n',
				new_geom_null = 'n';
	char		op;
	ArrayType  *changed = NULL;
	bool		geom_changed = false;
	int64		row_id,
				pond_id,
				log_id;
	bool		row_id_null,
				pond_id_null,
				isnull;
	bool		has_bbox = false;
	double		box[4];
	int			ret;
	AsOwner		saved;
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

	if (tracking_off())
		return PointerGetDatum(NULL);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	entry = tracked_rel_get(rel, trigdata->tg_trigger);
	if (!entry->registered)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("table %s is not registered for change tracking", entry->table_name),
				 errdetail("Only tables a superuser registered with tailings.track_table() write the change log."),
				 errhint("A superuser runs SELECT tailings.track_table('%s'), or drops the trigger \"%s\".",
						 entry->table_name, trigdata->tg_trigger->tgname)));

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

	/* everything that may run code of the table's types, as the caller */
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(current_actor());
	values[1] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	values[2] = CStringGetTextDatum(entry->table_name);
	values[3] = Int64GetDatum(row_id);
	nulls[3] = row_id_null ? 'n' : ' ';
	values[4] = Int64GetDatum(pond_id);
	nulls[4] = pond_id_null ? 'n' : ' ';
	values[5] = CharGetDatum(op);
	values[6] = values[7] = (Datum) 0;
	nulls[6] = nulls[7] = 'n';
	if (oldtup)
	{
		values[6] = row_jsonb(entry, oldtup, desc, &old_geom, &old_geom_null);
		nulls[6] = ' ';
	}
	if (newtup)
	{
		values[7] = row_jsonb(entry, newtup, desc, &new_geom, &new_geom_null);
		nulls[7] = ' ';
	}
	if (changed)
		values[8] = PointerGetDatum(changed);
	else
		nulls[8] = 'n';
	values[9] = (Datum) 0;
	nulls[9] = 'n';
	if (geom_changed && old_geom_null == ' ' && new_geom_null == ' ')
	{
		double		m;

		if (tl_geo_moved_m(entry->geom_type, old_geom, new_geom, &m))
		{
			values[9] = Float8GetDatum(m);
			nulls[9] = ' ';
		}
	}
	/* the changed area: both versions when the geometry changed, else the current one */
	if (entry->geom_attno)
	{
		bool		use_old = op == 'D' || geom_changed;

		has_bbox = tl_geo_bbox(entry->geom_type, old_geom, use_old && old_geom_null == ' ',
							   new_geom, new_geom_null == ' ', box);
	}
	if (has_bbox)
	{
		Datum		elems[4];

		for (int i = 0; i < 4; i++)
			elems[i] = Float8GetDatum(box[i]);
		values[10] = PointerGetDatum(construct_array(elems, 4, FLOAT8OID, sizeof(float8),
													 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	}
	else
	{
		values[10] = (Datum) 0;
		nulls[10] = 'n';
	}

	/* only the INSERT of these fixed-type values runs as the log's owner */
	as_log_owner_begin(&saved);
	ret = SPI_execute_plan(log_plan_get(), values, nulls, false, 1);
	as_log_owner_end(&saved);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "tailings: change log insert failed: %s", SPI_result_code_string(ret));
	log_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	/*
	 * The notification names the log row: a listener that cannot trust
	 * NOTIFY (anyone may send one) reads the change from the log by its id.
	 */
	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"id\":" INT64_FORMAT ",\"table\":", log_id);
	escape_json(&payload, entry->table_name);
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
	if (has_bbox)
		appendStringInfo(&payload, "[%.7f,%.7f,%.7f,%.7f]", box[0], box[1], box[2], box[3]);
	else
		appendStringInfoString(&payload, "null");
	appendStringInfoChar(&payload, '}');
	Async_Notify(NOTIFY_CHANNEL, payload.data);

	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Trigger of tailings.tracked_table: a registration that changes reaches the
 * trigger of every session through a relcache invalidation of its table.
 */
PG_FUNCTION_INFO_V1(tl_tracked_table_changed);
Datum
tl_tracked_table_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuples[2];

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings._tracked_table_changed() must be a FOR EACH ROW trigger")));
	tuples[0] = trigdata->tg_trigtuple;
	tuples[1] = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : NULL;
	for (int i = 0; i < 2; i++)
	{
		bool		isnull;
		Oid			relid;

		if (tuples[i] == NULL)
			continue;
		relid = DatumGetObjectId(heap_getattr(tuples[i], 1, RelationGetDescr(trigdata->tg_relation), &isnull));
		if (!isnull && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			CacheInvalidateRelcacheByRelid(relid);
	}
	return PointerGetDatum(TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? trigdata->tg_trigtuple
						   : trigdata->tg_newtuple ? trigdata->tg_newtuple : trigdata->tg_trigtuple);
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
