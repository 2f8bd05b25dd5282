/*
 * file_reader.cpp
 *     Iterate the events of a binlog or relay-log file.
 *
 * NOTES
 *   See file_reader.hpp.  The only framing is the event_size field at byte
 *   9 of each common header; everything else is the Decoder's business.
 */
#include "core/sources/mysql/binlog/file_reader.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace synchdb::binlog {

FileReader::FileReader(const std::string &path, Decoder::Options options) : name_(path), decoder_(options)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw Error(sqlstate::kUndefinedFile, "could not open binlog file " + Quoted(path), std::strerror(errno));
	data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
	if (in.bad())
		throw Error(sqlstate::kUndefinedFile, "could not read binlog file " + Quoted(path), std::strerror(errno));
	CheckMagic();
}

FileReader::FileReader(std::vector<uint8_t> data, std::string name, Decoder::Options options)
	: name_(std::move(name)), data_(std::move(data)), decoder_(options)
{
	CheckMagic();
}

void FileReader::CheckMagic()
{
	if (data_.size() < 4 || std::memcmp(data_.data(), kBinlogMagic, 4) != 0)
		throw Error(sqlstate::kDataCorrupted, "file " + Quoted(name_) + " is not a binlog file",
					"It does not start with the binlog magic bytes 0xfe 'b' 'i' 'n'.");
	pos_ = 4;
}

bool FileReader::Next(Event &ev)
{
	if (payload_.events) {
		if (decoder_.DecodeInner(payload_, &payload_pos_, payload_offset_, ev))
			return true;
		payload_ = TransactionPayloadEvent();
		payload_pos_ = 0;
	}

	if (pos_ >= data_.size())
		return false;

	size_t left = data_.size() - pos_;
	if (left < kHeaderSize)
		throw Error(sqlstate::kDataCorrupted,
					"binlog event at offset " + std::to_string(pos_) + " is truncated: event header needs " +
						std::to_string(kHeaderSize - left) + " more bytes",
					"The file " + Quoted(name_) + " ends in the middle of an event header.",
					"The binlog file is incomplete; it may still be being written.");
	uint32_t size = static_cast<uint32_t>(LoadLE(data_.data() + pos_ + 9, 4));
	uint8_t type = data_[pos_ + 4];
	if (size < kHeaderSize)
		throw Error(sqlstate::kDataCorrupted,
					"binlog event at offset " + std::to_string(pos_) + " is corrupt: " + EventTypeName(type) +
						" has an event size of " + std::to_string(size) + " bytes",
					"The file " + Quoted(name_) + " is damaged.");
	if (size > left)
		throw Error(sqlstate::kDataCorrupted,
					"binlog event at offset " + std::to_string(pos_) + " is truncated: " + EventTypeName(type) +
						" needs " + std::to_string(size - left) + " more bytes",
					"The file " + Quoted(name_) + " ends in the middle of an event.",
					"The binlog file is incomplete; it may still be being written.");

	uint64_t offset = pos_;
	ev = decoder_.Decode(Bytes(data_.data() + pos_, size), offset);
	pos_ += size;

	/*
	 * MariaDB encrypted binlogs: every event after this one is encrypted
	 * with a key from the server's key management plugin.  (A replication
	 * stream is decrypted by the server before it is sent.)
	 */
	if (ev.header.type() == EventType::kMariaStartEncryption)
		throw Error(sqlstate::kFeatureNotSupported,
					"binlog file " + Quoted(name_) + " is encrypted, which synchdb does not support",
					"START_ENCRYPTION_EVENT at offset " + std::to_string(offset) + ".",
					"Read the binlog through the replication protocol, which delivers decrypted events.");

	if (auto *p = ev.As<TransactionPayloadEvent>()) {
		payload_ = *p;
		payload_pos_ = 0;
		payload_offset_ = offset;
	}
	return true;
}

}  // namespace synchdb::binlog
