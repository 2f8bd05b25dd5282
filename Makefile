# synchdb: PGXS build of the extension, plus the core unit tests.
#
#   make                 build synchdb.so
#   make install         install it into the PostgreSQL found by $(PG_CONFIG)
#   make installcheck    SQL-level regression tests against a running server
#   make unittest        build and run the core unit tests (no PostgreSQL needed)
#
# The core (src/core) never includes postgres.h; src/pg and src/worker are the
# PostgreSQL layer.  Every .cpp below src/ is part of the module.

EXTENSION  = synchdb
MODULE_big = synchdb
DATA       = $(wildcard sql/synchdb--*.sql)
PGFILEDESC = "synchdb - replicate MySQL/MariaDB into PostgreSQL"

CORE_SRCS = $(sort $(shell find src/core -name "*.cpp"))
PG_SRCS   = $(sort $(wildcard src/pg/*.cpp src/worker/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o) $(OLR_OBJS)

REGRESS      = $(patsubst test/regress/sql/%.sql,%,$(sort $(wildcard test/regress/sql/*.sql)))
REGRESS_OPTS = --inputdir=test/regress --outputdir=test/regress --load-extension=pgcrypto

MARIADB_CFLAGS := $(shell pkg-config --cflags libmariadb 2>/dev/null)
MARIADB_LIBS   := $(shell pkg-config --libs libmariadb 2>/dev/null || echo -lmariadb)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)

# Flags for every C++ file; PG_CPPFLAGS reaches PGXS's CPPFLAGS.
SYNCHDB_CXXFLAGS = -std=c++20 -fPIC -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
                   -Wno-sign-compare -Wno-register -Werror=return-type -O2 -g
# libpq: the PostgreSQL source (src/core/sources/postgres) reads another cluster.
LIBPQ_CFLAGS := -I$(shell $(PG_CONFIG) --includedir)
LIBPQ_LIBS   := -L$(shell $(PG_CONFIG) --libdir) -lpq
PG_CPPFLAGS = -Iinclude -Isrc $(MARIADB_CFLAGS) $(LIBPQ_CFLAGS)
SHLIB_LINK  = $(MARIADB_LIBS) $(LIBPQ_LIBS) $(OLR_LIBS) -lzstd -lz -lstdc++ -lpthread

# No LLVM bitcode for JIT inlining: it would need clang and buys us nothing.
override with_llvm = no

# OpenLogReplicator source: protoc rules, OLR_OBJS, OLR_LIBS.
include src/core/sources/olr/olr.mk

include $(PGXS)

# C++ files must not get PostgreSQL's C-only warning flags.
override CXXFLAGS := $(SYNCHDB_CXXFLAGS) $(if $(filter 1,$(WERROR)),-Werror)

# The engine never names a source: outside src/core/sources nothing includes a
# source's header, and a source includes no other source's (the registry,
# src/core/sources/registry.cpp, is the one place that names them all).
# Checked on every build.
.PHONY: check-neutral
check-neutral:
	@bad=$$(grep -rlE '#include "core/sources/' src --include='*.cpp' --include='*.hpp' | grep -v '^src/core/sources/'); \
	for d in src/core/sources/*/; do \
		n=$$(basename $$d); \
		if grep -rhoE '#include "core/sources/[a-z0-9_]+/' $$d | grep -qv "core/sources/$$n/"; then bad="$$bad $$d"; fi; \
	done; \
	if [ -n "$$bad" ]; then echo "check-neutral: source-specific includes where they do not belong:" $$bad >&2; exit 1; fi
all: check-neutral

# Header dependencies.
DEPFLAGS = -MMD -MP
%.o: %.cpp
	$(CXX) $(CXXFLAGS) $(DEPFLAGS) $(CPPFLAGS) -c -o $@ $<
-include $(OBJS:.o=.d)

# ---------------------------------------------------------------- unit tests
UNIT_SRCS = $(sort $(wildcard test/unit/*.cpp))
UNIT_BIN  = test/unit/synchdb_unittest
# The core objects are the extension's own (the core needs no PostgreSQL), built once.
UNIT_CORE_OBJS = $(CORE_SRCS:.cpp=.o) $(OLR_OBJS)
UNIT_TEST_OBJS = $(patsubst test/unit/%.cpp,test/unit/obj/test/%.o,$(UNIT_SRCS))

test/unit/obj/test/%.o: test/unit/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(SYNCHDB_CXXFLAGS) $(if $(filter 1,$(WERROR)),-Werror) $(DEPFLAGS) -Iinclude -Isrc -Itest/unit $(MARIADB_CFLAGS) $(LIBPQ_CFLAGS) -c -o $@ $<
-include $(UNIT_TEST_OBJS:.o=.d)

$(UNIT_BIN): $(UNIT_CORE_OBJS) $(UNIT_TEST_OBJS)
	$(CXX) -o $@ $^ -lgtest -lgtest_main $(MARIADB_LIBS) $(LIBPQ_LIBS) $(OLR_LIBS) -lzstd -lz -lpthread

.PHONY: unittest
unittest: $(UNIT_BIN)
	SYNCHDB_FIXTURES=$(abspath test/fixtures) $(UNIT_BIN)

EXTRA_CLEAN = $(OBJS:.o=.d) build/olr test/unit/obj $(UNIT_BIN) test/regress/results test/regress/regression.*
