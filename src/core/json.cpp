/*
 * json.cpp
 *     Recursive-descent JSON parser and compact writer (RFC 8259).
 */
#include "core/json.hpp"
#include "core/strings.hpp"

#include <charconv>
#include <cstring>

#include "core/error.hpp"

namespace synchdb::json {

Value Value::MakeBool(bool b)
{
	Value v;
	v.kind_ = Kind::Bool;
	v.bool_ = b;
	return v;
}

Value Value::MakeNumber(std::string text)
{
	Value v;
	v.kind_ = Kind::Number;
	v.text_ = std::move(text);
	return v;
}

Value Value::MakeInt(int64_t i)
{
	return MakeNumber(std::to_string(i));
}

Value Value::MakeString(std::string s)
{
	Value v;
	v.kind_ = Kind::String;
	v.text_ = std::move(s);
	return v;
}

Value Value::MakeArray()
{
	Value v;
	v.kind_ = Kind::Array;
	return v;
}

Value Value::MakeObject()
{
	Value v;
	v.kind_ = Kind::Object;
	return v;
}

std::optional<int64_t> Value::AsInt() const
{
	if (kind_ != Kind::Number)
		return std::nullopt;
	int64_t out = 0;
	const char *b = text_.data();
	const char *e = b + text_.size();
	auto [p, ec] = std::from_chars(b, e, out);
	if (ec != std::errc() || p != e)
		return std::nullopt;
	return out;
}

const Value *Value::Find(std::string_view key) const
{
	for (const auto &m : members_)
		if (m.first == key)
			return &m.second;
	return nullptr;
}

Value &Value::Push(Value v)
{
	items_.push_back(std::move(v));
	return items_.back();
}

Value &Value::Set(std::string key, Value v)
{
	for (auto &m : members_)
		if (m.first == key) {
			m.second = std::move(v);
			return m.second;
		}
	members_.emplace_back(std::move(key), std::move(v));
	return members_.back().second;
}

const char *Value::KindName(Kind k)
{
	switch (k) {
	case Kind::Null: return "null";
	case Kind::Bool: return "a boolean";
	case Kind::Number: return "a number";
	case Kind::String: return "a string";
	case Kind::Array: return "an array";
	case Kind::Object: return "an object";
	}
	return "?";
}

namespace {

/* Nesting deeper than this is refused rather than risking the stack. */
constexpr int kMaxDepth = 200;

class Parser {
public:
	explicit Parser(std::string_view text) : s_(text) {}

	Value ParseDocument()
	{
		SkipSpace();
		Value v = ParseValue(0);
		SkipSpace();
		if (pos_ != s_.size())
			Fail("unexpected text after the end of the JSON document");
		return v;
	}

private:
	[[noreturn]] void Fail(const std::string &what)
	{
		int line = 1, col = 1;
		for (size_t i = 0; i < pos_ && i < s_.size(); i++) {
			if (s_[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		throw Error(sqlstate::kInvalidJsonText,
		            "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + what);
	}

	void SkipSpace()
	{
		while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
			pos_++;
	}

	bool Consume(std::string_view lit)
	{
		if (s_.substr(pos_, lit.size()) == lit) {
			pos_ += lit.size();
			return true;
		}
		return false;
	}

	Value ParseValue(int depth)
	{
		if (depth > kMaxDepth)
			Fail("nesting is deeper than " + std::to_string(kMaxDepth) + " levels");
		if (pos_ >= s_.size())
			Fail("unexpected end of input, expected a value");
		char c = s_[pos_];
		switch (c) {
		case '{': return ParseObject(depth);
		case '[': return ParseArray(depth);
		case '"': return Value::MakeString(ParseString());
		case 't':
			if (Consume("true"))
				return Value::MakeBool(true);
			break;
		case 'f':
			if (Consume("false"))
				return Value::MakeBool(false);
			break;
		case 'n':
			if (Consume("null"))
				return Value::MakeNull();
			break;
		default:
			if (c == '-' || (c >= '0' && c <= '9'))
				return ParseNumber();
		}
		Fail(std::string("unexpected character '") + c + "', expected a value");
	}

	Value ParseObject(int depth)
	{
		Value obj = Value::MakeObject();
		pos_++; /* { */
		SkipSpace();
		if (Consume("}"))
			return obj;
		for (;;) {
			SkipSpace();
			if (pos_ >= s_.size() || s_[pos_] != '"')
				Fail("expected a member name in double quotes");
			std::string key = ParseString();
			SkipSpace();
			if (!Consume(":"))
				Fail("expected ':' after member name \"" + key + "\"");
			SkipSpace();
			if (obj.Find(key))
				Fail("duplicate member name \"" + key + "\"");
			obj.Set(std::move(key), ParseValue(depth + 1));
			SkipSpace();
			if (Consume(","))
				continue;
			if (Consume("}"))
				return obj;
			Fail("expected ',' or '}' in object");
		}
	}

	Value ParseArray(int depth)
	{
		Value arr = Value::MakeArray();
		pos_++; /* [ */
		SkipSpace();
		if (Consume("]"))
			return arr;
		for (;;) {
			SkipSpace();
			arr.Push(ParseValue(depth + 1));
			SkipSpace();
			if (Consume(","))
				continue;
			if (Consume("]"))
				return arr;
			Fail("expected ',' or ']' in array");
		}
	}

	uint32_t ParseHex4()
	{
		if (pos_ + 4 > s_.size())
			Fail("truncated \\u escape");
		uint32_t v = 0;
		for (int i = 0; i < 4; i++) {
			char c = s_[pos_++];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				Fail("invalid hex digit in \\u escape");
		}
		return v;
	}

	std::string ParseString()
	{
		std::string out;
		pos_++; /* opening quote */
		for (;;) {
			if (pos_ >= s_.size())
				Fail("unterminated string");
			char c = s_[pos_++];
			if (c == '"')
				return out;
			if (static_cast<unsigned char>(c) < 0x20)
				Fail("control character in string; escape it");
			if (c != '\\') {
				out += c;
				continue;
			}
			if (pos_ >= s_.size())
				Fail("unterminated escape");
			char e = s_[pos_++];
			if (AppendJsonSimpleEscape(e, out))
				continue;
			switch (e) {
			case 'u': {
				uint32_t cp = ParseHex4();
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (!Consume("\\u"))
						Fail("lone high surrogate in \\u escape");
					uint32_t lo = ParseHex4();
					if (lo < 0xDC00 || lo > 0xDFFF)
						Fail("invalid low surrogate in \\u escape");
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				} else if (cp >= 0xDC00 && cp <= 0xDFFF)
					Fail("lone low surrogate in \\u escape");
				if (cp == 0)
					Fail("\\u0000 is not allowed");
				AppendUtf8(out, cp);
				break;
			}
			default: Fail(std::string("invalid escape '\\") + e + "'");
			}
		}
	}

	Value ParseNumber()
	{
		size_t start = pos_;
		auto digits = [&] {
			size_t n = 0;
			while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
				pos_++;
				n++;
			}
			return n;
		};
		Consume("-");
		if (Consume("0")) {
			/* no leading zeros */
		} else if (digits() == 0)
			Fail("invalid number");
		if (Consume(".") && digits() == 0)
			Fail("invalid number: digits expected after '.'");
		if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
			pos_++;
			if (!Consume("+"))
				Consume("-");
			if (digits() == 0)
				Fail("invalid number: digits expected in exponent");
		}
		return Value::MakeNumber(std::string(s_.substr(start, pos_ - start)));
	}

	std::string_view s_;
	size_t pos_ = 0;
};

void WriteTo(std::string &out, const Value &v)
{
	switch (v.kind()) {
	case Value::Kind::Null: out += "null"; break;
	case Value::Kind::Bool: out += v.AsBool() ? "true" : "false"; break;
	case Value::Kind::Number: out += v.NumberText(); break;
	case Value::Kind::String: AppendQuoted(out, v.AsString()); break;
	case Value::Kind::Array: {
		out += '[';
		bool first = true;
		for (const auto &item : v.Items()) {
			if (!first)
				out += ',';
			first = false;
			WriteTo(out, item);
		}
		out += ']';
		break;
	}
	case Value::Kind::Object: {
		out += '{';
		bool first = true;
		for (const auto &[key, val] : v.Members()) {
			if (!first)
				out += ',';
			first = false;
			AppendQuoted(out, key);
			out += ':';
			WriteTo(out, val);
		}
		out += '}';
		break;
	}
	}
}

}  // namespace

Value Parse(std::string_view text)
{
	return Parser(text).ParseDocument();
}

void AppendQuoted(std::string &out, std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	out += '"';
	for (char c : s) {
		switch (c) {
		case '"': out += "\\\""; break;
		case '\\': out += "\\\\"; break;
		case '\n': out += "\\n"; break;
		case '\r': out += "\\r"; break;
		case '\t': out += "\\t"; break;
		case '\b': out += "\\b"; break;
		case '\f': out += "\\f"; break;
		default:
			if (static_cast<unsigned char>(c) < 0x20) {
				out += "\\u00";
				out += hex[(c >> 4) & 0xF];
				out += hex[c & 0xF];
			} else
				out += c;
		}
	}
	out += '"';
}

std::string Write(const Value &v)
{
	std::string out;
	WriteTo(out, v);
	return out;
}

}  // namespace synchdb::json
