/*
 * spi.hpp
 *     A guarded, minimal C++ face of SPI for the catalog tables of synchdb.
 *
 * NOTES
 *   Every call goes through PgCall, so an SQL error becomes a PgError that
 *   unwinds normally.  Parameters are passed as text (or NULL) and cast in
 *   the statement ($1::jsonb): the statements are few and fixed.  Caller
 *   must be in a transaction.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace synchdb::pg {

using SpiParam = std::optional<std::string>;

class Spi {
public:
	Spi();
	~Spi();
	Spi(const Spi &) = delete;
	Spi &operator=(const Spi &) = delete;

	/* Execute; returns the number of rows processed. */
	uint64_t Exec(const std::string &sql, const std::vector<SpiParam> &params = {}, bool read_only = false);
	/* Column col (0-based) of row row of the last result, as text. */
	std::optional<std::string> Value(uint64_t row, int col) const;

private:
	bool connected_ = false;
};

/* The name of the database this backend is connected to ("" if it has none). */
std::string CurrentDatabaseName();

/* Quoted name of the schema the synchdb extension lives in. */
std::string ExtensionSchema();

}  // namespace synchdb::pg
