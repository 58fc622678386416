-- With tailings.language = 'en' every message is English: no Chinese except
-- the data's own names (quoted "..." in messages).  Over every pond of the
-- Panzhihua sample, in a database of its own.
\set test_db :DBNAME '_english'
\getenv abs_srcdir PG_ABS_SRCDIR
\set include :abs_srcdir '/include/sample_db.sql'
\i :include
SET search_path = tailings, public;
SET tailings.language = 'en';
\set SHOW_CONTEXT never

-- CJK ideographs and punctuation, full-width forms
CREATE TEMP VIEW en_messages AS
SELECT p.id AS pond_id, c.rule, c.message,
       regexp_replace(c.message, '"[^"]*"', '""', 'g') AS unquoted
  FROM pond p, check_completeness(p.id) c;
SELECT count(*) > 800 AS many_messages, count(DISTINCT rule) AS rules FROM en_messages;
-- the test sees Chinese where there is some: names are quoted, and the names hold Chinese
SELECT count(*) > 0 AS names_in_chinese FROM en_messages WHERE message ~ '[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]';
-- and none outside the quotes
SELECT pond_id, rule, message FROM en_messages
 WHERE unquoted ~ '[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]' ORDER BY 1, 2;

-- the regulation is named in English
SELECT DISTINCT rule, message FROM en_messages WHERE message LIKE '%Art.%' ORDER BY rule LIMIT 3;
SELECT name, description_en FROM requirement WHERE description_en LIKE '%Art.%' ORDER BY id;
SELECT count(*) AS english_descriptions_with_chinese FROM requirement
 WHERE description_en ~ '[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]';

-- and in Chinese, the Chinese wording stays
SET tailings.language = 'zh';
SELECT DISTINCT rule, message FROM pond p, check_completeness(p.id)
 WHERE rule = 'dam_face_dust_cover' AND NOT passed;

-- errors name kinds in the message language
SET tailings.language = 'en';
SELECT 'gw_monitor_well'::element_kind;
SELECT geometry_fits('leachate_pool', 'LINESTRING');
SELECT 'groundwatr'::element_category;
SET tailings.language = 'zh';
SELECT 'gw_monitor_well'::element_kind;
SELECT geometry_fits('leachate_pool', 'LINESTRING');
-- a typo of a Chinese label is still matched against the Chinese labels
SET tailings.language = 'en';
SELECT '地下水监测井'::element_kind;

\c :regress_db
DROP DATABASE :test_db;
