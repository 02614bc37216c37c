// SPDX-License-Identifier: LGPL-2.1-or-later
#include "data-signals.h"

#include <cstring>
#include <map>
#include <mutex>

namespace webrtclive {

namespace {
// One send function per element class (two classes use this).
std::mutex registry_mutex;
std::map<GType, DataSendFn> registry;

DataSendFn send_fn_for(GstElement *element) {
  std::lock_guard lock(registry_mutex);
  for (GType t = G_OBJECT_TYPE(element); t; t = g_type_parent(t))
    if (auto it = registry.find(t); it != registry.end()) return it->second;
  return nullptr;
}

gboolean on_send_data(GstElement *element, const gchar *consumer, const gchar *label, GBytes *data) {
  DataSendFn send = send_fn_for(element);
  return send && label && data && send(element, consumer, label, data, false);
}

gboolean on_send_string(GstElement *element, const gchar *consumer, const gchar *label, const gchar *text) {
  DataSendFn send = send_fn_for(element);
  if (!send || !label || !text) return FALSE;
  GBytes *bytes = g_bytes_new(text, strlen(text));
  bool ok = send(element, consumer, label, bytes, true);
  g_bytes_unref(bytes);
  return ok;
}
}  // namespace

guint install_data_signals(GObjectClass *klass, DataSendFn send) {
  GType type = G_TYPE_FROM_CLASS(klass);
  {
    std::lock_guard lock(registry_mutex);
    registry[type] = send;
  }
  auto action = static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
  g_signal_new_class_handler("send-data", type, action, G_CALLBACK(on_send_data), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES);
  g_signal_new_class_handler("send-string", type, action, G_CALLBACK(on_send_string), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  return g_signal_new("data-received", type, G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr, G_TYPE_NONE, 4,
                      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_BOOLEAN);
}

}  // namespace webrtclive
