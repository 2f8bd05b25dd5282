/* Unit tests of the TLS settings of synchdb_add_extra_conninfo (core/tls.hpp). */
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>

#include "error_of.hpp"
#include "core/conninfo.hpp"
#include "core/error.hpp"
#include "core/tls.hpp"

using namespace synchdb;

namespace {


std::string HintOf(const std::function<void()> &f)
{
	try {
		f();
	} catch (const Error &e) {
		return e.hint();
	}
	return "no error";
}

bool Has(const std::string &s, const std::string &what)
{
	return s.find(what) != std::string::npos;
}

constexpr const char *kCert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr const char *kKey = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
constexpr const char *kEncryptedKey = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----\n";

/* A scratch directory with PEM-looking files. */
class TlsFiles : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/synchdb-tls-unit-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		ca_ = Write("ca.pem", kCert, 0644);
		cert_ = Write("client-cert.pem", kCert, 0644);
		key_ = Write("client-key.pem", kKey, 0600);
	}
	void TearDown() override
	{
		std::string cmd = "rm -rf '" + dir_ + "'";
		ASSERT_EQ(system(cmd.c_str()), 0);
	}
	std::string Write(const std::string &name, const std::string &text, mode_t mode)
	{
		const std::string p = dir_ + "/" + name;
		std::ofstream(p) << text;
		chmod(p.c_str(), mode);
		return p;
	}
	std::string dir_, ca_, cert_, key_;
};

}  // namespace

TEST(Tls, ModesInSynchdbAndLibpqSpelling)
{
	EXPECT_EQ(ParseSslMode("disabled"), SslMode::Disabled);
	EXPECT_EQ(ParseSslMode("DISABLE"), SslMode::Disabled);
	EXPECT_EQ(ParseSslMode("preferred"), SslMode::Preferred);
	EXPECT_EQ(ParseSslMode("prefer"), SslMode::Preferred);
	EXPECT_EQ(ParseSslMode("Required"), SslMode::Required);
	EXPECT_EQ(ParseSslMode("require"), SslMode::Required);
	EXPECT_EQ(ParseSslMode("verify_ca"), SslMode::VerifyCa);
	EXPECT_EQ(ParseSslMode("verify-ca"), SslMode::VerifyCa);
	EXPECT_EQ(ParseSslMode(" verify_identity "), SslMode::VerifyIdentity);
	EXPECT_EQ(ParseSslMode("verify-full"), SslMode::VerifyIdentity);
	EXPECT_STREQ(SslModeName(SslMode::VerifyIdentity), "verify_identity");
	EXPECT_STREQ(SslModeLibpqName(SslMode::VerifyIdentity), "verify-full");
	EXPECT_STREQ(SslModeLibpqName(SslMode::Preferred), "prefer");
	EXPECT_FALSE(SslModeEncrypts(SslMode::Preferred));
	EXPECT_TRUE(SslModeEncrypts(SslMode::Required));
	/* SynchDB's regression test stores a misspelt mode; synchdb refuses it with the list. */
	EXPECT_EQ(ErrorOf([] { ParseSslMode("verufy_ca"); }), "22023: invalid sslmode \"verufy_ca\"");
	EXPECT_TRUE(Has(HintOf([] { ParseSslMode("allow"); }), "verify_identity"));
	EXPECT_EQ(ErrorOf([] { ParseSslMode(""); }), "22023: invalid sslmode \"\"");
}

TEST_F(TlsFiles, ValidSettings)
{
	TlsSettings s = MakeTlsSettings("verify_ca", ca_, "", "", false);
	EXPECT_TRUE(s.given);
	EXPECT_EQ(s.mode, SslMode::VerifyCa);
	EXPECT_EQ(s.ca, ca_);
	EXPECT_TRUE(s.key_pass.empty());
	s = MakeTlsSettings("required", "", cert_, key_, false);
	EXPECT_EQ(s.cert, cert_);
	EXPECT_EQ(s.key, key_);
	EXPECT_EQ(MakeTlsSettings("disable", "", "", "", false).mode, SslMode::Disabled);
	EXPECT_EQ(MakeTlsSettings("verify-full", " " + ca_ + " ", cert_, key_, false).ca, ca_);
	/* A passphrase makes key_pass non-empty for the caller to fill with the ciphertext. */
	EXPECT_FALSE(MakeTlsSettings("verify_identity", ca_, cert_, key_, true).key_pass.empty());
}

TEST_F(TlsFiles, CombinationsThatCannotWork)
{
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("verify_ca", "", "", "", false); }), "sslmode verify_ca needs ssl_ca"));
	EXPECT_TRUE(Has(HintOf([&] { MakeTlsSettings("verify_identity", "", "", "", false); }),
	                "/etc/ssl/certs/ca-certificates.crt"));
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("required", ca_, "", "", false); }),
	                "sslmode required does not check the server's certificate"));
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("disabled", "", cert_, key_, false); }),
	                "sslmode disabled takes no certificate"));
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("disabled", "", "", "", true); }), "sslmode disabled"));
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("required", "", cert_, "", false); }),
	                "ssl_cert is given without ssl_key"));
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("required", "", "", key_, false); }),
	                "ssl_key is given without ssl_cert"));
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("verify_ca", ca_, "", "", true); }),
	                "ssl_key_pass is given without ssl_key"));
}

TEST_F(TlsFiles, PathsAreCheckedAndNamed)
{
	EXPECT_EQ(ErrorOf([&] { MakeTlsSettings("verify_ca", "ca.pem", "", "", false); }),
	          "22023: ssl_ca \"ca.pem\" is not an absolute path");
	EXPECT_EQ(ErrorOf([&] { MakeTlsSettings("verify_ca", dir_ + "/missing.pem", "", "", false); }),
	          "58P01: ssl_ca \"" + dir_ + "/missing.pem\" does not exist");
	EXPECT_EQ(ErrorOf([&] { MakeTlsSettings("verify_ca", dir_, "", "", false); }),
	          "22023: ssl_ca \"" + dir_ + "\" is not a regular file");
	const std::string fifo = dir_ + "/fifo.pem";
	ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
	EXPECT_EQ(ErrorOf([&] { MakeTlsSettings("verify_ca", fifo, "", "", false); }),
	          "22023: ssl_ca \"" + fifo + "\" is not a regular file");
	const std::string huge = Write("huge.pem", std::string((1 << 20) + 1, 'x'), 0644);
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("verify_ca", huge, "", "", false); }), "is too large"));
	const std::string jks = Write("truststore.jks", std::string("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8), 0644);
	EXPECT_EQ(ErrorOf([&] { MakeTlsSettings("verify_ca", jks, "", "", false); }),
	          "22023: ssl_ca \"" + jks + "\" holds no PEM certificate");
	EXPECT_TRUE(Has(HintOf([&] { MakeTlsSettings("verify_ca", jks, "", "", false); }), "Java keystores"));
	/* A symbolic link to a good file is followed. */
	const std::string link = dir_ + "/link.pem";
	ASSERT_EQ(symlink(ca_.c_str(), link.c_str()), 0);
	EXPECT_EQ(MakeTlsSettings("verify_ca", link, "", "", false).ca, link);
	/* The certificate is not a key and the key is not a certificate. */
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("required", "", key_, key_, false); }), "holds no PEM certificate"));
	const std::string notkey = Write("notkey.pem", kCert, 0600);
	EXPECT_TRUE(Has(ErrorOf([&] { MakeTlsSettings("required", "", cert_, notkey, false); }), "holds no PEM private key"));
}

TEST_F(TlsFiles, PrivateKeysMustBePrivate)
{
	const std::string open_key = Write("open-key.pem", kKey, 0644);
	const std::string e = ErrorOf([&] { MakeTlsSettings("required", "", cert_, open_key, false); });
	EXPECT_TRUE(Has(e, "42501: ssl_key \"" + open_key + "\" is a private key that others can read")) << e;
	EXPECT_TRUE(Has(HintOf([&] { MakeTlsSettings("required", "", cert_, open_key, false); }), "chmod 600"));
	const std::string enc = Write("enc-key.pem", kEncryptedKey, 0600);
	EXPECT_EQ(ErrorOf([&] { MakeTlsSettings("required", "", cert_, enc, false); }),
	          "22023: ssl_key \"" + enc + "\" is encrypted and no passphrase was given");
	EXPECT_EQ(MakeTlsSettings("required", "", cert_, enc, true).key, enc);
}

TEST_F(TlsFiles, UnreadableFileNamesTheUser)
{
	const std::string closed = Write("closed.pem", kCert, 0000);
	if (geteuid() != 0) {
		const std::string e = ErrorOf([&] { MakeTlsSettings("verify_ca", closed, "", "", false); });
		EXPECT_TRUE(Has(e, "is not readable by the database server's operating system user")) << e;
		return;
	}
	/* root reads every file: check as "nobody" in a child process, as the server's user would be */
	ASSERT_EQ(chmod(dir_.c_str(), 0711), 0);
	const pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		std::string e;
		try {
			MakeTlsSettings("verify_ca", closed, "", "", false);
		} catch (const Error &err) {
			e = err.what();
		}
		_exit(e.find("is not readable by the database server's operating system user") != std::string::npos ? 0
		                                                                                                    : 1);
	}
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0) << "1: another error or none, 3: could not become nobody";
}

TEST_F(TlsFiles, StoredInTheDefinition)
{
	ConnInfo ci = MakeConnInfo("c", "db.example", 3306, "u", "inventory", "postgres", "", "mysql", "");
	ci.pwd = "\\x00";
	json::Value plain = ConnInfoToJson(ci);
	EXPECT_EQ(plain.Find("ssl_mode"), nullptr);
	EXPECT_FALSE(ConnInfoFromJson("c", plain).tls.given);
	EXPECT_EQ(ConnInfoFromJson("c", plain).tls.mode, SslMode::Preferred);

	ci.tls = MakeTlsSettings("verify-full", ca_, cert_, key_, true);
	ci.tls.key_pass = "\\xc30d";
	json::Value v = ConnInfoToJson(ci);
	ASSERT_NE(v.Find("ssl_mode"), nullptr);
	EXPECT_EQ(v.Find("ssl_mode")->AsString(), "verify_identity");
	EXPECT_EQ(v.Find("ssl_key_pass")->AsString(), "\\xc30d");
	ConnInfo back = ConnInfoFromJson("c", json::Parse(json::Write(v)));
	EXPECT_EQ(back.tls, ci.tls);

	v.Set("ssl_mode", json::Value::MakeString("sometimes"));
	EXPECT_TRUE(Has(ErrorOf([&] { ConnInfoFromJson("c", v); }), "is damaged: invalid sslmode \"sometimes\""));
	EXPECT_EQ(DescribeTls(back.tls), "sslmode verify_identity, CA " + ca_ + ", client certificate " + cert_);
}

TEST_F(TlsFiles, FilesCheckedAgainAtStart)
{
	TlsSettings s = MakeTlsSettings("verify_ca", ca_, "", "", false);
	ASSERT_EQ(unlink(ca_.c_str()), 0);
	EXPECT_TRUE(Has(ErrorOf([&] { CheckTlsFiles(s); }), "does not exist"));
	CheckTlsFiles(TlsSettings{}); /* the defaults name no file */
}
