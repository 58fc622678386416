/*
 * text.h - small text helpers shared by the server and tailings-mvtcheck.
 */
#ifndef TAILINGS_TEXT_H
#define TAILINGS_TEXT_H

/* the value of a hexadecimal digit, or -1 */
static inline int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
