\set sample_db_echo :ECHO
\set ECHO none
-- Included like own_db.sql, by a test that reads the Panzhihua sample: a
-- database of its own with the sample (sql/sample/panzhihua.sql) loaded.
-- Not echoed: this is no test's output (an error still shows).
\ir own_db.sql
\set sample_db_stop :ON_ERROR_STOP
\ir ../../../sql/sample/panzhihua.sql
\set ON_ERROR_STOP :sample_db_stop
\set ECHO :sample_db_echo
