/*
 * rule_file.hpp
 *     The JSON rule file a connector may name (last argument of
 *     synchdb_add_conninfo): type translation, object names, expressions.
 *
 * NOTES
 *   Format, as SynchDB's rule files:
 *     { "transform_datatype_rules":   [ {"translate_from": "GEOMETRY",
 *                                        "translate_from_autoinc": false,
 *                                        "translate_to": "TEXT",
 *                                        "translate_to_size": 0}, ... ],
 *       "transform_objectname_rules": [ {"object_type": "table",
 *                                        "source_object": "inventory.orders",
 *                                        "destination_object": "schema1.orders"}, ... ],
 *       "transform_expression_rules": [ {"transform_from": "inventory.orders.quantity",
 *                                        "transform_expression": "case when %d < 500 then 0 else %d end"} ] }
 *   Every section is optional; any other key, a wrong value type or a
 *   missing required key is an error naming the file, the section, the rule
 *   number (1-based) and the key.  Whether a PostgreSQL type or expression
 *   is valid is checked by the PostgreSQL layer.
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace synchdb {

struct DatatypeRule {
	std::string translate_from; /* TYPE or db.table.column */
	bool translate_from_autoinc = false;
	std::string translate_to;
	int translate_to_size = -1; /* -1 keep source size, 0 none, N force */
};

struct ObjectNameRule {
	std::string object_type; /* "table" or "column" */
	std::string source_object;
	std::string destination_object;
};

struct ExpressionRule {
	std::string transform_from; /* db.table.column */
	std::string transform_expression;
};

struct RuleFile {
	std::vector<DatatypeRule> datatype_rules;
	std::vector<ObjectNameRule> objectname_rules;
	std::vector<ExpressionRule> expression_rules;
};

/* Parse rule file text; file_label (the path) is used in messages. */
RuleFile ParseRuleFile(std::string_view text, std::string_view file_label);

/*
 * Read and parse a file; a missing or unreadable file is a clear error.
 * Messages name the file as label (the name the user gave), or as path.
 */
/* The largest rule file read (bytes): a rule file holds rules, not data. */
inline constexpr long long kMaxRuleFileBytes = 16LL * 1024 * 1024;
RuleFile LoadRuleFile(const std::string &path, std::string_view label = {});

}  // namespace synchdb

#include "core/cpp_only.hpp"
