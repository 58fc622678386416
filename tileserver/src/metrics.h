/*
 * metrics.h - /health and /metrics (Prometheus), and the counters of every reply.
 */
#ifndef TAILINGS_METRICS_H
#define TAILINGS_METRICS_H

#include "srv.h"

/* count a reply of status that took secs (http_reply) */
void		metrics_count(Req *r, int status, double secs);
void		metrics_health(Req *r, const Route *rt);
void		metrics_handle(Req *r, const Route *rt);

#endif
