// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The producer link of webrtclivesrc, as SrcCore keeps it (private to
// core/src-*.cpp): its Session, the elements and pads it feeds, its figures.
#pragma once

#include "session.h"
#include "src-core.h"

namespace webrtclive {

struct SrcCore::Link {
  std::string sid;
  std::string producer;
  std::string name;  // the producer's meta.name ("" if none)
  std::string key;   // producers=all: in its pad names (the peer id, made pad-name safe)
  unsigned seq = 0;  // order of arrival
  std::shared_ptr<Session> session;    // control thread
  GRef<GstElement> webrtcbin;          // the session's, kept for teardown
  std::vector<GstElement *> elements;  // depayloaders, parsers, decoders (mutex_)
  std::vector<GstPad *> ghosts;        // ghost pads this link feeds (mutex_)
  unsigned video = 0, audio = 0;       // pads seen so far (mutex_)
  // Figures (core/src-stats.cpp): monotonic µs; the rest under mutex_.
  gint64 started_us = g_get_monotonic_time();
  StatsReading reading;
};

}  // namespace webrtclive
