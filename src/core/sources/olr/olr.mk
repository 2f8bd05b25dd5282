# olr.mk: build rules of the OpenLogReplicator source (src/core/sources/olr).
#
# Included from the top Makefile before PGXS.  protoc generates the C++ of
# olr.proto at build time into build/olr/ (not committed); the generated
# object joins the module (OLR_OBJS in OBJS) and the unit tests
# (UNIT_CORE_OBJS), which also link OLR_LIBS.  Only protocol.cpp (and the
# tests' stand-in server, through protocol.hpp) include the generated
# header.  Packages: protobuf-compiler, libprotobuf-dev (scripts/deps.sh).

olr_saved_default_goal := $(.DEFAULT_GOAL)

OLR_DIR     = src/core/sources/olr
OLR_GEN_DIR = build/olr
PROTOC     ?= protoc
OLR_OBJS    = $(OLR_GEN_DIR)/olr.pb.o
OLR_LIBS    = -lprotobuf

$(OLR_GEN_DIR)/olr.pb.cc $(OLR_GEN_DIR)/olr.pb.h: $(OLR_DIR)/olr.proto
	@mkdir -p $(OLR_GEN_DIR)
	$(PROTOC) --proto_path=$(OLR_DIR) --cpp_out=$(OLR_GEN_DIR) $<

$(OLR_GEN_DIR)/olr.pb.o: $(OLR_GEN_DIR)/olr.pb.cc $(OLR_GEN_DIR)/olr.pb.h
	$(CXX) $(SYNCHDB_CXXFLAGS) -Wno-unused-parameter -I$(OLR_GEN_DIR) -c -o $@ $<

# protocol.cpp includes the generated header: generate it first.
$(OLR_DIR)/protocol.o: $(OLR_GEN_DIR)/olr.pb.h
$(OLR_DIR)/protocol.o: override CPPFLAGS += -I$(OLR_GEN_DIR)

# Leave the default goal to the Makefile (PGXS's "all").
.DEFAULT_GOAL := $(olr_saved_default_goal)
