/*
 * track.c - change tracking: the trigger tailings.track_changes(), the guard
 * that keeps tailings.change_log append-only, and tailings.prune_changes().
 *
 * track_changes() is an AFTER ... FOR EACH ROW trigger.  For every changed row
 * it inserts one change_log row in the same transaction (old and new row as
 * jsonb, the names of the changed columns, how far the geometry moved) and
 * queues a NOTIFY on channel TL_CHANGES_CHANNEL (contract.h), which PostgreSQL delivers at
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
 * The log row and the history's versions are written without the SQL
 * executor (ExecSimpleRelationInsert and its siblings, as the logical
 * replication worker writes a table: insert_log_row_direct, history_direct),
 * in the same transaction, as the log's owner, through a Writer that keeps
 * the table and its indexes open from a statement's first row to its end; a
 * log or history table that does not fit that (a trigger or rule of its own,
 * FORCE ROW LEVEL SECURITY, other columns) is written by statements instead:
 * the log INSERT one plan per session, prepared once and kept, and the
 * history's (history_plan).  The rows' jsonb is made column by column as
 * to_jsonb() makes it (json_plan), by to_jsonb() itself for the types whose
 * conversion is not plain.
 *
 * Who the log names.  session_role is the session user (the login), always.
 * actor is tailings.actor when it is set and the current role has the rights
 * of tailings_app (an application acting for people, which a DBA trusts to
 * name them; superusers have those rights); else, for a role with a member
 * row (tailings.member), the member's display_name: a member that is not an
 * application cannot name anyone else; else the session user.  The member
 * row and the tailings_app check are looked up once per transaction and role
 * (as the log's owner), and forgotten at the transaction's end, when member
 * changes, and when role memberships or attributes change.  submission_id is
 * the transaction-local setting tailings.submission_id (set by
 * tailings.approve), null when unset.
 *
 * Trigger arguments (all optional): the row id column (default "id"), the
 * pond id column (default "pond_id"; "" for none), the geometry column
 * (default: the table's first geometry column; "" for none).
 */
#include "tailings.h"

#include <math.h>

#include "access/detoast.h"
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "executor/executor.h"
#include "storage/lmgr.h"
#include "common/jsonapi.h"
#include "parser/parse_coerce.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/resowner.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/dependency.h"
#include "commands/sequence.h"
#include "utils/xid8.h"
#include "optimizer/optimizer.h"
#include "catalog/pg_class.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
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

#include "tailings/contract.h"

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
	TupleDesc	json_desc;		/* the row with its geometry as text (a blessed record type) */
	FmgrInfo	to_jsonb_rec;	/* to_jsonb(record), for rows of json_desc */
	/* the row as jsonb without to_jsonb's lookups per value (json_plan), once known */
	int8		json_fast;		/* -1: not known yet; 0: to_jsonb; 1: the plan below */
	char	   *json_kind;		/* per column, JsonKind; in TopMemoryContext */
	FmgrInfo   *json_out;		/* per column, its output function where needed; in TopMemoryContext */
	/* its history table (tailings.history_table), InvalidOid if none */
	Oid			history;
	char	   *history_name;	/* quoted, schema-qualified, in TopMemoryContext */
	char	   *history_id;		/* the history's row id column, quoted, in TopMemoryContext */
	SPIPlanPtr	hist_plans[4];	/* its statements (history_plan) */
	char	   *hist_id_name;	/* the history's row id column, unquoted, in TopMemoryContext */
	/* writing the history without the executor (history_direct), known once hist_checked */
	bool		hist_checked;
	bool		hist_direct;	/* possible: else the statements above */
	Oid			hist_index;		/* the history's btree on the row id */
	RegProcedure hist_id_eq;	/* the row id's equality (int2eq, int4eq or int8eq) */
	Oid			hist_id_type;
	AttrNumber	hist_valid;		/* the history's "valid" */
	int			hist_natts;
	AttrNumber *hist_map;		/* per history column: the table's column (0: none), in TopMemoryContext */
} TrackedRel;

static HTAB *tracked_rels = NULL;

/* the log INSERT, one plan per session, run as the log's owner */
static SPIPlanPtr log_plan = NULL;
/* whether it fills change_log.submission_id (not before the 0.7.0 update) */
static bool log_plan_submission = false;
/* change_log changed (ALTER TABLE, an update of the extension): look again */
static bool log_plan_recheck = false;

/* tailings.change_log and its owner, looked up once (forgotten when the relcache says so) */
static Oid	log_relid = InvalidOid;
static Oid	log_owner = InvalidOid;

/* set while prune_changes() deletes: the only way past the append-only guard */
static bool pruning = false;

/*
 * A table the trigger writes directly (change_log, a history table): the
 * relation, an executor state with its indexes open, and slots.  Made at the
 * first row of a statement and kept to the statement's end, where
 * tl_executor_finish closes it (as the executor keeps a statement's result
 * relations), so each further row pays for its writes only: no relation or
 * index opened, no index AM state (a GiST's, a BRIN's) built again.  A writer
 * made outside a statement's end (COPY, deferred triggers, a session's first
 * statement, before the hook was installed) serves one row.  Held by the
 * resource owner that was current when it was made; forgotten, not closed,
 * when its (sub)transaction or statement fails, whose resource owners then
 * release its relation and indexes.  A subtransaction that fails also closes
 * the writers made before it (the row that failed may have been using one).
 * A writer's slots hold no buffer: the history's scan has a slot of its own.
 */
typedef struct Writer
{
	Oid			relid;
	int			depth;			/* the statement-end nesting that made it; 0: one row */
	SubTransactionId subid;		/* the subtransaction that made it */
	bool		stale;			/* its table or an index changed (relcache): made anew */
	ResourceOwner owner;
	MemoryContext cxt;			/* holds it and its executor state */
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	Relation	irel;			/* the history's btree on the row id, once asked for */
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot;
	struct Writer *next;
} Writer;

static Writer *writers = NULL;
/* the nesting of ExecutorFinish (where a statement's AFTER triggers run) */
static int	finish_depth = 0;
static ExecutorFinish_hook_type prev_executor_finish = NULL;

/* a writer let go: closed, or only forgotten after an error (its resource owner releases it) */
static void
writer_close(Writer *w, bool close)
{
	if (close)
	{
		ResourceOwner save = CurrentResourceOwner;

		CurrentResourceOwner = w->owner;
		if (w->irel != NULL)
			index_close(w->irel, NoLock);
		ExecCloseIndices(w->rri);
		ExecResetTupleTable(w->estate->es_tupleTable, false);
		FreeExecutorState(w->estate);
		table_close(w->rel, NoLock);
		CurrentResourceOwner = save;
	}
	MemoryContextDelete(w->cxt);
}

/* take the writers that match out of the list, and let them go */
static void
writers_drop(bool close, int min_depth, SubTransactionId subid)
{
	Writer	  **link = &writers;
	Writer	   *w;

	while ((w = *link) != NULL)
	{
		if (w->depth >= min_depth && (subid == InvalidSubTransactionId || w->subid == subid))
		{
			*link = w->next;
			writer_close(w, close);
		}
		else
			link = &w->next;
	}
}

static void
writers_xact_callback(XactEvent event, void *arg)
{
	/* none is left at a commit (statements close theirs); an error's are forgotten */
	writers_drop(false, 0, InvalidSubTransactionId);
	finish_depth = 0;
}

static void
writers_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_PRE_COMMIT_SUB)
		writers_drop(true, 0, mySubid);
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* made in it: its resource owner releases them */
		writers_drop(false, 0, mySubid);
		/* made before it and perhaps used by the row that failed: closed, made again */
		writers_drop(true, 0, InvalidSubTransactionId);
	}
}

/* a statement's AFTER triggers have run: close the writers they made */
static void
tl_executor_finish(QueryDesc *queryDesc)
{
	int			depth = ++finish_depth;

	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_CATCH();
	{
		finish_depth = depth - 1;
		writers_drop(false, depth, InvalidSubTransactionId);
		PG_RE_THROW();
	}
	PG_END_TRY();
	finish_depth = depth - 1;
	writers_drop(true, depth, InvalidSubTransactionId);
}

void
tl_track_init(void)
{
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = tl_executor_finish;
	RegisterXactCallback(writers_xact_callback, NULL);
	RegisterSubXactCallback(writers_subxact_callback, NULL);
}

/* the writer of table relid, made if need be; NULL when the table is gone */
static Writer *
writer_get(Oid relid)
{
	Writer	  **link = &writers;
	Writer	   *w;
	Relation	rel;
	MemoryContext cxt,
				old;
	RangeTblEntry *rte;

	for (; (w = *link) != NULL; link = &w->next)
		if (w->relid == relid)
		{
			if (!w->stale)
				return w;
			*link = w->next;
			writer_close(w, true);
			break;
		}
	rel = try_table_open(relid, RowExclusiveLock);
	if (rel == NULL)
		return NULL;
	cxt = AllocSetContextCreate(TopTransactionContext, "tailings writer", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	w = palloc0(sizeof(Writer));
	w->relid = relid;
	w->depth = finish_depth;
	w->subid = GetCurrentSubTransactionId();
	w->owner = CurrentResourceOwner;
	w->cxt = cxt;
	w->rel = rel;
	w->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(w->estate, list_make1(rte));
	w->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(w->rri, rel, 1, NULL, 0);
	ExecOpenIndices(w->rri, false);
	w->oldslot = ExecInitExtraTupleSlot(w->estate, RelationGetDescr(rel), &TTSOpsHeapTuple);
	w->newslot = ExecInitExtraTupleSlot(w->estate, RelationGetDescr(rel), &TTSOpsVirtual);
	MemoryContextSwitchTo(old);
	w->next = writers;
	writers = w;
	return w;
}

/* the history's btree on the row id, opened once per writer */
static Relation
writer_index(Writer *w, Oid index)
{
	if (w->irel == NULL || RelationGetRelid(w->irel) != index)
	{
		ResourceOwner save = CurrentResourceOwner;

		CurrentResourceOwner = w->owner;
		if (w->irel != NULL)
			index_close(w->irel, NoLock);
		w->irel = index_open(index, RowExclusiveLock);
		CurrentResourceOwner = save;
	}
	return w->irel;
}

/*
 * A row's writes are done: its slots are emptied and its per-tuple memory
 * freed; a writer for one row, or one the table's change made stale, is
 * closed.
 */
static void
writer_row_done(Writer *w)
{
	ExecClearTuple(w->oldslot);
	ExecClearTuple(w->newslot);
	ResetPerTupleExprContext(w->estate);
	if (w->depth == 0 || w->stale)
	{
		Writer	  **link = &writers;

		while (*link != w)
			link = &(*link)->next;
		*link = w->next;
		writer_close(w, true);
	}
}

/* a writer that cannot be used (its table does not fit the direct writes) */
static void
writer_refuse(Writer *w)
{
	w->stale = true;
	writer_row_done(w);
}

static void
tracked_rel_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TrackedRel *entry;

	if (relid == InvalidOid || relid == log_relid)
	{
		log_relid = log_owner = InvalidOid;
		log_plan_recheck = true;
	}
	for (Writer *w = writers; w != NULL; w = w->next)
	{
		if (relid == InvalidOid || w->relid == relid ||
			(w->irel != NULL && RelationGetRelid(w->irel) == relid))
			w->stale = true;
		for (int i = 0; i < w->rri->ri_NumIndices && !w->stale; i++)
			if (RelationGetRelid(w->rri->ri_IndexRelationDescs[i]) == relid)
				w->stale = true;
	}
	if (tracked_rels == NULL)
		return;
	hash_seq_init(&status, tracked_rels);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (relid == InvalidOid || entry->relid == relid || entry->history == relid)
			entry->valid = false;
}

/* a cast to json made or dropped: to_jsonb() may take it, so each table's json_plan is made again */
static void
tracked_rel_casts_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS status;
	TrackedRel *entry;

	if (tracked_rels == NULL)
		return;
	hash_seq_init(&status, tracked_rels);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->json_fast = -1;
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

/* tailings.change_log's OID */
static Oid
change_log_relid(void)
{
	change_log_owner();
	return log_relid;
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

/*
 * The table's history table and its row id column, if it has one
 * (tailings.history_table exists from 0.9.0 on); asked as the log's owner.
 */
static Oid
table_history(Oid relid, char **id_column)
{
	AsOwner		saved;
	int			ret;
	bool		isnull;
	Oid			history;

	*id_column = NULL;
	if (!OidIsValid(get_relname_relid("history_table", get_namespace_oid("tailings", false))))
		return InvalidOid;
	as_log_owner_begin(&saved);
	ret = SPI_execute_with_args("SELECT h.history, h.id_column::pg_catalog.text FROM tailings.history_table h"
								" WHERE h.relid OPERATOR(pg_catalog.=) $1",
								1, (Oid[]) {REGCLASSOID}, (Datum[]) {ObjectIdGetDatum(relid)},
								NULL, true, 1);
	as_log_owner_end(&saved);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "tailings: reading tailings.history_table failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		return InvalidOid;
	history = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	*id_column = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	return isnull ? InvalidOid : history;
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

/*
 * The geometry column: the one named (an error if it is not a geometry), none
 * for "", the table's first geometry column when not named; 0 if none.
 */
static AttrNumber
geometry_column(Relation rel, const char *geom_name)
{
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	attno = 0;

	if (geom_name != NULL && geom_name[0] != '\0')
	{
		attno = column_by_name(desc, geom_name);
		if (attno == 0 || !is_geometry_type(TupleDescAttr(desc, attno - 1)->atttypid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("table \"%s\" has no geometry column \"%s\"",
							RelationGetRelationName(rel), geom_name)));
	}
	else if (geom_name == NULL)
	{
		for (int i = 0; i < desc->natts && attno == 0; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && is_geometry_type(att->atttypid))
				attno = att->attnum;
		}
	}
	return attno;
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
	Oid			history = InvalidOid;
	char	   *history_id = NULL;
	MemoryContext old;

	if (tracked_rels == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(TrackedRel);
		tracked_rels = hash_create("tailings tracked tables", 16, &ctl, HASH_ELEM | HASH_BLOBS);
		CacheRegisterRelcacheCallback(tracked_rel_invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(CASTSOURCETARGET, tracked_rel_casts_changed, (Datum) 0);
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
		if (entry->json_desc)
			FreeTupleDesc(entry->json_desc);
		if (entry->history_name)
			pfree(entry->history_name);
		if (entry->history_id)
			pfree(entry->history_id);
		for (int i = 0; i < lengthof(entry->hist_plans); i++)
			if (entry->hist_plans[i])
				SPI_freeplan(entry->hist_plans[i]);
		if (entry->hist_id_name)
			pfree(entry->hist_id_name);
		if (entry->hist_map)
			pfree(entry->hist_map);
		if (entry->json_kind)
			pfree(entry->json_kind);
		if (entry->json_out)
			pfree(entry->json_out);
	}
	entry->json_fast = -1;
	entry->json_kind = NULL;
	entry->json_out = NULL;
	entry->table_name = NULL;
	entry->geom_key = NULL;
	entry->json_desc = NULL;
	entry->history_name = NULL;
	entry->history_id = NULL;
	memset(entry->hist_plans, 0, sizeof(entry->hist_plans));
	entry->hist_id_name = NULL;
	entry->hist_map = NULL;
	entry->hist_checked = entry->hist_direct = false;
	entry->history = InvalidOid;
	entry->valid = false;

	entry->id_attno = id_column(rel, id_name, "row id");
	entry->pond_attno = id_column(rel, pond_name, "pond id");
	entry->geom_attno = geometry_column(rel, geom_name);
	entry->geom_type = InvalidOid;
	entry->row_type = rel->rd_rel->reltype;
	entry->registered = table_registered(relid);
	if (entry->registered)
		history = table_history(relid, &history_id);

	nsp = get_namespace_name(RelationGetNamespace(rel));
	old = MemoryContextSwitchTo(TopMemoryContext);
	entry->table_name = psprintf("%s.%s", nsp, RelationGetRelationName(rel));
	if (OidIsValid(history) && history_id != NULL)
	{
		char	   *hnsp = get_namespace_name(get_rel_namespace(history));
		char	   *hname = get_rel_name(history);

		if (hnsp != NULL && hname != NULL)
		{
			entry->history = history;
			entry->history_name = pstrdup(quote_qualified_identifier(hnsp, hname));
			entry->history_id = pstrdup(quote_identifier(history_id));
			entry->hist_id_name = pstrdup(history_id);
		}
	}
	if (entry->geom_attno != 0)
	{
		bool		varlena;

		entry->geom_type = TupleDescAttr(desc, entry->geom_attno - 1)->atttypid;
		entry->geom_key = pstrdup(NameStr(TupleDescAttr(desc, entry->geom_attno - 1)->attname));
		getTypeOutputInfo(entry->geom_type, &entry->geom_out, &varlena);
		/* the row as to_jsonb() sees it: the geometry's column holds its hex EWKB text */
		entry->json_desc = CreateTupleDescCopy(desc);
		TupleDescInitEntry(entry->json_desc, entry->geom_attno, entry->geom_key, TEXTOID, -1, 0);
		entry->json_desc->tdtypeid = RECORDOID;
		entry->json_desc->tdtypmod = -1;
		BlessTupleDesc(entry->json_desc);
		fmgr_info_cxt(F_TO_JSONB, &entry->to_jsonb_rec, TopMemoryContext);
		fmgr_info_set_expr((Node *) makeFuncExpr(F_TO_JSONB, JSONBOID,
												 list_make1(makeNullConst(RECORDOID, -1, InvalidOid)),
												 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL),
						   &entry->to_jsonb_rec);
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

/*
 * The log INSERT's parameters, by name: X(slot, change_log column, type).
 * The slot's position is its $N (LOG_ACTOR is $1), and the INSERT's column
 * list and VALUES are written from this list, so a slot cannot be filled
 * into the wrong column.
 */
#define LOG_PARAMS(X) \
	X(LOG_ACTOR, "actor", TEXTOID) \
	X(LOG_SESSION_ROLE, "session_role", TEXTOID) \
	X(LOG_TABLE_NAME, "table_name", TEXTOID) \
	X(LOG_ROW_ID, "row_id", INT8OID) \
	X(LOG_POND_ID, "pond_id", INT8OID) \
	X(LOG_OP, "op", CHAROID) \
	X(LOG_OLD_ROW, "old_row", JSONBOID) \
	X(LOG_NEW_ROW, "new_row", JSONBOID) \
	X(LOG_CHANGED, "changed", TEXTARRAYOID) \
	X(LOG_MOVED_M, "moved_m", FLOAT8OID) \
	X(LOG_BBOX, "bbox", FLOAT8ARRAYOID) \
	X(LOG_SUBMISSION_ID, "submission_id", INT8OID)	/* last: absent before 0.7.0 */

typedef enum LogParam
{
#define LOG_PARAM_ENUM(slot, column, type) slot,
	LOG_PARAMS(LOG_PARAM_ENUM)
#undef LOG_PARAM_ENUM
	LOG_NPARAMS
} LogParam;

/* the values of the log INSERT's parameters, slot by slot */
typedef struct LogParams
{
	Datum		values[LOG_NPARAMS];
	char		nulls[LOG_NPARAMS];	/* SPI's ' ' / 'n' */
} LogParams;

static void
log_param_set(LogParams *p, LogParam slot, Datum value)
{
	p->values[slot] = value;
	p->nulls[slot] = ' ';
}

static void
log_param_null(LogParams *p, LogParam slot)
{
	p->values[slot] = (Datum) 0;
	p->nulls[slot] = 'n';
}

/* prepare the log INSERT once per session (as the log's owner) */
static SPIPlanPtr
log_plan_get(void)
{
	static const char *const columns[LOG_NPARAMS] = {
#define LOG_PARAM_COLUMN(slot, column, type) [slot] = column,
		LOG_PARAMS(LOG_PARAM_COLUMN)
#undef LOG_PARAM_COLUMN
	};
	Oid			argtypes[LOG_NPARAMS] = {
#define LOG_PARAM_TYPE(slot, column, type) [slot] = type,
		LOG_PARAMS(LOG_PARAM_TYPE)
#undef LOG_PARAM_TYPE
	};

	/*
	 * A database not yet updated to 0.7.0 has no change_log.submission_id:
	 * the plan leaves it out, and is made again once the table changes.
	 */
	if (log_plan != NULL && log_plan_recheck && !log_plan_submission)
	{
		SPI_freeplan(log_plan);
		log_plan = NULL;
	}
	log_plan_recheck = false;
	if (log_plan == NULL)
	{
		SPIPlanPtr	plan;
		StringInfoData sql;
		int			nparams = LOG_NPARAMS;
		bool		submission = get_attnum(change_log_relid(), "submission_id") != InvalidAttrNumber;

		if (!submission)
			nparams--;
		initStringInfo(&sql);
		appendStringInfoString(&sql, "INSERT INTO tailings.change_log (txid, changed_at");
		for (int i = 0; i < nparams; i++)
			appendStringInfo(&sql, ", %s", columns[i]);
		appendStringInfoString(&sql, ") VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.now()");
		for (int i = 0; i < nparams; i++)
			appendStringInfo(&sql, ", $%d", i + 1);
		appendStringInfoString(&sql, ") RETURNING id");
		/* a generic plan: the same plan serves every row, never replanned */
		plan = SPI_prepare_cursor(sql.data, nparams, argtypes, CURSOR_OPT_GENERIC_PLAN);
		if (plan == NULL)
			elog(ERROR, "tailings: could not prepare the change log insert: %s",
				 SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		pfree(sql.data);
		log_plan = plan;
		log_plan_submission = submission;
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
 * How a column becomes jsonb, in the categories of to_jsonb() (jsonb.c's
 * jsonb_categorize_type and datum_to_jsonb), for the types whose conversion
 * is plain: a table with any other (an array, a composite, json, a type with
 * a cast to json) is made into jsonb by to_jsonb() itself.
 */
typedef enum JsonKind
{
	JK_SKIP,					/* a dropped column */
	JK_INT2,					/* integers: a jsonb number */
	JK_INT4,
	JK_INT8,
	JK_NUMBER,					/* numeric, real, double: a number, or a string ("NaN") */
	JK_BOOL,
	JK_DATE,					/* dates and times: their ISO 8601 strings */
	JK_TIMESTAMP,
	JK_TIMESTAMPTZ,
	JK_JSONB,					/* its contents */
	JK_STRING,					/* any other type: its output as a string */
	JK_GEOM						/* the geometry column: its hex EWKB as a string */
} JsonKind;

/* can the table's rows be made into jsonb column by column?  Caches how. */
static bool
json_plan(TrackedRel *entry, TupleDesc desc)
{
	char	   *kind;
	FmgrInfo   *out;

	if (entry->json_kind)
		pfree(entry->json_kind);
	if (entry->json_out)
		pfree(entry->json_out);
	entry->json_kind = NULL;
	entry->json_out = NULL;
	kind = MemoryContextAllocZero(TopMemoryContext, Max(desc->natts, 1));
	out = MemoryContextAllocZero(TopMemoryContext, sizeof(FmgrInfo) * Max(desc->natts, 1));

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			typid;
		Oid			outfn = InvalidOid;
		bool		varlena;

		if (att->attisdropped)
			continue;
		if (i == entry->geom_attno - 1)
		{
			kind[i] = JK_GEOM;
			fmgr_info_cxt(entry->geom_out, &out[i], TopMemoryContext);
			continue;
		}
		typid = getBaseType(att->atttypid);
		switch (typid)
		{
			case INT2OID:
				kind[i] = JK_INT2;
				break;
			case INT4OID:
				kind[i] = JK_INT4;
				break;
			case INT8OID:
				kind[i] = JK_INT8;
				break;
			case FLOAT4OID:
			case FLOAT8OID:
			case NUMERICOID:
				kind[i] = JK_NUMBER;
				getTypeOutputInfo(typid, &outfn, &varlena);
				break;
			case BOOLOID:
				kind[i] = JK_BOOL;
				break;
			case DATEOID:
				kind[i] = JK_DATE;
				break;
			case TIMESTAMPOID:
				kind[i] = JK_TIMESTAMP;
				break;
			case TIMESTAMPTZOID:
				kind[i] = JK_TIMESTAMPTZ;
				break;
			case JSONBOID:
				kind[i] = JK_JSONB;
				break;
			default:
				{
					Oid			castfn;

					/* json, arrays, composites, and types with a cast to json: to_jsonb() */
					if (typid == JSONOID || OidIsValid(get_element_type(typid)) || typid == ANYARRAYOID ||
						typid == ANYCOMPATIBLEARRAYOID || typid == RECORDARRAYOID || type_is_rowtype(typid) ||
						(typid >= FirstNormalObjectId &&
						 find_coercion_pathway(JSONOID, typid, COERCION_EXPLICIT, &castfn) == COERCION_PATH_FUNC &&
						 OidIsValid(castfn)))
					{
						pfree(kind);
						pfree(out);
						return false;
					}
					kind[i] = JK_STRING;
					getTypeOutputInfo(typid, &outfn, &varlena);
				}
		}
		if (OidIsValid(outfn))
			fmgr_info_cxt(outfn, &out[i], TopMemoryContext);
	}
	entry->json_kind = kind;
	entry->json_out = out;
	return true;
}

/* a string value, as jsonb takes it */
static void
json_string(JsonbValue *v, char *s)
{
	size_t		len = strlen(s);

	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string too long to represent as jsonb string"),
				 errdetail("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
						   JENTRY_OFFLENMASK)));
	v->type = jbvString;
	v->val.string.len = (int) len;
	v->val.string.val = s;
}

/* the row as jsonb through its json_plan: to_jsonb()'s value, without its lookups */
static Datum
row_jsonb_planned(TrackedRel *entry, TupleDesc desc, Datum *values, bool *nulls)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < desc->natts; i++)
	{
		char	   *name;
		char	   *str;

		if (entry->json_kind[i] == JK_SKIP)
			continue;
		name = NameStr(TupleDescAttr(desc, i)->attname);
		v.type = jbvString;
		v.val.string.len = strlen(name);
		v.val.string.val = name;
		pushJsonbValue(&state, WJB_KEY, &v);
		if (nulls[i])
		{
			v.type = jbvNull;
			pushJsonbValue(&state, WJB_VALUE, &v);
			continue;
		}
		switch ((JsonKind) entry->json_kind[i])
		{
			case JK_INT2:
			case JK_INT4:
			case JK_INT8:
				v.type = jbvNumeric;
				v.val.numeric = int64_to_numeric(entry->json_kind[i] == JK_INT2 ? DatumGetInt16(values[i]) :
												 entry->json_kind[i] == JK_INT4 ? DatumGetInt32(values[i]) :
												 DatumGetInt64(values[i]));
				break;
			case JK_NUMBER:
				str = OutputFunctionCall(&entry->json_out[i], values[i]);
				if (IsValidJsonNumber(str, strlen(str)))
				{
					v.type = jbvNumeric;
					v.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(str),
																		ObjectIdGetDatum(InvalidOid),
																		Int32GetDatum(-1)));
				}
				else
					json_string(&v, str);
				break;
			case JK_BOOL:
				v.type = jbvBool;
				v.val.boolean = DatumGetBool(values[i]);
				break;
			case JK_DATE:
			case JK_TIMESTAMP:
			case JK_TIMESTAMPTZ:
				json_string(&v, JsonEncodeDateTime(NULL, values[i],
												   entry->json_kind[i] == JK_DATE ? DATEOID :
												   entry->json_kind[i] == JK_TIMESTAMP ? TIMESTAMPOID : TIMESTAMPTZOID,
												   NULL));
				break;
			case JK_JSONB:
				{
					Jsonb	   *jb = DatumGetJsonbP(values[i]);
					JsonbIterator *it = JsonbIteratorInit(&jb->root);
					JsonbIteratorToken tok;

					if (JB_ROOT_IS_SCALAR(jb))
					{
						/* a scalar is kept as an array of one */
						(void) JsonbIteratorNext(&it, &v, true);
						(void) JsonbIteratorNext(&it, &v, true);
						break;
					}
					while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
						pushJsonbValue(&state, tok,
									   tok == WJB_BEGIN_ARRAY || tok == WJB_END_ARRAY ||
									   tok == WJB_BEGIN_OBJECT || tok == WJB_END_OBJECT ? NULL : &v);
					continue;
				}
			case JK_STRING:
			case JK_GEOM:
				json_string(&v, OutputFunctionCall(&entry->json_out[i], values[i]));
				break;
			case JK_SKIP:
				continue;
		}
		pushJsonbValue(&state, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(res));
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
	int			g = entry->geom_attno - 1;
	Datum	   *values;
	bool	   *nulls;
	HeapTuple	row;

	if (entry->json_fast < 0)
		entry->json_fast = json_plan(entry, desc);
	if (entry->geom_attno == 0 && !entry->json_fast)
		return FunctionCall1(&entry->to_jsonb, heap_copy_tuple_as_datum(tuple, desc));

	values = palloc(desc->natts * sizeof(Datum));
	nulls = palloc(desc->natts * sizeof(bool));
	heap_deform_tuple(tuple, desc, values, nulls);
	if (g >= 0)
	{
		*geom = values[g];
		*geom_null = nulls[g] ? 'n' : ' ';
	}
	if (entry->json_fast)
		return row_jsonb_planned(entry, desc, values, nulls);

	/*
	 * One jsonb, made once: the row's values in a record whose geometry
	 * column is the geometry's text (values kept out of line are brought in,
	 * as in any composite value).
	 */
	if (!nulls[g])
		values[g] = CStringGetTextDatum(OidOutputFunctionCall(entry->geom_out, *geom));
	for (int i = 0; i < desc->natts; i++)
		if (i != g && !nulls[i] && TupleDescAttr(desc, i)->attlen == -1 &&
			VARATT_IS_EXTERNAL(DatumGetPointer(values[i])))
			values[i] = PointerGetDatum(detoast_external_attr((struct varlena *) DatumGetPointer(values[i])));
	row = heap_form_tuple(entry->json_desc, values, nulls);
	return FunctionCall1(&entry->to_jsonb_rec, HeapTupleGetDatum(row));
}

/*
 * The actor: what is known of the current role, looked up once per
 * transaction (see the top of this file).
 */
typedef struct ActorCache
{
	bool		valid;
	Oid			userid;
	char	   *display_name;	/* the member's, in TopMemoryContext; NULL: not a member */
	bool		app;			/* has the rights of tailings_app */
} ActorCache;

static ActorCache actor_cache = {false, InvalidOid, NULL, false};
static bool actor_callbacks = false;
static SPIPlanPtr member_plan = NULL;

static void
actor_forget(void)
{
	actor_cache.valid = false;
}

static void
actor_xact_callback(XactEvent event, void *arg)
{
	actor_forget();
}

static void
actor_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		actor_forget();
}

static void
actor_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	actor_forget();
}

/* the current role's member row and tailings_app rights; SPI is connected */
static void
actor_lookup(Oid userid)
{
	Oid			nsp;
	Oid			app;
	char	   *display_name = NULL;

	if (!actor_callbacks)
	{
		RegisterXactCallback(actor_xact_callback, NULL);
		RegisterSubXactCallback(actor_subxact_callback, NULL);
		CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, actor_syscache_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(AUTHOID, actor_syscache_callback, (Datum) 0);
		actor_callbacks = true;
	}
	/* tailings.member exists from 0.7.0 on */
	nsp = get_namespace_oid("tailings", false);
	if (OidIsValid(get_relname_relid("member", nsp)))
	{
		AsOwner		saved;
		NameData	role;
		int			ret;

		namestrcpy(&role, GetUserNameFromId(userid, false));
		as_log_owner_begin(&saved);
		if (member_plan == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare("SELECT m.display_name FROM tailings.member m"
										   " WHERE m.role_name OPERATOR(pg_catalog.=) $1",
										   1, (Oid[]) {NAMEOID});

			if (plan == NULL)
				elog(ERROR, "tailings: could not prepare the member lookup: %s",
					 SPI_result_code_string(SPI_result));
			SPI_keepplan(plan);
			member_plan = plan;
		}
		ret = SPI_execute_plan(member_plan, (Datum[]) {NameGetDatum(&role)}, NULL, true, 1);
		as_log_owner_end(&saved);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "tailings: reading tailings.member failed: %s", SPI_result_code_string(ret));
		if (SPI_processed > 0)
			display_name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}
	if (actor_cache.display_name != NULL)
		pfree(actor_cache.display_name);
	actor_cache.display_name = display_name ? MemoryContextStrdup(TopMemoryContext, display_name) : NULL;
	app = get_role_oid("tailings_app", true);
	actor_cache.app = OidIsValid(app) && has_privs_of_role(userid, app);
	actor_cache.userid = userid;
	actor_cache.valid = true;
}

static char *
current_actor(void)
{
	Oid			userid = GetUserId();

	if (!actor_cache.valid || actor_cache.userid != userid)
		actor_lookup(userid);
	if (actor_cache.app && tl_actor != NULL && tl_actor[0] != '\0')
		return tl_actor;
	if (actor_cache.display_name != NULL)
		return actor_cache.display_name;
	return GetUserNameFromId(GetSessionUserId(), false);
}

/*
 * Is this a superuser restoring a dump?  Then the trigger writes nothing: the
 * log and the history tables come with the dump.
 */
static bool
restoring(void)
{
	/*
	 * A superuser session restoring a dump (pg_dump's scripts run with
	 * check_function_bodies off) reloads rows whose history is in the dumped
	 * change log already.  The session user, not the current user: inside a
	 * SECURITY DEFINER function the current user may be a superuser while the
	 * person calling it is not.
	 */
	return !check_function_bodies && superuser_arg(GetSessionUserId());
}

/* one change of one row, as the trigger sees it */
typedef struct Change
{
	char		op;				/* I, U or D */
	HeapTuple	oldtup;			/* NULL for an INSERT */
	HeapTuple	newtup;			/* NULL for a DELETE */
	ArrayType  *changed;		/* the changed columns (UPDATE only) */
	bool		geom_changed;
	int64		row_id;
	bool		row_id_null;
	int64		pond_id;
	bool		pond_id_null;
	bool		has_bbox;		/* the changed area, lon/lat min and max */
	double		box[4];
} Change;

/* which operation fired the trigger, and its row versions */
static void
change_of_trigger(TriggerData *trigdata, Change *change)
{
	memset(change, 0, sizeof(*change));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		change->op = 'I';
		change->newtup = trigdata->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		change->op = 'D';
		change->oldtup = trigdata->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		change->op = 'U';
		change->oldtup = trigdata->tg_trigtuple;
		change->newtup = trigdata->tg_newtuple;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings.track_changes() handles INSERT, UPDATE and DELETE only")));
}

/*
 * What the trigger knows of the table, refusing a table that a superuser did
 * not register.  SPI must be connected.
 */
static TrackedRel *
registered_rel(Relation rel, Trigger *trigger)
{
	TrackedRel *entry = tracked_rel_get(rel, trigger);

	if (!entry->registered)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("table %s is not registered for change tracking", entry->table_name),
				 errdetail("Only tables a superuser registered with tailings.track_table() write the change log."),
				 errhint("A superuser runs SELECT tailings.track_table('%s'), or drops the trigger \"%s\".",
						 entry->table_name, trigger->tgname)));
	return entry;
}

/*
 * Fill the log INSERT's slots for a change, and the change's ids and area.
 * Everything here that may run code of the table's types runs as the caller.
 */
static void
fill_log_params(TrackedRel *entry, TupleDesc desc, Change *change, LogParams *p)
{
	HeapTuple	anytup = change->newtup ? change->newtup : change->oldtup;
	Datum		old_geom = (Datum) 0,
				new_geom = (Datum) 0;
	char		old_geom_null = 'n',
				new_geom_null = 'n';
	double		m;
	int64		submission_id;

	change->row_id = int_column_value(anytup, desc, entry->id_attno, &change->row_id_null);
	change->pond_id = int_column_value(anytup, desc, entry->pond_attno, &change->pond_id_null);

	log_param_set(p, LOG_ACTOR, CStringGetTextDatum(current_actor()));
	if (tl_submission_id != NULL && tl_parse_submission_id(tl_submission_id, &submission_id))
		log_param_set(p, LOG_SUBMISSION_ID, Int64GetDatum(submission_id));
	else
		log_param_null(p, LOG_SUBMISSION_ID);
	log_param_set(p, LOG_SESSION_ROLE, CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false)));
	log_param_set(p, LOG_TABLE_NAME, CStringGetTextDatum(entry->table_name));
	if (change->row_id_null)
		log_param_null(p, LOG_ROW_ID);
	else
		log_param_set(p, LOG_ROW_ID, Int64GetDatum(change->row_id));
	if (change->pond_id_null)
		log_param_null(p, LOG_POND_ID);
	else
		log_param_set(p, LOG_POND_ID, Int64GetDatum(change->pond_id));
	log_param_set(p, LOG_OP, CharGetDatum(change->op));
	log_param_null(p, LOG_OLD_ROW);
	log_param_null(p, LOG_NEW_ROW);
	if (change->oldtup)
		log_param_set(p, LOG_OLD_ROW, row_jsonb(entry, change->oldtup, desc, &old_geom, &old_geom_null));
	if (change->newtup)
		log_param_set(p, LOG_NEW_ROW, row_jsonb(entry, change->newtup, desc, &new_geom, &new_geom_null));
	if (change->changed)
		log_param_set(p, LOG_CHANGED, PointerGetDatum(change->changed));
	else
		log_param_null(p, LOG_CHANGED);
	log_param_null(p, LOG_MOVED_M);
	if (change->geom_changed && old_geom_null == ' ' && new_geom_null == ' ' &&
		tl_geo_moved_m(entry->geom_type, old_geom, new_geom, &m))
		log_param_set(p, LOG_MOVED_M, Float8GetDatum(m));

	/* the changed area: both versions when the geometry changed, else the current one */
	if (entry->geom_attno)
	{
		bool		use_old = change->op == 'D' || change->geom_changed;

		change->has_bbox = tl_geo_bbox(entry->geom_type, old_geom, use_old && old_geom_null == ' ',
									   new_geom, new_geom_null == ' ', change->box);
	}
	if (change->has_bbox)
	{
		Datum		elems[4];

		for (int i = 0; i < 4; i++)
			elems[i] = Float8GetDatum(change->box[i]);
		log_param_set(p, LOG_BBOX, PointerGetDatum(construct_array(elems, 4, FLOAT8OID, sizeof(float8),
																	FLOAT8PASSBYVAL, TYPALIGN_DOUBLE)));
	}
	else
		log_param_null(p, LOG_BBOX);
}

/*
 * The log row written without the SQL executor (as history_direct writes the
 * history): the same row as the INSERT of log_plan_get, cheaper.  Only while
 * change_log has exactly the columns that INSERT names (and its identity id),
 * of their types, no INSERT trigger and no rule (nothing would run that the
 * INSERT would run), and the log's owner may insert without row-level
 * security applying to it; else the INSERT.  Known once per session, looked
 * at again when change_log changes (log_plan_recheck).
 */
static bool log_direct_checked = false;
static bool log_direct_ok = false;
static AttrNumber log_direct_attno[LOG_NPARAMS];	/* 0: not in the table (submission_id before 0.7.0) */
static AttrNumber log_direct_id,
			log_direct_txid,
			log_direct_changed_at;
static Oid	log_direct_seq;
/* change_log's CHECK constraints compiled once (as ExecRelCheck compiles them per statement) */
static MemoryContext log_check_cxt = NULL;
static ExprState **log_check_exprs = NULL;
static int	log_check_n = 0;

static void
log_direct_setup(Relation rel)
{
	static const char *const columns[LOG_NPARAMS] = {
#define LOG_PARAM_COLUMN(slot, column, type) [slot] = column,
		LOG_PARAMS(LOG_PARAM_COLUMN)
#undef LOG_PARAM_COLUMN
	};
	static const Oid types[LOG_NPARAMS] = {
#define LOG_PARAM_TYPE(slot, column, type) [slot] = type,
		LOG_PARAMS(LOG_PARAM_TYPE)
#undef LOG_PARAM_TYPE
	};
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	int			live = 0,
				known = 0;

	log_direct_checked = true;
	log_direct_ok = false;
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relispartition || rel->rd_rules != NULL)
		return;
	if (trig != NULL && (trig->trig_insert_before_row || trig->trig_insert_after_row ||
						 trig->trig_insert_instead_row || trig->trig_insert_before_statement ||
						 trig->trig_insert_after_statement || trig->trig_insert_new_table))
		return;
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			live++;
	log_direct_id = column_by_name(desc, "id");
	log_direct_txid = column_by_name(desc, "txid");
	log_direct_changed_at = column_by_name(desc, "changed_at");
	if (log_direct_id == 0 || TupleDescAttr(desc, log_direct_id - 1)->atttypid != INT8OID ||
		TupleDescAttr(desc, log_direct_id - 1)->attidentity == '\0' ||
		log_direct_txid == 0 || TupleDescAttr(desc, log_direct_txid - 1)->atttypid != XID8OID ||
		log_direct_changed_at == 0 || TupleDescAttr(desc, log_direct_changed_at - 1)->atttypid != TIMESTAMPTZOID)
		return;
	known = 3;
	for (int i = 0; i < LOG_NPARAMS; i++)
	{
		AttrNumber	attno = column_by_name(desc, columns[i]);

		if (attno == 0 && i != LOG_SUBMISSION_ID)
			return;
		if (attno != 0)
		{
			Form_pg_attribute att = TupleDescAttr(desc, attno - 1);

			if (att->atttypid != types[i] || att->atttypmod != -1 || att->attgenerated)
				return;
			known++;
		}
		log_direct_attno[i] = attno;
	}
	if (known != live)
		return;
	log_direct_seq = getIdentitySequence(RelationGetRelid(rel), log_direct_id, true);
	if (!OidIsValid(log_direct_seq))
		return;
	if (log_check_cxt != NULL)
		MemoryContextDelete(log_check_cxt);
	log_check_cxt = NULL;
	log_check_exprs = NULL;
	log_check_n = desc->constr != NULL ? desc->constr->num_check : 0;
	if (log_check_n > 0)
	{
		MemoryContext old;

		log_check_cxt = AllocSetContextCreate(TopMemoryContext, "tailings change_log checks", ALLOCSET_SMALL_SIZES);
		old = MemoryContextSwitchTo(log_check_cxt);
		log_check_exprs = palloc(sizeof(ExprState *) * desc->constr->num_check);
		for (int i = 0; i < desc->constr->num_check; i++)
			log_check_exprs[i] = ExecInitExpr(expression_planner(stringToNode(desc->constr->check[i].ccbin)), NULL);
		MemoryContextSwitchTo(old);
	}
	log_direct_ok = true;
}

/* the log row, directly; false when it cannot be done so (nothing done then) */
static bool
insert_log_row_direct(const LogParams *p, int64 *id)
{
	Oid			owner = change_log_owner();
	Writer	   *w;
	Relation	rel;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	AsOwner		saved;
	bool		missing = false;

	if (log_plan_recheck)
	{
		log_direct_checked = false;
		if (log_plan != NULL && !log_plan_submission)
		{
			SPI_freeplan(log_plan);
			log_plan = NULL;
		}
		log_plan_recheck = false;
	}
	if (log_direct_checked && !log_direct_ok)
		return false;
	if (pg_class_aclmask_ext(log_relid, owner, ACL_INSERT, ACLMASK_ALL, &missing) != ACL_INSERT || missing ||
		check_enable_rls(log_relid, owner, true) == RLS_ENABLED)
		return false;
	w = writer_get(log_relid);
	if (w == NULL)
		return false;
	rel = w->rel;
	if (!log_direct_checked ||
		(RelationGetDescr(rel)->constr ? RelationGetDescr(rel)->constr->num_check : 0) != log_check_n)
		log_direct_setup(rel);
	if (!log_direct_ok)
	{
		writer_refuse(w);
		return false;
	}

	as_log_owner_begin(&saved);
	rri = w->rri;
	/* the CHECK constraints, compiled once rather than for each row */
	rri->ri_ConstraintExprs = log_check_exprs;
	w->estate->es_output_cid = GetCurrentCommandId(true);
	slot = w->newslot;
	ExecClearTuple(slot);
	for (int i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
	}
	/* what the INSERT's identity, pg_current_xact_id() and now() give */
	*id = nextval_internal(log_direct_seq, false);
	slot->tts_values[log_direct_id - 1] = Int64GetDatum(*id);
	slot->tts_isnull[log_direct_id - 1] = false;
	slot->tts_values[log_direct_txid - 1] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	slot->tts_isnull[log_direct_txid - 1] = false;
	slot->tts_values[log_direct_changed_at - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	slot->tts_isnull[log_direct_changed_at - 1] = false;
	for (int i = 0; i < LOG_NPARAMS; i++)
	{
		AttrNumber	attno = log_direct_attno[i];

		if (attno == 0)
			continue;
		slot->tts_values[attno - 1] = p->values[i];
		slot->tts_isnull[attno - 1] = p->nulls[i] == 'n';
	}
	ExecStoreVirtualTuple(slot);
	ExecSimpleRelationInsert(rri, w->estate, slot);
	as_log_owner_end(&saved);
	writer_row_done(w);
	return true;
}

/* insert the log row, as the log's owner; returns its id */
static int64
insert_log_row(const LogParams *p)
{
	AsOwner		saved;
	int			ret;
	bool		isnull;
	int64		id;

	if (insert_log_row_direct(p, &id))
		return id;
	/* only the INSERT of these fixed-type values runs as the log's owner */
	as_log_owner_begin(&saved);
	/* no row limit: a limit would stop the INSERT before its AFTER STATEMENT triggers */
	ret = SPI_execute_plan(log_plan_get(), (Datum *) p->values, p->nulls, false, 0);
	as_log_owner_end(&saved);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "tailings: change log insert failed: %s", SPI_result_code_string(ret));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * The history table's statements, prepared once per table and session (every
 * name qualified: they run as the log's owner).  Closing a row's current
 * version ends it now; when it began now (an earlier change in this
 * transaction) or later (a transaction that started later and wrote first) it
 * is removed instead, giving back where it began, which the next version
 * then starts from: a period never starts before the one before it.  A change
 * made with tracking off is not logged: it removes the current version, and
 * its replacement takes its place from the same moment.  The common case (a
 * row changed once in a transaction) is one UPDATE and one INSERT of plain
 * values; the others cost a statement more.
 */
typedef enum HistStmt
{
	HIST_END,					/* $1 id: end the current version now, if it began before */
	HIST_REMOVE,				/* $1 id: remove the current version, giving where it began */
	HIST_BEGIN_AT,				/* $1 row, $2 from: the new version */
	HIST_BEGIN,					/* $1 row, $2 id, $3 silent: the new version, after any earlier one */
	HIST_NSTMTS
} HistStmt;

static SPIPlanPtr
history_plan(TrackedRel *entry, TupleDesc desc, HistStmt which)
{
	const char *h = entry->history_name;
	const char *id = entry->history_id;
	char	   *sql = NULL;
	SPIPlanPtr	plan;
	int			nargs = 1;
	Oid			argtypes[3] = {INT8OID, InvalidOid, InvalidOid};

	if (entry->hist_plans[which] != NULL)
		return entry->hist_plans[which];
	if (which == HIST_END)
		sql = psprintf("UPDATE %s SET valid = pg_catalog.tstzrange(pg_catalog.lower(valid), pg_catalog.now())"
					   " WHERE %s OPERATOR(pg_catalog.=) $1 AND pg_catalog.upper_inf(valid)"
					   " AND pg_catalog.lower(valid) OPERATOR(pg_catalog.<) pg_catalog.now()",
					   h, id);
	else if (which == HIST_REMOVE)
		sql = psprintf("DELETE FROM %s WHERE %s OPERATOR(pg_catalog.=) $1 AND pg_catalog.upper_inf(valid)"
					   " RETURNING pg_catalog.lower(valid)", h, id);
	else
	{
		StringInfoData columns,
					values;

		/*
		 * The table's columns that the history table has, by name: a column
		 * added to the table later is not kept until it is added there too.
		 */
		initStringInfo(&columns);
		initStringInfo(&values);
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);
			const char *name = quote_identifier(NameStr(att->attname));

			if (att->attisdropped || get_attnum(entry->history, NameStr(att->attname)) == InvalidAttrNumber)
				continue;
			appendStringInfo(&columns, "%s, ", name);
			appendStringInfo(&values, "($1).%s, ", name);
		}
		argtypes[0] = entry->row_type;
		if (which == HIST_BEGIN_AT)
		{
			sql = psprintf("INSERT INTO %s (%svalid) SELECT %spg_catalog.tstzrange($2, NULL::pg_catalog.timestamptz)",
						   h, columns.data, values.data);
			argtypes[1] = TIMESTAMPTZOID;
			nargs = 2;
		}
		else
		{
			sql = psprintf("INSERT INTO %s (%svalid) SELECT %spg_catalog.tstzrange(CASE WHEN $3"
						   " THEN COALESCE(p.until, '-infinity'::pg_catalog.timestamptz)"
						   " ELSE GREATEST(pg_catalog.now(), p.until) END, NULL::pg_catalog.timestamptz)"
						   " FROM (SELECT pg_catalog.max(pg_catalog.upper(x.valid)) AS until FROM %s x"
						   " WHERE x.%s OPERATOR(pg_catalog.=) $2) p",
						   h, columns.data, values.data, h, id);
			argtypes[1] = INT8OID;
			argtypes[2] = BOOLOID;
			nargs = 3;
		}
		pfree(columns.data);
		pfree(values.data);
	}
	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "tailings: could not prepare the history statement of %s: %s", h,
			 SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	pfree(sql);
	entry->hist_plans[which] = plan;
	return plan;
}

/* run a history statement as the log's owner */
static int
history_run(TrackedRel *entry, TupleDesc desc, HistStmt which, Datum *values, const char *nulls)
{
	AsOwner		saved;
	int			ret;

	as_log_owner_begin(&saved);
	ret = SPI_execute_plan(history_plan(entry, desc, which), values, nulls, false, 0);
	as_log_owner_end(&saved);
	if (ret < 0)
		elog(ERROR, "tailings: writing the history of %s failed: %s", entry->table_name,
			 SPI_result_code_string(ret));
	return ret;
}

/*
 * Writing the history without the SQL executor, as PostgreSQL's logical
 * replication apply worker writes a table (execReplication.c): the versions
 * of a row are found through the history's btree on the row id, the current
 * one is ended (ExecSimpleRelationUpdate) or removed
 * (ExecSimpleRelationDelete) and the new one inserted
 * (ExecSimpleRelationInsert), which check the history's constraints and keep
 * its indexes.  The same rows as the statements of history_plan, cheaper.
 * Only for a plain table that has no triggers and no rules (nothing would run
 * that the statements would run), whose columns are the table's (same names,
 * types and typmods: no default and no coercion to apply) and "valid", with a
 * btree on the row id, written by the log's owner with the rights to, and
 * without row-level security applying to it (not FORCE); else the statements.
 */

/* can the history be written directly?  Caches what it needs in the entry. */
static void
history_direct_setup(TrackedRel *entry, TupleDesc desc, Relation hrel)
{
	TupleDesc	hdesc = RelationGetDescr(hrel);
	AttrNumber	id_att = InvalidAttrNumber;
	AttrNumber *map;
	List	   *indexes;
	ListCell   *lc;

	entry->hist_checked = true;
	entry->hist_direct = false;
	entry->hist_valid = InvalidAttrNumber;
	entry->hist_index = InvalidOid;
	if (hrel->rd_rel->relkind != RELKIND_RELATION || hrel->rd_rel->relispartition ||
		hrel->trigdesc != NULL || hrel->rd_rules != NULL || entry->hist_id_name == NULL)
		return;
	map = MemoryContextAllocZero(TopMemoryContext, sizeof(AttrNumber) * Max(hdesc->natts, 1));
	for (int i = 0; i < hdesc->natts; i++)
	{
		Form_pg_attribute hatt = TupleDescAttr(hdesc, i);
		AttrNumber	attno;

		if (hatt->attisdropped)
			continue;
		if (strcmp(NameStr(hatt->attname), "valid") == 0)
		{
			if (hatt->atttypid != TSTZRANGEOID)
				goto no;
			entry->hist_valid = hatt->attnum;
			continue;
		}
		attno = column_by_name(desc, NameStr(hatt->attname));
		if (attno == InvalidAttrNumber ||
			TupleDescAttr(desc, attno - 1)->atttypid != hatt->atttypid ||
			TupleDescAttr(desc, attno - 1)->atttypmod != hatt->atttypmod)
			goto no;
		map[i] = attno;
		if (strcmp(NameStr(hatt->attname), entry->hist_id_name) == 0)
			id_att = hatt->attnum;
	}
	if (entry->hist_valid == InvalidAttrNumber || id_att == InvalidAttrNumber)
		goto no;
	entry->hist_id_type = TupleDescAttr(hdesc, id_att - 1)->atttypid;
	if (entry->hist_id_type == INT8OID)
		entry->hist_id_eq = F_INT8EQ;
	else if (entry->hist_id_type == INT4OID)
		entry->hist_id_eq = F_INT4EQ;
	else if (entry->hist_id_type == INT2OID)
		entry->hist_id_eq = F_INT2EQ;
	else
		goto no;
	/* a valid btree whose first column is the row id, without expressions or predicate */
	indexes = RelationGetIndexList(hrel);
	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ind = irel->rd_index;

		if (irel->rd_rel->relam == BTREE_AM_OID && ind->indisvalid && ind->indnkeyatts >= 1 &&
			ind->indkey.values[0] == id_att && irel->rd_opcintype[0] == entry->hist_id_type &&
			heap_attisnull(irel->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(irel->rd_indextuple, Anum_pg_index_indpred, NULL))
			entry->hist_index = RelationGetRelid(irel);
		index_close(irel, AccessShareLock);
		if (OidIsValid(entry->hist_index))
			break;
	}
	list_free(indexes);
	if (!OidIsValid(entry->hist_index))
		goto no;
	entry->hist_natts = hdesc->natts;
	entry->hist_map = map;
	entry->hist_direct = true;
	return;
no:
	pfree(map);
}

/* the row id as a datum of the history's id type */
static Datum
history_id_datum(const TrackedRel *entry, int64 id)
{
	if (entry->hist_id_type == INT8OID)
		return Int64GetDatum(id);
	if (entry->hist_id_type == INT4OID)
		return Int32GetDatum((int32) id);
	return Int16GetDatum((int16) id);
}

/*
 * The versions of row id: its current (open-ended) ones, copied, and the
 * latest end of the others (*until, if any).  Through a dirty snapshot, which
 * sees this transaction's own writes, waiting for a transaction that is
 * writing them (as RelationFindReplTupleByIndex).
 */
static List *
history_versions(const TrackedRel *entry, Relation hrel, Relation irel, TypeCacheEntry *typcache,
				 TupleTableSlot *slot, int64 id, bool *have_until, TimestampTz *until)
{
	SnapshotData snap;
	IndexScanDesc scan;
	ScanKeyData key;
	List	   *current = NIL;

	InitDirtySnapshot(snap);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, entry->hist_id_eq, history_id_datum(entry, id));
	scan = index_beginscan(hrel, irel, &snap, 1, 0);
retry:
	*have_until = false;
	index_rescan(scan, &key, 1, NULL, 0);
	while (index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		TransactionId xwait;
		bool		isnull;
		Datum		valid;
		RangeBound	lower,
					upper;
		bool		empty;

		CHECK_FOR_INTERRUPTS();
		xwait = TransactionIdIsValid(snap.xmin) ? snap.xmin : snap.xmax;
		if (TransactionIdIsValid(xwait))
		{
			XactLockTableWait(xwait, NULL, NULL, XLTW_None);
			list_free_deep(current);
			current = NIL;
			goto retry;
		}
		valid = slot_getattr(slot, entry->hist_valid, &isnull);
		if (isnull)
			continue;
		range_deserialize(typcache, DatumGetRangeTypeP(valid), &lower, &upper, &empty);
		if (empty)
			continue;
		if (upper.infinite)
			current = lappend(current, ExecCopySlotHeapTuple(slot));
		else if (!*have_until || DatumGetTimestampTz(upper.val) > *until)
		{
			*until = DatumGetTimestampTz(upper.val);
			*have_until = true;
		}
	}
	index_endscan(scan);
	return current;
}

/* a period [from, to), to NULL for open-ended */
static Datum
history_period(TypeCacheEntry *typcache, TimestampTz from, const TimestampTz *to)
{
	RangeBound	lower = {.val = TimestampTzGetDatum(from), .infinite = false, .inclusive = true, .lower = true};
	RangeBound	upper = {.val = to ? TimestampTzGetDatum(*to) : (Datum) 0, .infinite = to == NULL,
	.inclusive = false, .lower = false};

	return RangeTypePGetDatum(make_range(typcache, &lower, &upper, false));
}

/* where a version began; false when its period has no lower bound */
static bool
history_lower(TypeCacheEntry *typcache, HeapTuple tup, TupleDesc hdesc, AttrNumber valid_att, TimestampTz *lower_out)
{
	RangeBound	lower,
				upper;
	bool		empty;
	bool		isnull;

	range_deserialize(typcache, DatumGetRangeTypeP(heap_getattr(tup, valid_att, hdesc, &isnull)),
					  &lower, &upper, &empty);
	if (lower.infinite)
		return false;
	*lower_out = DatumGetTimestampTz(lower.val);
	return true;
}

/*
 * history_write's work, directly; false when it cannot be done so (nothing
 * done then).  Writes as the log's owner.
 */
static bool
history_direct(TrackedRel *entry, TupleDesc desc, const Change *change, bool silent)
{
	Oid			owner = change_log_owner();
	Writer	   *w;
	Relation	hrel;
	Relation	irel;
	TupleDesc	hdesc;
	EState	   *estate;
	ResultRelInfo *rri;
	TypeCacheEntry *typcache;
	TupleTableSlot *scanslot,
			   *oldslot,
			   *newslot;
	AsOwner		saved;
	bool		old_null = true,
				new_null = true;
	int64		old_id = int_column_value(change->oldtup, desc, entry->id_attno, &old_null);
	int64		new_id = int_column_value(change->newtup, desc, entry->id_attno, &new_null);
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	TimestampTz from = 0;
	bool		have_from = false;
	TimestampTz until = 0;
	bool		have_until;
	bool		missing = false;

	if (entry->hist_checked && !entry->hist_direct)
		return false;
	if (pg_class_aclmask_ext(entry->history, owner, ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE,
							 ACLMASK_ALL, &missing) != (ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE) ||
		missing || check_enable_rls(entry->history, owner, true) == RLS_ENABLED)
		return false;
	/* this row's writes come after the history's earlier ones */
	CommandCounterIncrement();
	w = writer_get(entry->history);
	if (w == NULL)
		return false;
	hrel = w->rel;
	if (!entry->hist_checked)
		history_direct_setup(entry, desc, hrel);
	if (!entry->hist_direct)
	{
		writer_refuse(w);
		return false;
	}
	hdesc = RelationGetDescr(hrel);
	typcache = lookup_type_cache(TSTZRANGEOID, TYPECACHE_RANGE_INFO);

	as_log_owner_begin(&saved);
	estate = w->estate;
	rri = w->rri;
	estate->es_output_cid = GetCurrentCommandId(true);
	irel = writer_index(w, entry->hist_index);
	/* (its own: a writer's slots hold no buffer from one row to the next, nor after an error) */
	scanslot = table_slot_create(hrel, NULL);
	oldslot = w->oldslot;
	newslot = w->newslot;

	if (!old_null)
	{
		List	   *current = history_versions(entry, hrel, irel, typcache, scanslot, old_id,
											   &have_until, &until);
		ListCell   *lc;
		bool		ended = false;

		/* end the current version now, if it began before */
		if (!silent)
			foreach(lc, current)
			{
				HeapTuple	tup = lfirst(lc);
				TimestampTz lower;

				if (!history_lower(typcache, tup, hdesc, entry->hist_valid, &lower) || lower >= now)
					continue;
				ExecStoreHeapTuple(tup, oldslot, false);
				ExecClearTuple(newslot);
				heap_deform_tuple(tup, hdesc, newslot->tts_values, newslot->tts_isnull);
				newslot->tts_values[entry->hist_valid - 1] = history_period(typcache, lower, &now);
				ExecStoreVirtualTuple(newslot);
				ExecSimpleRelationUpdate(rri, estate, NULL, oldslot, newslot);
				ExecClearTuple(oldslot);
				ended = true;
			}
		if (ended)
		{
			/* ended now: the next version begins now */
			from = now;
			have_from = true;
		}
		else if (current != NIL)
		{
			/* removed: the next version begins where it began (later than now, or now) */
			have_from = history_lower(typcache, linitial(current), hdesc, entry->hist_valid, &from);
			foreach(lc, current)
			{
				ExecStoreHeapTuple(lfirst(lc), oldslot, false);
				ExecSimpleRelationDelete(rri, estate, NULL, oldslot);
				ExecClearTuple(oldslot);
			}
		}
	}
	if (!new_null)
	{
		TimestampTz begin;
		Datum	   *values = palloc(sizeof(Datum) * desc->natts);
		bool	   *nulls = palloc(sizeof(bool) * desc->natts);

		if (have_from && !old_null && old_id == new_id)
			begin = from;
		else
		{
			/* after any earlier version of the id */
			list_free_deep(history_versions(entry, hrel, irel, typcache, scanslot, new_id, &have_until, &until));
			if (silent)
				begin = have_until ? until : DT_NOBEGIN;
			else
				begin = have_until && until > now ? until : now;
		}
		heap_deform_tuple(change->newtup, desc, values, nulls);
		ExecClearTuple(newslot);
		for (int i = 0; i < entry->hist_natts; i++)
		{
			AttrNumber	attno = entry->hist_map[i];

			newslot->tts_values[i] = attno ? values[attno - 1] : (Datum) 0;
			newslot->tts_isnull[i] = attno ? nulls[attno - 1] : true;
		}
		newslot->tts_values[entry->hist_valid - 1] = history_period(typcache, begin, NULL);
		newslot->tts_isnull[entry->hist_valid - 1] = false;
		ExecStoreVirtualTuple(newslot);
		ExecSimpleRelationInsert(rri, estate, newslot);
	}

	ExecDropSingleTupleTableSlot(scanslot);
	as_log_owner_end(&saved);
	writer_row_done(w);
	return true;
}

/*
 * Write the change into the table's history table, if it has one: end the
 * old row's current version, and begin the new row's.  silent: a change made
 * with tracking off (see history_plan).  SPI is connected.
 */
static void
history_write(TrackedRel *entry, TupleDesc desc, const Change *change, bool silent)
{
	bool		old_null = true,
				new_null = true;
	int64		old_id = int_column_value(change->oldtup, desc, entry->id_attno, &old_null);
	int64		new_id = int_column_value(change->newtup, desc, entry->id_attno, &new_null);
	Datum		from = (Datum) 0;
	bool		have_from = false;

	if (!OidIsValid(entry->history))
		return;
	if (history_direct(entry, desc, change, silent))
		return;
	if (!old_null)
	{
		Datum		id = Int64GetDatum(old_id);

		if (!silent && history_run(entry, desc, HIST_END, &id, NULL) == SPI_OK_UPDATE && SPI_processed > 0)
		{
			/* ended now: the next version begins now */
			from = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
			have_from = true;
		}
		else if (history_run(entry, desc, HIST_REMOVE, &id, NULL) == SPI_OK_DELETE_RETURNING && SPI_processed > 0)
		{
			bool		isnull;

			/* removed: the next version begins where it began (later than now, or now) */
			from = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			have_from = !isnull;
		}
	}
	if (!new_null)
	{
		Datum		row = heap_copy_tuple_as_datum(change->newtup, desc);

		if (have_from && !old_null && old_id == new_id)
			history_run(entry, desc, HIST_BEGIN_AT, (Datum[]) {row, from}, NULL);
		else
			history_run(entry, desc, HIST_BEGIN,
						(Datum[]) {row, Int64GetDatum(new_id), BoolGetDatum(silent)}, NULL);
	}
}

static void
append_int64(StringInfo s, int64 v)
{
	char		buf[MAXINT8LEN + 1];

	appendBinaryStringInfo(s, buf, pg_lltoa(v, buf));
}

/*
 * v as printf's "%.7f" writes it, without printf's cost for the common case:
 * v scaled by 1e7 rounds to the same integer as v's exact decimal expansion
 * unless the scaled value lies within the product's rounding error of a half
 * (that error is below 1e-6 for |v| < 1e8), which goes to printf itself.
 */
static void
append_fixed7(StringInfo s, double v)
{
	double		scaled = v * 1e7;
	double		r = rint(scaled);
	char		buf[32];
	char	   *p = buf + sizeof(buf);
	uint64		n;

	if (!isfinite(v) || fabs(v) >= 1e8 || fabs(fabs(scaled - r) - 0.5) < 1e-3)
	{
		appendStringInfo(s, "%.7f", v);
		return;
	}
	n = (uint64) fabs(r);
	for (int i = 0; i < 7; i++, n /= 10)
		*--p = '0' + n % 10;
	*--p = '.';
	do
		*--p = '0' + n % 10;
	while ((n /= 10) > 0);
	if (signbit(v))
		*--p = '-';
	appendBinaryStringInfo(s, p, buf + sizeof(buf) - p);
}

/*
 * Queue the change's notification (delivered at commit).  It names the log
 * row: a listener that cannot trust NOTIFY (anyone may send one) reads the
 * change from the log by its id.
 */
static void
notify_change(const TrackedRel *entry, const Change *change, int64 log_id)
{
	StringInfoData payload;

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"" TL_CHANGE_KEY_ID "\":");
	append_int64(&payload, log_id);
	appendStringInfoString(&payload, ",\"" TL_CHANGE_KEY_TABLE "\":");
	escape_json(&payload, entry->table_name);
	appendStringInfoString(&payload, ",\"" TL_CHANGE_KEY_OP "\":\"");
	appendStringInfoChar(&payload, change->op);
	appendStringInfoString(&payload, "\",\"" TL_CHANGE_KEY_POND_ID "\":");
	if (change->pond_id_null)
		appendStringInfoString(&payload, "null");
	else
		append_int64(&payload, change->pond_id);
	appendStringInfoString(&payload, ",\"" TL_CHANGE_KEY_ROW_ID "\":");
	if (change->row_id_null)
		appendStringInfoString(&payload, "null");
	else
		append_int64(&payload, change->row_id);
	appendStringInfoString(&payload, ",\"" TL_CHANGE_KEY_BBOX "\":");
	if (change->has_bbox)
	{
		for (int i = 0; i < 4; i++)
		{
			appendStringInfoChar(&payload, i == 0 ? '[' : ',');
			append_fixed7(&payload, change->box[i]);
		}
		appendStringInfoChar(&payload, ']');
	}
	else
		appendStringInfoString(&payload, "null");
	appendStringInfoChar(&payload, '}');
	Async_Notify(TL_CHANGES_CHANNEL, payload.data);
	pfree(payload.data);
}

PG_FUNCTION_INFO_V1(tl_track_changes);
Datum
tl_track_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	TrackedRel *entry;
	Change		change;
	LogParams	params;
	bool		silent;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings.track_changes() must be called as a trigger")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings.track_changes() must be an AFTER ... FOR EACH ROW trigger")));
	change_of_trigger(trigdata, &change);
	if (restoring())
		return PointerGetDatum(NULL);
	silent = !tl_tracking;

	desc = RelationGetDescr(trigdata->tg_relation);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "tailings: SPI_connect failed");
	if (silent)
	{
		/* tracking off: no log row, no notification; the history follows the table */
		entry = tracked_rel_get(trigdata->tg_relation, trigdata->tg_trigger);
		if (entry->registered && OidIsValid(entry->history) &&
			(change.op != 'U' ||
			 (change.changed = changed_columns(desc, change.oldtup, change.newtup, &change.geom_changed,
											   entry->geom_attno)) != NULL))
			history_write(entry, desc, &change, true);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	entry = registered_rel(trigdata->tg_relation, trigdata->tg_trigger);
	if (change.op == 'U')
	{
		change.changed = changed_columns(desc, change.oldtup, change.newtup, &change.geom_changed,
										 entry->geom_attno);
		if (change.changed == NULL)
		{
			/* nothing changed: nothing to record */
			SPI_finish();
			return PointerGetDatum(NULL);
		}
	}
	fill_log_params(entry, desc, &change, &params);
	notify_change(entry, &change, insert_log_row(&params));
	history_write(entry, desc, &change, false);
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

/* Trigger of tailings.member (statement): forget the actor looked up */
PG_FUNCTION_INFO_V1(tl_member_changed);
Datum
tl_member_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("tailings._member_changed() must be called as a trigger")));
	actor_forget();
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
		/* and the versions of the history tables that ended before it (0.9.0 on) */
		if (OidIsValid(get_relname_relid("history_table", get_namespace_oid("tailings", false))))
		{
			ret = SPI_execute("SELECT pg_catalog.format('DELETE FROM %s WHERE pg_catalog.upper(valid)"
							  " OPERATOR(pg_catalog.<=) $1', h.history) FROM tailings.history_table h",
							  true, 0);
			if (ret != SPI_OK_SELECT)
				elog(ERROR, "tailings: reading tailings.history_table failed: %s", SPI_result_code_string(ret));
			else
			{
				SPITupleTable *deletes = SPI_tuptable;
				uint64		n = SPI_processed;

				for (uint64 i = 0; i < n; i++)
				{
					CHECK_FOR_INTERRUPTS();
					ret = SPI_execute_with_args(SPI_getvalue(deletes->vals[i], deletes->tupdesc, 1),
												1, argtypes, values, NULL, false, 0);
					if (ret != SPI_OK_DELETE)
						elog(ERROR, "tailings: pruning a history table failed: %s", SPI_result_code_string(ret));
				}
			}
		}
	}
	PG_FINALLY();
	{
		pruning = false;
	}
	PG_END_TRY();
	SPI_finish();
	PG_RETURN_INT64(removed);
}

/*
 * Selectivity of tailings.@># (a period contains a moment): PostgreSQL's own
 * estimate for range @> element, from the period column's statistics.  (Its
 * estimator knows the operators by their OIDs, so it is asked for the
 * built-in one.)
 */
PG_FUNCTION_INFO_V1(tl_valid_at_sel);
Datum
tl_valid_at_sel(PG_FUNCTION_ARGS)
{
	FmgrInfo	flinfo;

	/* (through an FmgrInfo: the estimator keeps the range type's cache in it) */
	fmgr_info(F_RANGESEL, &flinfo);
	return FunctionCall4(&flinfo, PG_GETARG_DATUM(0), ObjectIdGetDatum(OID_RANGE_CONTAINS_ELEM_OP),
						 PG_GETARG_DATUM(2), PG_GETARG_DATUM(3));
}
