/*
 * lsn.h - WAL positions (PostgreSQL's pg_lsn, "X/Y" in hexadecimal) as
 * numbers, and the SQL that reads the position a hot standby must have
 * replayed to see everything the primary has committed.
 */
#ifndef TAILINGS_LSN_H
#define TAILINGS_LSN_H

#include <stddef.h>
#include <stdint.h>

/* "16/B374D848" -> 0x16B374D848: 0, or -1 when s is not a pg_lsn's text */
int			lsn_parse(const char *s, uint64_t *out);
/* the pg_lsn text of v into buf (at least LSN_TEXT_MAX bytes) */
#define LSN_TEXT_MAX 18
void		lsn_format(uint64_t v, char *buf, size_t len);

/*
 * On the primary, as pg_lsn text: the end of the WAL inserted so far, where a
 * standby's pg_last_wal_replay_lsn() is once it has replayed every record
 * inserted before this statement ran (a transaction that committed before,
 * whose notification has come, included).
 *
 * pg_current_wal_insert_lsn() is the position where the next record will
 * start: when the last record ended exactly at a WAL page's end, that is past
 * the next page's header (24 bytes, 40 on a segment's first page), while the
 * standby's replay position is the page boundary; the header is taken off
 * then (else an idle primary would keep every standby "behind" until its next
 * record).  pg_current_wal_lsn() (written so far) is not used: an
 * asynchronous commit (synchronous_commit off) is visible and notified
 * before its record is written.
 */
#define LSN_SQL_WAL_END \
	"(SELECT (CASE WHEN (w.l - '0/0'::pg_lsn) % w.s = 40 THEN w.l - 40" \
	" WHEN (w.l - '0/0'::pg_lsn) % w.b = 24 THEN w.l - 24 ELSE w.l END)::text" \
	" FROM (SELECT pg_catalog.pg_current_wal_insert_lsn() AS l," \
	" pg_catalog.current_setting('wal_block_size')::numeric AS b," \
	" pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size')) AS s) w)"

/* on a standby: the WAL replayed so far, as pg_lsn text (NULL when not in recovery) */
#define LSN_SQL_REPLAYED "SELECT pg_catalog.pg_last_wal_replay_lsn()::text"

#endif
