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
 */
#pragma once

#include "core/strings.hpp" /* Scrub */

#include <string>

namespace synchdb::pg {

/* pgp_sym_encrypt(password, key) as bytea text "\x...". */
std::string EncryptPassword(const std::string &password);

/* Inverse of EncryptPassword; a clear error naming the connector on failure. */
std::string DecryptPassword(const std::string &encrypted, const std::string &connector);


}  // namespace synchdb::pg
