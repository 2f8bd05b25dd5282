/*
 * queue.hpp
 *     A bounded, blocking queue between a connector's reader thread and its
 *     main thread.
 *
 * NOTES
 *   The reader blocks when the queue is full, so a slow destination slows
 *   the source read instead of growing memory.  The main thread waits with
 *   a timeout, so that it can look at its interrupts (PostgreSQL's signals
 *   are handled on the main thread only) between waits.  Close() wakes both
 *   sides for shutdown.
 */
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace synchdb {

template <typename T>
class BoundedQueue {
public:
	explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

	/* Blocks while full; false if the queue was closed. */
	bool Push(T item)
	{
		std::unique_lock lock(mu_);
		not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
		if (closed_)
			return false;
		items_.push_back(std::move(item));
		not_empty_.notify_one();
		return true;
	}

	/* Waits up to timeout; nullopt on timeout or when closed and drained. */
	std::optional<T> Pop(std::chrono::milliseconds timeout)
	{
		std::unique_lock lock(mu_);
		if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); }))
			return std::nullopt;
		if (items_.empty())
			return std::nullopt;
		T item = std::move(items_.front());
		items_.pop_front();
		not_full_.notify_one();
		return item;
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
	}

	bool Closed() const
	{
		std::lock_guard lock(mu_);
		return closed_;
	}

private:
	mutable std::mutex mu_;
	std::condition_variable not_full_;
	std::condition_variable not_empty_;
	std::deque<T> items_;
	size_t capacity_;
	bool closed_ = false;
};

}  // namespace synchdb

#include "core/cpp_only.hpp"
