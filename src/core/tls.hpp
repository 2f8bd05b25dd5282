/*
 * tls.hpp
 *     TLS settings of a connector's source connections: what
 *     synchdb_add_extra_conninfo() accepts and synchdb_conninfo.data holds.
 *
 * NOTES
 *   Modes are SynchDB's (Debezium's) names; libpq's spellings are accepted
 *   too and stored as SynchDB's:
 *
 *     disabled         never encrypt
 *     preferred        encrypt when the server offers TLS (the default)
 *     required         encrypt or fail; the certificate is not checked
 *     verify_ca        encrypt, the server's certificate must be signed by ssl_ca
 *     verify_identity  as verify_ca, and it must name the host synchdb connects to
 *
 *   Files are PEM files given by absolute path: the CA certificate(s) that
 *   sign the server's certificate, and the client certificate and its
 *   private key for servers that ask for one (MySQL REQUIRE X509,
 *   PostgreSQL clientcert / cert authentication).  They are read by the
 *   connector's worker, i.e. by the server's operating system user; every
 *   check a user can fail is made here (unit-tested, no server needed) and
 *   names the file and the fix.
 *
 *   A passphrase of an encrypted key is a secret: the PostgreSQL layer
 *   stores it encrypted like the password (key_pass holds the ciphertext)
 *   and hands the clear text to the source in SourceConfig only.
 *
 *   Keys of synchdb_conninfo.data: ssl_mode, ssl_ca, ssl_cert, ssl_key,
 *   ssl_key_pass (absent when not set).
 */
#pragma once

#include <string>
#include <string_view>

#include "core/json.hpp"

namespace synchdb {

enum class SslMode { Disabled, Preferred, Required, VerifyCa, VerifyIdentity };

/* Case-insensitive; SynchDB's and libpq's names ('-' and '_' alike).  Throws listing the valid modes. */
SslMode ParseSslMode(std::string_view text);
/* SynchDB's name: "disabled", "preferred", "required", "verify_ca", "verify_identity". */
const char *SslModeName(SslMode m);
/* libpq's sslmode: "disable", "prefer", "require", "verify-ca", "verify-full". */
const char *SslModeLibpqName(SslMode m);
/* True when the mode guarantees an encrypted channel (required and stronger). */
inline bool SslModeEncrypts(SslMode m) { return m >= SslMode::Required; }

struct TlsSettings {
	bool given = false;              /* synchdb_add_extra_conninfo was called: else defaults (preferred) */
	SslMode mode = SslMode::Preferred;
	std::string ca;                  /* PEM file, absolute path; "" = none */
	std::string cert;                /* client certificate PEM file; "" = none */
	std::string key;                 /* client private key PEM file; "" = none */
	std::string key_pass;            /* encrypted passphrase of key (bytea text); "" = none */

	bool operator==(const TlsSettings &) const = default;
};

/*
 * Validate synchdb_add_extra_conninfo's arguments ("" = not given) and
 * check the files (CheckTlsFiles).  has_key_pass: a passphrase was given.
 * key_pass of the result is "?" when has_key_pass, for the caller to
 * replace with the encrypted passphrase.
 */
TlsSettings MakeTlsSettings(std::string_view mode, std::string_view ca, std::string_view cert, std::string_view key,
                            bool has_key_pass);

/*
 * Each file of s: an absolute path to a regular file (symbolic links
 * followed) of at most 1 MB that this process can read, holding PEM of the
 * right kind; a private key must not be readable by group or others
 * (libpq's rule: 0600 when owned by this user, 0640 when owned by root),
 * and an encrypted one needs a passphrase.  Throws naming the file and the fix.
 */
void CheckTlsFiles(const TlsSettings &s);

/* The settings as keys of synchdb_conninfo.data (ssl_mode, ssl_ca, ...; only those set). */
void TlsSettingsToJson(const TlsSettings &s, json::Value &data);
/* Read them back; absent keys leave the defaults.  Throws kInvalidParameterValue on a bad mode. */
TlsSettings TlsSettingsFromJson(const json::Value &data);

/* For messages: "sslmode verify_ca, CA /etc/synchdb/ca.pem". */
std::string DescribeTls(const TlsSettings &s);

}  // namespace synchdb

#include "core/cpp_only.hpp"
