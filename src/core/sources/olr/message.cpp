/*
 * message.cpp
 *     The zero-copy scanner of OpenLogReplicator JSON messages.
 */
#include "core/sources/olr/message.hpp"
#include "core/strings.hpp"

#include <cstring>

#include "core/error.hpp"
#include "core/sources/olr/types.hpp"

namespace synchdb::olr {

const char *OpName(Op op)
{
	switch (op) {
	case Op::Begin: return "begin";
	case Op::Commit: return "commit";
	case Op::Insert: return "c";
	case Op::Update: return "u";
	case Op::Delete: return "d";
	case Op::Ddl: return "ddl";
	case Op::Checkpoint: return "chkpt";
	case Op::Other: return "other";
	}
	return "?";
}

void Payload::Reset()
{
	op = Op::Other;
	op_text = {};
	owner = table = {};
	obj.reset();
	has_columns = has_before = has_after = false;
	columns.clear();
	before.clear();
	after.clear();
	sql = {};
	rid = {};
	seq.reset();
	offset.reset();
	num.reset();
	redo = false;
}

std::optional<uint64_t> ParseU64(std::string_view s)
{
	if (s.empty() || s.size() > 20)
		return std::nullopt;
	uint64_t v = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return std::nullopt;
		uint64_t d = static_cast<uint64_t>(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return std::nullopt;
		v = v * 10 + d;
	}
	return v;
}

std::optional<uint64_t> ParseScnText(std::string_view s)
{
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s.remove_prefix(2);
		if (s.empty() || s.size() > 16)
			return std::nullopt;
		uint64_t v = 0;
		for (char c : s) {
			int d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return std::nullopt;
			v = v << 4 | static_cast<uint64_t>(d);
		}
		return v;
	}
	return ParseU64(s);
}

namespace {

int HexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool Hex4(const char *p, const char *end, uint32_t &v)
{
	if (end - p < 4)
		return false;
	v = 0;
	for (int i = 0; i < 4; i++) {
		int d = HexDigit(p[i]);
		if (d < 0)
			return false;
		v = v << 4 | static_cast<uint32_t>(d);
	}
	return true;
}

[[noreturn]] void BadString(const char *what)
{
	throw Error(sqlstate::kDataCorrupted, std::string("malformed OpenLogReplicator message: ") + what);
}

/* Byte classes for the string scan: 1 = stop (quote, backslash, control character). */
struct StopTable {
	bool stop[256];
	constexpr StopTable() : stop()
	{
		for (int i = 0; i < 0x20; i++)
			stop[i] = true;
		stop[static_cast<unsigned char>('"')] = true;
		stop[static_cast<unsigned char>('\\')] = true;
	}
};
constexpr StopTable kStop;

class Scanner {
public:
	Scanner(const char *begin, const char *end, Message &msg, std::deque<std::string> &keys)
		: begin_(begin), p_(begin), end_(end), msg_(msg), keys_(keys)
	{
	}

	void Document();

private:
	[[noreturn]] void Fail(const char *what) const
	{
		throw Error(sqlstate::kDataCorrupted,
		            std::string("malformed OpenLogReplicator message: ") + what + " at byte " +
		                std::to_string(p_ - begin_),
		            "message of " + std::to_string(end_ - begin_) + " bytes: " +
		                std::string(begin_, std::min<size_t>(end_ - begin_, 200)));
	}

	void Ws()
	{
		while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
			p_++;
	}
	void Expect(char c)
	{
		Ws();
		if (p_ >= end_ || *p_ != c) {
			char buf[32];
			snprintf(buf, sizeof buf, "expected '%c'", c);
			Fail(buf);
		}
		p_++;
	}
	bool Peek(char c)
	{
		Ws();
		return p_ < end_ && *p_ == c;
	}

	/* After the opening quote; returns the raw content. */
	std::string_view String(bool &escaped)
	{
		const char *s = p_;
		escaped = false;
		for (;;) {
			while (p_ < end_ && !kStop.stop[static_cast<unsigned char>(*p_)])
				p_++;
			if (p_ >= end_)
				Fail("unterminated string");
			char c = *p_;
			if (c == '"') {
				std::string_view v(s, p_ - s);
				p_++;
				return v;
			}
			if (c == '\\') {
				escaped = true;
				if (end_ - p_ < 2)
					Fail("unterminated escape");
				char e = p_[1];
				if (e == 'u') {
					uint32_t v;
					if (!Hex4(p_ + 2, end_, v))
						Fail("bad \\u escape");
					p_ += 6;
				} else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
				           e == 't')
					p_ += 2;
				else
					Fail("bad escape");
				continue;
			}
			Fail("control character in string");
		}
	}

	std::string_view Key()
	{
		Ws();
		if (p_ >= end_ || *p_ != '"')
			Fail("expected a key");
		p_++;
		bool esc;
		std::string_view k = String(esc);
		if (esc) {
			JValue v{JValue::Kind::String, true, k};
			keys_.emplace_back();
			AppendUnescaped(keys_.back(), v);
			k = keys_.back();
		}
		Expect(':');
		return k;
	}

	std::string_view Number()
	{
		const char *s = p_;
		if (p_ < end_ && *p_ == '-')
			p_++;
		if (p_ >= end_)
			Fail("bad number");
		if (*p_ == '0')
			p_++;
		else if (*p_ >= '1' && *p_ <= '9') {
			while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
				p_++;
		} else
			Fail("bad number");
		if (p_ < end_ && *p_ == '.') {
			p_++;
			if (p_ >= end_ || *p_ < '0' || *p_ > '9')
				Fail("bad number");
			while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
				p_++;
		}
		if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
			p_++;
			if (p_ < end_ && (*p_ == '+' || *p_ == '-'))
				p_++;
			if (p_ >= end_ || *p_ < '0' || *p_ > '9')
				Fail("bad number");
			while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
				p_++;
		}
		return std::string_view(s, p_ - s);
	}

	bool Literal(const char *word, size_t n)
	{
		if (static_cast<size_t>(end_ - p_) >= n && memcmp(p_, word, n) == 0) {
			p_ += n;
			return true;
		}
		return false;
	}

	void Value(JValue &v, int depth)
	{
		v.escaped = false;
		Ws();
		if (p_ >= end_)
			Fail("expected a value");
		switch (*p_) {
		case '"':
			p_++;
			v.kind = JValue::Kind::String;
			v.raw = String(v.escaped);
			return;
		case 'n':
			if (!Literal("null", 4))
				Fail("bad literal");
			v.kind = JValue::Kind::Null;
			v.raw = {};
			return;
		case 't':
			if (!Literal("true", 4))
				Fail("bad literal");
			v.kind = JValue::Kind::True;
			v.raw = "true";
			return;
		case 'f':
			if (!Literal("false", 5))
				Fail("bad literal");
			v.kind = JValue::Kind::False;
			v.raw = "false";
			return;
		case '{':
		case '[': {
			const char *s = p_;
			Skip(depth);
			v.kind = JValue::Kind::Composite;
			v.raw = std::string_view(s, p_ - s);
			return;
		}
		default:
			v.kind = JValue::Kind::Number;
			v.escaped = false;
			v.raw = Number();
			return;
		}
	}

	/* Skip any value. */
	void Skip(int depth)
	{
		if (depth > kMaxDepth)
			Fail("nesting too deep");
		Ws();
		if (p_ >= end_)
			Fail("expected a value");
		if (*p_ == '{') {
			p_++;
			if (Peek('}')) {
				p_++;
				return;
			}
			for (;;) {
				Key();
				Skip(depth + 1);
				if (Peek(',')) {
					p_++;
					continue;
				}
				Expect('}');
				return;
			}
		}
		if (*p_ == '[') {
			p_++;
			if (Peek(']')) {
				p_++;
				return;
			}
			for (;;) {
				Skip(depth + 1);
				if (Peek(',')) {
					p_++;
					continue;
				}
				Expect(']');
				return;
			}
		}
		JValue v;
		Value(v, depth);
	}

	uint64_t U64(const char *key)
	{
		Ws();
		std::string_view t = Number();
		auto v = ParseU64(t);
		if (!v) {
			std::string m = std::string("\"") + key + "\" is not an unsigned 64-bit integer";
			Fail(m.c_str());
		}
		return *v;
	}
	uint64_t ScnString(const char *key)
	{
		Ws();
		if (p_ >= end_ || *p_ != '"')
			Fail("expected a string");
		p_++;
		bool esc;
		std::string_view s = String(esc);
		auto v = ParseScnText(s);
		if (!v || esc) {
			std::string m = std::string("\"") + key + "\" is not an SCN";
			Fail(m.c_str());
		}
		return *v;
	}
	std::string_view PlainString(const char *key)
	{
		Ws();
		if (p_ >= end_ || *p_ != '"') {
			std::string m = std::string("\"") + key + "\" is not a string";
			Fail(m.c_str());
		}
		p_++;
		bool esc;
		std::string_view s = String(esc);
		if (esc) {
			keys_.emplace_back();
			AppendUnescaped(keys_.back(), JValue{JValue::Kind::String, true, s});
			return keys_.back();
		}
		return s;
	}
	int64_t I64(const char *key)
	{
		Ws();
		std::string_view t = Number();
		bool neg = !t.empty() && t[0] == '-';
		auto v = ParseU64(neg ? t.substr(1) : t);
		if (!v || *v > static_cast<uint64_t>(INT64_MAX)) {
			std::string m = std::string("\"") + key + "\" is not an integer";
			Fail(m.c_str());
		}
		return neg ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
	}

	void Image(std::vector<ColumnRef> &cols)
	{
		Expect('{');
		if (Peek('}')) {
			p_++;
			return;
		}
		for (;;) {
			ColumnRef &c = cols.emplace_back();
			c.name = Key();
			Value(c.value, 2);
			if (Peek(',')) {
				p_++;
				continue;
			}
			Expect('}');
			return;
		}
	}

	void Columns(Payload &pl)
	{
		pl.has_columns = true;
		Expect('[');
		if (Peek(']')) {
			p_++;
			return;
		}
		for (;;) {
			SchemaColumnRef &c = pl.columns.emplace_back();
			Expect('{');
			if (!Peek('}')) {
				for (;;) {
					std::string_view k = Key();
					if (k == "name")
						c.name = PlainString("name");
					else if (k == "type")
						c.type = PlainString("type");
					else if (k == "length")
						c.length = I64("length");
					else if (k == "precision")
						c.precision = I64("precision");
					else if (k == "scale")
						c.scale = I64("scale");
					else if (k == "nullable") {
						JValue v;
						Value(v, 4);
						if (v.kind == JValue::Kind::True)
							c.nullable = true;
						else if (v.kind == JValue::Kind::False)
							c.nullable = false;
						else if (v.kind == JValue::Kind::Number)
							c.nullable = v.raw != "0";
						else
							Fail("\"nullable\" is not a boolean");
					} else
						Skip(4);
					if (Peek(',')) {
						p_++;
						continue;
					}
					break;
				}
			}
			Expect('}');
			if (Peek(',')) {
				p_++;
				continue;
			}
			Expect(']');
			return;
		}
	}

	void Schema(Payload &pl)
	{
		Expect('{');
		if (Peek('}')) {
			p_++;
			return;
		}
		for (;;) {
			std::string_view k = Key();
			if (k == "owner")
				pl.owner = PlainString("owner");
			else if (k == "table")
				pl.table = PlainString("table");
			else if (k == "obj")
				pl.obj = U64("obj");
			else if (k == "columns")
				Columns(pl);
			else
				Skip(3);
			if (Peek(',')) {
				p_++;
				continue;
			}
			Expect('}');
			return;
		}
	}

	static Op OpOf(std::string_view t)
	{
		if (t.size() == 1) {
			switch (t[0]) {
			case 'c': return Op::Insert;
			case 'u': return Op::Update;
			case 'd': return Op::Delete;
			}
			return Op::Other;
		}
		if (t == "begin")
			return Op::Begin;
		if (t == "commit")
			return Op::Commit;
		if (t == "ddl")
			return Op::Ddl;
		if (t == "chkpt")
			return Op::Checkpoint;
		return Op::Other;
	}

	void PayloadItem(Payload &pl)
	{
		pl.Reset();
		Expect('{');
		if (Peek('}')) {
			p_++;
			Fail("payload element without \"op\"");
		}
		bool have_op = false;
		for (;;) {
			std::string_view k = Key();
			switch (k.size()) {
			case 2:
				if (k == "op") {
					pl.op_text = PlainString("op");
					pl.op = OpOf(pl.op_text);
					have_op = true;
				} else
					Skip(2);
				break;
			case 3:
				if (k == "sql" || k == "ddl") {
					Value(pl.sql, 2);
					if (pl.sql.kind != JValue::Kind::String && pl.sql.kind != JValue::Kind::Null)
						Fail("\"sql\" is not a string");
				} else if (k == "rid")
					pl.rid = PlainString("rid");
				else if (k == "seq")
					pl.seq = U64("seq");
				else if (k == "num")
					pl.num = U64("num");
				else
					Skip(2);
				break;
			case 4:
				if (k == "redo") {
					JValue v;
					Value(v, 2);
					pl.redo = v.kind == JValue::Kind::True;
				} else
					Skip(2);
				break;
			case 5:
				if (k == "after") {
					if (pl.has_after)
						Fail("duplicate \"after\"");
					pl.has_after = true;
					Image(pl.after);
				} else
					Skip(2);
				break;
			case 6:
				if (k == "before") {
					if (pl.has_before)
						Fail("duplicate \"before\"");
					pl.has_before = true;
					Image(pl.before);
				} else if (k == "schema")
					Schema(pl);
				else if (k == "offset")
					pl.offset = U64("offset");
				else
					Skip(2);
				break;
			default: Skip(2);
			}
			if (Peek(',')) {
				p_++;
				continue;
			}
			Expect('}');
			break;
		}
		if (!have_op)
			Fail("payload element without \"op\"");
	}

	void PayloadArray()
	{
		Expect('[');
		if (Peek(']')) {
			p_++;
			return;
		}
		for (;;) {
			if (msg_.npayload_ == msg_.payloads_.size())
				msg_.payloads_.emplace_back();
			PayloadItem(msg_.payloads_[msg_.npayload_++]);
			if (Peek(',')) {
				p_++;
				continue;
			}
			Expect(']');
			return;
		}
	}

	const char *begin_;
	const char *p_;
	const char *end_;
	Message &msg_;
	std::deque<std::string> &keys_;
};

void Scanner::Document()
{
	Message &m = msg_;
	Expect('{');
	bool have_payload = false;
	if (!Peek('}')) {
		for (;;) {
			std::string_view k = Key();
			/* Dispatch on the first letter and length: the header has few keys. */
			if (k == "c_scn")
				m.c_scn = U64("c_scn");
			else if (k == "c_idx")
				m.c_idx = U64("c_idx");
			else if (k == "xid")
				m.xid = PlainString("xid");
			else if (k == "payload") {
				if (have_payload)
					Fail("duplicate \"payload\"");
				have_payload = true;
				PayloadArray();
			} else if (k == "scn")
				m.scn = U64("scn");
			else if (k == "scns")
				m.scn = ScnString("scns");
			else if (k == "tm" || k == "tms") {
				Value(m.tm, 1);
			} else if (k == "b_scn")
				m.b_scn = U64("b_scn");
			else if (k == "b_scns")
				m.b_scn = ScnString("b_scns");
			else if (k == "e_scn")
				m.e_scn = U64("e_scn");
			else if (k == "e_scns")
				m.e_scn = ScnString("e_scns");
			else if (k == "b_tm" || k == "b_tms")
				Value(m.b_tm, 1);
			else if (k == "e_tm" || k == "e_tms")
				Value(m.e_tm, 1);
			else if (k == "xidn")
				m.xidn = U64("xidn");
			else if (k == "db")
				m.db = PlainString("db");
			else if (k == "usr")
				m.usr = PlainString("usr");
			else if (k == "rth")
				m.rth = U64("rth");
			else
				Skip(1);
			if (Peek(',')) {
				p_++;
				continue;
			}
			break;
		}
	}
	Expect('}');
	Ws();
	if (p_ != end_)
		Fail("trailing characters after the message");
	if (!have_payload)
		Fail("message without \"payload\"");
}

}  // namespace

void AppendUnescaped(std::string &out, const JValue &v)
{
	if (!v.escaped) {
		out.append(v.raw);
		return;
	}
	const char *p = v.raw.data();
	const char *end = p + v.raw.size();
	while (p < end) {
		const char *s = p;
		while (p < end && *p != '\\')
			p++;
		out.append(s, p - s);
		if (p >= end)
			break;
		if (end - p < 2)
			BadString("unterminated escape");
		char e = p[1];
		p += 2;
		if (AppendJsonSimpleEscape(e, out))
			continue;
		switch (e) {
		case 'u': {
			uint32_t cp;
			if (!Hex4(p, end, cp))
				BadString("bad \\u escape");
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;
				if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && Hex4(p + 2, end, lo) && lo >= 0xDC00 &&
				    lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				} else
					BadString("unpaired UTF-16 surrogate in \\u escape");
			} else if (cp >= 0xDC00 && cp <= 0xDFFF)
				BadString("unpaired UTF-16 surrogate in \\u escape");
			if (cp == 0)
				BadString("\\u0000 cannot be stored in PostgreSQL text");
			AppendUtf8(out, cp);
			break;
		}
		default: BadString("bad escape");
		}
	}
}

std::string_view StringValue(const JValue &v, std::string &scratch)
{
	if (!v.escaped)
		return v.raw;
	scratch.clear();
	AppendUnescaped(scratch, v);
	return scratch;
}

const Message &MessageDecoder::Decode(std::string_view text)
{
	Message &m = msg_;
	m.scn.reset();
	m.b_scn.reset();
	m.e_scn.reset();
	m.tm = m.b_tm = m.e_tm = JValue{};
	m.c_scn.reset();
	m.c_idx.reset();
	m.xid = {};
	m.xidn.reset();
	m.db = m.usr = {};
	m.rth.reset();
	m.npayload_ = 0;
	keys_.clear();
	Scanner s(text.data(), text.data() + text.size(), m, keys_);
	s.Document();
	return m;
}

uint64_t TimestampUsec(const JValue &v, int unit)
{
	std::string_view t = v.raw;
	if (v.kind != JValue::Kind::Number && v.kind != JValue::Kind::String)
		return 0;
	if (v.kind == JValue::Kind::String && !t.empty() && (t.find('-') != std::string_view::npos && t.size() >= 10)) {
		int64_t usec;
		if (ParseIsoTimestampUsec(t, usec) && usec > 0)
			return static_cast<uint64_t>(usec);
		return 0;
	}
	auto n = ParseU64(t);
	if (!n)
		return 0;
	int u = unit >= 0 ? unit % 4 : -1;
	if (u < 0)
		u = *n > 100000000000000000ull ? 0 : *n > 100000000000000ull ? 1 : *n > 100000000000ull ? 2 : 3;
	switch (u) {
	case 0: return *n / 1000;
	case 1: return *n;
	case 2: return *n * 1000;
	default: return *n * 1000000;
	}
}

}  // namespace synchdb::olr
