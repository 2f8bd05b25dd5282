#!/usr/bin/env python3
"""End-to-end tests of TLS to the sources (synchdb_add_extra_conninfo).

Makes a throw-away CA, a wrong CA, a server certificate for "localhost" and a
client certificate with the openssl CLI under $SYNCHDB_RUN/tls, restarts the
MariaDB "mariadb" with them (and back without at the end), turns ssl on in
the source PostgreSQL "pgsrc" by reloading (and off at the end).  MariaDB
"my2" and the destination PostgreSQL "pg" stay without TLS: the servers that
must be refused under sslmode required.
"""
import os
import pwd
import shutil
import subprocess
import sys
import time

import psycopg2

from harness import (MY2PORT, MYPORT, PGPORT, My, Pg, TestFailure, check, clean_destination, load_sample, run_tests, script, wait_for,
                     wait_stopped_with_error)
from test_postgres_source import SRCDB, SRCPORT, Src, USER as PGSRC_USER, PWD as PGSRC_PWD, fresh_source

RUN = os.environ.get("SYNCHDB_RUN", "/tmp/synchdb-run")
TLS = os.path.join(RUN, "tls")
CA, WRONG_CA = os.path.join(TLS, "ca.pem"), os.path.join(TLS, "wrong-ca.pem")
CLIENT_CERT, CLIENT_KEY = os.path.join(TLS, "client-cert.pem"), os.path.join(TLS, "client-key.pem")
KEY_PASS = "Key-Passphrase-5521"
MY_TLS_OPTS = ""


def openssl(*args):
    r = subprocess.run(["openssl"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise TestFailure("openssl " + " ".join(args) + " failed:\n" + r.stdout)


def owned(path, user, mode):
    if os.geteuid() == 0:
        u = pwd.getpwnam(user)
        os.chown(path, u.pw_uid, u.pw_gid)
    os.chmod(path, mode)


def make_certificates():
    shutil.rmtree(TLS, ignore_errors=True)
    os.makedirs(TLS)
    os.chmod(TLS, 0o755)
    p = lambda n: os.path.join(TLS, n)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    for name in ("ca", "wrong-ca"):
        openssl("req", "-x509", *ec, "-nodes", "-days", "2", "-subj", f"/CN=synchdb test {name}",
                "-keyout", p(name + ".key"), "-out", p(name + ".pem"))

    def signed(name, cn, ext, keyout_args=("-nodes",)):
        openssl("req", *ec, *keyout_args, "-subj", f"/CN={cn}", "-keyout", p(name + "-key.pem"),
                "-out", p(name + ".csr"))
        with open(p(name + ".ext"), "w") as f:
            f.write(ext)
        openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", p(name + ".ext"), "-out", p(name + "-cert.pem"))

    # The server's certificate names "localhost" only: 127.0.0.1 is a wrong host name for verify_identity.
    signed("server", "localhost", "subjectAltName = DNS:localhost\n")
    signed("client", "synchdb-client", "extendedKeyUsage = clientAuth\n",
           ("-passout", "pass:" + KEY_PASS))
    for n in os.listdir(TLS):
        owned(p(n), "postgres", 0o644)
    # Private keys: each server's own copy, and the client's for the postgres user (the worker reads it).
    shutil.copy(p("server-key.pem"), p("mariadb-key.pem"))
    owned(p("mariadb-key.pem"), "mysql", 0o600)
    owned(p("server-key.pem"), "postgres", 0o600)
    owned(p("client-key.pem"), "postgres", 0o600)
    global MY_TLS_OPTS
    MY_TLS_OPTS = f"--ssl-ca={p('ca.pem')} --ssl-cert={p('server-cert.pem')} --ssl-key={p('mariadb-key.pem')}"


def restart_mariadb(tls):
    base = os.environ.get("SYNCHDB_MY_EXTRA_OPTS", "")
    script("mariadb.sh", "restart", "mariadb", env={"SYNCHDB_MY_EXTRA_OPTS": (base + " " + MY_TLS_OPTS) if tls else base})


def pgsrc_ssl(on):
    s = Src("postgres")
    if on:
        s.rows("ALTER SYSTEM SET ssl_cert_file = %s", (os.path.join(TLS, "server-cert.pem"),))
        s.rows("ALTER SYSTEM SET ssl_key_file = %s", (os.path.join(TLS, "server-key.pem"),))
        s.rows("ALTER SYSTEM SET ssl = on")
    else:
        for g in ("ssl", "ssl_cert_file", "ssl_key_file"):
            s.rows(f"ALTER SYSTEM RESET {g}")
    s.rows("SELECT pg_reload_conf()")
    time.sleep(0.5)
    s.close()
    s = Src("postgres")
    got = s.one("SHOW ssl")
    s.close()
    check(got == ("on" if on else "off"), f"pgsrc ssl is {got}")


def server_log():
    with open(os.path.join(RUN, "pg", "server.log"), encoding="utf-8", errors="replace") as f:
        return f.read()


def destination():
    pg = clean_destination(("inventory",), reload_sample=False)
    for t in ("types", "nokey", "big", "load", "extra"):
        pg.rows(f"DROP TABLE IF EXISTS public.{t}")
    return pg


def add_mysql(pg, name, host="127.0.0.1", port=MYPORT, user="tlsuser", pwd="tlspwd"):
    pg.one("SELECT synchdb_add_conninfo(%s, %s, %s, %s, %s, 'inventory', 'postgres', 'inventory.orders', "
           "'mysql', '')", (name, host, port, user, pwd))


def wait_streaming(pg, name, timeout=60):
    def ready():
        s = pg.state(name)
        if s and s["state"] == "stopped" and s["err"] != "no error":
            raise TestFailure(f"connector {name} stopped: {s['err']}")
        return s and s["stage"] == "change data capture" and s["state"] in ("syncing", "executing")
    wait_for(ready, timeout, what=f"{name} streaming")


def orders(pg):
    if not pg.one("SELECT to_regclass('inventory.orders') IS NOT NULL"):
        return None
    return pg.one("SELECT count(*) FROM inventory.orders")


def failed_with(pg, name, *words):
    s = wait_stopped_with_error(pg, name, 60)
    for w in words:
        check(w in s["err"], f"{name}: {w!r} in the error: {s['err']}")
    return s["err"]


def connect_line(name):
    lines = [ln for ln in server_log().splitlines() if f'synchdb connector "{name}" connected to' in ln]
    return lines[-1] if lines else ""


# ------------------------------------------------------------------ MariaDB


def setup_mariadb():
    make_certificates()
    restart_mariadb(True)
    load_sample()
    my = My()
    check(my.run("SHOW GLOBAL VARIABLES LIKE 'have_ssl'")[0][1] == "YES", "MariaDB has TLS")
    for user in ("tlsuser", "x509user"):
        my.run(f"DROP USER IF EXISTS '{user}'@'%'")
    my.run("CREATE USER 'tlsuser'@'%' IDENTIFIED BY 'tlspwd' REQUIRE SSL")
    my.run("CREATE USER 'x509user'@'%' IDENTIFIED BY 'x509pwd' REQUIRE X509")
    for user in ("tlsuser", "x509user"):
        my.run(f"GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '{user}'@'%'")
    return my


def test_mysql_verify_ca_replicates_over_tls():
    my = setup_mariadb()
    pg = destination()
    add_mysql(pg, "tlsca")
    check(pg.one("SELECT synchdb_add_extra_conninfo('tlsca', 'verify_ca', %s)", (CA,)) == 0, "add_extra_conninfo")
    check(pg.one("SELECT data->>'ssl_mode' FROM synchdb_conninfo WHERE name = 'tlsca'") == "verify_ca",
          "sslmode stored in SynchDB's spelling")
    accepts = int(my.run("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")[0][1])
    pg.one("SELECT synchdb_start_engine_bgw('tlsca')")
    wait_streaming(pg, "tlsca")
    check(orders(pg) == 4, f"snapshot over TLS: {orders(pg)} rows")
    my.run("INSERT INTO inventory.orders VALUES (10005, '2024-03-01', 1001, 3, 101)")
    wait_for(lambda: orders(pg) == 5, 30, what="a streamed row")
    # Server side: tlsuser may only log in over TLS, and the server counted new TLS sessions.
    check(int(my.run("SHOW GLOBAL STATUS LIKE 'Ssl_accepts'")[0][1]) >= accepts + 2, "MariaDB accepted TLS sessions")
    line = connect_line("tlsca")
    check("TLS" in line and "sslmode verify_ca" in line and "not encrypted" not in line,
          f"the log says which cipher: {line}")
    pg.one("SELECT synchdb_stop_engine_bgw('tlsca')")
    pg.one("SELECT synchdb_del_conninfo('tlsca')")


def test_mysql_wrong_ca_fails_before_any_row():
    pg = destination()
    add_mysql(pg, "tlswrong")
    pg.one("SELECT synchdb_add_extra_conninfo('tlswrong', 'verify_ca', %s)", (WRONG_CA,))
    pg.one("SELECT synchdb_start_engine_bgw('tlswrong')")
    failed_with(pg, "tlswrong", "is not signed by a CA of ssl_ca", WRONG_CA)
    check(orders(pg) is None, "no table, no rows")
    pg.one("SELECT synchdb_del_conninfo('tlswrong')")


def test_mysql_verify_identity_checks_the_host_name():
    pg = destination()
    add_mysql(pg, "tlsname")  # 127.0.0.1: not in the certificate
    pg.one("SELECT synchdb_add_extra_conninfo('tlsname', 'verify_identity', %s)", (CA,))
    pg.one("SELECT synchdb_start_engine_bgw('tlsname')")
    failed_with(pg, "tlsname", "does not name host \"127.0.0.1\"")
    check(orders(pg) is None, "no rows")
    pg.one("SELECT synchdb_del_conninfo('tlsname')")
    add_mysql(pg, "tlshost", host="localhost")
    pg.one("SELECT synchdb_add_extra_conninfo('tlshost', 'verify-full', %s)", (CA,))
    pg.one("SELECT synchdb_start_engine_bgw('tlshost')")
    wait_streaming(pg, "tlshost")
    check(orders(pg) == 5, f"rows over verify_identity: {orders(pg)}")
    pg.one("SELECT synchdb_del_conninfo('tlshost')")


def test_mysql_client_certificate_with_passphrase():
    pg = destination()
    add_mysql(pg, "tlsx509", user="x509user", pwd="x509pwd")
    # Without a client certificate the server refuses the user.
    pg.one("SELECT synchdb_add_extra_conninfo('tlsx509', 'verify_ca', %s)", (CA,))
    pg.one("SELECT synchdb_start_engine_bgw('tlsx509')")
    failed_with(pg, "tlsx509", "x509user")
    before = len(server_log())
    pg.one("SELECT synchdb_add_extra_conninfo('tlsx509', 'verify_ca', %s, %s, %s, %s)",
           (CA, CLIENT_CERT, CLIENT_KEY, KEY_PASS))
    pid = pg.one("SELECT pg_backend_pid()")
    other = Pg()
    shown = other.one("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,))
    other.close()
    check(KEY_PASS not in (shown or ""), f"pg_stat_activity does not show the passphrase: {shown!r}")
    stored = pg.one("SELECT data::text FROM synchdb_conninfo WHERE name = 'tlsx509'")
    check(KEY_PASS not in stored and '"ssl_key_pass": "\\\\x' in stored, f"the passphrase is stored encrypted: {stored}")
    pg.one("SELECT synchdb_start_engine_bgw('tlsx509')")
    wait_streaming(pg, "tlsx509")
    check(orders(pg) == 5, f"rows with a client certificate: {orders(pg)}")
    # A wrong passphrase is refused when the worker loads the key.
    pg.one("SELECT synchdb_del_conninfo('tlsx509')")
    pg = destination()
    add_mysql(pg, "tlsbadpass", user="x509user", pwd="x509pwd")
    pg.one("SELECT synchdb_add_extra_conninfo('tlsbadpass', 'verify_ca', %s, %s, %s, 'wrong')",
           (CA, CLIENT_CERT, CLIENT_KEY))
    pg.one("SELECT synchdb_start_engine_bgw('tlsbadpass')")
    failed_with(pg, "tlsbadpass", "the passphrase of ssl_key", "does not decrypt it")
    pg.one("SELECT synchdb_del_conninfo('tlsbadpass')")
    time.sleep(0.3)
    check(KEY_PASS not in server_log()[before:], "the passphrase is not in the server log")


def test_mysql_tls_required_against_a_server_without_tls():
    pg = destination()
    my2 = My("my2")
    my2.run("CREATE USER IF NOT EXISTS 'tlsuser'@'%' IDENTIFIED BY 'tlspwd'")
    my2.close()
    add_mysql(pg, "plainreq", port=MY2PORT)
    pg.one("SELECT synchdb_add_extra_conninfo('plainreq', 'required')")
    pg.one("SELECT synchdb_start_engine_bgw('plainreq')")
    failed_with(pg, "plainreq", "does not encrypt the connection", "sslmode is required")
    pg.one("SELECT synchdb_add_extra_conninfo('plainreq', 'verify_identity', %s)", (CA,))
    pg.one("SELECT synchdb_start_engine_bgw('plainreq')")
    failed_with(pg, "plainreq", "does not offer TLS")
    check(orders(pg) is None, "no rows")
    pg.one("SELECT synchdb_del_conninfo('plainreq')")


def test_mysql_server_requiring_secure_transport():
    my = My()
    my.run("SET GLOBAL require_secure_transport = ON")
    try:
        pg = destination()
        add_mysql(pg, "plainoff", user="mysqluser", pwd="mysqlpwd")
        pg.one("SELECT synchdb_add_extra_conninfo('plainoff', 'disabled')")
        pg.one("SELECT synchdb_start_engine_bgw('plainoff')")
        failed_with(pg, "plainoff", "Access denied", "not encrypted (sslmode disabled)")
        # Without extra conninfo the mode is preferred: encrypted when the server offers TLS.
        pg.one("SELECT synchdb_del_extra_conninfo('plainoff')")
        check(pg.one("SELECT data ? 'ssl_mode' FROM synchdb_conninfo WHERE name = 'plainoff'") is False,
              "del_extra_conninfo removed the keys")
        pg.one("SELECT synchdb_start_engine_bgw('plainoff')")
        wait_streaming(pg, "plainoff")
        check("sslmode preferred" in connect_line("plainoff") and "TLS" in connect_line("plainoff"),
              f"preferred encrypts: {connect_line('plainoff')}")
        pg.one("SELECT synchdb_del_conninfo('plainoff')")
    finally:
        my.run("SET GLOBAL require_secure_transport = OFF")


def test_mysql_clear_text_password_only_under_verify_identity():
    # A PAM user: the server asks for the "dialog" plugin, which sends the password itself.
    my = My()
    installed = my.run("SELECT count(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'pam'")[0][0]
    if not installed:
        my.run("INSTALL SONAME 'auth_pam'")
    try:
        my.run("DROP USER IF EXISTS 'pamuser'@'%'")
        my.run("CREATE USER 'pamuser'@'%' IDENTIFIED VIA pam")
        pg = destination()
        add_mysql(pg, "clearpref", user="pamuser", pwd="pampwd")  # sslmode preferred
        pg.one("SELECT synchdb_start_engine_bgw('clearpref')")
        failed_with(pg, "clearpref", "authenticates with a plugin that sends the password in clear text")
        pg.one("SELECT synchdb_add_extra_conninfo('clearpref', 'verify_ca', %s)", (CA,))
        pg.one("SELECT synchdb_start_engine_bgw('clearpref')")
        failed_with(pg, "clearpref", "sends the password in clear text")
        pg.one("SELECT synchdb_del_conninfo('clearpref')")
        # Under verify_identity the plugin may run; PAM then refuses the unknown user.
        add_mysql(pg, "clearfull", host="localhost", user="pamuser", pwd="pampwd")
        pg.one("SELECT synchdb_add_extra_conninfo('clearfull', 'verify_identity', %s)", (CA,))
        pg.one("SELECT synchdb_start_engine_bgw('clearfull')")
        err = failed_with(pg, "clearfull", "pamuser")
        check("clear text" not in err, f"the plugin was allowed: {err}")
        pg.one("SELECT synchdb_del_conninfo('clearfull')")
    finally:
        my.run("DROP USER IF EXISTS 'pamuser'@'%'")
        if not installed:
            my.run("UNINSTALL SONAME 'auth_pam'")


def test_bad_arguments_are_refused_clearly():
    pg = destination()
    add_mysql(pg, "tlsargs")
    cases = [
        (("tlsargs", "verufy_ca", None), "invalid sslmode \"verufy_ca\""),
        (("tlsargs", "verify_ca", None), "sslmode verify_ca needs ssl_ca"),
        (("tlsargs", "verify_ca", "ca.pem"), "is not an absolute path"),
        (("tlsargs", "verify_ca", "/nonexistent/ca.pem"), "does not exist"),
        (("tlsargs", "verify_ca", TLS), "is not a regular file"),
        (("tlsargs", "verify_ca", CLIENT_KEY), "holds no PEM certificate"),
        (("tlsargs", "required", CA), "does not check the server's certificate"),
        (("nosuchconn", "required", None), "does not exist"),
        ((None, "required", None), "must not be NULL"),
        (("tlsargs", None, None), "must not be NULL"),
    ]
    for args, words in cases:
        err = pg.error("SELECT synchdb_add_extra_conninfo(%s, %s, %s)", args)
        check(words in err, f"{args}: {words!r} in {err}")
    err = pg.error("SELECT synchdb_add_extra_conninfo('tlsargs', 'required', NULL, %s, %s)",
                   (CLIENT_CERT, os.path.join(TLS, "ca.key")))
    check("private key that others can read" in err, f"a readable key is refused: {err}")
    err = pg.error("SELECT synchdb_add_extra_conninfo('tlsargs', 'required', NULL, %s, %s)", (CLIENT_CERT, CLIENT_KEY))
    check("is encrypted and no passphrase was given" in err, err)
    pg.rows("DROP ROLE IF EXISTS tlsnobody")
    pg.rows("CREATE ROLE tlsnobody")
    pg.rows("GRANT EXECUTE ON FUNCTION synchdb_add_extra_conninfo(text, text, text, text, text, text) TO tlsnobody")
    # Its owner (only the owner or a superuser may change a connector), but without pg_read_server_files.
    pg.one("SELECT synchdb_set_owner('tlsargs', 'tlsnobody')")
    pg.rows("SET ROLE tlsnobody")
    err = pg.error("SELECT synchdb_add_extra_conninfo('tlsargs', 'verify_ca', %s)", (CA,))
    pg.rows("RESET ROLE")
    check("pg_read_server_files" in err, f"a role without pg_read_server_files: {err}")
    pg.rows("REVOKE ALL ON FUNCTION synchdb_add_extra_conninfo(text, text, text, text, text, text) FROM tlsnobody")
    pg.one("SELECT synchdb_del_conninfo('tlsargs')")
    pg.rows("DROP ROLE tlsnobody")


def test_mysql_restore_plain_server():
    restart_mariadb(False)
    load_sample()


# ---------------------------------------------------------- PostgreSQL source


def add_pg(pg, name, host="127.0.0.1", port=SRCPORT):
    pg.one("SELECT synchdb_add_conninfo(%s, %s, %s, %s, %s, %s, 'postgres', 'public.types', 'postgres', '')",
           (name, host, port, PGSRC_USER, PGSRC_PWD, SRCDB))


def test_pg_verify_ca_replicates_over_tls():
    pgsrc_ssl(True)
    src = fresh_source()
    pg = destination()
    add_pg(pg, "pgtls")
    pg.one("SELECT synchdb_add_extra_conninfo('pgtls', 'verify-ca', %s)", (CA,))
    pg.one("SELECT synchdb_start_engine_bgw('pgtls')")
    wait_streaming(pg, "pgtls")
    check(pg.one("SELECT count(*) FROM public.types") == 3, "snapshot over TLS")
    sessions = src.rows("SELECT s.ssl, s.cipher FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                        "WHERE a.application_name = 'synchdb_pgtls'")
    check(sessions and all(ssl and cipher for ssl, cipher in sessions),
          f"the source sees encrypted sessions: {sessions}")
    line = connect_line("pgtls")
    check("TLS" in line and "sslmode verify_ca" in line, f"the log says which cipher: {line}")
    pg.one("SELECT synchdb_del_conninfo('pgtls')")
    src.close()


def test_pg_wrong_ca_and_wrong_host_fail():
    pg = destination()
    add_pg(pg, "pgwrong")
    pg.one("SELECT synchdb_add_extra_conninfo('pgwrong', 'verify_ca', %s)", (WRONG_CA,))
    pg.one("SELECT synchdb_start_engine_bgw('pgwrong')")
    failed_with(pg, "pgwrong", "is not signed by a CA of ssl_ca", WRONG_CA)
    check(not pg.one("SELECT to_regclass('public.types') IS NOT NULL"), "no table")
    pg.one("SELECT synchdb_add_extra_conninfo('pgwrong', 'verify_identity', %s)", (CA,))
    pg.one("SELECT synchdb_start_engine_bgw('pgwrong')")
    failed_with(pg, "pgwrong", "does not name host \"127.0.0.1\"")
    pg.one("SELECT synchdb_del_conninfo('pgwrong')")


def test_pg_require_against_a_server_without_tls():
    pg = destination()
    # The destination cluster has no TLS: as a source, sslmode require must refuse it.
    pg.one("SELECT synchdb_add_conninfo('pgplain', '127.0.0.1', %s, 'postgres', 'x', 'postgres', 'postgres', "
           "'', 'postgres', '')", (PGPORT,))
    pg.one("SELECT synchdb_add_extra_conninfo('pgplain', 'require')")
    pg.one("SELECT synchdb_start_engine_bgw('pgplain')")
    failed_with(pg, "pgplain", "the server does not offer TLS")
    pg.one("SELECT synchdb_del_conninfo('pgplain')")


def test_pg_restore_plain_server():
    pgsrc_ssl(False)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
