/*
 * olr_protocol_test.cpp
 *     Framing, protobuf requests/replies, and the TCP client against the
 *     stand-in OLR server (olr_test_util.hpp) serving a fixture case.
 */
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/sources/olr/protocol.hpp"
#include "core/sources/olr/resume.hpp"
#include "olr_test_util.hpp"

using namespace synchdb;
using namespace synchdb::olr;

TEST(OlrProtocol, FramesSplitAcrossReads)
{
	std::string wire;
	AppendFrame(wire, "hello");
	AppendFrame(wire, "");
	AppendFrame(wire, std::string(70000, 'x'));
	EXPECT_EQ(wire.substr(0, 4), std::string("\x05\x00\x00\x00", 4));
	FrameSplitter s(1 << 20, "olr_max_frame_mb");
	std::vector<std::string> got;
	for (char c : wire) {
		s.Feed(std::string_view(&c, 1));
		std::string_view f;
		while (s.Next(f))
			got.emplace_back(f);
	}
	ASSERT_EQ(got.size(), 3u);
	EXPECT_EQ(got[0], "hello");
	EXPECT_EQ(got[1], "");
	EXPECT_EQ(got[2].size(), 70000u);
	/* 0xFFFFFFFF + 8-byte length. */
	FrameSplitter big(1 << 20, "olr_max_frame_mb");
	big.Feed(std::string("\xff\xff\xff\xff\x03\x00\x00\x00\x00\x00\x00\x00" "abc", 15));
	std::string_view f;
	ASSERT_TRUE(big.Next(f));
	EXPECT_EQ(f, "abc");
	/* Over the limit: an error naming the setting. */
	FrameSplitter lim(100, "olr_max_frame_mb");
	lim.Feed(std::string("\x65\x00\x00\x00", 4));
	try {
		lim.Next(f);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kProgramLimitExceeded);
		EXPECT_NE(std::string(e.hint()).find("olr_max_frame_mb"), std::string::npos);
	}
}

TEST(OlrProtocol, RequestsAndRepliesRoundTrip)
{
	Request r = Request::Continue("ORCLPDB", 3806533, 4);
	std::string body = EncodeRequest(r);
	EXPECT_LE(body.size(), kMaxRequestBytes);
	Request d = DecodeRequest(body);
	EXPECT_EQ(d.code, RequestCode::Continue);
	EXPECT_EQ(d.database, "ORCLPDB");
	EXPECT_EQ(*d.c_scn, 3806533u);
	EXPECT_EQ(*d.c_idx, 4u);
	EXPECT_EQ(d.start_at, Request::StartAt::None);
	/* Field numbers on the wire: code 1 (varint), database_name 2, scn 3. */
	std::string s = EncodeRequest(Request::StartFromScn("DB", 0));
	EXPECT_EQ(s, std::string("\x08\x01\x12\x02" "DB" "\x18\x00", 8));
	Request st = DecodeRequest(s);
	EXPECT_EQ(st.start_at, Request::StartAt::Scn); /* scn 0 ("now") is sent explicitly */
	Response resp;
	resp.code = ResponseCode::AlreadyStarted;
	resp.scn = 42;
	resp.c_scn = 40;
	resp.c_idx = 2;
	Response back = DecodeResponse(EncodeResponse(resp));
	EXPECT_EQ(back.code, ResponseCode::AlreadyStarted);
	EXPECT_EQ(*back.scn, 42u);
	EXPECT_EQ(back.c_idx, 2u);
	EXPECT_THROW(DecodeResponse("{\"scn\":1}"), Error);
	EXPECT_THROW(DecodeResponse(std::string("\x08\x63", 2)), Error); /* unknown code */
	Request toolong = Request::Info(std::string(2000, 'D'));
	EXPECT_GT(EncodeRequest(toolong).size(), kMaxRequestBytes);
}

namespace {

ClientOptions Opts(uint16_t port)
{
	ClientOptions o;
	o.port = port;
	o.connect_timeout_ms = 2000;
	o.reply_timeout_ms = 2000;
	return o;
}

/* Read data frames until a timeout; returns them. */
std::vector<std::string> ReadAll(Client &c, int idle_ms = 300)
{
	std::vector<std::string> out;
	std::string_view f;
	while (c.ReadFrame(f, idle_ms) == Client::ReadResult::Frame)
		out.emplace_back(f);
	return out;
}

}  // namespace

TEST(OlrClient, HandshakeStreamConfirmAndContinue)
{
	OLR_REQUIRE_FIXTURES();
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/interleaved-transactions/output.json");
	olrtest::OlrModel model(lines, 4);
	olrtest::StandInServer server(model, "ORCLPDB");

	Client c(Opts(server.port()));
	c.Connect();
	bool continued = true;
	Response r = c.StartOrContinue("ORCLPDB", 0, 0, 0, &continued);
	EXPECT_EQ(r.code, ResponseCode::Replicate);
	EXPECT_FALSE(continued);
	auto frames = ReadAll(c);
	ASSERT_EQ(frames, lines);
	/* Confirm the first transaction, reconnect: START is answered ALREADY_STARTED, then CONTINUE. */
	c.Send(Request::Confirm("ORCLPDB", 3806533, InternalIdx(3)));
	c.Close();
	Client c2(Opts(server.port()));
	c2.Connect();
	r = c2.StartOrContinue("ORCLPDB", 0, 1, 0, &continued);
	EXPECT_TRUE(continued);
	auto again = ReadAll(c2);
	/* Everything from the first kept buffer (4 messages per buffer): the first 4 lines were released? no: 3. */
	ASSERT_FALSE(again.empty());
	EXPECT_EQ(again.back(), lines.back());
	EXPECT_LE(again.size(), lines.size());
	auto reqs = server.Requests();
	ASSERT_GE(reqs.size(), 4u);
	EXPECT_EQ(reqs[0].code, RequestCode::Start);
	EXPECT_EQ(reqs[1].code, RequestCode::Confirm);
	EXPECT_EQ(*reqs[1].c_idx, 2u);
	EXPECT_EQ(reqs[2].code, RequestCode::Start);
	EXPECT_EQ(reqs[3].code, RequestCode::Continue);
}

TEST(OlrClient, WrongDatabaseIsAConfigurationError)
{
	OLR_REQUIRE_FIXTURES();
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/basic-crud/output.json");
	olrtest::OlrModel model(lines, 4);
	olrtest::StandInServer server(model, "ORCLPDB");
	Client c(Opts(server.port()));
	c.Connect();
	try {
		c.StartOrContinue("WRONG", 0, 0, 0);
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
		EXPECT_NE(std::string(e.what()).find("\"WRONG\""), std::string::npos);
	}
}

TEST(OlrClient, DroppedConnectionIsConnectionFailure)
{
	OLR_REQUIRE_FIXTURES();
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/basic-crud/output.json");
	for (bool truncate : {false, true}) {
		olrtest::OlrModel model(lines, 4);
		olrtest::StandInServer server(model, "ORCLPDB");
		olrtest::StandInServer::Faults f;
		f.drop_after_frames = 5;
		f.truncate_frame = truncate;
		server.SetFaults(f);
		Client c(Opts(server.port()));
		c.Connect();
		c.StartOrContinue("ORCLPDB", 0, 0, 0);
		std::string_view fr;
		int n = 0;
		try {
			while (c.ReadFrame(fr, 2000) == Client::ReadResult::Frame)
				n++;
			FAIL() << "no error";
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kConnectionFailure) << e.what();
			if (truncate) {
				EXPECT_NE(std::string(e.what()).find("middle of a frame"), std::string::npos);
			}
		}
		EXPECT_EQ(n, 5);
		EXPECT_FALSE(c.Connected());
	}
}

TEST(OlrClient, MalformedAndOversizedFrames)
{
	OLR_REQUIRE_FIXTURES();
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/basic-crud/output.json");
	{
		olrtest::OlrModel model(lines, 4);
		olrtest::StandInServer server(model, "ORCLPDB");
		olrtest::StandInServer::Faults f;
		f.garbage_at_frame = 2;
		server.SetFaults(f);
		Client c(Opts(server.port()));
		c.Connect();
		c.StartOrContinue("ORCLPDB", 0, 0, 0);
		MessageDecoder dec;
		std::string_view fr;
		int n = 0;
		try {
			while (c.ReadFrame(fr, 2000) == Client::ReadResult::Frame) {
				dec.Decode(fr);
				n++;
			}
			FAIL();
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
		}
		EXPECT_EQ(n, 2);
	}
	{
		olrtest::OlrModel model(lines, 4);
		olrtest::StandInServer server(model, "ORCLPDB");
		olrtest::StandInServer::Faults f;
		f.oversize_at_frame = 1;
		server.SetFaults(f);
		ClientOptions o = Opts(server.port());
		o.max_frame_bytes = 1 << 20;
		Client c(o);
		c.Connect();
		c.StartOrContinue("ORCLPDB", 0, 0, 0);
		std::string_view fr;
		try {
			while (c.ReadFrame(fr, 2000) == Client::ReadResult::Frame) {
			}
			FAIL();
		} catch (const Error &e) {
			EXPECT_EQ(e.sqlstate(), sqlstate::kProgramLimitExceeded);
		}
	}
}

TEST(OlrClient, StopFlagAndWakeEndAWait)
{
	OLR_REQUIRE_FIXTURES();
	auto lines = olrtest::Lines(olrtest::FixtureRoot() + "/basic-crud/output.json");
	olrtest::OlrModel model(lines, 4);
	olrtest::StandInServer server(model, "ORCLPDB");
	std::atomic<bool> stop{false};
	Client c(Opts(server.port()), &stop);
	c.Connect();
	c.StartOrContinue("ORCLPDB", 0, 0, 0);
	ReadAll(c, 200);
	std::thread waker([&] {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		c.Wake();
	});
	std::string_view fr;
	auto t0 = std::chrono::steady_clock::now();
	EXPECT_EQ(c.ReadFrame(fr, 60000), Client::ReadResult::Woken);
	waker.join();
	stop = true;
	EXPECT_EQ(c.ReadFrame(fr, 60000), Client::ReadResult::Stopped);
	EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(OlrClient, ConnectionRefusedIsUnableToConnect)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	sockaddr_in a{};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, reinterpret_cast<sockaddr *>(&a), sizeof a);
	socklen_t l = sizeof a;
	getsockname(s, reinterpret_cast<sockaddr *>(&a), &l);
	uint16_t port = ntohs(a.sin_port);
	close(s); /* nobody listens there now */
	Client c(Opts(port));
	try {
		c.Connect();
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.sqlstate(), sqlstate::kUnableToConnect);
	}
}
