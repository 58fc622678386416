/*
 * catalog.c - SQL functions over the element catalog: category(), label(),
 * geometry_types(), required_attrs(), directed(), kinds(), categories(), and the
 * geometry-type check behind tailings.element's constraint.
 */
#include "tailings.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

bool
tl_english(text *lang)
{
	char	   *s;

	if (lang == NULL)
		return tl_language == TL_LANG_EN;
	s = text_to_cstring(lang);
	if (pg_strcasecmp(s, "en") == 0)
		return true;
	if (pg_strcasecmp(s, "zh") == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unsupported label language \"%s\"", s),
			 errhint("Use \"zh\" (Chinese) or \"en\" (English).")));
	return false;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(tl_kind_category);
Datum
tl_kind_category(PG_FUNCTION_ARGS)
{
	PG_RETURN_ELEMENT_CATEGORY(tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0))->category);
}

PG_FUNCTION_INFO_V1(tl_kind_label_fn);
Datum
tl_kind_label_fn(PG_FUNCTION_ARGS)
{
	const TlKind *k = tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0));
	bool		en = tl_english(PG_NARGS() > 1 ? PG_GETARG_TEXT_PP(1) : NULL);

	PG_RETURN_TEXT_P(tl_text(tl_kind_label(k, en)));
}

PG_FUNCTION_INFO_V1(tl_category_label_fn);
Datum
tl_category_label_fn(PG_FUNCTION_ARGS)
{
	const TlCategory *c = tl_category_of_datum(PG_GETARG_ELEMENT_CATEGORY(0));
	bool		en = tl_english(PG_NARGS() > 1 ? PG_GETARG_TEXT_PP(1) : NULL);

	PG_RETURN_TEXT_P(tl_text(tl_category_label(c, en)));
}

static const char *const geom_family_names[] = {"POINT", "LINESTRING", "POLYGON"};

/* text[] of the geometry families in a TL_GEOM_* mask */
static ArrayType *
geometry_family_array(unsigned mask)
{
	Datum		elems[3];
	int			n = 0;

	for (int i = 0; i < 3; i++)
		if (mask & (1u << i))
			elems[n++] = CStringGetTextDatum(geom_family_names[i]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* text[] of the comma-separated required attribute keys */
static ArrayType *
required_attr_array(const char *keys)
{
	Datum		elems[8];
	int			n = 0;
	char	   *copy = pstrdup(keys);
	char	   *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok && n < 8; tok = strtok_r(NULL, ",", &save))
		elems[n++] = CStringGetTextDatum(tok);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

PG_FUNCTION_INFO_V1(tl_geometry_types);
Datum
tl_geometry_types(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(geometry_family_array(tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0))->geom));
}

PG_FUNCTION_INFO_V1(tl_required_attrs);
Datum
tl_required_attrs(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(required_attr_array(tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0))->required_attrs));
}

/* directed(kind): its lines run in the direction of flow (pipes, ditches, the flood tunnel, rivers) */
PG_FUNCTION_INFO_V1(tl_directed);
Datum
tl_directed(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0))->directed == TL_DIRECTED);
}

/* placement_role(kind): its part in the placement rules (TL_ROLE_LIST's code), or null */
PG_FUNCTION_INFO_V1(tl_placement_role);
Datum
tl_placement_role(PG_FUNCTION_ARGS)
{
	const char *role = tl_role_code(tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0))->role);

	if (role == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(tl_text(role));
}

/*
 * kinds() -> (kind, category, geometry_types, label_zh, label_en, directed,
 * placement_role)
 * The columns filled are those the SQL declaration asks for: a database
 * still at 0.3.0 (five columns) or 0.5.0 (six) keeps working with this
 * library until it is updated.
 */
PG_FUNCTION_INFO_V1(tl_kinds_fn);
Datum
tl_kinds_fn(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < TL_N_KINDS; i++)
	{
		const TlKind *k = &tl_kinds()[i];
		const char *role = tl_role_code(k->role);
		Datum		values[7];
		bool		nulls[7] = {false};

		values[0] = ElementKindGetDatum(k->id);
		values[1] = ElementCategoryGetDatum(k->category);
		values[2] = PointerGetDatum(geometry_family_array(k->geom));
		values[3] = PointerGetDatum(tl_text(k->label_zh));
		values[4] = PointerGetDatum(tl_text(k->label_en));
		values[5] = BoolGetDatum(k->directed == TL_DIRECTED);
		values[6] = role ? PointerGetDatum(tl_text(role)) : (Datum) 0;
		nulls[6] = role == NULL;
		Assert(rsinfo->setDesc->natts <= 7);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* categories() -> (category, label_zh, label_en) */
PG_FUNCTION_INFO_V1(tl_categories_fn);
Datum
tl_categories_fn(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < TL_N_CATEGORIES; i++)
	{
		const TlCategory *c = &tl_categories()[i];
		Datum		values[3];
		bool		nulls[3] = {false};

		values[0] = ElementCategoryGetDatum(c->id);
		values[1] = PointerGetDatum(tl_text(c->label_zh));
		values[2] = PointerGetDatum(tl_text(c->label_en));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* "Kind x takes POINT or POLYGON geometries" in words */
static char *
allowed_in_words(unsigned mask)
{
	StringInfoData buf;
	int			n = 0,
				total = 0;

	for (int i = 0; i < 3; i++)
		total += (mask >> i) & 1;
	initStringInfo(&buf);
	for (int i = 0; i < 3; i++)
	{
		if (!(mask & (1u << i)))
			continue;
		if (n > 0)
			appendStringInfoString(&buf, n == total - 1 ? " or " : ", ");
		appendStringInfoString(&buf, geom_family_names[i]);
		n++;
	}
	return buf.data;
}

/*
 * geometry_fits(kind, geometry_type): true when a geometry whose PostGIS
 * GeometryType() is geometry_type may represent an element of this kind;
 * raises check_violation otherwise.  Used in tailings.element's CHECK.
 */
PG_FUNCTION_INFO_V1(tl_geometry_fits);
Datum
tl_geometry_fits(PG_FUNCTION_ARGS)
{
	const TlKind *k = tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0));
	char	   *type = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *base = type;
	size_t		len = strlen(type);

	/* XYM geometries are reported as POINTM etc.; the family is what counts */
	if (len > 1 && type[len - 1] == 'M')
		type[len - 1] = '\0';
	if (strncmp(base, "MULTI", 5) == 0)
		base += 5;
	for (int i = 0; i < 3; i++)
		if ((k->geom & (1u << i)) && strcmp(base, geom_family_names[i]) == 0)
			PG_RETURN_BOOL(true);

	ereport(ERROR,
			(errcode(ERRCODE_CHECK_VIOLATION),
			 errmsg("a %s geometry cannot represent element kind %s (%s)",
					type, k->code, tl_cstring(tl_english(NULL) ? k->label_en : k->label_zh)),
			 errdetail("Kind %s takes %s geometries, or their MULTI forms.",
					   k->code, allowed_in_words(k->geom))));
	PG_RETURN_BOOL(false);		/* keep compiler quiet */
}
