/*
 * file_reader.hpp
 *     Iterate the events of a binlog or relay-log file.
 *
 * NOTES
 *   A binlog file is the 4-byte magic "\xfebin" followed by events, each
 *   delimited by the event_size of its common header (log_pos is not used:
 *   relay logs carry the source's positions).  The file is read into
 *   memory once; events view that buffer, so an Event stays valid as long
 *   as its FileReader.
 *
 *   Events inside a TRANSACTION_PAYLOAD_EVENT are yielded right after the
 *   payload event itself, with Event::in_payload set.
 *
 *   A file that ends in the middle of an event (a relay log being written,
 *   a crashed server) raises kDataCorrupted naming the offset of the
 *   incomplete event.
 *
 *     FileReader reader("/path/binlog.000001");
 *     Event ev;
 *     while (reader.Next(ev))
 *         if (auto *rows = ev.As<RowsEvent>()) {
 *             RowIterator it(*rows);
 *             RowChange change;
 *             while (it.Next(change))
 *                 ... change.after.Get(0) ...
 *         }
 */
#pragma once

#include <string>
#include <vector>

#include "core/sources/mysql/binlog/event.hpp"

namespace synchdb::binlog {

class FileReader {
public:
	/* Read a file; throws kUndefinedFile if it cannot be read, kDataCorrupted if it lacks the magic. */
	explicit FileReader(const std::string &path, Decoder::Options options = {});

	/* Use bytes already in memory; name is for messages. */
	FileReader(std::vector<uint8_t> data, std::string name, Decoder::Options options = {});

	FileReader(const FileReader &) = delete;
	FileReader &operator=(const FileReader &) = delete;

	/*
	 * Decode the next event into ev.  Returns false at the clean end of the
	 * file.  Throws synchdb::Error on truncated or corrupt events; after an
	 * error the reader cannot continue.
	 */
	bool Next(Event &ev);

	/* Offset of the next event in the file. */
	uint64_t Position() const { return pos_; }
	const std::string &Name() const { return name_; }
	Decoder &GetDecoder() { return decoder_; }
	const std::vector<uint8_t> &Data() const { return data_; }

private:
	void CheckMagic();

	std::string name_;
	std::vector<uint8_t> data_;
	size_t pos_ = 0;
	Decoder decoder_;

	/* Pending inner events of the last TRANSACTION_PAYLOAD_EVENT. */
	TransactionPayloadEvent payload_;
	size_t payload_pos_ = 0;
	uint64_t payload_offset_ = 0;
};

}  // namespace synchdb::binlog

#include "core/cpp_only.hpp"
