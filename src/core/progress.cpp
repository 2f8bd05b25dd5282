/*
 * progress.cpp
 *     Snapshot progress figures (progress.hpp).
 */
#include "core/progress.hpp"

#include <algorithm>

namespace synchdb {

double SnapshotRate(uint64_t rows, int64_t rows_expected, double elapsed_s, double &seconds_left)
{
	seconds_left = -1;
	if (rows == 0 || !(elapsed_s > 0))
		return 0;
	const double rate = static_cast<double>(rows) / elapsed_s;
	if (rows_expected >= 0) {
		const double left = static_cast<double>(rows_expected) - static_cast<double>(rows);
		seconds_left = left > 0 ? left / rate : 0;
	}
	return rate;
}

void SnapshotProgress::Begin(std::vector<int64_t> estimates, double now_s)
{
	started_ = true;
	begin_s_ = now_s;
	const size_t n = estimates.size();
	estimate_ = std::move(estimates);
	rows_.assign(n, 0);
	done_.assign(n, false);
}

void SnapshotProgress::Tables(int total)
{
	const size_t n = static_cast<size_t>(std::max(total, 0));
	estimate_.assign(n, -1);
	rows_.assign(n, 0);
	done_.assign(n, false);
}

void SnapshotProgress::Estimates(const std::vector<int64_t> &estimates)
{
	for (size_t i = 0; i < estimate_.size(); i++)
		estimate_[i] = i < estimates.size() ? estimates[i] : -1;
}

void SnapshotProgress::Rows(int table, uint64_t rows_in_table)
{
	if (table >= 0 && static_cast<size_t>(table) < rows_.size())
		rows_[table] = rows_in_table;
}

void SnapshotProgress::Done(int table, uint64_t rows)
{
	if (table >= 0 && static_cast<size_t>(table) < rows_.size()) {
		rows_[table] = rows;
		done_[table] = true;
	}
}

SnapshotFigures SnapshotProgress::At(double now_s) const
{
	SnapshotFigures f;
	f.tables_total = static_cast<int>(estimate_.size());
	bool any_estimate = false;
	bool all_done = true;
	int64_t expected = 0;
	for (size_t i = 0; i < estimate_.size(); i++) {
		f.rows += rows_[i];
		if (done_[i]) {
			f.tables_done++;
			expected += static_cast<int64_t>(rows_[i]);
			continue;
		}
		all_done = false;
		if (estimate_[i] >= 0)
			any_estimate = true;
		expected += std::max<int64_t>(std::max<int64_t>(estimate_[i], 0), static_cast<int64_t>(rows_[i]));
	}
	if (any_estimate || all_done)
		f.rows_expected = expected;
	f.rows_per_s = SnapshotRate(f.rows, f.rows_expected, now_s - begin_s_, f.seconds_left);
	if (all_done)
		f.seconds_left = 0;
	return f;
}

}  // namespace synchdb
