/*
 * tls.cpp
 *     Validation of a connector's TLS settings (see tls.hpp).
 */
#include "core/tls.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace synchdb {

namespace {

constexpr off_t kMaxPemBytes = 1 << 20;

struct ModeName {
	const char *name;
	SslMode mode;
};
constexpr ModeName kModeNames[] = {
	{"disabled", SslMode::Disabled},         {"disable", SslMode::Disabled},
	{"preferred", SslMode::Preferred},       {"prefer", SslMode::Preferred},
	{"required", SslMode::Required},         {"require", SslMode::Required},
	{"verify_ca", SslMode::VerifyCa},        {"verify_identity", SslMode::VerifyIdentity},
	{"verify_full", SslMode::VerifyIdentity},
};

const char *kModeList = "disabled, preferred, required, verify_ca or verify_identity (libpq's disable, prefer, "
                        "require, verify-ca and verify-full are accepted too)";

/* The operating system user of this process, for messages. */
std::string OsUser()
{
	const uid_t uid = geteuid();
	char buf[1024];
	struct passwd pw, *found = nullptr;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found && found->pw_name)
		return found->pw_name;
	return "uid " + std::to_string(uid);
}

enum class PemKind { Certificate, PrivateKey };

/* The path as given, trimmed; must be absolute.  example: a file name for the hint. */
std::string PathArg(std::string_view path, const char *arg, const char *example)
{
	std::string p(Trim(path));
	if (p.empty())
		return p;
	if (p[0] != '/')
		throw Error(sqlstate::kInvalidParameterValue, std::string(arg) + " " + Quoted(p) + " is not an absolute path",
		            "The file is read by the connector's worker, whose working directory is the data directory.",
		            std::string("Give the full path of the PEM file, for example '/etc/synchdb/") + example + "'.");
	if (p.size() > 4096)
		throw Error(sqlstate::kInvalidParameterValue, std::string(arg) + " is longer than 4096 bytes");
	if (p.find('\0') != std::string::npos)
		throw Error(sqlstate::kInvalidParameterValue, std::string(arg) + " contains a NUL byte");
	return p;
}

void CheckFile(const std::string &path, const char *arg, PemKind kind, bool has_pass)
{
	const std::string who = std::string(arg) + " " + Quoted(path);
	const std::string user = OsUser();
	struct stat st;
	if (stat(path.c_str(), &st) != 0) {
		const int err = errno;
		if (err == ENOENT || err == ENOTDIR)
			throw Error(sqlstate::kUndefinedFile, who + " does not exist", {},
			            "Copy the PEM file to the database server and give its absolute path.");
		if (err == EACCES)
			throw Error(sqlstate::kInsufficientPrivilege,
			            who + " cannot be reached by the database server's operating system user " + Quoted(user),
			            "A directory on the path denies search permission.",
			            "Let " + user + " traverse every directory on the path (chmod o+x, or put the file in a "
			                            "directory it owns).");
		throw Error(sqlstate::kUndefinedFile, who + " cannot be examined: " + std::strerror(err));
	}
	if (!S_ISREG(st.st_mode))
		throw Error(sqlstate::kInvalidParameterValue, who + " is not a regular file",
		            S_ISDIR(st.st_mode) ? "It is a directory." : "It is a device, FIFO or socket.",
		            "Give the path of a PEM file.");
	if (st.st_size > kMaxPemBytes)
		throw Error(sqlstate::kInvalidParameterValue,
		            who + " is too large for a PEM file (" + std::to_string(static_cast<long long>(st.st_size)) +
		                " bytes, at most " + std::to_string(static_cast<long long>(kMaxPemBytes)) + ")",
		            {}, "Give the path of a PEM file.");
	if (kind == PemKind::PrivateKey) {
		const bool own = st.st_uid == geteuid();
		const bool loose = own ? (st.st_mode & 077) != 0 : st.st_uid == 0 ? (st.st_mode & 037) != 0 : true;
		if (loose)
			throw Error(sqlstate::kInsufficientPrivilege,
			            who + " is a private key that others can read, or that " + Quoted(user) + " does not own",
			            "The database server's clients (libpq) refuse such a key; synchdb does for every source.",
			            "Run: chown " + user + " '" + path + "' && chmod 600 '" + path +
			                "' (or chown root and chmod 640 with the group of " + user + ").");
	}
	const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		const int err = errno;
		if (err == EACCES)
			throw Error(sqlstate::kInsufficientPrivilege,
			            who + " is not readable by the database server's operating system user " + Quoted(user), {},
			            kind == PemKind::PrivateKey
			                ? "Run: chown " + user + " '" + path + "' && chmod 600 '" + path + "'."
			                : "Run: chmod o+r '" + path + "' (a certificate is not secret), or chown it to " + user +
			                      ".");
		throw Error(sqlstate::kUndefinedFile, who + " cannot be opened: " + std::strerror(err));
	}
	std::string text(static_cast<size_t>(st.st_size), '\0');
	size_t got = 0;
	while (got < text.size()) {
		const ssize_t n = read(fd, text.data() + got, text.size() - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += static_cast<size_t>(n);
	}
	close(fd);
	text.resize(got);
	if (kind == PemKind::Certificate) {
		if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
			throw Error(sqlstate::kInvalidParameterValue, who + " holds no PEM certificate",
			            "No \"-----BEGIN CERTIFICATE-----\" line.",
			            "synchdb reads PEM files, not Java keystores: convert a keystore with keytool -exportcert "
			            "-rfc, or a PKCS#12 file with openssl pkcs12 -nokeys.");
	} else {
		const size_t begin = text.find("-----BEGIN ");
		if (begin == std::string::npos || text.find("PRIVATE KEY-----", begin) == std::string::npos)
			throw Error(sqlstate::kInvalidParameterValue, who + " holds no PEM private key",
			            "No \"-----BEGIN ... PRIVATE KEY-----\" line.",
			            "synchdb reads PEM files, not Java keystores: convert a PKCS#12 file with openssl pkcs12 "
			            "-nocerts.");
		const bool encrypted = text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string::npos ||
		                       text.find("Proc-Type: 4,ENCRYPTED") != std::string::npos;
		if (encrypted && !has_pass)
			throw Error(sqlstate::kInvalidParameterValue, who + " is encrypted and no passphrase was given", {},
			            "Give its passphrase as ssl_key_pass, or store the key unencrypted (openssl pkey) with mode "
			            "0600.");
	}
	Scrub(text);
}

}  // namespace

SslMode ParseSslMode(std::string_view text)
{
	std::string t = Lower(Trim(text));
	for (char &c : t)
		if (c == '-')
			c = '_';
	for (const ModeName &m : kModeNames)
		if (t == m.name)
			return m.mode;
	throw Error(sqlstate::kInvalidParameterValue, "invalid sslmode " + Quoted(std::string(text)), {},
	            std::string("Use ") + kModeList + ".");
}

const char *SslModeName(SslMode m)
{
	switch (m) {
	case SslMode::Disabled: return "disabled";
	case SslMode::Preferred: return "preferred";
	case SslMode::Required: return "required";
	case SslMode::VerifyCa: return "verify_ca";
	case SslMode::VerifyIdentity: return "verify_identity";
	}
	return "preferred";
}

const char *SslModeLibpqName(SslMode m)
{
	switch (m) {
	case SslMode::Disabled: return "disable";
	case SslMode::Preferred: return "prefer";
	case SslMode::Required: return "require";
	case SslMode::VerifyCa: return "verify-ca";
	case SslMode::VerifyIdentity: return "verify-full";
	}
	return "prefer";
}

TlsSettings MakeTlsSettings(std::string_view mode, std::string_view ca, std::string_view cert, std::string_view key,
                            bool has_key_pass)
{
	TlsSettings s;
	s.given = true;
	s.mode = ParseSslMode(mode);
	s.ca = PathArg(ca, "ssl_ca", "ca.pem");
	s.cert = PathArg(cert, "ssl_cert", "client-cert.pem");
	s.key = PathArg(key, "ssl_key", "client-key.pem");
	const std::string m = SslModeName(s.mode);
	if (s.mode == SslMode::Disabled && (!s.ca.empty() || !s.cert.empty() || !s.key.empty() || has_key_pass))
		throw Error(sqlstate::kInvalidParameterValue, "sslmode disabled takes no certificate, key or passphrase",
		            "The connection is not encrypted, so the files would never be read.",
		            "Leave ssl_ca, ssl_cert, ssl_key and ssl_key_pass NULL, or choose another sslmode.");
	if (s.mode >= SslMode::VerifyCa && s.ca.empty())
		throw Error(sqlstate::kInvalidParameterValue, "sslmode " + m + " needs ssl_ca",
		            "The server's certificate is checked against the CA certificates of that file.",
		            "Give the PEM file of the CA that signed the server's certificate; for a certificate from a public "
		            "CA, /etc/ssl/certs/ca-certificates.crt.");
	if (s.mode < SslMode::VerifyCa && !s.ca.empty())
		throw Error(sqlstate::kInvalidParameterValue, "sslmode " + m + " does not check the server's certificate",
		            "ssl_ca is used only by verify_ca and verify_identity.",
		            "Use sslmode verify_ca (or verify_identity to check the host name too), or leave ssl_ca NULL.");
	if (s.cert.empty() != s.key.empty())
		throw Error(sqlstate::kInvalidParameterValue,
		            s.cert.empty() ? "ssl_key is given without ssl_cert" : "ssl_cert is given without ssl_key",
		            "A client certificate is presented with its private key.",
		            "Give both ssl_cert and ssl_key, or neither.");
	if (has_key_pass && s.key.empty())
		throw Error(sqlstate::kInvalidParameterValue, "ssl_key_pass is given without ssl_key", {},
		            "The passphrase decrypts the client's private key: give ssl_key too, or leave ssl_key_pass NULL.");
	if (has_key_pass)
		s.key_pass = "?"; /* the caller stores the encrypted passphrase here */
	CheckTlsFiles(s);
	return s;
}

void CheckTlsFiles(const TlsSettings &s)
{
	if (!s.ca.empty())
		CheckFile(s.ca, "ssl_ca", PemKind::Certificate, false);
	if (!s.cert.empty())
		CheckFile(s.cert, "ssl_cert", PemKind::Certificate, false);
	if (!s.key.empty())
		CheckFile(s.key, "ssl_key", PemKind::PrivateKey, !s.key_pass.empty());
}

void TlsSettingsToJson(const TlsSettings &s, json::Value &data)
{
	if (!s.given)
		return;
	data.Set("ssl_mode", json::Value::MakeString(SslModeName(s.mode)));
	if (!s.ca.empty())
		data.Set("ssl_ca", json::Value::MakeString(s.ca));
	if (!s.cert.empty())
		data.Set("ssl_cert", json::Value::MakeString(s.cert));
	if (!s.key.empty())
		data.Set("ssl_key", json::Value::MakeString(s.key));
	if (!s.key_pass.empty())
		data.Set("ssl_key_pass", json::Value::MakeString(s.key_pass));
}

TlsSettings TlsSettingsFromJson(const json::Value &data)
{
	TlsSettings s;
	if (!data.IsObject())
		return s;
	auto str = [&](const char *key) -> std::string {
		const json::Value *v = data.Find(key);
		return v && v->IsString() ? v->AsString() : std::string();
	};
	const std::string mode = str("ssl_mode");
	if (mode.empty())
		return s;
	s.given = true;
	s.mode = ParseSslMode(mode);
	s.ca = str("ssl_ca");
	s.cert = str("ssl_cert");
	s.key = str("ssl_key");
	s.key_pass = str("ssl_key_pass");
	return s;
}

std::string DescribeTls(const TlsSettings &s)
{
	std::string out = std::string("sslmode ") + SslModeName(s.mode);
	if (!s.ca.empty())
		out += ", CA " + s.ca;
	if (!s.cert.empty())
		out += ", client certificate " + s.cert;
	return out;
}

}  // namespace synchdb
