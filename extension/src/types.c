/*
 * types.c - the base types tailings.element_category and tailings.element_kind.
 *
 * Both are 2-byte values passed by value holding the catalog id of
 * include/tailings/catalog.h, so they sort in catalog order.  Text input takes
 * the English code (case-insensitive) or the Chinese label; output is the code.
 * The binary format is the code as text, like PostgreSQL's own enums, so it
 * does not depend on internal ids.
 */
#include "tailings.h"

#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

/* ---------------------------------------------------------------------------
 * Encoding helpers: the catalog is UTF-8, the database may not be.
 */
char *
tl_cstring(const char *utf8)
{
	return pg_any_to_server(utf8, strlen(utf8), PG_UTF8);
}

text *
tl_text(const char *utf8)
{
	return cstring_to_text(tl_cstring(utf8));
}

const TlKind *
tl_kind_of_datum(int16 id)
{
	const TlKind *k = tl_kind_by_id(id);

	if (k == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid internal value %d for element_kind", id)));
	return k;
}

const TlCategory *
tl_category_of_datum(int16 id)
{
	const TlCategory *c = tl_category_by_id(id);

	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid internal value %d for element_category", id)));
	return c;
}

/* ---------------------------------------------------------------------------
 * Parsing with suggestions
 */

/* Input normalised for lookup: UTF-8, ASCII letters lowered, spaces trimmed. */
static char *
normalise_input(const char *s)
{
	char	   *u = pg_server_to_any(s, strlen(s), PG_UTF8);
	char	   *start,
			   *end;

	if (u == s)
		u = pstrdup(s);
	for (char *p = u; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = *p - 'A' + 'a';
	start = u;
	while (*start == ' ' || *start == '\t' || *start == '\n' || *start == '\r')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return start;
}

/* Edit distance between two UTF-8 strings, counted in characters. */
static int
char_distance(const char *a, const char *b)
{
	int			la = strlen(a),
				lb = strlen(b);
	pg_wchar   *wa = palloc((la + 1) * sizeof(pg_wchar));
	pg_wchar   *wb = palloc((lb + 1) * sizeof(pg_wchar));
	int		   *row;
	int			d;

	la = pg_encoding_mb2wchar_with_len(PG_UTF8, a, wa, la);
	lb = pg_encoding_mb2wchar_with_len(PG_UTF8, b, wb, lb);
	row = palloc((lb + 1) * sizeof(int));
	for (int j = 0; j <= lb; j++)
		row[j] = j;
	for (int i = 1; i <= la; i++)
	{
		int			diag = row[0];

		CHECK_FOR_INTERRUPTS();

		row[0] = i;
		for (int j = 1; j <= lb; j++)
		{
			int			up = row[j];
			int			best = diag + (wa[i - 1] == wb[j - 1] ? 0 : 1);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	pfree(wa);
	pfree(wb);
	pfree(row);
	return d;
}

/*
 * How close an input is to one catalog entry: the edit distance to its code
 * or label, whichever is smaller; an input of 3 or more characters contained
 * in the code or label counts as distance 1.
 */
static int
entry_distance(const char *in, const char *code, const char *label)
{
	int			dc = char_distance(in, code);
	int			dl = char_distance(in, label);
	int			d = Min(dc, dl);

	if (strlen(in) >= 3 && (strstr(code, in) || strstr(label, in)))
		d = Min(d, 1);
	return d;
}

#define MAX_SUGGESTIONS 3

/*
 * Longer input is no code or label (the longest are about 25 bytes): it is
 * refused without looking for the closest codes, and quoted clipped, so that
 * a megabyte of it costs no more than a short one.
 */
#define MAX_INPUT_BYTES 64
#define QUOTED_BYTES 40

static void
refuse_long_input(const char *s, const char *type)
{
	size_t		len = strlen(s);

	if (len <= MAX_INPUT_BYTES)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input value for %s: \"%.*s...\"", type,
					pg_mbcliplen(s, (int) len, QUOTED_BYTES), s),
			 errdetail("The input is %zu bytes long; codes and labels are at most %d.", len, MAX_INPUT_BYTES)));
}

/*
 * Hint naming up to three closest codes.  Entries are given as parallel
 * arrays of codes, labels (Chinese, matched against the input) and the labels
 * shown (in tailings.language).  Returns NULL when nothing is close.
 */
static char *
closest_hint(const char *in, const char *const *codes, const char *const *labels,
			 const char *const *shown, int n)
{
	int			best[MAX_SUGGESTIONS];
	int			bestd[MAX_SUGGESTIONS];
	int			nbest = 0;
	int			nchars = 0;
	int			limit;
	StringInfoData buf;

	/* characters of the UTF-8 input: bytes that do not continue a sequence */
	for (const char *p = in; *p; p++)
		nchars += ((unsigned char) *p & 0xC0) != 0x80;
	limit = Max(1, nchars / 3);
	for (int i = 0; i < n; i++)
	{
		int			d = entry_distance(in, codes[i], labels[i]);
		int			pos;

		if (d > limit || d >= nchars)
			continue;
		/* insertion sort into the short list, stable for equal distances */
		for (pos = nbest; pos > 0 && bestd[pos - 1] > d; pos--)
			;
		if (pos >= MAX_SUGGESTIONS)
			continue;
		for (int j = Min(nbest, MAX_SUGGESTIONS - 1); j > pos; j--)
		{
			best[j] = best[j - 1];
			bestd[j] = bestd[j - 1];
		}
		best[pos] = i;
		bestd[pos] = d;
		if (nbest < MAX_SUGGESTIONS)
			nbest++;
	}
	if (nbest == 0)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "Did you mean ");
	for (int i = 0; i < nbest; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, i == nbest - 1 ? " or " : ", ");
		appendStringInfo(&buf, "\"%s\" (%s)", codes[best[i]], tl_cstring(shown[best[i]]));
	}
	appendStringInfoChar(&buf, '?');
	return buf.data;
}

const TlKind *
tl_parse_kind(const char *s)
{
	char	   *in;
	const TlKind *k;
	const char *codes[TL_N_KINDS];
	const char *labels[TL_N_KINDS];
	const char *shown[TL_N_KINDS];
	char	   *hint;

	refuse_long_input(s, "element_kind");
	in = normalise_input(s);
	k = tl_kind_lookup(in);
	if (k != NULL)
		return k;
	for (int i = 0; i < TL_N_KINDS; i++)
	{
		codes[i] = tl_kinds()[i].code;
		labels[i] = tl_kinds()[i].label_zh;
		shown[i] = tl_language == TL_LANG_EN ? tl_kinds()[i].label_en : labels[i];
	}
	hint = closest_hint(in, codes, labels, shown, TL_N_KINDS);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input value for element_kind: \"%s\"", s),
			 hint ? errhint("%s", hint)
			 : errhint("SELECT kind, label_zh FROM tailings.kinds() lists the %d valid kinds.",
					   TL_N_KINDS)));
	return NULL;				/* keep compiler quiet */
}

const TlCategory *
tl_parse_category(const char *s)
{
	char	   *in;
	const TlCategory *c;
	const char *codes[TL_N_CATEGORIES];
	const char *labels[TL_N_CATEGORIES];
	const char *shown[TL_N_CATEGORIES];
	char	   *hint;
	StringInfoData all;

	refuse_long_input(s, "element_category");
	in = normalise_input(s);
	c = tl_category_lookup(in);
	if (c != NULL)
		return c;
	initStringInfo(&all);
	for (int i = 0; i < TL_N_CATEGORIES; i++)
	{
		codes[i] = tl_categories()[i].code;
		labels[i] = tl_categories()[i].label_zh;
		shown[i] = tl_language == TL_LANG_EN ? tl_categories()[i].label_en : labels[i];
		appendStringInfo(&all, "%s%s", i ? ", " : "", codes[i]);
	}
	hint = closest_hint(in, codes, labels, shown, TL_N_CATEGORIES);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input value for element_category: \"%s\"", s),
			 hint ? errhint("%s", hint)
			 : errhint("Valid categories are: %s.", all.data)));
	return NULL;				/* keep compiler quiet */
}

/* ---------------------------------------------------------------------------
 * I/O functions
 */
PG_FUNCTION_INFO_V1(element_kind_in);
Datum
element_kind_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_ELEMENT_KIND(tl_parse_kind(PG_GETARG_CSTRING(0))->id);
}

PG_FUNCTION_INFO_V1(element_kind_out);
Datum
element_kind_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pstrdup(tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0))->code));
}

PG_FUNCTION_INFO_V1(element_kind_recv);
Datum
element_kind_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes;
	char	   *s = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);

	PG_RETURN_ELEMENT_KIND(tl_parse_kind(s)->id);
}

PG_FUNCTION_INFO_V1(element_kind_send);
Datum
element_kind_send(PG_FUNCTION_ARGS)
{
	const TlKind *k = tl_kind_of_datum(PG_GETARG_ELEMENT_KIND(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendtext(&buf, k->code, strlen(k->code));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(element_category_in);
Datum
element_category_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_ELEMENT_CATEGORY(tl_parse_category(PG_GETARG_CSTRING(0))->id);
}

PG_FUNCTION_INFO_V1(element_category_out);
Datum
element_category_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(pstrdup(tl_category_of_datum(PG_GETARG_ELEMENT_CATEGORY(0))->code));
}

PG_FUNCTION_INFO_V1(element_category_recv);
Datum
element_category_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			nbytes;
	char	   *s = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);

	PG_RETURN_ELEMENT_CATEGORY(tl_parse_category(s)->id);
}

PG_FUNCTION_INFO_V1(element_category_send);
Datum
element_category_send(PG_FUNCTION_ARGS)
{
	const TlCategory *c = tl_category_of_datum(PG_GETARG_ELEMENT_CATEGORY(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendtext(&buf, c->code, strlen(c->code));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------------------
 * Comparison and hashing: both types order by catalog id.
 */
#define TL_COMPARISONS(prefix)                                             \
	PG_FUNCTION_INFO_V1(prefix##_eq);                                      \
	Datum prefix##_eq(PG_FUNCTION_ARGS)                                    \
	{                                                                      \
		PG_RETURN_BOOL(PG_GETARG_INT16(0) == PG_GETARG_INT16(1));          \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_ne);                                      \
	Datum prefix##_ne(PG_FUNCTION_ARGS)                                    \
	{                                                                      \
		PG_RETURN_BOOL(PG_GETARG_INT16(0) != PG_GETARG_INT16(1));          \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_lt);                                      \
	Datum prefix##_lt(PG_FUNCTION_ARGS)                                    \
	{                                                                      \
		PG_RETURN_BOOL(PG_GETARG_INT16(0) < PG_GETARG_INT16(1));           \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_le);                                      \
	Datum prefix##_le(PG_FUNCTION_ARGS)                                    \
	{                                                                      \
		PG_RETURN_BOOL(PG_GETARG_INT16(0) <= PG_GETARG_INT16(1));          \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_gt);                                      \
	Datum prefix##_gt(PG_FUNCTION_ARGS)                                    \
	{                                                                      \
		PG_RETURN_BOOL(PG_GETARG_INT16(0) > PG_GETARG_INT16(1));           \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_ge);                                      \
	Datum prefix##_ge(PG_FUNCTION_ARGS)                                    \
	{                                                                      \
		PG_RETURN_BOOL(PG_GETARG_INT16(0) >= PG_GETARG_INT16(1));          \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_cmp);                                     \
	Datum prefix##_cmp(PG_FUNCTION_ARGS)                                   \
	{                                                                      \
		int16 a = PG_GETARG_INT16(0), b = PG_GETARG_INT16(1);              \
		PG_RETURN_INT32(a < b ? -1 : (a > b ? 1 : 0));                     \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_smaller);                                 \
	Datum prefix##_smaller(PG_FUNCTION_ARGS)                               \
	{                                                                      \
		int16 a = PG_GETARG_INT16(0), b = PG_GETARG_INT16(1);              \
		return Int16GetDatum(a < b ? a : b);                               \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_larger);                                  \
	Datum prefix##_larger(PG_FUNCTION_ARGS)                                \
	{                                                                      \
		int16 a = PG_GETARG_INT16(0), b = PG_GETARG_INT16(1);              \
		return Int16GetDatum(a > b ? a : b);                               \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_hash);                                    \
	Datum prefix##_hash(PG_FUNCTION_ARGS)                                  \
	{                                                                      \
		return hash_uint32((uint32) PG_GETARG_INT16(0));                   \
	}                                                                      \
	PG_FUNCTION_INFO_V1(prefix##_hash_extended);                           \
	Datum prefix##_hash_extended(PG_FUNCTION_ARGS)                         \
	{                                                                      \
		return hash_uint32_extended((uint32) PG_GETARG_INT16(0),           \
									(uint64) PG_GETARG_INT64(1));          \
	}                                                                      \
	extern int no_such_variable

TL_COMPARISONS(element_kind);
TL_COMPARISONS(element_category);
