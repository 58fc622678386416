/*
 * lsn.c - WAL positions as numbers (lsn.h).
 */
#include "lsn.h"

#include <stdio.h>

/* up to 8 hexadecimal digits, at least one; the characters read, or 0 */
static int
hex32(const char *s, uint32_t *out)
{
	uint32_t	v = 0;
	int			n = 0;

	for (; n < 9; n++)
	{
		char		c = s[n];
		int			d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		if (n == 8)
			return 0;
		v = v << 4 | (uint32_t) d;
	}
	*out = v;
	return n;
}

int
lsn_parse(const char *s, uint64_t *out)
{
	uint32_t	hi,
				lo;
	int			n;

	if (s == NULL || (n = hex32(s, &hi)) == 0 || s[n] != '/')
		return -1;
	s += n + 1;
	if ((n = hex32(s, &lo)) == 0 || s[n] != '\0')
		return -1;
	*out = (uint64_t) hi << 32 | lo;
	return 0;
}

void
lsn_format(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%X/%X", (unsigned) (v >> 32), (unsigned) (v & 0xffffffffu));
}
