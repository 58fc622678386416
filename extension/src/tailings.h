/*
 * tailings.h - declarations shared by the extension's C files.
 */
#ifndef TAILINGS_EXT_H
#define TAILINGS_EXT_H

#include "postgres.h"
#include "fmgr.h"
#include "executor/spi.h"

#include "tailings/catalog.h"
#include "tailings/contract.h"

/* Settings (GUC) */
typedef enum TlLanguage
{
	TL_LANG_ZH,
	TL_LANG_EN
} TlLanguage;

extern int tl_language;     /* tailings.language */
extern char *tl_actor;      /* tailings.actor */
extern bool tl_tracking;    /* tailings.tracking (superuser only) */
extern char *tl_submission_id;	/* tailings.submission_id (transaction-local, set by approve) */

/* a submission id's text: a positive bigint without sign or spaces */
extern bool tl_parse_submission_id(const char *s, int64 *id);

/*
 * A query's plan kept for the session in *slot (prepared on first use;
 * cursor_options 0, or CURSOR_OPT_GENERIC_PLAN for a plan whose parameters
 * change every call); SPI must be connected.
 */
extern SPIPlanPtr tl_keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes, int cursor_options);

/* Datum conversion of the two catalog types: 2-byte, passed by value. */
#define DatumGetElementKind(d) DatumGetInt16(d)
#define ElementKindGetDatum(k) Int16GetDatum(k)
#define PG_GETARG_ELEMENT_KIND(n) DatumGetElementKind(PG_GETARG_DATUM(n))
#define PG_RETURN_ELEMENT_KIND(k) return ElementKindGetDatum(k)
#define DatumGetElementCategory(d) DatumGetInt16(d)
#define ElementCategoryGetDatum(c) Int16GetDatum(c)
#define PG_GETARG_ELEMENT_CATEGORY(n) DatumGetElementCategory(PG_GETARG_DATUM(n))
#define PG_RETURN_ELEMENT_CATEGORY(c) return ElementCategoryGetDatum(c)

/* Catalog entries of stored values; an unknown id is a corrupt datum (error). */
extern const TlKind *tl_kind_of_datum(int16 id);
extern const TlCategory *tl_category_of_datum(int16 id);

/* Parse a kind or category from text in the server encoding (22P02 on error). */
extern const TlKind *tl_parse_kind(const char *s);
extern const TlCategory *tl_parse_category(const char *s);

/* Label language from an optional text argument (NULL: tailings.language). */
extern bool tl_english(text *lang);

/* Catalog strings (UTF-8) as text / C strings in the server encoding. */
extern text *tl_text(const char *utf8);
extern char *tl_cstring(const char *utf8);

/* PostGIS operations of the change-tracking trigger (geo.c) */
extern bool tl_geo_bbox(Oid geometry_type, Datum old_geom, bool has_old, Datum new_geom,
						bool has_new, double box[4]);
/* track.c: the change trigger's statement-end hook and transaction callbacks (from _PG_init) */
extern void tl_track_init(void);

extern bool tl_geo_moved_m(Oid geometry_type, Datum old_geom, Datum new_geom, double *metres);

#endif
