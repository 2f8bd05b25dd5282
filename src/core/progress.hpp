/*
 * progress.hpp
 *     Snapshot progress figures: rows per second and the time left, from
 *     the rows copied so far and the source's row estimates.
 *
 * NOTES
 *   A source reports one estimate per table before it copies them
 *   (MariaDB/MySQL information_schema.TABLES.TABLE_ROWS, PostgreSQL
 *   pg_class.reltuples; -1 when it has none).  Estimates are statistics,
 *   not counts: a table copied so far counts with its real rows, the table
 *   being copied with the larger of its estimate and what it has given,
 *   the tables still waiting with their estimates.  The time left is the
 *   rows still expected at the rate seen since the snapshot began; it is
 *   unknown (-1) until a row has been copied, and when no table has an
 *   estimate.  Plain arithmetic, unit-tested without a server.
 */
#pragma once

#include <cstdint>
#include <vector>

namespace synchdb {

struct SnapshotFigures {
	int tables_done = 0;
	int tables_total = 0;
	uint64_t rows = 0;            /* copied so far */
	int64_t rows_expected = -1;   /* the snapshot's rows in all, as best known now; -1 unknown */
	double rows_per_s = 0;        /* since the snapshot began; 0 before a row or a measurable time */
	double seconds_left = -1;     /* -1 unknown; 0 once every table is done */
};

class SnapshotProgress {
public:
	/* A snapshot of estimates.size() tables begins (time in seconds, any origin). */
	void Begin(std::vector<int64_t> estimates, double now_s);
	/* The tables are known before their estimates: sets the count, estimates unknown. */
	void Tables(int total);
	/* The source's estimates, one per table (-1: none); an extra or missing entry is ignored / unknown. */
	void Estimates(const std::vector<int64_t> &estimates);
	/* rows of table so far (the table being copied). */
	void Rows(int table, uint64_t rows_in_table);
	/* table is copied with rows rows. */
	void Done(int table, uint64_t rows);
	SnapshotFigures At(double now_s) const;
	bool Started() const { return started_; }

private:
	bool started_ = false;
	double begin_s_ = 0;
	std::vector<int64_t> estimate_;
	std::vector<uint64_t> rows_;
	std::vector<bool> done_;
};

/*
 * The arithmetic on its own: rows copied, rows expected in all (-1
 * unknown), seconds elapsed.  Returns the rate (rows/s, 0 when unknown) and
 * sets seconds_left (-1 when unknown).
 */
double SnapshotRate(uint64_t rows, int64_t rows_expected, double elapsed_s, double &seconds_left);

}  // namespace synchdb

#include "core/cpp_only.hpp"
