/*
 * token.c - random bytes for API tokens (tailings.create_token), from the
 * operating system's strong random source through pg_strong_random(), as
 * gen_random_uuid() uses it; without pgcrypto.
 */
#include "tailings.h"

#include "port.h"
#include "utils/builtins.h"

#define TL_RANDOM_BYTES_MAX 1024

/* _random_bytes(n integer) -> bytea of n strong random bytes */
PG_FUNCTION_INFO_V1(tl_random_bytes);
Datum
tl_random_bytes(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	bytea	   *result;

	if (n < 1 || n > TL_RANDOM_BYTES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of random bytes must be between 1 and %d, not %d", TL_RANDOM_BYTES_MAX, n)));
	result = (bytea *) palloc(VARHDRSZ + n);
	SET_VARSIZE(result, VARHDRSZ + n);
	if (!pg_strong_random(VARDATA(result), n))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes")));
	PG_RETURN_BYTEA_P(result);
}
