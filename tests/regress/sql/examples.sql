-- sql/examples.sql, the tour for SQL users, run on the Panzhihua sample that
-- the test runner loads into the database tailings_sample (its edits are
-- rolled back).  pg_regress feeds this file to psql on standard input, where
-- \ir resolves against the working directory, not this file: the path is
-- built from PG_ABS_SRCDIR, which pg_regress sets to its input directory
-- (tests/regress).
\c tailings_sample
\getenv abs_srcdir PG_ABS_SRCDIR
\set examples :abs_srcdir '/../../sql/examples.sql'
\i :examples
