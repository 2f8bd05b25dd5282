-- synchdb_add_extra_conninfo / synchdb_del_extra_conninfo: what needs no file
-- (the end-to-end test test/e2e/test_tls.py covers the files and the servers).

CREATE EXTENSION synchdb CASCADE;
SELECT synchdb_add_conninfo('tlsconn', '127.0.0.1', 3306, 'mysqluser', 'mysqlpwd',
                            'inventory', 'postgres', '', 'mysql', '');

-- Modes in SynchDB's and libpq's spelling, stored in SynchDB's.
SELECT synchdb_add_extra_conninfo('tlsconn', 'require');
SELECT data->>'ssl_mode' AS ssl_mode, data ? 'ssl_ca' AS has_ca FROM synchdb_conninfo WHERE name = 'tlsconn';
SELECT synchdb_add_extra_conninfo('TLSConn', 'Disabled', NULL, '', NULL, NULL);
SELECT data->>'ssl_mode' AS ssl_mode FROM synchdb_conninfo WHERE name = 'tlsconn';

-- SynchDB's regression test stores a misspelt mode; synchdb refuses it.
SELECT synchdb_add_extra_conninfo('tlsconn', 'verufy_ca', '/path/ks', 'kspass', '/path/ts/', 'tspass');
SELECT synchdb_add_extra_conninfo('tlsconn', 'verify_ca');
SELECT synchdb_add_extra_conninfo('tlsconn', 'verify_identity', 'ca.pem');
SELECT synchdb_add_extra_conninfo('tlsconn', 'verify_ca', '/nonexistent/synchdb/ca.pem');
SELECT synchdb_add_extra_conninfo('tlsconn', 'required', '/nonexistent/synchdb/ca.pem');
SELECT synchdb_add_extra_conninfo('tlsconn', 'disabled', NULL, NULL, NULL, 'secret');
SELECT synchdb_add_extra_conninfo('tlsconn', 'required', NULL, '/nonexistent/cert.pem');
SELECT synchdb_add_extra_conninfo('tlsconn', 'required', NULL, NULL, NULL, 'secret');
SELECT synchdb_add_extra_conninfo('tlsconn', NULL);
SELECT synchdb_add_extra_conninfo(NULL, 'required');
SELECT synchdb_add_extra_conninfo('nosuch', 'required');
SELECT data->>'ssl_mode' AS still FROM synchdb_conninfo WHERE name = 'tlsconn';

SELECT synchdb_del_extra_conninfo('tlsconn');
SELECT count(*) AS ssl_keys FROM synchdb_conninfo, jsonb_object_keys(data) k WHERE name = 'tlsconn' AND k LIKE 'ssl%';
SELECT synchdb_del_extra_conninfo('nosuch');

-- Not for PUBLIC.
CREATE ROLE regress_tls_nobody;
SET ROLE regress_tls_nobody;
SELECT synchdb_add_extra_conninfo('tlsconn', 'required');
RESET ROLE;
DROP ROLE regress_tls_nobody;

SELECT synchdb_del_conninfo('tlsconn');
DROP EXTENSION synchdb;
DROP EXTENSION pgcrypto;
