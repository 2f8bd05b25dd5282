/*
 * crypto.cpp
 *     Key file management and pgcrypto calls.
 */
#include "pg/crypto.hpp"
#include "core/conninfo.hpp"

#include "core/strings.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/source.hpp"
#include "pg/guard.hpp"
#include "pg/spi.hpp"
#include "pg/usercontext.hpp"

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

/* Read a key file (the current key by default); returns false if the file does not exist. */
bool ReadKey(std::string &key, const std::string &path = KeyPath())
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return false;
		KeyFileError("could not open key file", errno);
	}
	char buf[kKeyHexLen + 3];
	ssize_t n = read(fd, buf, kKeyHexLen + 2);
	if (n >= 0)
		buf[n] = '\0';
	int err = errno;
	close(fd);
	if (n < 0)
		KeyFileError("could not read key file", err);
	if (n != kKeyHexLen || strspn(buf, "0123456789abcdef") < static_cast<size_t>(kKeyHexLen))
		throw Error(sqlstate::kDataCorrupted, "key file " + Quoted(path) + " is damaged", {},
		            "Restore it from a backup of the data directory; without it the stored source passwords cannot "
		            "be decrypted and the connectors must be created again.");
	key.assign(buf, kKeyHexLen);
	return true;
}

/* 32 random bytes as 64 hex characters. */
std::string NewKeyText()
{
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
	std::string out(text, kKeyHexLen);
	explicit_bzero(text, sizeof(text));
	return out;
}

void SyncKeyDir()
{
	int dirfd = open(KeyDir().c_str(), O_RDONLY | O_CLOEXEC);
	if (dirfd >= 0) {
		(void) fsync(dirfd);
		close(dirfd);
	}
}

/* A durable temporary file holding key; returns its name. */
std::string WriteTempKey(std::string key)
{
	std::string tmp = KeyPath() + ".tmp." + std::to_string(getpid());
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (fd < 0) {
		Scrub(key);
		KeyFileError("could not create key file", errno);
	}
	bool ok = write(fd, key.data(), kKeyHexLen) == kKeyHexLen && fsync(fd) == 0;
	int err = errno;
	close(fd);
	Scrub(key);
	if (!ok) {
		unlink(tmp.c_str());
		KeyFileError("could not write key file", err);
	}
	return tmp;
}

/* Create the key atomically: write a temporary file, then link() it in place. */
void CreateKey()
{
	if (mkdir(KeyDir().c_str(), pg_dir_create_mode) != 0 && errno != EEXIST)
		KeyFileError("could not create directory for", errno);
	const std::string tmp = WriteTempKey(NewKeyText());
	/* link() fails with EEXIST when another backend won the race: use its key. */
	int rc = link(tmp.c_str(), KeyPath().c_str());
	int err = errno;
	unlink(tmp.c_str());
	if (rc != 0 && err != EEXIST)
		KeyFileError("could not install key file", err);
	SyncKeyDir();
}

/* Keys retired by synchdb_rotate_key: pg_synchdb/synchdb.key.retired.<n>, newest first. */
std::vector<std::string> RetiredKeyPaths()
{
	std::vector<std::pair<long long, std::string>> found;
	if (DIR *d = opendir(KeyDir().c_str())) {
		const std::string prefix = "synchdb.key.retired.";
		while (struct dirent *e = readdir(d)) {
			const std::string n = e->d_name;
			if (n.compare(0, prefix.size(), prefix) == 0)
				found.emplace_back(atoll(n.c_str() + prefix.size()), KeyDir() + "/" + n);
		}
		closedir(d);
	}
	std::sort(found.rbegin(), found.rend());
	std::vector<std::string> out;
	for (auto &f : found)
		out.push_back(f.second);
	return out;
}

/* Whether synchdb ever kept a key here: a key file of any kind in pg_synchdb. */
bool KeyWasKept()
{
	bool any = false;
	if (DIR *d = opendir(KeyDir().c_str())) {
		while (struct dirent *e = readdir(d))
			if (strncmp(e->d_name, "synchdb.key", 11) == 0 && strstr(e->d_name, ".tmp.") == nullptr)
				any = true;
		closedir(d);
	}
	return any;
}

/* Secrets stored in this database's definitions (to refuse replacing a lost key under them). */
std::vector<std::string> ConnectorsWithSecrets()
{
	std::vector<std::string> out;
	AsSuperuser su; /* also for a connector's owner adding a connector */
	Spi spi;
	spi.Exec("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {ExtensionSchema() + ".synchdb_conninfo"}, true);
	if (spi.Value(0, 0).value_or("f") != "t")
		return out;
	const uint64_t n = spi.Exec("SELECT name FROM " + ExtensionSchema() +
	                                ".synchdb_conninfo WHERE coalesce(data OPERATOR(pg_catalog.->>) 'pwd', '') "
	                                "OPERATOR(pg_catalog.<>) '' OR coalesce(data OPERATOR(pg_catalog.->>) "
	                                "'ssl_key_pass', '') OPERATOR(pg_catalog.<>) '' ORDER BY name",
	                            {}, true);
	for (uint64_t i = 0; i < n; i++)
		out.push_back(spi.Value(i, 0).value_or(""));
	return out;
}

[[noreturn]] void MissingKey(const std::string &why)
{
	throw Error(sqlstate::kUndefinedFile, "synchdb key file " + Quoted(KeyPath()) + " is missing", why,
	            "Restore it from a backup of the data directory. If it is lost for good, so are the stored "
	            "passwords: delete the connectors with synchdb_del_conninfo() (in each database that has them), "
	            "remove the directory " + Quoted(KeyDir()) + ", and create them again; synchdb then makes a new key.");
}

std::string GetKey(bool create)
{
	std::string key;
	if (ReadKey(key))
		return key;
	if (!create)
		MissingKey("The stored passwords were encrypted with it.");
	/* Only the first secret makes a key: a new key would silently orphan what the lost one encrypted. */
	if (KeyWasKept())
		MissingKey("synchdb kept a key in " + KeyDir() + " before; secrets of this cluster were encrypted with it.");
	if (const std::vector<std::string> with = ConnectorsWithSecrets(); !with.empty())
		MissingKey("Connector " + Quoted(with.front()) + (with.size() > 1 ? " and others" : std::string()) +
		           " of this database hold secrets encrypted with it.");
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
	/* The current key, then the keys synchdb_rotate_key retired (other databases' secrets may still use them). */
	std::vector<std::string> paths = RetiredKeyPaths();
	paths.insert(paths.begin(), KeyPath());
	PGFunction decrypt = PgcryptoFunction("pgp_sym_decrypt_text");
	const char *enc_c = encrypted.c_str();
	text *plain = nullptr;
	bool any_key = false;
	std::string said;
	for (const std::string &path : paths) {
		std::string key;
		if (!ReadKey(key, path))
			continue;
		any_key = true;
		const char *key_c = key.c_str();
		try {
			plain = PgCall([&] {
				Datum bytes = DirectFunctionCall1(byteain, CStringGetDatum(enc_c));
				return DatumGetTextPP(DirectFunctionCall2(decrypt, bytes, CStringGetTextDatum(key_c)));
			});
		} catch (const PgError &e) {
			said = e.what();
		}
		Scrub(key);
		if (plain)
			break;
	}
	if (!any_key)
		MissingKey("The stored " + std::string(what) + " of connector " + Quoted(connector) + " was encrypted with it.");
	if (!plain)
		throw Error(sqlstate::kInvalidPassword,
		            std::string("cannot decrypt the stored ") + what + " of connector " + Quoted(connector),
		            "pgcrypto said: " + said +
		                ". The definition was made on another cluster, its \"pwd\" value was changed, or the key it "
		                "was encrypted with was removed.",
		            "Delete the connector with synchdb_del_conninfo() and create it again with synchdb_add_conninfo().");
	std::string out(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	explicit_bzero(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	return out;
}

namespace {

/* An exclusive lock on the key directory (flock), released when it goes out of scope. */
struct KeyDirLock {
	int fd = -1;
	KeyDirLock()
	{
		if (mkdir(KeyDir().c_str(), pg_dir_create_mode) != 0 && errno != EEXIST)
			KeyFileError("could not create directory for", errno);
		fd = open((KeyDir() + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			KeyFileError("could not lock the directory of", errno);
	}
	~KeyDirLock()
	{
		if (fd >= 0)
			close(fd); /* releases the lock */
	}
	KeyDirLock(const KeyDirLock &) = delete;
	KeyDirLock &operator=(const KeyDirLock &) = delete;
};

/* Retire the current key (kept for other databases' secrets) and install a new one; returns the new key. */
std::string ReplaceKey()
{
	KeyDirLock lock;
	std::string old;
	if (!ReadKey(old)) {
		if (KeyWasKept() || !ConnectorsWithSecrets().empty())
			MissingKey("synchdb_rotate_key() re-encrypts the stored secrets, which needs the key they were encrypted "
			           "with.");
		CreateKey();
		std::string key;
		if (!ReadKey(key))
			KeyFileError("could not read key file", ENOENT);
		return key;
	}
	/* The retired copy first: from the moment the new key is in place, the old one must be findable. */
	const long long stamp = static_cast<long long>(
		std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
			.count());
	const std::string retired = KeyDir() + "/synchdb.key.retired." + std::to_string(stamp);
	std::string tmp = WriteTempKey(old);
	int rc = link(tmp.c_str(), retired.c_str());
	int err = errno;
	unlink(tmp.c_str());
	if (rc != 0)
		KeyFileError("could not keep the retired key beside", err);
	std::string key = NewKeyText();
	tmp = WriteTempKey(key);
	if (rename(tmp.c_str(), KeyPath().c_str()) != 0) {
		err = errno;
		unlink(tmp.c_str());
		Scrub(key);
		KeyFileError("could not install the new key file", err);
	}
	SyncKeyDir();
	return key;
}

}  // namespace

int RotateKey()
{
	std::string key = ReplaceKey();
	Scrub(key);
	/* Every secret of this database under the new key, in the caller's transaction. */
	struct Row {
		std::string name, pwd, pass;
	};
	std::vector<Row> rows;
	{
		Spi spi;
		const uint64_t n = spi.Exec("SELECT name, coalesce(data OPERATOR(pg_catalog.->>) 'pwd', ''), "
		                            "coalesce(data OPERATOR(pg_catalog.->>) 'ssl_key_pass', '') FROM " +
		                                ExtensionSchema() + ".synchdb_conninfo ORDER BY name FOR UPDATE");
		for (uint64_t i = 0; i < n; i++)
			rows.push_back({spi.Value(i, 0).value_or(""), spi.Value(i, 1).value_or(""), spi.Value(i, 2).value_or("")});
	}
	int count = 0;
	for (Row &r : rows) {
		/*
		 * The stored position names the definition that wrote it by a hash of
		 * the encrypted password (Incarnation, core/conninfo.hpp), which the
		 * new ciphertext changes: pin it first, or every connector would
		 * count as new and take a new snapshot.
		 */
		if (!r.pwd.empty()) {
			Spi spi;
			spi.Exec("UPDATE " + ExtensionSchema() +
			             ".synchdb_conninfo SET data = pg_catalog.jsonb_set(data, '{incarnation}', "
			             "pg_catalog.to_jsonb($2::pg_catalog.text)) WHERE name OPERATOR(pg_catalog.=) $1 "
			             "AND NOT data OPERATOR(pg_catalog.?) 'incarnation'",
			         {r.name, PasswordIncarnation(r.pwd)});
		}
		for (auto [field, what] : {std::pair<std::string *, const char *>{&r.pwd, "password"},
		                           {&r.pass, "passphrase of the TLS client key"}}) {
			if (field->empty())
				continue;
			std::string plain = DecryptPassword(*field, r.name, what);
			*field = EncryptPassword(plain);
			Scrub(plain);
			count++;
		}
		Spi spi;
		for (auto [key, value] : {std::pair<const char *, const std::string *>{"pwd", &r.pwd}, {"ssl_key_pass", &r.pass}})
			if (!value->empty())
				spi.Exec("UPDATE " + ExtensionSchema() + ".synchdb_conninfo SET data = pg_catalog.jsonb_set(data, $2::pg_catalog.text[], "
				                                         "pg_catalog.to_jsonb($3::pg_catalog.text)) WHERE name "
				                                         "OPERATOR(pg_catalog.=) $1",
				         {r.name, std::string("{") + key + "}", *value});
	}
	return count;
}

void DecryptSecrets(SourceConfig &sc)
{
	sc.password = DecryptPassword(sc.conninfo.pwd, sc.conninfo.name);
	if (!sc.conninfo.tls.key_pass.empty())
		sc.tls_key_passphrase =
			DecryptPassword(sc.conninfo.tls.key_pass, sc.conninfo.name, "passphrase of the TLS client key");
}

}  // namespace synchdb::pg
