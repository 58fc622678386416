-- sql/examples.sql, the tour for SQL users, run on the Panzhihua sample in a
-- database of its own (its edits are rolled back).  pg_regress feeds this file
-- to psql on standard input, where \ir resolves against the working directory,
-- not this file: paths are built from PG_ABS_SRCDIR, which pg_regress sets to
-- its input directory (tests/regress).
\set test_db :DBNAME '_examples'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/sample_db.sql'
\i :include
\set examples :abs_srcdir '/../../sql/examples.sql'
\i :examples

\c :regress_db
DROP DATABASE :test_db;
