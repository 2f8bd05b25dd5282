/*
 * core_progress_test.cpp
 *     Snapshot progress: rows per second and the time left from the
 *     source's row estimates (core/progress.hpp).
 */
#include <gtest/gtest.h>

#include "core/progress.hpp"

using synchdb::SnapshotFigures;
using synchdb::SnapshotProgress;
using synchdb::SnapshotRate;

TEST(SnapshotRate, RateAndTimeLeft)
{
	double left = 0;
	EXPECT_DOUBLE_EQ(SnapshotRate(1000, 4000, 10.0, left), 100.0);
	EXPECT_DOUBLE_EQ(left, 30.0) << "3000 rows still expected at 100 rows/s";
	EXPECT_DOUBLE_EQ(SnapshotRate(0, 4000, 10.0, left), 0.0);
	EXPECT_EQ(left, -1) << "no row yet: no rate, no estimate of the time left";
	EXPECT_DOUBLE_EQ(SnapshotRate(500, 4000, 0.0, left), 0.0);
	EXPECT_EQ(left, -1) << "no time elapsed: unknown";
	EXPECT_DOUBLE_EQ(SnapshotRate(500, -1, 5.0, left), 100.0);
	EXPECT_EQ(left, -1) << "nothing expected is known";
	SnapshotRate(5000, 4000, 5.0, left);
	EXPECT_EQ(left, 0) << "more rows than estimated: never negative";
}

TEST(SnapshotProgress, EstimatesGiveWayToRealCounts)
{
	SnapshotProgress p;
	p.Begin({1000, 3000, -1}, 100.0);
	SnapshotFigures f = p.At(100.0);
	EXPECT_EQ(f.tables_total, 3);
	EXPECT_EQ(f.tables_done, 0);
	EXPECT_EQ(f.rows, 0u);
	EXPECT_EQ(f.rows_expected, 4000) << "a table without an estimate counts as 0 until it is copied";
	EXPECT_EQ(f.seconds_left, -1);

	p.Rows(0, 400);
	f = p.At(104.0);
	EXPECT_EQ(f.rows, 400u);
	EXPECT_DOUBLE_EQ(f.rows_per_s, 100.0);
	EXPECT_DOUBLE_EQ(f.seconds_left, 36.0);

	p.Done(0, 1200); /* the estimate was low */
	p.Rows(1, 3800); /* and this one too: the table counts with what it gave */
	f = p.At(150.0);
	EXPECT_EQ(f.tables_done, 1);
	EXPECT_EQ(f.rows, 5000u);
	EXPECT_EQ(f.rows_expected, 5000);
	EXPECT_DOUBLE_EQ(f.rows_per_s, 100.0);
	EXPECT_DOUBLE_EQ(f.seconds_left, 0.0);

	p.Done(1, 3800);
	p.Done(2, 7);
	f = p.At(160.0);
	EXPECT_EQ(f.tables_done, 3);
	EXPECT_EQ(f.rows_expected, 5007);
	EXPECT_EQ(f.seconds_left, 0) << "every table copied";
}

TEST(SnapshotProgress, NoEstimates)
{
	SnapshotProgress p;
	p.Tables(2);
	p.Begin({-1, -1}, 0.0);
	p.Rows(0, 50);
	SnapshotFigures f = p.At(1.0);
	EXPECT_EQ(f.rows_expected, -1);
	EXPECT_DOUBLE_EQ(f.rows_per_s, 50.0);
	EXPECT_EQ(f.seconds_left, -1) << "rate known, total unknown";
	p.Estimates({10}); /* one entry for two tables: the other stays unknown */
	f = p.At(1.0);
	EXPECT_EQ(f.rows_expected, 50);
	EXPECT_EQ(f.seconds_left, 0);
}

TEST(SnapshotProgress, EmptySnapshot)
{
	SnapshotProgress p;
	p.Begin({}, 0.0);
	SnapshotFigures f = p.At(3.0);
	EXPECT_EQ(f.tables_total, 0);
	EXPECT_EQ(f.rows_expected, 0);
	EXPECT_EQ(f.seconds_left, 0);
}
