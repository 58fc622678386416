/*
 * tile.c - argument checks of tailings.tile() and the tile constants of the
 * catalog, for the SQL function that builds the tile with ST_AsMVT.
 */
#include "tailings.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

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
