/*
 * json.hpp
 *     A small JSON document model, parser and writer for the core.
 *
 * NOTES
 *   Used for connector definitions, rule files and offsets: documents of a
 *   few kilobytes, read once.  Objects keep their members in document order
 *   (rule files are ordered lists a user reads back in messages).  Numbers
 *   keep their source text so that a 64-bit binlog position or an unsigned
 *   value never passes through a double.
 *
 *   Parse errors throw synchdb::Error with SQLSTATE 22P02 and a message that
 *   names the line and column, so that a user can find the mistake in a rule
 *   file.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synchdb::json {

class Value {
public:
	enum class Kind { Null, Bool, Number, String, Array, Object };
	using Member = std::pair<std::string, Value>;

	Value() = default;
	static Value MakeNull() { return Value(); }
	static Value MakeBool(bool b);
	static Value MakeNumber(std::string text);
	static Value MakeInt(int64_t v);
	static Value MakeString(std::string s);
	static Value MakeArray();
	static Value MakeObject();

	Kind kind() const { return kind_; }
	bool IsNull() const { return kind_ == Kind::Null; }
	bool IsBool() const { return kind_ == Kind::Bool; }
	bool IsNumber() const { return kind_ == Kind::Number; }
	bool IsString() const { return kind_ == Kind::String; }
	bool IsArray() const { return kind_ == Kind::Array; }
	bool IsObject() const { return kind_ == Kind::Object; }

	bool AsBool() const { return bool_; }
	/* Number text as written in the document. */
	const std::string &NumberText() const { return text_; }
	/* Integer value of a number; nullopt if it is not an integer in range. */
	std::optional<int64_t> AsInt() const;
	const std::string &AsString() const { return text_; }
	const std::vector<Value> &Items() const { return items_; }
	const std::vector<Member> &Members() const { return members_; }

	/* Object member lookup (first match); nullptr when absent. */
	const Value *Find(std::string_view key) const;

	/* Builders. */
	Value &Push(Value v);
	Value &Set(std::string key, Value v);

	/* Name of a kind for messages: "an object", "a string", ... */
	static const char *KindName(Kind k);

private:
	Kind kind_ = Kind::Null;
	bool bool_ = false;
	std::string text_;            /* string value, or number text */
	std::vector<Value> items_;    /* array */
	std::vector<Member> members_; /* object */
};

/* Parse a complete document; trailing garbage is an error. */
Value Parse(std::string_view text);

/* Compact serialisation: {"a":1,"b":[true,null]} */
std::string Write(const Value &v);

/* Append s to out as a JSON string literal, quotes included. */
void AppendQuoted(std::string &out, std::string_view s);

}  // namespace synchdb::json

#include "core/cpp_only.hpp"
