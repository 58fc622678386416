/*
 * geo.c - the few PostGIS operations the change-tracking trigger needs, called
 * through fmgr: bounding box of a change in longitude and latitude, and how
 * far a geometry moved on the ellipsoid.
 *
 * The extension does not link against PostGIS: its functions are looked up
 * once per session, by name, in the schema of the geometry type, and kept in
 * FmgrInfos (so PostGIS's own per-call caches, such as the PROJ objects of
 * ST_Transform, live as long as the session).
 */
#include "tailings.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

typedef struct PostgisFns
{
	Oid			geometry;
	Oid			geography;
	FmgrInfo	collect;		/* st_collect(geometry, geometry) */
	FmgrInfo	srid;			/* st_srid(geometry) */
	FmgrInfo	transform;		/* st_transform(geometry, integer) */
	FmgrInfo	xmin, ymin, xmax, ymax;	/* st_xmin(box3d) ... */
	FmgrInfo	to_box3d;		/* box3d(geometry) */
	FmgrInfo	centroid;		/* st_centroid(geometry) */
	FmgrInfo	to_geography;	/* geography(geometry) */
	FmgrInfo	distance;		/* st_distance(geography, geography, boolean) */
	FmgrInfo	overlaps;		/* geometry_overlaps(geometry, geometry), the && operator */
} PostgisFns;

static PostgisFns *pg = NULL;

static void
lookup(FmgrInfo *fn, const char *nsp, const char *name, int nargs, Oid *argtypes)
{
	List	   *qname = list_make2(makeString(pstrdup(nsp)), makeString(pstrdup(name)));
	Oid			oid = LookupFuncName(qname, nargs, argtypes, false);

	fmgr_info_cxt(oid, fn, TopMemoryContext);
}

static Oid
type_in(const char *nsp, const char *name)
{
	Oid			nspoid = get_namespace_oid(nsp, false);
	Oid			typ = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									  CStringGetDatum(name), ObjectIdGetDatum(nspoid));

	if (!OidIsValid(typ))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type %s.%s does not exist", nsp, name),
				 errhint("The tailings extension needs PostGIS 3.")));
	return typ;
}

/* Look the functions up in the schema of this geometry type (PostGIS's). */
static void
geo_init(Oid geometry_type)
{
	PostgisFns *fns;
	char	   *nsp;
	Oid			g1[1],
				g2[2],
				gi[2],
				b1[1],
				gg[3];

	if (pg != NULL && pg->geometry == geometry_type)
		return;
	{
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(geometry_type));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "tailings: cache lookup failed for type %u", geometry_type);
		nsp = get_namespace_name(((Form_pg_type) GETSTRUCT(tup))->typnamespace);
		ReleaseSysCache(tup);
	}
	fns = MemoryContextAllocZero(TopMemoryContext, sizeof(PostgisFns));
	fns->geometry = geometry_type;
	fns->geography = type_in(nsp, "geography");
	g1[0] = g2[0] = g2[1] = gi[0] = geometry_type;
	gi[1] = INT4OID;
	b1[0] = type_in(nsp, "box3d");
	gg[0] = gg[1] = fns->geography;
	gg[2] = BOOLOID;
	lookup(&fns->collect, nsp, "st_collect", 2, g2);
	lookup(&fns->srid, nsp, "st_srid", 1, g1);
	lookup(&fns->transform, nsp, "st_transform", 2, gi);
	lookup(&fns->to_box3d, nsp, "box3d", 1, g1);
	lookup(&fns->xmin, nsp, "st_xmin", 1, b1);
	lookup(&fns->ymin, nsp, "st_ymin", 1, b1);
	lookup(&fns->xmax, nsp, "st_xmax", 1, b1);
	lookup(&fns->ymax, nsp, "st_ymax", 1, b1);
	lookup(&fns->centroid, nsp, "st_centroid", 1, g1);
	lookup(&fns->to_geography, nsp, "geography", 1, g1);
	lookup(&fns->distance, nsp, "st_distance", 3, gg);
	lookup(&fns->overlaps, nsp, "geometry_overlaps", 2, g2);
	if (pg)
		pfree(pg);
	pg = fns;
}

/* call a function that may return NULL */
static Datum
call(FmgrInfo *fn, int nargs, Datum a, Datum b, Datum c, bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, fn, nargs, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = a;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = b;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = c;
	fcinfo->args[2].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/*
 * The geometry in longitude and latitude: CGCS2000 (4490) and WGS 84 (4326)
 * as they are (they agree within a metre, and PROJ's own transformation
 * between them is the identity), other SRIDs transformed to 4326; false for
 * an unknown SRID (0).
 */
static bool
lonlat(Datum g, Datum *out)
{
	bool		isnull;
	int32		srid = DatumGetInt32(call(&pg->srid, 1, g, 0, 0, &isnull));

	if (isnull || srid == 0)
		return false;
	if (srid == 4326 || srid == 4490)
		*out = g;
	else
	{
		*out = call(&pg->transform, 2, g, Int32GetDatum(4326), 0, &isnull);
		if (isnull)
			return false;
	}
	return true;
}

bool
tl_geo_bbox(Oid geometry_type, Datum old_geom, bool has_old, Datum new_geom, bool has_new,
			double box[4])
{
	Datum		g,
				b;
	bool		isnull;

	if (!has_old && !has_new)
		return false;
	geo_init(geometry_type);
	if (has_old && has_new)
	{
		g = call(&pg->collect, 2, old_geom, new_geom, 0, &isnull);
		if (isnull)
			return false;
	}
	else
		g = has_old ? old_geom : new_geom;
	if (!lonlat(g, &g))
		return false;
	b = call(&pg->to_box3d, 1, g, 0, 0, &isnull);
	if (isnull)
		return false;
	box[0] = DatumGetFloat8(call(&pg->xmin, 1, b, 0, 0, &isnull));
	box[1] = DatumGetFloat8(call(&pg->ymin, 1, b, 0, 0, &isnull));
	box[2] = DatumGetFloat8(call(&pg->xmax, 1, b, 0, 0, &isnull));
	box[3] = DatumGetFloat8(call(&pg->ymax, 1, b, 0, 0, &isnull));
	return !isnull;
}

bool
tl_geo_moved_m(Oid geometry_type, Datum old_geom, Datum new_geom, double *metres)
{
	Datum		a,
				b,
				d;
	bool		isnull;

	geo_init(geometry_type);
	if (!lonlat(old_geom, &a) || !lonlat(new_geom, &b))
		return false;
	a = call(&pg->centroid, 1, a, 0, 0, &isnull);
	if (isnull)
		return false;
	b = call(&pg->centroid, 1, b, 0, 0, &isnull);
	if (isnull)
		return false;
	a = call(&pg->to_geography, 1, a, 0, 0, &isnull);
	if (isnull)
		return false;
	b = call(&pg->to_geography, 1, b, 0, 0, &isnull);
	if (isnull)
		return false;
	d = call(&pg->distance, 3, a, b, BoolGetDatum(true), &isnull);
	if (isnull)
		return false;
	*metres = DatumGetFloat8(d);
	return true;
}

/*
 * _geom_overlaps(geometry, geometry): PostGIS's && (the bounding boxes
 * overlap), for the operator tailings.&&# that the extension declares
 * LEAKPROOF: it compares two boxes and raises no error for any value (an
 * empty geometry has no box and overlaps nothing; SRIDs are not compared).
 * A leakproof operator may be checked by an index before row-level security
 * has filtered the rows, so that a member's tiles use the spatial index
 * (tailings.geometry_overlaps_ops).
 */
PG_FUNCTION_INFO_V1(tl_geom_overlaps);
Datum
tl_geom_overlaps(PG_FUNCTION_ARGS)
{
	Oid			geometry_type = get_fn_expr_argtype(fcinfo->flinfo, 0);

	if (!OidIsValid(geometry_type))
	{
		/* called without its expression: the type of its own first argument */
		Oid		   *argtypes;
		int			nargs;

		get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
		geometry_type = argtypes[0];
	}
	geo_init(geometry_type);
	return FunctionCall2Coll(&pg->overlaps, InvalidOid, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1));
}
