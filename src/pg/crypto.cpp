/*
 * crypto.cpp
 *     Key file management and pgcrypto calls.
 */
#include "pg/crypto.hpp"

#include "core/strings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/source.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "common/file_perm.h"
#include "port.h"
#include "storage/fd.h"
}

namespace synchdb::pg {

namespace {

constexpr int kKeyBytes = 32;
constexpr int kKeyHexLen = kKeyBytes * 2;

std::string KeyDir()
{
	return std::string(DataDir) + "/pg_synchdb";
}

std::string KeyPath()
{
	return KeyDir() + "/synchdb.key";
}

[[noreturn]] void KeyFileError(const std::string &what, int err)
{
	throw Error(sqlstate::kConfigFileError, what + " " + Quoted(KeyPath()) + ": " + strerror(err), {},
	            "The server's operating system user must own the data directory and be able to create files in it.");
}

/* Read the key; returns false if the file does not exist. */
bool ReadKey(std::string &key)
{
	int fd = open(KeyPath().c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return false;
		KeyFileError("could not open key file", errno);
	}
	char buf[kKeyHexLen + 2];
	ssize_t n = read(fd, buf, sizeof(buf));
	int err = errno;
	close(fd);
	if (n < 0)
		KeyFileError("could not read key file", err);
	if (n != kKeyHexLen || strspn(buf, "0123456789abcdef") < static_cast<size_t>(kKeyHexLen))
		throw Error(sqlstate::kDataCorrupted, "key file " + Quoted(KeyPath()) + " is damaged", {},
		            "Restore it from a backup of the data directory; without it the stored source passwords cannot "
		            "be decrypted and the connectors must be created again.");
	key.assign(buf, kKeyHexLen);
	return true;
}

/* Create the key atomically: write a temporary file, then link() it in place. */
void CreateKey()
{
	if (mkdir(KeyDir().c_str(), pg_dir_create_mode) != 0 && errno != EEXIST)
		KeyFileError("could not create directory for", errno);

	unsigned char raw[kKeyBytes];
	if (!pg_strong_random(raw, sizeof(raw)))
		throw Error(sqlstate::kInternalError, "could not generate a random key for synchdb");
	static const char hex[] = "0123456789abcdef";
	char text[kKeyHexLen];
	for (int i = 0; i < kKeyBytes; i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 0xF];
	}
	explicit_bzero(raw, sizeof(raw));

	std::string tmp = KeyPath() + ".tmp." + std::to_string(getpid());
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (fd < 0)
		KeyFileError("could not create key file", errno);
	bool ok = write(fd, text, kKeyHexLen) == kKeyHexLen && fsync(fd) == 0;
	int err = errno;
	close(fd);
	explicit_bzero(text, sizeof(text));
	if (!ok) {
		unlink(tmp.c_str());
		KeyFileError("could not write key file", err);
	}
	/* link() fails with EEXIST when another backend won the race: use its key. */
	int rc = link(tmp.c_str(), KeyPath().c_str());
	err = errno;
	unlink(tmp.c_str());
	if (rc != 0 && err != EEXIST)
		KeyFileError("could not install key file", err);
	int dirfd = open(KeyDir().c_str(), O_RDONLY | O_CLOEXEC);
	if (dirfd >= 0) {
		(void) fsync(dirfd);
		close(dirfd);
	}
}

std::string GetKey(bool create)
{
	std::string key;
	if (ReadKey(key))
		return key;
	if (!create)
		throw Error(sqlstate::kUndefinedFile, "synchdb key file " + Quoted(KeyPath()) + " is missing", {},
		            "Restore it from a backup of the data directory, or create the connectors again.");
	CreateKey();
	if (!ReadKey(key))
		KeyFileError("could not read key file", ENOENT);
	return key;
}

PGFunction PgcryptoFunction(const char *symbol)
{
	void *fn = PgCall([&] { return load_external_function("$libdir/pgcrypto", symbol, true, nullptr); });
	return reinterpret_cast<PGFunction>(fn);
}

}  // namespace


std::string EncryptPassword(const std::string &password)
{
	std::string key = GetKey(true);
	PGFunction encrypt = PgcryptoFunction("pgp_sym_encrypt_text");
	const char *pwd_c = password.c_str();
	const char *key_c = key.c_str();
	char *hex = PgCall([&] {
		Datum bytes = DirectFunctionCall2(encrypt, CStringGetTextDatum(pwd_c), CStringGetTextDatum(key_c));
		return DatumGetCString(DirectFunctionCall1(byteaout, bytes));
	});
	Scrub(key);
	std::string out(hex);
	pfree(hex);
	return out;
}

std::string DecryptPassword(const std::string &encrypted, const std::string &connector, const char *what)
{
	std::string key = GetKey(false);
	PGFunction decrypt = PgcryptoFunction("pgp_sym_decrypt_text");
	const char *enc_c = encrypted.c_str();
	const char *key_c = key.c_str();
	text *plain = nullptr;
	try {
		plain = PgCall([&] {
			Datum bytes = DirectFunctionCall1(byteain, CStringGetDatum(enc_c));
			return DatumGetTextPP(DirectFunctionCall2(decrypt, bytes, CStringGetTextDatum(key_c)));
		});
	} catch (const PgError &e) {
		Scrub(key);
		throw Error(sqlstate::kInvalidPassword,
		            std::string("cannot decrypt the stored ") + what + " of connector " + Quoted(connector),
		            std::string("pgcrypto said: ") + e.what() +
		                ". The definition was made on another cluster or its \"pwd\" value was changed.",
		            "Delete the connector with synchdb_del_conninfo() and create it again with synchdb_add_conninfo().");
	}
	Scrub(key);
	std::string out(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	explicit_bzero(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	return out;
}

void DecryptSecrets(SourceConfig &sc)
{
	sc.password = DecryptPassword(sc.conninfo.pwd, sc.conninfo.name);
	if (!sc.conninfo.tls.key_pass.empty())
		sc.tls_key_passphrase =
			DecryptPassword(sc.conninfo.tls.key_pass, sc.conninfo.name, "passphrase of the TLS client key");
}

}  // namespace synchdb::pg
