-- SQL-level tests of synchdb's control plane (no source database needed).
-- Runs against a server with shared_preload_libraries = 'synchdb'.

CREATE EXTENSION synchdb CASCADE;
-- Test-only, not part of the extension: created here, as only a superuser can.
CREATE FUNCTION synchdb_guard_selftest(kind text) RETURNS bigint
AS '$libdir/synchdb', 'synchdb_guard_selftest' LANGUAGE C VOLATILE;
SELECT extname FROM pg_extension WHERE extname IN ('synchdb', 'pgcrypto') ORDER BY 1;

-- The seed's examples.
SELECT synchdb_add_conninfo('mysqlconn', '127.0.0.1', 3306, 'mysqluser', 'mysqlpwd',
                            'inventory', 'postgres', '', 'mysql', '');
CREATE DATABASE regress_synchdb_dst;
SELECT synchdb_add_conninfo(
    'mysqlconn2', '127.0.0.1', 3306, 'mysqluser',
    'mysqlpwd', 'inventory', 'regress_synchdb_dst',
    '', 'mysql', ''
  );
SELECT synchdb_add_conninfo('sqlserverconn', '127.0.0.1', 1433, 'sa', 'Password!', 'testDB',
                            'postgres', '', 'sqlserver', '');
SELECT synchdb_add_conninfo('MySQLConn3', '127.0.0.1', 3306, 'mysqluser', 'mysqlpwd', 'inventory',
                            'postgres', 'inventory.orders,inventory.customers', 'MySQL', NULL);
SELECT synchdb_add_conninfo('oracleconn', 'ora.example', 1521, 'c##dbzuser', 'dbz', 'FREE',
                            'postgres', 'FREE.DBZUSER.ORDERS', 'oracle', '');

-- Stored with the seed's keys; the password is encrypted, never in clear.
SELECT name, isactive, data->>'hostname' AS hostname, data->'port' AS port, data->>'user' AS "user",
       data->>'srcdb' AS srcdb, data->>'dstdb' AS dstdb, data->>'table' AS "table",
       data->>'connector' AS connector, data->>'rulefile' AS rulefile
FROM synchdb_conninfo ORDER BY name;
SELECT name, left(data->>'pwd', 2) = '\x' AS pwd_is_bytea, data->>'pwd' NOT LIKE '%pwd%' AS pwd_not_clear,
       length(data->>'pwd') > 60 AS pwd_is_long
FROM synchdb_conninfo ORDER BY name;
SELECT array(SELECT jsonb_object_keys(data) ORDER BY 1) FROM synchdb_conninfo WHERE name = 'mysqlconn';
-- Only the server can decrypt it, with the per-cluster key kept under $PGDATA.
SELECT pgp_sym_decrypt(decode(substr(data->>'pwd', 3), 'hex'), 'wrong key') FROM synchdb_conninfo WHERE name = 'mysqlconn';
SELECT (pg_stat_file('pg_synchdb/synchdb.key')).size AS key_file_size;

-- Validation errors.
SELECT synchdb_add_conninfo('mysqlconn', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('bad name', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('9lives', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo(repeat('n', 64), '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 0, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 65536, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', NULL, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, NULL, 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', NULL, 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', '', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'nosuchdb', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'db2', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', NULL, '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', 'orders', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', 'inventory.dbo.orders', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', 'inventory.orders,,inventory.x', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', 'shop.orders', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 1433, 'u', 'p', 'testDB', 'postgres', 'testDB.orders', 'sqlserver', '');

-- Rule files: must exist under $PGDATA and parse.
CREATE FUNCTION regress_write_file(name text, content text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT %L) TO %L', content, current_setting('data_directory') || '/' || name);
END $$;
SELECT regress_write_file('regress_rule_ok.json', '{"transform_datatype_rules": [{"translate_from": "GEOMETRY", "translate_from_autoinc": false, "translate_to": "TEXT", "translate_to_size": 0}], "transform_objectname_rules": [{"object_type": "table", "source_object": "inventory.orders", "destination_object": "schema1.orders"}], "transform_expression_rules": [{"transform_from": "inventory.orders.quantity", "transform_expression": "case when %d < 500 then 0 else %d end"}]}');
SELECT regress_write_file('regress_rule_badkey.json', '{"transform_datatype_rules": [{"translate_from": "INT", "translate_to": "bigint", "size": 3}]}');
SELECT regress_write_file('regress_rule_badjson.json', '{"transform_datatype_rules": [ {"translate_from": "INT" ');
SELECT synchdb_add_conninfo('ruled', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_rule_ok.json');
SELECT data->>'rulefile' FROM synchdb_conninfo WHERE name = 'ruled';
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_rule_badkey.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_rule_badjson.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_no_such_rule.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '../outside.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '/etc/passwd');
SELECT count(*) AS c1_not_created FROM synchdb_conninfo WHERE name = 'c1';
DROP FUNCTION regress_write_file(text, text);

-- Starting: unknown names, unsupported types, bad modes.
SELECT synchdb_start_engine_bgw('nosuch');
SELECT synchdb_start_engine_bgw('bad-name');
SELECT synchdb_start_engine_bgw(NULL);
SELECT synchdb_start_engine_bgw('sqlserverconn');
SELECT synchdb_start_engine_bgw('oracleconn');
SELECT synchdb_start_engine_bgw('mysqlconn', 'sometimes');
SELECT synchdb_start_engine_bgw('mysqlconn', NULL);
SELECT synchdb_stop_engine_bgw('nosuch');
SELECT synchdb_stop_engine_bgw('mysqlconn');
SELECT synchdb_del_conninfo('nosuch');

-- State view: one row per defined connector (none started: no slot id), no row for free slots.
SELECT count(*) AS connectors, count(*) FILTER (WHERE state = 'stopped' AND pid = -1) AS stopped,
       count(id) AS with_slot
FROM synchdb_state_view;
SELECT connector, conninfo_name, pid, state, err, last_dbz_offset FROM synchdb_state_view ORDER BY conninfo_name;

-- Per-connector options: checked, kept in the definition, shown in the state view; NULL follows the GUC again.
SELECT synchdb_set_connector_option('mysqlconn', 'error_strategy', 'skip');
SELECT synchdb_set_connector_option('mysqlconn', 'error_handling_strategy', 'ignore');
SELECT synchdb_set_connector_option('mysqlconn', 'invalid_value_policy', 'skip');
SELECT synchdb_set_connector_option('nosuch', 'error_handling_strategy', 'skip');
SELECT synchdb_set_connector_option('mysqlconn', 'error_handling_strategy', NULL);
SELECT synchdb_set_connector_option('mysqlconn', 'Error_Handling_Strategy', 'Skip');
SELECT synchdb_set_connector_option('mysqlconn', 'invalid_value_policy', 'replace');
SELECT data->'options' AS options FROM synchdb_conninfo WHERE name = 'mysqlconn';
SELECT conninfo_name, error_handling_strategy, invalid_value_policy FROM synchdb_state_view
WHERE conninfo_name = 'mysqlconn';
SELECT synchdb_set_connector_option('mysqlconn', 'error_handling_strategy', NULL);
SELECT synchdb_set_connector_option('mysqlconn', 'invalid_value_policy', NULL);
SELECT data->'options' AS options FROM synchdb_conninfo WHERE name = 'mysqlconn';
SELECT conninfo_name, error_handling_strategy, invalid_value_policy FROM synchdb_state_view
WHERE conninfo_name = 'mysqlconn';

-- SynchDB's statistics views (no connector of this database ran: no rows).
SELECT * FROM synchdb_genstats WHERE dbname = current_database();
SELECT * FROM synchdb_snapstats WHERE dbname = current_database();
SELECT * FROM synchdb_cdcstats WHERE dbname = current_database();
SELECT current_setting('synchdb.max_connector_workers') AS max_workers,
       current_setting('synchdb.synchdb_auto_launcher') AS auto_launcher;

-- Superuser only unless granted.
CREATE ROLE regress_synchdb_user;
SET ROLE regress_synchdb_user;
SELECT * FROM synchdb_conninfo;
SELECT synchdb_add_conninfo('c2', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_start_engine_bgw('mysqlconn');
SELECT synchdb_stop_engine_bgw('mysqlconn');
SELECT synchdb_del_conninfo('mysqlconn');
SELECT * FROM synchdb_state_view;
SELECT * FROM synchdb_genstats;
SELECT * FROM synchdb_snapstats;
SELECT * FROM synchdb_cdcstats;
SELECT synchdb_set_connector_option('mysqlconn', 'error_handling_strategy', 'skip');
RESET ROLE;
DROP ROLE regress_synchdb_user;

-- Error guards.  A C++ exception leaving a SQL function becomes an ERROR with
-- its SQLSTATE, detail and hint; an ereport(ERROR) raised inside a C++ frame
-- unwinds it and surfaces with the original SQLSTATE.
CREATE FUNCTION regress_guard(kind text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  PERFORM synchdb_guard_selftest(kind);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN st || ' | ' || msg || ' | ' || coalesce(nullif(det, ''), '-') || ' | ' || coalesce(nullif(hnt, ''), '-');
END $$;
SELECT regress_guard('cpp_error');
SELECT regress_guard('pg_error');
SELECT regress_guard('bad_alloc');
SELECT regress_guard('std_exception');
SELECT regress_guard('ok');
SELECT synchdb_guard_selftest('live') AS live_after_errors;
-- Nothing leaks: after a warm-up, thousands of errors of each kind leave
-- neither C++ objects nor heap memory behind (each error would otherwise
-- leave five objects of more than 256 bytes).
CREATE FUNCTION regress_heap_growth(kind text, n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE h0 bigint;
BEGIN
  -- One loop, so that the measured calls reuse the plans the warm-up made.
  FOR i IN 1..200 + n LOOP
    IF i = 201 THEN h0 := synchdb_guard_selftest('heap_bytes'); END IF;
    PERFORM regress_guard(kind);
  END LOOP;
  RETURN synchdb_guard_selftest('heap_bytes') - h0;
END $$;
SELECT kind, regress_heap_growth(kind, 4000) < 16000 AS no_leak
FROM unnest(ARRAY['cpp_error', 'pg_error', 'bad_alloc', 'std_exception']) AS kind;
SELECT synchdb_guard_selftest('live') AS live_objects;
DROP FUNCTION regress_heap_growth(text, int);
DROP FUNCTION regress_guard(text);

-- Default type translation.
SELECT t, l, s, synchdb_translate_datatype('mysql', t, l, s)
FROM (VALUES ('int', -1, -1), ('int unsigned', 10, -1), ('bigint unsigned', -1, -1), ('decimal', 10, 2),
             ('varchar', 255, -1), ('bit', 1, -1), ('bit', 5, -1), ('datetime', 3, -1), ('timestamp', 6, -1),
             ('time', -1, -1), ('year', -1, -1), ('enum(''a'',''b'')', -1, -1), ('json', -1, -1),
             ('geometry', -1, -1), ('tinyint', 1, -1), ('MEDIUMBLOB', -1, -1)) AS v(t, l, s);
SELECT synchdb_translate_datatype('MySQL', 'double');
SELECT synchdb_translate_datatype('mysql', 'nosuchtype');
SELECT synchdb_translate_datatype('mysql', 'int; drop table x');
SELECT synchdb_translate_datatype('oracle', 'number', 10, 0);
SELECT synchdb_translate_datatype('db2', 'int');

-- Deleting.
SELECT synchdb_del_conninfo('MySQLConn3');
SELECT synchdb_del_conninfo('ruled');
SELECT name FROM synchdb_conninfo ORDER BY name;

-- pg_dump carries the definitions.
SELECT c.relname, e.extname FROM pg_extension e, unnest(e.extconfig) AS cfg(oid) JOIN pg_class c ON c.oid = cfg.oid
WHERE e.extname = 'synchdb';

DROP FUNCTION synchdb_guard_selftest(text);
DROP EXTENSION synchdb;
DROP EXTENSION pgcrypto;
DROP DATABASE regress_synchdb_dst;
