// SPDX-License-Identifier: LGPL-2.1-or-later
#include "local-producers.h"

#include <map>
#include <mutex>

namespace webrtclive {

namespace {

std::mutex registry_mutex;
std::map<std::string, GstElement *> &registry() {  // peer id -> element (not a reference: forgotten at its stop)
  static auto *r = new std::map<std::string, GstElement *>;
  return *r;
}

// The outermost bin holding `o` (a new reference).
GstObject *top_level(GstObject *o) {
  gst_object_ref(o);
  while (GstObject *parent = gst_object_get_parent(o)) {
    gst_object_unref(o);
    o = parent;
  }
  return o;
}

}  // namespace

void register_local_producer(const std::string &peer_id, GstElement *element) {
  if (peer_id.empty()) return;
  std::lock_guard lock(registry_mutex);
  registry()[peer_id] = element;
}

void forget_local_producers(GstElement *element) {
  std::lock_guard lock(registry_mutex);
  auto &r = registry();
  for (auto it = r.begin(); it != r.end();) it = it->second == element ? r.erase(it) : std::next(it);
}

bool is_producer_of_own_pipeline(const std::string &peer_id, GstElement *element) {
  GstElement *producer = nullptr;
  {
    std::lock_guard lock(registry_mutex);
    auto it = registry().find(peer_id);
    // Referenced under the lock: the element forgets its ids before it can go.
    if (it != registry().end()) producer = GST_ELEMENT(gst_object_ref(it->second));
  }
  if (!producer) return false;
  GstObject *a = top_level(GST_OBJECT(producer)), *b = top_level(GST_OBJECT(element));
  const bool same = a == b;
  gst_object_unref(a);
  gst_object_unref(b);
  gst_object_unref(producer);
  return same;
}

}  // namespace webrtclive
