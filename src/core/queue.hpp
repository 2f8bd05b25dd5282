/*
 * queue.hpp
 *     A bounded, blocking queue between a connector's reader thread and its
 *     main thread.
 *
 * NOTES
 *   The reader blocks when the queue is full (capacity items, or max_bytes
 *   of payload as the producer counts it, whichever comes first; one item
 *   always fits in an empty queue), so a slow destination slows the source
 *   read instead of growing memory.  The main thread does not
 *   block here: it takes what is there (TryPop) and, when nothing is, waits
 *   in PostgreSQL's WaitLatchOrSocket on its latch and on WakeFd(), an
 *   eventfd that becomes readable when the queue stops being empty or is
 *   closed.  So the main thread sees its interrupts (barriers, reloads,
 *   cancel, terminate) at once, and the reader thread never calls
 *   PostgreSQL (it does not touch the latch).  Close() wakes both sides for
 *   shutdown.
 */
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace synchdb {

template <typename T>
class BoundedQueue {
public:
	explicit BoundedQueue(size_t capacity, size_t max_bytes = SIZE_MAX)
		: capacity_(capacity), max_bytes_(max_bytes), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
	{
	}
	~BoundedQueue()
	{
		if (wake_fd_ >= 0)
			close(wake_fd_);
	}
	BoundedQueue(const BoundedQueue &) = delete;
	BoundedQueue &operator=(const BoundedQueue &) = delete;

	/* Readable while the queue holds an item or is closed (until TryPop finds it empty); -1 if none could be made. */
	int WakeFd() const { return wake_fd_; }

	/* Blocks while full; false if the queue was closed.  bytes: the item's payload, for max_bytes. */
	bool Push(T item, size_t bytes = 0)
	{
		std::unique_lock lock(mu_);
		not_full_.wait(lock, [&] {
			const size_t used = bytes_ + held_;
			const bool fits = (items_.empty() && held_ == 0) || (used <= max_bytes_ && bytes <= max_bytes_ - used);
			return closed_ || (items_.size() < capacity_ && fits);
		});
		if (closed_)
			return false;
		const bool was_empty = items_.empty();
		items_.push_back(std::move(item));
		sizes_.push_back(bytes);
		bytes_ += bytes;
		not_empty_.notify_one();
		if (was_empty)
			Wake();
		return true;
	}

	/* Never blocks; nullopt when empty (and then WakeFd() is quiet until the next Push or Close). */
	std::optional<T> TryPop()
	{
		std::lock_guard lock(mu_);
		if (items_.empty()) {
			Drain();
			if (closed_)
				Wake(); /* stays readable: a waiter must not sleep on a closed queue */
			return std::nullopt;
		}
		return TakeFront();
	}

	/*
	 * TryPop for a consumer that keeps the item's memory after taking it: its
	 * bytes (in bytes) stay counted against max_bytes until Release(bytes),
	 * so the producer cannot build another big item while the consumer still
	 * holds one (one huge row at a time, not two).
	 */
	std::optional<T> TryPopHeld(size_t &bytes)
	{
		std::lock_guard lock(mu_);
		if (items_.empty()) {
			Drain();
			if (closed_)
				Wake();
			return std::nullopt;
		}
		bytes = sizes_.front();
		held_ += bytes;
		return TakeFront();
	}
	/* The consumer is done with items taken by TryPopHeld holding bytes. */
	void Release(size_t bytes)
	{
		std::lock_guard lock(mu_);
		held_ -= std::min(bytes, held_);
		not_full_.notify_all();
	}

	/* Waits up to timeout; nullopt on timeout or when closed and drained. */
	std::optional<T> Pop(std::chrono::milliseconds timeout)
	{
		std::unique_lock lock(mu_);
		if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); }))
			return std::nullopt;
		if (items_.empty())
			return std::nullopt;
		return TakeFront();
	}

	bool Empty() const
	{
		std::lock_guard lock(mu_);
		return items_.empty();
	}

	void Close()
	{
		std::lock_guard lock(mu_);
		closed_ = true;
		not_full_.notify_all();
		not_empty_.notify_all();
		Wake();
	}

	bool Closed() const
	{
		std::lock_guard lock(mu_);
		return closed_;
	}

private:
	/* The oldest item; mu_ held, queue not empty. */
	T TakeFront()
	{
		T item = std::move(items_.front());
		items_.pop_front();
		bytes_ -= sizes_.front();
		sizes_.pop_front();
		not_full_.notify_one();
		return item;
	}

	/* Under mu_. */
	void Wake()
	{
		if (wake_fd_ < 0)
			return;
		const uint64_t one = 1;
		while (write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
		}
	}
	void Drain()
	{
		if (wake_fd_ < 0)
			return;
		uint64_t n;
		while (read(wake_fd_, &n, sizeof(n)) < 0 && errno == EINTR) {
		}
	}

	mutable std::mutex mu_;
	std::condition_variable not_full_;
	std::condition_variable not_empty_;
	std::deque<T> items_;
	std::deque<size_t> sizes_; /* each item's bytes, as pushed */
	size_t capacity_;
	size_t max_bytes_;
	size_t bytes_ = 0; /* sum of sizes_; bytes_ <= max_bytes_ unless one item alone exceeds it */
	size_t held_ = 0; /* bytes of items the consumer took with TryPopHeld and has not released */
	bool closed_ = false;
	int wake_fd_;
};

}  // namespace synchdb

#include "core/cpp_only.hpp"
