/*
 * crypto.hpp
 *     Encryption of source passwords with pgcrypto, under a per-cluster key.
 *
 * NOTES
 *   The key is 32 random bytes, generated the first time a password is
 *   stored, kept as hex in $PGDATA/pg_synchdb/synchdb.key (mode 0600, so
 *   only the server's operating system user can read it) and never in the
 *   source code.  Passwords are encrypted with pgcrypto's pgp_sym_encrypt;
 *   its C functions are called directly from the pgcrypto library, so a
 *   worker can decrypt in a database where the pgcrypto extension is not
 *   installed.  The key file travels with base backups of the data
 *   directory; a definition copied to another cluster must be re-created.
 *   The passphrase of a TLS client key (synchdb_add_extra_conninfo) is
 *   stored the same way.
 */
#pragma once

#include "core/strings.hpp" /* Scrub */

#include <string>

namespace synchdb {
struct SourceConfig;
}

namespace synchdb::pg {

/* pgp_sym_encrypt(password, key) as bytea text "\x...". */
std::string EncryptPassword(const std::string &password);

/* Inverse of EncryptPassword; a clear error naming the connector (and the secret: "password") on failure. */
std::string DecryptPassword(const std::string &encrypted, const std::string &connector,
                            const char *what = "password");

/*
 * synchdb_rotate_key(): a new current key; the old one is kept as
 * pg_synchdb/synchdb.key.retired.<time> (other databases' secrets may still
 * use it; DecryptPassword tries it).  Every secret of this database's
 * definitions is re-encrypted under the new key in the caller's transaction.
 * Returns the number of secrets re-encrypted.
 */
int RotateKey();

/* A source's secrets in clear text: sc.password, sc.tls_key_passphrase from sc.conninfo's ciphertexts. */
void DecryptSecrets(SourceConfig &sc);


}  // namespace synchdb::pg
