\set own_db_echo :ECHO
\set ECHO none
-- Included by a test that runs in a database of its own, after
--     \set test_db :DBNAME '_NAME'
-- The database is made afresh, with the extension, and connected to;
-- :regress_db is the database pg_regress made, where the test goes back at
-- its end:
--     \c :regress_db
--     DROP DATABASE :test_db;
-- Not echoed: this is no test's output (an error still shows).
\set regress_db :DBNAME
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :test_db;
CREATE DATABASE :test_db;
\c :test_db
SET client_min_messages = warning;
CREATE EXTENSION tailings CASCADE;
RESET client_min_messages;
\set ECHO :own_db_echo
