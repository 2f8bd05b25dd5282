/*
 * cpp_only.hpp
 *     Marker included last by every header of src/core.
 *
 * The core is plain C++: it must never see postgres.h, and PostgreSQL's
 * headers must never see it mixed into one translation unit the wrong way
 * round.  If postgres.h was included before a core header, stop the build.
 */
#pragma once

#ifdef POSTGRES_H
static_assert(false, "src/core headers must be included before any PostgreSQL header");
#endif
