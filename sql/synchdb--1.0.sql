/* synchdb--1.0.sql: objects of the synchdb extension (docs/sql-reference.md) */

\echo Use "CREATE EXTENSION synchdb CASCADE" to load this file. \quit

-- Connector definitions.  data holds hostname, port, user, pwd (encrypted
-- with pgcrypto under the cluster's key), srcdb, dstdb, table, connector,
-- rulefile.  isactive: the connector is relaunched when the server starts.
CREATE TABLE synchdb_conninfo (
    name     text PRIMARY KEY,
    isactive bool NOT NULL DEFAULT false,
    data     jsonb NOT NULL
);
REVOKE ALL ON synchdb_conninfo FROM PUBLIC;
-- pg_dump carries connector definitions (passwords stay encrypted).
SELECT pg_catalog.pg_extension_config_dump('synchdb_conninfo', '');

CREATE FUNCTION synchdb_add_conninfo(
    name text, hostname text, port integer, username text, password text,
    srcdb text, dstdb text, "table" text, connector text, rulefile text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_add_conninfo'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_del_conninfo(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_del_conninfo'
LANGUAGE C VOLATILE;

-- TLS to the source (docs/security.md): sslmode, PEM files, key passphrase (stored encrypted).
CREATE FUNCTION synchdb_add_extra_conninfo(
    name text, sslmode text, ssl_ca text DEFAULT NULL, ssl_cert text DEFAULT NULL,
    ssl_key text DEFAULT NULL, ssl_key_pass text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_add_extra_conninfo'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_del_extra_conninfo(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_del_extra_conninfo'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_start_engine_bgw(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_start_engine_bgw'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_start_engine_bgw(name text, snapshot_mode text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_start_engine_bgw'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_stop_engine_bgw(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_stop_engine_bgw'
LANGUAGE C VOLATILE;

-- Pause a running connector between source transactions (remembered across
-- server restarts), resume it, and set the position it resumes from.
-- Stop and start again with a snapshot mode, reading the definition again.
CREATE FUNCTION synchdb_restart_connector(name text, snapshot_mode text DEFAULT 'initial')
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_restart_connector'
LANGUAGE C VOLATILE;

-- Change where and as whom a connector logs in; it keeps its position. NULL keeps a value.
CREATE FUNCTION synchdb_alter_conninfo(name text, hostname text DEFAULT NULL, port integer DEFAULT NULL,
                                       username text DEFAULT NULL, pwd text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_alter_conninfo'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_pause_engine(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_pause_engine'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_resume_engine(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_resume_engine'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_set_offset(name text, "offset" text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_set_offset'
LANGUAGE C VOLATILE;

-- Counters from zero again; the metrics in Prometheus text form.
CREATE FUNCTION synchdb_reset_stats(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_reset_stats'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_metrics()
RETURNS text
AS 'MODULE_PATHNAME', 'synchdb_metrics'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_get_state(
    OUT id integer, OUT connector text, OUT conninfo_name text, OUT pid integer,
    OUT state text, OUT err text, OUT last_dbz_offset text, OUT stage text, OUT dbname text,
    OUT snapshot_tables_done integer, OUT snapshot_tables_total integer, OUT snapshot_rows bigint,
    OUT error_handling_strategy text, OUT invalid_value_policy text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'synchdb_get_state'
LANGUAGE C VOLATILE;

CREATE VIEW synchdb_state_view AS
    SELECT id, connector, conninfo_name, pid, state, err, last_dbz_offset, stage, dbname,
           snapshot_tables_done, snapshot_tables_total, snapshot_rows,
           error_handling_strategy, invalid_value_policy
    FROM synchdb_get_state();

-- A connector's own error_handling_strategy / invalid_value_policy (NULL: follow the GUC).
CREATE FUNCTION synchdb_set_connector_option(name text, option text, value text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_set_connector_option'
LANGUAGE C VOLATILE;

-- Counters of each connector since its worker started (shared memory).
CREATE FUNCTION synchdb_get_stats(
    OUT name text, OUT dbname text, OUT inserts bigint, OUT updates bigint, OUT deletes bigint,
    OUT truncates bigint, OUT ddls bigint, OUT ddls_skipped bigint, OUT ddls_no_action bigint,
    OUT transactions bigint,
    OUT snapshot_rows bigint, OUT last_skipped_ddl text, OUT values_replaced bigint,
    OUT changes_skipped bigint, OUT source_lag_ms bigint, OUT last_commit_at timestamptz,
    OUT stats_since timestamptz,
    -- SynchDB's figures (synchdb_genstats, synchdb_snapstats, synchdb_cdcstats); times in Unix milliseconds, 0 none
    OUT bad_events bigint, OUT total_events bigint, OUT batches_done bigint, OUT average_batch_size bigint,
    OUT first_src_ts bigint, OUT first_pg_ts bigint, OUT last_src_ts bigint, OUT last_pg_ts bigint,
    OUT dmls bigint, OUT txs bigint,
    OUT snapshot_tables integer, OUT snapshot_tables_total integer, OUT snapshot_rows_copied bigint,
    OUT snapshot_rows_expected bigint, OUT snapshot_rows_per_second double precision,
    OUT snapshot_seconds_left double precision, OUT snapshot_begin_ts bigint, OUT snapshot_end_ts bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'synchdb_get_stats'
LANGUAGE C VOLATILE;

CREATE VIEW synchdb_stats_view AS SELECT * FROM synchdb_get_stats();

-- SynchDB's three statistics views, from the same counters.
CREATE VIEW synchdb_genstats AS
    SELECT name, bad_events, total_events, batches_done, average_batch_size,
           first_src_ts, first_pg_ts, last_src_ts, last_pg_ts, dbname
    FROM synchdb_get_stats();
CREATE VIEW synchdb_snapstats AS
    SELECT name, snapshot_tables AS tables, snapshot_rows_copied AS rows, snapshot_begin_ts, snapshot_end_ts,
           snapshot_tables_total AS tables_total, snapshot_rows_expected AS rows_expected,
           snapshot_rows_per_second AS rows_per_second, snapshot_seconds_left AS seconds_left, dbname
    FROM synchdb_get_stats();
CREATE VIEW synchdb_cdcstats AS
    SELECT name, ddls, dmls, inserts AS creates, updates, deletes, txs, truncates, dbname
    FROM synchdb_get_stats();

-- The PostgreSQL type the default mapping gives a source column type.
CREATE FUNCTION synchdb_translate_datatype(connector text, type text, length bigint DEFAULT -1,
                                           scale bigint DEFAULT -1, "precision" bigint DEFAULT -1)
RETURNS text
AS 'MODULE_PATHNAME', 'synchdb_translate_datatype'
LANGUAGE C STABLE;

-- The OpenLogReplicator endpoint of a connector (connector type olr).
CREATE FUNCTION synchdb_add_olr_conninfo(name text, olr_host text, olr_port integer, olr_source text,
                                         olr_options text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_add_olr_conninfo'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_del_olr_conninfo(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_del_olr_conninfo'
LANGUAGE C VOLATILE;

-- A connector copied with its database becomes this database's own (docs/security.md).
CREATE FUNCTION synchdb_rebind_conninfo(name text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_rebind_conninfo'
LANGUAGE C VOLATILE;

-- A destination table synchdb did not create may be emptied by snapshots and dropped with the source's DDL.
CREATE FUNCTION synchdb_adopt_table(tbl regclass)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_adopt_table'
LANGUAGE C VOLATILE;

-- A new key for the stored secrets; this database's are re-encrypted under it.
CREATE FUNCTION synchdb_rotate_key()
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_rotate_key'
LANGUAGE C VOLATILE;

-- The role a connector's worker logs in as, and which may control it (docs/security.md). Superusers only.
CREATE FUNCTION synchdb_set_owner(name text, role text)
RETURNS integer
AS 'MODULE_PATHNAME', 'synchdb_set_owner'
LANGUAGE C VOLATILE;

-- synchdb_guard_selftest, which exercises the error guards, is not created
-- here: the regression tests create it themselves.

-- Superuser only unless granted.
REVOKE ALL ON FUNCTION synchdb_add_conninfo(text, text, integer, text, text, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_del_conninfo(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_add_extra_conninfo(text, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_del_extra_conninfo(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_add_olr_conninfo(text, text, integer, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_del_olr_conninfo(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_start_engine_bgw(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_start_engine_bgw(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_stop_engine_bgw(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_restart_connector(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_alter_conninfo(text, text, integer, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_pause_engine(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_resume_engine(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_set_offset(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_reset_stats(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_metrics() FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_get_state() FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_rebind_conninfo(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_adopt_table(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_rotate_key() FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_set_owner(text, text) FROM PUBLIC;
REVOKE ALL ON synchdb_state_view FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_get_stats() FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_translate_datatype(text, text, bigint, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON synchdb_stats_view FROM PUBLIC;
REVOKE ALL ON synchdb_genstats FROM PUBLIC;
REVOKE ALL ON synchdb_snapstats FROM PUBLIC;
REVOKE ALL ON synchdb_cdcstats FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_set_connector_option(text, text, text) FROM PUBLIC;

-- Object mapping: rules kept in a table instead of (or beside) a rule file.
CREATE TABLE synchdb_objmap (
    name    text NOT NULL,
    objtype text NOT NULL CHECK (objtype IN ('table', 'column', 'datatype', 'transform')),
    enabled boolean NOT NULL DEFAULT true,
    srcobj  text NOT NULL,
    dstobj  text NOT NULL,
    PRIMARY KEY (name, objtype, srcobj)
);
REVOKE ALL ON synchdb_objmap FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('synchdb_objmap', '');

-- Rows written directly (not through synchdb_add_objmap, which lets a
-- connector's owner add transforms to its own connector): transform
-- expressions only from superusers, whatever privileges on the table were granted.
-- The path is fixed so that no operator or function of the caller's can stand in for ours.
CREATE FUNCTION synchdb_objmap_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.objtype OPERATOR(pg_catalog.=) 'transform'
       AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user) THEN
        RAISE EXCEPTION 'only superusers can add or change transform rules'
            USING ERRCODE = '42501',
                  DETAIL = 'A transform expression is evaluated by the connector''s worker.',
                  HINT = 'Use synchdb_add_objmap() as the connector''s owner, or ask a superuser to add the rule.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER synchdb_objmap_guard BEFORE INSERT OR UPDATE ON synchdb_objmap
    FOR EACH ROW EXECUTE FUNCTION synchdb_objmap_guard();

-- What each replicated column became: written by the connector workers of this database.
CREATE TABLE synchdb_attribute (
    name            text NOT NULL,
    dbname          text NOT NULL,     -- database holding the connector's definition
    type            text NOT NULL,
    attrelid        oid NOT NULL,
    attnum          smallint NOT NULL,
    ext_tbname      text NOT NULL,
    ext_attname     text NOT NULL,
    ext_atttypename text NOT NULL,
    mapped_typename text,
    transform       text,
    PRIMARY KEY (name, dbname, type, attrelid, attnum)
);
REVOKE ALL ON synchdb_attribute FROM PUBLIC;

CREATE VIEW synchdb_att_view AS
SELECT a.name, a.type, a.attnum, a.ext_tbname,
       n.nspname || '.' || c.relname AS pg_tbname,
       a.ext_attname, pa.attname::text AS pg_attname,
       a.ext_atttypename, format_type(pa.atttypid, pa.atttypmod) AS pg_atttypename,
       a.transform, a.dbname
FROM synchdb_attribute a
LEFT JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute pa ON pa.attrelid = a.attrelid AND pa.attnum = a.attnum AND NOT pa.attisdropped
ORDER BY a.name, a.ext_tbname, a.attnum;
REVOKE ALL ON synchdb_att_view FROM PUBLIC;

CREATE FUNCTION synchdb_add_objmap(name text, objtype text, srcobj text, dstobj text)
RETURNS int
AS 'MODULE_PATHNAME', 'synchdb_add_objmap'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_del_objmap(name text, objtype text, srcobj text)
RETURNS int
AS 'MODULE_PATHNAME', 'synchdb_del_objmap'
LANGUAGE C VOLATILE;

CREATE FUNCTION synchdb_reload_objmap(name text)
RETURNS int
AS 'MODULE_PATHNAME', 'synchdb_reload_objmap'
LANGUAGE C VOLATILE;

REVOKE ALL ON FUNCTION synchdb_add_objmap(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_del_objmap(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION synchdb_reload_objmap(text) FROM PUBLIC;
