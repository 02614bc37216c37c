// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The webrtclive plugin: registers its elements, nothing else.
#include <gst/gst.h>

#include "gstwebrtclivesignallable.h"
#include "gstwebrtclivesignallerelement.h"
#include "gstwebrtclivesink.h"
#include "gstwebrtclivesrc.h"
#include "gstwebrtclivestamp.h"
#include "gstwebrtclivestampread.h"

static gboolean plugin_init(GstPlugin *plugin) {
  // Signallers are not elements: register their types so applications can
  // create them by name (g_object_new / GObject.type_from_name).
  gst_type_mark_as_plugin_api(GST_TYPE_WEBRTC_LIVE_SIGNALLABLE, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_WEBRTC_LIVE_EMBEDDED_SIGNALLER, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_WEBRTC_LIVE_WS_SIGNALLER, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_WEBRTC_LIVE_APP_SIGNALLER, static_cast<GstPluginAPIFlags>(0));
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(webrtclivesink, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivesrc, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivesignaller, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivestamp, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivestampread, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, webrtclive,
                  "WebRTC streaming to and from browsers with built-in signalling", plugin_init, VERSION,
                  "LGPL", PACKAGE, "https://github.com/gst-webrtc-live/gst-webrtc-live")
