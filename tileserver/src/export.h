/*
 * export.h - `tailings-tileserver export`: the one map of an area as a
 * PMTiles archive for inspectors without a network (design section 10).
 */
#ifndef TAILINGS_EXPORT_H
#define TAILINGS_EXPORT_H

/* argv[0] is "export"; the exit status: 0 written, 1 failed (nothing left behind), 2 invalid arguments */
int			export_main(int argc, char **argv);

#endif
