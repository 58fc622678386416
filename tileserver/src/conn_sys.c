/*
 * conn_sys.c - what the connection limits ask of the system: the descriptor
 * limit and the default ceiling below it, the peer address of a connection;
 * and their rate-limited log.
 */
#include "conn_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

/* ---------------------------------------------------------------------------
 * logging
 */
void
conn_log(ConnLogKind kind, const char *fmt,...)
{
	static time_t last[CONN_LOG_KINDS];
	static long suppressed[CONN_LOG_KINDS];
	time_t		now = time(NULL);
	va_list		ap;

	if ((int) kind < 0 || kind >= CONN_LOG_KINDS)
		return;
	if (last[kind] == now)
	{
		suppressed[kind]++;
		return;
	}
	last[kind] = now;
	fputs("tailings-tileserver: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (suppressed[kind])
		fprintf(stderr, " (and %ld more like this)", suppressed[kind]);
	fputc('\n', stderr);
	suppressed[kind] = 0;
}

/* ---------------------------------------------------------------------------
 * limits
 */
int
conn_default_max(long nofile, int pool)
{
	long		reserve = pool + 32 + nofile / 8;
	long		n = nofile - reserve;

	if (n < 16)
		n = 16;
	if (n > 1000000)
		n = 1000000;
	return (int) n;
}

long
conn_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max)
	{
		struct rlimit want = rl;

		want.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (1 << 20) ? (1 << 20) : rl.rlim_max;
		if (want.rlim_cur > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20))
		return 1 << 20;
	return (long) rl.rlim_cur;
}

void
conn_peer_ip(struct evhttp_connection *evcon, char *buf, size_t len)
{
	char	   *addr = NULL;
	ev_uint16_t port = 0;

	buf[0] = '\0';
	if (evcon)
		evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr)
		snprintf(buf, len, "%s", addr);
}

void
conn_fd_ip(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t	sl = sizeof ss;

	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *) &ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, buf, (socklen_t) len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, buf, (socklen_t) len);
}
