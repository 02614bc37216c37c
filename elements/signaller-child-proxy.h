// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GstChildProxy for an element whose signaller is a child named "signaller"
// beside its bin's own children, so that gst-launch lines can say
// `webrtclivesink signaller::port=0` or `webrtclivesrc signaller::uri=...`.
// `Get` returns a new reference to the element's signaller (or NULL).
// Its data pads are children too, by name: `webrtclivesink name=s
// data_1::label=fast data_1::ordered=false appsrc ! s.data_1` (gst-launch
// sets such properties when the pad is requested: the element announces
// each data pad with gst_child_proxy_child_added).
//
//   static GObject *get_signaller(GstChildProxy *proxy) { ... }
//   G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, SignallerChildProxy<get_signaller>::init)
#pragma once

#include <gst/gst.h>

namespace webrtclive {

template <GObject *(*Get)(GstChildProxy *)>
struct SignallerChildProxy {
  static inline GstChildProxyInterface *parent = nullptr;

  static GObject *by_name(GstChildProxy *proxy, const gchar *name) {
    if (g_strcmp0(name, "signaller") == 0) return Get(proxy);
    if (name && g_str_has_prefix(name, "data_"))
      if (GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(proxy), name)) return G_OBJECT(pad);
    return parent->get_child_by_name(proxy, name);
  }
  static guint count(GstChildProxy *proxy) { return parent->get_children_count(proxy) + 1; }
  static GObject *by_index(GstChildProxy *proxy, guint index) {
    return index == 0 ? Get(proxy) : parent->get_child_by_index(proxy, index - 1);
  }
  static void init(gpointer g_iface, gpointer) {
    auto *iface = static_cast<GstChildProxyInterface *>(g_iface);
    parent = static_cast<GstChildProxyInterface *>(g_type_interface_peek_parent(iface));
    iface->get_child_by_name = by_name;
    iface->get_child_by_index = by_index;
    iface->get_children_count = count;
  }
};

}  // namespace webrtclive
