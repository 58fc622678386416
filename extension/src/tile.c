/*
 * tile.c - argument checks of tailings.tile() and the tile constants of the
 * catalog and the contract (tailings/contract.h), for the SQL function that
 * builds the tile with ST_AsMVT.
 */
#include "tailings.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "funcapi.h"

/* true when name is a layer: "ponds" or a category code */
static bool
is_layer(const char *name)
{
	if (strcmp(name, TL_PONDS_LAYER) == 0)
		return true;
	for (int i = 0; i < TL_N_CATEGORIES; i++)
		if (strcmp(name, tl_categories()[i].code) == 0)
			return true;
	return false;
}

/*
 * _tile_args(z, x, y, layers) -> true, or an error (22023) naming what is
 * wrong: z outside 0..22, x or y outside 0..2^z-1, an unknown layer.
 */
PG_FUNCTION_INFO_V1(tl_tile_args);
Datum
tl_tile_args(PG_FUNCTION_ARGS)
{
	int32		z,
				x,
				y;
	int64		n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tile coordinates z, x and y must not be null")));
	z = PG_GETARG_INT32(0);
	x = PG_GETARG_INT32(1);
	y = PG_GETARG_INT32(2);
	if (z < 0 || z > TL_TILE_MAXZOOM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("zoom level %d is out of range", z),
				 errdetail("Tiles exist for zoom levels 0 to %d.", TL_TILE_MAXZOOM)));
	n = INT64CONST(1) << z;
	if (x < 0 || x >= n || y < 0 || y >= n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tile %d/%d/%d does not exist", z, x, y),
				 errdetail("At zoom level %d, x and y run from 0 to " INT64_FORMAT ".", z, n - 1)));
	if (!PG_ARGISNULL(3))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(3);
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
		for (int i = 0; i < nelems; i++)
		{
			char	   *name;
			StringInfoData valid;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("layer names must not be null")));
			name = TextDatumGetCString(elems[i]);
			if (is_layer(name))
				continue;
			initStringInfo(&valid);
			appendStringInfoString(&valid, TL_PONDS_LAYER);
			for (int c = 0; c < TL_N_CATEGORIES; c++)
				appendStringInfo(&valid, ", %s", tl_categories()[c].code);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown tile layer \"%s\"", name),
					 errhint("Layers are: %s.", valid.data)));
		}
	}
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(tl_element_minzoom);
Datum
tl_element_minzoom(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(TL_ELEMENT_MINZOOM);
}

/* _tile_extent(), _tile_buffer(): the tile's extent and buffer in tile units */
PG_FUNCTION_INFO_V1(tl_tile_extent);
Datum
tl_tile_extent(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(TL_TILE_EXTENT);
}

PG_FUNCTION_INFO_V1(tl_tile_buffer);
Datum
tl_tile_buffer(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(TL_TILE_BUFFER);
}

/* _ponds_layer(): the name of the ponds layer */
PG_FUNCTION_INFO_V1(tl_ponds_layer);
Datum
tl_ponds_layer(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(tl_text(TL_PONDS_LAYER));
}

typedef struct TileField
{
	const char *name;
	const char *type;
	const char *meaning;
} TileField;

static void
put_fields(ReturnSetInfo *rsinfo, const char *layer, const TileField *f, int n)
{
	for (int i = 0; i < n; i++)
	{
		Datum		values[4] = {
			PointerGetDatum(tl_text(layer)), PointerGetDatum(tl_text(f[i].name)),
			PointerGetDatum(tl_text(f[i].type)), PointerGetDatum(tl_text(f[i].meaning))
		};
		bool		nulls[4] = {false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * tile_fields() -> (layer, field, type, description): the properties of each
 * layer's features, as the contract lists them and TileJSON gives them.
 */
PG_FUNCTION_INFO_V1(tl_tile_fields);
Datum
tl_tile_fields(PG_FUNCTION_ARGS)
{
#define TL_FIELD_ROW_(name, type, meaning) {#name, type, meaning},
	static const TileField ponds[] = {TL_PONDS_FIELDS(TL_FIELD_ROW_)};
	static const TileField elements[] = {TL_ELEMENT_FIELDS(TL_FIELD_ROW_)};
	static const TileField groundwater[] = {TL_GROUNDWATER_FIELDS(TL_FIELD_ROW_)};
#undef TL_FIELD_ROW_
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	put_fields(rsinfo, TL_PONDS_LAYER, ponds, lengthof(ponds));
	for (int c = 0; c < TL_N_CATEGORIES; c++)
	{
		const char *code = tl_categories()[c].code;

		put_fields(rsinfo, code, elements, lengthof(elements));
		if (strcmp(code, TL_GROUNDWATER_LAYER) == 0)
			put_fields(rsinfo, code, groundwater, lengthof(groundwater));
	}
	return (Datum) 0;
}
