/*
 * olr_test_util.hpp
 *     Helpers of the OpenLogReplicator tests: the shared fixtures, a model
 *     of OLR's writer queue (positions, CONFIRM, CONTINUE replay), and a
 *     stand-in server speaking the network protocol on 127.0.0.1.
 *
 * NOTES
 *   Fixtures: $SYNCHDB_SHARED_FIXTURES/olr, default ../shared/fixtures/olr
 *   (relative to the repository root, where make runs the tests).  A
 *   missing folder fails the tests that need it.
 *
 *   The queue model follows the reference (section 6) and OLR's writer:
 *   messages are grouped into buffers; CONFIRM releases messages from the
 *   front of the queue while they are not after the confirmed position; a
 *   buffer is kept while any of its messages is unreleased; CONTINUE
 *   replays from the first kept buffer and sends only messages after the
 *   client position (internal index = printed c_idx - 1).
 */
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/sources/olr/message.hpp"
#include "core/sources/olr/protocol.hpp"

namespace olrtest {

inline std::string FixtureRoot()
{
	const char *env = std::getenv("SYNCHDB_SHARED_FIXTURES");
	std::string base = env && *env ? env : "../shared/fixtures";
	return base + "/olr";
}

/* The fixture folder; fails the test (fatally) when it is missing. */
#define OLR_REQUIRE_FIXTURES()                                                                                       \
	do {                                                                                                             \
		DIR *d_ = opendir(olrtest::FixtureRoot().c_str());                                                           \
		ASSERT_NE(d_, nullptr) << "OpenLogReplicator fixtures not found at " << olrtest::FixtureRoot()               \
		                       << ": set SYNCHDB_SHARED_FIXTURES to the shared/fixtures folder";                     \
		closedir(d_);                                                                                                \
	} while (0)

inline std::string ReadFile(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

inline std::vector<std::string> Lines(const std::string &path)
{
	std::vector<std::string> out;
	std::ifstream f(path);
	std::string line;
	while (std::getline(f, line)) {
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		if (!line.empty())
			out.push_back(line);
	}
	return out;
}

/* Cases with an output.json. */
inline std::vector<std::string> Cases()
{
	std::vector<std::string> out;
	DIR *d = opendir(FixtureRoot().c_str());
	if (!d)
		return out;
	while (auto *e = readdir(d)) {
		std::string n = e->d_name;
		if (n[0] == '.')
			continue;
		std::ifstream f(FixtureRoot() + "/" + n + "/output.json");
		if (f.good())
			out.push_back(n);
	}
	closedir(d);
	std::sort(out.begin(), out.end());
	return out;
}

inline std::string CheckpointPath(const std::string &c)
{
	DIR *d = opendir((FixtureRoot() + "/" + c).c_str());
	std::string best;
	if (!d)
		return best;
	while (auto *e = readdir(d)) {
		std::string n = e->d_name;
		if (n.rfind("TEST-chkpt-", 0) == 0 && (best.empty() || n < best))
			best = n;
	}
	closedir(d);
	return best.empty() ? best : FixtureRoot() + "/" + c + "/" + best;
}

/* One message in OLR's queue. */
struct QMsg {
	std::string text;
	uint64_t lwn_scn;
	uint64_t lwn_idx; /* internal = printed - 1 */
};

/* OLR's writer queue, as the reference describes it. */
class OlrModel {
public:
	OlrModel(const std::vector<std::string> &lines, size_t msgs_per_buffer) : per_buf_(msgs_per_buffer)
	{
		synchdb::olr::MessageDecoder dec;
		for (const auto &l : lines) {
			const auto &m = dec.Decode(l);
			msgs_.push_back({l, *m.c_scn, *m.c_idx - 1});
		}
		flag_.assign(msgs_.size(), false);
	}
	size_t size() const { return msgs_.size(); }

	/* CONTINUE: set the client position (c_scn 0 = last confirmed) and rewind. */
	void Continue(uint64_t c_scn, uint64_t c_idx)
	{
		std::lock_guard<std::mutex> g(mu_);
		if (c_scn != 0) {
			client_scn_ = c_scn;
			client_idx_ = c_idx;
		} else {
			client_scn_ = confirmed_scn_;
			client_idx_ = confirmed_idx_;
		}
		/* Unconfirmed messages go back; replay from the first kept buffer. */
		for (size_t i : queue_)
			flag_[i] = false;
		queue_.clear();
		next_ = (released_ / per_buf_) * per_buf_;
		/* The kept buffer's released messages are replayed too (and released again). */
	}
	/* Next message to send, or false at the end. */
	bool Next(std::string &out)
	{
		std::lock_guard<std::mutex> g(mu_);
		while (next_ < msgs_.size()) {
			const QMsg &m = msgs_[next_];
			size_t i = next_++;
			queue_.push_back(i);
			if (!IsNew(m)) {
				/* Not sent: confirmed at once, released when it reaches the front (like OLR). */
				flag_[i] = true;
				PopFlagged();
				continue;
			}
			out = m.text;
			return true;
		}
		return false;
	}
	/* CONFIRM (c_scn, c_idx internal). */
	void Confirm(uint64_t c_scn, uint64_t c_idx)
	{
		std::lock_guard<std::mutex> g(mu_);
		while (!queue_.empty()) {
			size_t i = queue_.front();
			const QMsg &m = msgs_[i];
			if (flag_[i] || m.lwn_scn < c_scn || (m.lwn_scn == c_scn && m.lwn_idx <= c_idx)) {
				Release(i);
				queue_.erase(queue_.begin());
			} else
				break;
		}
		PopFlagged();
	}
	size_t released() const { return released_; }

private:
	bool IsNew(const QMsg &m) const
	{
		return m.lwn_scn > client_scn_ || (m.lwn_scn == client_scn_ && m.lwn_idx > client_idx_);
	}
	void PopFlagged()
	{
		while (!queue_.empty() && flag_[queue_.front()]) {
			Release(queue_.front());
			queue_.erase(queue_.begin());
		}
	}
	void Release(size_t i)
	{
		const QMsg &m = msgs_[i];
		if (i + 1 > released_)
			released_ = i + 1;
		if (m.lwn_scn > confirmed_scn_ || (m.lwn_scn == confirmed_scn_ && m.lwn_idx > confirmed_idx_)) {
			confirmed_scn_ = m.lwn_scn;
			confirmed_idx_ = m.lwn_idx;
		}
	}

	std::mutex mu_;
	std::vector<QMsg> msgs_;
	size_t per_buf_;
	size_t next_ = 0;
	size_t released_ = 0; /* messages [0, released_) released */
	std::vector<size_t> queue_;
	std::vector<bool> flag_;
	uint64_t client_scn_ = 0, client_idx_ = 0;
	uint64_t confirmed_scn_ = 0, confirmed_idx_ = 0;
};

/*
 * A stand-in OLR network writer on 127.0.0.1 (ephemeral port) serving an
 * OlrModel.  Faults: drop the connection after N data frames; send a
 * malformed frame instead of data frame N; announce an oversized frame.
 */
class StandInServer {
public:
	struct Faults {
		int drop_after_frames = -1;
		int garbage_at_frame = -1;
		int oversize_at_frame = -1;
		bool truncate_frame = false; /* with drop: cut the last frame in the middle */
	};

	StandInServer(OlrModel &model, std::string db) : model_(model), db_(std::move(db))
	{
		lfd_ = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		sockaddr_in a{};
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = 0;
		bind(lfd_, reinterpret_cast<sockaddr *>(&a), sizeof a);
		listen(lfd_, 1);
		socklen_t l = sizeof a;
		getsockname(lfd_, reinterpret_cast<sockaddr *>(&a), &l);
		port_ = ntohs(a.sin_port);
		th_ = std::thread([this] { Loop(); });
	}
	~StandInServer()
	{
		stop_ = true;
		th_.join();
		close(lfd_);
	}
	uint16_t port() const { return port_; }
	void SetFaults(Faults f)
	{
		std::lock_guard<std::mutex> g(mu_);
		faults_ = f;
	}
	std::vector<synchdb::olr::Request> Requests()
	{
		std::lock_guard<std::mutex> g(mu_);
		return requests_;
	}
	bool started() const { return started_; }

private:
	void Loop()
	{
		while (!stop_) {
			pollfd p{lfd_, POLLIN, 0};
			if (poll(&p, 1, 100) <= 0)
				continue;
			int fd = accept(lfd_, nullptr, nullptr);
			if (fd < 0)
				continue;
			Serve(fd);
			close(fd);
		}
	}
	bool SendFrame(int fd, const std::string &body)
	{
		std::string f;
		synchdb::olr::AppendFrame(f, body);
		return SendRaw(fd, f);
	}
	bool SendRaw(int fd, const std::string &bytes)
	{
		size_t off = 0;
		while (off < bytes.size()) {
			ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
			if (n <= 0)
				return false;
			off += n;
		}
		return true;
	}
	void Serve(int fd)
	{
		synchdb::olr::FrameSplitter split(4096, "request");
		bool streaming = false;
		int sent = 0;
		Faults f;
		{
			std::lock_guard<std::mutex> g(mu_);
			f = faults_;
		}
		char buf[4096];
		while (!stop_) {
			pollfd p{fd, POLLIN, 0};
			int rc = poll(&p, 1, streaming ? 0 : 50);
			if (rc > 0) {
				ssize_t n = recv(fd, buf, sizeof buf, 0);
				if (n <= 0)
					return;
				split.Feed(std::string_view(buf, n));
				std::string_view fr;
				while (split.Next(fr)) {
					auto r = synchdb::olr::DecodeRequest(fr);
					{
						std::lock_guard<std::mutex> g(mu_);
						requests_.push_back(r);
					}
					synchdb::olr::Response resp;
					using RC = synchdb::olr::RequestCode;
					using SC = synchdb::olr::ResponseCode;
					if (r.code != RC::Confirm && r.database != db_) {
						resp.code = SC::InvalidDatabase;
						SendFrame(fd, synchdb::olr::EncodeResponse(resp));
						continue;
					}
					if (r.code == RC::Start) {
						if (started_)
							resp.code = SC::AlreadyStarted;
						else {
							started_ = true;
							resp.code = SC::Replicate;
							model_.Continue(r.c_scn.value_or(0), r.c_idx.value_or(0));
							streaming = true;
						}
						SendFrame(fd, synchdb::olr::EncodeResponse(resp));
					} else if (r.code == RC::Continue) {
						model_.Continue(r.c_scn.value_or(0), r.c_idx.value_or(0));
						resp.code = SC::Replicate;
						SendFrame(fd, synchdb::olr::EncodeResponse(resp));
						streaming = true;
					} else if (r.code == RC::Confirm) {
						model_.Confirm(r.c_scn.value_or(0), r.c_idx.value_or(0));
					} else {
						resp.code = started_ ? SC::Replicate : SC::Ready;
						SendFrame(fd, synchdb::olr::EncodeResponse(resp));
						streaming = false;
					}
				}
				continue;
			}
			if (!streaming)
				continue;
			std::string msg;
			if (!model_.Next(msg)) {
				streaming = false;
				continue;
			}
			if (sent == f.garbage_at_frame) {
				SendFrame(fd, "{\"c_scn\":1,\"payload\":[{\"op\":");
				sent++;
				continue;
			}
			if (sent == f.oversize_at_frame) {
				SendRaw(fd, std::string("\xff\xff\xff\x7f", 4));
				sent++;
				continue;
			}
			if (sent == f.drop_after_frames) {
				if (f.truncate_frame) {
					std::string fr;
					synchdb::olr::AppendFrame(fr, msg);
					SendRaw(fd, fr.substr(0, fr.size() / 2));
				}
				return;
			}
			if (!SendFrame(fd, msg))
				return;
			sent++;
		}
	}

	OlrModel &model_;
	std::string db_;
	int lfd_ = -1;
	uint16_t port_ = 0;
	std::atomic<bool> stop_{false};
	std::atomic<bool> started_{false};
	std::thread th_;
	std::mutex mu_;
	Faults faults_;
	std::vector<synchdb::olr::Request> requests_;
};

}  // namespace olrtest
