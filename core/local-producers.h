// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The producers this process runs, by their signalling peer id: a
// webrtclivesink records its id on each (re)registration. webrtclivesrc
// producers=all skips producers of its own pipeline, so a room pipeline
// (`webrtclivesrc producers=all ! compositor ! webrtclivesink`, both on one
// server) never consumes its own composite (decision 76).
//
// Threads: any; one process-wide leaf lock, never held while calling out.
#pragma once

#include <gst/gst.h>

#include <string>

namespace webrtclive {

void register_local_producer(const std::string &peer_id, GstElement *element);
// At the element's stop: all its ids.
void forget_local_producers(GstElement *element);
// True when `peer_id` is a producer of the same top-level pipeline as `element`.
bool is_producer_of_own_pipeline(const std::string &peer_id, GstElement *element);

}  // namespace webrtclive
