-- Bad inputs of every SQL function (docs/security.md, "Bad inputs"): each is
-- refused with an error naming the object and the fix, and nothing is lost.
-- (synchdb.sql and tls.sql hold the earlier ones; this file the rest.)

CREATE EXTENSION synchdb CASCADE;
SELECT synchdb_add_conninfo('keep', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');

-- The test-only guard self-test is not part of the extension.
SELECT count(*) AS selftest_in_extension FROM pg_proc WHERE proname = 'synchdb_guard_selftest';

-- Over-long names and hosts.
SELECT synchdb_add_conninfo('c1', repeat('h', 256), 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, repeat('u', 129), 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', repeat('d', 129), 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', repeat('d', 64), '', 'mysql', '');
SELECT synchdb_add_conninfo(NULL, '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', NULL, 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', -1, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
-- Hostile identifiers: over 63 bytes, dollar quotes, quotes, newlines.
-- (A table list entry is checked against the source at start; a source name whose destination name
-- would exceed 63 bytes is refused when the destination table is made, see errors.md.)
SELECT synchdb_add_conninfo('longlist', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres',
                            'inventory.' || repeat('x', 100), 'mysql', '');
SELECT synchdb_del_conninfo('longlist');
SELECT synchdb_add_conninfo('c$synchdb$', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1"; DROP TABLE x; --', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo(E'c1\nLOG:  forged', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', E'post\ngres', '', 'mysql', '');
-- NUL and invalid UTF-8 never reach synchdb: PostgreSQL refuses them as text.
SELECT synchdb_add_conninfo(E'c\x00', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
SELECT synchdb_add_conninfo(convert_from('\xc3'::bytea, 'UTF8'), '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');

-- Rule files: a symbolic link out of the data directory, a FIFO, a directory,
-- an over-large file, synchdb's own key file.
COPY (SELECT 1) TO PROGRAM 'ln -sf /etc/passwd regress_link.json && rm -f regress_fifo.json && mkfifo regress_fifo.json && mkdir -p regress_dir.json && truncate -s 17M regress_huge.json && ln -sf pg_synchdb/synchdb.key regress_keylink.json';
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_link.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_fifo.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_dir.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_huge.json');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'pg_synchdb/synchdb.key');
SELECT synchdb_add_conninfo('c1', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', 'regress_keylink.json');
COPY (SELECT 1) TO PROGRAM 'rm -rf regress_link.json regress_fifo.json regress_dir.json regress_huge.json regress_keylink.json';
SELECT count(*) AS c1_not_created FROM synchdb_conninfo WHERE name = 'c1';

-- Object map: bad object types, NULLs, unknown connectors, transforms that are not expressions.
SELECT synchdb_add_objmap('keep', 'index', 'inventory.orders', 'x');
SELECT synchdb_add_objmap('keep', NULL, 'inventory.orders', 'x');
SELECT synchdb_add_objmap('keep', 'table', NULL, 'x');
SELECT synchdb_add_objmap('keep', 'table', 'inventory.orders', NULL);
SELECT synchdb_add_objmap('nosuch', 'table', 'inventory.orders', 'x');
SELECT synchdb_add_objmap('keep', 'table', 'inventory.orders', 'a.b.c');
SELECT synchdb_add_objmap('keep', 'transform', 'inventory.orders.quantity', '%d; DROP TABLE x');
SELECT synchdb_add_objmap('keep', 'transform', 'inventory.orders.quantity', '$synchdb$ || %d');
SELECT synchdb_del_objmap('keep', 'table', 'inventory.nosuch');
SELECT synchdb_reload_objmap(NULL);
SELECT count(*) AS no_rules_added FROM synchdb_objmap;

-- Control functions.
SELECT synchdb_pause_engine('keep');
SELECT synchdb_resume_engine('keep');
SELECT synchdb_pause_engine(NULL);
SELECT synchdb_set_offset('keep', NULL);
SELECT synchdb_set_offset('keep', 'not json');
SELECT synchdb_set_offset('nosuch', '{}');
SELECT synchdb_reset_stats('nosuch');
SELECT synchdb_translate_datatype(NULL, 'int');
SELECT synchdb_translate_datatype('mysql', NULL);
SELECT synchdb_translate_datatype('mysql', repeat('x', 10000));
SELECT synchdb_add_olr_conninfo('keep', 'olr.example', 0, 'ORACLE');
SELECT synchdb_add_olr_conninfo('keep', NULL, 5000, 'ORACLE');
SELECT synchdb_add_olr_conninfo('nosuch', 'olr.example', 5000, 'ORACLE');
SELECT synchdb_del_olr_conninfo(NULL);
SELECT synchdb_add_extra_conninfo('keep', NULL);
SELECT synchdb_add_extra_conninfo('nosuch', 'disabled');
SELECT synchdb_del_extra_conninfo('nosuch');

-- Copies, adoption, keys.
SELECT synchdb_rebind_conninfo('nosuch');
SELECT synchdb_rebind_conninfo(NULL);
SELECT synchdb_rebind_conninfo('keep');
SELECT synchdb_adopt_table(NULL);
SELECT synchdb_adopt_table('no_such_table');
CREATE SEQUENCE regress_seq;
SELECT synchdb_adopt_table('regress_seq');
CREATE TABLE regress_mine (id int);
SELECT synchdb_adopt_table('regress_mine');
SELECT synchdb_adopt_table('regress_mine');
SELECT how, connector FROM _synchdb.tables WHERE relid = 'regress_mine'::regclass;
-- Each definition records where it was defined: this cluster and this database.
SELECT data->>'defined_in' = (SELECT system_identifier::text FROM pg_control_system()) || '/' ||
       (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS defined_here
FROM synchdb_conninfo WHERE name = 'keep';
-- A copied definition (another database's identity) does not start, and says how to bind it.
UPDATE synchdb_conninfo SET data = jsonb_set(data, '{defined_in}', '"1/1"') WHERE name = 'keep';
SELECT synchdb_start_engine_bgw('keep');
SELECT conninfo_name, state, err FROM synchdb_state_view WHERE conninfo_name = 'keep';
SELECT synchdb_rebind_conninfo('keep');
SELECT err FROM synchdb_state_view WHERE conninfo_name = 'keep';

-- Key rotation: the secrets are re-encrypted under the new key, the old key is kept beside it.
-- (a TLS key passphrase stored as synchdb_add_extra_conninfo stores it; test_tls.py sets a real one)
UPDATE synchdb_conninfo SET data = jsonb_set(data, '{ssl_key_pass}',
    to_jsonb(pgp_sym_encrypt('passphrase', pg_read_file('pg_synchdb/synchdb.key'))::text)) WHERE name = 'keep';
CREATE TEMP TABLE before AS SELECT data->>'pwd' AS pwd, data->>'ssl_key_pass' AS pass,
    (SELECT count(*) FROM pg_ls_dir('pg_synchdb') f WHERE f LIKE 'synchdb.key.retired.%') AS retired
    FROM synchdb_conninfo WHERE name = 'keep';
SELECT synchdb_rotate_key() AS secrets_reencrypted;
SELECT c.data->>'pwd' <> b.pwd AS pwd_changed, c.data->>'ssl_key_pass' <> b.pass AS pass_changed,
       (SELECT count(*) FROM pg_ls_dir('pg_synchdb') f WHERE f LIKE 'synchdb.key.retired.%') = b.retired + 1 AS old_key_kept,
       pgp_sym_decrypt(decode(substr(c.data->>'pwd', 3), 'hex'), pg_read_file('pg_synchdb/synchdb.key')) AS pwd,
       pgp_sym_decrypt(decode(substr(c.data->>'ssl_key_pass', 3), 'hex'), pg_read_file('pg_synchdb/synchdb.key')) AS pass
FROM synchdb_conninfo c, before b WHERE c.name = 'keep';
-- Rolled back: the secrets stay under the key they had, which is still there.
BEGIN;
SELECT synchdb_rotate_key() AS secrets_reencrypted;
ROLLBACK;
SELECT pgp_sym_decrypt(decode(substr(data->>'pwd', 3), 'hex'),
       pg_read_file('pg_synchdb/' || (SELECT max(f) FROM pg_ls_dir('pg_synchdb') f WHERE f LIKE 'synchdb.key.retired.%')))
       AS pwd_under_the_retired_key
FROM synchdb_conninfo WHERE name = 'keep';
SELECT synchdb_add_conninfo('after', '127.0.0.1', 3306, 'u', 'p2', 'inventory', 'postgres', '', 'mysql', '');
SELECT pgp_sym_decrypt(decode(substr(data->>'pwd', 3), 'hex'), pg_read_file('pg_synchdb/synchdb.key')) AS new_secret_under_current_key
FROM synchdb_conninfo WHERE name = 'after';

-- Superuser only.
CREATE ROLE regress_sec_nobody;
GRANT EXECUTE ON FUNCTION synchdb_rotate_key(), synchdb_adopt_table(regclass) TO regress_sec_nobody;
SET ROLE regress_sec_nobody;
SELECT synchdb_rotate_key();
SELECT synchdb_adopt_table('regress_mine');
SELECT synchdb_rebind_conninfo('keep');
RESET ROLE;
DROP OWNED BY regress_sec_nobody;
DROP ROLE regress_sec_nobody;

-- Owners (docs/security.md): a connector is controlled by its owner and by superusers.
CREATE ROLE regress_sec_owner LOGIN;
CREATE ROLE regress_sec_other LOGIN;
GRANT EXECUTE ON FUNCTION synchdb_add_conninfo(text, text, integer, text, text, text, text, text, text, text),
    synchdb_stop_engine_bgw(text), synchdb_del_conninfo(text), synchdb_add_objmap(text, text, text, text),
    synchdb_alter_conninfo(text, text, integer, text, text), synchdb_set_owner(text, text)
    TO regress_sec_owner, regress_sec_other;
SET ROLE regress_sec_owner;
SELECT synchdb_add_conninfo('owned', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'postgres', '', 'mysql', '');
-- Its owner may add transform rules to it (its worker evaluates them as the owner).
SELECT synchdb_add_objmap('owned', 'transform', 'inventory.orders.quantity', 'abs(%d)');
SELECT synchdb_alter_conninfo('owned', port => 3307);
-- But not to a superuser's connector, nor change its owner.
SELECT synchdb_add_objmap('keep', 'table', 'inventory.orders', 'x.orders');
SELECT synchdb_set_owner('owned', 'regress_sec_other');
SET ROLE regress_sec_other;
SELECT synchdb_stop_engine_bgw('owned');
SELECT synchdb_del_conninfo('owned');
SELECT synchdb_alter_conninfo('owned', 'elsewhere.example.com');
SELECT * FROM synchdb_conninfo;
RESET ROLE;
SELECT data->>'owner_name' AS owner, data->>'port' AS port FROM synchdb_conninfo WHERE name = 'owned';
SELECT synchdb_set_owner('owned', 'regress_sec_other');
SELECT synchdb_set_owner('owned', 'no_such_role');
SELECT synchdb_set_owner('nosuch', 'regress_sec_other');
SET ROLE regress_sec_owner;
SELECT synchdb_del_conninfo('owned');
SET ROLE regress_sec_other;
SELECT synchdb_del_conninfo('owned');
-- A connector into a database its owner may not connect to is refused.
RESET ROLE;
CREATE DATABASE regress_sec_closed;
REVOKE CONNECT ON DATABASE regress_sec_closed FROM PUBLIC;
SET ROLE regress_sec_other;
SELECT synchdb_add_conninfo('closed', '127.0.0.1', 3306, 'u', 'p', 'inventory', 'regress_sec_closed', '', 'mysql', '');
RESET ROLE;
DROP DATABASE regress_sec_closed;
DROP OWNED BY regress_sec_owner;
DROP OWNED BY regress_sec_other;
DROP ROLE regress_sec_owner;
DROP ROLE regress_sec_other;

-- Nothing lost: the connectors are as they were.
SELECT name, data->>'hostname' AS hostname, data->>'srcdb' AS srcdb FROM synchdb_conninfo ORDER BY name;

SELECT synchdb_del_conninfo('keep');
SELECT synchdb_del_conninfo('after');
DROP TABLE regress_mine;
DROP SEQUENCE regress_seq;
DROP SCHEMA _synchdb CASCADE;
DROP EXTENSION synchdb;
