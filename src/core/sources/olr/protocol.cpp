/*
 * protocol.cpp
 *     OpenLogReplicator framing, protobuf requests/replies, TCP client.
 */
#include "core/sources/olr/protocol.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/error.hpp"
#include "olr.pb.h"

namespace synchdb::olr {

namespace {

int64_t NowMs()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string Endpoint(const ClientOptions &o)
{
	return o.host + ":" + std::to_string(o.port);
}

[[noreturn]] void Corrupt(const std::string &msg, const std::string &detail = {})
{
	throw Error(sqlstate::kDataCorrupted, msg, detail);
}

}  // namespace

const char *RequestCodeName(RequestCode c)
{
	switch (c) {
	case RequestCode::Info: return "INFO";
	case RequestCode::Start: return "START";
	case RequestCode::Continue: return "CONTINUE";
	case RequestCode::Confirm: return "CONFIRM";
	}
	return "?";
}

const char *ResponseCodeName(ResponseCode c)
{
	switch (c) {
	case ResponseCode::Ready: return "READY";
	case ResponseCode::FailedStart: return "FAILED_START";
	case ResponseCode::Starting: return "STARTING";
	case ResponseCode::AlreadyStarted: return "ALREADY_STARTED";
	case ResponseCode::Replicate: return "REPLICATE";
	case ResponseCode::Payload: return "PAYLOAD";
	case ResponseCode::InvalidDatabase: return "INVALID_DATABASE";
	case ResponseCode::InvalidCommand: return "INVALID_COMMAND";
	}
	return "?";
}

/* ---------------------------------------------------------------- requests */

Request Request::Info(std::string db)
{
	Request r;
	r.code = RequestCode::Info;
	r.database = std::move(db);
	return r;
}

Request Request::StartFromScn(std::string db, uint64_t scn)
{
	Request r;
	r.code = RequestCode::Start;
	r.database = std::move(db);
	r.start_at = StartAt::Scn;
	r.scn = scn;
	return r;
}

Request Request::Continue(std::string db, uint64_t c_scn, uint64_t c_idx)
{
	Request r;
	r.code = RequestCode::Continue;
	r.database = std::move(db);
	r.c_scn = c_scn;
	r.c_idx = c_idx;
	return r;
}

Request Request::Confirm(std::string db, uint64_t c_scn, uint64_t c_idx)
{
	Request r;
	r.code = RequestCode::Confirm;
	r.database = std::move(db);
	r.c_scn = c_scn;
	r.c_idx = c_idx;
	return r;
}

std::string EncodeRequest(const Request &r)
{
	olrpb::Request pb;
	pb.set_code(static_cast<olrpb::RequestCode>(r.code));
	pb.set_database_name(r.database);
	switch (r.start_at) {
	case Request::StartAt::None: break;
	case Request::StartAt::Scn: pb.set_scn(r.scn); break;
	case Request::StartAt::Time: pb.set_tms(r.tms); break;
	case Request::StartAt::RelativeSeconds: pb.set_tm_rel(r.tm_rel); break;
	}
	if (r.seq)
		pb.set_seq(*r.seq);
	if (r.c_scn)
		pb.set_c_scn(*r.c_scn);
	if (r.c_idx)
		pb.set_c_idx(*r.c_idx);
	for (const auto &[mask, filter] : r.schema) {
		auto *s = pb.add_schema();
		s->set_mask(mask);
		s->set_filter(filter);
	}
	std::string out;
	pb.SerializeToString(&out);
	return out;
}

Request DecodeRequest(std::string_view body)
{
	olrpb::Request pb;
	if (!pb.ParseFromArray(body.data(), static_cast<int>(body.size())))
		Corrupt("malformed OpenLogReplicator request", std::to_string(body.size()) + " bytes");
	Request r;
	if (pb.code() < 0 || pb.code() > 3)
		Corrupt("OpenLogReplicator request with unknown code " + std::to_string(pb.code()));
	r.code = static_cast<RequestCode>(pb.code());
	r.database = pb.database_name();
	switch (pb.start_at_case()) {
	case olrpb::Request::kScn: r.start_at = Request::StartAt::Scn; r.scn = pb.scn(); break;
	case olrpb::Request::kTms: r.start_at = Request::StartAt::Time; r.tms = pb.tms(); break;
	case olrpb::Request::kTmRel: r.start_at = Request::StartAt::RelativeSeconds; r.tm_rel = pb.tm_rel(); break;
	default: break;
	}
	if (pb.has_seq())
		r.seq = pb.seq();
	if (pb.has_c_scn())
		r.c_scn = pb.c_scn();
	if (pb.has_c_idx())
		r.c_idx = pb.c_idx();
	for (const auto &s : pb.schema())
		r.schema.emplace_back(s.mask(), s.filter());
	return r;
}

std::string EncodeResponse(const Response &r)
{
	olrpb::Response pb;
	pb.set_code(static_cast<olrpb::ResponseCode>(r.code));
	if (r.scn)
		pb.set_scn(*r.scn);
	else if (!r.scns.empty())
		pb.set_scns(r.scns);
	if (r.tm)
		pb.set_tm(*r.tm);
	else if (!r.tms.empty())
		pb.set_tms(r.tms);
	if (r.xidn)
		pb.set_xidn(*r.xidn);
	else if (!r.xid.empty())
		pb.set_xid(r.xid);
	if (!r.db.empty())
		pb.set_db(r.db);
	pb.set_c_scn(r.c_scn);
	pb.set_c_idx(r.c_idx);
	std::string out;
	pb.SerializeToString(&out);
	return out;
}

Response DecodeResponse(std::string_view body)
{
	olrpb::Response pb;
	if (!pb.ParseFromArray(body.data(), static_cast<int>(body.size())))
		Corrupt("malformed OpenLogReplicator reply",
		        std::to_string(body.size()) + " bytes; a JSON data frame where a protobuf reply was expected?");
	if (pb.code() < 0 || pb.code() > 7)
		Corrupt("OpenLogReplicator reply with unknown code " + std::to_string(pb.code()));
	Response r;
	r.code = static_cast<ResponseCode>(pb.code());
	if (pb.scn_val_case() == olrpb::Response::kScn)
		r.scn = pb.scn();
	else if (pb.scn_val_case() == olrpb::Response::kScns)
		r.scns = pb.scns();
	if (pb.tm_val_case() == olrpb::Response::kTm)
		r.tm = pb.tm();
	else if (pb.tm_val_case() == olrpb::Response::kTms)
		r.tms = pb.tms();
	if (pb.xid_val_case() == olrpb::Response::kXid)
		r.xid = pb.xid();
	else if (pb.xid_val_case() == olrpb::Response::kXidn)
		r.xidn = pb.xidn();
	r.db = pb.db();
	r.c_scn = pb.c_scn();
	r.c_idx = pb.c_idx();
	r.payload_count = static_cast<size_t>(pb.payload_size());
	return r;
}

/* ---------------------------------------------------------------- framing */

void AppendFrame(std::string &out, std::string_view body)
{
	uint64_t n = body.size();
	char hdr[12];
	size_t hl;
	if (n < 0xFFFFFFFFull) {
		for (int i = 0; i < 4; i++)
			hdr[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
		hl = 4;
	} else {
		for (int i = 0; i < 4; i++)
			hdr[i] = static_cast<char>(0xFF);
		for (int i = 0; i < 8; i++)
			hdr[4 + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
		hl = 12;
	}
	out.append(hdr, hl);
	out.append(body);
}

FrameSplitter::FrameSplitter(uint64_t max_frame, std::string setting_name)
	: max_frame_(max_frame), setting_(std::move(setting_name))
{
}

char *FrameSplitter::Reserve(size_t n)
{
	if (begin_ > 0 && (begin_ == end_ || buf_.size() - end_ < n))
		Compact();
	if (buf_.size() - end_ < n)
		buf_.resize(end_ + n);
	return buf_.data() + end_;
}

void FrameSplitter::Feed(std::string_view bytes)
{
	char *p = Reserve(bytes.size());
	memcpy(p, bytes.data(), bytes.size());
	Commit(bytes.size());
}

void FrameSplitter::Compact()
{
	if (begin_ == 0)
		return;
	if (end_ > begin_)
		memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
	end_ -= begin_;
	begin_ = 0;
}

bool FrameSplitter::Next(std::string_view &frame)
{
	const size_t avail = end_ - begin_;
	if (avail < 4)
		return false;
	const auto *p = reinterpret_cast<const unsigned char *>(buf_.data() + begin_);
	uint64_t len = uint64_t(p[0]) | uint64_t(p[1]) << 8 | uint64_t(p[2]) << 16 | uint64_t(p[3]) << 24;
	size_t hl = 4;
	if (len == 0xFFFFFFFFull) {
		if (avail < 12)
			return false;
		len = 0;
		for (int i = 0; i < 8; i++)
			len |= uint64_t(p[4 + i]) << (8 * i);
		hl = 12;
	}
	if (len > max_frame_)
		throw Error(sqlstate::kProgramLimitExceeded,
		            "OpenLogReplicator frame of " + std::to_string(len) + " bytes exceeds the limit of " +
		                std::to_string(max_frame_) + " bytes",
		            {}, "Raise the setting \"" + setting_ + "\" if OpenLogReplicator really sends messages this large.");
	if (avail - hl < len) {
		/* Make room for the whole frame in one go. */
		if (buf_.size() - begin_ < hl + len) {
			Compact();
			buf_.resize(hl + len);
		}
		return false;
	}
	frame = std::string_view(buf_.data() + begin_ + hl, len);
	begin_ += hl + len;
	return true;
}

/* ---------------------------------------------------------------- client */

Client::Client(ClientOptions opt, const std::atomic<bool> *stop)
	: opt_(std::move(opt)), stop_(stop), split_(opt_.max_frame_bytes, opt_.max_frame_setting)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
		wake_rd_ = p[0];
		wake_wr_ = p[1];
	}
}

Client::~Client()
{
	Close();
	if (wake_rd_ >= 0)
		close(wake_rd_);
	if (wake_wr_ >= 0)
		close(wake_wr_);
}

void Client::Close()
{
	if (fd_ >= 0)
		close(fd_);
	fd_ = -1;
	split_ = FrameSplitter(opt_.max_frame_bytes, opt_.max_frame_setting);
}

void Client::Lost(const std::string &what, int err)
{
	std::string msg = "lost the connection to OpenLogReplicator at " + Endpoint(opt_) + ": " + what;
	if (err)
		msg += std::string(": ") + strerror(err);
	Close();
	throw Error(sqlstate::kConnectionFailure, msg);
}

void Client::Wake()
{
	if (wake_wr_ >= 0) {
		char c = 1;
		[[maybe_unused]] ssize_t n = write(wake_wr_, &c, 1);
	}
}

void Client::DrainWake()
{
	if (wake_rd_ < 0)
		return;
	char b[64];
	while (read(wake_rd_, b, sizeof b) > 0) {
	}
}

void Client::Connect()
{
	Close();
	struct addrinfo hints{};
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	struct addrinfo *res = nullptr;
	const std::string port = std::to_string(opt_.port);
	int rc = getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &res);
	if (rc != 0)
		throw Error(sqlstate::kUnableToConnect,
		            "could not resolve OpenLogReplicator host " + Quoted(opt_.host) + ": " + gai_strerror(rc));
	int last_err = 0;
	for (auto *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			last_err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			last_err = errno;
			close(fd);
			continue;
		}
		const int64_t deadline = NowMs() + opt_.connect_timeout_ms;
		bool ok = false;
		for (;;) {
			if (Stopping())
				break;
			int64_t left = deadline - NowMs();
			if (left <= 0) {
				last_err = ETIMEDOUT;
				break;
			}
			struct pollfd pfd{fd, POLLOUT, 0};
			int n = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				last_err = errno;
				break;
			}
			if (n == 0)
				continue;
			int soerr = 0;
			socklen_t sl = sizeof soerr;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			if (soerr != 0) {
				last_err = soerr;
				break;
			}
			ok = true;
			break;
		}
		if (!ok) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		fd_ = fd;
		break;
	}
	freeaddrinfo(res);
	if (fd_ < 0)
		throw Error(sqlstate::kUnableToConnect,
		            "could not connect to OpenLogReplicator at " + Endpoint(opt_) +
		                (last_err ? std::string(": ") + strerror(last_err) : std::string()),
		            {}, "Check that OpenLogReplicator runs with a \"network\" writer listening on this address.");
}

void Client::WriteAll(const std::string &bytes)
{
	if (fd_ < 0)
		Lost("not connected");
	size_t off = 0;
	const int64_t deadline = NowMs() + opt_.reply_timeout_ms;
	while (off < bytes.size()) {
		ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += static_cast<size_t>(n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (NowMs() > deadline)
				Lost("timed out sending a request");
			struct pollfd pfd{fd_, POLLOUT, 0};
			poll(&pfd, 1, 1000);
			continue;
		}
		Lost("send failed", errno);
	}
}

void Client::Send(const Request &r)
{
	std::string body = EncodeRequest(r);
	if (body.size() > kMaxRequestBytes)
		throw Error(sqlstate::kProgramLimitExceeded,
		            std::string("OpenLogReplicator ") + RequestCodeName(r.code) + " request of " +
		                std::to_string(body.size()) + " bytes exceeds the server's limit of " +
		                std::to_string(kMaxRequestBytes) + " bytes");
	std::string frame;
	frame.reserve(body.size() + 4);
	AppendFrame(frame, body);
	WriteAll(frame);
}

Client::ReadResult Client::ReadFrame(std::string_view &frame, int timeout_ms)
{
	if (fd_ < 0)
		Lost("not connected");
	if (split_.Next(frame))
		return ReadResult::Frame;
	const int64_t deadline = NowMs() + std::max(timeout_ms, 0);
	for (;;) {
		if (Stopping())
			return ReadResult::Stopped;
		/* Read what is there before waiting. */
		char *p = split_.Reserve(opt_.read_chunk);
		ssize_t n = recv(fd_, p, opt_.read_chunk, 0);
		if (n > 0) {
			split_.Commit(static_cast<size_t>(n));
			if (split_.Next(frame))
				return ReadResult::Frame;
			continue;
		}
		if (n == 0)
			Lost(split_.Pending() ? "the server closed the connection in the middle of a frame"
			                      : "the server closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			Lost("receive failed", errno);
		int64_t left = deadline - NowMs();
		if (left <= 0)
			return ReadResult::Timeout;
		struct pollfd pfd[2] = {{fd_, POLLIN, 0}, {wake_rd_, POLLIN, 0}};
		int np = wake_rd_ >= 0 ? 2 : 1;
		int rc = poll(pfd, np, static_cast<int>(std::min<int64_t>(left, 1000)));
		if (rc < 0 && errno != EINTR)
			Lost("poll failed", errno);
		if (np == 2 && (pfd[1].revents & POLLIN)) {
			DrainWake();
			return ReadResult::Woken;
		}
	}
}

Response Client::ReadResponse()
{
	const int64_t deadline = NowMs() + opt_.reply_timeout_ms;
	for (;;) {
		std::string_view frame;
		int left = static_cast<int>(std::max<int64_t>(deadline - NowMs(), 0));
		switch (ReadFrame(frame, left)) {
		case ReadResult::Frame: return DecodeResponse(frame);
		case ReadResult::Stopped: Lost("stopping");
		case ReadResult::Woken: continue;
		case ReadResult::Timeout:
			Lost("no reply within " + std::to_string(opt_.reply_timeout_ms) + " ms");
		}
	}
}

Response Client::Continue(const std::string &db, uint64_t c_scn, uint64_t c_idx)
{
	Send(Request::Continue(db, c_scn, c_idx));
	Response r = ReadResponse();
	if (r.code == ResponseCode::Replicate)
		return r;
	if (r.code == ResponseCode::InvalidDatabase)
		throw Error(sqlstate::kInvalidParameterValue,
		            "OpenLogReplicator at " + Endpoint(opt_) + " has no source named " + Quoted(db), {},
		            "The connector's source name must equal the \"name\" of the source in OpenLogReplicator.json.");
	throw Error(sqlstate::kDataCorrupted, std::string("OpenLogReplicator answered CONTINUE with ") +
	                                          ResponseCodeName(r.code) + ", expected REPLICATE");
}

Response Client::StartOrContinue(const std::string &db, uint64_t start_scn, uint64_t c_scn, uint64_t c_idx,
                                 bool *continued)
{
	if (continued)
		*continued = false;
	Request start = Request::StartFromScn(db, start_scn);
	Send(start);
	Response r = ReadResponse();
	switch (r.code) {
	case ResponseCode::Replicate: return r;
	case ResponseCode::AlreadyStarted:
	case ResponseCode::Starting:
		if (continued)
			*continued = true;
		return Continue(db, c_scn, c_idx);
	case ResponseCode::InvalidDatabase:
		throw Error(sqlstate::kInvalidParameterValue,
		            "OpenLogReplicator at " + Endpoint(opt_) + " has no source named " + Quoted(db), {},
		            "The connector's source name must equal the \"name\" of the source in OpenLogReplicator.json.");
	case ResponseCode::FailedStart:
		throw Error(sqlstate::kObjectNotInPrerequisiteState,
		            "OpenLogReplicator failed to start replication at SCN " + std::to_string(start_scn), {},
		            "See OpenLogReplicator's log; the start SCN may be older than the available redo.");
	default:
		throw Error(sqlstate::kDataCorrupted, std::string("OpenLogReplicator answered START with ") +
		                                          ResponseCodeName(r.code));
	}
}

}  // namespace synchdb::olr
