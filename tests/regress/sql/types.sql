-- element_category and element_kind: I/O, errors, comparison, operator classes, casts
SET search_path = tailings, public;
\set SHOW_CONTEXT never

-- text input: English code or Chinese label; output is the code
SELECT 'groundwater'::element_category, '地下水监测'::element_category;
SELECT 'gw_monitoring_well'::element_kind, '地下水监视井'::element_kind;
-- codes are case-insensitive and surrounding blanks are ignored
SELECT ' Leachate_Pool '::element_kind, 'SITE'::element_category;

-- every kind and category round-trips through its code and its Chinese label
SELECT count(*) AS kinds_round_trip FROM kinds()
 WHERE kind::text::element_kind = kind AND label_zh::element_kind = kind;
SELECT count(*) AS categories_round_trip FROM categories()
 WHERE category::text::element_category = category AND label_zh::element_category = category;

-- unknown input: SQLSTATE 22P02, hint names the closest valid codes
SELECT 'gw_monitor_well'::element_kind;
\echo :LAST_ERROR_SQLSTATE
SELECT '地下水监测井'::element_kind;
\echo :LAST_ERROR_SQLSTATE
SELECT 'pool'::element_kind;
\echo :LAST_ERROR_SQLSTATE
SELECT 'xyz'::element_kind;
\echo :LAST_ERROR_SQLSTATE
SELECT 'grondwater'::element_category;
\echo :LAST_ERROR_SQLSTATE
SELECT 'nothing like it'::element_category;
\echo :LAST_ERROR_SQLSTATE
SELECT ''::element_kind;
\echo :LAST_ERROR_SQLSTATE
-- an English label is not a code
SELECT 'Leachate collection pool'::element_kind;
\echo :LAST_ERROR_SQLSTATE

-- storage: 2 bytes, passed by value
SELECT typname, typlen, typbyval, typalign FROM pg_type
 WHERE typname IN ('element_kind', 'element_category') ORDER BY typname;
SELECT pg_column_size('dam'::element_kind) AS kind_bytes;

-- comparison follows catalog order (category, then kind)
SELECT 'site'::element_category < 'receptor'::element_category AS lt,
       'dust'::element_category <= 'dust'::element_category AS le,
       'dam'::element_kind = '坝体'::element_kind AS eq,
       'dam'::element_kind <> 'sign'::element_kind AS ne,
       'soil_monitor'::element_kind > 'pond_boundary'::element_kind AS gt,
       'sign'::element_kind >= 'dam'::element_kind AS ge;

CREATE TEMP TABLE t (k element_kind, c element_category);
INSERT INTO t SELECT kind, category FROM kinds(), generate_series(1, 3);
INSERT INTO t VALUES ('dam', 'site'), (NULL, NULL);

-- ORDER BY, DISTINCT and GROUP BY use the operator classes
SELECT k FROM (SELECT DISTINCT k FROM t) s ORDER BY k DESC NULLS LAST LIMIT 5;
SELECT c, count(*) FROM t GROUP BY c ORDER BY c;
SELECT count(DISTINCT k) AS distinct_kinds, count(DISTINCT c) AS distinct_categories FROM t;
SELECT min(k), max(k), min(c), max(c) FROM t;
SELECT c, min(k), max(k) FROM t GROUP BY c ORDER BY c DESC LIMIT 3;
SELECT k FROM t WHERE k IN ('dam', '干滩') GROUP BY k ORDER BY k;

-- btree index
CREATE INDEX t_k_btree ON t (k);
ANALYZE t;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM t WHERE k = 'sign';
SELECT k, c FROM t WHERE k = 'sign';
EXPLAIN (COSTS OFF) SELECT k FROM t WHERE k < 'dry_beach' ORDER BY k;
SELECT k FROM t WHERE k < 'dry_beach' ORDER BY k;
DROP INDEX t_k_btree;

-- hash index
CREATE INDEX t_k_hash ON t USING hash (k);
EXPLAIN (COSTS OFF) SELECT * FROM t WHERE k = 'farmland';
SELECT count(*) FROM t WHERE k = 'farmland';
RESET enable_seqscan;
RESET enable_bitmapscan;

-- hash join, merge join, hash aggregate
CREATE TEMP TABLE u AS SELECT kind, label_en FROM kinds();
ANALYZE u;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM t JOIN u ON t.k = u.kind;
SELECT count(*) FROM t JOIN u ON t.k = u.kind;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM t JOIN u ON t.k = u.kind;
SELECT count(*) FROM t JOIN u ON t.k = u.kind;
RESET enable_hashjoin;
RESET enable_nestloop;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT c, count(*) FROM t GROUP BY c;
RESET enable_sort;

-- unique constraint (btree) rejects duplicates
CREATE TEMP TABLE uk (k element_kind PRIMARY KEY);
INSERT INTO uk VALUES ('dam'), ('坝体');
\echo :LAST_ERROR_SQLSTATE

-- hash functions agree with equality
SELECT element_kind_hash('dam') = element_kind_hash('坝体') AS same_hash,
       element_kind_hash_extended('dam', 7) = element_kind_hash_extended('坝体', 7) AS same_extended,
       element_category_hash('site') <> element_category_hash('dust') AS differ;

-- casts
SELECT 'dam'::element_kind::text AS to_text, 'dam'::element_kind::varchar AS to_varchar,
       'dust'::text::element_category AS from_text, '扬尘防护'::varchar::element_category AS from_varchar,
       'sprinkler'::element_kind::element_category AS kind_to_category;
CREATE TEMP TABLE assign (k element_kind, s text);
INSERT INTO assign VALUES ('dam'::text, 'sign'::element_kind);   -- assignment casts
SELECT * FROM assign;
SELECT '{dam,坝体,sign}'::element_kind[] AS kind_array, '{site,dust}'::element_category[] AS category_array;
SELECT 'dam'::element_kind = ANY ('{sign,dam}'::element_kind[]) AS in_array;
