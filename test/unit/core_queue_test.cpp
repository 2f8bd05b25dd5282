/*
 * core_queue_test.cpp
 *     BoundedQueue's non-blocking side: TryPop and the wake-up eventfd the
 *     worker's main thread waits on (with its latch) instead of blocking.
 */
#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/queue.hpp"

using synchdb::BoundedQueue;

namespace {

bool Readable(int fd, int timeout_ms = 0)
{
	pollfd p{fd, POLLIN, 0};
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

TEST(BoundedQueue, WakeFdFollowsTheQueue)
{
	BoundedQueue<int> q(4);
	ASSERT_GE(q.WakeFd(), 0);
	EXPECT_FALSE(q.TryPop());
	EXPECT_FALSE(Readable(q.WakeFd())) << "empty: nothing to wake for";
	ASSERT_TRUE(q.Push(1));
	ASSERT_TRUE(q.Push(2));
	EXPECT_TRUE(Readable(q.WakeFd())) << "an item is waiting";
	EXPECT_EQ(q.TryPop(), 1);
	EXPECT_EQ(q.TryPop(), 2);
	EXPECT_FALSE(q.TryPop());
	EXPECT_FALSE(Readable(q.WakeFd())) << "drained when found empty";
	ASSERT_TRUE(q.Push(3));
	EXPECT_TRUE(Readable(q.WakeFd())) << "readable again after the next push";
	EXPECT_EQ(q.TryPop(), 3);
	q.Close();
	EXPECT_TRUE(Readable(q.WakeFd())) << "closing wakes the waiter";
	EXPECT_FALSE(q.TryPop());
	EXPECT_TRUE(Readable(q.WakeFd())) << "a closed queue stays readable";
	EXPECT_FALSE(q.Push(4));
}

TEST(BoundedQueue, PushFromAnotherThreadWakesTheWaiter)
{
	BoundedQueue<int> q(2);
	EXPECT_FALSE(q.TryPop());
	std::thread producer([&] {
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
		for (int i = 0; i < 100; i++)
			q.Push(i); /* blocks while full: the consumer below frees room */
	});
	int next = 0;
	while (next < 100) {
		if (auto v = q.TryPop()) {
			EXPECT_EQ(*v, next);
			next++;
			continue;
		}
		ASSERT_TRUE(Readable(q.WakeFd(), 5000)) << "no wake-up while waiting for item " << next;
	}
	producer.join();
}

TEST(BoundedQueue, HeldBytesCountUntilReleased)
{
	BoundedQueue<int> q(64, 100);
	ASSERT_TRUE(q.Push(1, 1000));
	size_t held = 0;
	EXPECT_EQ(q.TryPopHeld(held), 1);
	EXPECT_EQ(held, 1000u);
	std::atomic<bool> pushed{false};
	std::thread producer([&] {
		q.Push(2, 10); /* waits: the consumer still holds 1000 bytes */
		pushed = true;
	});
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	EXPECT_FALSE(pushed) << "an empty queue whose consumer holds a big item takes nothing more";
	q.Release(held);
	producer.join();
	EXPECT_TRUE(pushed);
	EXPECT_EQ(q.TryPopHeld(held), 2);
	EXPECT_EQ(held, 10u);
	q.Release(held);
	ASSERT_TRUE(q.Push(3, 100)) << "everything released: the whole bound is free";
}

}  // namespace

namespace {

TEST(BoundedQueue, BoundedInBytesButOneBigItemFits)
{
	BoundedQueue<int> q(64, 100);
	ASSERT_TRUE(q.Push(1, 1000)) << "an empty queue takes an item bigger than the bound";
	std::atomic<bool> pushed{false};
	std::thread producer([&] {
		q.Push(2, 10); /* waits: 1000 bytes are queued */
		pushed = true;
	});
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	EXPECT_FALSE(pushed) << "the queue over its byte bound takes nothing more";
	EXPECT_EQ(q.TryPop(), 1);
	producer.join();
	EXPECT_TRUE(pushed);
	ASSERT_TRUE(q.Push(3, 90)) << "10 + 90 bytes fit";
	EXPECT_EQ(q.TryPop(), 2);
	EXPECT_EQ(q.TryPop(), 3);
}

}  // namespace
