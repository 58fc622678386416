/*
 * monitoring.h - groundwater monitoring (design section 8): the samples of a
 * pond's wells and their assessment against GB/T 14848-2017 class III.
 */
#ifndef TAILINGS_MONITORING_H
#define TAILINGS_MONITORING_H

#include "srv.h"

/* GET /api/ponds/{id}/samples[?element_id=][&parameter=]: by well, parameter and date */
void		monitoring_samples(Req *r, const Route *rt);
/* POST /api/ponds/{id}/samples {element_id, sampled_on, parameter, value, unit?}: 201 */
void		monitoring_sample_create(Req *r, const Route *rt);
/* GET /api/ponds/{id}/monitoring[?lang=]: each well's latest values against the limits */
void		monitoring_assessment(Req *r, const Route *rt);

#endif
