/*
 * protocol.hpp
 *     The OpenLogReplicator network writer protocol: frames, requests,
 *     handshake responses, and a blocking TCP client.
 *
 * NOTES
 *   See shared/reference/olr-network-protocol.md.  Every frame, in both
 *   directions, is a little-endian uint32 length and that many bytes; the
 *   length 0xFFFFFFFF announces an 8-byte little-endian length.  Requests
 *   (client -> OLR) and handshake replies are protobuf (olr.proto); data
 *   frames after REPLICATE are in the configured format (JSON here, see
 *   message.hpp).
 *
 *   The generated protobuf classes stay inside protocol.cpp: callers use
 *   the plain structs below.  Everything read from the wire is hostile:
 *   a frame longer than the configured maximum is an error naming the
 *   setting, a reply that does not parse is kDataCorrupted, a dropped or
 *   timed-out connection is kConnectionFailure (the engine reconnects).
 *
 *   The client is used by one thread (the reader); Wake() may be called
 *   from any thread to interrupt a wait (Stop, a pending CONFIRM).
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synchdb::olr {

enum class RequestCode : uint8_t { Info = 0, Start = 1, Continue = 2, Confirm = 3 };

enum class ResponseCode : uint8_t {
	Ready = 0,
	FailedStart = 1,
	Starting = 2,
	AlreadyStarted = 3,
	Replicate = 4,
	Payload = 5,
	InvalidDatabase = 6,
	InvalidCommand = 7,
};

const char *RequestCodeName(RequestCode c);
const char *ResponseCodeName(ResponseCode c);

/* OLR reads a request into a 1024-byte buffer. */
inline constexpr size_t kMaxRequestBytes = 1024;

struct Request {
	enum class StartAt : uint8_t { None, Scn, Time, RelativeSeconds };

	RequestCode code = RequestCode::Info;
	std::string database;
	StartAt start_at = StartAt::None;
	uint64_t scn = 0;    /* StartAt::Scn; 0 = "now" */
	std::string tms;     /* StartAt::Time: "YYYY-MM-DD HH24:MI:SS" */
	int64_t tm_rel = 0;  /* StartAt::RelativeSeconds */
	std::optional<uint64_t> seq;
	std::optional<uint64_t> c_scn;
	std::optional<uint64_t> c_idx;
	std::vector<std::pair<std::string, std::string>> schema; /* (mask, filter); ignored by the network writer */

	static Request Info(std::string db);
	static Request StartFromScn(std::string db, uint64_t scn);
	static Request StartNow(std::string db) { return StartFromScn(std::move(db), 0); }
	/* c_scn 0 = "the last confirmed position" (server side). */
	static Request Continue(std::string db, uint64_t c_scn, uint64_t c_idx);
	static Request Confirm(std::string db, uint64_t c_scn, uint64_t c_idx);
};

/* A handshake reply (or a protobuf-format data frame; the payload is not decoded here). */
struct Response {
	ResponseCode code = ResponseCode::Ready;
	std::optional<uint64_t> scn;
	std::string scns;
	std::optional<uint64_t> tm;
	std::string tms;
	std::string xid;
	std::optional<uint64_t> xidn;
	std::string db;
	uint64_t c_scn = 0;
	uint64_t c_idx = 0;
	size_t payload_count = 0;
};

/* Protobuf bodies, without the length prefix.  Decoders throw kDataCorrupted. */
std::string EncodeRequest(const Request &r);
Request DecodeRequest(std::string_view body);
std::string EncodeResponse(const Response &r);
Response DecodeResponse(std::string_view body);

/* Append one frame (length prefix + body) to out. */
void AppendFrame(std::string &out, std::string_view body);

/*
 * Incremental frame splitter: Feed() bytes as they arrive, then Next()
 * until it returns false.  A frame longer than max_frame throws
 * kProgramLimitExceeded naming setting_name; the views Next() returns stay
 * valid until the next Feed() or Compact().
 */
class FrameSplitter {
public:
	FrameSplitter(uint64_t max_frame, std::string setting_name);

	/* Room for at least n more bytes; returns where to write them; then Commit(n_written). */
	char *Reserve(size_t n);
	void Commit(size_t n) { end_ += n; }
	void Feed(std::string_view bytes);

	bool Next(std::string_view &frame);
	/* Bytes received but not yet returned as frames. */
	size_t Pending() const { return end_ - begin_; }
	/* Drop consumed bytes (invalidates views). */
	void Compact();
	uint64_t max_frame() const { return max_frame_; }

private:
	std::string buf_;
	size_t begin_ = 0; /* first unconsumed byte */
	size_t end_ = 0;   /* end of received bytes */
	uint64_t max_frame_;
	std::string setting_;
};

struct ClientOptions {
	std::string host = "127.0.0.1";
	uint16_t port = 0;
	int connect_timeout_ms = 10000;
	/* A handshake reply must come within this time. */
	int reply_timeout_ms = 30000;
	/* Longest accepted frame and the setting that configures it (for the error message). */
	uint64_t max_frame_bytes = 256ull << 20;
	std::string max_frame_setting = "olr_max_frame_mb";
	/* Read size of one recv(). */
	size_t read_chunk = 256 * 1024;
};

class Client {
public:
	explicit Client(ClientOptions opt, const std::atomic<bool> *stop = nullptr);
	~Client();
	Client(const Client &) = delete;
	Client &operator=(const Client &) = delete;

	/* Connect with the connect timeout; throws kUnableToConnect. */
	void Connect();
	bool Connected() const { return fd_ >= 0; }
	void Close();

	/* Send one request; throws kConnectionFailure, kProgramLimitExceeded (too long). */
	void Send(const Request &r);
	/* Wait for one frame and decode it as a Response; throws kConnectionFailure on timeout or EOF. */
	Response ReadResponse();

	enum class ReadResult { Frame, Timeout, Stopped, Woken };
	/*
	 * Wait up to timeout_ms for a frame (poll slices of at most 1 s; the
	 * stop flag and Wake() end the wait early).  On Frame, frame views the
	 * client's buffer until the next call.  EOF and socket errors throw
	 * kConnectionFailure; malformed framing throws.
	 */
	ReadResult ReadFrame(std::string_view &frame, int timeout_ms);

	/* Interrupt a ReadFrame() wait from any thread. */
	void Wake();

	/*
	 * START (scn; 0 = now) and, when the server is already replicating or
	 * starting, CONTINUE (c_scn, c_idx).  Returns the REPLICATE reply;
	 * throws kInvalidParameterValue for a wrong database name, and
	 * kObjectNotInPrerequisiteState when OLR fails to start.
	 */
	Response StartOrContinue(const std::string &db, uint64_t start_scn, uint64_t c_scn, uint64_t c_idx,
	                         bool *continued = nullptr);
	/* CONTINUE only (the server keeps its own start). */
	Response Continue(const std::string &db, uint64_t c_scn, uint64_t c_idx);

	const ClientOptions &options() const { return opt_; }

private:
	void WriteAll(const std::string &bytes);
	void DrainWake();
	bool Stopping() const { return stop_ && stop_->load(std::memory_order_relaxed); }
	[[noreturn]] void Lost(const std::string &what, int err = 0);

	ClientOptions opt_;
	const std::atomic<bool> *stop_;
	int fd_ = -1;
	int wake_rd_ = -1, wake_wr_ = -1;
	FrameSplitter split_;
};

}  // namespace synchdb::olr

#include "core/cpp_only.hpp"
